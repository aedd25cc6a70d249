// app.js: wires the page together: the worker (training, predictions), the
// pad, the store and the DOM views. No DOM building here (ui.js) and no
// training (worker.js).

import * as ui from './ui.js';
import { Pad } from './pad.js';
import { saveLastModel, loadLastModel, forgetLastModel, StorageRefused } from './store.js';
import { resolveBase } from './data.js';

const { els } = ui;
const MODEL_FILE = 'mnist-model.mnwm';
const MAX_MODEL_BYTES = 300 * 1024 * 1024;

/* ---------- errors are shown, never swallowed ---------- */

window.addEventListener('error', (e) => ui.showError(`Unexpected error: ${e.message || e.error || 'unknown'}`));
window.addEventListener('unhandledrejection', (e) => ui.showError(`Unexpected error: ${e.reason?.message || e.reason}`));
els.alertDismiss.addEventListener('click', () => ui.clearError());

/* ---------- the worker ---------- */

// The training worker, and what happens when it dies: an uncaught error in
// it (its error event), or it stops altogether (closed, crashed, killed),
// which the page learns when it is granted the Web Lock the worker holds for
// its whole life. Then the page says so in role=alert at once, every request
// in flight rejects with a WorkerStopped error (said once, not per request),
// later requests reject at once, and Reset starts a new worker that restores
// the last model kept in this browser. The page's settings, data URL and
// drawing are the DOM's and stay as they were.

let worker = null;
let workerName = '';
let workerStarted = false;     // it said 'ready'
let stopped = null;            // the WorkerStopped error once the current worker has died
const pending = new Map();     // id -> { resolve, reject, type }
let nextId = 1;
let ready = null;              // resolves on the current worker's 'ready'; rejects if it dies first
let readyResolve, readyReject;

class WorkerStopped extends Error {
  constructor(message) {
    super(message);
    this.name = 'WorkerStopped';
  }
}

/** Starts a new training worker (the old one, if any, has died and been terminated). */
function startWorker() {
  const id = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;
  const name = `mnist-wasm-worker-${id}`;      // also the name of its life lock
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
  worker = w;
  workerName = name;
  workerStarted = false;
  stopped = null;
  ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
  ready.catch(() => {});
  w.onmessage = (e) => { if (w === worker) receive(e.data); };
  w.onerror = (e) => {
    e.preventDefault?.();
    if (w !== worker) return;
    const detail = e.message ? ` (${e.message})` : '';
    workerDied(workerStarted
      ? `The training worker stopped after an uncaught error${detail}.`
      : `The training worker could not start: its script or the WebAssembly module did not load${detail}.`);
  };
  w.onmessageerror = () => { if (w === worker) ui.showError('A message from the training worker could not be read.'); };
}

/** The worker's life lock was granted to the page: the worker is gone. */
function watchLife(w, name) {
  navigator.locks.request(name, () => {
    if (w === worker) workerDied('The training worker stopped unexpectedly (it crashed or was closed).');
  }).catch(() => {});
}

function workerDied(message) {
  if (stopped) return;
  stopped = new WorkerStopped(`${message.replace(/\.$/, '')}; press Reset to start a new one`);
  worker.terminate();
  readyReject(stopped);
  for (const [id, p] of pending) p.reject(new WorkerStopped(`The training worker stopped before it answered (${p.type}).`));
  pending.clear();
  app.state = 'idle';
  app.hasNet = false;
  app.busy = false;
  app.downloading = false;
  refreshControls();
  ui.showError(`${message} Press Reset to start a new one${app.keptAt !== null ? ': it restores the model kept in this browser' : ''}. Settings and the drawing stay.`);
  ui.setStatus('Stopped: the training worker died. Press Reset.');
}

/** One request to the worker; resolves with its result or rejects with its error. */
function call(type, args = {}, transfer = []) {
  if (stopped) return Promise.reject(stopped);
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, type });
    worker.postMessage({ id, type, ...args }, transfer);
  });
}

function receive(m) {
  if (m.id !== undefined) {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.type === 'error') {
      const err = new Error(m.error.message);
      err.name = m.error.name;
      p.reject(err);
    } else {
      p.resolve(m.result);
    }
    return;
  }
  events[m.type]?.(m);
}

/** Shows message for e, unless e is the worker's death, which was said once already. */
function report(e, message = e.message) {
  if (e instanceof WorkerStopped) return;
  ui.showError(message);
}

/* ---------- page state ---------- */

