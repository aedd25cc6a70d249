// mnist-wasm: a from-scratch neural network in C, compiled to WebAssembly.
// This is the package API (DESIGN.md): createNetwork, loadNetwork and the
// Network methods here; parseIdx, fetchIdx and streamIdx in idx.js. It runs
// unchanged in Node 20, a page and a module worker.
//
// Rules kept throughout:
// - Every argument is checked here, before anything is copied into the
//   heap, and a bad one throws a TypeError or RangeError naming it; so a
//   rejected call leaves the network exactly as it was.
// - C status codes become Errors with C's message and a `code`
//   ("NN_ERR_...") through one check() helper (wasm.js).
// - Whoever mallocs frees: each Network owns its net pointer and one
//   scratch block; per-call buffers are freed in finally.
// - Heap views are fetched fresh after every call that can allocate.

import { init, loadedWasm, describe, tag } from './wasm.js';
import { Dataset } from './dataset.js';
import { checkLabel, checkCount, sampleGradients, checkGradients, layerParameters } from './gradients.js';

export { init, defaultWasmUrl, threadsUnavailable } from './wasm.js';
export { parseIdx, fetchIdx, streamIdx } from './idx.js';
export { Dataset, openDataset, loadDataset, openMnist, loadMnist, findMnistFile } from './dataset.js';

// Samples per trainer call inside train(), rounded by C to whole
// mini-batches (the same bits as one call per epoch); onProgress runs after each.
const PROGRESS_SAMPLES = 1024;
// Misclassified samples that evaluate() lists, and at most this many of one true label.
const WRONG_CAP = 64;
const WRONG_PER_LABEL = 0;

const TRAINING_OPTIONS = ['schedule', 'weightDecay', 'augment'];
const NETWORK_OPTIONS = [
  'layers',
  'activation',
  'input',
  'optimizer',
  'learningRate',
  'momentum',
  'beta1',
  'beta2',
  'epsilon',
  'batchSize',
  'seed',
  ...TRAINING_OPTIONS,
];
const TRAIN_OPTIONS = ['epochs', 'onProgress', 'shuffle'];
const EVALUATE_OPTIONS = ['wrong', 'wrongPerLabel'];
const SET_OPTIONS = ['learningRate', 'batchSize', 'optimizer', ...TRAINING_OPTIONS];

// ---- argument checks ------------------------------------------------------

function optionsObject(options, fn, known) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options))
    if (!known.includes(k)) throw new TypeError(`${fn}: unknown option "${k}" (known: ${known.join(', ')})`);
  return options;
}

function number(v, name, lo, hi) {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be finite, got ${v}`);
  // compared as float32, the precision C keeps
  const f = Math.fround(v);
  if (!(f >= Math.fround(lo) && f <= Math.fround(hi)))
    throw new RangeError(`${name} must be in ${shortFloat(Math.fround(lo))}..${shortFloat(Math.fround(hi))}, got ${v}`);
  return v;
}

function integer(v, name, lo, hi) {
  if (typeof v !== 'number') throw new TypeError(`${name} must be an integer, got ${describe(v)}`);
  if (!Number.isInteger(v)) throw new RangeError(`${name} must be an integer, got ${v}`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be in ${lo}..${hi}, got ${v}`);
  return v;
}

