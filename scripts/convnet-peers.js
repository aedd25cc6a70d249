// The peers of npm run bench's convnet: other libraries that train in a page,
// each training the same 28x28,conv5x8,pool2,conv5x16,pool2,128,10 (relu,
// softmax cross-entropy, plain SGD at rate 0.1, batch 32) in Node, on one
// thread, from floats made once beforehand:
//   - jax-js (@jax-js/jax) on its wasm device, one jitted update per batch;
//   - ConvNetJS (convnetjs), one sample at a time as its Trainer takes them;
//   - TensorFlow.js (@tensorflow/tfjs) on its cpu backend, and on its wasm
//     backend where it can (4.22 cannot: it has no kernel for the filters'
//     gradient, and the reason is printed).
// A peer is { name, open(data) }: open() resolves to a trainer
//   { train(steps): trains on the next batches, resolves when done,
//     probe(): the mean loss on one batch it never trains on,
//     dispose() }
// or throws the reason the peer is left out (a package not installed, a
// kernel missing); the first batch runs inside open(), so that a peer that
// cannot train says so there. The probe falling over the timed batches shows
// that a peer really learns, so that a broken one cannot pass for fast.
// Nothing here times: scripts/bench-convnet.js does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 32;
const RATE = 0.1;
const SEED = 1;
// digits each peer cycles through (a timed run of the fastest peer takes about 1,500)
const POOL = 4096;

/** The installed version of a package, or '?' (some do not export their package.json). */
function version(pkg) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function load(pkg) {
  try {
    return await import(pkg);
  } catch (e) {
    throw new Error(`${pkg} is not installed (npm install): ${e.message}`, { cause: e });
  }
}

/**
 * The first POOL digits (the n it trains on) and the next BATCH (the probe),
 * as floats in 0..1 and labels as int32: the peers' shared input.
 */
function floats({ images, labels }) {
  const n = Math.min(POOL, labels.length - BATCH);
  if (n < BATCH) throw new Error(`${labels.length} digits are too few for the peers`);
  return {
    n,
    x: Float32Array.from(images.subarray(0, (n + BATCH) * 784), (v) => v / 255),
    y: Int32Array.from(labels.subarray(0, n + BATCH)),
  };
}

// ---- jax-js, wasm device ------------------------------------------------------
// The first convolution is lax.conv; the second is written as im2col (25
// slices of the pooled maps side by side, then one product), which ran 4-7x
// faster than lax.conv for it (conv on both: about 100 samples/s on a busy
// 2-core machine, im2col on both: about 400, conv then im2col: 450-700). Maps are
// (batch, rows, columns, channels) outside lax.conv, which takes (batch,
// channels, rows, columns). jax-js starts kernel workers only where a global
// Worker exists, which Node lacks: one thread.

async function openJax(data) {
  const {
    init,
    defaultDevice,
    jit,
    lax,
    nn,
    numpy: np,
    random,
    tree,
    valueAndGrad,
    blockUntilReady,
  } = await load('@jax-js/jax');
  if (!(await init('wasm')).includes('wasm')) throw new Error('jax-js has no wasm device here');
  defaultDevice('wasm');
  const { n, x, y } = floats(data);
  const B = BATCH;
  const keys = [...random.split(random.key(SEED), 4)];
  const he = (key, shape, fanIn) => random.normal(key, shape).mul(Math.sqrt(2 / fanIn));
  let params = [
    he(keys[0], [8, 1, 5, 5], 25), // filters, rows, columns, channels in: lax.conv's order
    np.zeros([8]),
    he(keys[1], [5 * 5 * 8, 16], 200), // (row, column, channel in) x filters: im2col's order
    np.zeros([16]),
    he(keys[2], [256, 128], 256),
    np.zeros([128]),
    he(keys[3], [128, 10], 128),
    np.zeros([10]),
  ];
  const pool2 = (h, size, channels) => h.reshape([B, size / 2, 2, size / 2, 2, channels]).max([2, 4]);
  // (B, size, size, c) -> (B, out, out, filters) through a (k*k*c, filters) matrix
  const convIm2col = (h, w, b, size, k, c) => {
    const out = size - k + 1;
    const slices = [];
    for (let dy = 0; dy < k; dy++)
      for (let dx = 0; dx < k; dx++) slices.push(h.ref.slice([], [dy, dy + out], [dx, dx + out], []));
    h.dispose(); // jax-js counts references: each slice took one of its own
    const cols = np.stack(slices, 3).reshape([B * out * out, k * k * c]);
    return np.dot(cols, w).add(b).reshape([B, out, out, -1]);
  };
  // jax-js moves arrays into the functions they are passed to: .ref where one is used twice
  const loss = (p, xs, ys) => {
    let h = lax.conv(xs.reshape([B, 1, 28, 28]), p[0], [1, 1], 'VALID'); // (B, 8, 24, 24)
    h = pool2(nn.relu(np.transpose(h, [0, 2, 3, 1]).add(p[1])), 24, 8); // (B, 12, 12, 8)
    h = pool2(nn.relu(convIm2col(h, p[2], p[3], 12, 5, 8)), 8, 16).reshape([B, 256]);
    h = nn.relu(np.dot(h, p[4]).add(p[5]));
    h = np.dot(h, p[6]).add(p[7]);
    return nn
      .logSoftmax(h)
      .mul(nn.oneHot(ys, 10))
      .sum()
      .mul(-1 / B);
  };
  const update = jit((p, xs, ys) => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xs, ys);
    return [l, tree.map((w, gw) => w.sub(gw.mul(RATE)), p, g)];
  });
  const probeLoss = jit(loss);
  const batchAt = (at) => [
    np.array(x.subarray(at * 784, (at + B) * 784)).reshape([B, 784]),
    np.array(y.subarray(at, at + B), { dtype: np.int32 }),
  ];
  let next = 0;
  const trainer = {
    async train(steps) {
      for (let s = 0; s < steps; s++) {
        let l;
        [l, params] = update(params, ...batchAt((next++ % Math.floor(n / B)) * B));
        await blockUntilReady(params);
        l.dispose();
      }
    },
    probe: () => probeLoss(tree.ref(params), ...batchAt(n)).jsAsync(),
    dispose() {
      tree.dispose(params);
    },
  };
  await trainer.train(1); // jit traces and compiles here
  return trainer;
}

