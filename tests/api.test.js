// Every method of the package API, through the package's own name (so the
// exports map is tested too), against the built web/build/mnist.wasm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as api from 'mnist-wasm';
import { createNetwork, loadNetwork, parseIdx, init, heapUsed, defaultWasmUrl, Network } from 'mnist-wasm';
import { pathToFileURL } from 'node:url';
import { defaultData, dataFile, dataDir, equalBytes, fillHuge } from './helpers/common.js';

let data;
test.before(async () => {
  await init();
  data = await defaultData();
});

const first = (n) => ({ images: data.trainImages.subarray(0, n * 784), labels: data.trainLabels.subarray(0, n) });

test('exports: the DESIGN.md names, nothing unexpected', () => {
  for (const name of [
    'createNetwork',
    'loadNetwork',
    'parseIdx',
    'fetchIdx',
    'streamIdx',
    'init',
    'heapUsed',
    'defaultWasmUrl',
    'Network',
  ])
    assert.type(api[name], 'function', name);
  assert.ok(defaultWasmUrl().href.endsWith('/web/build/mnist.wasm'));
});

test('createNetwork: defaults come from C and are reported by options', async () => {
  const net = await createNetwork();
  const o = net.options;
  assert.equal(o.layers, [784, 128, 64, 10]);
  assert.is(o.activation, 'sigmoid');
  assert.is(o.optimizer, 'sgd');
  assert.is(o.seed, 1);
  assert.ok(o.learningRate > 0 && o.batchSize >= 1);
  assert.is(net.inputs, 784);
  assert.is(net.classes, 10);
  assert.is(net.steps, 0);
  assert.is(net.disposed, false);
  assert.ok(net instanceof Network);
  net.dispose();
});

test('createNetwork: every option is applied', async () => {
  const opts = {
    layers: [784, 32, 10],
    activation: 'tanh',
    input: 'raw',
    optimizer: 'adam',
    learningRate: 0.01,
    momentum: 0.5,
    beta1: 0.8,
    beta2: 0.99,
    epsilon: 1e-7,
    batchSize: 16,
    seed: 2n ** 60n + 5n,
    schedule: 'cosine',
    weightDecay: 0.0005,
    augment: { shift: 1.5, rotate: 8, scale: 0.05, shear: 0.1, elastic: 1 },
  };
  const net = await createNetwork(opts);
  assert.equal(net.options, { ...opts, threads: 1 });
  // augment: true is the defaults of --augment, false none
  const on = await createNetwork({ augment: true });
  assert.equal(on.options.augment, { shift: 2, rotate: 10, scale: 0.1, shear: 0.15, elastic: 1.5 });
  on.setOptions({ augment: false, schedule: 'step' });
  assert.equal(
    [on.options.augment, on.options.schedule],
    [{ shift: 0, rotate: 0, scale: 0, shear: 0, elastic: 0 }, 'step'],
  );
  on.dispose();
  assert.is(net.parameters().length, 784 * 32 + 32 + 32 * 10 + 10);
  net.dispose();
});

test('Network is not constructible directly', () => {
  assert.throws(
    () => new Network(),
    (e) => e instanceof TypeError && /createNetwork/.test(e.message),
  );
});

test('step: one update, returns the mean loss, counts steps', async () => {
  const net = await createNetwork({ seed: 3 });
  const { images, labels } = first(32);
  const before = net.parameters();
  const loss = net.step(images, labels);
  assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
  assert.is(net.steps, 1);
  assert.not.ok(equalBytes(before, net.parameters()), 'weights changed');
  // the same batch again: the loss went down
  assert.ok(net.step(images, labels) < loss);
  // a batch larger than batchSize is one update too
  net.step(first(100).images, first(100).labels);
  assert.is(net.steps, 3);
  net.dispose();
});

