// Divergence: a loss that becomes NaN or infinite stops training with
// "training diverged at step N ...; lower the learning rate", and the
// weights are those after update N-1, the last finite ones, even though
// train() runs an epoch as several ~1024-sample calls into C.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNetwork } from 'mnist-wasm';
import { defaultData, equalBytes, fillHuge } from './helpers/common.js';

let d;
test.before(async () => {
  d = await defaultData();
});

const MESSAGE = (step, epoch) =>
  `train: training diverged at step ${step}${epoch ? ` in epoch ${epoch}` : ''} (the loss became NaN or infinite); lower the learning rate`;

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected it to throw');
}

/** n real digits as floats in 0..1 (x / 255, as C scales bytes). */
function floatImages(n) {
  const inv = Math.fround(1 / 255);
  const bytes = d.trainImages.subarray(0, n * 784);
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] * inv; // stored as float32: the same as C's x * (1/255)
  return out;
}

/** Steps through samples [0, n) in mini-batches of b: the reference for shuffle: false. */
function stepThrough(net, images, labels, n, b) {
  for (let at = 0; at < n; at += b) {
    const end = Math.min(n, at + b);
    net.step(images.subarray(at * 784, end * 784), labels.subarray(at, end));
  }
}

test('a sample that overflows in the second chunk: stops at its step, weights after the step before', async () => {
  const opts = { activation: 'relu', layers: [784, 32, 10], batchSize: 10, learningRate: 0.1, seed: 3 };
  const images = floatImages(2000);
  fillHuge(images, 1500 * 784, 1501 * 784); // finite, but the forward pass overflows
  const labels = d.trainLabels.subarray(0, 2000);
  const net = await createNetwork(opts);
  const progress = [];
  const e = thrown(() => net.train(images, labels, { shuffle: false, onProgress: (p) => progress.push(p.seen) }));
  // sample 1500 is in mini-batch 150 (0-based), the 151st update; chunks are
  // 1024 samples rounded up to whole mini-batches: 1030
  assert.is(e.constructor, Error);
  assert.is(e.message, MESSAGE(151, 1));
  assert.is(e.code, 'NN_ERR_DIVERGED');
  assert.is(e.step, 151);
  assert.is(e.epoch, 1);
  assert.is(net.steps, 150, 'the diverging update is not counted');
  assert.equal(progress, [1030], 'progress for the first chunk only');
  const ref = await createNetwork(opts);
  stepThrough(ref, images, labels, 1500, 10);
  assert.ok(equalBytes(net.save(), ref.save()), 'weights, counters and options equal 150 clean updates');
  // it trains on from there once the bad sample is gone
  const clean = floatImages(2000);
  const r = net.train(clean, labels);
  assert.ok(Number.isFinite(r.loss));
  net.dispose();
  ref.dispose();
});

test('real digits and a learning rate too large: the same step every time, the last finite weights', async () => {
  const { trainImages: images, trainLabels: labels } = d;
  // Where exactly a too-large rate blows up is chaotic; these relu settings
  // each diverge within the first epoch (the first that does is used).
  const candidates = [
    [1.5, 1, 2],
    [1, 1, 2],
    [3, 2, 1],
    [4, 1, 2],
    [5, 2, 2],
    [8, 1, 1],
  ];
  let opts, a;
  const run = async () => {
    const net = await createNetwork(opts);
    try {
      net.train(images, labels, { shuffle: false });
      return { net, e: null };
    } catch (e) {
      return { net, e };
    }
  };
  for (const [learningRate, batchSize, seed] of candidates) {
    opts = { activation: 'relu', learningRate, batchSize, seed };
    a = await run();
    if (a.e) break;
    a.net.dispose();
  }
  assert.ok(a.e, 'one of the settings diverges');
  const m =
    /^train: training diverged at step (\d+) in epoch 1 \(the loss became NaN or infinite\); lower the learning rate$/.exec(
      a.e.message,
    );
  assert.ok(m, a.e.message);
  const step = Number(m[1]);
  assert.is(a.e.step, step);
  assert.is(a.net.steps, step - 1);
  assert.ok(a.net.parameters().every(Number.isFinite), 'finite weights');
  const ref = await createNetwork(opts);
  stepThrough(ref, images, labels, (step - 1) * opts.batchSize, opts.batchSize);
  assert.ok(equalBytes(a.net.save(), ref.save()), 'the last finite state');
  const b = await run();
  assert.is(b.e.message, a.e.message, 'deterministic');
  assert.ok(equalBytes(a.net.save(), b.net.save()));
  for (const n of [a.net, b.net, ref]) n.dispose();
});

