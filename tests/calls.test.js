// Calls in any order: a seeded random sequence of public API calls (create,
// load, datasets, step, train, predict, evaluate, evaluators, save,
// setOptions, Trainers, dispose in the middle, calls on disposed objects),
// valid and invalid arguments mixed. After every call:
// - no WebAssembly trap (RuntimeError), no non-Error throw, no JavaScript
//   engine error leaking out ("Cannot read properties of ...");
// - a valid call succeeds and a bad one is rejected;
// - a rejected call leaves every live network's save() bytes and steps as
//   they were, and (when it ran synchronously) the heap in use too; a
//   read-only call (predict, evaluate, save, ...) never changes a network;
// and every CHECK_EVERY calls everything is disposed and the heap in use
// (heapUsed) must be exactly where it was after the warm-up.
//
//   node tests/calls.test.js                 20,000 calls, seed 1
//   CALLS=200000 SEED=7 node tests/calls.test.js
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import {
  createNetwork,
  loadNetwork,
  openDataset,
  loadDataset,
  parseIdx,
  heapUsed,
  init,
  Trainer,
  Dataset,
} from 'mnist-wasm';
import { defaultData, dataFile, idx, patchModel } from './helpers/common.js';

const CALLS = Number(process.env.CALLS ?? 30000);
const SEED = Number(process.env.SEED ?? 1);
const CHECK_EVERY = 2500; // calls between "dispose everything, heap back at start"
const MAX = { nets: 5, datasets: 6, trainers: 3, evaluators: 4, files: 12, dead: 8 };

/** mulberry32: small, seeded, good enough to pick calls. */
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (a) => a[Math.floor(next() * a.length)],
    float: (lo, hi) => lo + next() * (hi - lo),
    weighted(table) {
      let r = next() * table.reduce((s, [w]) => s + w, 0);
      for (const [w, v] of table) if ((r -= w) < 0) return v;
      return table[table.length - 1][1];
    },
  };
}

// Messages of engine errors: a bug in the package, never a rejection.
const INTERNAL =
  /Cannot read propert|Cannot set propert|is not a function|is not defined|is not iterable|is not a constructor|Maximum call stack|Invalid array length|Invalid typed array length|offset is out of bounds|Array buffer allocation failed|Cannot perform .* on a detached|Cannot mix BigInt|Cannot convert .* to a BigInt|before initialization|Assignment to constant/;
const LOAD_CODES = new Set([
  'NN_ERR_MAGIC',
  'NN_ERR_CHECKSUM',
  'NN_ERR_TRUNCATED',
  'NN_ERR_VERSION',
  'NN_ERR_FORMAT',
  'NN_ERR_LIMIT',
]);

let w, d, tiny;
test.before(async () => {
  w = await init();
  d = await defaultData();
  tiny = makeData();
});

/** Small real samples and the files made of them: good, broken and foreign. */
function makeData() {
  const N = 64;
  const images = d.trainImages.slice(0, N * 784);
  const labels = d.trainLabels.slice(0, N);
  const testImages = d.testImages.slice(0, 40 * 784);
  const testLabels = d.testLabels.slice(0, 40);
  const imagesIdx = (n, from = images) => idx(8, [n, 28, 28], from.subarray(0, n * 784));
  const labelsIdx = (n, from = labels) => idx(8, [n], from.subarray(0, n));
  const good = [
    { images: imagesIdx(48), labels: labelsIdx(48) },
    { images: imagesIdx(40, testImages), labels: labelsIdx(40, testLabels) },
    { images: gzipSync(imagesIdx(32)), labels: gzipSync(labelsIdx(32)) },
    { images: imagesIdx(7), labels: labelsIdx(7) },
    { images: idx(8, [16, 27, 29], images.subarray(0, 16 * 27 * 29)), labels: labelsIdx(16) }, // whole, but not 784 pixels
  ];
  // the real small split's test files, as the package ships them (2,000 digits)
  const small = { images: dataFile('t10k-images-idx3-ubyte'), labels: dataFile('t10k-labels-idx1-ubyte') };
  const bigLabel = labelsIdx(16).slice();
  bigLabel[8 + 5] = 12;
  const trailing = new Uint8Array(imagesIdx(8).length + 3);
  trailing.set(imagesIdx(8));
  const broken = [
    { images: imagesIdx(16).subarray(0, 16 + 784 * 3 + 100), labels: labelsIdx(16) }, // truncated
    { images: imagesIdx(16), labels: labelsIdx(15) }, // counts disagree
    { images: imagesIdx(16), labels: bigLabel }, // label 12
    { images: gzipSync(imagesIdx(32)).subarray(0, 900), labels: gzipSync(labelsIdx(32)) }, // cut gzip
    { images: trailing, labels: labelsIdx(8) }, // bytes after the end
    { images: new TextEncoder().encode('<!doctype html><p>not found</p>'), labels: labelsIdx(8) },
    { images: new Uint8Array(0), labels: new Uint8Array(0) },
    { images: imagesIdx(0), labels: labelsIdx(0) }, // 0 samples: NN_ERR_DIMS
    { images: idx(13, [4, 28, 28], new Uint8Array(4 * 784 * 4)), labels: labelsIdx(4) }, // float IDX
    { images: labelsIdx(16), labels: imagesIdx(16) }, // swapped
  ];
  const noise = new Uint8Array(100 * 784).map((_, i) => (i * 2654435761) >>> 24); // pixels for other sizes
  return { N, images, labels, good, small, broken, noise };
}

