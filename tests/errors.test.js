// The bad-input table of the JS API: every wrong type, size, label, option,
// value or file is rejected with its exact error class and exact message
// (and, for errors from C, its code), and after each rejected call the
// network is unchanged: same save() bytes, same options. The Node command's
// table is tests/cli-errors.test.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { createNetwork, loadNetwork, parseIdx, fetchIdx, streamIdx, init } from 'mnist-wasm';
import { defaultData, equalBytes, fillHuge, idx, patchModel } from './helpers/common.js';

let data, net, relu, gone, other, good;
test.before(async () => {
  data = await defaultData();
  net = await createNetwork({ seed: 21, batchSize: 16 });
  net.train(data.trainImages.subarray(0, 64 * 784), data.trainLabels.subarray(0, 64)); // not at its initial state
  good = net.save();
  gone = await createNetwork();
  gone.dispose();
  other = await createNetwork({ layers: [100, 16, 3] }); // a model of another architecture
  relu = await createNetwork({ activation: 'relu', layers: [784, 32, 10], seed: 5 }); // unbounded units: overflow reaches the loss
  relu.step(img(8), data.testLabels.subarray(0, 8));
});
test.after(() => {
  net.dispose();
  other.dispose();
  relu.dispose();
});

const floats = (n, v = 0.5) => new Float32Array(n * 784).fill(v);
const huge = (n) => fillHuge(new Float32Array(n * 784), 0, n * 784);
const withNaN = () => {
  const f = floats(2);
  f[900] = NaN;
  return f;
};
const withInf = () => {
  const f = floats(1);
  f[3] = -Infinity;
  return f;
};
const badLabel = () => new Uint8Array([3, 10]);
const img = (n) => data.testImages.subarray(0, n * 784);
const detached = () => {
  const u = new Uint8Array(784);
  structuredClone(u.buffer, { transfer: [u.buffer] });
  return u;
};
const html = new TextEncoder().encode('<!doctype html><title>hello</title>');
const IMAGES = 'must be a Uint8Array of n*784 pixels (0..255) or a Float32Array (0..1)';
const NET_OPTIONS =
  'layers, activation, input, optimizer, learningRate, momentum, beta1, beta2, epsilon, batchSize, seed, schedule, weightDecay, augment, threads';
const SOURCE = 'source must be a URL string, URL, Response or ReadableStream';
const NOT_IDX = 'an IDX file of bytes starts with 00 00 08';