test('train: epochs, onProgress per chunk, result shape', async () => {
  const net = await createNetwork({ batchSize: 32, learningRate: 0.5 });
  const { images, labels } = first(3000);
  const seen = [];
  const r = net.train(images, labels, { epochs: 2, onProgress: (p) => seen.push(p) });
  assert.is(r.samples, 6000);
  assert.ok(r.loss > 0 && r.loss < 2.4, `loss ${r.loss}`);
  assert.ok(r.seconds >= 0);
  assert.is(net.steps, 2 * Math.ceil(3000 / 32));
  assert.ok(seen.length >= 4, `${seen.length} progress calls`);
  const last = seen[seen.length - 1];
  assert.equal(
    { epoch: last.epoch, epochs: last.epochs, seen: last.seen, total: last.total, samples: last.samples },
    { epoch: 2, epochs: 2, seen: 3000, total: 3000, samples: 6000 },
  );
  assert.ok(Math.abs(last.loss - r.loss) < 1e-12, 'the last progress loss is the epoch mean');
  for (const p of seen.filter((q) => q.seen < q.total)) assert.is(p.seen % 32, 0, 'chunks are whole mini-batches');
  net.dispose();
});

test('train: shuffle false equals the same mini-batches through step', async () => {
  const a = await createNetwork({ batchSize: 10, seed: 9 });
  const b = await createNetwork({ batchSize: 10, seed: 9 });
  const { images, labels } = first(55);
  a.train(images, labels, { shuffle: false });
  for (let at = 0; at < 55; at += 10) {
    const end = Math.min(55, at + 10);
    b.step(images.subarray(at * 784, end * 784), labels.subarray(at, end));
  }
  assert.ok(equalBytes(a.save(), b.save()), 'identical model files');
  a.dispose();
  b.dispose();
});

test('predict: one image gives classes probabilities; n images give n rows', async () => {
  const net = await createNetwork();
  net.train(first(2000).images, first(2000).labels);
  const one = net.predict(data.testImages.subarray(0, 784));
  assert.instance(one, Float32Array);
  assert.is(one.length, 10);
  const sum = one.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, `sums to ${sum}`);
  const many = net.predict(data.testImages.subarray(0, 784 * 50)); // more than the scratch rows
  assert.is(many.length, 500);
  for (let i = 0; i < 50; i += 7) {
    const single = net.predict(data.testImages.subarray(i * 784, (i + 1) * 784));
    assert.equal(Array.from(many.subarray(i * 10, i * 10 + 10)), Array.from(single), `row ${i}`);
  }
  net.dispose();
});

test('images as Float32Array give exactly what bytes give (x / 255 as C scales it)', async () => {
  const net = await createNetwork();
  const bytes = data.testImages.subarray(0, 784 * 20);
  const inv = Math.fround(1 / 255);
  const floats = Float32Array.from(bytes, (v) => Math.fround(v * inv));
  assert.equal(Array.from(net.predict(floats)), Array.from(net.predict(bytes)));
  const clamped = new Uint8ClampedArray(bytes);
  assert.equal(Array.from(net.predict(clamped)), Array.from(net.predict(bytes)));
  net.dispose();
});

test('evaluate: accuracy, loss and a confusion matrix that adds up', async () => {
  const net = await createNetwork();
  net.train(first(4000).images, first(4000).labels);
  const r = net.evaluate(data.testImages, data.testLabels);
  // one epoch of 4,000 digits with the defaults reaches 82.1%
  assert.ok(r.accuracy >= 0.815 && r.accuracy <= 1, `accuracy ${r.accuracy}`);
  assert.ok(r.loss > 0 && Number.isFinite(r.loss));
  assert.is(r.confusion.length, 10);
  let total = 0,
    diagonal = 0;
  r.confusion.forEach((row, label) => {
    assert.is(row.length, 10);
    row.forEach((c, p) => {
      total += c;
      if (p === label) diagonal += c;
    });
    const count = data.testLabels.filter((l) => l === label).length;
    assert.is(
      row.reduce((s, c) => s + c, 0),
      count,
      `row ${label} counts the label's samples`,
    );
  });
  assert.is(total, 2000);
  assert.ok(Math.abs(diagonal / 2000 - r.accuracy) < 1e-12);
  net.dispose();
});

