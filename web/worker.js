// worker.js: the training loop, off the page's main thread. It owns the
// network (through the package API in lib/) and the streamed data set, and
// talks to the page with coarse messages (STYLE.md's worker protocol):
//
// page -> worker  { id, type: 'reset' | 'load' | 'save' | 'export' | 'train' | 'pause'
//                   | 'abort' | 'configure' | 'check-stack' | 'inspect' | 'evaluate'
//                   | 'memory' | 'watch' | 'learn' | 'read-idx', ...args }
// worker -> page  { id, type: 'done', result } | { id, type: 'error', error: { name, message, ...fields } }
//                                                      an error's own fields (errorOf); field
//                                                      'layers': C refused the stack
//                 { type: 'ready', lock, defaults }    once, when the module has loaded; lock: this
//                                                      worker holds the Web Lock named by its name
//                                                      for its whole life (the page's sign that it died);
//                                                      defaults: C's, for the page's form, and the
//                                                      networks the page offers (defaults.networks)
//                 { type: 'state', state, reason }     idle | downloading | training | paused | learning
//                 { type: 'download', ... }            bytes and samples received
//                 { type: 'progress', ... }            loss, speed, epochs while training
//                 { type: 'evaluation', ... }          test accuracy, confusion, mistakes
//                 { type: 'learning', done }           share of the fine-tune done
//                 { type: 'snapshot', ... }            the first layer's weights and each layer's
//                                                      update size, while the page watches
//                 { type: 'fault', error, source }     an error outside any request
//                                                      (download, divergence)
// The loop itself is C's (the package's Trainer over csrc/train.h, the one
// the CLIs use), and so is the evaluation: this file only slices them by
// time, about SLICE_MS at a time with a yield between slices, so that an
// 'inspect' (the drawn digit's reading) is answered within a slice. The data live once,
// in the wasm heap (data.js). Every ArrayBuffer sent is transferred.
// 'learn' fine-tunes on a person's digits mixed into passes over the
// training set: C's loop again (Trainer.mix), sliced the same way.

import {
  createNetwork,
  loadNetwork,
  loadDataset,
  Trainer,
  memoryBytes,
  init,
  threadsUnavailable,
} from './lib/index.js';
import { streamDataset } from './data.js';
import { stepOfLearning, appliedStep, forgetStep } from './backprop-worker.js';
import { networkOptions, settingsOf, architectureChanges, networkChoices, LIVE } from './network.js';

const SLICE_MS = 20; // training time between yields
const PROGRESS_MS = 200; // at most five progress messages a second
const EVAL_MS = 1500; // test-set evaluation cadence while training (and at the end); once an
// epoch instead would cost a quarter of the time on 8,000-digit epochs
const EVAL_SHARE = 0.01; // and at most this share of the time: 10,000 test digits take ~50 ms
const EVAL_CHUNK = 2000; // test samples per slice of an evaluation (~10 ms)
const MISTAKES = 24; // misclassified test digits shown
const MISTAKES_PER_DIGIT = 3; // at most this many of each true digit
const SNAPSHOT_MS = 1500; // weight snapshots while the page watches (~0.3 ms each: copy and diff)

// Learn my handwriting: one pass over the training set with each of the
// person's digits REPEAT times among it, at LEARN_RATE times the network's
// learning rate. Measured (tests/helpers/tune-personal.js: the page's default
// network, ten jittered drawings of a mirrored 2, 3 or 7 taught, 40 new ones
// read): repeat 40 at 0.1x (0.05 for SGD at 0.5) reads 36-40 of 40 new ones
// (0 before) with MNIST test accuracy -0.06 to -0.04 points; a quarter pass
// reads as many but moves MNIST more (up to -0.29), repeat 10 reads fewer
// (31-37). The person's share of a pass stays at most EXTRA_SHARE, so a large
// set gets a smaller repeat and MNIST keeps most of the pass.
const LEARN = { repeat: 40, rate: 0.1, passes: 1, extraShare: 1 / 15 };

let net = null;
let trainer = null; // C's loop for net: its pass order, position and counters
let config = null; // the network's settings (network.js settingsOf), threads and C's layers (configOf)
let ds = null; // the PageData streaming or streamed (data.js)
let state = 'idle';
let token = 0; // bumped to stop the running loop
let watching = false; // the page shows the weights view: post snapshots
let personal = null; // the person's digits (a Dataset) that Train mixes into its passes
let target = null; // trainer epochs at which the run ends; null until the training set
// is whole (passes over a partial download do not count as epochs)
let epochs = 10;