/** Images and labels for net: n real samples (784 inputs) or random bytes; in one of the three image types. */
function samples(r, net, n) {
  const k = net.inputs,
    c = net.classes;
  let x, y;
  if (k === 784 && n <= tiny.N) {
    const at = r.int(0, tiny.N - n);
    x = tiny.images.slice(at * 784, (at + n) * 784);
    y = tiny.labels.slice(at, at + n).map((v) => v % c);
  } else {
    const at = r.int(0, tiny.noise.length - n * k);
    x = tiny.noise.slice(at, at + n * k);
    y = Uint8Array.from({ length: n }, () => r.int(0, c - 1));
  }
  const type = r.int(0, 5);
  if (type === 0) x = Float32Array.from(x, (v) => v / 255);
  if (type === 1) x = new Uint8ClampedArray(x.buffer);
  return { x, y };
}

function detachedCopy(a) {
  const copy = a.slice();
  structuredClone(copy.buffer, { transfer: [copy.buffer] });
  return copy;
}

/** One way to spoil images or labels (expected to be rejected). */
function badImages(r, x, n, k) {
  return r.pick([
    () => x.subarray(0, x.length - 1),
    () => new Uint8Array(0),
    () => detachedCopy(x),
    () => {
      const f = Float32Array.from(x, (v) => v / 255);
      f[r.int(0, f.length - 1)] = r.pick([NaN, Infinity, -Infinity]);
      return f;
    },
    () => new Int8Array(n * k),
    () => new Uint16Array(n * k),
    () => Array.from(x.subarray(0, k)),
    () => null,
    () => undefined,
    () => 'pixels',
    () => new DataView(new ArrayBuffer(k)),
  ])();
}
function badLabels(r, y, classes) {
  return r.pick([
    () => y.subarray(0, y.length - 1),
    () => {
      const b = y.slice();
      b[r.int(0, b.length - 1)] = r.pick([classes, 255, classes + 1]);
      return b;
    },
    () => Array.from(y),
    () => new Int8Array(y),
    () => detachedCopy(y),
    () => null,
    () => 3,
  ])();
}

// Values that every option must refuse, by option name.
const BAD = {
  layers: [
    [784],
    [784, 0, 10],
    [784, 8, 1],
    [784, 8.5, 10],
    [784, 5000, 10],
    Array(11).fill(8),
    [4096, 4096, 4096, 4096, 4096, 10],
    'a',
    null,
    [784, true, 10],
    [784, -8, 10],
    [784, NaN, 10],
    '784,conv5x8,10',
    '28x28,conv30x2,10',
    '28x28,pool2',
  ],
  activation: ['softmax', 3, null, ''],
  optimizer: ['rmsprop', 0, null, 'SGD'],
  learningRate: [0, -1, NaN, Infinity, 1e3, '0.1', null, 1e-20],
  momentum: [1, -0.1, NaN, '0.9'],
  beta1: [1, -0.5, 2],
  beta2: [1.5, -1],
  epsilon: [0, 2, -1e-8],
  batchSize: [0, 4097, 1.5, '8', -3, NaN],
  seed: [-1, 2 ** 53, 1.5, 2n ** 64n, -1n, 'x', null, NaN],
  schedule: ['linear', 1, null, ''],
  weightDecay: [-0.1, 0.2, NaN, '0'],
  augment: [{ shift: 9 }, { twist: 1 }, [], null, 'yes', { rotate: -1 }, { scale: 0.6 }, { shear: NaN }, 1],
  epochs: [0, 1.5, '1', -1, 1e7, NaN, null],
  wrong: [-1, 1.5, '3', 2 ** 21, NaN],
  wrongPerLabel: [-2, 0.5, null],
  threads: [0, 65, 1.5, '2', null, NaN, -1],
};

function goodOptions(r) {
  const o = {};
  o.layers = r.weighted([
    [6, [784, r.int(2, 12), 10]],
    [2, [784, 6, 5, 10]],
    [1, [784, 4, 3]],
    [1, [100, 6, 10]],
    [1, [784, 10]],
  ]);
  if (r.chance(0.5)) o.activation = r.pick(['sigmoid', 'relu', 'tanh']);
  if (r.chance(0.5)) o.optimizer = r.pick(['sgd', 'momentum', 'adam']);
  if (r.chance(0.5)) o.learningRate = o.optimizer === 'adam' ? r.float(1e-4, 0.01) : r.float(0.001, 0.3);
  if (r.chance(0.2)) o.momentum = r.float(0, 0.95);
  if (r.chance(0.1)) o.beta1 = r.float(0, 0.99);
  if (r.chance(0.1)) o.beta2 = r.float(0.9, 0.9999);
  if (r.chance(0.1)) o.epsilon = r.pick([1e-8, 1e-6, 1e-3]);
  if (r.chance(0.6)) o.batchSize = r.int(1, 16);
  if (r.chance(0.5)) o.seed = r.chance(0.1) ? 2n ** 63n + BigInt(r.int(0, 1e6)) : r.int(0, 2 ** 31);
  Object.assign(o, goodTraining(r));
  if (o.optimizer === 'adam' && !o.learningRate) o.learningRate = 0.003; // the default 0.5 is for SGD
  if (r.chance(0.3)) o.threads = r.int(1, 3);
  return o;
}

function goodTraining(r) {
  const o = {};
  if (r.chance(0.2)) o.schedule = r.pick(['constant', 'cosine', 'step']);
  if (r.chance(0.2)) o.weightDecay = r.pick([0, 1e-4, 0.01, 0.1]);
  if (r.chance(0.2))
    o.augment = r.pick([true, false, { shift: 1 }, { rotate: 5, elastic: 1 }, { scale: 0.1, shear: 0.2 }, {}]);
  return o;
}

/** A bad variant of good options: one field spoiled, an unknown name, or not an object. */
function spoil(r, o, names) {
  const kind = r.int(0, 9);
  if (kind === 0) return r.pick([5, 'options', [], null, true]);
  if (kind === 1)
    return { ...o, [r.pick(['learningrate', 'layer', 'thread', 'epoch', 'constructor', '__proto__x'])]: 1 };
  const name = r.pick(names);
  return { ...o, [name]: r.pick(BAD[name]) };
}