const app = {
  state: 'idle',
  hasNet: false,
  busy: true,              // a request that changes the network is in flight
  downloading: false,
  download: null,          // last download message
  config: null,            // the network's settings
  seen: 0,                 // samples trained since create or load
  accuracy: null,
  keptAt: null,            // app.seen when the model was last kept in IndexedDB
  keptTime: 0,             // and when
  infoExtra: '',           // where the model came from
  epochShown: 0,
};

const lossChart = new ui.LineChart(els.lossChart, { color: '#2457d6', yFormat: (v) => v.toFixed(2), empty: 'Loss appears here while training' });
const accChart = new ui.LineChart(els.accuracyChart, {
  color: '#1f8a4c', yRange: 'accuracy', yFormat: (v) => `${Math.round(v * 100)}%`, empty: 'Test accuracy appears here',
});

function refreshControls() {
  ui.setControls(app.state, { hasNet: app.hasNet, busy: app.busy, downloading: app.downloading });
}

function describe(c) {
  if (!c) return '';
  return `${c.layers?.join('-') ?? '?'} · ${c.activation ?? '?'} · ${c.optimizer ?? '?'}`;
}

function showModelInfo(extra) {
  if (extra !== undefined) app.infoExtra = extra;
  const parts = [describe(app.config)];
  if (app.seen) parts.push(`trained on ${ui.fmtCount(app.seen)} samples here`);
  if (app.infoExtra) parts.push(app.infoExtra);
  if (app.keptAt !== null && app.keptAt === app.seen) parts.push('kept in this browser');
  ui.setModelInfo(parts.join(' · '));
}

function clearViews() {
  lossChart.reset();
  accChart.reset();
  ui.setAccuracy(NaN);
  ui.setMetrics({ epoch: 0, epochs: 0, loss: NaN, speed: NaN, timeLeft: null });
  ui.setConfusion(null);
  ui.setMistakes(null);
  app.seen = 0;
  app.accuracy = null;
  app.epochShown = 0;
  app.keptAt = null;
}

function idleStatus(reason) {
  const d = app.download;
  switch (reason) {
    case 'done':
      return `Done: ${app.config?.epochs ?? ''} epochs, test accuracy ${app.accuracy === null ? '–' : ui.fmtPercent(app.accuracy)}. Draw a digit, or press Train for more epochs.`;
    case 'error': return 'Stopped by the error shown above. Fix it and press Train to try again.';
    case 'download stopped': return 'Download stopped. Press Train to start again.';
    case 'loaded': return 'Model loaded. Draw a digit, or press Train to train it on.';
    case 'reset': return d?.complete ? 'New network ready. Press Train.' : 'Ready. Press Train to download the data and start training.';
    default: return d?.complete
      ? `Ready: ${ui.fmtCount(d.train.count)} training and ${ui.fmtCount(d.test.count)} test digits loaded. Press Train.`
      : 'Ready. Press Train to download the data and start training.';
  }
}

/* ---------- events from the worker ---------- */

const events = {
  ready(m) {
    workerStarted = true;
    if (m.lock && navigator.locks) watchLife(worker, workerName);
    readyResolve();
  },

  state(m) {
    const was = app.state;
    app.state = m.state;
    refreshControls();
    if (m.state === 'downloading') ui.setStatus('Downloading: training starts as soon as the first digits arrive…');
    else if (m.state === 'training') ui.setStatus(trainingStatus());
    else if (m.state === 'paused') ui.setStatus(`Paused after ${ui.fmtCount(app.seen)} samples. Press Pause again, or Train, to resume.`);
    else if (m.reason) ui.setStatus(idleStatus(m.reason));
    else if (was !== 'idle') ui.setStatus(idleStatus(''));
    if ((m.state === 'paused' || m.reason === 'done') && app.seen) remember('trained');
  },

  download(m) {
    app.download = m;
    app.downloading = !!m.train && !m.complete && !m.failed;
    ui.setDownload(m);
    refreshControls();
    if (app.state === 'training') ui.setStatus(trainingStatus());
  },

  progress(m) {
    app.seen = m.seen;
    app.config = { ...app.config, epochs: m.epochs };
    ui.setThreads(m.threads, m.threadsReason);
    if (app.infoExtra === 'new, untrained') app.infoExtra = '';
    if (Number.isFinite(m.loss)) lossChart.push(m.position, m.loss);
    ui.setMetrics({ epoch: m.epoch, epochs: m.epochs, loss: m.loss, speed: m.speed, timeLeft: m.timeLeft });
    if (app.state === 'training') ui.setStatus(trainingStatus(m));
    showModelInfo();
    repredictSoon();
    if (m.epoch !== app.epochShown) {           // keep the newest model at an epoch's end, every 5 s at most
      if (app.epochShown && Date.now() - app.keptTime > 5000) remember('trained');
      app.epochShown = m.epoch;
    }
  },

  evaluation(m) {
    app.accuracy = m.accuracy;
    ui.setAccuracy(m.accuracy);
    accChart.push(m.position, m.accuracy);
    ui.setConfusion(m.confusion);
    ui.setMistakes(m.mistakes);
  },

  fault(m) {
    const prefix = m.source === 'training' ? 'Training stopped: ' : '';
    ui.showError(prefix + m.error.message);
  },
};