test('save / loadNetwork: a round trip keeps weights, options and counters', async () => {
  const net = await createNetwork({
    layers: [784, 40, 10],
    activation: 'relu',
    optimizer: 'momentum',
    learningRate: 0.05,
    batchSize: 20,
    seed: 11,
  });
  net.train(first(500).images, first(500).labels);
  const bytes = net.save();
  assert.instance(bytes, Uint8Array);
  assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), 'MNWM');
  const copy = await loadNetwork(bytes);
  assert.equal(copy.options, net.options);
  assert.is(copy.steps, net.steps);
  assert.equal(Array.from(copy.parameters()), Array.from(net.parameters()));
  assert.ok(equalBytes(copy.save(), bytes), 'save(load(x)) is x');
  assert.equal(
    Array.from(copy.predict(data.testImages.subarray(0, 784))),
    Array.from(net.predict(data.testImages.subarray(0, 784))),
  );
  const fromBuffer = await loadNetwork(bytes.slice().buffer);
  assert.ok(equalBytes(fromBuffer.save(), bytes), 'an ArrayBuffer loads too');
  for (const n of [net, copy, fromBuffer]) n.dispose();
});

test('a convnet: layers as text or items, trains, reads its layers back, saves and loads the same', async () => {
  const text = '28x28,conv5x4,pool2,conv3x8,pool2,10';
  const net = await createNetwork({ layers: text, activation: 'relu', learningRate: 0.05, batchSize: 16 });
  const items = await createNetwork({ layers: ['28x28', 'conv5x4', 'pool2', 'conv3x8', 'pool2', 10] });
  assert.equal(net.options.layers, ['28x28', 'conv5x4', 'pool2', 'conv3x8', 'pool2', 10]);
  assert.equal(items.options.layers, net.options.layers);
  assert.is(net.inputs, 784);
  assert.is(net.classes, 10);
  net.train(first(3000).images, first(3000).labels);
  const r = net.evaluate(data.testImages.subarray(0, 1000 * 784), data.testLabels.subarray(0, 1000));
  assert.ok(r.accuracy > 0.8, `accuracy ${r.accuracy}`);
  // the inside view: each layer's output, the maps flattened (rows x cols x channels)
  const a = net.activations(data.testImages.subarray(0, 784));
  assert.equal(
    a.map((x) => x.length),
    [24 * 24 * 4, 12 * 12 * 4, 10 * 10 * 8, 5 * 5 * 8, 10],
  );
  // the layers as C lays them out: shapes that match the activations, parameters that tile the buffer
  const layers = net.layers;
  assert.equal(
    layers.map((l) => l.type),
    ['conv', 'pool', 'conv', 'pool', 'dense'],
  );
  assert.equal(
    layers.map((l) => l.output.rows * l.output.cols * l.output.channels),
    a.map((x) => x.length),
  );
  assert.equal(layers[2].input, { rows: 12, cols: 12, channels: 4 });
  assert.equal([layers[2].kernel, layers[2].units, layers[2].fanIn], [3, 8, 4 * 3 * 3]);
  assert.is(layers[1].weights, null);
  let at = 0;
  for (const l of layers.filter((l) => l.units)) {
    assert.equal([l.weights.offset, l.biases.offset], [at, at + l.weights.length]);
    at += l.weights.length + l.biases.length;
  }
  assert.is(at, net.parameters().length);
  const bytes = net.save();
  assert.equal([...bytes.subarray(4, 8)], [4, 0, 0, 0], 'format version 4');
  const back = await loadNetwork(bytes);
  assert.equal(back.options.layers, net.options.layers);
  assert.ok(equalBytes(back.save(), bytes), 'saves back the same bytes');
  const some = data.testImages.subarray(0, 50 * 784);
  assert.equal(back.predict(some), net.predict(some));
  for (const n of [net, items, back]) n.dispose();
});