const post = (msg, transfer = []) => self.postMessage(msg, transfer);
const now = () => performance.now();
// An error as data for the page: its name, message and every plain field
// it carries (a package error's code, status, where and reason, an HTTP
// error's status, statusText and url, a DataError's code and url, the field
// 'layers' of a stack C refused), so that the page words its sentence from
// the fields.
function errorOf(e) {
  const out = { name: e?.name || 'Error', message: e?.message || String(e) };
  if (e && typeof e === 'object')
    for (const [k, v] of Object.entries(e)) if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

// A yield that is not clamped like nested setTimeout: the next slice runs
// after the messages (e.g. 'predict') that are already queued.
const channel = new MessageChannel();
const resumers = [];
channel.port1.onmessage = () => resumers.shift()?.();
const yieldNow = () =>
  new Promise((resolve) => {
    resumers.push(resolve);
    channel.port2.postMessage(0);
  });

function setState(next, reason = '') {
  state = next;
  post({ type: 'state', state: next, reason });
}

function stopLoop() {
  token++;
}

/* A new network (made or loaded) with a fresh trainer: its first pass starts
 * from the network's seed, as the command lines' does. */
let threadsAsked = 1; // by the page's control, for the next network made or loaded
let splitMinRows = 1; // C's NN_SPLIT_MIN_ROWS (facts), once the module is in

function use(fresh) {
  net?.dispose();
  trainer?.dispose();
  net = fresh;
  trainer = new Trainer();
  target = null;
  last = null;
  if (watching) snapshot(true);
}

/* ---------- requests ---------- */

const handlers = {
  async reset({ options }) {
    const fresh = await made(options);
    stopLoop();
    threadsAsked = options.threads ?? 1;
    use(fresh);
    epochs = options.epochs ?? epochs;
    config = { ...configOf(fresh), epochs };
    setState('idle', 'reset');
    return { config: { ...config, step: stepThreads(config) } };
  },

  async load({ bytes, threads = threadsAsked }) {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const loaded = await loadNetwork(data, { threads }); // rejects corrupt or foreign bytes with a message
    threadsAsked = threads;
    stopLoop();
    use(loaded);
    config = { ...configOf(loaded), epochs };
    setState('idle', 'loaded');
    return { config: { ...config, step: stepThreads(config) }, steps: loaded.steps };
  },

  save() {
    needNet();
    const bytes = copyOut(net.save());
    return [bytes, [bytes.buffer]];
  },

  /** The network in another program's format (npz, onnx, tfjs): its files by name. */
  export({ format }) {
    needNet();
    const out = net.export(format);
    const files = out instanceof Uint8Array ? { [`mnist-model.${format}`]: out } : out;
    for (const name of Object.keys(files)) files[name] = copyOut(files[name]);
    return [files, Object.values(files).map((b) => b.buffer)];
  },

  /** Every layer's outputs for one image (hidden activations, then the ten
   *  probabilities): views on one buffer, transferred. */
  inspect({ image }) {
    needNet();
    const layers = net.activations(image);
    return [{ layers }, [layers[0].buffer]];
  },

  /** The backpropagation panel (backprop-worker.js): one step of learning on a copy; Apply; closed. */
  async backprop({ image, label }) {
    needNet();
    return stepOfLearning(net, image, label);
  },
  async backpropApply() {
    needNet();
    const applied = await appliedStep(net, threadsAsked);
    if (!applied) return { applied: false };
    stopLoop();
    use(applied);
    config = { ...configOf(applied), epochs };
    setState('idle', 'applied');
    return { applied: true, config: { ...config, step: stepThreads(config) }, steps: applied.steps };
  },
  backpropClosed() {
    forgetStep();
    return {};
  },

  /** weights: whether the page shows the weights view (snapshots while training). */
  watch({ weights }) {
    watching = !!weights;
    if (watching && net) snapshot(true);
    return { watching };
  },

  /** images, labels: the person's digits as IDX bytes (web/personal.js writes them). */
  async learn({ url, images, labels }) {
    needNet();
    if (state === 'learning') throw new Error('already learning');
    return learn(url, await loadDataset({ images, labels }));
  },

  /** A pair of IDX files (raw or gzip) read by C's parser: a person's digits to import. */
  async 'read-idx'({ images, labels }) {
    const set = await loadDataset({ images, labels });
    try {
      if (set.rows !== 28 || set.cols !== 28) throw new RangeError(`the images are ${set.rows}x${set.cols}, not 28x28`);
      const n = set.count;
      const pixels = new Uint8Array(n * 784),
        y = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        pixels.set(set.image(i), i * 784);
        y[i] = set.label(i);
      }
      return [{ images: pixels, labels: y }, [pixels.buffer, y.buffer]];
    } finally {
      set.dispose();
    }
  },

  configure({ options }) {
    needNet();
    applyLive(options);
    return {};
  },

  /** Whether C makes a network of this stack (the Hidden layers field): its error, field 'layers', if not. */
  async 'check-stack'({ layers }) {
    await checkStack(layers);
    return {};
  },

  /* digits: the person's set as { images, labels } IDX bytes, or null; a
   * new run mixes it into every pass (a resumed one keeps what it had). */
  async train({ url, options, digits = null }) {
    needNet();
    const remade = await applyTrainOptions(options); // a stack C refuses stops here: nothing trains
    const renewed = remade ? { config: remade } : {}; // the page builds its views for the new network
    const newData = !ds || ds.error || ds.base !== url;
    if (newData) startDownload(url);
    if (!newData && (state === 'training' || state === 'downloading')) return { running: true, ...renewed };
    const resume = !newData && state === 'paused' && (target === null || trainer.progress.epochs < target);
    if (!resume) {
      target = null;
      trainer?.mix(null);
      personal?.dispose();
      personal = null;
      if (digits) personal = await loadDataset(digits);
    }
    const mine = ++token; // also stops a loop still running on older data
    loop(mine).catch((e) => fault(e, 'training'));
    return { running: true, resumed: resume, ...renewed };
  },

  pause() {
    if (state === 'training' || state === 'downloading') {
      stopLoop();
      setState('paused');
    }
    return {};
  },

  abort() {
    const had = ds && !ds.complete && !ds.error;
    ds?.dispose(abort('The download was stopped.'));
    ds = null;
    stopLoop();
    setState('idle', had ? 'download stopped' : '');
    post({ type: 'download', received: 0, total: null, train: null, test: null, complete: false });
    return {};
  },

  /** The module's heap size and the data set's bytes in it: for memory checks. */
  async memory() {
    const size = (d) => (d ? d.count * (d.rows * d.cols + 1) : 0);
    return { heap: await memoryBytes(), data: size(ds?.train) + size(ds?.test) };
  },

  /** The page's question whether this worker still answers (app.js, watchHang). */
  async ping() {
    return {};
  },

  async evaluate() {
    if (!net || !ds || !ds.available('test')) return { evaluated: false };
    await evaluateAll(token, ds);
    return { evaluated: true };
  },
};

