// net.gradients, net.gradientCheck and net.layerParameters: against a
// backprop written here from the article's equations (dense, sigmoid, raw
// pixels), against central finite differences for every layer kind and
// activation, against the change one SGD step makes, and the network left
// as it was by all three.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNetwork, init, heapUsed } from 'mnist-wasm';
import { defaultData } from './helpers/common.js';

const CONVNET = '28x28,conv5x8,pool2,conv5x16,pool2,128,10';
let data;
test.before(async () => {
  await init();
  data = await defaultData();
});

const image = (i) => data.testImages.subarray(i * 784, (i + 1) * 784);
const label = (i) => data.testLabels[i];

/** max |a - b| over max |b| */
function relDiff(a, b) {
  let d = 0,
    m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

// The article's equations in double: z = W a + b, a = sigmoid(z), softmax
// out; delta_L = p - y, delta_l = a (1 - a) (W_{l+1}^T delta_{l+1});
// dW = delta a_prev^T, db = delta.
function articleBackprop(params, sizes, x, y) {
  const L = params.length;
  const a = [Array.from(x, (v) => v / 255)],
    z = [null];
  for (let l = 0; l < L; l++) {
    const { weights: W, biases: b } = params[l];
    const n = sizes[l + 1],
      m = sizes[l];
    const zl = new Float64Array(n);
    for (let o = 0; o < n; o++) {
      let s = b[o];
      for (let i = 0; i < m; i++) s += W[o * m + i] * a[l][i];
      zl[o] = s;
    }
    z.push(zl);
    if (l < L - 1) a.push(zl.map((v) => 1 / (1 + Math.exp(-v))));
    else {
      const max = Math.max(...zl);
      const e = zl.map((v) => Math.exp(v - max));
      const sum = e.reduce((p, q) => p + q, 0);
      a.push(e.map((v) => v / sum));
    }
  }
  const delta = new Array(L + 1);
  delta[L] = a[L].map((p, j) => p - (j === y ? 1 : 0));
  for (let l = L - 1; l >= 1; l--) {
    const W = params[l].weights,
      n = sizes[l + 1],
      m = sizes[l];
    delta[l] = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let o = 0; o < n; o++) s += W[o * m + i] * delta[l + 1][o];
      delta[l][i] = a[l][i] * (1 - a[l][i]) * s;
    }
  }
  const layers = [];
  for (let l = 0; l < L; l++) {
    const n = sizes[l + 1],
      m = sizes[l];
    const dW = new Float64Array(n * m);
    for (let o = 0; o < n; o++) for (let i = 0; i < m; i++) dW[o * m + i] = delta[l + 1][o] * a[l][i];
    layers.push({ z: z[l + 1], activations: a[l + 1], delta: delta[l + 1], weights: dW, biases: delta[l + 1] });
  }
  return { loss: -Math.log(a[L][y]), layers };
}

test('gradients: equal to the article backprop, dense sigmoid raw, to relative 1e-5', async () => {
  const net = await createNetwork({ layers: [784, 128, 64, 10], activation: 'sigmoid', input: 'raw', seed: 4 });
  net.train(data.trainImages.subarray(0, 784 * 300), data.trainLabels.subarray(0, 300), { epochs: 1 });
  for (const i of [0, 7]) {
    const y = (label(i) + i) % 10; // the true label, and a wrong one
    const g = net.gradients(image(i), y);
    const want = articleBackprop(net.layerParameters(), [784, 128, 64, 10], image(i), y);
    assert.ok(Math.abs(g.loss - want.loss) < 1e-5 * want.loss, `loss ${g.loss} vs ${want.loss}`);
    assert.is(g.probabilities, g.layers[2].activations);
    assert.is(g.layers.length, 3);
    g.layers.forEach((got, l) => {
      assert.is(got.type, 'dense');
      for (const k of ['z', 'activations', 'delta', 'weights', 'biases']) {
        const e = relDiff(got[k], want.layers[l][k]);
        assert.ok(e < 1e-5, `image ${i} layer ${l} ${k}: relative ${e}`);
      }
    });
  }
  net.dispose();
});

