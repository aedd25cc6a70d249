// network.js: the Network class, one C network in the shared wasm instance
// (csrc/nn.h through wasm_api.c). Every argument is checked (checks.js)
// before anything is copied into the heap; the network owns its pointer and
// one scratch block, freed by dispose() or, if it is dropped, by the
// registry. Training is trainer.js's, evaluation evaluation.js's, the
// gradients gradients.js's; createNetwork and loadNetwork (index.js) make one.

import { Dataset } from './dataset.js';
import { optionsObject, number, integer, choice, checkImages, checkLabels, describe } from './checks.js';
import { SET_OPTIONS, TRAINING_OPTIONS, trainingInto, optionsFromConfig } from './config.js';
import { trainerAccess, HeapRows, trainOptions, trainEpochs, divergedError } from './trainer.js';
import { evaluateOptions, evaluation, evaluator, overflowError } from './evaluation.js';
import { checkLabel, checkCount, sampleGradients, checkGradients, layerParameters } from './gradients.js';

/** The key only index.js holds: a Network is made by createNetwork or loadNetwork. */
export const networkToken = Symbol('Network');

// Frees the C side of networks that were dropped without dispose().
const registry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ w, ptr, scratch }) => {
        w.M._destroy(ptr);
        w.free(scratch);
        w.releaseWorkers();
      })
    : null;

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
    if (key !== networkToken) throw new TypeError('Network: use createNetwork() or loadNetwork()');
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
    const o = trainOptions(options, w);
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
    const o = ds ? trainOptions(options, this.#w) : options;
    if (ds) this.#checkDataset(ds, 'train', true);
    return trainEpochs(this, ds ?? rows, rows ? rows.n : ds.ready, o, () => this.#live('train'));
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
    const count = checkCount(options, w.facts, 'gradientCheck');
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
      const o = evaluateOptions(labels, w);
      const n = images.ready;
      if (n === 0) throw new RangeError('evaluate: no samples of the dataset have arrived yet');
      return evaluation(
        w,
        this.#classes,
        o,
        (ev) => w.M._evaluate_dataset(ev, this.#ptr, images.pointer, 0, n),
        (i) => images.label(i),
      );
    }
    const { n, float } = checkImages(images, this.#inputs, 'evaluate');
    checkLabels(labels, n, this.#classes, 'evaluate');
    const o = evaluateOptions(options, w);
    const xBytes = images.length * (float ? 4 : 1);
    const block = w.malloc(xBytes + n, 'the evaluation set');
    try {
      this.#copyImages(images, float, block);
      w.u8.set(labels, block + xBytes);
      return evaluation(
        w,
        this.#classes,
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
    const o = evaluateOptions(options, w);
    return evaluator(w, this.#classes, dataset, o, () => {
      this.#live('evaluator');
      return this.#ptr;
    });
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