self.onmessage = async (e) => {
  const { id, type } = e.data || {};
  const handler = handlers[type];
  try {
    if (!handler) throw new TypeError(`unknown request type ${JSON.stringify(type)}`);
    const out = await handler(e.data);
    const [result, transfer] = Array.isArray(out) ? out : [out, []];
    post({ id, type: 'done', result }, transfer);
  } catch (err) {
    post({ id, type: 'error', error: errorOf(err) });
  }
};

/* ---------- options ---------- */

/* A network of the page's settings (network.js). A stack that C refuses
 * throws C's error with field 'layers', which the page shows under the
 * Hidden layers field. */
async function made(options) {
  try {
    return await createNetwork(networkOptions(options));
  } catch (e) {
    await checkStack(options.layers);
    throw e;
  }
}

/* Throws C's error, with field 'layers', if C makes no network of this
 * stack: createNetwork of the stack alone (its other options C's
 * defaults), so that whatever it refuses is the stack. */
async function checkStack(layers) {
  let probe;
  try {
    probe = await createNetwork({ layers });
  } catch (e) {
    e.field = 'layers';
    throw e;
  }
  probe.dispose();
}

/* Before a run: a network that has not trained yet is made anew when any
 * setting differs (so the seed gives the same start as the command line);
 * returns its config then. A trained or paused one takes the live settings
 * only, and keeps its stack, but a stack that C refuses stops the run
 * before anything trains. */
