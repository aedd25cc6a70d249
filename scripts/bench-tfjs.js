// npm run bench's TensorFlow.js column: the same dense network trained,
// predicting and evaluating with @tensorflow/tfjs on its wasm backend
// (@tensorflow/tfjs-backend-wasm, SIMD, one thread; it reads its .wasm from
// node_modules), timed as scripts/bench.js times this package.
import { fmt } from './bench-output.js';

const now = () => performance.now() / 1000;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const log = (s) => process.stderr.write(`${s}\n`);

/**
 * Trains layers (sigmoid, softmax, cross-entropy, SGD at learningRate) on
 * the first samples[b] images of d at each batch b, then times predict() on
 * one image (median of predictCalls) and evaluation of the test set with the
 * batch-64 model: { train: {b: samples/s}, predictUs, evaluate, accuracy64,
 * threads }, or { missing: why } without the packages.
 */
export async function benchTf(d, { layers, learningRate, batches, samples, predictCalls }) {
  let tf, wasmBackend;
  try {
    tf = await import('@tensorflow/tfjs');
    wasmBackend = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { missing: `@tensorflow/tfjs(-backend-wasm) not installed (npm install): ${e.message}` };
  }
  wasmBackend.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [layers[0]], units: layers[1], activation: 'sigmoid' }),
        tf.layers.dense({ units: layers[2], activation: 'sigmoid' }),
        tf.layers.dense({ units: layers[3], activation: 'softmax' }),
      ],
    });
    m.compile({ optimizer: tf.train.sgd(learningRate), loss: 'categoricalCrossentropy' });
    return m;
  };
  const floats = (bytes) => Float32Array.from(bytes, (v) => v / 255);
  const most = Math.max(...Object.values(samples));
  const xs = tf.tensor2d(floats(d.x.subarray(0, most * 784)), [most, 784]);
  const ys = tf.oneHot(tf.tensor1d(d.y.subarray(0, most), 'int32'), 10);
  const out = { train: {}, threads: wasmBackend.getThreadsCount() };
  let keep = null;
  for (const b of batches) {
    const m = model();
    const n = samples[b];
    const x = xs.slice(0, n),
      y = ys.slice(0, n);
    await m.fit(x.slice(0, Math.min(n, 16 * b)), y.slice(0, Math.min(n, 16 * b)), {
      batchSize: b,
      epochs: 1,
      verbose: 0,
    });
    const t0 = now();
    await m.fit(x, y, { batchSize: b, epochs: 1, shuffle: true, verbose: 0 });
    out.train[b] = n / (now() - t0);
    log(`  tfjs     batch ${b}: ${fmt(out.train[b])} samples/s (${n} samples)`);
    x.dispose();
    y.dispose();
    if (b === 64) keep = m;
    else m.dispose();
  }
  const img = (i) => floats(d.tx.subarray((i % d.nt) * 784, ((i % d.nt) + 1) * 784));
  const predict = (i) => tf.tidy(() => keep.predict(tf.tensor2d(img(i), [1, 784])).dataSync());
  for (let i = 0; i < 200; i++) predict(i);
  const lat = new Float64Array(predictCalls);
  for (let i = 0; i < predictCalls; i++) {
    const t0 = performance.now();
    predict(i);
    lat[i] = performance.now() - t0;
  }
  out.predictUs = median(lat) * 1000;
  // evaluate: class probabilities for the whole test set, then accuracy
  const tx = tf.tensor2d(floats(d.tx), [d.nt, 784]);
  let best = Infinity,
    acc = 0;
  for (let k = 0; k < 2; k++) {
    const t0 = now();
    const guess = tf.tidy(() => keep.predict(tx, { batchSize: 1024 }).argMax(1).dataSync());
    let hits = 0;
    for (let i = 0; i < d.nt; i++) hits += guess[i] === d.ty[i];
    best = Math.min(best, now() - t0);
    acc = hits / d.nt;
  }
  out.evaluate = d.nt / best;
  out.accuracy64 = acc;
  log(`  tfjs     predict ${out.predictUs.toFixed(1)} us, evaluate ${fmt(out.evaluate)} images/s`);
  tx.dispose();
  xs.dispose();
  ys.dispose();
  keep.dispose();
  return out;
}
