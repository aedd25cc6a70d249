// Determinism: the same seed, data and options give bit-identical model
// files in Node, and the same as the native build; the wasm's predictions
// equal the native core's on the same model (to 1e-5; in fact exactly).
// Needs build/native (npm test builds it first) and fails clearly without.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { createNetwork, loadNetwork } from 'mnist-wasm';
import { defaultData, dataFile, dataDir, equalBytes, requireNative, run, root } from './helpers/common.js';

let data, tmp;
test.before(async () => {
  data = await defaultData();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-det-'));
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const trainSet = (n) => [data.trainImages.subarray(0, n * 784), data.trainLabels.subarray(0, n)];

test('same seed and options: identical save() bytes', async () => {
  // a constant rate, so that a run of 2 epochs is the same as 2 runs of 1 (a
  // schedule spreads over one run: see the cosine case below)
  for (const opts of [
    { seed: 42, schedule: 'constant' },
    { seed: 42, activation: 'relu', optimizer: 'adam', learningRate: 0.002, batchSize: 20, schedule: 'constant' },
    { seed: 7, optimizer: 'momentum', batchSize: 1, layers: [784, 30, 10], schedule: 'constant', augment: true },
  ]) {
    const a = await createNetwork(opts);
    const b = await createNetwork(opts);
    assert.ok(equalBytes(a.save(), b.save()), `fresh ${JSON.stringify(opts)}`);
    a.train(...trainSet(1000), { epochs: 2 });
    b.train(...trainSet(1000), { epochs: 1, onProgress: () => {} });
    b.train(...trainSet(1000), { epochs: 1 });
    assert.ok(equalBytes(a.save(), b.save()), `trained ${JSON.stringify(opts)}`);
    a.dispose();
    b.dispose();
  }
});

test('a different seed gives different weights', async () => {
  const a = await createNetwork({ seed: 1 });
  const b = await createNetwork({ seed: 2 });
  assert.not.ok(equalBytes(a.save(), b.save()));
  a.dispose();
  b.dispose();
});

test('bytes and floats train identically (x / 255 as C scales it)', async () => {
  const [images, labels] = trainSet(500);
  const inv = Math.fround(1 / 255);
  const floats = Float32Array.from(images, (v) => Math.fround(v * inv));
  const a = await createNetwork({ seed: 3 });
  const b = await createNetwork({ seed: 3 });
  a.train(images, labels);
  b.train(floats, labels);
  assert.ok(equalBytes(a.save(), b.save()));
  a.dispose();
  b.dispose();
});

// The native CLI trains each epoch as nn_shuffle + one nn_train; train()
// does the same in chunks, so the model files must match byte for byte.
const nativeCases = [
  {
    args: ['--epochs', '3', '--seed', '4', '--augment', '--schedule', 'step', '--weight-decay', '0.001'],
    opts: { seed: 4, augment: true, schedule: 'step', weightDecay: 0.001 },
    epochs: 3,
  },
  {
    args: ['--epochs', '2', '--seed', '5', '--batch', '16', '--lr', '0.3'],
    opts: { seed: 5, batchSize: 16, learningRate: 0.3 },
    epochs: 2,
  },
  {
    args: [
      '--epochs',
      '1',
      '--seed',
      '9',
      '--activation',
      'relu',
      '--optimizer',
      'adam',
      '--lr',
      '0.001',
      '--layers',
      '784,64,32,10',
    ],
    opts: { seed: 9, activation: 'relu', optimizer: 'adam', learningRate: 0.001, layers: [784, 64, 32, 10] },
    epochs: 1,
  },
];

for (const [i, c] of nativeCases.entries()) {
  test(`the native CLI and the wasm train bit-identical models (${c.args.join(' ')})`, async () => {
    const native = requireNative();
    const file = path.join(tmp, `native-${i}.bin`);
    const r = run(native.train, ['--data', dataDir, ...c.args, '--save', file]);
    assert.is(r.status, 0, `mnist-train failed: ${r.stderr}`);
    const net = await createNetwork(c.opts);
    net.train(data.trainImages, data.trainLabels, { epochs: c.epochs }); // one run, as the CLI's
    const nativeBytes = new Uint8Array(readFileSync(file));
    const wasmBytes = net.save();
    if (!equalBytes(nativeBytes, wasmBytes)) {
      const theirs = await loadNetwork(nativeBytes);
      const a = theirs.parameters(),
        b = net.parameters();
      let worst = 0;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
      theirs.dispose();
      assert.unreachable(
        `model files differ (${nativeBytes.length} vs ${wasmBytes.length} bytes; largest weight difference ${worst})`,
      );
    }
    net.dispose();
  });
}

test('wasm predictions equal the native core on the same model (<= 1e-5)', async () => {
  const native = requireNative();
  const model = path.join(tmp, 'predict-model.bin');
  let r = run(native.train, ['--data', dataDir, '--epochs', '1', '--seed', '13', '--save', model]);
  assert.is(r.status, 0, `mnist-train failed: ${r.stderr}`);
  const exe = path.join(tmp, 'native_predict');
  r = run(process.env.CC || 'cc', [
    '-O2',
    '-I',
    path.join(root, 'csrc'),
    path.join(root, 'tests/helpers/native_predict.c'),
    native.lib,
    '-lm',
    '-o',
    exe,
  ]);
  assert.is(r.status, 0, `compiling tests/helpers/native_predict.c failed: ${r.stderr}`);
  const images = path.join(tmp, 't10k-images');
  writeFileSync(images, gunzipSync(dataFile('t10k-images-idx3-ubyte')));
  r = run(exe, [model, images], { encoding: 'buffer' });
  assert.is(r.status, 0, `native_predict failed: ${r.stderr}`);
  const expected = new Float32Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.length));
  assert.is(expected.length, 2000 * 10);

  const net = await loadNetwork(new Uint8Array(readFileSync(model)));
  const got = net.predict(data.testImages);
  let worst = 0,
    same = 0;
  for (let i = 0; i < got.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    same += got[i] === expected[i];
  }
  assert.ok(worst <= 1e-5, `largest difference ${worst}`);
  assert.is(same, got.length, `bit-identical probabilities (${same} of ${got.length}; largest difference ${worst})`);
  net.dispose();
});

test.run();