async function applyTrainOptions(options) {
  if (!options) return null;
  const fresh = trainer.progress.samples === 0 && state !== 'paused';
  const changes = architectureChanges(config, options);
  if (
    fresh &&
    (changes.length || options.learningRate !== config.learningRate || options.batchSize !== config.batchSize)
  ) {
    return (await handlers.reset({ options })).config;
  }
  if (changes.includes('layers')) await checkStack(options.layers);
  applyLive(options);
  return null;
}

/* Learning rate, batch size, schedule, weight decay, augmentation and
 * epochs on the running network (every one of them applies at once). */
function applyLive(options) {
  const change = {};
  for (const k of LIVE) if (options[k] !== undefined && options[k] !== config[k]) change[k] = options[k];
  if (Object.keys(change).length) {
    net.setOptions(change); // checks its arguments before changing anything
    Object.assign(config, change);
  }
  if (options.epochs !== undefined && options.epochs !== epochs) {
    // only set once the data is whole; the schedule keeps the plan it began
    // with (epochs past it train at its last rate)
    if (target !== null) target += options.epochs - epochs;
    epochs = options.epochs;
  }
  config.epochs = epochs;
}

function needNet() {
  if (!net) throw new Error('no network yet: the page has not created or loaded one');
}

function copyOut(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8 : u8.slice();
}

/* The settings of a network, as the page's controls show them, the
 * threads it runs and why, and its layers after the input as C lays them
 * out (net.layers: LayerInfo, shapes and parameter ranges) for the inside
 * view, which so never works a shape out itself. */
function configOf(n, asked = threadsAsked) {
  const c = n.options;
  return {
    ...settingsOf(c),
    // why fewer threads run than asked, or why this page can run only one
    threadsReason: c.threadsReason ?? threadsUnavailable(),
    threadsAsked: asked,
    layerInfo: n.layers,
  };
}

/* The threads a training step of config c runs on, and why fewer than the
 * network has: C splits a mini-batch over n threads only from n *
 * splitMinRows rows (evaluations split in blocks of their own). */
function stepThreads(c) {
  if (c.threads > 1 && c.batchSize < c.threads * splitMinRows)
    return {
      threads: 1,
      reason: `a mini-batch of ${c.batchSize} is too small to split over ${c.threads} threads (each takes ${splitMinRows} rows or more; evaluations use all ${c.threads})`,
    };
  return { threads: c.threads, reason: c.threadsReason };
}

/* The threads the last slice of training really ran on (C counts the jobs
 * its pool threads ran), with stepThreads' reason; stepThreads' own count
 * until a slice has run. */
let lastSliceSplit = null;
function workedThreads() {
  const step = stepThreads(config);
  if (lastSliceSplit !== null) step.threads = lastSliceSplit ? config.threads : 1;
  return step;
}

/* ---------- data ---------- */

