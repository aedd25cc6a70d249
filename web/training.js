// training.js: the worker's time-sliced work and the one state it keeps
// (run): the network, its trainer, its config and the streamed data set;
// training, evaluating and fine-tuning cut into slices of about SLICE_MS
// with a yield between them, so that the worker's requests (worker.js, e.g.
// 'inspect', the drawn digit's reading) are answered within a slice. The
// loop and the evaluation are C's (the package's Trainer and evaluator over
// csrc/train.h, the ones the command lines use); this file only slices them
// and says what they did: one 'state' message (state, reason, config,
// samples seen, the person's digits mixed in) whenever any of it changes, and 'download', 'progress',
// 'evaluation', 'learning' and 'snapshot' messages as they go. Every
// ArrayBuffer sent is transferred.

import { Trainer, abortError } from './lib/index.js';
import { FineTune, extraRepeat, weightSnapshot } from './lib/finetune.js';
import { streamDataset } from './data.js';
import { errorOf } from './worker-errors.js';

const SLICE_MS = 20; // training time between yields
const PROGRESS_MS = 200; // at most five progress messages a second
const EVAL_MS = 1500; // test-set evaluation cadence while training (and at the end); once an
// epoch instead would cost a quarter of the time on 8,000-digit epochs
const EVAL_SHARE = 0.01; // and at most this share of the time: 10,000 test digits take ~50 ms
const EVAL_CHUNK = 2000; // test samples per slice of an evaluation (~10 ms)
const MISTAKES = 24; // misclassified test digits shown
const MISTAKES_PER_DIGIT = 3; // at most this many of each true digit
const SNAPSHOT_MS = 1500; // weight snapshots while the page watches (~0.3 ms each: copy and diff)
export const EPOCHS = 10; // a run's epochs until the page says

/** The worker's state, in one place; the page learns it from the 'state' message (publish). */
export const run = {
  net: null,
  trainer: null, // C's loop for net: its pass order, position and counters
  config: null, // net's settings (network.js settingsOf), threadsReason, threadsAsked, epochs, layerInfo
  ds: null, // the PageData streaming or streamed (data.js)
  state: 'idle', // idle | downloading | training | paused | learning
  token: 0, // bumped to stop the running loop
  watching: false, // the page shows the weights view: post snapshots
  personal: null, // the person's digits (a Dataset) that Train mixes into its passes
  target: null, // trainer epochs at which the run ends; null until the training set is whole
  // (passes over a partial download do not count as epochs)
  splitMinRows: 1, // C's NN_SPLIT_MIN_ROWS (facts), once the module is in
};

export const post = (msg, transfer = []) => self.postMessage(msg, transfer);
const now = () => performance.now();

// A yield that is not clamped like nested setTimeout: the next slice runs
// after the messages (e.g. 'inspect') that are already queued.
const channel = new MessageChannel();
const resumers = [];
channel.port1.onmessage = () => resumers.shift()?.();
const yieldNow = () =>
  new Promise((resolve) => {
    resumers.push(resolve);
    channel.port2.postMessage(0);
  });

/* The threads a training step of config c runs on, and why fewer than the
 * network has: C splits a mini-batch over n threads only from n *
 * splitMinRows rows (evaluations split in blocks of their own). */
function stepThreads(c) {
  if (c.threads > 1 && c.batchSize < c.threads * run.splitMinRows)
    return {
      threads: 1,
      reason: `a mini-batch of ${c.batchSize} is too small to split over ${c.threads} threads (each takes ${run.splitMinRows} rows or more; evaluations use all ${c.threads})`,
    };
  return { threads: c.threads, reason: c.threadsReason };
}

/** The network's config as the page shows it: with the threads a training step runs on (step). */
export const configView = () => run.config && { ...run.config, step: stepThreads(run.config) };

/** Tells the page the worker's state: { state, reason, config, seen, mixed } (seen: samples
 *  trained; mixed: the person's digits a run mixes in). */
export function publish(reason = '') {
  const seen = run.trainer?.progress.samples ?? 0;
  post({ type: 'state', state: run.state, reason, config: configView(), seen, mixed: run.personal?.count ?? 0 });
}

export function setState(next, reason = '') {
  run.state = next;
  publish(reason);
}

export function stopLoop() {
  run.token++;
}

/** Makes fresh (made or loaded) the network, with config its config and a fresh trainer: its
 *  first pass starts from the network's seed, as the command lines' does. */