test('defaults follow the stack and the optimizer where they are not given', async () => {
  const conv = await createNetwork({ layers: '28x28,conv5x8,pool2,conv5x16,pool2,128,10' });
  const o = (n) => [n.options.optimizer, n.options.activation, n.options.learningRate, n.options.batchSize];
  assert.equal([...o(conv), conv.options.weightDecay], ['momentum', 'relu', 0.03, 32, 0.005]);
  const given = await createNetwork({ layers: '28x28,conv5x8,pool2,10', activation: 'tanh', batchSize: 4 });
  assert.equal(o(given), ['momentum', 'tanh', 0.03, 4]);
  const convAdam = await createNetwork({ layers: '28x28,conv5x8,pool2,10', optimizer: 'adam' });
  assert.equal([...o(convAdam), convAdam.options.weightDecay], ['adam', 'relu', 0.003, 32, 0.03]);
  const convSgd = await createNetwork({ layers: '28x28,conv5x8,pool2,10', optimizer: 'sgd', weightDecay: 0 });
  assert.equal([...o(convSgd), convSgd.options.weightDecay], ['sgd', 'relu', 0.1, 32, 0]);
  const adam = await createNetwork({ optimizer: 'adam' });
  assert.equal([...o(adam), adam.options.weightDecay], ['adam', 'sigmoid', 0.001, 8, 0]);
  const momentum = await createNetwork({ optimizer: 'momentum', learningRate: 0.2 });
  assert.is(momentum.options.learningRate, 0.2);
  convAdam.dispose();
  convSgd.dispose();
  for (const n of [conv, given, adam, momentum]) n.dispose();
});

test('setOptions: learning rate, batch size and optimizer', async () => {
  const net = await createNetwork({ seed: 4 });
  net.step(first(8).images, first(8).labels);
  const weights = net.parameters();
  net.setOptions({ learningRate: 0.25, batchSize: 64, optimizer: 'adam' });
  assert.is(net.options.learningRate, 0.25);
  assert.is(net.options.batchSize, 64);
  assert.is(net.options.optimizer, 'adam');
  assert.equal(Array.from(net.parameters()), Array.from(weights), 'weights kept');
  assert.is(net.steps, 1, 'counters kept');
  net.train(first(256).images, first(256).labels);
  assert.is(net.steps, 1 + 4);
  net.dispose();
});

test('dispose: idempotent, later calls throw Error naming it', async () => {
  const net = await createNetwork();
  net.dispose();
  net.dispose();
  assert.is(net.disposed, true);
  const { images, labels } = first(1);
  for (const [name, call] of [
    ['train', () => net.train(images, labels)],
    ['step', () => net.step(images, labels)],
    ['predict', () => net.predict(images)],
    ['evaluate', () => net.evaluate(images, labels)],
    ['save', () => net.save()],
    ['parameters', () => net.parameters()],
    ['setOptions', () => net.setOptions({})],
    ['options', () => net.options],
  ]) {
    assert.throws(
      call,
      (e) => e instanceof Error && /network disposed/.test(e.message) && e.message.startsWith(name),
      name,
    );
  }
});

test('many networks share one instance and do not disturb each other', async () => {
  const { images, labels } = first(400);
  // a constant rate: a run of 2 epochs is then the same as 2 runs of 1
  const solo = await createNetwork({ seed: 5, schedule: 'constant' });
  solo.train(images, labels, { epochs: 2 });
  const a = await createNetwork({ seed: 5, schedule: 'constant' });
  const b = await createNetwork({ seed: 6, layers: [784, 20, 10] });
  for (let e = 0; e < 2; e++) {
    a.train(images, labels);
    b.train(images, labels);
  }
  assert.ok(equalBytes(a.save(), solo.save()), 'interleaved training gives the same weights');
  assert.not.ok(equalBytes(a.save(), b.save()));
  for (const n of [solo, a, b]) n.dispose();
});