function abort(message) {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

// At most one download message per 100 ms, and always a last one: a burst
// that ends in a stall must still show the bytes that did arrive.
let lastDownloadPost = 0;
let trailingPost = 0;
function postDownload(d, force = false) {
  const t = now();
  clearTimeout(trailingPost);
  if (!force && t - lastDownloadPost < 100) {
    trailingPost = setTimeout(
      () => {
        if (ds === d) postDownload(d, true);
      },
      100 - (t - lastDownloadPost),
    );
    return;
  }
  lastDownloadPost = t;
  post({
    type: 'download',
    received: d.received,
    total: d.total,
    train: { ready: d.available('train'), count: d.count('train') },
    test: { ready: d.available('test'), count: d.count('test') },
    complete: d.complete,
    failed: !!d.error,
  });
}

function startDownload(url) {
  ds?.dispose(abort('replaced by a new download'));
  const d = streamDataset(url, { onProgress: (x) => postDownload(x) });
  ds = d;
  postDownload(d, true);
  d.done.then(
    () => {
      if (ds === d) postDownload(d, true);
    },
    (e) => {
      if (ds !== d || e?.name === 'AbortError') return;
      postDownload(d, true);
      fault(e, 'data');
    },
  );
}

function fault(e, source) {
  stopLoop();
  if (state !== 'idle') setState('idle', 'error');
  post({ type: 'fault', source, error: errorOf(e) });
}

/* ---------- training ---------- */

// Samples per trainer call: grown or shrunk so that one call takes about
// CALL_MS, which keeps each slice near SLICE_MS whatever the batch size.
const CALL_MS = 10;
let budget = 256;

/* One trainer call, run(samples) with the current budget, which then grows
 * or shrinks so that the next call takes about CALL_MS. */
function timedRun(run) {
  const t = now();
  const p = run(budget);
  const ms = now() - t;
  budget = Math.max(
    1,
    Math.min(1 << 16, Math.round(budget * (ms > 0.5 ? Math.min(2, Math.max(0.5, CALL_MS / ms)) : 2))),
  );
  return p;
}

async function loop(mine) {
  const d = ds;
  let lossSum = 0,
    lossN = 0;
  let lastProgress = now(),
    lastSamples = trainer.progress.samples,
    speed = 0;
  let lastEval = now(),
    evalGap = EVAL_MS;
  lastSliceSplit = null;
  setState(d.available('train') ? 'training' : 'downloading');

  while (mine === token) {
    if (d.error) return; // reported by startDownload
    if (target === null && d.complete) {
      target = trainer.progress.epochs + epochs;
      // the person's digits in every pass of this run (at most LEARN.extraShare of
      // it), as the command lines' --extra and --repeat do, so Train keeps them
      trainer.mix(personal, personal ? extraRepeat(d.train.count, personal.count) : 1);
      trainer.plan(epochs); // the schedule spreads over this run, as the command lines' does
    }
    if (target !== null && trainer.progress.epochs >= target) {
      await evaluateAll(mine, d);
      if (mine !== token) return;
      progress(lossN ? lossSum / lossN : null, speed, true);
      stopLoop();
      setState('idle', 'done');
      return;
    }
    if (d.available('train') === 0) {
      if (state !== 'downloading') setState('downloading');
      await d.changed();
      continue;
    }
    if (state !== 'training') setState('training');

    const t0 = now();
    const jobsBefore = net.threadJobs;
    let p;
    let lossBefore = trainer.progress.totalLoss;
    do {
      p = timedRun((n) => trainer.run(net, d.train, n));
      lossSum += p.totalLoss - lossBefore;
      lossN += p.trained;
      lossBefore = p.totalLoss;
    } while (now() - t0 < SLICE_MS && p.trained > 0 && !(target !== null && p.epochs >= target));
    if (p.trained > 0) lastSliceSplit = net.threadJobs > jobsBefore;

    const t = now();
    if (t - lastProgress >= PROGRESS_MS) {
      const inst = ((p.samples - lastSamples) * 1000) / (t - lastProgress);
      speed = speed ? 0.7 * speed + 0.3 * inst : inst;
      progress(lossN ? lossSum / lossN : null, speed, false);
      lossSum = 0;
      lossN = 0;
      lastProgress = t;
      lastSamples = p.samples;
    }
    if (watching && t - lastSnapshot >= SNAPSHOT_MS) snapshot();
    if (t - lastEval >= evalGap) {
      const e0 = now();
      await evaluateAll(mine, d);
      lastEval = now();
      evalGap = Math.max(EVAL_MS, (lastEval - e0) / EVAL_SHARE);
    }
    await yieldNow();
  }
}

function progress(loss, speed, final) {
  const p = trainer.progress;
  const n = ds?.count('train') || 0;
  const left =
    target === null || !speed ? null : Math.max(0, ((target - p.epochs) * n - (p.passWhole ? p.position : 0)) / speed);
  const done = target === null ? 0 : epochs - (target - p.epochs);
  post({
    type: 'progress',
    epoch: target === null ? (n ? 1 : 0) : Math.min(epochs, done + (final ? 0 : 1)),
    epochs,
    position: n ? p.samples / n : 0, // epochs' worth of samples trained by this network (chart x)
    seen: p.samples,
    loss,
    speed,
    timeLeft: left,
    step: workedThreads(), // the network a run started may be new (applyTrainOptions), its batch size changed (applyLive)
    final,
  });
}

/* Test accuracy, loss, confusion and the first misclassified digits over the
 * test samples that have arrived: C's evaluation, EVAL_CHUNK samples per
 * slice, with yields between slices so that 'inspect' requests are answered
 * meanwhile. */
async function evaluateAll(mine, d) {
  if (!net || !d.available('test')) return null;
  const ev = net.evaluator(d.test, { wrong: MISTAKES, wrongPerLabel: MISTAKES_PER_DIGIT });
  try {
    while (!ev.step(EVAL_CHUNK)) {
      await yieldNow();
      // a newer run (training or learning) took over
      if (mine !== token && (state === 'training' || state === 'learning')) {
        ev.dispose();
        return null;
      }
    }
  } catch (e) {
    ev.dispose();
    throw e;
  }
  const r = ev.result();
  const confusion = Uint32Array.from(r.confusion.flat());
  const found = r.wrong.length;
  const size = d.test.rows * d.test.cols;
  const mImages = new Uint8Array(MISTAKES * size),
    mLabels = new Uint8Array(MISTAKES),
    mPreds = new Uint8Array(MISTAKES);
  r.wrong.forEach((m, i) => {
    mImages.set(d.test.image(m.index), i * size);
    mLabels[i] = m.label;
    mPreds[i] = m.predicted;
  });
  post(
    {
      type: 'evaluation',
      position: d.count('train') ? trainer.progress.samples / d.count('train') : 0,
      accuracy: r.accuracy,
      loss: r.loss,
      tested: r.samples,
      confusion,
      mistakes: { count: found, images: mImages, labels: mLabels, preds: mPreds },
    },
    [confusion.buffer, mImages.buffer, mLabels.buffer, mPreds.buffer],
  );
  return r;
}

/* ---------- what the page's inside view shows ---------- */

let last = null; // { params, steps } at the last snapshot: update sizes are measured from it
let lastSnapshot = 0;

/* Each row of w (rows of n) less its mean: with centred input what a unit
 * gives each pixel, since it never sees its weights' mean (plain SGD moves
 * that mean freely). */
function centreRows(w, n) {
  for (let at = 0; at < w.length; at += n) {
    let sum = 0;
    for (let i = at; i < at + n; i++) sum += w[i];
    const mean = sum / n;
    for (let i = at; i < at + n; i++) w[i] -= mean;
  }
}

/* The first layer with weights, its weights for the page to draw as
 * images (a dense layer: a row of its inputs per unit; a convolution: a KxK
 * window per filter and input channel, [filter][channel][row][col]) and,
 * per layer with weights, the update size since the last snapshot: mean
 * |W - W_last| / mean |W| / steps between them (weights only, not
 * biases). With centred input a dense first layer's rows less their means.
 * fresh: start the measure again (the view was just opened). */
function snapshot(fresh = false) {
  const t0 = now();
  lastSnapshot = t0;
  if (fresh) last = null;
  const layers = config.layerInfo; // C's (net.layers)
  const params = net.parameters(); // a copy
  const steps = net.steps;
  const weighted = layers.filter((y) => y.weights);
  const first = weighted[0];
  if (!first) return;
  const { offset, length } = first.weights;
  if (config.input === 'centred' && first === layers[0] && first.type === 'dense')
    centreRows(params.subarray(offset, offset + length), first.fanIn);
  const updates = [];
  if (last && steps > last.steps) {
    for (const { weights: y } of weighted) {
      let d = 0,
        m = 0;
      for (let i = y.offset; i < y.offset + y.length; i++) {
        d += Math.abs(params[i] - last.params[i]);
        m += Math.abs(params[i]);
      }
      updates.push(m > 0 ? d / m / (steps - last.steps) : 0);
    }
  }
  const weights = params.slice(offset, offset + length);
  const ms = now() - t0; // what this snapshot took from training: the copies and the sums
  post(
    {
      type: 'snapshot',
      steps,
      layer: first,
      weights,
      updates: updates.length ? updates : null,
      ms,
      every: SNAPSHOT_MS,
    },
    [weights.buffer],
  );
  if (!last || steps !== last.steps) last = { params, steps };
}

/* ---------- learning a person's handwriting ---------- */

/* How many times each of n personal digits comes in a pass over count
 * training digits: up to LEARN.repeat, and together at most LEARN.extraShare
 * of the pass. */
function extraRepeat(count, n) {
  return Math.max(1, Math.min(LEARN.repeat, Math.floor((count * LEARN.extraShare) / n)));
}

/* Fine-tunes the network on extra (a Dataset of the person's digits, which
 * this frees) mixed into passes over the training set (LEARN), sliced like
 * training; evaluates the person's digits and the test set before and after.
 * A running training pauses; a Reset or a load meanwhile stops it. */
async function learn(url, extra) {
  const tuned = net;
  const was = state;
  stopLoop();
  const mine = token;
  const stopped = () => mine !== token || net !== tuned;
  let settled = false;
  try {
    if (!ds || ds.error) startDownload(url);
    const d = ds;
    setState('learning');
    while (!d.complete) {
      if (d.error) throw new Error(`the training digits could not be loaded: ${d.error.message}`);
      await d.changed();
      if (stopped()) throw abort('Learning was stopped.');
    }
    const n = extra.count;
    const repeat = extraRepeat(d.train.count, n);
    const rate = config.learningRate * LEARN.rate;
    const measure = async () => {
      const mnist = await evaluateAll(mine, d);
      if (stopped()) throw abort('Learning was stopped.');
      return { personal: tuned.evaluate(extra).accuracy, mnist: mnist ? mnist.accuracy : null };
    };
    const before = await measure();
    const t0 = now();
    const ft = new Trainer();
    let p;
    try {
      ft.mix(extra, repeat);
      ft.plan(LEARN.passes); // the schedule's first epoch: the rate as set
      tuned.setOptions({ learningRate: rate });
      do {
        const s0 = now();
        do {
          p = timedRun((n) => ft.run(tuned, d.train, n));
        } while (now() - s0 < SLICE_MS && p.passes < LEARN.passes);
        post({
          type: 'learning',
          done: p.passes >= LEARN.passes ? 1 : (p.passes + p.position / p.passRows) / LEARN.passes,
        });
        if (watching && now() - lastSnapshot >= SNAPSHOT_MS) snapshot();
        await yieldNow();
        if (stopped()) throw abort('Learning was stopped.');
      } while (p.passes < LEARN.passes);
    } finally {
      try {
        tuned.setOptions({ learningRate: config.learningRate });
      } catch {
        /* replaced meanwhile */
      }
      ft.dispose();
    }
    const seconds = (now() - t0) / 1000;
    if (watching) snapshot();
    const after = await measure();
    settled = true;
    setState(was === 'idle' ? 'idle' : 'paused', 'learned');
    return { before, after, count: n, repeat, learningRate: rate, samples: p.samples, seconds };
  } finally {
    extra.dispose();
    if (!settled && !stopped()) setState(was === 'idle' ? 'idle' : 'paused', 'error');
  }
}

/* The page names this worker; holding the lock of that name for the
 * worker's whole life lets the page learn, by being granted it, that the
 * worker has gone (closed, crashed or terminated), which no event says.
 * Without Web Locks (an insecure origin) only uncaught errors are seen. */
async function holdLifeLock() {
  if (!self.name || !self.navigator?.locks) return false;
  await new Promise((held) => {
    navigator.locks.request(self.name, () => {
      held();
      return new Promise(() => {});
    });
  });
  return true;
}

/* A promise rejection nobody handled is an uncaught error as the page sees
 * it (a worker's unhandledrejection does not reach the page by itself). */
self.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  const err = e.reason instanceof Error ? e.reason : new Error(String(e.reason));
  if (typeof self.reportError === 'function') self.reportError(err);
  else
    setTimeout(() => {
      throw err;
    });
});

/* C's defaults for the page's form: a new network's options and the
 * command lines' epochs, so the form starts where mnist-train does and no
 * default is written twice, the networks the page offers (network.js
 * networkChoices) and the learning rate C gives each stack and optimizer
 * (facts.defaults.learningRates). null if the module does not load (said
 * later). */
async function defaults() {
  const { facts } = await init();
  splitMinRows = facts.limits.splitMinRows;
  const fresh = await createNetwork();
  try {
    const networks = networkChoices(fresh.options, facts);
    return { ...fresh.options, epochs: facts.cli.epochs, networks, learningRates: facts.defaults.learningRates };
  } finally {
    fresh.dispose();
  }
}

Promise.all([holdLifeLock().catch(() => false), defaults().catch(() => null)]).then(([lock, d]) =>
  post({ type: 'ready', lock, defaults: d }),
);