test('gradients: shapes of net.layers, convolution maps channel fastest, pooling z = output', async () => {
  const net = await createNetwork({ layers: CONVNET, seed: 2 });
  const g = net.gradients(image(1), label(1));
  const layers = net.layers;
  assert.equal(
    g.layers.map((y) => y.type),
    layers.map((y) => y.type),
  );
  g.layers.forEach((y, l) => {
    const o = layers[l].output;
    assert.is(y.z.length, o.rows * o.cols * o.channels, `layer ${l}`);
    assert.is(y.delta.length, y.z.length);
    if (layers[l].weights) {
      assert.is(y.weights.length, layers[l].weights.length);
      assert.is(y.biases.length, layers[l].units);
    } else assert.is(y.weights, undefined);
    if (y.type === 'pool') assert.equal(Array.from(y.z), Array.from(y.activations));
  });
  // relu: a convolution's output is max(z, 0), element by element in the same layout
  const c = g.layers[0];
  assert.ok(c.z.every((v, i) => c.activations[i] === Math.max(v, 0)));
  // the first pooling's output (0, 0) channel 3 is the largest of its 2x2 window of the map
  const W = layers[0].output.cols,
    C = layers[0].output.channels;
  const win = [0, 1, W, W + 1].map((p) => c.activations[p * C + 3]);
  assert.is(g.layers[1].activations[3], Math.max(...win));
  // the probabilities are those of predict
  assert.equal(Array.from(g.probabilities), Array.from(net.predict(image(1))));
  net.dispose();
});

for (const [name, layers] of [
  ['dense', [784, 32, 16, 10]],
  ['convnet', CONVNET],
  ['odd shapes', '28x28,conv3x3,pool3,conv2x4,pool2,12,10'],
])
  for (const activation of ['sigmoid', 'tanh', 'relu'])
    for (const input of ['raw', 'centred'])
      test(`gradientCheck: ${name} ${activation} ${input} below 1e-4 (relu away from kinks)`, async () => {
        const net = await createNetwork({ layers, activation, input, seed: 9 });
        net.train(data.trainImages.subarray(0, 784 * 64), data.trainLabels.subarray(0, 64), { epochs: 1 });
        const c = net.gradientCheck(image(3), label(3), { count: 8 });
        assert.is(c.layers.length, net.layers.length);
        net.layers.forEach((y, l) => {
          if (!y.weights) assert.is(c.layers[l].checked, 0);
          else assert.ok(c.layers[l].checked + c.layers[l].atKinks >= 8, `layer ${l}: ${JSON.stringify(c.layers[l])}`);
          if (activation !== 'relu' && typeof layers !== 'string') assert.is(c.layers[l].atKinks, 0);
        });
        assert.ok(c.layers.reduce((n, y) => n + y.checked, 0) >= 8 * 3, 'checked');
        assert.ok(c.maxRelativeError < 1e-4, `largest relative error ${c.maxRelativeError}`);
        assert.is(c.maxRelativeError, Math.max(...c.layers.map((y) => y.maxRelativeError)));
        net.dispose();
      });

for (const layers of [[784, 32, 10], CONVNET])
  test(`step: raw, sgd, batch 1, constant, no decay moves each parameter by -lr * gradient (${layers})`, async () => {
    const net = await createNetwork({
      layers,
      activation: 'sigmoid',
      input: 'raw',
      optimizer: 'sgd',
      batchSize: 1,
      schedule: 'constant',
      weightDecay: 0,
      learningRate: 0.1,
      seed: 5,
    });
    const g = net.gradients(image(5), label(5));
    const before = net.parameters();
    const grads = new Float32Array(before.length);
    net.layers.forEach((y, l) => {
      if (!y.weights) return;
      grads.set(g.layers[l].weights, y.weights.offset);
      grads.set(g.layers[l].biases, y.biases.offset);
    });
    net.step(image(5), new Uint8Array([label(5)]));
    const after = net.parameters();
    const lr = Math.fround(0.1);
    let bad = 0,
      moved = 0;
    for (let i = 0; i < before.length; i++) {
      const want = Math.fround(before[i] - Math.fround(lr * grads[i]));
      if (after[i] !== before[i]) moved++;
      // one rounding of w - lr g: a unit or two in the last place
      if (Math.abs(after[i] - want) > 2.5e-7 * (Math.abs(before[i]) + Math.abs(lr * grads[i]))) bad++;
    }
    assert.is(bad, 0, `${bad} parameters moved other than by -lr * gradient`);
    assert.ok(moved > before.length / 50, `${moved} moved`);
    net.dispose();
  });

