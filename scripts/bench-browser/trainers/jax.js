// jax-js's trainer for the browser bench: @jax-js/jax on its wasm device,
// the same network as a jitted update (valueAndGrad of the loss, then the
// SGD step, in one jit) fed one mini-batch per step from floats made once
// beforehand: of the ways tried (slicing a whole-set array on the device,
// jit of the gradient alone, no jit), the fastest. jax-js picks its threads
// itself: a pool of navigator.hardwareConcurrency kernel workers when
// SharedArrayBuffer exists (a cross-origin isolated page), else one thread;
// so its one-thread setting is the same page without isolation.
import { init, defaultDevice, jit, nn, numpy as np, random, tree, valueAndGrad, blockUntilReady } from '@jax-js/jax';

/** See worker.js for what a trainer is. */
export async function createTrainer({ data, batch, network, seed }) {
  const devices = await init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js has no wasm device here (it has: ${devices.join(', ')})`);
  defaultDevice('wasm');
  const { layers, learningRate } = network;
  if (network.activation !== 'sigmoid') throw new Error(`trainer written for sigmoid, not ${network.activation}`);
  const { n } = data;
  const inputs = layers[0],
    classes = layers[layers.length - 1];
  const x = Float32Array.from(data.images, (v) => v / 255);
  const y = Int32Array.from(data.labels);

  // weights W[in][out] drawn from a normal scaled by sqrt(1/fan-in), biases 0
  const keys = [...random.split(random.key(seed), layers.length - 1)];
  let params = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    params.push(random.normal(keys[i], [layers[i], layers[i + 1]]).mul(Math.sqrt(1 / layers[i])));
    params.push(np.zeros([layers[i + 1]]));
  }
  // jax-js moves arrays into the functions they are passed to: .ref where one is used twice
  const loss = (p, xs, ys) => {
    let h = xs;
    for (let i = 0; i < p.length; i += 2) {
      const z = np.dot(h, p[i]).add(p[i + 1]);
      h = i + 2 < p.length ? nn.sigmoid(z) : z;
    }
    return nn
      .logSoftmax(h)
      .mul(nn.oneHot(ys, classes))
      .sum()
      .mul(-1 / batch);
  };
  const update = jit((p, xs, ys) => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xs, ys);
    return [l, tree.map((w, gw) => w.sub(gw.mul(learningRate)), p, g)];
  });
  await blockUntilReady(params);
  const batches = Math.floor(n / batch);
  let next = 0;

  return {
    used: {
      device: defaultDevice(),
      // the pool jax-js starts (its createWorkerPool): hardwareConcurrency workers where both exist
      threads:
        typeof SharedArrayBuffer === 'function' && typeof Worker === 'function'
          ? navigator.hardwareConcurrency || 4
          : 1,
    },
    async train(steps) {
      const losses = [];
      for (let s = 0; s < steps; s++) {
        const at = (next++ % batches) * batch;
        const xs = np.array(x.subarray(at * inputs, (at + batch) * inputs)).reshape([batch, inputs]);
        const ys = np.array(y.subarray(at, at + batch), { dtype: np.int32 });
        let l;
        [l, params] = update(params, xs, ys);
        await blockUntilReady(params);
        losses.push(l);
      }
      let sum = 0;
      for (const l of losses) sum += await l.jsAsync();
      return sum / steps;
    },
    dispose() {
      tree.dispose(params);
    },
  };
}