export function use(fresh, config) {
  run.net?.dispose();
  run.trainer?.dispose();
  run.net = fresh;
  run.config = config;
  run.trainer = new Trainer();
  run.target = null;
  last = null;
  if (run.watching) snapshot(true);
}

/* ---------- data ---------- */

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
        if (run.ds === d) postDownload(d, true);
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

export function startDownload(url) {
  run.ds?.dispose(abortError('replaced by a new download'));
  const d = streamDataset(url, { onProgress: (x) => postDownload(x) });
  run.ds = d;
  postDownload(d, true);
  d.done.then(
    () => {
      if (run.ds === d) postDownload(d, true);
    },
    (e) => {
      if (run.ds !== d || e?.name === 'AbortError') return;
      postDownload(d, true);
      fault(e, 'data');
    },
  );
}

/** Stops the download, if any, and says so. */
export function stopDownload() {
  const d = run.ds;
  const had = d && !d.complete && !d.error;
  d?.dispose(abortError('The download was stopped.'));
  run.ds = null;
  stopLoop();
  setState('idle', had ? 'download stopped' : '');
  post({ type: 'download', received: 0, total: null, train: null, test: null, complete: false });
}

/** An error outside any request (download, divergence): the run stops, and the page is told. */
function fault(e, source) {
  stopLoop();
  if (run.state !== 'idle') setState('idle', 'error');
  post({ type: 'fault', source, error: errorOf(e) });
}

/* ---------- training ---------- */

// Samples per trainer call: grown or shrunk so that one call takes about
// CALL_MS, which keeps each slice near SLICE_MS whatever the batch size.
const CALL_MS = 10;
let budget = 256;

/* One trainer call, call(samples) with the current budget, which then grows
 * or shrinks so that the next call takes about CALL_MS. */
function timedRun(call) {
  const t = now();
  const p = call(budget);
  const ms = now() - t;
  budget = Math.max(
    1,
    Math.min(1 << 16, Math.round(budget * (ms > 0.5 ? Math.min(2, Math.max(0.5, CALL_MS / ms)) : 2))),
  );
  return p;
}

/* The threads the last slice of training really ran on (C counts the jobs
 * its pool threads ran), with stepThreads' reason; stepThreads' own count
 * until a slice has run. */
let lastSliceSplit = null;
function workedThreads() {
  const step = stepThreads(run.config);
  if (lastSliceSplit !== null) step.threads = lastSliceSplit ? run.config.threads : 1;
  return step;
}

/** Starts a training run (the loop below) that stops when run.token moves on. */
export function startLoop() {
  const mine = ++run.token; // also stops a loop still running on older data
  loop(mine).catch((e) => fault(e, 'training'));
}