// ---- the sequence -----------------------------------------------------------

async function sequence(seed) {
  const r = random(seed);
  const counts = {},
    rejects = {},
    byError = {},
    times = {};
  const pool = { nets: [], datasets: [], trainers: [], evaluators: [], files: [] };
  const dead = { nets: [], datasets: [], trainers: [], evaluators: [] };
  const log = [];
  const settling = []; // every data set's done: a disposed one frees its download buffers when it settles
  let n = 0;

  const fail = (msg) => assert.unreachable(`seed ${seed}, ${msg}\n  last calls:\n    ${log.join('\n    ')}`);

  /** Runs one call and checks the rules above. */
  async function call(
    kind,
    detail,
    fn,
    { nets = [], expect = 'any', mutates = true, partial = () => false, frees = false } = {},
  ) {
    n++;
    counts[kind] = (counts[kind] ?? 0) + 1;
    log.push(`#${n} ${kind}${detail ? ' ' + detail : ''}`);
    if (log.length > 20) log.shift();
    // the networks the call is given; every 8th call all of them (save() is the costly part)
    const live = (n % 8 === 0 ? pool.nets : nets).filter((x) => !x.disposed);
    const before = live.map((x) => ({ x, bytes: x.save(), steps: x.steps }));
    const heap = w.M._heap_used();
    const t0 = performance.now();
    let error = null,
      result,
      sync = true;
    try {
      result = fn();
      if (result && typeof result.then === 'function') {
        sync = false;
        result = await result;
      }
    } catch (e) {
      error = e;
      result = undefined;
    }
    times[kind] = (times[kind] ?? 0) + performance.now() - t0;
    if (error) {
      if (error instanceof WebAssembly.RuntimeError)
        fail(`#${n} ${kind}: a WebAssembly trap: ${error.message}\n${error.stack}`);
      if (!(error instanceof Error)) fail(`#${n} ${kind}: threw a non-Error: ${String(error)}`);
      if (INTERNAL.test(error.message))
        fail(`#${n} ${kind}: an engine error escaped: ${error.name}: ${error.message}\n${error.stack}`);
      rejects[kind] = (rejects[kind] ?? 0) + 1;
      const name = error.code ? `${error.name} ${error.code}` : error.name;
      byError[name] = (byError[name] ?? 0) + 1;
      if (expect === 'ok' && error.code !== 'NN_ERR_DIVERGED')
        fail(`#${n} ${kind}: a valid call was rejected: ${error.name}: ${error.message}`);
    } else if (expect === 'reject') {
      fail(`#${n} ${kind}: a bad call was accepted`);
    }
    const partly = error && partial(error);
    if (error ? !partly : !mutates) {
      for (const { x, bytes, steps } of before) {
        if (x.disposed) continue; // the call (or its onProgress) disposed it
        if (x.steps !== steps)
          fail(
            `#${n} ${kind}: ${error ? `rejected (${error.message})` : 'read-only'}, but the steps went ${steps} -> ${x.steps}`,
          );
        if (!same(x.save(), bytes))
          fail(`#${n} ${kind}: ${error ? `rejected (${error.message})` : 'read-only'}, but the model bytes changed`);
      }
      if (error && sync && !frees && w.M._heap_used() !== heap)
        fail(`#${n} ${kind}: rejected (${error.message}), but the heap in use went ${heap} -> ${w.M._heap_used()}`);
    }
    return { result, error };
  }

  const someLive = (list) => list.filter((x) => !x.disposed);
  /** A live object of the pool, now and then a disposed one. */
  const target = (name) => {
    if (r.chance(0.08) && dead[name].length) return r.pick(dead[name]);
    const live = someLive(pool[name]);
    return live.length ? r.pick(live) : null;
  };
  const bury = (name, x) => {
    pool[name] = pool[name].filter((y) => y !== x);
    dead[name].push(x);
    if (dead[name].length > MAX.dead) dead[name].shift();
  };
  const add = (name, x) => {
    pool[name].push(x);
    if (pool[name].length > MAX[name]) {
      const old = pool[name][0];
      old.dispose();
      bury(name, old);
    }
  };
  const tidy = () => {
    for (const name of Object.keys(dead)) for (const x of pool[name].filter((y) => y.disposed)) bury(name, x);
  };

  const actions = {
    async create() {
      const good = goodOptions(r);
      const bad = r.chance(0.35);
      const o = bad ? spoil(r, good, Object.keys(BAD)) : good;
      if (r.chance(0.01)) {
        // the default 784-128-64-10 network: 100 times the tiny ones, so not kept
        const { result } = await call('createNetwork', 'default', () => createNetwork(), { expect: 'ok' });
        result.predict(tiny.images.subarray(0, 784));
        return result.dispose();
      }
      const { result } = await call('createNetwork', bad ? 'bad' : '', () => createNetwork(o), {
        expect: bad ? 'reject' : 'ok',
      });
      if (result) {
        if (o?.layers) assert.equal(result.options.layers, o.layers);
        if (result.options.threads !== (o?.threads ?? 1))
          fail(`createNetwork: threads ${o?.threads} gave ${result.options.threads}`);
        add('nets', result);
      }
    },

    async load() {
      const source = r.weighted([
        [5, 'good'],
        [1, 'buffer'],
        [4, 'corrupt'],
        [2, 'patched'],
        [2, 'foreign'],
        [1, 'type'],
      ]);
      const file = pool.files.length ? r.pick(pool.files) : null;
      if (!file && (source === 'good' || source === 'buffer' || source === 'corrupt' || source === 'patched'))
        return actions.save();
      let bytes,
        expect = 'reject';
      if (source === 'good') {
        bytes = file;
        expect = 'ok';
      }
      if (source === 'buffer') {
        bytes = file.slice().buffer;
        expect = 'ok';
      }
      if (source === 'corrupt') {
        bytes = r.pick([
          () => file.subarray(0, r.int(1, file.length - 1)),
          () => {
            const b = file.slice();
            b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7);
            return b;
          },
          () => {
            const b = new Uint8Array(file.length + r.int(1, 9));
            b.set(file);
            return b;
          },
        ])();
      }
      if (source === 'patched') {
        // valid CRC, a field changed: the loader must judge it
        expect = 'any';
        bytes = patchModel(file, (v, at) => {
          const field = r.pick([
            'version',
            'length',
            'nSizes',
            'sizes',
            'activation',
            'optimizer',
            'learningRate',
            'batchSize',
            'count',
            'params',
          ]);
          const value = r.pick([0, 1, 2, 3, 0xffffffff, 0x7fc00000, 0x7f800000, r.int(0, 2 ** 32 - 1)]);
          v.setUint32(at[field], value, true);
        });
      }
      if (source === 'foreign')
        bytes = r.pick([
          tiny.good[0].images,
          tiny.good[2].images,
          new TextEncoder().encode('{"layers":[784,10]}'),
          Uint8Array.from({ length: 200 }, () => r.int(0, 255)),
          new Uint8Array(0),
          new Uint8Array(4),
        ]);
      if (source === 'type') bytes = r.pick(['model', 42, null, undefined, new Uint16Array(8), [77, 78, 87, 77], {}]);
      const threads = r.chance(0.2) ? r.int(1, 3) : undefined;
      const { result, error } = await call('loadNetwork', source, () => loadNetwork(bytes, threads && { threads }), {
        expect,
      });
      if (error && !(error instanceof TypeError || error instanceof RangeError) && !LOAD_CODES.has(error.code))
        fail(`loadNetwork: unexpected error ${error.code}: ${error.message}`);
      if (result) {
        if (expect === 'ok' && !same(result.save(), file))
          fail('loadNetwork: save() of a loaded model is not the file it came from');
        if (result.options.threads !== (threads ?? 1))
          fail(`loadNetwork: threads ${threads} gave ${result.options.threads}`);
        add('nets', result);
      }
    },

    async save() {
      const net = target('nets');
      if (!net) return actions.create();
      const { result } = await call('save', '', () => net.save(), {
        nets: [net],
        expect: net.disposed ? 'reject' : 'ok',
        mutates: false,
      });
      if (result) {
        pool.files.push(result);
        if (pool.files.length > MAX.files) pool.files.shift();
      }
    },

    async inspect() {
      const net = target('nets');
      if (!net) return actions.create();
      const what = r.pick(['options', 'parameters', 'steps', 'inputs']);
      const fn = {
        options: () => net.options,
        parameters: () => net.parameters(),
        steps: () => net.steps,
        inputs: () => [net.inputs, net.classes, net.disposed],
      }[what];
      await call(what, '', fn, {
        nets: [net],
        expect: net.disposed && (what === 'options' || what === 'parameters') ? 'reject' : 'ok',
        mutates: false,
      });
    },

    /** One image's backprop, its gradient check or the per-layer parameters: read-only, good or bad arguments. */
    async backprop() {
      const net = target('nets');
      if (!net) return actions.create();
      const what = r.pick(['gradients', 'gradientCheck', 'layerParameters']);
      const { x, y } = samples(r, net, 1);
      const bad = what !== 'layerParameters' && r.chance(0.3);
      const kind = bad ? r.int(0, what === 'gradients' ? 1 : 2) : -1; // bad image, label, or options
      const image = kind === 0 ? badImages(r, x, 1, net.inputs) : x;
      const label = kind === 1 ? r.pick([net.classes, -1, 0.5, '1', null]) : y[0];
      const options = kind === 2 ? { count: r.pick([0, 1001, 2.5, 'many']) } : { count: r.int(1, 4) };
      const fn = {
        gradients: () => net.gradients(image, label),
        gradientCheck: () => net.gradientCheck(image, label, options),
        layerParameters: () => net.layerParameters(),
      }[what];
      const { result } = await call(what, bad ? 'bad' : '', fn, {
        nets: [net],
        expect: bad || net.disposed ? 'reject' : 'ok',
        mutates: false,
      });
      if (result && what === 'gradients' && !(result.loss >= 0 && result.layers.length === net.layers.length))
        fail(`gradients: loss ${result.loss}, ${result.layers.length} layers`);
    },

    async step() {
      const net = target('nets');
      if (!net) return actions.create();
      const k = r.weighted([
        [8, r.int(1, 16)],
        [1, r.int(17, 64)],
        [1, 1],
      ]);
      const { x, y } = samples(r, net, k);
      const bad = r.chance(0.3);
      let args = [x, y];
      if (bad) args = r.chance(0.5) ? [badImages(r, x, k, net.inputs), y] : [x, badLabels(r, y, net.classes)];
      const before = net.disposed ? null : net.parameters();
      const { error } = await call('step', bad ? 'bad' : `${k}`, () => net.step(...args), {
        nets: [net],
        expect: bad || net.disposed ? 'reject' : 'ok',
      });
      if (
        error?.code === 'NN_ERR_DIVERGED' &&
        !same(new Uint8Array(net.parameters().buffer), new Uint8Array(before.buffer))
      )
        fail('step: a diverging update changed the weights');
    },

    async train() {
      const net = target('nets');
      if (!net) return actions.create();
      const onDataset = r.chance(0.4);
      const ds = onDataset ? target('datasets') : null;
      const progress = r.weighted([
        [6, 'none'],
        [2, 'count'],
        [1, 'throw'],
        [1, 'dispose'],
        [1, 'reenter'],
        [1, 'swap'],
        [1, 'dispose-data'],
      ]);
      const o = {};
      if (r.chance(0.5)) o.epochs = r.int(1, 2);
      if (r.chance(0.3)) o.shuffle = r.chance(0.5);
      let calls = 0;
      const interfering = { throw: 1, dispose: 1, 'dispose-data': 1 };
      if (progress !== 'none')
        o.onProgress = () => {
          calls++;
          if (progress === 'throw') throw new Error('stop: from onProgress');
          if (progress === 'dispose') net.dispose();
          if (progress === 'dispose-data') ds?.dispose();
          if (progress === 'reenter' && !net.disposed)
            net.predict(net.inputs === 784 ? tiny.images.subarray(0, 784) : new Uint8Array(net.inputs));
          if (progress === 'swap' && !net.disposed)
            net.setOptions({
              optimizer: r.pick(['sgd', 'momentum', 'adam']),
              batchSize: r.int(1, 8),
              learningRate: 0.01,
            });
        };
      let bad = r.chance(0.25);
      let args;
      if (onDataset) {
        if (!ds) return actions.open();
        args = [ds, bad ? spoil(r, o, ['epochs']) : o];
      } else {
        const k = r.int(1, 48);
        const { x, y } = samples(r, net, k);
        if (bad) {
          const part = r.int(0, 2);
          args =
            part === 0
              ? [badImages(r, x, k, net.inputs), y, o]
              : part === 1
                ? [x, badLabels(r, y, net.classes), o]
                : [x, y, spoil(r, o, ['epochs'])];
        } else args = [x, y, o];
      }
      // a Dataset: valid only when whole and fitting the network
      const fits =
        ds &&
        !ds.disposed &&
        ds.complete &&
        (ds.ready === 0 || ds.rows * ds.cols === net.inputs) &&
        ds.maxLabel < net.classes;
      const expect = bad || net.disposed || (onDataset && !fits) ? 'reject' : interfering[progress] ? 'any' : 'ok';
      const { result, error } = await call(
        onDataset ? 'train(dataset)' : 'train',
        `${bad ? `bad ${describeArgs(args)} ` : ''}${progress}`,
        () => net.train(...args),
        { nets: [net], expect, partial: (e) => e.code === 'NN_ERR_DIVERGED' || (calls > 0 && !!interfering[progress]) },
      );
      if (result && !(result.samples >= 0 && Number.isFinite(result.seconds)))
        fail(`train: odd result ${JSON.stringify(result)}`);
      if (
        error &&
        interfering[progress] &&
        calls === 0 &&
        !bad &&
        expect !== 'reject' &&
        error.code !== 'NN_ERR_DIVERGED'
      )
        fail(`train: failed before onProgress ran: ${error.message}`);
      tidy();
    },

    async predict() {
      const net = target('nets');
      if (!net) return actions.create();
      const k = r.weighted([
        [8, r.int(1, 8)],
        [1, r.int(9, 80)],
      ]);
      const { x } = samples(r, net, k);
      const bad = r.chance(0.25);
      const arg = bad ? badImages(r, x, k, net.inputs) : x;
      const { result } = await call('predict', bad ? 'bad' : `${k}`, () => net.predict(arg), {
        nets: [net],
        expect: bad || net.disposed ? 'reject' : 'ok',
        mutates: false,
      });
      if (result) {
        if (result.length !== k * net.classes)
          fail(`predict: ${result.length} outputs for ${k} images of ${net.classes} classes`);
        for (let i = 0; i < k; i++) {
          let s = 0;
          for (let j = 0; j < net.classes; j++) s += result[i * net.classes + j];
          if (!(Math.abs(s - 1) < 1e-3)) fail(`predict: probabilities of image ${i} sum to ${s}`);
        }
      }
    },

    async evaluate() {
      const net = target('nets');
      if (!net) return actions.create();
      const o = {};
      if (r.chance(0.3)) o.wrong = r.int(0, 20);
      if (r.chance(0.2)) o.wrongPerLabel = r.int(0, 3);
      const bad = r.chance(0.25);
      const onDataset = r.chance(0.4);
      let args,
        expect,
        k = 0;
      if (onDataset) {
        const ds = target('datasets');
        if (!ds) return actions.open();
        args = [ds, bad ? spoil(r, o, ['wrong', 'wrongPerLabel']) : o];
        k = ds.ready;
        const fits = !ds.disposed && ds.ready > 0 && ds.rows * ds.cols === net.inputs && ds.maxLabel < net.classes;
        expect = bad || net.disposed || !fits ? 'reject' : ds.suspect ? 'any' : 'ok';
      } else {
        k = r.int(1, 40);
        const { x, y } = samples(r, net, k);
        const part = r.int(0, 2);
        args = !bad
          ? [x, y, o]
          : part === 0
            ? [badImages(r, x, k, net.inputs), y, o]
            : part === 1
              ? [x, badLabels(r, y, net.classes), o]
              : [x, y, spoil(r, o, ['wrong', 'wrongPerLabel'])];
        expect = bad || net.disposed ? 'reject' : 'ok';
      }
      const { result } = await call(
        onDataset ? 'evaluate(dataset)' : 'evaluate',
        bad ? 'bad' : '',
        () => net.evaluate(...args),
        { nets: [net], expect, mutates: false },
      );
      if (result) checkEvaluation(result, k, net.classes, fail);
    },

    async evaluator() {
      const ev = target('evaluators');
      const op = ev
        ? r.weighted([
            [3, 'new'],
            [6, 'step'],
            [2, 'result'],
            [1, 'dispose'],
          ])
        : 'new';
      if (op === 'new') {
        const net = target('nets'),
          ds = target('datasets');
        if (!net) return actions.create();
        if (!ds) return actions.open();
        const o = r.chance(0.2) ? { wrong: r.int(0, 10) } : undefined;
        const bad = r.chance(0.15);
        const arg = bad ? r.pick([null, tiny.images, {}, net]) : ds;
        const fits = !ds.disposed && ds.ready > 0 && ds.rows * ds.cols === net.inputs && ds.maxLabel < net.classes;
        const { result } = await call(
          'evaluator',
          bad ? 'bad' : `of ${ds.ready} samples${ds.disposed ? ', disposed' : ''}`,
          () => net.evaluator(arg, o),
          { nets: [net], expect: bad || net.disposed || !fits ? 'reject' : ds.suspect ? 'any' : 'ok', mutates: false },
        );
        if (result) add('evaluators', held(result, { net, ds }));
        return;
      }
      if (op === 'step') {
        const bad = r.chance(0.2);
        const count = bad ? r.pick([0, -1, 1.5, '5', NaN, null, 2 ** 40]) : r.int(1, 30);
        const gone = ev.disposed || ev.net.disposed || ev.ds.disposed;
        await call('evaluator.step', bad ? 'bad' : `${count}`, () => ev.it.step(count), {
          nets: [ev.net],
          expect: bad || gone ? 'reject' : ev.ds.suspect ? 'any' : 'ok',
          mutates: false,
        });
        return;
      }
      const done = ev.it.done;
      const finish = op === 'result' ? () => ev.it.result() : () => ev.it.dispose();
      // result() frees the evaluator whether it returns or throws (say, its dataset was disposed)
      const { result } = await call(`evaluator.${op}`, '', finish, {
        nets: [ev.net],
        // a suspect data set may fail after the evaluation: result() then cannot read its labels
        expect:
          op === 'result' && ev.disposed
            ? 'reject'
            : op === 'dispose' || (done && !ev.ds.disposed && !ev.ds.suspect)
              ? 'ok'
              : 'any',
        mutates: false,
        frees: true,
      });
      if (result && op === 'result' && done) checkEvaluation(result, ev.it.total, ev.net.classes, fail);
      ev.gone = true;
      bury('evaluators', ev);
    },

    async setOptions() {
      const net = target('nets');
      if (!net) return actions.create();
      const o = goodTraining(r);
      if (r.chance(0.4)) o.learningRate = r.float(0.001, 0.2);
      if (r.chance(0.4)) o.batchSize = r.int(1, 32);
      if (r.chance(0.4)) o.optimizer = r.pick(['sgd', 'momentum', 'adam']);
      if (o.optimizer === 'adam') o.learningRate = 0.003;
      const bad = r.chance(0.35);
      const arg = bad
        ? spoil(r, o, ['learningRate', 'batchSize', 'optimizer', 'schedule', 'weightDecay', 'augment'])
        : o;
      const before = net.disposed ? null : net.parameters();
      await call('setOptions', bad ? 'bad' : Object.keys(o).join(','), () => net.setOptions(arg), {
        nets: [net],
        expect: bad || net.disposed ? 'reject' : 'ok',
      });
      if (!net.disposed && !same(new Uint8Array(net.parameters().buffer), new Uint8Array(before.buffer)))
        fail('setOptions changed the weights');
    },

    async open() {
      const which = r.weighted([
        [6, 'good'],
        [1, 'small'],
        [3, 'broken'],
        [2, 'args'],
      ]);
      let sources,
        options,
        expect = 'ok';
      if (which === 'good') sources = r.pick(tiny.good);
      if (which === 'small') sources = tiny.small;
      if (which === 'broken') sources = r.pick(tiny.broken);
      let detail = which === 'broken' ? `broken ${tiny.broken.indexOf(sources)}` : which;
      if (which === 'args') {
        expect = 'reject';
        const g = tiny.good[0];
        const a = r.int(0, 4);
        if (a === 0) sources = r.pick([null, undefined, 'data', g.images, [g.images, g.labels]]);
        if (a === 1)
          sources = r.pick([
            { images: g.images },
            { labels: g.labels },
            { ...g, tests: g.labels },
            { images: 5, labels: g.labels },
            { images: g.images, labels: null },
          ]);
        if (a >= 2) {
          sources = g;
          options = r.pick([
            5,
            [],
            null,
            { classes: 1 },
            { classes: 257 },
            { classes: 2.5 },
            { bogus: 1 },
            { onProgress: 'x' },
          ]);
        }
      } else {
        if (r.chance(0.3)) {
          sources = {
            images: stream(r, sources.images),
            labels: r.chance(0.5) ? stream(r, sources.labels) : sources.labels,
          };
          detail += ' streamed';
        }
        if (r.chance(0.15)) options = { classes: r.pick([2, 10, 256]) };
        if (r.chance(0.1)) options = { ...options, onProgress: () => {} };
      }
      const wait = r.chance(0.4);
      if (wait && expect === 'ok' && which !== 'good' && which !== 'small') expect = 'reject';
      if (wait && (options?.classes === 2 || options?.classes === 256)) expect = 'any'; // too few classes; or label 12 is fine
      const { result } = await call(
        wait ? 'loadDataset' : 'openDataset',
        `${detail} ${JSON.stringify(options)}`,
        () => (wait ? loadDataset : openDataset)(sources, options),
        { expect, mutates: false },
      );
      if (result) {
        if (!(result instanceof Dataset)) fail('openDataset: not a Dataset');
        if (wait && !result.complete) fail('loadDataset resolved before the data set was whole');
        result.done.catch(() => {});
        settling.push(result.done);
        // a data set from broken files (or with too few classes) may fail as it fills: calls on it may then be refused
        result.suspect = which === 'broken' || options?.classes === 2;
        add('datasets', result);
      }
    },

    async dataset() {
      const ds = target('datasets');
      if (!ds) return actions.open();
      const op = r.weighted([
        [3, 'image'],
        [3, 'label'],
        [2, 'changed'],
        [1, 'dispose'],
        [1, 'wait'],
      ]);
      const ready = ds.ready;
      const bad = r.chance(0.3);
      const i = bad ? r.pick([-1, ready, ready + 5, 1.5, '0', null, NaN]) : ready ? r.int(0, ready - 1) : -1;
      const expect = ds.disposed || bad || ready === 0 ? 'reject' : 'ok';
      if (op === 'image') {
        const { result } = await call('dataset.image', '', () => ds.image(i), { expect, mutates: false });
        if (result && result.length !== ds.rows * ds.cols) fail('dataset.image: wrong size');
      }
      if (op === 'label') {
        const { result } = await call('dataset.label', '', () => ds.label(i), { expect, mutates: false });
        if (result !== undefined && !(result >= 0 && result < ds.classes))
          fail(`dataset.label: ${result} is not below ${ds.classes}`);
      }
      if (op === 'changed')
        await call('dataset.changed', '', () => Promise.race([ds.changed(), tick()]), { expect: 'ok', mutates: false });
      if (op === 'wait') await call('dataset.done', '', () => Promise.race([ds.done, tick()]), { mutates: false });
      if (op === 'dispose') {
        await call('dataset.dispose', '', () => ds.dispose(r.chance(0.5) ? new Error('gone') : undefined), {
          expect: 'ok',
          mutates: false,
        });
        bury('datasets', ds);
      }
    },

    async parse() {
      const bytes = r.pick([tiny.good[0].images, tiny.good[2].labels, ...tiny.broken.map((b) => b.images)]);
      await call('parseIdx', '', () => parseIdx(bytes), { mutates: false });
    },

    async trainer() {
      const t = target('trainers');
      const op = t
        ? r.weighted([
            [1, 'new'],
            [8, 'run'],
            [1, 'plan'],
            [1, 'restart'],
            [1, 'progress'],
            [1, 'dispose'],
          ])
        : 'new';
      if (op === 'new') {
        const bad = r.chance(0.2);
        const o = bad
          ? r.pick([{ shuffle: 1 }, { order: 'fixed' }, 'x', null])
          : r.pick([undefined, {}, { shuffle: false }, { shuffle: true }]);
        const { result } = await call('new Trainer', bad ? 'bad' : '', () => new Trainer(o), {
          expect: bad ? 'reject' : 'ok',
          mutates: false,
        });
        if (result) add('trainers', held(result));
        return;
      }
      if (op === 'run') {
        const net = target('nets'),
          ds = target('datasets');
        if (!net) return actions.create();
        if (!ds) return actions.open();
        const bad = r.chance(0.25);
        let netArg = net,
          dsArg = ds,
          budget = r.weighted([
            [6, r.int(1, 64)],
            [1, 0],
            [1, r.int(65, 400)],
          ]);
        if (bad) {
          const part = r.int(0, 2);
          if (part === 0) budget = r.pick([-1, 1.5, '10', NaN, 2 ** 31, null]);
          if (part === 1) netArg = r.pick([null, {}, ds, t.it]);
          // a look-alike of the package's own heap samples, with made-up pointers
          if (part === 2)
            dsArg = r.pick([
              null,
              tiny.good[0],
              { y: 1e9, u8: 1e9, f32: 0, n: 100 },
              { y: 16, u8: 64, f32: 0, n: 100 },
              net,
              [],
            ]);
        }
        const fits = !ds.disposed && (ds.ready === 0 || ds.rows * ds.cols === net.inputs) && ds.maxLabel < net.classes;
        const expect = bad || t.disposed || net.disposed || !fits ? 'reject' : ds.suspect ? 'any' : 'ok';
        const { result } = await call(
          'trainer.run',
          bad ? 'bad' : `${budget} on ${ds.ready}/${ds.count} ${ds.rows}x${ds.cols}${ds.complete ? ' whole' : ''}`,
          () => t.it.run(netArg, dsArg, budget),
          { nets: [net], expect, partial: (e) => e.code === 'NN_ERR_DIVERGED' },
        );
        if (result && !(result.trained >= 0 && result.trained <= Math.max(budget, 0) + 4096))
          fail(`trainer.run: trained ${result.trained} for a budget of ${budget}`);
        return;
      }
      if (op === 'plan') {
        const bad = r.chance(0.3);
        const e = bad ? r.pick([-1, 1.5, 'x', 2e9, NaN]) : r.int(0, 5);
        await call('trainer.plan', bad ? 'bad' : `${e}`, () => t.it.plan(e), {
          expect: bad || t.disposed ? 'reject' : 'ok',
          mutates: false,
        });
      }
      if (op === 'restart')
        await call('trainer.restart', '', () => t.it.restart(), {
          expect: t.disposed ? 'reject' : 'ok',
          mutates: false,
        });
      if (op === 'progress')
        await call('trainer.progress', '', () => t.it.progress, {
          expect: t.disposed ? 'reject' : 'ok',
          mutates: false,
        });
      if (op === 'dispose') {
        await call('trainer.dispose', '', () => t.it.dispose(), { expect: 'ok', mutates: false });
        t.gone = true;
        bury('trainers', t);
      }
    },

    async dispose() {
      const name = r.weighted([
        [4, 'nets'],
        [1, 'datasets'],
        [1, 'trainers'],
      ]);
      const x = target(name);
      if (!x) return;
      await call(`dispose(${name})`, '', () => x.dispose(), { expect: 'ok' });
      bury(name, x);
    },

    async tick() {
      await call('tick', '', tick, { expect: 'ok', mutates: false });
    },
  };

  const table = [
    [6, 'create'],
    [5, 'load'],
    [5, 'save'],
    [3, 'inspect'],
    [3, 'backprop'],
    [14, 'step'],
    [7, 'train'],
    [10, 'predict'],
    [7, 'evaluate'],
    [6, 'evaluator'],
    [6, 'setOptions'],
    [5, 'open'],
    [7, 'dataset'],
    [1, 'parse'],
    [9, 'trainer'],
    [3, 'dispose'],
    [2, 'tick'],
  ];

  /** Disposes everything and waits for the downloads to settle: the heap must be back at `start`, no thread running. */
  async function clear(start) {
    for (const name of Object.keys(dead)) for (const x of pool[name]) x.dispose();
    await Promise.allSettled(settling.splice(0));
    for (const name of Object.keys(dead)) pool[name] = [];
    await tick();
    if (start === undefined) return;
    const used = await heapUsed();
    if (used !== start) fail(`after #${n} and everything disposed, the heap in use is ${used} bytes, not ${start}`);
    const running = (await init()).M._threads_alive(); // the networks' pool threads, joined by dispose
    if (running !== 0) fail(`after #${n} and everything disposed, ${running} threads still run`);
  }

  return {
    counts,
    rejects,
    byError,
    times,
    get calls() {
      return n;
    },
    async run(count, start) {
      let checkpoints = 0;
      while (n < count) {
        await actions[r.weighted(table)]();
        if (start !== undefined && n >= (checkpoints + 1) * CHECK_EVERY) {
          await clear(start);
          checkpoints++;
        }
      }
      await clear(start);
      return checkpoints + 1;
    },
  };
}