// [what, call, exact class, exact message (a RegExp only where a detail varies), code of a C error]
// After each, net (sigmoid, trained a little), relu and other must be unchanged.
const table = [
  // createNetwork: options
  [
    'learningRate negative',
    () => createNetwork({ learningRate: -1 }),
    RangeError,
    'learningRate must be in 1e-12..100, got -1',
  ],
  ['learningRate NaN', () => createNetwork({ learningRate: NaN }), RangeError, 'learningRate must be finite, got NaN'],
  [
    'learningRate Infinity',
    () => createNetwork({ learningRate: Infinity }),
    RangeError,
    'learningRate must be finite, got Infinity',
  ],
  [
    'learningRate a string',
    () => createNetwork({ learningRate: '0.1' }),
    TypeError,
    'learningRate must be a number, got string "0.1"',
  ],
  [
    'learningRate too large',
    () => createNetwork({ learningRate: 1000 }),
    RangeError,
    'learningRate must be in 1e-12..100, got 1000',
  ],
  [
    'layers neither a string nor an array',
    () => createNetwork({ layers: 784 }),
    TypeError,
    'layers must be a string such as "784,128,64,10" or an array of its items, got number 784',
  ],
  [
    'layers: one size',
    () => createNetwork({ layers: [784] }),
    RangeError,
    'layers: a stack needs an input and at least one layer',
  ],
  [
    'layers: ten sizes',
    () => createNetwork({ layers: Array(10).fill(10) }),
    RangeError,
    'layers: at most 8 layers after the input',
  ],
  [
    'a layer of 0',
    () => createNetwork({ layers: [784, 0, 10] }),
    RangeError,
    "layers: '0': a dense layer needs 1..4096 units",
  ],
  [
    'a negative layer',
    () => createNetwork({ layers: [784, -5, 10] }),
    RangeError,
    "layers: unknown item '-5' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'a layer over the limit',
    () => createNetwork({ layers: [784, 5000, 10] }),
    RangeError,
    "layers: '5000': a dense layer needs 1..4096 units",
  ],
  [
    'a huge layer',
    () => createNetwork({ layers: [784, 2 ** 40, 10] }),
    RangeError,
    "layers: unknown item '1099511627776' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'a fractional layer',
    () => createNetwork({ layers: [784, 12.5, 10] }),
    RangeError,
    'layers[1] must be an integer, got 12.5',
  ],
  ['a NaN layer', () => createNetwork({ layers: [784, NaN, 10] }), RangeError, 'layers[1] must be an integer, got NaN'],
  [
    'a layer given as a boolean',
    () => createNetwork({ layers: [784, true, 10] }),
    TypeError,
    'layers[1] must be a number of units or an item such as "conv5x8", got boolean true',
  ],
  [
    'one output class',
    () => createNetwork({ layers: [784, 1] }),
    RangeError,
    'layers: the last layer needs at least 2 units (one per class)',
  ],
  [
    'too many parameters',
    () => createNetwork({ layers: [4096, 4096, 4096, 4096, 4096, 10] }),
    RangeError,
    'layers: 67166218 weights and biases, over the limit of 67108864',
  ],
  [
    'a convolution after a flat input',
    () => createNetwork({ layers: '784,conv5x8,10' }),
    RangeError,
    "layers: 'conv5x8': a convolution needs an image, but its input is flat (784 values): start the stack with an image such as 28x28",
  ],
  [
    'a kernel larger than its input',
    () => createNetwork({ layers: ['28x28', 'conv5x8', 'pool2', 'conv5x16', 'pool2', 'conv5x4', 10] }),
    RangeError,
    "layers: 'conv5x4': the 5x5 kernel is larger than its input 4x4x16",
  ],
  [
    'pooling that leaves nothing',
    () => createNetwork({ layers: '28x28,pool2,pool2,pool2,pool2,pool2,10' }),
    RangeError,
    "layers: 'pool2': 2x2 pooling leaves nothing of its input 1x1x1",
  ],
  [
    'zero filters',
    () => createNetwork({ layers: '28x28,conv5x0,10' }),
    RangeError,
    "layers: 'conv5x0': a convolution needs 1..4096 filters",
  ],
  [
    'a stack that ends in pooling',
    () => createNetwork({ layers: '28x28,conv5x8,pool2' }),
    RangeError,
    'layers: the last layer must be dense, one unit per class (such as 10)',
  ],
  [
    'an unknown item',
    () => createNetwork({ layers: '28x28,dropout,10' }),
    RangeError,
    "layers: unknown item 'dropout' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'unknown activation',
    () => createNetwork({ activation: 'softplus' }),
    RangeError,
    'activation must be one of sigmoid, relu, tanh, got "softplus"',
  ],
  [
    'unknown input',
    () => createNetwork({ input: 'centered' }),
    RangeError,
    'input must be one of raw, centred, got "centered"',
  ],
  [
    'optimizer a number',
    () => createNetwork({ optimizer: 2 }),
    TypeError,
    'optimizer must be one of sgd, momentum, adam, got number 2',
  ],
  ['batchSize 0', () => createNetwork({ batchSize: 0 }), RangeError, 'batchSize must be in 1..4096, got 0'],
  [
    'batchSize over the limit',
    () => createNetwork({ batchSize: 5000 }),
    RangeError,
    'batchSize must be in 1..4096, got 5000',
  ],
  [
    'batchSize fractional',
    () => createNetwork({ batchSize: 1.5 }),
    RangeError,
    'batchSize must be an integer, got 1.5',
  ],
  ['momentum 1', () => createNetwork({ momentum: 1 }), RangeError, 'momentum must be in 0..0.999999, got 1'],
  ['epsilon 0', () => createNetwork({ epsilon: 0 }), RangeError, 'epsilon must be in 1e-30..1, got 0'],
  [
    'seed negative',
    () => createNetwork({ seed: -1 }),
    RangeError,
    'seed must be an integer in 0..2^53-1 (or a BigInt below 2^64), got -1',
  ],
  [
    'seed a string',
    () => createNetwork({ seed: '1' }),
    TypeError,
    'seed must be a non-negative integer or BigInt, got string "1"',
  ],
  [
    'seed BigInt too large',
    () => createNetwork({ seed: 1n << 64n }),
    RangeError,
    'seed must be below 2^64 and not negative, got 18446744073709551616',
  ],
  [
    'an unknown option',
    () => createNetwork({ learningrate: 0.1 }),
    TypeError,
    `createNetwork: unknown option "learningrate" (known: ${NET_OPTIONS})`,
  ],
  [
    'an unknown schedule',
    () => createNetwork({ schedule: 'linear' }),
    RangeError,
    'schedule must be one of constant, cosine, step, got "linear"',
  ],
  [
    'weight decay over its limit',
    () => createNetwork({ weightDecay: 0.2 }),
    RangeError,
    'weightDecay must be in 0..0.1, got 0.2',
  ],
  [
    'a rotation over its limit',
    () => createNetwork({ augment: { rotate: 90 } }),
    RangeError,
    'augment.rotate must be in 0..45, got 90',
  ],
  [
    'an unknown distortion',
    () => createNetwork({ augment: { blur: 1 } }),
    TypeError,
    'augment: unknown distortion "blur" (known: shift, rotate, scale, shear, elastic)',
  ],
  [
    'augment that is a number',
    () => createNetwork({ augment: 1 }),
    TypeError,
    'augment must be true, false or an object of { shift, rotate, scale, shear, elastic }, got number 1',
  ],
  [
    'options a string',
    () => createNetwork('fast'),
    TypeError,
    'createNetwork: options must be an object, got string "fast"',
  ],
  [
    'options an array',
    () => createNetwork([784, 10]),
    TypeError,
    'createNetwork: options must be an object, got Array(2)',
  ],

  // train / step / predict / evaluate: images
  [
    'train: images a plain array',
    () => net.train([1, 2, 3], new Uint8Array(1)),
    TypeError,
    `train: images ${IMAGES}, got Array(3)`,
  ],
  [
    'train: images an Int8Array',
    () => net.train(new Int8Array(784), new Uint8Array(1)),
    TypeError,
    `train: images ${IMAGES}, got Int8Array(784)`,
  ],
  [
    'train: images a Float64Array',
    () => net.train(new Float64Array(784), new Uint8Array(1)),
    TypeError,
    `train: images ${IMAGES}, got Float64Array(784)`,
  ],
  [
    'train: images not whole',
    () => net.train(new Uint8Array(783), new Uint8Array(1)),
    RangeError,
    'train: images.length 783 is not a positive multiple of 784 (the pixels of one image)',
  ],
  [
    'train: images empty',
    () => net.train(new Uint8Array(0), new Uint8Array(0)),
    RangeError,
    'train: images.length 0 is not a positive multiple of 784 (the pixels of one image)',
  ],
  [
    'train: images transferred away',
    () => net.train(detached(), new Uint8Array(1)),
    TypeError,
    'train: images is empty because its buffer was transferred (detached), e.g. by postMessage',
  ],
  [
    'train: a NaN pixel',
    () => net.train(withNaN(), new Uint8Array(2)),
    RangeError,
    'train: images[900] is NaN; pixels must be finite',
  ],
  [
    'train: an infinite pixel',
    () => net.train(withInf(), new Uint8Array(1)),
    RangeError,
    'train: images[3] is -Infinity; pixels must be finite',
  ],
  // labels
  [
    'train: a label >= classes',
    () => net.train(img(2), badLabel()),
    RangeError,
    'train: labels[1] is 10; labels must be below 10 (the output size)',
  ],
  [
    'train: fewer labels than images',
    () => net.train(img(2), new Uint8Array(1)),
    RangeError,
    'train: labels.length 1 does not match the 2 images',
  ],
  [
    'step: more labels than images',
    () => net.step(img(1), new Uint8Array(2)),
    RangeError,
    'step: labels.length 2 does not match the 1 images',
  ],
  [
    'train: labels a plain array',
    () => net.train(img(2), [1, 2]),
    TypeError,
    'train: labels must be a Uint8Array, got Array(2)',
  ],
  [
    'train: labels an Int32Array',
    () => net.train(img(2), new Int32Array(2)),
    TypeError,
    'train: labels must be a Uint8Array, got Int32Array(2)',
  ],
  [
    'step: label 255',
    () => net.step(img(1), new Uint8Array([255])),
    RangeError,
    'step: labels[0] is 255; labels must be below 10 (the output size)',
  ],
  ['step: no labels', () => net.step(img(1)), TypeError, 'step: labels must be a Uint8Array, got undefined'],
  // train options
  [
    'train: epochs 0',
    () => net.train(img(2), new Uint8Array(2), { epochs: 0 }),
    RangeError,
    'epochs must be in 1..1000000, got 0',
  ],
  [
    'train: epochs fractional',
    () => net.train(img(2), new Uint8Array(2), { epochs: 1.5 }),
    RangeError,
    'epochs must be an integer, got 1.5',
  ],
  [
    'train: an unknown option',
    () => net.train(img(2), new Uint8Array(2), { epoch: 2 }),
    TypeError,
    'train: unknown option "epoch" (known: epochs, onProgress, shuffle)',
  ],
  [
    'train: onProgress not a function',
    () => net.train(img(2), new Uint8Array(2), { onProgress: 1 }),
    TypeError,
    'train: onProgress must be a function, got number 1',
  ],
  [
    'train: shuffle not a boolean',
    () => net.train(img(2), new Uint8Array(2), { shuffle: 'no' }),
    TypeError,
    'train: shuffle must be a boolean, got string "no"',
  ],
  [
    'step: more than 4096 images',
    () => net.step(new Uint8Array(4097 * 784), new Uint8Array(4097)),
    RangeError,
    'step: images holds 4097 images; at most 4096 go in one call',
  ],
  [
    'step: pixels that overflow (loss not finite)',
    () => relu.step(huge(4), new Uint8Array(4)),
    Error,
    'step: training diverged at step 2 (the loss became NaN or infinite); lower the learning rate',
    'NN_ERR_DIVERGED',
  ],
  ['predict: a string', () => net.predict('0000'), TypeError, `predict: images ${IMAGES}, got string "0000"`],
  ['predict: nothing', () => net.predict(), TypeError, `predict: images ${IMAGES}, got undefined`],
  [
    'predict: 28 pixels',
    () => net.predict(new Uint8Array(28)),
    RangeError,
    'predict: images.length 28 is not a positive multiple of 784 (the pixels of one image)',
  ],
  [
    'predict: an infinite pixel',
    () => net.predict(withInf()),
    RangeError,
    'predict: images[3] is -Infinity; pixels must be finite',
  ],
  [
    'predict: pixels that overflow',
    () => relu.predict(huge(1)),
    Error,
    "predict: the network's outputs are NaN or infinite for these images (pixels far outside 0..1, or weights too large)",
    'NN_ERR_DIVERGED',
  ],
  [
    'evaluate: fewer labels than images',
    () => net.evaluate(img(3), new Uint8Array(2)),
    RangeError,
    'evaluate: labels.length 2 does not match the 3 images',
  ],
  [
    'evaluate: a NaN pixel',
    () => net.evaluate(withNaN(), new Uint8Array(2)),
    RangeError,
    'evaluate: images[900] is NaN; pixels must be finite',
  ],
  [
    'evaluate: pixels that overflow',
    () => relu.evaluate(huge(2), new Uint8Array(2)),
    Error,
    "evaluate: the network's outputs are NaN or infinite for these images (pixels far outside 0..1, or weights too large)",
    'NN_ERR_DIVERGED',
  ],
  // setOptions
  [
    'setOptions: learningRate 0',
    () => net.setOptions({ learningRate: 0 }),
    RangeError,
    'learningRate must be in 1e-12..100, got 0',
  ],
  [
    'setOptions: learningRate NaN',
    () => net.setOptions({ learningRate: NaN }),
    RangeError,
    'learningRate must be finite, got NaN',
  ],
  [
    'setOptions: batchSize 0',
    () => net.setOptions({ batchSize: 0 }),
    RangeError,
    'batchSize must be in 1..4096, got 0',
  ],
  [
    'setOptions: a good optimizer with a bad batchSize',
    () => net.setOptions({ optimizer: 'adam', batchSize: -1 }),
    RangeError,
    'batchSize must be in 1..4096, got -1',
  ],
  [
    'setOptions: unknown optimizer',
    () => net.setOptions({ optimizer: 'rmsprop' }),
    RangeError,
    'optimizer must be one of sgd, momentum, adam, got "rmsprop"',
  ],
  [
    'setOptions: layers cannot change',
    () => net.setOptions({ layers: [784, 10] }),
    TypeError,
    'setOptions: unknown option "layers" (known: learningRate, batchSize, optimizer, schedule, weightDecay, augment)',
  ],
  // a disposed network
  ['a disposed network: train', () => gone.train(img(1), new Uint8Array(1)), Error, 'train: network disposed'],
  ['a disposed network: predict', () => gone.predict(img(1)), Error, 'predict: network disposed'],
  ['a disposed network: save', () => gone.save(), Error, 'save: network disposed'],
  [
    'a disposed network: setOptions',
    () => gone.setOptions({ learningRate: 0.1 }),
    Error,
    'setOptions: network disposed',
  ],
  // a network of another architecture, given MNIST
  [
    'another architecture: MNIST pixels',
    () => other.predict(img(1)),
    RangeError,
    'predict: images.length 784 is not a positive multiple of 100 (the pixels of one image)',
  ],
  [
    'another architecture: MNIST labels',
    () => other.train(new Uint8Array(100), new Uint8Array([7])),
    RangeError,
    'train: labels[0] is 7; labels must be below 3 (the output size)',
  ],

  // loadNetwork
  [
    'loadNetwork: a string',
    () => loadNetwork('MNWM'),
    TypeError,
    'loadNetwork: bytes must be a Uint8Array or ArrayBuffer, got string "MNWM"',
  ],
  ['loadNetwork: empty', () => loadNetwork(new Uint8Array(0)), RangeError, 'loadNetwork: bytes is empty'],
  [
    'loadNetwork: text, not a model',
    () => loadNetwork(new TextEncoder().encode('not a model file at all, just some text')),
    Error,
    'loadNetwork: not a model file (it is text: "not a model file at all, just so…"; a model file starts with "MNWM")',
    'NN_ERR_MAGIC',
  ],
  [
    'loadNetwork: an IDX file',
    () => loadNetwork(idx(8, [1], [5])),
    Error,
    'loadNetwork: not a model file (it looks like an IDX data file; a model file starts with "MNWM")',
    'NN_ERR_MAGIC',
  ],
  [
    'loadNetwork: a gzipped model',
    () => loadNetwork(gzipSync(good)),
    Error,
    'loadNetwork: not a model file (it is gzip data; a model file starts with "MNWM")',
    'NN_ERR_MAGIC',
  ],
  [
    'loadNetwork: three bytes',
    () => loadNetwork(new Uint8Array([0x4d, 0x4e, 0x57])),
    Error,
    'loadNetwork: data ended early (truncated)',
    'NN_ERR_TRUNCATED',
  ],
  [
    'loadNetwork: a truncated model',
    () => loadNetwork(good.subarray(0, good.length - 10)),
    Error,
    'loadNetwork: data ended early (truncated)',
    'NN_ERR_TRUNCATED',
  ],
  [
    'loadNetwork: a model with bytes after its end',
    () => loadNetwork(new Uint8Array([...good, 0])),
    Error,
    'loadNetwork: malformed model file',
    'NN_ERR_FORMAT',
  ],
  [
    'loadNetwork: one flipped bit',
    () => {
      const b = good.slice();
      b[200] ^= 1;
      return loadNetwork(b);
    },
    Error,
    'loadNetwork: checksum mismatch (corrupt file)',
    'NN_ERR_CHECKSUM',
  ],
  [
    'loadNetwork: a newer format version',
    () => loadNetwork(patchModel(good, (v, at) => v.setUint32(at.version, 99, true))),
    Error,
    'loadNetwork: the model file is format version 99; this mnist-wasm reads versions 1 to 4 (a newer mnist-wasm wrote it)',
    'NN_ERR_VERSION',
  ],
  [
    'loadNetwork: layers that do not match the weights',
    () => loadNetwork(patchModel(good, (v, at) => v.setUint32(at.sizes + 4, 100, true))),
    Error,
    'loadNetwork: malformed model file',
    'NN_ERR_FORMAT',
  ],
  [
    'loadNetwork: a layer over the limit',
    () => loadNetwork(patchModel(good, (v, at) => v.setUint32(at.sizes + 4, 5000, true))),
    Error,
    'loadNetwork: size exceeds the supported limit',
    'NN_ERR_LIMIT',
  ],
  [
    'loadNetwork: an unknown activation',
    () => loadNetwork(patchModel(good, (v, at) => v.setUint32(at.activation, 7, true))),
    Error,
    'loadNetwork: malformed model file',
    'NN_ERR_FORMAT',
  ],
  [
    'loadNetwork: an unknown input',
    () => loadNetwork(patchModel(good, (v, at) => v.setUint32(at.input, 2, true))),
    Error,
    'loadNetwork: malformed model file',
    'NN_ERR_FORMAT',
  ],
  [
    'loadNetwork: a NaN learning rate',
    () => loadNetwork(patchModel(good, (v, at) => v.setFloat32(at.learningRate, NaN, true))),
    Error,
    'loadNetwork: malformed model file',
    'NN_ERR_FORMAT',
  ],
  [
    'loadNetwork: a NaN weight',
    () => loadNetwork(patchModel(good, (v, at) => v.setFloat32(at.params + 40, NaN, true))),
    Error,
    'loadNetwork: malformed model file',
    'NN_ERR_FORMAT',
  ],

  // parseIdx
  ['parseIdx: null', () => parseIdx(null), TypeError, 'parseIdx: bytes must be a Uint8Array or ArrayBuffer, got null'],
  [
    'parseIdx: an unknown option',
    () => parseIdx(new Uint8Array(4), { sigal: null }),
    TypeError,
    'parseIdx: unknown option "sigal" (known: signal)',
  ],
  [
    'parseIdx: wrong magic',
    () => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 5])),
    Error,
    `parseIdx: not an IDX file (it starts with bytes 01 00 08 01; ${NOT_IDX})`,
    'NN_ERR_MAGIC',
  ],
  [
    'parseIdx: a web page',
    () => parseIdx(html),
    Error,
    'parseIdx: not an IDX file (it is text: "<!doctype html><title>hello</tit…")',
    'NN_ERR_MAGIC',
  ],
  [
    'parseIdx: float32 elements',
    () => parseIdx(idx(0x0d, [1], [0, 0, 0, 0])),
    Error,
    'parseIdx: IDX element type 0x0d (float32) is not supported; only unsigned bytes (0x08)',
    'NN_ERR_TYPE',
  ],
  ['parseIdx: no dimensions', () => parseIdx(idx(8, [])), Error, 'parseIdx: bad IDX dimensions', 'NN_ERR_DIMS'],
  [
    'parseIdx: five dimensions',
    () => parseIdx(idx(8, [1, 1, 1, 1, 1], [0])),
    Error,
    'parseIdx: bad IDX dimensions',
    'NN_ERR_DIMS',
  ],
  [
    'parseIdx: a dimension of 0',
    () => parseIdx(idx(8, [2, 0, 28], [])),
    Error,
    'parseIdx: bad IDX dimensions',
    'NN_ERR_DIMS',
  ],
  [
    'parseIdx: more data than the header says',
    () => parseIdx(idx(8, [2], [1, 2, 3])),
    Error,
    'parseIdx: unexpected bytes after the end of the data',
    'NN_ERR_TRAILING',
  ],
  [
    'parseIdx: less data than the header says',
    () => parseIdx(idx(8, [2, 28, 28], new Uint8Array(784))),
    Error,
    'parseIdx: data ended early (truncated)',
    'NN_ERR_TRUNCATED',
  ],
  [
    'parseIdx: half a header',
    () => parseIdx(new Uint8Array([0, 0, 8])),
    Error,
    'parseIdx: data ended early (truncated)',
    'NN_ERR_TRUNCATED',
  ],
  [
    'parseIdx: empty',
    () => parseIdx(new Uint8Array(0)),
    Error,
    'parseIdx: empty (0 bytes), not an IDX file',
    'NN_ERR_TRUNCATED',
  ],
  [
    'parseIdx: a header over the size limit',
    () => parseIdx(idx(8, [100000, 100000])),
    Error,
    'parseIdx: the header claims 100000 x 100000 = 10000000000 bytes, over the limit of 536870912 bytes (512 MiB)',
    'NN_ERR_LIMIT',
  ],
  [
    'parseIdx: 2^32-1 images of 28x28',
    () => parseIdx(idx(8, [2 ** 32 - 1, 28, 28], new Uint8Array(784))),
    Error,
    'parseIdx: the header claims 4294967295 x 28 x 28 = 3367254359280 bytes, over the limit of 536870912 bytes (512 MiB)',
    'NN_ERR_LIMIT',
  ],
  [
    'parseIdx: gzip of a truncated file',
    () => parseIdx(gzipSync(idx(8, [3], [1, 2]))),
    Error,
    'parseIdx: data ended early (truncated)',
    'NN_ERR_TRUNCATED',
  ],
  [
    'parseIdx: gzip of a web page',
    () => parseIdx(gzipSync(html)),
    Error,
    'parseIdx: not an IDX file (it is text: "<!doctype html><title>hello</tit…")',
    'NN_ERR_MAGIC',
  ],
  [
    'parseIdx: truncated gzip',
    () =>
      parseIdx(
        gzipSync(
          idx(
            8,
            [1000],
            new Uint8Array(1000).map((_, i) => i % 10),
          ),
        ).subarray(0, 30),
      ),
    Error,
    /^parseIdx: corrupt or truncated gzip data \(.+\)$/,
    'NN_ERR_GZIP',
  ],

  // fetchIdx / streamIdx / init
  ['fetchIdx: a number', () => fetchIdx(42), TypeError, `fetchIdx: ${SOURCE}, got number 42`],
  [
    'fetchIdx: not a URL',
    () => fetchIdx('data/train.gz'),
    TypeError,
    'fetchIdx: not a valid URL: string "data/train.gz"',
  ],
  [
    'fetchIdx: options null',
    () => fetchIdx('http://127.0.0.1:9/x', null),
    TypeError,
    'fetchIdx: options must be an object, got null',
  ],
  [
    'fetchIdx: onProgress a string',
    () => fetchIdx('http://127.0.0.1:9/x', { onProgress: 'x' }),
    TypeError,
    'fetchIdx: onProgress must be a function, got string "x"',
  ],
  [
    'fetchIdx: signal not a signal',
    () => fetchIdx('http://127.0.0.1:9/x', { signal: {} }),
    TypeError,
    'fetchIdx: signal must be an AbortSignal, got Object',
  ],
  [
    'fetchIdx: timeout 0',
    () => fetchIdx('http://127.0.0.1:9/x', { timeout: 0 }),
    RangeError,
    'fetchIdx: timeout must be in 1..2147483647 ms (or Infinity), got 0',
  ],
  [
    'fetchIdx: timeout NaN',
    () => fetchIdx('http://127.0.0.1:9/x', { timeout: NaN }),
    RangeError,
    'fetchIdx: timeout must be in 1..2147483647 ms (or Infinity), got NaN',
  ],
  [
    'fetchIdx: timeout a string',
    () => fetchIdx('http://127.0.0.1:9/x', { timeout: '5s' }),
    TypeError,
    'fetchIdx: timeout must be a number of milliseconds, got string "5s"',
  ],
  ['streamIdx: a number', () => streamIdx(7).next(), TypeError, `streamIdx: ${SOURCE}, got number 7`],
  [
    'streamIdx: an unknown option',
    () => streamIdx('http://127.0.0.1:9/x', { timeOut: 5 }).next(),
    TypeError,
    'streamIdx: unknown option "timeOut" (known: signal, onProgress, timeout)',
  ],
  [
    'init: an unknown option',
    () => init({ wasmURL: 'x' }),
    TypeError,
    'init: unknown option "wasmURL" (known: wasmUrl, wasmBinary)',
  ],
  [
    'init: wasmUrl a number',
    () => init({ wasmUrl: 5 }),
    TypeError,
    'init: wasmUrl must be a string or URL, got number 5',
  ],
];