let lastProgress = null;
function trainingStatus(m = lastProgress) {
  lastProgress = m || lastProgress;
  const d = app.download;
  const parts = ['Training'];
  if (m?.epoch) parts[0] += `: epoch ${m.epoch} of ${m.epochs}`;
  if (d && !d.complete && d.train?.count) parts.push(`on the ${ui.fmtCount(d.train.ready)} of ${ui.fmtCount(d.train.count)} digits downloaded so far`);
  return parts.join(', ') + '.';
}

/* ---------- remembering the model ---------- */

// Storage that refuses (no IndexedDB, blocked, full) is said once, in a
// note beside the model, not as an alert; the page then stops trying, and
// the model on the page is unaffected (Save model still writes a file).
let storageRefused = null;
function refusedStorage(e) {
  if (storageRefused) return;
  storageRefused = e;
  ui.setStorageNote(`Models will not be kept in this browser: ${e.message}. The model on the page stays until you reload; Save model keeps it in a file.`);
  els.forgetModel.disabled = true;
}

/** A store call: StorageRefused is noted once and gives undefined; other errors throw. */
async function stored(fn) {
  if (storageRefused) return undefined;
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof StorageRefused)) throw e;
    refusedStorage(e);
    return undefined;
  }
}

let remembering = null;     // the save in flight
let rememberAgain = null;  // a source to save again once it ends (the model moved on meanwhile)
function remember(source) {
  if (storageRefused) return Promise.resolve();
  if (remembering) { rememberAgain = source; return remembering; }
  remembering = (async () => {
    try {
      const seen = app.seen;
      const bytes = await call('save');
      if (await stored(() => saveLastModel(bytes, source).then(() => true))) {
        app.keptAt = seen;
        app.keptTime = Date.now();
        showModelInfo();
      }
    } catch (e) {
      report(e, `Could not remember the model in this browser: ${e.message}`);
    } finally {
      remembering = null;
      const again = rememberAgain;
      rememberAgain = null;
      if (again) remember(again);
    }
  })();
  return remembering;
}

/* Waits for a save in flight (and drops a queued one), so that what is
 * kept next is not overwritten by an older model. */
async function settleRemembering() {
  rememberAgain = null;
  await remembering?.catch(() => {});
}

/* ---------- buttons ---------- */

function currentSettings() {
  const s = ui.readSettings();
  if (s.error) { ui.showError(s.error); return null; }
  return s.options;
}

function currentUrl() {
  try {
    return resolveBase(els.dataUrl.value, location.href);
  } catch (e) {
    ui.showError(e.message);
    return null;
  }
}

async function train() {
  const options = currentSettings();
  const url = currentUrl();
  if (!options || !url) return;
  ui.clearError();
  noteArchitecture(options);
  try {
    await call('train', { url, options });
  } catch (e) {
    report(e);
  }
}

function noteArchitecture(options) {
  const c = app.config;
  const differs = c && app.seen > 0 && (JSON.stringify(c.layers) !== JSON.stringify(options.layers)
    || c.activation !== options.activation || c.optimizer !== options.optimizer || c.seed !== options.seed
    || c.threadsAsked !== options.threads);
  ui.setSettingsNote(differs ? 'The network keeps its layers, activation, optimizer, seed and threads while it trains on; press Reset to start a new one with these settings.' : '');
}

/* The threads control's count (1 while it holds no valid count). */
const threadsSetting = () => ui.readSettings().options?.threads ?? 1;

/* The worker's network settings, and the threads they run on. */
function setConfig(config) {
  app.config = config;
  ui.setThreads(config.threads, config.threadsReason);
}