/** A ReadableStream of bytes in random chunks, one per pull, each after a turn of the event loop. */
function stream(r, bytes) {
  let at = 0;
  const sizes = [];
  while (at < bytes.length) {
    const s = r.int(1, 4000);
    sizes.push(s);
    at += s;
  }
  at = 0;
  return new ReadableStream({
    async pull(c) {
      await tick();
      const s = sizes.shift();
      if (s === undefined) return c.close();
      c.enqueue(bytes.slice(at, at + s));
      at += s;
    },
  });
}

/** A Trainer or evaluator with what the test knows of it (they have no `disposed`). */
function held(it, more) {
  return {
    it,
    ...more,
    gone: false,
    get disposed() {
      return this.gone;
    },
    dispose() {
      this.gone = true;
      it.dispose();
    },
  };
}

/** Arguments in a few words, for the log. */
function describeArgs(args) {
  return args
    .map((a) =>
      ArrayBuffer.isView(a)
        ? `${a.constructor.name}(${a.length})`
        : a instanceof Dataset
          ? 'Dataset'
          : (JSON.stringify(a) ?? String(a)),
    )
    .join(', ');
}

const same = (a, b) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const tick = () => new Promise((ok) => setImmediate(ok));

function checkEvaluation(e, n, classes, fail) {
  if (e.samples !== n) fail(`evaluate: ${e.samples} samples, not ${n}`);
  if (!(e.accuracy >= 0 && e.accuracy <= 1)) fail(`evaluate: accuracy ${e.accuracy}`);
  if (!Number.isFinite(e.loss)) fail(`evaluate: loss ${e.loss}`);
  const total = e.confusion.flat().reduce((s, v) => s + v, 0);
  if (e.confusion.length !== classes || total !== n) fail(`evaluate: the confusion matrix counts ${total} of ${n}`);
}