function choice(v, name, names) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be one of ${names.join(', ')}, got ${describe(v)}`);
  const i = names.indexOf(v);
  if (i < 0) throw new RangeError(`${name} must be one of ${names.join(', ')}, got "${v}"`);
  return i;
}

/**
 * layers as the grammar's text: a string ("28x28,conv5x8,pool2,128,10")
 * or an array of its items, numbers (dense layers, a flat input) or
 * strings ("28x28", "conv5x8", "pool2").
 */
function layersText(l) {
  if (typeof l === 'string') return l;
  if (!Array.isArray(l))
    throw new TypeError(`layers must be a string such as "784,128,64,10" or an array of its items, got ${describe(l)}`);
  return l
    .map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v !== 'number')
        throw new TypeError(`layers[${i}] must be a number of units or an item such as "conv5x8", got ${describe(v)}`);
      if (!Number.isInteger(v)) throw new RangeError(`layers[${i}] must be an integer, got ${v}`);
      return String(v);
    })
    .join(',');
}

/** The config for create() in C's layout (facts.config): NaN where the C default applies. */
function configFromOptions(options, fn, w) {
  const { facts } = w;
  const { limits, ranges, config: CFG, activations, inputs, optimizers } = facts;
  const { maxBatch: MAX_BATCH } = limits;
  const o = optionsObject(options, fn, NETWORK_OPTIONS);
  const cfg = new Float64Array(CFG.length).fill(NaN);
  if (o.layers !== undefined) {
    // the stack's shapes and limits are C's (layers.c), which words the refusal
    const p = w.malloc(cfg.length * 8, 'the config');
    try {
      const [status, why] = w.callText(w.M._layers_config, [layersText(o.layers), p]);
      if (status !== 0) throw new RangeError(`layers: ${why}`);
      const stack = w.f64.slice(p >> 3, (p >> 3) + cfg.length);
      for (let i = CFG.nSizes; i < CFG.sizes + limits.maxLayers + 1; i++) cfg[i] = stack[i];
      for (let i = CFG.inShape; i < CFG.length; i++) cfg[i] = stack[i];
    } finally {
      w.free(p);
    }
  }
  if (o.activation !== undefined) cfg[CFG.activation] = choice(o.activation, 'activation', activations);
  if (o.input !== undefined) cfg[CFG.input] = choice(o.input, 'input', inputs);
  if (o.optimizer !== undefined) cfg[CFG.optimizer] = choice(o.optimizer, 'optimizer', optimizers);
  if (o.learningRate !== undefined)
    cfg[CFG.learningRate] = number(o.learningRate, 'learningRate', ...ranges.learningRate);
  if (o.momentum !== undefined) cfg[CFG.momentum] = number(o.momentum, 'momentum', ...ranges.decay);
  if (o.beta1 !== undefined) cfg[CFG.beta1] = number(o.beta1, 'beta1', ...ranges.decay);
  if (o.beta2 !== undefined) cfg[CFG.beta2] = number(o.beta2, 'beta2', ...ranges.decay);
  if (o.epsilon !== undefined) cfg[CFG.epsilon] = number(o.epsilon, 'epsilon', ...ranges.epsilon);
  if (o.batchSize !== undefined) cfg[CFG.batchSize] = integer(o.batchSize, 'batchSize', 1, MAX_BATCH);
  if (o.seed !== undefined) {
    let s = o.seed;
    if (typeof s === 'number') {
      if (!Number.isSafeInteger(s) || s < 0)
        throw new RangeError(`seed must be an integer in 0..2^53-1 (or a BigInt below 2^64), got ${s}`);
      s = BigInt(s);
    } else if (typeof s !== 'bigint') {
      throw new TypeError(`seed must be a non-negative integer or BigInt, got ${describe(s)}`);
    } else if (s < 0n || s >= 1n << 64n) {
      throw new RangeError(`seed must be below 2^64 and not negative, got ${s}`);
    }
    cfg[CFG.seedLo] = Number(s & 0xffffffffn);
    cfg[CFG.seedHi] = Number(s >> 32n);
  }
  trainingInto(o, cfg, facts);
  return cfg;
}

/**
 * The training options (schedule, weightDecay, augment) into a config
 * layout. augment is true (the defaults of `--augment`), false (none) or
 * an object of the distortions to use ({ shift, rotate, scale, shear,
 * elastic }, the others 0).
 */
function trainingInto(o, cfg, { config: CFG, schedules, augment: A, maxWeightDecay }) {
  if (o.schedule !== undefined) cfg[CFG.schedule] = choice(o.schedule, 'schedule', schedules);
  if (o.weightDecay !== undefined) cfg[CFG.weightDecay] = number(o.weightDecay, 'weightDecay', 0, maxWeightDecay);
  const a = o.augment;
  if (a === undefined) return;
  if (typeof a === 'boolean') {
    A.names.forEach((_, i) => (cfg[CFG.augment + i] = a ? A.defaults[i] : 0));
    return;
  }
  if (a === null || typeof a !== 'object' || Array.isArray(a))
    throw new TypeError(`augment must be true, false or an object of { ${A.names.join(', ')} }, got ${describe(a)}`);
  for (const k of Object.keys(a))
    if (!A.names.includes(k)) throw new TypeError(`augment: unknown distortion "${k}" (known: ${A.names.join(', ')})`);
  A.names.forEach(
    (k, i) => (cfg[CFG.augment + i] = a[k] === undefined ? 0 : number(a[k], `augment.${k}`, 0, A.max[i])),
  );
}

/** The shortest decimal that is the same float32 (0.1, not 0.10000000149011612). */
function shortFloat(v) {
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

/** The stack as the grammar's items: numbers for dense layers and a flat input, else strings. */
const layerItems = (text) => text.split(',').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function optionsFromConfig(c, layers, { config: CFG, activations, inputs, optimizers, schedules, augment: A }) {
  const seed = (BigInt(c[CFG.seedHi]) << 32n) | BigInt(c[CFG.seedLo]);
  return {
    layers: layerItems(layers),
    activation: activations[c[CFG.activation]],
    input: inputs[c[CFG.input]],
    optimizer: optimizers[c[CFG.optimizer]],
    learningRate: shortFloat(c[CFG.learningRate]),
    momentum: shortFloat(c[CFG.momentum]),
    beta1: shortFloat(c[CFG.beta1]),
    beta2: shortFloat(c[CFG.beta2]),
    epsilon: shortFloat(c[CFG.epsilon]),
    batchSize: c[CFG.batchSize],
    seed: seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed,
    schedule: schedules[c[CFG.schedule]],
    weightDecay: shortFloat(c[CFG.weightDecay]),
    augment: Object.fromEntries(A.names.map((k, i) => [k, shortFloat(c[CFG.augment + i])])),
  };
}

/** Whether a typed array is empty because its buffer was transferred away. */
function detached(view) {
  if (view.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer); // throws for a detached buffer, in every engine
    return false;
  } catch {
    return true;
  }
}

/** Checks images against the input size: { n, float }. */
function checkImages(images, inputs, fn, max = Infinity) {
  const t = tag(images);
  const float = t === 'Float32Array';
  if (!float && t !== 'Uint8Array' && t !== 'Uint8ClampedArray')
    throw new TypeError(
      `${fn}: images must be a Uint8Array of n*${inputs} pixels (0..255) or a Float32Array (0..1), got ${describe(images)}`,
    );
  const len = images.length;
  if (len === 0 && detached(images))
    throw new TypeError(`${fn}: images is empty because its buffer was transferred (detached), e.g. by postMessage`);
  if (len === 0 || len % inputs !== 0)
    throw new RangeError(
      `${fn}: images.length ${len} is not a positive multiple of ${inputs} (the pixels of one image)`,
    );
  const n = len / inputs;
  if (n > max) throw new RangeError(`${fn}: images holds ${n} images; at most ${max} go in one call`);
  if (float) {
    for (let i = 0; i < len; i++) {
      if (!Number.isFinite(images[i]))
        throw new RangeError(`${fn}: images[${i}] is ${images[i]}; pixels must be finite`);
    }
  }
  return { n, float };
}

function checkLabels(labels, n, classes, fn) {
  if (tag(labels) !== 'Uint8Array') throw new TypeError(`${fn}: labels must be a Uint8Array, got ${describe(labels)}`);
  if (labels.length === 0 && detached(labels))
    throw new TypeError(`${fn}: labels is empty because its buffer was transferred (detached), e.g. by postMessage`);
  if (labels.length !== n) throw new RangeError(`${fn}: labels.length ${labels.length} does not match the ${n} images`);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= classes)
      throw new RangeError(`${fn}: labels[${i}] is ${labels[i]}; labels must be below ${classes} (the output size)`);
  }
}

function trainOptions(options) {
  const o = optionsObject(options, 'train', TRAIN_OPTIONS);
  const epochs = o.epochs === undefined ? 1 : integer(o.epochs, 'epochs', 1, 1e6);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw new TypeError(`train: onProgress must be a function, got ${describe(o.onProgress)}`);
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean')
    throw new TypeError(`train: shuffle must be a boolean, got ${describe(o.shuffle)}`);
  return { epochs, onProgress: o.onProgress, shuffle: o.shuffle ?? true };
}

function evaluateOptions(options) {
  const o = optionsObject(options, 'evaluate', EVALUATE_OPTIONS);
  return {
    wrong: o.wrong === undefined ? WRONG_CAP : integer(o.wrong, 'wrong', 0, 1 << 20),
    wrongPerLabel:
      o.wrongPerLabel === undefined ? WRONG_PER_LABEL : integer(o.wrongPerLabel, 'wrongPerLabel', 0, 1 << 20),
  };
}

// ---- the network ------------------------------------------------------------

const token = Symbol('Network');
const trainerAccess = Symbol('trainerAccess'); // Network's door for Trainer only

// Frees the C side of networks that were dropped without dispose().
const registry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ w, ptr, scratch }) => {
        w.M._destroy(ptr);
        w.free(scratch);
        w.releaseWorkers();
      })
    : null;

/** The threads option: an integer in 1..maxThreads, 1 when not given. */
function threadsOption(v, w) {
  return v === undefined ? 1 : integer(v, 'threads', 1, w.facts.limits.maxThreads);
}

/**
 * Starts the asked threads on a new C network (ptr), whose workers are
 * loaded first; returns '' or, where threads cannot run here, why (the
 * network then keeps one). Destroys ptr if it throws.
 */
async function startThreads(w, ptr, threads, fn) {
  if (threads === 1) return '';
  if (w.threadsReason) return w.threadsReason;
  try {
    await w.reserveWorkers(threads - 1);
    w.check(w.M._set_threads(ptr, threads), `${fn}: threads`); // in the same turn as the check of the workers
  } catch (e) {
    w.M._destroy(ptr);
    w.releaseWorkers();
    throw e;
  }
  return '';
}

/** A network in the shared wasm instance; made by createNetwork / loadNetwork. */
export class Network {
  #w;
  #ptr;
  #held; // what the registry frees: { w, ptr, scratch }
  #inputs;
  #classes;
  #batch; // the mini-batch size of train(), as C has it
  #rows = 0; // scratch capacity in samples
  #x = 0; // scratch: rows * inputs floats (or bytes)
  #labels = 0; // scratch: rows bytes
  #probs = 0; // scratch: rows * classes floats
  #threadsReason; // why fewer threads run than were asked for ('' if none)

  constructor(key, w, ptr, threadsReason = '') {
    if (key !== token) throw new TypeError('Network: use createNetwork() or loadNetwork()');
    this.#w = w;
    this.#ptr = ptr;
    this.#threadsReason = threadsReason;
    this.#held = { w, ptr, scratch: 0 };
    registry?.register(this, this.#held, this);
    const c = this.#config();
    const CFG = w.facts.config;
    this.#inputs = c[CFG.sizes];
    this.#classes = c[CFG.sizes + c[CFG.nSizes] - 1];
    this.#batch = c[CFG.batchSize];
    try {
      this.#reserve(this.#batch);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  #live(fn) {
    if (!this.#ptr) throw new Error(`${fn}: network disposed`);
    return this.#w;
  }

  #config() {
    const w = this.#w;
    const len = w.facts.config.length;
    const p = w.malloc(len * 8, 'the config');
    try {
      w.check(w.M._config(this.#ptr, p), 'config');
      return w.f64.slice(p >> 3, (p >> 3) + len);
    } finally {
      w.free(p);
    }
  }

  /** Grows the scratch block to hold `rows` samples (a whole step or predict). */
  #reserve(rows) {
    if (rows <= this.#rows) return;
    const w = this.#w;
    const xBytes = rows * this.#inputs * 4;
    const pBytes = rows * this.#classes * 4;
    const block = w.malloc(xBytes + pBytes + rows, 'the network scratch');
    w.free(this.#held.scratch);
    this.#held.scratch = block;
    this.#rows = rows;
    this.#x = block;
    this.#probs = block + xBytes;
    this.#labels = block + xBytes + pBytes;
  }

  /** Replaces the C network by a copy with this optimizer (fresh state). */
  #swap(optimizer, context) {
    const w = this.#w;
    w.check(w.M._with_optimizer(this.#ptr, optimizer, w.slots), context);
    const fresh = w.u32[w.slots >> 2];
    w.M._destroy(this.#ptr);
    this.#ptr = this.#held.ptr = fresh;
  }

  /** Copies images (checked) to heap address p (4-byte aligned). */
  #copyImages(images, float, p) {
    if (float) this.#w.f32.set(images, p >> 2);
    else this.#w.u8.set(images, p);
  }

  /** The C network, for this package's own tools (the Node command); changes when setOptions swaps the optimizer. */
  get pointer() {
    this.#live('pointer');
    return this.#ptr;
  }
  /** Input size (pixels per image). */
  get inputs() {
    return this.#inputs;
  }
  /** Output size (classes); labels must be below it. */
  get classes() {
    return this.#classes;
  }
  /** Updates made so far. */
  get steps() {
    return this.#ptr ? this.#w.M._steps(this.#ptr) : 0;
  }
  /**
   * Jobs that threads other than the calling one have run for this network
   * (since it was made or loaded): above zero only once work was split.
   */
  get threadJobs() {
    return this.#ptr ? this.#w.M._thread_jobs(this.#ptr) : 0;
  }
  /** True once dispose() has run. */
  get disposed() {
    return !this.#ptr;
  }
  /** The network's options, defaults filled in; threads as they run (threadsReason: why fewer than asked). */
  get options() {
    this.#live('options');
    const [, layers] = this.#w.callText(this.#w.M._layers_text, [this.#ptr]);
    const o = optionsFromConfig(this.#config(), layers, this.#w.facts);
    o.threads = this.#w.M._threads(this.#ptr);
    if (this.#threadsReason) o.threadsReason = this.#threadsReason;
    return o;
  }

  /**
   * Changes the learning rate, mini-batch size and/or optimizer of later
   * training. A new optimizer starts from fresh state (no velocity or
   * moments), as after loadNetwork; the weights are kept.
   */
  setOptions(options) {
    const w = this.#live('setOptions');
    const o = optionsObject(options, 'setOptions', SET_OPTIONS);
    const { limits, ranges, optimizers, config: CFG } = w.facts;
    if (o.learningRate !== undefined) number(o.learningRate, 'learningRate', ...ranges.learningRate);
    if (o.batchSize !== undefined) integer(o.batchSize, 'batchSize', 1, limits.maxBatch);
    const optimizer = o.optimizer === undefined ? -1 : choice(o.optimizer, 'optimizer', optimizers);
    const training = TRAINING_OPTIONS.some((k) => o[k] !== undefined) ? new Float64Array(CFG.length).fill(NaN) : null;
    if (training) trainingInto(o, training, w.facts); // checked before anything changes
    if (optimizer >= 0 && optimizer !== this.#config()[CFG.optimizer]) this.#swap(optimizer, 'setOptions: optimizer');
    if (o.batchSize !== undefined) {
      w.check(w.M._set_batch_size(this.#ptr, o.batchSize), 'setOptions: batchSize');
      this.#batch = o.batchSize;
    }
    if (o.learningRate !== undefined)
      w.check(w.M._set_learning_rate(this.#ptr, o.learningRate), 'setOptions: learningRate');
    if (training) {
      const p = w.malloc(training.length * 8, 'the training options');
      try {
        w.f64.set(training, p >> 3);
        w.check(w.M._set_training(this.#ptr, p), 'setOptions');
      } finally {
        w.free(p);
      }
    }
  }

  /**
   * Trains `epochs` passes over the samples, each in a fresh order from the
   * network's seeded RNG (shuffle: false keeps the given order), through C's
   * trainer (csrc/train.h), as the CLIs and the page do. The samples are
   * images and labels, or a whole Dataset (then labels is the options).
   * onProgress runs after every ~1024 samples. Returns the last epoch's mean
   * loss, the samples trained and the seconds taken.
   */
  train(images, labels, options) {
    const w = this.#live('train');
    if (images instanceof Dataset) return this.#trainOn(images, null, labels);
    const { n, float } = checkImages(images, this.#inputs, 'train');
    checkLabels(labels, n, this.#classes, 'train');
    const xBytes = images.length * (float ? 4 : 1);
    const o = trainOptions(options);
    const block = w.malloc(xBytes + n, 'the training set');
    try {
      this.#copyImages(images, float, block);
      w.u8.set(labels, block + xBytes);
      return this.#trainOn(null, new HeapRows(float ? 0 : block, float ? block : 0, block + xBytes, n), o);
    } finally {
      w.free(block);
    }
  }

  /** The loop of train(): C's trainer over a Dataset (ds) or heap samples (rows). */
  #trainOn(ds, rows, options) {
    const o = ds ? trainOptions(options) : options;
    if (ds) this.#checkDataset(ds, 'train', true);
    const t0 = now();
    const n = rows ? rows.n : ds.ready;
    const trainer = new Trainer({ shuffle: o.shuffle });
    trainer.plan(o.epochs); // the schedule decays over this call's epochs
    try {
      let samples = 0;
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        let p;
        do {
          this.#live('train'); // onProgress may have disposed it
          p = trainer.run(this, ds ?? rows, PROGRESS_SAMPLES, epoch);
          samples += p.trained;
          const done = p.passes >= epoch;
          const seen = done ? n : p.position;
          o.onProgress?.({
            epoch,
            epochs: o.epochs,
            seen,
            total: n,
            samples,
            loss: done ? p.lastLoss : p.passLoss / seen,
            seconds: (now() - t0) / 1000,
          });
        } while (p.passes < epoch);
      }
      return { loss: trainer.progress.lastLoss, samples, seconds: (now() - t0) / 1000 };
    } finally {
      trainer.dispose();
    }
  }

  /** For Trainer: the C network, checked live, and a Dataset checked against it. */
  [trainerAccess](fn, ds) {
    this.#live(fn);
    if (ds) this.#checkDataset(ds, fn, false);
    return this.#ptr;
  }

  /** Throws unless ds is a live Dataset whose images fit this network. */
  #checkDataset(ds, fn, whole) {
    if (ds.disposed) throw new Error(`${fn}: dataset disposed`);
    if (whole && !ds.complete) throw new Error(`${fn}: the dataset has not arrived whole yet (await dataset.done)`);
    const pixels = ds.rows * ds.cols;
    if (ds.ready && pixels !== this.#inputs)
      throw new RangeError(
        `${fn}: the dataset's images are ${ds.rows}x${ds.cols} = ${pixels} pixels but the network takes ${this.#inputs}`,
      );
    // the labels present, not the class count declared (an upper bound)
    const top = ds.maxLabel;
    if (top >= this.#classes)
      throw new RangeError(`${fn}: the dataset has labels up to ${top} but the network only ${this.#classes} outputs`);
  }

  /** One update on exactly this mini-batch (1..4096 samples); returns its mean loss. */
  step(images, labels) {
    const w = this.#live('step');
    const { n, float } = checkImages(images, this.#inputs, 'step', w.facts.limits.maxBatch);
    checkLabels(labels, n, this.#classes, 'step');
    this.#reserve(n);
    this.#copyImages(images, float, this.#x);
    w.u8.set(labels, this.#labels);
    const status = w.M._step(this.#ptr, float ? 0 : this.#x, float ? this.#x : 0, this.#labels, n, w.slots);
    // C keeps the weights and starts the optimizer state afresh
    if (status === w.DIVERGED) throw divergedError('step', this.#ptr);
    w.check(status, 'step');
    return w.f32[w.slots >> 2];
  }

  /**
   * Every layer's outputs for one image, the forward pass seen from inside:
   * one Float32Array per layer after the input (the hidden layers'
   * activations, then the probabilities).
   */
  activations(image) {
    const w = this.#live('activations');
    const { float } = checkImages(image, this.#inputs, 'activations', 1);
    const sizes = this.#config();
    const CFG = w.facts.config;
    const layers = Array.from(sizes.subarray(CFG.sizes + 1, CFG.sizes + sizes[CFG.nSizes]));
    const total = layers.reduce((a, b) => a + b, 0);
    const block = w.malloc(image.length * 4 + total * 4, 'the activations');
    try {
      this.#copyImages(image, float, block);
      const out = block + image.length * 4;
      w.check(w.M._activations(this.#ptr, float ? 0 : block, float ? block : 0, out), 'activations');
      const all = w.f32.slice(out >> 2, (out >> 2) + total);
      let at = 0;
      return layers.map((k) => all.subarray(at, (at += k)));
    } finally {
      w.free(block);
    }
  }

  /**
   * One image's backpropagation with its label, seen from inside, the
   * network unchanged: { loss (-ln p[label]), probabilities, layers: one
   * per layer after the input, { type, z, activations, delta (dloss/dz),
   * and with parameters weights and biases: dloss/dW, dloss/db in their
   * layout } } (gradients.js).
   */
  gradients(image, label) {
    const w = this.#live('gradients');
    const { float } = checkImages(image, this.#inputs, 'gradients', 1);
    checkLabel(label, this.#classes, 'gradients');
    const layers = this.layers;
    const params = layers.reduce((n, y) => n + (y.weights ? y.weights.length + y.biases.length : 0), 0);
    return sampleGradients(w, this.#ptr, layers, params, image, float, label);
  }

  /**
   * gradients() against central finite differences in double on `count`
   * parameters a layer: { maxRelativeError, layers: [{ maxRelativeError,
   * checked, atKinks }] }; the network unchanged.
   */
  gradientCheck(image, label, options) {
    const w = this.#live('gradientCheck');
    const { float } = checkImages(image, this.#inputs, 'gradientCheck', 1);
    checkLabel(label, this.#classes, 'gradientCheck');
    const count = checkCount(options, w.facts.limits.maxCheckCount, 'gradientCheck');
    return checkGradients(w, this.#ptr, this.layers.length, image, float, label, count);
  }

  /** A copy of each parameterised layer's { weights, biases }, in layer order (parameters() cut by layers). */
  layerParameters() {
    this.#live('layerParameters');
    return layerParameters(this.parameters(), this.layers);
  }

  /**
   * Class probabilities: Float32Array(classes) for one image, or
   * (n * classes) row after row for n images.
   */
  predict(images) {
    const w = this.#live('predict');
    const { n, float } = checkImages(images, this.#inputs, 'predict');
    const own = n <= this.#rows;
    const k = this.#classes;
    const block = own ? 0 : w.malloc(images.length * 4 + n * k * 4, 'the images to predict');
    const x = own ? this.#x : block;
    const probs = own ? this.#probs : block + images.length * 4;
    try {
      this.#copyImages(images, float, x);
      const status = w.M._predict(this.#ptr, float ? 0 : x, float ? x : 0, n, probs);
      if (status === w.DIVERGED) throw overflowError('predict');
      w.check(status, 'predict');
      return w.f32.slice(probs >> 2, (probs >> 2) + n * k);
    } finally {
      w.free(block);
    }
  }

  /**
   * Accuracy (0..1), mean loss, confusion[label][predicted] counts and the
   * first misclassified samples ({ index, label, predicted }, at most
   * options.wrong, default 64, and options.wrongPerLabel of one label, 0:
   * any). The samples are images and labels, or a Dataset (then labels is
   * the options; the samples that have arrived are evaluated).
   */
  evaluate(images, labels, options) {
    const w = this.#live('evaluate');
    if (images instanceof Dataset) {
      this.#checkDataset(images, 'evaluate', false);
      const o = evaluateOptions(labels);
      const n = images.ready;
      if (n === 0) throw new RangeError('evaluate: no samples of the dataset have arrived yet');
      return this.#evaluation(
        n,
        o,
        (ev) => w.M._evaluate_dataset(ev, this.#ptr, images.pointer, 0, n),
        (i) => images.label(i),
      );
    }
    const { n, float } = checkImages(images, this.#inputs, 'evaluate');
    checkLabels(labels, n, this.#classes, 'evaluate');
    const o = evaluateOptions(options);
    const xBytes = images.length * (float ? 4 : 1);
    const block = w.malloc(xBytes + n, 'the evaluation set');
    try {
      this.#copyImages(images, float, block);
      w.u8.set(labels, block + xBytes);
      return this.#evaluation(
        n,
        o,
        (ev) => w.M._evaluate(ev, this.#ptr, float ? 0 : block, float ? block : 0, block + xBytes, n, 0, n),
        (i) => labels[i],
      );
    } finally {
      w.free(block);
    }
  }

  /**
   * An evaluation of a Dataset's ready samples in slices, for callers that
   * must stay responsive: `step(count)` evaluates the next count samples
   * and returns true when all are done; `result()` is then what evaluate()
   * returns. Free it with dispose() (result() does too).
   */
  evaluator(dataset, options) {
    const w = this.#live('evaluator');
    if (!(dataset instanceof Dataset))
      throw new TypeError(`evaluator: dataset must be a Dataset, got ${describe(dataset)}`);
    this.#checkDataset(dataset, 'evaluator', false);
    const o = evaluateOptions(options);
    const n = dataset.ready;
    if (n === 0) throw new RangeError('evaluator: no samples of the dataset have arrived yet');
    const ev = w.M._evaluation_new(this.#classes, o.wrong, o.wrongPerLabel);
    if (!ev) throw w.error(w.status.NN_ERR_NOMEM, 'evaluator: allocating the evaluation');
    let at = 0,
      freed = false;
    const dispose = () => {
      if (!freed) {
        freed = true;
        w.M._evaluation_free(ev);
      }
    };
    return {
      total: n,
      get done() {
        return at >= n;
      },
      step: (count) => {
        if (freed) throw new Error('evaluator: disposed');
        integer(count, 'count', 1, 2 ** 31 - 1);
        this.#live('evaluator');
        const c = Math.min(n - at, count);
        const status = w.M._evaluate_dataset(ev, this.#ptr, dataset.pointer, at, c);
        if (status === w.DIVERGED) throw overflowError('evaluate');
        w.check(status, 'evaluate');
        at += c;
        return at >= n;
      },
      result: () => {
        if (freed) throw new Error('evaluator: disposed (result() frees it)');
        try {
          return this.#results(ev, (i) => dataset.label(i));
        } finally {
          dispose();
        }
      },
      dispose,
    };
  }

  /** Runs one C evaluation (run(ev) fills it) and reads the result out. */
  #evaluation(n, o, run, labelOf) {
    const w = this.#w;
    const ev = w.M._evaluation_new(this.#classes, o.wrong, o.wrongPerLabel);
    if (!ev) throw w.error(w.status.NN_ERR_NOMEM, 'evaluate: allocating the evaluation');
    try {
      const status = run(ev);
      if (status === w.DIVERGED) throw overflowError('evaluate');
      w.check(status, 'evaluate');
      return this.#results(ev, labelOf);
    } finally {
      w.M._evaluation_free(ev);
    }
  }

  /** An evaluation's numbers, read out of C. */
  #results(ev, labelOf) {
    const w = this.#w;
    const k = this.#classes;
    const out = w.malloc(32 + 12, 'the evaluation results');
    try {
      w.check(w.M._evaluation_results(ev, out, out + 32, out + 36, out + 40), 'evaluate');
      const [samples, correct, lossSum, wrongCount] = w.f64.slice(out >> 3, (out >> 3) + 4);
      const [conf, wrong, pred] = w.u32.slice((out + 32) >> 2, (out + 44) >> 2);
      const c = w.u32.slice(conf >> 2, (conf >> 2) + k * k);
      const idx = w.i32.slice(wrong >> 2, (wrong >> 2) + wrongCount);
      const prd = w.i32.slice(pred >> 2, (pred >> 2) + wrongCount);
      return {
        accuracy: correct / samples,
        loss: lossSum / samples,
        samples,
        confusion: Array.from({ length: k }, (_, i) => Array.from(c.subarray(i * k, i * k + k))),
        wrong: Array.from(idx, (index, j) => ({ index, label: labelOf(index), predicted: prd[j] })),
      };
    } finally {
      w.free(out);
    }
  }

  /** The model file (csrc/model.h): weights, options and counters. */
  save() {
    const w = this.#live('save');
    const size = w.M._save_size(this.#ptr);
    const buf = w.malloc(size, 'the model file');
    try {
      w.check(w.M._save(this.#ptr, buf, size, w.slots), 'save');
      const written = w.u32[w.slots >> 2];
      return w.u8.slice(buf, buf + written);
    } finally {
      w.free(buf);
    }
  }

  /**
   * The network in another program's format (csrc/export.h): 'npz' (NumPy:
   * W1..Wn, b1..bn, layers, activation, input) and 'onnx' give the file's
   * bytes; 'tfjs' the TensorFlow.js layers model's two files by name,
   * { 'model.json': bytes, 'model.weights.bin': bytes }.
   */
  export(format) {
    const w = this.#live('export');
    const M = w.M;
    let f = -1;
    if (typeof format === 'string') {
      const name = w.cstringIn(format);
      f = M._export_format_parse(name);
      w.free(name);
    }
    if (f < 0) {
      const names = [0, 1, 2].map((i) => `'${w.cstring(M._export_format_name(i))}'`);
      throw new RangeError(`export: format must be ${names.join(', ')}, got ${describe(format)}`);
    }
    const files = {};
    for (let i = 0; i < M._export_file_count(f); i++) {
      const size = M._export_bytes(this.#ptr, f, i, 0, 0);
      if (!size) throw w.error(w.status.NN_ERR_ARG, 'export');
      const buf = w.malloc(size, `the ${format} file`);
      try {
        M._export_bytes(this.#ptr, f, i, buf, size);
        files[w.cstring(M._export_file_name(f, i))] = w.u8.slice(buf, buf + size);
      } finally {
        w.free(buf);
      }
    }
    const all = Object.values(files);
    return all.length === 1 ? all[0] : files;
  }

  /**
   * The layers after the input, as C lays them out: { type: 'dense' |
   * 'conv' | 'pool', input and output shapes { rows, cols, channels } (an
   * output is flattened rows x cols x channels, the channel fastest, as
   * activations() gives it), kernel (a convolution's or pooling window's
   * side, else 0), units (units or filters; 0 for pooling), fanIn (inputs
   * a unit weighs), and where its weights (units x fanIn) and biases sit in
   * parameters(): { offset, length } each, or null for pooling }.
   */
  get layers() {
    const w = this.#live('layers');
    const CFG = w.facts.config;
    const n = this.#config()[CFG.nSizes] - 1;
    const p = w.malloc(12 * 8, 'the layer');
    try {
      return Array.from({ length: n }, (_, l) => {
        w.check(w.M._layer_info(this.#ptr, l, p), 'layers');
        const [kind, ir, ic, ich, or, oc, och, kernel, units, fanIn, wo, bo] = w.f64.slice(p >> 3, (p >> 3) + 12);
        return {
          type: ['dense', 'conv', 'pool'][kind],
          input: { rows: ir, cols: ic, channels: ich },
          output: { rows: or, cols: oc, channels: och },
          kernel,
          units,
          fanIn,
          weights: units ? { offset: wo, length: units * fanIn } : null,
          biases: units ? { offset: bo, length: units } : null,
        };
      });
    } finally {
      w.free(p);
    }
  }

  /** A copy of the flat parameter buffer (per layer: W[out][in], then biases; see layers). */
  parameters() {
    const w = this.#live('parameters');
    const p = w.M._params(this.#ptr, w.slots);
    if (!p) throw new Error('parameters: no parameter buffer');
    return w.f32.slice(p >> 2, (p >> 2) + w.u32[w.slots >> 2]);
  }

  /** Frees the network; later calls throw. Safe to call twice. */
  dispose() {
    if (!this.#ptr) return;
    registry?.unregister(this);
    this.#w.M._destroy(this.#ptr); // joins its threads
    this.#w.free(this.#held.scratch);
    this.#w.releaseWorkers();
    this.#ptr = 0;
    this.#held.scratch = 0;
    this.#rows = 0;
  }
}

/**
 * "train: training diverged at step 151 in epoch 2 (...); lower the
 * learning rate", in C's words (csrc/explain.h), for net (a pointer) just
 * after the step that diverged.
 */
function divergedError(fn, net, epoch) {
  const w = loadedWasm();
  const e = w.error(w.DIVERGED, fn, w.callText(w.M._diverged_explain, [net, epoch ?? 0])[1]);
  e.step = Number(w.M._steps(net)) + 1;
  if (epoch) e.epoch = epoch;
  return e;
}

/** predict / evaluate: finite weights whose outputs overflow for these inputs. */
function overflowError(fn) {
  const e = new Error(
    `${fn}: the network's outputs are NaN or infinite for these images (pixels far outside 0..1, or weights too large)`,
  );
  e.code = 'NN_ERR_DIVERGED';
  return e;
}

/** What a foreign file starts with: "gzip data", "an IDX file", text or bytes. */
const now = () => globalThis.performance?.now() ?? Date.now();

/**
 * Samples that train() copied into the heap, for its own Trainer: C
 * pointers, so only this module can make one (an object that merely looks
 * like it is refused by Trainer.run rather than read as addresses).
 */
class HeapRows {
  constructor(u8, f32, y, n) {
    Object.assign(this, { u8, f32, y, n });
    Object.freeze(this);
  }
}

const trainerRegistry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ w, ptr, state }) => {
        w.M._trainer_free(ptr);
        w.free(state);
      })
    : null;

/**
 * C's training loop (csrc/train.h) for callers that slice training by time,
 * as the page's worker does: each run() trains about `budget` samples
 * (whole mini-batches, never past a pass's end) of a network on a Dataset's
 * ready samples, each pass in a fresh order from the network's RNG. Only
 * passes over a whole data set count as epochs. The network may change
 * between calls (a reset or a load): the trainer keeps its place.
 */
export class Trainer {
  #w;
  #held;
  #extra = null; // a Dataset mixed into the passes, or null
  #repeat = 1;
  constructor(options) {
    const w = loadedWasm();
    if (!w) throw new Error('Trainer: the module is not loaded yet (await init() or createNetwork() first)');
    const o = optionsObject(options, 'Trainer', ['shuffle']);
    if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean')
      throw new TypeError(`Trainer: shuffle must be a boolean, got ${describe(o.shuffle)}`);
    this.#w = w;
    const ptr = w.M._trainer_new(o.shuffle === false ? 0 : 1);
    if (!ptr) throw w.error(w.status.NN_ERR_NOMEM, 'Trainer');
    let state = 0;
    try {
      state = w.malloc(w.facts.progress.length * 8, 'the trainer state');
    } catch (e) {
      w.M._trainer_free(ptr);
      throw e;
    }
    this.#held = { w, ptr, state };
    trainerRegistry?.register(this, this.#held, this);
  }

  #live(fn) {
    if (!this.#held.ptr) throw new Error(`${fn}: trainer disposed`);
    return this.#w;
  }

  /** The counters: epochs, passes, samples, position, passRows, passWhole, passLoss, lastLoss, totalLoss. */
  get progress() {
    const w = this.#live('progress');
    const { ptr, state } = this.#held;
    w.check(w.M._trainer_state(ptr, state), 'progress');
    const P = w.facts.progress;
    const v = w.f64.slice(state >> 3, (state >> 3) + P.length);
    return {
      epochs: v[P.epochs],
      passes: v[P.passes],
      samples: v[P.samples],
      position: v[P.position],
      passRows: v[P.passRows],
      passWhole: v[P.passWhole] === 1,
      passLoss: v[P.passLoss],
      lastLoss: v[P.lastLoss],
      totalLoss: v[P.totalLoss],
    };
  }

  /**
   * Trains net on about budget samples of data (a Dataset; Network.train
   * passes its own heap samples); returns progress plus `trained`. A loss
   * that turns NaN throws (code NN_ERR_DIVERGED, `step`) with the step
   * undone; the trainer stays at it.
   */
  run(net, data, budget, epoch) {
    const w = this.#live('run');
    if (!(net instanceof Network)) throw new TypeError(`run: net must be a Network, got ${describe(net)}`);
    const ds = data instanceof Dataset ? data : null;
    if (!ds && !(data instanceof HeapRows)) throw new TypeError(`run: data must be a Dataset, got ${describe(data)}`);
    integer(budget, 'budget', 0, 2 ** 31 - 1);
    const p = net[trainerAccess]('run', ds);
    const { ptr } = this.#held;
    if (this.#extra && !ds) throw new TypeError('run: mixing needs a Dataset as data');
    if (this.#extra) net[trainerAccess]('run', this.#extra);
    const status = this.#extra
      ? w.M._train_mixed(ptr, p, ds.pointer, this.#extra.pointer, this.#repeat, budget, w.slots)
      : ds
        ? w.M._train_dataset(ptr, p, ds.pointer, budget, w.slots)
        : w.M._train(ptr, p, data.u8, data.f32, data.y, data.n, 1, budget, w.slots);
    const trained = w.i32[w.slots >> 2];
    if (status === w.DIVERGED) throw divergedError('train', net.pointer, epoch);
    w.check(status, epoch ? `train: epoch ${epoch}` : 'train');
    return { ...this.progress, trained };
  }

  /**
   * Plans a run of `epochs` epochs from the next whole pass, which the
   * network's learning-rate schedule spreads its decay over (0: none).
   */
  plan(epochs) {
    const w = this.#live('plan');
    integer(epochs, 'epochs', 0, 1e9);
    w.M._trainer_plan_epochs(this.#held.ptr, epochs);
  }

  /**
   * Mixes an extra data set (a person's own digits) into the passes that
   * start from now on: each pass holds every extra sample `repeat` times
   * among the data's own, shuffled together; null stops it.
   */
  mix(extra, repeat = 1) {
    this.#live('mix');
    if (extra !== null && !(extra instanceof Dataset))
      throw new TypeError(`mix: extra must be a Dataset or null, got ${describe(extra)}`);
    integer(repeat, 'repeat', 1, 10000);
    this.#extra = extra;
    this.#repeat = repeat;
  }

  /** Drops the current pass (the next run starts a new one); the counters stay. */
  restart() {
    this.#live('restart').M._trainer_restart(this.#held.ptr);
  }

  /** Frees the trainer; safe to call twice. */
  dispose() {
    if (!this.#held.ptr) return;
    trainerRegistry?.unregister(this);
    this.#w.M._trainer_free(this.#held.ptr);
    this.#w.free(this.#held.state);
    this.#held.ptr = 0;
  }
}

/** Bytes of wasm memory (the heap's size, which grows and never shrinks). */
export async function memoryBytes() {
  const w = await init();
  return w.u8.length;
}

/**
 * A new network, weights drawn from the seed. Options default to the
 * classic 784-128-64-10 sigmoid network, SGD, learning rate 0.5, batch 8,
 * seed 1 (nn_config_default).
 */
export async function createNetwork(options) {
  const w = await init();
  const { threads: asked, ...rest } = optionsObject(options, 'createNetwork', [...NETWORK_OPTIONS, 'threads']);
  const threads = threadsOption(asked, w);
  const cfg = configFromOptions(options === undefined ? undefined : rest, 'createNetwork', w);
  const p = w.malloc(cfg.length * 8, 'the config');
  let ptr;
  try {
    w.f64.set(cfg, p >> 3);
    w.check(w.M._create(p, w.slots), 'createNetwork');
    ptr = w.u32[w.slots >> 2];
  } finally {
    w.free(p);
  }
  const reason = await startThreads(w, ptr, threads, 'createNetwork');
  return new Network(token, w, ptr, reason);
}

/**
 * A network from a model file (save(), mnist-train --save) or a NumPy .npz
 * (export('npz'), or np.savez of W1..Wn): told apart by their first bytes.
 */
export async function loadNetwork(bytes, options) {
  const { threads: asked } = optionsObject(options, 'loadNetwork', ['threads']);
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (tag(bytes) !== 'Uint8Array')
    throw new TypeError(`loadNetwork: bytes must be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  if (bytes.length === 0) throw new RangeError('loadNetwork: bytes is empty');
  const w = await init();
  const threads = threadsOption(asked, w);
  const buf = w.copyIn(bytes, 'the model file');
  let ptr;
  try {
    const [status, why] = w.callText(w.M._load, [buf, bytes.length, w.slots]);
    if (status) {
      throw w.error(status, 'loadNetwork', why);
    }
    ptr = w.u32[w.slots >> 2];
  } finally {
    w.free(buf);
  }
  const reason = await startThreads(w, ptr, threads, 'loadNetwork');
  return new Network(token, w, ptr, reason);
}

/** Bytes of wasm heap in use (malloc'd, not freed): for leak checks. */
export async function heapUsed() {
  const w = await init();
  return w.M._heap_used();
}
