// worker.js: the training loop, off the page's main thread. It owns the
// network (through the package API in lib/) and the streamed data set, and
// talks to the page with coarse messages (STYLE.md's worker protocol):
//
// page -> worker  { id, type: 'reset' | 'load' | 'save' | 'train' | 'pause'
//                   | 'abort' | 'configure' | 'predict' | 'evaluate', ...args }
// worker -> page  { id, type: 'done', result } | { id, type: 'error', error: { name, message } }
//                 { type: 'ready' }                    once, when the module has loaded
//                 { type: 'state', state, reason }     idle | downloading | training | paused
//                 { type: 'download', ... }            bytes and samples received
//                 { type: 'progress', ... }            loss, speed, epochs while training
//                 { type: 'evaluation', ... }          test accuracy, confusion, mistakes
//                 { type: 'fault', error, source }     an error outside any request
//                                                      (download, divergence)
// Training runs in slices of about SLICE_MS and yields between them, so a
// 'predict' is answered within a slice. Every ArrayBuffer sent is transferred.

import { createNetwork, loadNetwork } from './lib/index.js';
import { streamDataset, PIXELS, CLASSES } from './data.js';

const SLICE_MS = 20;          // training time between yields
const PROGRESS_MS = 200;      // at most five progress messages a second
const EVAL_MS = 1500;         // test-set evaluation cadence while training (and at each epoch end)
const EVAL_CHUNK = 250;       // test samples per slice of an evaluation
const MISTAKES = 24;          // misclassified test digits shown
const MISTAKES_PER_DIGIT = 3; // at most this many of each true digit

let net = null;
let config = null;            // { layers, activation, optimizer, learningRate, batchSize, seed }
let ds = null;                // the Dataset streaming or streamed
let state = 'idle';
let token = 0;                // bumped to stop the running loop
let seen = 0;                 // samples this network has trained on since create or load
let runStart = 0;             // seen when the current run of `epochs` began
let target = null;            // seen at which the run ends; null until the training set is whole
                              // (passes over a partial download warm up and do not count as epochs)
let epochs = 10;
let rngState = 1;
let xb = new Uint8Array(0), yb = new Uint8Array(0);

const post = (msg, transfer = []) => self.postMessage(msg, transfer);
const now = () => performance.now();
const errorOf = (e) => ({ name: e?.name || 'Error', message: e?.message || String(e) });

// A yield that is not clamped like nested setTimeout: the next slice runs
// after the messages (e.g. 'predict') that are already queued.
const channel = new MessageChannel();
const resumers = [];
channel.port1.onmessage = () => resumers.shift()?.();
const yieldNow = () => new Promise((resolve) => { resumers.push(resolve); channel.port2.postMessage(0); });

function setState(next, reason = '') {
  state = next;
  post({ type: 'state', state: next, reason });
}

function stopLoop() { token++; }

/* ---------- requests ---------- */

const handlers = {
  async reset({ options }) {
    stopLoop();
    const fresh = await createNetwork(libOptions(options));
    net?.dispose();
    net = fresh;
    epochs = options.epochs ?? epochs;
    config = { ...configOf(fresh), epochs };
    seen = 0; runStart = 0; target = null;
    rngState = (options.seed >>> 0) || 1;
    setState('idle', 'reset');
    return { config };
  },

  async load({ bytes }) {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const loaded = await loadNetwork(data);   // rejects corrupt or foreign bytes with a message
    stopLoop();
    net?.dispose();
    net = loaded;
    config = { ...configOf(loaded), epochs };
    seen = 0; runStart = 0; target = null;
    rngState = (config.seed >>> 0) || 1;
    setState('idle', 'loaded');
    return { config, steps: loaded.steps };
  },

  save() {
    needNet();
    const bytes = copyOut(net.save());
    return [bytes, [bytes.buffer]];
  },

  predict({ image }) {
    needNet();
    const probs = Float32Array.from(net.predict(image));
    return [probs, [probs.buffer]];
  },

  configure({ options }) { needNet(); return { pending: applyLive(options) }; },

  async train({ url, options }) {
    needNet();
    await applyTrainOptions(options);
    const newData = !ds || ds.error || ds.base !== url;
    if (newData) startDownload(url);
    if (!newData && (state === 'training' || state === 'downloading')) return { running: true };
    const resume = !newData && state === 'paused' && (target === null || seen < target);
    if (!resume) { runStart = seen; target = null; }
    const mine = ++token;                     // also stops a loop still running on older data
    loop(mine).catch((e) => fault(e, 'training'));
    return { running: true, resumed: resume };
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
    ds?.abort(abort('The download was stopped.'));
    ds = null;
    stopLoop();
    setState('idle', had ? 'download stopped' : '');
    post({ type: 'download', received: 0, total: null, train: null, test: null, complete: false });
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

function libOptions(o) {
  return {
    layers: o.layers,
    activation: o.activation,
    optimizer: o.optimizer,
    learningRate: o.learningRate,
    batchSize: o.batchSize,
    seed: o.seed,
  };
}

const ARCH = ['layers', 'activation', 'optimizer', 'seed'];
const sameArch = (a, b) => ARCH.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));