// ---- ConvNetJS ------------------------------------------------------------------
// Its Trainer takes one sample at a time and steps every batch_size samples
// with the mean gradient; momentum 0 and no decay make that plain SGD.

async function openConvnetjs(data) {
  const convnetjs = (await load('convnetjs')).default;
  const { n, x, y } = floats(data);
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 8, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 128, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  const sgd = new convnetjs.Trainer(net, {
    method: 'sgd',
    learning_rate: RATE,
    batch_size: BATCH,
    momentum: 0,
    l2_decay: 0,
  });
  const vols = [];
  for (let i = 0; i < n + BATCH; i++) {
    const v = new convnetjs.Vol(28, 28, 1, 0);
    v.w.set(x.subarray(i * 784, (i + 1) * 784));
    vols.push(v);
  }
  let next = 0;
  const trainer = {
    async train(steps) {
      for (let i = 0; i < steps * BATCH; i++, next = (next + 1) % n) sgd.train(vols[next], y[next]);
    },
    async probe() {
      let sum = 0;
      for (let i = n; i < n + BATCH; i++) sum -= Math.log(net.forward(vols[i]).w[y[i]]);
      return sum / BATCH;
    },
    dispose() {},
  };
  await trainer.train(1);
  return trainer;
}

// ---- TensorFlow.js --------------------------------------------------------------

async function openTf(data, backend) {
  const tf = await load('@tensorflow/tfjs');
  if (backend === 'wasm') {
    const wasm = await load('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
  }
  tf.enableProdMode(); // as a page in production; it also drops a note on tfjs-node, a native backend
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js has no ${backend} backend here`);
  await tf.ready();
  const { n, x, y } = floats(data);
  const xs = tf.tensor4d(x, [n + BATCH, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 10);
  // He's normal weights, as for jax-js above: from its default (Glorot's) the
  // loss falls too slowly for the few batches timed here to show it
  const he = (i) => ({ kernelInitializer: tf.initializers.heNormal({ seed: SEED + i }) });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], kernelSize: 5, filters: 8, activation: 'relu', ...he(0) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ kernelSize: 5, filters: 16, activation: 'relu', ...he(1) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu', ...he(2) }),
      tf.layers.dense({ units: 10, activation: 'softmax', ...he(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(RATE), loss: 'categoricalCrossentropy' });
  const batchAt = (at) => [xs.slice(at, BATCH), ys.slice(at, BATCH)];
  let next = 0;
  const trainer = {
    async train(steps) {
      await tf.setBackend(backend); // where two of these trainers live side by side
      for (let s = 0; s < steps; s++) {
        const batch = batchAt((next++ % Math.floor(n / BATCH)) * BATCH);
        await model.trainOnBatch(...batch); // resolves with the loss: the step is done
        tf.dispose(batch);
      }
    },
    async probe() {
      await tf.setBackend(backend);
      const batch = batchAt(n);
      const loss = model.evaluate(...batch, { batchSize: BATCH });
      const value = (await loss.data())[0];
      tf.dispose([...batch, loss]);
      return value;
    },
    dispose() {
      tf.dispose([xs, ys]);
      model.dispose();
    },
  };
  try {
    await trainer.train(1);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  return trainer;
}

/** The peers, in the order the bench runs them. */
export const PEERS = [
  { name: `jax-js ${version('@jax-js/jax')} wasm`, open: openJax },
  { name: `ConvNetJS ${version('convnetjs')}`, open: openConvnetjs },
  { name: `TensorFlow.js ${version('@tensorflow/tfjs')} cpu`, open: (d) => openTf(d, 'cpu') },
  { name: `TensorFlow.js ${version('@tensorflow/tfjs')} wasm`, open: (d) => openTf(d, 'wasm') },
];