test(`${CALLS.toLocaleString('en')} calls in a seeded random order (seed ${SEED}): no trap, rejected calls change nothing, heap back where it started`, async () => {
  const t0 = Date.now();
  // warm-up: the module's one-time allocations (the out-parameter slots,
  // the facts string, the allocator's own) are made by a short sequence of
  // another seed, then everything is disposed and the heap in use measured
  const warm = await sequence(SEED + 1e6);
  await warm.run(400);
  const start = await heapUsed();
  const s = await sequence(SEED);
  const checkpoints = await s.run(CALLS, start);
  const end = await heapUsed();
  assert.is(end, start, 'heap in use after everything was disposed');
  const seconds = (Date.now() - t0) / 1000;
  const rejected = Object.values(s.rejects).reduce((a, b) => a + b, 0);
  console.log(
    `\n  calls: ${s.calls} in ${seconds.toFixed(1)} s, ${rejected} rejected; heap in use ${start} bytes after the warm-up, ${end} at the end (${checkpoints} checks with everything disposed)`,
  );
  const kinds = Object.keys(s.counts).sort((a, b) => s.counts[b] - s.counts[a]);
  for (const k of kinds)
    console.log(
      `    ${k.padEnd(20)} ${String(s.counts[k]).padStart(7)} calls ${String(s.rejects[k] ?? 0).padStart(7)} rejected ${(s.times[k] / 1000).toFixed(2).padStart(7)} s`,
    );
  console.log('  rejections by error:');
  for (const [k, v] of Object.entries(s.byError).sort((a, b) => b[1] - a[1]))
    console.log(`    ${k.padEnd(28)} ${String(v).padStart(7)}`);
  assert.ok(s.calls >= CALLS);
  for (const k of [
    'createNetwork',
    'loadNetwork',
    'step',
    'train',
    'train(dataset)',
    'predict',
    'evaluate',
    'evaluate(dataset)',
    'evaluator.step',
    'save',
    'setOptions',
    'openDataset',
    'loadDataset',
    'trainer.run',
    'dispose(nets)',
  ])
    assert.ok(s.counts[k] > 0, `no ${k} calls`);
});

test.run();