test('shuffled epochs: the message names the epoch and the step; steps agree', async () => {
  const images = floatImages(3000);
  fillHuge(images, 2345 * 784, 2346 * 784, 1e38);
  const labels = d.trainLabels.subarray(0, 3000);
  const net = await createNetwork({ activation: 'relu', layers: [784, 64, 10], batchSize: 32, seed: 8 });
  // epoch 1 is clean (the sample is left out), epoch 2 includes it
  net.train(images.subarray(0, 2000 * 784), labels.subarray(0, 2000));
  const before = net.steps;
  const e = thrown(() => net.train(images, labels, { epochs: 2 }));
  assert.is(e.code, 'NN_ERR_DIVERGED');
  assert.is(e.epoch, 1);
  assert.is(e.message, MESSAGE(e.step, 1));
  assert.ok(e.step > before && e.step <= before + Math.ceil(3000 / 32), `step ${e.step}`);
  assert.is(net.steps, e.step - 1);
  assert.ok(net.parameters().every(Number.isFinite));
  net.dispose();
});

test('momentum and Adam: stop at the step, with the weights and optimizer state of the step before', async () => {
  for (const [optimizer, learningRate] of [
    ['momentum', 3],
    ['adam', 1],
  ]) {
    const images = floatImages(1200);
    images.fill(3e38, 1100 * 784, 1101 * 784); // raw input (below): all of them add up past float's range
    const labels = d.trainLabels.subarray(0, 1200);
    const opts = {
      activation: 'relu',
      input: 'raw',
      layers: [784, 32, 10],
      optimizer,
      learningRate: learningRate / 100,
      batchSize: 4,
      seed: 2,
    };
    const net = await createNetwork(opts);
    const e = thrown(() => net.train(images, labels, { shuffle: false }));
    assert.is(e.message, MESSAGE(276, 1), optimizer); // sample 1100: mini-batch 275, the 276th update
    assert.is(net.steps, 275);
    const ref = await createNetwork(opts);
    stepThrough(ref, images, labels, 1100, 4);
    assert.ok(equalBytes(net.save(), ref.save()), `${optimizer}: the weights of the 275 clean updates`);
    // the optimizer state too: the next updates give the same bits
    stepThrough(net, images, labels, 8, 4);
    stepThrough(ref, images, labels, 8, 4);
    assert.ok(equalBytes(net.save(), ref.save()), `${optimizer}: velocity and moments kept across the undone step`);
    net.dispose();
    ref.dispose();
  }
});

test('step(): a diverging update changes nothing, and the next good one works (momentum state reset)', async () => {
  const net = await createNetwork({ activation: 'relu', layers: [784, 32, 10], optimizer: 'momentum', seed: 4 });
  const x = floatImages(8);
  const y = d.trainLabels.subarray(0, 8);
  net.step(x, y);
  const before = net.save();
  const e = thrown(() => net.step(fillHuge(new Float32Array(8 * 784), 0, 8 * 784), y));
  assert.is(e.message, 'step: training diverged at step 2 (the loss became NaN or infinite); lower the learning rate');
  assert.is(e.step, 2);
  assert.ok(equalBytes(net.save(), before), 'weights and counters unchanged');
  assert.ok(Number.isFinite(net.step(x, y)));
  assert.is(net.steps, 2);
  net.dispose();
});

test.run();