els.train.addEventListener('click', train);
els.dataForm.addEventListener('submit', (e) => { e.preventDefault(); if (!els.train.disabled) train(); });

els.pause.addEventListener('click', async () => {
  if (app.state === 'paused') return train();
  try { await call('pause'); } catch (e) { report(e); }
});

els.reset.addEventListener('click', async () => {
  if (stopped) { restartWorker(); return; }
  const options = currentSettings();
  if (!options) return;
  ui.clearError();
  app.busy = true; refreshControls();
  try {
    const { config } = await call('reset', { options });
    setConfig(config);
    app.hasNet = true;
    clearViews();
    ui.setSettingsNote('');
    await settleRemembering();
    await stored(() => forgetLastModel()).catch(() => {});
    app.keptAt = null;
    showModelInfo('new, untrained');
    repredictSoon(0);
  } catch (e) {
    report(e);
  } finally {
    app.busy = false; refreshControls();
  }
});

/* Reset after the worker died: a new worker, given the last model kept in
 * this browser (else a new network from the settings), then the page's live
 * settings (learning rate, batch size, epochs, schedule, ...) again. Train
 * sends the data URL, as always. */
async function restartWorker() {
  ui.clearError();
  rememberAgain = null;
  remembering = null;          // its request was rejected with the worker
  app.download = null;
  ui.setDownload({ received: 0 });
  startWorker();
  await bringUp({ again: true });
}

els.cancel.addEventListener('click', async () => {
  try { await call('abort'); } catch (e) { report(e); }
  app.downloading = false;
  refreshControls();
});

for (const el of [els.lr, els.batch, els.epochs]) {
  el.addEventListener('change', async () => {
    if (!app.hasNet || !app.seen) return;       // a fresh network takes every setting at Train
    const s = ui.readSettings();
    if (s.error) { ui.showError(s.error); return; }
    try {
      const { pending: later } = await call('configure', { options: s.options });
      if (later?.length) ui.setSettingsNote(`The ${later.join(' and ')} applies after Reset.`);
    } catch (e) { report(e); }
  });
}
for (const el of [els.hidden, els.activation, els.optimizer, els.seed]) {
  el.addEventListener('change', () => {
    const s = ui.readSettings();
    if (s.options) noteArchitecture(s.options);
  });
}

els.saveModel.addEventListener('click', async () => {
  try {
    const bytes = await call('save');
    ui.downloadFile(bytes, MODEL_FILE);
    await stored(() => saveLastModel(bytes, 'trained')).catch(() => {});
  } catch (e) {
    report(e, `Could not save the model: ${e.message}`);
  }
});

els.openModel.addEventListener('change', async () => {
  const file = els.openModel.files?.[0];
  els.openModel.value = '';                      // the same file can be chosen again
  if (!file) return;
  ui.clearError();
  if (file.size > MAX_MODEL_BYTES) {
    ui.showError(`${file.name} is ${ui.fmtBytes(file.size)}: too large to be a model file.`);
    return;
  }
  app.busy = true; refreshControls();
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const result = await call('load', { bytes: bytes.slice(), threads: threadsSetting() });
    adoptModel(result);
    app.keptAt = null;
    showModelInfo(`opened ${file.name}`);
    try {
      await settleRemembering();
      if (await stored(() => saveLastModel(bytes, 'file').then(() => true))) {
        app.keptAt = 0;
        showModelInfo();
      }
    } catch (e) {
      ui.showError(`Could not remember the model in this browser: ${e.message}`);
    }
    ui.setStatus(`Opened ${file.name}. Draw a digit, or press Train to train it on.`);
  } catch (e) {
    const reason = e.message.replace(/^loadNetwork: /, '').replace(/\.$/, '');
    report(e, `${file.name} was refused, the model in use is unchanged: ${reason}.`);
  } finally {
    app.busy = false; refreshControls();
  }
});

els.forgetModel.addEventListener('click', async () => {
  try {
    await settleRemembering();
    if (await stored(() => forgetLastModel().then(() => true))) {
      app.keptAt = null;
      showModelInfo();
      ui.setStatus('This browser no longer keeps a model; the one on the page stays until you reload.');
    }
  } catch (e) {
    ui.showError(`Could not forget the model: ${e.message}`);
  }
});

function adoptModel({ config, steps }, { keepSettings = false } = {}) {
  setConfig(config);
  app.hasNet = true;
  clearViews();
  if (!keepSettings) ui.writeSettings(config);
  ui.setSettingsNote('');
  app.infoExtra = steps ? `${ui.fmtCount(steps)} steps trained` : '';
  repredictSoon(0);
  if (app.download?.complete) call('evaluate').catch(() => {});
}

