// Threads change no bit: networks trained with 2, 3 and 4 threads save the
// same bytes as with 1, for every optimizer and activation (and with the
// native CLI's --threads), and net.threadJobs proves that the work was split
// (a second thread ran jobs); threads are reported in net.options; dispose()
// stops them, and create/dispose cycles leave no worker running and the
// heap where it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNetwork, loadNetwork, heapUsed, init, loadMnist, threadsUnavailable } from 'mnist-wasm';
import { defaultData, dataDir, equalBytes, requireNative, nativeTrain, run } from './helpers/common.js';

let data, tmp;
test.before(async () => {
  data = await defaultData();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-threads-'));
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const trainSet = (n) => [data.trainImages.subarray(0, n * 784), data.trainLabels.subarray(0, n)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('N threads give the bytes of 1, for every optimizer and activation', async () => {
  const [images, labels] = trainSet(1500);
  for (const optimizer of ['sgd', 'momentum', 'adam'])
    for (const activation of ['sigmoid', 'relu', 'tanh']) {
      const opts = {
        optimizer,
        activation,
        batchSize: 48,
        seed: 5,
        learningRate: optimizer === 'adam' ? 0.002 : 0.1,
        weightDecay: optimizer === 'momentum' ? 0.0005 : 0,
      };
      const one = await createNetwork(opts);
      one.train(images, labels);
      const bytes = one.save();
      const ev = one.evaluate(data.testImages, data.testLabels);
      one.dispose();
      for (const threads of [2, 3]) {
        const many = await createNetwork({ ...opts, threads });
        assert.is(many.options.threads, threads);
        many.train(images, labels);
        assert.ok(many.threadJobs > 0, `${optimizer} ${activation}: no job ran on a second thread of ${threads}`);
        assert.ok(equalBytes(many.save(), bytes), `${optimizer} ${activation}: ${threads} threads give other bytes`);
        assert.equal(
          many.evaluate(data.testImages, data.testLabels),
          ev,
          `${optimizer} ${activation}: ${threads} threads evaluate otherwise`,
        );
        many.dispose();
      }
    }
});

test('augmentation, odd batches, step() and a data set in the heap: the same bytes', async () => {
  const [images, labels] = trainSet(1000);
  for (const opts of [
    { batchSize: 37, augment: true },
    { batchSize: 256, optimizer: 'adam', learningRate: 0.003 },
    { batchSize: 16 },
  ]) {
    const a = await createNetwork(opts),
      b = await createNetwork({ ...opts, threads: 4 });
    a.train(images, labels, { epochs: 2 });
    b.train(images, labels, { epochs: 2 });
    // a step splits over 4 threads from 4 * 8 rows: 16 stays on one
    if (opts.batchSize >= 32) assert.ok(b.threadJobs > 0, `no job on a second thread: ${JSON.stringify(opts)}`);
    else assert.is(b.threadJobs, 0, `a batch of ${opts.batchSize} split over 4 threads`);
    assert.is(a.threadJobs, 0);
    assert.ok(equalBytes(a.save(), b.save()), JSON.stringify(opts));
    const la = a.step(images.subarray(0, 64 * 784), labels.subarray(0, 64));
    const jobs = b.threadJobs;
    const lb = b.step(images.subarray(0, 64 * 784), labels.subarray(0, 64));
    assert.ok(b.threadJobs > jobs, 'a step of 64 rows on 4 threads ran on one');
    assert.is(lb, la);
    assert.ok(equalBytes(a.save(), b.save()), `step after ${JSON.stringify(opts)}`);
    a.dispose();
    b.dispose();
  }
  const { train: ds, test: testSet } = await loadMnist(pathToFileURL(`${dataDir}/`));
  const a = await createNetwork({ batchSize: 64 }),
    b = await loadNetwork(a.save(), { threads: 2 });
  assert.is(b.options.threads, 2);
  a.train(ds, { epochs: 1 });
  b.train(ds, { epochs: 1 });
  assert.ok(b.threadJobs > 0, 'a Dataset on a loaded network of 2 threads ran on one');
  assert.ok(equalBytes(a.save(), b.save()), 'a Dataset, a loaded network');
  b.setOptions({ optimizer: 'momentum' }); // a new C network: it keeps the threads
  assert.is(b.options.threads, 2);
  a.dispose();
  b.dispose();
  ds.dispose();
  testSet.dispose();
});

test('the native CLI: --threads 2 writes the bytes of --threads 1 and of Node', async () => {
  requireNative();
  const files = [1, 2].map((t) => path.join(tmp, `t${t}.model`));
  for (const [i, t] of [1, 2].entries()) {
    const r = run(nativeTrain, [
      '--data',
      dataDir,
      '--epochs',
      '1',
      '--batch',
      '64',
      '--lr',
      '0.1',
      '--threads',
      String(t),
      '--save',
      files[i],
    ]);
    assert.is(r.status, 0, r.stderr);
  }
  const [one, two] = files.map((f) => readFileSync(f));
  assert.ok(equalBytes(one, two), '--threads 2 differs from --threads 1');
  const bad = run(nativeTrain, ['--data', dataDir, '--threads', '0']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--threads: expected an integer in 1\.\.64, got '0'/);
});

test('threads is checked, and reported in options', async () => {
  for (const [v, Cls] of [
    [0, RangeError],
    [65, RangeError],
    [1.5, RangeError],
    ['2', TypeError],
    [null, TypeError],
  ]) {
    try {
      await createNetwork({ threads: v });
      assert.unreachable(`threads ${v} accepted`);
    } catch (e) {
      assert.ok(e instanceof Cls && /threads/.test(e.message), `threads ${v}: ${e}`);
    }
  }
  assert.is(threadsUnavailable(), '', 'Node runs the threaded module');
  const net = await createNetwork();
  assert.is(net.options.threads, 1);
  assert.is(net.options.threadsReason, undefined);
  net.dispose();
});

test('create/dispose cycles: no thread or worker left, the heap where it started', async () => {
  const w = await init();
  await sleep(600); // workers of earlier tests end once idle
  const heap = await heapUsed();
  assert.is(w.M._threads_alive(), 0);
  assert.is(w.workers, 0, 'workers left from before');
  const [images, labels] = trainSet(128);
  for (let i = 0; i < 30; i++) {
    const net = await createNetwork({ layers: [784, 16, 10], batchSize: 32, threads: 2 + (i % 3) });
    net.train(images, labels);
    assert.is(w.M._threads_alive(), 1 + (i % 3));
    net.dispose();
    assert.is(w.M._threads_alive(), 0, 'dispose stops the threads');
  }
  assert.is(await heapUsed(), heap, 'heap after 30 cycles');
  await sleep(600);
  assert.is(w.workers, 0, 'idle workers end');
});

test.run();