test('C errors become Errors with code, e.g. a diverging loss', async () => {
  const net = await createNetwork({ activation: 'relu' });
  const huge = fillHuge(new Float32Array(784 * 8), 0, 784 * 8);
  const before = net.save();
  const e = await (async () => {
    try {
      net.step(huge, new Uint8Array(8));
    } catch (err) {
      return err;
    }
  })();
  assert.instance(e, Error);
  assert.is(e.code, 'NN_ERR_DIVERGED');
  assert.match(e.message, /^step: training diverged/);
  assert.ok(equalBytes(net.save(), before), 'weights kept at the last finite state');
  net.dispose();
});

test('parseIdx: gzip and raw bytes give the same samples', async () => {
  const gz = dataFile('t10k-labels-idx1-ubyte');
  const a = await parseIdx(gz);
  assert.equal(a.dims, [2000]);
  const { gunzipSync } = await import('node:zlib');
  const raw = new Uint8Array(gunzipSync(gz));
  const b = await parseIdx(raw);
  assert.equal(b.dims, [2000]);
  assert.ok(equalBytes(a.data, b.data));
  const c = await parseIdx(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  assert.ok(equalBytes(c.data, b.data), 'an ArrayBuffer parses too');
  const img = await parseIdx(dataFile('t10k-images-idx3-ubyte'));
  assert.equal(img.dims, [2000, 28, 28]);
  assert.is(img.data.length, 2000 * 784);
});

test('loadMnist: sets picks the sets; a dataset trains a network as far as its labels go', async () => {
  const { test: t, ...rest } = await api.loadMnist(pathToFileURL(`${dataDir}/`), { sets: ['test'], classes: 256 });
  assert.equal(Object.keys(rest), [], 'only the test set');
  assert.is(t.ready, 2000);
  assert.is(t.classes, 256);
  assert.is(t.maxLabel, Math.max(...data.testLabels));
  const net = await createNetwork({ seed: 3 });
  const a = net.evaluate(t);
  const b = net.evaluate(data.testImages, data.testLabels);
  assert.equal(a, b, 'a dataset declared with 256 classes evaluates on a 10-output network');
  net.train(t);
  const small = await createNetwork({ layers: [784, 16, 5] });
  assert.throws(
    () => small.train(t),
    (e) => e instanceof RangeError && /labels up to 9 but the network only 5 outputs/.test(e.message),
  );
  await api.openMnist(dataDir, { sets: ['valid'] }).then(
    () => assert.unreachable('sets checked'),
    (e) => assert.instance(e, TypeError),
  );
  for (const x of [net, small, t]) x.dispose();
});

test('no leaks: heap in use returns to where it was', async () => {
  const { images, labels } = first(300);
  const before = await heapUsed();
  for (let i = 0; i < 3; i++) {
    const net = await createNetwork({ optimizer: 'adam' });
    net.train(images, labels, { epochs: 1 });
    net.step(images.subarray(0, 784 * 200), labels.subarray(0, 200)); // grows the scratch
    net.predict(images);
    net.evaluate(images, labels);
    const copy = await loadNetwork(net.save());
    copy.setOptions({ optimizer: 'sgd' });
    copy.dispose();
    net.dispose();
    await parseIdx(dataFile('t10k-labels-idx1-ubyte'));
    // a refused load frees what it took; one that loaded would be the bug
    await loadNetwork(new Uint8Array(100)).then(
      () => assert.unreachable('100 zero bytes loaded as a model'),
      () => {},
    );
  }
  assert.is(await heapUsed(), before);
});

test.run();
