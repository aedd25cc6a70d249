// The bad-input table: each wrong type, size, label, option or value is
// rejected with its error class and a message naming the argument, and a
// network that a rejected call touched is unchanged (same save() bytes).
// Then the errors that come from C: code and C's message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { createNetwork, loadNetwork, parseIdx, fetchIdx, streamIdx, init } from 'mnist-wasm';
import { defaultData, rejects, equalBytes } from './helpers/common.js';

let data, net, images, labels;
test.before(async () => {
  data = await defaultData();
  images = data.trainImages.subarray(0, 64 * 784);
  labels = data.trainLabels.subarray(0, 64);
  net = await createNetwork({ seed: 21, batchSize: 16 });
  net.train(images, labels); // not at its initial state
});
test.after(() => net.dispose());

const withNaN = () => { const f = new Float32Array(2 * 784).fill(0.5); f[900] = NaN; return f; };
const withInf = () => { const f = new Float32Array(784).fill(0.5); f[3] = -Infinity; return f; };
const badLabel = () => { const l = new Uint8Array(2); l[1] = 10; return l; };
const img = (n) => data.testImages.subarray(0, n * 784);

// [what, call, error class, message]
const table = [
  // createNetwork options
  ['learningRate negative', () => createNetwork({ learningRate: -1 }), RangeError, /learningRate/],
  ['learningRate NaN', () => createNetwork({ learningRate: NaN }), RangeError, /learningRate must be finite/],
  ['learningRate a string', () => createNetwork({ learningRate: '0.1' }), TypeError, /learningRate must be a number/],
  ['learningRate too large', () => createNetwork({ learningRate: 1000 }), RangeError, /learningRate must be in/],
  ['layers not an array', () => createNetwork({ layers: '784,10' }), TypeError, /layers must be an array/],
  ['layers too short', () => createNetwork({ layers: [784] }), RangeError, /layers must list 2\.\.9 sizes/],
  ['layers too long', () => createNetwork({ layers: Array(10).fill(10) }), RangeError, /layers must list/],
  ['a layer of 0', () => createNetwork({ layers: [784, 0, 10] }), RangeError, /layers\[1\] must be in 1\.\.4096/],
  ['a layer over the limit', () => createNetwork({ layers: [784, 5000, 10] }), RangeError, /layers\[1\]/],
  ['a fractional layer', () => createNetwork({ layers: [784, 12.5, 10] }), RangeError, /layers\[1\] must be an integer/],
  ['one output class', () => createNetwork({ layers: [784, 1] }), RangeError, /layers: the output layer/],
  ['too many parameters', () => createNetwork({ layers: [4096, 4096, 4096, 4096, 4096, 10] }), RangeError, /layers: .* over the limit/],
  ['unknown activation', () => createNetwork({ activation: 'softplus' }), RangeError, /activation must be one of sigmoid, relu, tanh/],
  ['optimizer a number', () => createNetwork({ optimizer: 2 }), TypeError, /optimizer must be one of/],
  ['batchSize 0', () => createNetwork({ batchSize: 0 }), RangeError, /batchSize must be in 1\.\.4096/],
  ['batchSize fractional', () => createNetwork({ batchSize: 1.5 }), RangeError, /batchSize must be an integer/],
  ['momentum 1', () => createNetwork({ momentum: 1 }), RangeError, /momentum/],
  ['epsilon 0', () => createNetwork({ epsilon: 0 }), RangeError, /epsilon/],
  ['seed negative', () => createNetwork({ seed: -1 }), RangeError, /seed/],
  ['seed a string', () => createNetwork({ seed: '1' }), TypeError, /seed/],
  ['seed BigInt too large', () => createNetwork({ seed: 1n << 64n }), RangeError, /seed must be below 2\^64/],
  ['unknown option', () => createNetwork({ learningrate: 0.1 }), TypeError, /unknown option "learningrate"/],
  ['options not an object', () => createNetwork('fast'), TypeError, /createNetwork: options must be an object/],
  // train / step / predict / evaluate arguments
  ['train: images a plain array', () => net.train([1, 2, 3], labels), TypeError, /train: images must be a Uint8Array/],
  ['train: images an Int8Array', () => net.train(new Int8Array(784), new Uint8Array(1)), TypeError, /images must be/],
  ['train: images not whole', () => net.train(new Uint8Array(783), new Uint8Array(1)), RangeError, /images\.length 783 is not a positive multiple of 784/],
  ['train: images empty', () => net.train(new Uint8Array(0), new Uint8Array(0)), RangeError, /images\.length 0/],
  ['train: a NaN pixel', () => net.train(withNaN(), new Uint8Array(2)), RangeError, /images\[900\] is NaN/],
  ['train: an infinite pixel', () => net.train(withInf(), new Uint8Array(1)), RangeError, /images\[3\] is -Infinity/],
  ['train: label >= classes', () => net.train(img(2), badLabel()), RangeError, /labels\[1\] is 10; labels must be below 10/],
  ['train: labels too few', () => net.train(img(2), new Uint8Array(1)), RangeError, /labels\.length 1 does not match the 2 images/],
  ['train: labels an array', () => net.train(img(2), [1, 2]), TypeError, /labels must be a Uint8Array/],
  ['train: labels an Int32Array', () => net.train(img(2), new Int32Array(2)), TypeError, /labels must be a Uint8Array/],
  ['train: epochs 0', () => net.train(img(2), new Uint8Array(2), { epochs: 0 }), RangeError, /epochs must be in 1\.\./],
  ['train: epochs fractional', () => net.train(img(2), new Uint8Array(2), { epochs: 1.5 }), RangeError, /epochs must be an integer/],
  ['train: unknown option', () => net.train(img(2), new Uint8Array(2), { epoch: 2 }), TypeError, /unknown option "epoch"/],
  ['train: onProgress not a function', () => net.train(img(2), new Uint8Array(2), { onProgress: 1 }), TypeError, /onProgress must be a function/],
  ['train: shuffle not a boolean', () => net.train(img(2), new Uint8Array(2), { shuffle: 'no' }), TypeError, /shuffle must be a boolean/],
  ['step: more than 4096 images', () => net.step(new Uint8Array(4097 * 784), new Uint8Array(4097)), RangeError, /step: images holds 4097 images; at most 4096/],
  ['step: label 255', () => net.step(img(1), new Uint8Array([255])), RangeError, /labels\[0\] is 255/],
  ['step: no labels', () => net.step(img(1)), TypeError, /labels must be a Uint8Array, got undefined/],
  ['predict: a string', () => net.predict('0000'), TypeError, /predict: images must be/],
  ['predict: nothing', () => net.predict(), TypeError, /predict: images must be/],
  ['predict: 28 pixels', () => net.predict(new Uint8Array(28)), RangeError, /images\.length 28/],
  ['evaluate: labels mismatch', () => net.evaluate(img(3), new Uint8Array(2)), RangeError, /evaluate: labels\.length 2/],
  ['evaluate: a NaN pixel', () => net.evaluate(withNaN(), new Uint8Array(2)), RangeError, /evaluate: images\[900\]/],
  ['setOptions: learningRate 0', () => net.setOptions({ learningRate: 0 }), RangeError, /learningRate must be in/],
  ['setOptions: unknown optimizer', () => net.setOptions({ optimizer: 'rmsprop' }), RangeError, /optimizer must be one of/],
  ['setOptions: layers cannot change', () => net.setOptions({ layers: [784, 10] }), TypeError, /unknown option "layers"/],
  // loadNetwork / parseIdx / fetchIdx / init arguments
  ['loadNetwork: a string', () => loadNetwork('MNWM'), TypeError, /loadNetwork: bytes must be a Uint8Array or ArrayBuffer/],
  ['loadNetwork: empty', () => loadNetwork(new Uint8Array(0)), RangeError, /loadNetwork: bytes is empty/],
  ['parseIdx: null', () => parseIdx(null), TypeError, /parseIdx: bytes must be a Uint8Array/],
  ['parseIdx: unknown option', () => parseIdx(new Uint8Array(4), { sigal: null }), TypeError, /unknown option "sigal"/],
  ['fetchIdx: a number', () => fetchIdx(42), TypeError, /fetchIdx: source must be/],
  ['fetchIdx: onProgress a string', () => fetchIdx('http://127.0.0.1:9/x', { onProgress: 'x' }), TypeError, /onProgress must be a function/],
  ['fetchIdx: signal not a signal', () => fetchIdx('http://127.0.0.1:9/x', { signal: {} }), TypeError, /signal must be an AbortSignal/],
  ['streamIdx: a number', () => streamIdx(7).next(), TypeError, /streamIdx: source must be/],
  ['init: unknown option', () => init({ wasmURL: 'x' }), TypeError, /init: unknown option "wasmURL"/],
  ['init: wasmUrl a number', () => init({ wasmUrl: 5 }), TypeError, /wasmUrl must be a string or URL/],
];