/* Before a run: a network that has not trained yet is made anew when any
 * setting differs (so the seed gives the same start as the command line); a
 * trained or paused one takes the live settings only. */
async function applyTrainOptions(options) {
  if (!options) return;
  const fresh = seen === 0 && state !== 'paused';
  if (fresh && (!sameArch(config, options) || options.learningRate !== config.learningRate
                || options.batchSize !== config.batchSize)) {
    await handlers.reset({ options });
    return;
  }
  applyLive(options);
}

/* Learning rate, batch size and epochs on the running network. Returns the
 * names of settings that wait for a Reset (none, with this package). */
function applyLive(options) {
  const change = {};
  if (options.learningRate !== undefined && options.learningRate !== config.learningRate) change.learningRate = options.learningRate;
  if (options.batchSize !== undefined && options.batchSize !== config.batchSize) change.batchSize = options.batchSize;
  if (Object.keys(change).length) {
    net.setOptions(change);            // checks its arguments before changing anything
    Object.assign(config, change);
  }
  if (options.epochs !== undefined && options.epochs !== epochs) {
    epochs = options.epochs;
    const n = ds?.count('train');
    if (n && target !== null) target = runStart + epochs * n;   // only set once the data is whole
  }
  config.epochs = epochs;
  return [];
}

function needNet() { if (!net) throw new Error('no network yet: the page has not created or loaded one'); }

function copyOut(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8 : u8.slice();
}