test(`the bad-input table: ${table.length} cases, each rejected exactly, the network unchanged`, () => {
  assert.is(table.length, 129, 'the count docs/testing.md states');
  assert.is(new Set(table.map((t) => t[0])).size, table.length, 'each case named once');
});

for (const [what, call, Class, message, code] of table) {
  test(`rejects ${what}`, async () => {
    const nets = [net, relu, other];
    const before = nets.map((n) => n.save());
    const options = nets.map((n) => n.options);
    let err = null;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'it throws');
    assert.is(err.constructor, Class, `class (message: ${err.message})`);
    if (typeof message === 'string') assert.is(err.message, message);
    else assert.match(err.message, message);
    if (code) assert.is(err.code, code, 'code');
    nets.forEach((n, i) => {
      assert.ok(equalBytes(n.save(), before[i]), `network ${i} is unchanged (save() bytes)`);
      assert.equal(n.options, options[i], `network ${i}: options unchanged`);
    });
  });
}

test('after all of them the network still works and equals its state before the table', async () => {
  assert.ok(equalBytes(net.save(), good));
  const copy = await loadNetwork(good);
  assert.equal(Array.from(copy.predict(img(3))), Array.from(net.predict(img(3))));
  assert.ok(Number.isFinite(net.step(img(4), data.testLabels.subarray(0, 4))));
  copy.dispose();
});

test('errors from C are data: code, status, where and reason, and the message is "where: reason"', async () => {
  const w = await init();
  const cases = [
    () => loadNetwork(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
    () => parseIdx(new Uint8Array([0, 0, 9, 9, 0, 0, 0, 1])),
    () => parseIdx(gzipSync(idx([1, 1], [7])).subarray(0, 12)),
  ];
  for (const call of cases) {
    const e = await Promise.resolve()
      .then(call)
      .then(
        () => null,
        (err) => err,
      );
    assert.ok(e, 'rejected');
    assert.ok(/^NN_ERR_/.test(e.code), `code ${e.code}`);
    assert.equal(w.facts.statuses[e.status].name, e.code);
    assert.type(e.where, 'string');
    assert.type(e.reason, 'string');
    assert.ok(e.reason.length > 10, e.reason);
    assert.ok(e.message.startsWith(`${e.where}: ${e.reason}`), e.message);
  }
});

test.run();