async function loop(mine) {
  const d = run.ds;
  const { net, trainer } = run;
  let lossSum = 0,
    lossN = 0;
  let lastProgress = now(),
    lastSamples = trainer.progress.samples,
    speed = 0;
  let lastEval = now(),
    evalGap = EVAL_MS;
  lastSliceSplit = null;
  setState(d.available('train') ? 'training' : 'downloading');

  while (mine === run.token) {
    if (d.error) return; // reported by startDownload
    if (run.target === null && d.complete) {
      const { epochs } = run.config;
      run.target = trainer.progress.epochs + epochs;
      // the person's digits in every pass of this run (at most LEARN.extraShare of
      // it), as the command lines' --extra and --repeat do, so Train keeps them
      const { personal } = run;
      trainer.mix(personal, personal ? extraRepeat(d.train.count, personal.count) : 1);
      trainer.plan(epochs); // the schedule spreads over this run, as the command lines' does
    }
    if (run.target !== null && trainer.progress.epochs >= run.target) {
      await evaluateAll(mine, d);
      if (mine !== run.token) return;
      progress(lossN ? lossSum / lossN : null, speed, true);
      stopLoop();
      setState('idle', 'done');
      return;
    }
    if (d.available('train') === 0) {
      if (run.state !== 'downloading') setState('downloading');
      await d.changed();
      continue;
    }
    if (run.state !== 'training') setState('training');

    const t0 = now();
    const jobsBefore = net.threadJobs;
    let p;
    let lossBefore = trainer.progress.totalLoss;
    do {
      p = timedRun((n) => trainer.run(net, d.train, n));
      lossSum += p.totalLoss - lossBefore;
      lossN += p.trained;
      lossBefore = p.totalLoss;
    } while (now() - t0 < SLICE_MS && p.trained > 0 && !(run.target !== null && p.epochs >= run.target));
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
    if (run.watching && t - lastSnapshot >= SNAPSHOT_MS) snapshot();
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
  const { target } = run;
  const { epochs } = run.config;
  const p = run.trainer.progress;
  const n = run.ds?.count('train') || 0;
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

/** Test accuracy, loss, confusion and the first misclassified digits over
 *  the test samples that have arrived, posted: C's evaluation, EVAL_CHUNK
 *  samples per slice, with yields between slices so that 'inspect'
 *  requests are answered meanwhile. */
export async function evaluateAll(mine, d) {
  const { net } = run;
  if (!net || !d.available('test')) return null;
  const ev = net.evaluator(d.test, { wrong: MISTAKES, wrongPerLabel: MISTAKES_PER_DIGIT });
  try {
    while (!ev.step(EVAL_CHUNK)) {
      await yieldNow();
      // a newer run (training or learning) took over
      if (mine !== run.token && (run.state === 'training' || run.state === 'learning')) {
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
      position: d.count('train') ? run.trainer.progress.samples / d.count('train') : 0,
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

let last = null; // what the next snapshot measures update sizes from (weightSnapshot's next)
let lastSnapshot = 0;

/** Posts the first layer's weights and the update sizes (lib/finetune.js weightSnapshot).
 *  fresh: start the measure again (the view was just opened). */
export function snapshot(fresh = false) {
  const t0 = now();
  lastSnapshot = t0;
  if (fresh) last = null;
  const s = weightSnapshot(run.net, run.config.layerInfo, { centred: run.config.input === 'centred', last });
  if (!s) return;
  last = s.next;
  const ms = now() - t0; // what this snapshot took from training: the copies and the sums
  const { steps, layer, weights, updates } = s;
  post({ type: 'snapshot', steps, layer, weights, updates, ms, every: SNAPSHOT_MS }, [weights.buffer]);
}

/* ---------- learning a person's handwriting ---------- */

/** Fine-tunes the network on extra (a Dataset of the person's digits, which
 *  this frees) mixed into passes over the training set of url (lib/finetune.js
 *  FineTune), sliced like training; evaluates the person's digits and the test
 *  set before and after. A running training pauses; a Reset or a load
 *  meanwhile stops it. */
export async function learn(url, extra) {
  const tuned = run.net;
  const was = run.state;
  stopLoop();
  const mine = run.token;
  const stopped = () => mine !== run.token || run.net !== tuned;
  let settled = false;
  try {
    if (!run.ds || run.ds.error) startDownload(url);
    const d = run.ds;
    setState('learning');
    while (!d.complete) {
      if (d.error) throw new Error(`the training digits could not be loaded: ${d.error.message}`);
      await d.changed();
      if (stopped()) throw abortError('Learning was stopped.');
    }
    const measure = async () => {
      const mnist = await evaluateAll(mine, d);
      if (stopped()) throw abortError('Learning was stopped.');
      return { personal: tuned.evaluate(extra).accuracy, mnist: mnist ? mnist.accuracy : null };
    };
    const before = await measure();
    const t0 = now();
    const tune = new FineTune(tuned, extra, d.train.count, run.config.learningRate);
    try {
      do {
        const s0 = now();
        do timedRun((n) => tune.run(d.train, n));
        while (now() - s0 < SLICE_MS && !tune.finished);
        post({ type: 'learning', done: tune.done });
        if (run.watching && now() - lastSnapshot >= SNAPSHOT_MS) snapshot();
        await yieldNow();
        if (stopped()) throw abortError('Learning was stopped.');
      } while (!tune.finished);
    } finally {
      tune.dispose(run.config.learningRate); // as set now (a change meanwhile counts)
    }
    const seconds = (now() - t0) / 1000;
    if (run.watching) snapshot();
    const after = await measure();
    settled = true;
    setState(was === 'idle' ? 'idle' : 'paused', 'learned');
    const { repeat, learningRate } = tune;
    return { before, after, count: extra.count, repeat, learningRate, samples: tune.progress.samples, seconds };
  } finally {
    extra.dispose();
    if (!settled && !stopped()) setState(was === 'idle' ? 'idle' : 'paused', 'error');
  }
}