/* The settings of a network, as the page's controls show them. */
function configOf(n) {
  const c = n.options;
  return {
    layers: Array.from(c.layers),
    activation: c.activation,
    optimizer: c.optimizer,
    learningRate: +Number(c.learningRate).toPrecision(6),   // C keeps a float32
    batchSize: c.batchSize,
    seed: Number(c.seed),
  };
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
    trailingPost = setTimeout(() => { if (ds === d) postDownload(d, true); }, 100 - (t - lastDownloadPost));
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
  ds?.abort(abort('replaced by a new download'));
  const d = streamDataset(url, { onProgress: (x) => postDownload(x) });
  ds = d;
  postDownload(d, true);
  d.done.then(
    () => { if (ds === d) postDownload(d, true); },
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

function random() {               // mulberry32: the shuffle's generator, seeded per network
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function permutation(n) {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

async function loop(mine) {
  const d = ds;
  let order = null, pos = 0;
  let lossSum = 0, lossN = 0;
  let lastProgress = now(), lastSeen = seen, speed = 0;
  let lastEval = now(), lastEpoch = 0;
  setState(d.available('train') ? 'training' : 'downloading');

  while (mine === token) {
    if (d.error) return;                                   // reported by startDownload
    const n = d.count('train');
    if (target === null && d.complete) { runStart = seen; target = runStart + epochs * n; }
    if (target !== null && seen >= target) {
      await evaluateAll(mine, d);
      if (mine !== token) return;
      progress(n, lossN ? lossSum / lossN : null, speed, true);
      stopLoop();
      setState('idle', 'done');
      return;
    }
    const avail = d.available('train');
    if (avail === 0) {
      if (state !== 'downloading') setState('downloading');
      await d.changed();
      continue;
    }
    if (state !== 'training') setState('training');
    if (!order || pos >= order.length) { order = permutation(avail); pos = 0; }

    const bsMax = Math.max(1, config.batchSize | 0);
    if (xb.length < bsMax * PIXELS) { xb = new Uint8Array(bsMax * PIXELS); yb = new Uint8Array(bsMax); }
    const images = d.train.images.data, labels = d.train.labels.data;
    const t0 = now();
    do {
      const bs = Math.min(bsMax, order.length - pos, target === null ? Infinity : target - seen);
      for (let i = 0; i < bs; i++) {
        const k = order[pos + i];
        xb.set(images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
        yb[i] = labels[k];
      }
      const loss = net.step(xb.subarray(0, bs * PIXELS), yb.subarray(0, bs));
      lossSum += loss * bs; lossN += bs;
      seen += bs; pos += bs;
    } while (now() - t0 < SLICE_MS && pos < order.length && (target === null || seen < target));

    const t = now();
    if (t - lastProgress >= PROGRESS_MS) {
      const inst = ((seen - lastSeen) * 1000) / (t - lastProgress);
      speed = speed ? 0.7 * speed + 0.3 * inst : inst;
      progress(n, lossSum / lossN, speed, false);
      lossSum = 0; lossN = 0; lastProgress = t; lastSeen = seen;
    }
    const epochNow = target !== null ? Math.floor((seen - runStart) / n) : 0;
    if (t - lastEval >= EVAL_MS || epochNow !== lastEpoch) {    // at least once an epoch
      lastEpoch = epochNow;
      await evaluateAll(mine, d);
      lastEval = now();
    }
    await yieldNow();
  }
}

function progress(n, loss, speed, final) {
  const left = target === null || !speed ? null : Math.max(0, (target - seen) / speed);
  post({
    type: 'progress',
    epoch: target === null ? (n ? 1 : 0) : Math.min(epochs, Math.floor((seen - runStart) / n) + (final ? 0 : 1)),
    epochs,
    position: n ? seen / n : 0,          // epochs trained by this network, fractional (chart x)
    seen,
    loss,
    speed,
    timeLeft: left,
    final,
  });
}

/* Test accuracy, loss, confusion and the first misclassified digits over the
 * test samples that have arrived: one batched predict per slice, with yields
 * between slices so that 'predict' requests are answered meanwhile. */
async function evaluateAll(mine, d) {
  const n = d.available('test');
  if (!n || !net) return;
  const images = d.test.images.data, labels = d.test.labels.data;
  const confusion = new Uint32Array(CLASSES * CLASSES);
  const mImages = new Uint8Array(MISTAKES * PIXELS), mLabels = new Uint8Array(MISTAKES), mPreds = new Uint8Array(MISTAKES);
  const perDigit = new Uint8Array(CLASSES);
  let found = 0, lossSum = 0, correct = 0;
  for (let a = 0; a < n; a += EVAL_CHUNK) {
    const b = Math.min(n, a + EVAL_CHUNK);
    const probs = net.predict(images.subarray(a * PIXELS, b * PIXELS));   // (b - a, 10)
    for (let i = a; i < b; i++) {
      const p = probs.subarray((i - a) * CLASSES, (i - a + 1) * CLASSES);
      let best = 0;
      for (let c = 1; c < CLASSES; c++) if (p[c] > p[best]) best = c;
      const label = labels[i];
      confusion[label * CLASSES + best]++;
      lossSum -= Math.log(Math.max(p[label], 1e-30));
      if (best === label) correct++;
      else if (found < MISTAKES && perDigit[label] < MISTAKES_PER_DIGIT) {
        perDigit[label]++;
        mImages.set(images.subarray(i * PIXELS, (i + 1) * PIXELS), found * PIXELS);
        mLabels[found] = label; mPreds[found] = best; found++;
      }
    }
    await yieldNow();
    if (mine !== token && state === 'training') return;   // a newer run took over
  }
  post({
    type: 'evaluation',
    position: d.count('train') ? seen / d.count('train') : 0,
    accuracy: correct / n,
    loss: lossSum / n,
    tested: n,
    confusion,
    mistakes: { count: found, images: mImages, labels: mLabels, preds: mPreds },
  }, [confusion.buffer, mImages.buffer, mLabels.buffer, mPreds.buffer]);
}

post({ type: 'ready' });
