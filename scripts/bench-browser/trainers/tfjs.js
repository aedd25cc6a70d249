// TensorFlow.js's trainer for the browser bench: @tensorflow/tfjs on its
// wasm backend (@tensorflow/tfjs-backend-wasm, XNNPACK), the same network
// written with tf ops and trained by tf.train.sgd().minimize, one mini-batch
// per step from floats made once beforehand. One thread asked for: the SIMD
// build (tfjs-backend-wasm-simd.wasm); more: the threaded SIMD build, which
// tfjs picks by itself when the page is cross-origin isolated, with
// setThreadsCount(threads). tfjs caps its pool at hardwareConcurrency / 2
// (it takes every core to have two hardware threads), one thread on a 2-core
// machine, so for more it is shown 2 * threads cores: getThreadsCount() then
// says it runs the threads asked for. The backend starts once per worker, so
// one worker runs one setting.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const WASM_FILES = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';
let started = null;

function startBackend(threads) {
  return (started ??= (async () => {
    // the threaded build only where more than one thread is asked for
    if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    else Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
    setThreadsCount(threads);
    setWasmPaths(WASM_FILES);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    await tf.ready();
    if (tf.getBackend() !== 'wasm') throw new Error(`tfjs runs on "${tf.getBackend()}", not wasm`);
    // the build it fetched: one of WASM_FILES' .wasm files
    const binary = performance
      .getEntriesByType('resource')
      .map((e) => e.name.split('/').pop())
      .filter((n) => /^tfjs-backend-wasm.*\.wasm$/.test(n));
    return {
      backend: tf.getBackend(),
      threads: getThreadsCount(),
      binary: binary.join(', '),
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      version: tf.version.tfjs,
    };
  })());
}

/** See worker.js for what a trainer is. */
export async function createTrainer({ data, batch, threads, network, seed }) {
  const used = await startBackend(threads);
  const { layers, learningRate } = network;
  if (network.activation !== 'sigmoid') throw new Error(`trainer written for sigmoid, not ${network.activation}`);
  const { n } = data;
  const inputs = layers[0],
    classes = layers[layers.length - 1];
  const x = Float32Array.from(data.images, (v) => v / 255);
  const y = new Float32Array(n * classes);
  data.labels.forEach((label, i) => {
    y[i * classes + label] = 1;
  });

  // weights W[in][out] drawn from a normal scaled by sqrt(1/fan-in), biases 0
  const params = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    params.push(
      tf.variable(tf.randomNormal([layers[i], layers[i + 1]], 0, Math.sqrt(1 / layers[i]), 'float32', seed + i)),
    );
    params.push(tf.variable(tf.zeros([layers[i + 1]])));
  }
  const forward = (xs) => {
    let h = xs;
    for (let i = 0; i < params.length; i += 2) {
      const z = tf.add(tf.matMul(h, params[i]), params[i + 1]);
      h = i + 2 < params.length ? tf.sigmoid(z) : z;
    }
    return h; // logits
  };
  const optimizer = tf.train.sgd(learningRate);
  const batches = Math.floor(n / batch);
  let next = 0;

  return {
    used,
    async train(steps) {
      const losses = [];
      for (let s = 0; s < steps; s++) {
        const at = (next++ % batches) * batch;
        losses.push(
          tf.tidy(() => {
            const xs = tf.tensor2d(x.subarray(at * inputs, (at + batch) * inputs), [batch, inputs]);
            const ys = tf.tensor2d(y.subarray(at * classes, (at + batch) * classes), [batch, classes]);
            return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, forward(xs)), true, params);
          }),
        );
      }
      let sum = 0;
      for (const l of losses) {
        sum += (await l.data())[0];
        l.dispose();
      }
      return sum / steps;
    },
    dispose() {
      optimizer.dispose();
      for (const p of params) p.dispose();
    },
  };
}