/* ---------- the pad ---------- */

let predictSeq = 0;            // bumps on every new request; stale answers are dropped
let inFlight = false;
let again = false;

async function predictNow() {
  if (inFlight) { again = true; return; }
  const input = pad.read();
  ui.setInputView(input);
  const seq = ++predictSeq;
  if (!input || !app.hasNet) { ui.setPrediction(null); return; }
  inFlight = true;
  try {
    const probs = await call('predict', { image: input }, [input.buffer]);
    if (seq === predictSeq) ui.setPrediction(probs);
  } catch (e) {
    report(e, `Could not read the drawing: ${e.message}`);
  } finally {
    inFlight = false;
    if (again) { again = false; predictNow(); }
  }
}

let moveTimer = 0;
let repredictTimer = 0;
function repredictSoon(delay = 400) {
  if (pad.isEmpty() || repredictTimer) return;
  repredictTimer = setTimeout(() => { repredictTimer = 0; predictNow(); }, delay);
}

const pad = new Pad(els.pad, {
  onInput(kind) {
    if (kind === 'clear') {
      predictSeq++;
      again = false;
      ui.setPrediction(null);
      ui.setInputView(null);
    } else if (kind === 'end') {
      clearTimeout(moveTimer); moveTimer = 0;
      predictNow();
    } else if (!moveTimer) {                   // live reading while drawing, every 60 ms
      moveTimer = setTimeout(() => { moveTimer = 0; predictNow(); }, 60);
    }
  },
});
els.clear.addEventListener('click', () => pad.clear());

/* ---------- start ---------- */

/* A worker just started: restores the kept model, or makes a new network.
 * again: after a worker died (keep the page's settings and send them). */
async function bringUp({ again = false } = {}) {
  app.busy = true;
  app.hasNet = false;
  app.state = 'idle';
  refreshControls();
  ui.setStatus(again ? 'Starting a new training worker…' : 'Loading the network…');
  const late = setTimeout(() => ui.setStatus('Still loading the network (WebAssembly)…'), 5000);
  try {
    await ready;
    let restored = null;
    try {
      restored = await stored(() => loadLastModel());
    } catch (e) {               // a record that is not a model: discarded, said
      await stored(() => forgetLastModel()).catch(() => {});
      ui.showError(`The model kept in this browser was corrupt and was discarded (${e.message}); starting with a new network.`);
    }
    if (restored) {
      try {
        const result = await call('load', { bytes: restored.bytes, threads: threadsSetting() });
        adoptModel(result, { keepSettings: again });
        app.keptAt = 0;
        showModelInfo(`restored from this browser (saved ${new Date(restored.savedAt).toLocaleString()})`);
        if (again) await sendLiveSettings();
        ui.setStatus(again
          ? 'A new training worker restored the last model kept in this browser. Press Train to train on.'
          : 'Restored the last model from this browser. Draw a digit, or press Train to train it on.');
        return;
      } catch (e) {
        if (e instanceof WorkerStopped) throw e;
        await stored(() => forgetLastModel()).catch(() => {});
        ui.showError(`The model kept in this browser could not be loaded and was discarded: ${e.message}`);
      }
    }
    const options = currentSettings();
    const { config } = await call('reset', { options: options ?? {} });
    setConfig(config);
    app.hasNet = true;
    if (again) clearViews();
    showModelInfo('new, untrained');
    repredictSoon(0);
    ui.setStatus(again ? 'A new training worker is ready with a new network (no model was kept in this browser). Press Train.' : idleStatus(''));
  } catch (e) {
    if (e instanceof WorkerStopped) return;      // said by workerDied
    ui.showError(`The network could not be created: ${e.message}`);
    ui.setStatus('Not ready: the network could not be created.');
  } finally {
    clearTimeout(late);
    app.busy = false;
    refreshControls();
  }
}

/* The live settings of the page's fields, on the network the worker has. */
async function sendLiveSettings() {
  const s = ui.readSettings();
  if (s.error) return;
  await call('configure', { options: s.options }).catch((e) => report(e));
}

ui.setPrediction(null);
ui.setConfusion(null);
ui.setMistakes(null);
ui.setDownload({ received: 0 });
ui.setDefaultThreads(navigator.hardwareConcurrency);
startWorker();
bringUp();