test(`the bad-input table has at least 25 cases (${table.length})`, () => {
  assert.ok(table.length >= 25);
});

for (const [what, call, Class, re] of table) {
  test(`rejects ${what}`, async () => {
    const before = net.save();
    const options = net.options;
    await rejects(call, Class, re, what);
    assert.ok(equalBytes(net.save(), before), 'the network is unchanged (save() bytes)');
    assert.equal(net.options, options, 'options unchanged');
  });
}

// ---- errors from C: a code and C's message ----------------------------------

const idx = (type, dims, body) => {
  const h = new Uint8Array(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  const v = new DataView(h.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
};

test('loadNetwork: foreign, corrupt, truncated and newer files', async () => {
  const good = net.save();
  let e = await rejects(() => loadNetwork(new TextEncoder().encode('not a model file at all, just text')), Error, /loadNetwork: not the expected file type/);
  assert.is(e.code, 'NN_ERR_MAGIC');
  const flipped = good.slice();
  flipped[200] ^= 1;
  e = await rejects(() => loadNetwork(flipped), Error, /checksum mismatch/);
  assert.is(e.code, 'NN_ERR_CHECKSUM');
  e = await rejects(() => loadNetwork(good.subarray(0, good.length - 10)), Error, /truncated/);
  assert.is(e.code, 'NN_ERR_TRUNCATED');
  const newer = good.slice();
  newer[4] = 99; // format version
  e = await rejects(() => loadNetwork(newer), Error, /loadNetwork: /);
  assert.ok(['NN_ERR_VERSION', 'NN_ERR_CHECKSUM'].includes(e.code), e.code);
});

test('parseIdx: bad magic, type, dims, trailing and truncated data', async () => {
  const cases = [
    [new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 5]), 'NN_ERR_MAGIC', /parseIdx: not the expected file type/],
    [idx(0x0d, [1], [5]), 'NN_ERR_TYPE', /unsupported IDX element type/],
    [idx(0x08, [0], []), 'NN_ERR_DIMS', /bad IDX dimensions/],
    [idx(0x08, [2], [1, 2, 3]), 'NN_ERR_TRAILING', /unexpected bytes after the end/],
    [idx(0x08, [3], [1, 2]), 'NN_ERR_TRUNCATED', /truncated/],
    [idx(0x08, [2, 28, 28], new Uint8Array(784)), 'NN_ERR_TRUNCATED', /truncated/],
    [new Uint8Array([0, 0, 8]), 'NN_ERR_TRUNCATED', /truncated/],
    [gzipSync(idx(0x08, [3], [1, 2])), 'NN_ERR_TRUNCATED', /truncated/],
  ];
  for (const [bytes, code, re] of cases) {
    const e = await rejects(() => parseIdx(bytes), Error, re, code);
    assert.is(e.code, code);
  }
});

test('parseIdx: corrupt and truncated gzip', async () => {
  const gz = gzipSync(idx(0x08, [1000], new Uint8Array(1000).map((_, i) => i % 10)));
  let e = await rejects(() => parseIdx(gz.subarray(0, gz.length - 6)), Error, /corrupt or truncated gzip/);
  assert.is(e.code, 'GZIP');
  const bad = gz.slice();
  bad[bad.length - 5] ^= 0xff; // the CRC
  e = await rejects(() => parseIdx(bad), Error, /corrupt or truncated gzip/);
  assert.is(e.code, 'GZIP');
});

test.run();
