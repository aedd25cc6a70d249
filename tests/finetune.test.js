// The page's fine-tune and weight-snapshot arithmetic (web/lib/finetune.js):
// how often a person's digits come in a pass, a fine-tune at a tenth of
// the rate that gives the network its rate back, the IDX digits as plain
// arrays, and the update sizes the inside view charts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pathToFileURL } from 'node:url';
import { createNetwork, loadMnist, loadDataset } from 'mnist-wasm';
import { LEARN, FineTune, extraRepeat, digitsOf, weightSnapshot } from '../web/lib/finetune.js';
import { dataDir } from './helpers/common.js';

/** IDX bytes of n images (rows x cols) and of their labels. */
function idx(images, labels, rows = 28, cols = 28) {
  const n = labels.length;
  const im = new Uint8Array(16 + images.length),
    lb = new Uint8Array(8 + n);
  const v = new DataView(im.buffer),
    u = new DataView(lb.buffer);
  v.setUint32(0, 0x00000803);
  v.setUint32(4, n);
  v.setUint32(8, rows);
  v.setUint32(12, cols);
  u.setUint32(0, 0x00000801);
  u.setUint32(4, n);
  im.set(images, 16);
  lb.set(labels, 8);
  return { images: im, labels: lb };
}

test('extraRepeat: LEARN.repeat times each, at most LEARN.extraShare of the pass, at least once', () => {
  assert.is(extraRepeat(60000, 10), LEARN.repeat);
  assert.is(extraRepeat(8000, 20), Math.floor((8000 * LEARN.extraShare) / 20));
  assert.ok(extraRepeat(8000, 20) * 20 <= 8000 * LEARN.extraShare);
  assert.is(extraRepeat(8000, 5000), 1);
});

test('digitsOf: 28x28 digits as plain arrays; another size refused with its shape', async () => {
  const images = Uint8Array.from({ length: 3 * 784 }, (_, i) => (i * 7) & 255);
  const set = await loadDataset(idx(images, Uint8Array.of(4, 0, 9)));
  const d = digitsOf(set);
  set.dispose();
  assert.equal(Array.from(d.labels), [4, 0, 9]);
  assert.ok(Buffer.from(d.images).equals(Buffer.from(images)));
  const small = await loadDataset(idx(new Uint8Array(2 * 25), Uint8Array.of(1, 2), 5, 5));
  assert.throws(
    () => digitsOf(small),
    (e) => e instanceof RangeError && e.message === 'the images are 5x5, not 28x28',
  );
  small.dispose();
});

test('weightSnapshot: the first layer (centred rows), then each layer’s update size per step', async () => {
  const { train } = await loadMnist(pathToFileURL(`${dataDir}/`), { sets: ['train'] });
  const net = await createNetwork({ seed: 2, layers: [784, 16, 10] });
  const layers = net.layers;
  const first = weightSnapshot(net, layers);
  assert.is(first.updates, null, 'nothing to measure from');
  assert.is(first.layer.units, 16);
  assert.is(first.weights.length, 16 * 784);
  const centred = weightSnapshot(net, layers, { centred: true });
  for (let r = 0; r < 16; r++) {
    const row = centred.weights.subarray(r * 784, (r + 1) * 784);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) / 784) < 1e-6, `row ${r} has mean 0`);
  }
  const before = net.parameters();
  net.train(train, { epochs: 1 });
  const after = weightSnapshot(net, layers, { last: first.next });
  const steps = net.steps - first.steps;
  assert.ok(steps > 0);
  assert.is(after.updates.length, 2);
  const params = net.parameters();
  layers.forEach(({ weights: y }, l) => {
    let d = 0,
      m = 0;
    for (let i = y.offset; i < y.offset + y.length; i++) {
      d += Math.abs(params[i] - before[i]);
      m += Math.abs(params[i]);
    }
    assert.ok(Math.abs(after.updates[l] - d / m / steps) < 1e-9, `layer ${l + 1}`);
  });
  assert.is(after.next.steps, net.steps, 'the next measures from this one');
  net.dispose();
  train.dispose();
});

test('FineTune: a tenth of the rate while it runs, one pass with the extra digits, the rate back after', async () => {
  const { train } = await loadMnist(pathToFileURL(`${dataDir}/`), { sets: ['train'] });
  const net = await createNetwork({ seed: 4, layers: [784, 16, 10], learningRate: 0.5 });
  const extra = await loadDataset(idx(new Uint8Array(2 * 784).fill(200), Uint8Array.of(3, 3)));
  const tune = new FineTune(net, extra, train.count, 0.5);
  assert.is(tune.repeat, extraRepeat(train.count, 2));
  assert.ok(Math.abs(net.options.learningRate - 0.5 * LEARN.rate) < 1e-7, 'a tenth of the rate');
  assert.is(tune.done, 0);
  let shares = [];
  while (!tune.finished) {
    tune.run(train, 4096);
    shares.push(tune.done);
  }
  assert.ok(shares.length > 1 && shares.every((s, i) => i === 0 || s >= shares[i - 1]), 'done grows');
  assert.is(shares.at(-1), 1);
  assert.is(tune.progress.samples, train.count + 2 * tune.repeat, 'one pass with each extra digit repeat times');
  tune.dispose();
  assert.ok(Math.abs(net.options.learningRate - 0.5) < 1e-7, 'the rate back');
  extra.dispose();
  net.dispose();
  train.dispose();
});

test.run();