test('step with centred input: the first layer moves by -lr * delta x, the gradient being delta (x - mean)', async () => {
  const net = await createNetwork({
    layers: [784, 16, 10],
    input: 'centred',
    optimizer: 'sgd',
    batchSize: 1,
    schedule: 'constant',
    learningRate: 0.1,
    seed: 6,
  });
  const x = image(2);
  const g = net.gradients(x, label(2));
  let mean = 0;
  for (const v of x) mean += v / 255;
  mean /= 784;
  const before = net.parameters();
  net.step(x, new Uint8Array([label(2)]));
  const after = net.parameters();
  const lr = Math.fround(0.1),
    dW = g.layers[0].weights,
    db = g.layers[0].biases;
  let worst = 0;
  for (let o = 0; o < 16; o++)
    for (let i = 0; i < 784; i++) {
      const k = o * 784 + i;
      const want = before[k] - lr * (dW[k] + db[o] * mean); // delta x = delta (x - m) + delta m
      worst = Math.max(worst, Math.abs(after[k] - want));
    }
  assert.ok(worst < 1e-6, `largest difference ${worst}`);
  net.dispose();
});

test('gradients, gradientCheck, layerParameters change nothing: later training gives the same bits', async () => {
  for (const optimizer of ['sgd', 'adam'])
    for (const input of ['raw', 'centred']) {
      const o = { layers: '28x28,conv3x4,pool2,24,10', optimizer, input, seed: 8, batchSize: 1 };
      const a = await createNetwork(o),
        b = await createNetwork(o);
      const imgs = data.trainImages.subarray(0, 784 * 20),
        labs = data.trainLabels.subarray(0, 20);
      for (let k = 0; k < 3; k++) {
        const steps = a.steps;
        a.gradients(image(k), label(k));
        a.gradientCheck(image(k), label(k), { count: 3 });
        a.layerParameters();
        assert.is(a.steps, steps);
        a.train(imgs, labs, { epochs: 1 });
        b.train(imgs, labs, { epochs: 1 });
      }
      assert.equal(Array.from(a.parameters()), Array.from(b.parameters()), `${optimizer} ${input}`);
      assert.equal(Array.from(a.predict(image(9))), Array.from(b.predict(image(9))));
      a.dispose();
      b.dispose();
    }
});

test('layerParameters: each parameterised layer, copied from parameters() in layer order', async () => {
  const net = await createNetwork({ layers: CONVNET, seed: 1 });
  const all = net.parameters(),
    per = net.layerParameters();
  const withParams = net.layers.filter((y) => y.weights);
  assert.is(per.length, withParams.length);
  per.forEach((p, k) => {
    assert.equal(
      Array.from(p.weights),
      Array.from(all.subarray(withParams[k].weights.offset, withParams[k].biases.offset)),
    );
    assert.is(p.biases.length, withParams[k].units);
    p.weights[0] += 1; // a copy
  });
  assert.equal(Array.from(net.parameters()), Array.from(all));
  net.dispose();
});

test('no heap kept: many calls leave the heap as one call does', async () => {
  const net = await createNetwork({ layers: CONVNET, seed: 1 });
  const once = () => {
    net.gradients(image(0), 1);
    net.gradientCheck(image(0), 1, { count: 2 });
    try {
      net.gradients(image(0), 11);
    } catch {
      // refused before anything is allocated
    }
  };
  once();
  const before = await heapUsed();
  for (let k = 0; k < 30; k++) once();
  assert.is(await heapUsed(), before);
  net.dispose();
});

test('bad arguments: one clear error each, nothing changed', async () => {
  const net = await createNetwork({ layers: [784, 16, 10], seed: 1 });
  const before = net.parameters();
  assert.throws(() => net.gradients(image(0), 10), /gradients: label must be an integer 0\.\.9, got 10/);
  assert.throws(() => net.gradients(image(0), 1.5), /label must be an integer/);
  assert.throws(() => net.gradients(image(0)), /label must be an integer 0\.\.9, got undefined/);
  assert.throws(() => net.gradients(new Uint8Array(783), 1), /images\.length 783/);
  assert.throws(() => net.gradients(data.testImages.subarray(0, 784 * 2), 1), /at most 1/);
  assert.throws(() => net.gradientCheck(image(0), 1, { count: 0 }), /count must be an integer 1\.\.1000/);
  assert.throws(() => net.gradientCheck(image(0), 1, { count: 1001 }), /count must be an integer 1\.\.1000/);
  assert.throws(() => net.gradientCheck(image(0), 1, 5), /options must be an object/);
  assert.equal(Array.from(net.parameters()), Array.from(before));
  net.dispose();
  assert.throws(() => net.gradients(image(0), 1), /disposed/);
  assert.throws(() => net.gradientCheck(image(0), 1), /disposed/);
  assert.throws(() => net.layerParameters(), /disposed/);
});

test.run();
