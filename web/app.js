// app.js: wires the page together: the worker (training, predictions), the
// pad, the store and the DOM views. No DOM building here (ui.js) and no
// training (worker.js).

import * as ui from './ui.js';
import * as inside from './inside.js';
import { BackpropPanel } from './backprop.js';
import { HistorySlider } from './history.js';
import { Pad } from './pad.js';
import {
  saveLastModel,
  loadLastModel,
  forgetLastModel,
  addPersonal,
  listPersonal,
  removePersonal,
  StorageRefused,
} from './store.js';
import { resolveBase, unreadableMessage } from './data.js';
import { toIdx, exportFiles, pairsOf, keyOf, toBytes } from './personal.js';
import { startServiceWorker, serverAnswers } from './offline.js';
import { threadsUnavailable } from './lib/wasm.js';
import { architectureChanges, stackName } from './network.js';

const { els } = ui;
const MODEL_FILE = 'mnist-model.mnwm';
const MAX_MODEL_BYTES = 300 * 1024 * 1024;

/* ---------- errors are shown, never swallowed ---------- */

window.addEventListener('error', (e) => ui.showError(`Unexpected error: ${e.message || e.error || 'unknown'}`));
window.addEventListener('unhandledrejection', (e) =>
  ui.showError(`Unexpected error: ${e.reason?.message || e.reason}`),
);
els.alertDismiss.addEventListener('click', () => ui.clearError());

/* ---------- the worker ---------- */

// The training worker, and what happens when it dies: an uncaught error in
// it (its error event), or it stops altogether (closed, crashed, killed),
// which the page learns when it is granted the Web Lock the worker holds for
// its whole life, or it hangs (watchHang). Then the page says so in
// role=alert at once, every request in flight rejects with a WorkerStopped
// error (said once, not per request), later requests reject at once, and
// Reset starts a new worker that restores the last model kept in this
// browser. The page's settings, data URL and drawing are the DOM's and stay
// as they were.

let worker = null;
let workerName = '';
let workerStarted = false; // it said 'ready'
let formFilled = false; // the settings form holds C's defaults or the person's choices
let stopped = null; // the WorkerStopped error once the current worker has died
const pending = new Map(); // id -> { resolve, reject, type }
let nextId = 1;
let ready = null; // resolves on the current worker's 'ready'; rejects if it dies first
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
  const name = `mnist-wasm-worker-${id}`; // also the name of its life lock
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
  worker = w;
  workerName = name;
  workerStarted = false;
  stopped = null;
  ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => {});
  w.onmessage = (e) => {
    if (w === worker) receive(e.data);
  };
  w.onerror = (e) => {
    e.preventDefault?.();
    if (w !== worker) return;
    const detail = e.message ? ` (${e.message})` : '';
    workerDied(
      workerStarted
        ? `The training worker stopped after an uncaught error${detail}`
        : `The training worker could not start: its script or the WebAssembly module did not load${detail}`,
    );
  };
  w.onmessageerror = () => {
    if (w === worker) ui.showError('A message from the training worker could not be read.');
  };
}

/** The worker's life lock was granted to the page: the worker is gone. */
function watchLife(w, name) {
  navigator.locks
    .request(name, () => {
      if (w === worker) workerDied('The training worker stopped unexpectedly (it crashed or was closed)');
    })
    .catch(() => {});
}

// A worker that hangs says nothing at all: when a thread of it crashes or is
// killed, the worker waits for that thread inside WebAssembly for ever. So
// the page asks it every PING_MS and takes an answer that is HANG_MS late,
// counted in the page's own punctual ticks, for a death. A late tick (a tab
// frozen or throttled, a computer asleep, a long task of the page's own)
// starts the count again, since the worker may not be the one held up. No
// slice of the worker's work takes near HANG_MS: training yields every
// 20 ms and evaluation every 2,000 digits. HANG_MS leaves room for a busy
// machine: at 1 s, WebKit's one-thread worker, starved while another
// browser trained on both cores, was once taken for dead.
const PING_MS = 200;
const HANG_MS = 5000;

function watchHang(w) {
  let asked = false; // a ping is unanswered
  let waited = 0; // punctual ms since it went
  let last = performance.now();
  const timer = setInterval(() => {
    const t = performance.now();
    const gap = t - last;
    last = t;
    if (w !== worker || stopped) {
      clearInterval(timer);
      return;
    }
    if (!asked) {
      asked = true;
      waited = 0;
      call('ping').then(
        () => (asked = false),
        () => {},
      );
    } else if (gap > 4 * PING_MS) {
      waited = 0;
    } else if ((waited += gap) > HANG_MS) {
      clearInterval(timer);
      workerDied(
        `The training worker stopped answering for ${HANG_MS / 1000} s: it or one of its threads hung or crashed`,
      );
    }
  }, PING_MS);
}

/* why: what happened, one sentence without its full stop. */
function workerDied(why) {
  if (stopped) return;
  stopped = new WorkerStopped(`${why}; press Reset to start a new one`);
  worker.terminate();
  readyReject(stopped);
  for (const p of pending.values())
    p.reject(new WorkerStopped(`The training worker stopped before it answered (${p.type}).`));
  pending.clear();
  app.state = 'idle';
  app.hasNet = false;
  app.busy = false;
  app.downloading = false;
  refreshControls();
  ui.showError(
    `${why}. Press Reset to start a new one${app.keptAt !== null ? ': it restores the model kept in this browser' : ''}. Settings and the drawing stay.`,
  );
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
    if (m.type === 'error') p.reject(errorFrom(m.error));
    else {
      p.resolve(m.result);
    }
    return;
  }
  events[m.type]?.(m);
}

/** The worker's error (worker.js errorOf) as an Error with its fields: name,
 *  code, status, where, reason, url, field ('layers': C refused the stack). */
const errorFrom = (data) => Object.assign(new Error(data.message), data);

/** A reason as the end of a sentence: with one full stop. */
const sentence = (reason) => (reason.endsWith('.') ? reason : `${reason}.`);

/** Shows message for e, unless e is the worker's death, which was said once already;
 *  a stack that C refused goes under the Hidden layers field. */
function report(e, message = e.message) {
  if (e instanceof WorkerStopped) return;
  if (e.field === 'layers') {
    ui.setStackError(e.message);
    ui.setStatus(
      'Nothing trained, the network there kept: C makes no network of these hidden layers (see under the field).',
    );
    return;
  }
  ui.showError(message);
}

/* ---------- page state ---------- */

const app = {
  state: 'idle',
  hasNet: false,
  busy: true, // a request that changes the network is in flight
  downloading: false,
  download: null, // last download message
  config: null, // the network's settings
  seen: 0, // samples trained since create or load
  accuracy: null,
  keptAt: null, // app.seen when the model was last kept in IndexedDB
  keptTime: 0, // and when
  infoExtra: '', // where the model came from
  epochShown: 0,
  mixed: 0, // how many of the person's digits the running Train mixes in
  personal: [], // the kept digits: [{ key, label, input: Uint8Array(784), strokes }]
  touched: false, // the person has trained, drawn or opened a model: a reload would lose it
  trainWhenReady: false, // Enter in the data field while the network loads: train once it is ready
};

const lossChart = new ui.LineChart(els.lossChart, {
  color: '#2457d6',
  yFormat: (v) => v.toFixed(2),
  empty: 'Loss appears here while training',
});
const accChart = new ui.LineChart(els.accuracyChart, {
  color: '#1f8a4c',
  yRange: 'accuracy',
  yFormat: (v) => `${Math.round(v * 100)}%`,
  empty: 'Test accuracy appears here',
});

const forward = new inside.ForwardView(els.forward, els.readout);
// watch it learn: the run's snapshots, bounded, under a slider (history.js)
const watch = new HistorySlider(document.getElementById('history'), document.getElementById('history-text'), (s) =>
  inside.setWeights(s.weights, s.layer, s.steps),
);
// the backpropagation panel: Apply makes its step the network, as opening a model does
const backprop = new BackpropPanel({
  call,
  onApplied: (r) => {
    adoptModel(r, { keepSettings: true });
    ui.setStatus('Applied one step of learning on that digit. Draw a digit, or press Train to train on.');
  },
  onError: (e) => report(e, `Could not compute the step of learning: ${e.message}`),
});
const updateChart = new ui.LogChart(els.updateChart, els.updateLegend, {
  empty: 'Update sizes appear here while training',
});

function refreshControls() {
  ui.setControls(app.state, {
    hasNet: app.hasNet,
    busy: app.busy,
    downloading: app.downloading,
    personal: app.personal.length,
  });
}

/* The inside view's shape follows the network's: C's layers (net.layers,
 * sent with its config by worker.js configOf), an update-size series per
 * layer with weights. */
function buildInside(config) {
  backprop.networkChanged();
  watch.clear();
  if (!config?.layers) return;
  const layers = config.layerInfo ?? null;
  forward.build(layers, config.activation);
  const named = (y, l) => `layer ${l + 1} (${y.type === 'dense' ? `${y.fanIn}→${y.units}` : inside.layerName(y)})`;
  updateChart.setSeries((layers ?? []).map(named).filter((_, l) => layers[l].weights));
}

function describe(c) {
  if (!c) return '';
  return `${c.layers ? stackName(c.layers) : '?'} · ${c.activation ?? '?'} · ${c.optimizer ?? '?'}`;
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
  updateChart.reset();
  app.seen = 0;
  app.accuracy = null;
  app.epochShown = 0;
  app.keptAt = null;
}

function idleStatus(reason) {
  const d = app.download;
  switch (reason) {
    case 'done':
      return `Done: ${app.config?.epochs ?? ''} epoch${app.config?.epochs === 1 ? '' : 's'}, test accuracy ${app.accuracy === null ? '–' : ui.fmtPercent(app.accuracy)}. Draw a digit, or press Train for more epochs.`;
    case 'error':
      return 'Stopped by the error shown above. Fix it and press Train to try again.';
    case 'download stopped':
      return 'Download stopped. Press Train to start again.';
    case 'loaded':
      return 'Model loaded. Draw a digit, or press Train to train it on.';
    case 'reset':
      return d?.complete
        ? 'New network ready. Press Train.'
        : 'Ready. Press Train to download the data and start training.';
    default:
      return d?.complete
        ? `Ready: ${ui.fmtCount(d.train.count)} training and ${ui.fmtCount(d.test.count)} test digits loaded. Press Train.`
        : 'Ready. Press Train to download the data and start training.';
  }
}

/* ---------- events from the worker ---------- */

const events = {
  ready(m) {
    // the form starts at C's defaults (the first worker only: a new one after
    // a crash keeps what the person set)
    if (m.defaults && !formFilled) ui.writeSettings(m.defaults);
    if (m.defaults?.networks) ui.setNetworks(m.defaults.networks, m.defaults.learningRates);
    formFilled = true;
    workerStarted = true;
    if (m.lock && navigator.locks) watchLife(worker, workerName);
    watchHang(worker);
    readyResolve();
  },

  state(m) {
    const was = app.state;
    app.state = m.state;
    refreshControls();
    if (m.state === 'learning')
      ui.setStatus('Learning your handwriting: a pass over the training digits with yours mixed in…');
    else if (m.reason === 'learned') ui.setStatus('Learned your handwriting. Draw a digit to see how it reads now.');
    else if (m.state === 'downloading')
      ui.setStatus('Downloading: training starts as soon as the first digits arrive…');
    else if (m.state === 'training') ui.setStatus(trainingStatus());
    else if (m.state === 'paused')
      ui.setStatus(`Paused after ${ui.fmtCount(app.seen)} samples. Press Pause again, or Train, to resume.`);
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
    ui.setThreads(m.step.threads, m.step.reason);
    if (app.infoExtra === 'new, untrained') app.infoExtra = '';
    if (Number.isFinite(m.loss)) lossChart.push(m.position, m.loss);
    ui.setMetrics({ epoch: m.epoch, epochs: m.epochs, loss: m.loss, speed: m.speed, timeLeft: m.timeLeft });
    if (app.state === 'training') ui.setStatus(trainingStatus(m));
    showModelInfo();
    repredictSoon();
    if (m.epoch !== app.epochShown) {
      // keep the newest model at an epoch's end, every 5 s at most
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
    backprop.setGallery(m.mistakes);
  },

  learning(m) {
    ui.setStatus(
      `Learning your handwriting: ${Math.round(m.done * 100)}% of a pass over the training digits with yours mixed in…`,
    );
  },

  snapshot(m) {
    watch.add({ weights: m.weights, layer: m.layer, steps: m.steps, updates: m.updates, accuracy: app.accuracy });
    inside.setSnapshotCost(m.ms, m.every);
    if (m.updates) updateChart.push(m.steps, m.updates);
  },

  async fault(m) {
    const prefix = m.source === 'training' ? 'Training stopped: ' : '';
    let { message } = m.error;
    if (m.error.code === 'UNREADABLE') {
      // no server, or one without CORS: the service worker can tell
      const answered = await serverAnswers(m.error.url);
      if (answered !== null)
        message = unreadableMessage(m.error.url, { answered, offline: navigator.onLine === false });
    }
    ui.showError(prefix + message);
  },
};

let lastProgress = null;
function trainingStatus(m = lastProgress) {
  lastProgress = m || lastProgress;
  const d = app.download;
  const parts = ['Training'];
  if (m?.epoch) parts[0] += `: epoch ${m.epoch} of ${m.epochs}`;
  if (d && !d.complete && d.train?.count)
    parts.push(`on the ${ui.fmtCount(d.train.ready)} of ${ui.fmtCount(d.train.count)} digits downloaded so far`);
  if (app.mixed) parts.push(`with your ${app.mixed === 1 ? 'one digit' : `${ui.fmtCount(app.mixed)} digits`} mixed in`);
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
  ui.setStorageNote(
    `Models and your digits will not be kept in this browser: ${e.message}. What is on the page stays until you reload; Save model and Export keep it in files.`,
  );
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

let remembering = null; // the save in flight
let rememberAgain = null; // a source to save again once it ends (the model moved on meanwhile)
function remember(source) {
  if (storageRefused) return Promise.resolve();
  if (remembering) {
    rememberAgain = source;
    return remembering;
  }
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
  if (s.error) {
    ui.showError(s.error);
    return null;
  }
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
  app.touched = true;
  ui.clearError();
  noteArchitecture(options);
  // the person's digits go into every pass, so more training keeps reading them
  const digits = app.personal.length ? toIdx(app.personal) : null;
  try {
    const r = await call('train', { url, options, digits }, digits ? [digits.images.buffer, digits.labels.buffer] : []);
    ui.setStackError('');
    if (r.config) renewed(r.config); // a new network of these settings: its views
    if (!r.resumed) app.mixed = digits ? app.personal.length : 0;
  } catch (e) {
    report(e);
  }
}

/* The worker made a new network of the page's settings at Train (one that
 * had not trained yet and whose settings changed). */
function renewed(config) {
  setConfig(config);
  buildInside(config);
  ui.setSettingsNote('');
  repredictSoon(0);
}

function noteArchitecture(options) {
  const c = app.config;
  const changes = c && app.seen > 0 ? architectureChanges(c, options) : [];
  const list = changes.length > 1 ? `${changes.slice(0, -1).join(', ')} and ${changes.at(-1)}` : changes[0];
  ui.setSettingsNote(
    changes.length
      ? `The network keeps its ${list} while it trains on; press Reset to start a new one with these settings.`
      : '',
  );
}

/* The threads control's count (1 while it holds no valid count). */
const threadsSetting = () => ui.readSettings().options?.threads ?? 1;

/* The worker's network settings, and the threads they run on. */
function setConfig(config) {
  app.config = config;
  ui.setThreads(config.step.threads, config.step.reason);
}

els.train.addEventListener('click', train);
els.dataForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!els.train.disabled) return train();
  if (!app.hasNet && app.busy) {
    app.trainWhenReady = true;
    ui.setStatus('Loading the network… training starts as soon as it is ready.');
  }
});

els.pause.addEventListener('click', async () => {
  if (app.state === 'paused') return train();
  try {
    await call('pause');
  } catch (e) {
    report(e);
  }
});

els.reset.addEventListener('click', async () => {
  if (stopped) {
    restartWorker();
    return;
  }
  const options = currentSettings();
  if (!options) return;
  ui.clearError();
  app.busy = true;
  refreshControls();
  try {
    const { config } = await call('reset', { options });
    setConfig(config);
    app.hasNet = true;
    clearViews();
    buildInside(config);
    ui.setSettingsNote('');
    ui.setStackError('');
    await settleRemembering();
    await stored(() => forgetLastModel()).catch(() => {});
    app.keptAt = null;
    showModelInfo('new, untrained');
    repredictSoon(0);
  } catch (e) {
    report(e);
  } finally {
    app.busy = false;
    refreshControls();
  }
});

/* Reset after the worker died: a new worker, given the last model kept in
 * this browser (else a new network from the settings), then the page's live
 * settings (learning rate, batch size, epochs, schedule, ...) again. Train
 * sends the data URL, as always. */
async function restartWorker() {
  ui.clearError();
  rememberAgain = null;
  remembering = null; // its request was rejected with the worker
  app.download = null;
  ui.setDownload({ received: 0 });
  startWorker();
  await bringUp({ again: true });
}

els.cancel.addEventListener('click', async () => {
  try {
    await call('abort');
  } catch (e) {
    report(e);
  }
  app.downloading = false;
  refreshControls();
});

for (const el of [els.lr, els.batch, els.epochs]) {
  el.addEventListener('change', async () => {
    if (!app.hasNet || !app.seen) return; // a fresh network takes every setting at Train
    const s = ui.readSettings();
    if (s.error) {
      ui.showError(s.error);
      return;
    }
    try {
      await call('configure', { options: s.options });
    } catch (e) {
      report(e);
    }
  });
}
// the learning rate follows the optimizer, unless the person typed their own
els.optimizer.addEventListener('change', () => ui.followOptimizer());
for (const el of [els.hidden, els.activation, els.optimizer, els.seed]) {
  el.addEventListener('change', () => {
    const s = ui.readSettings();
    if (s.options) noteArchitecture(s.options);
  });
}

/* The Hidden layers field: C's word on the stack as soon as it is left
 * (Train and Reset ask again), and the Network choice that it makes. */
async function checkStack() {
  const layers = ui.readSettings().options?.layers;
  if (!layers) return;
  try {
    await call('check-stack', { layers });
    if (JSON.stringify(ui.readSettings().options?.layers) === JSON.stringify(layers)) ui.setStackError('');
  } catch (e) {
    if (e.field === 'layers') ui.setStackError(e.message);
    else report(e);
  }
}
els.hidden.addEventListener('change', checkStack);
els.hidden.addEventListener('input', () => ui.showNetwork());
els.network.addEventListener('change', () => {
  if (!ui.chooseNetwork(els.network.value)) {
    els.hidden.focus(); // your own: type them
    return;
  }
  const s = ui.readSettings();
  if (s.options) noteArchitecture(s.options);
  checkStack();
});

els.saveModel.addEventListener('click', async () => {
  try {
    if (els.saveFormat.value !== 'model') {
      // another program's format (docs/export.md): its files, one download each
      const files = await call('export', { format: els.saveFormat.value });
      for (const [name, bytes] of Object.entries(files)) {
        ui.downloadFile(bytes, name);
        await new Promise((r) => setTimeout(r, 150));
      }
      return;
    }
    const bytes = await call('save');
    ui.downloadFile(bytes, MODEL_FILE);
    await stored(() => saveLastModel(bytes, 'trained')).catch(() => {});
  } catch (e) {
    report(e, `Could not save the model: ${e.message}`);
  }
});

els.openModel.addEventListener('change', async () => {
  const file = els.openModel.files?.[0];
  els.openModel.value = ''; // the same file can be chosen again
  if (!file) return;
  app.touched = true;
  ui.clearError();
  const refused = (reason) => `${file.name} was refused, the model in use is unchanged: ${sentence(reason)}`;
  if (!file.size) {
    ui.showError(refused('the file is empty'));
    return;
  }
  if (file.size > MAX_MODEL_BYTES) {
    ui.showError(`${file.name} is ${ui.fmtBytes(file.size)}: too large to be a model file.`);
    return;
  }
  app.busy = true;
  refreshControls();
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
    report(e, refused(e.reason ?? e.message)); // C's reason, without the call it concerns
  } finally {
    app.busy = false;
    refreshControls();
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
  buildInside(config);
  if (!keepSettings) ui.writeSettings(config);
  ui.setSettingsNote('');
  ui.setStackError('');
  app.infoExtra = steps ? `${ui.fmtCount(steps)} steps trained` : '';
  repredictSoon(0);
  if (app.download?.complete) call('evaluate').catch(() => {});
}

/* ---------- the pad ---------- */

let predictSeq = 0; // bumps on every new request; stale answers are dropped
let inFlight = false;
let again = false;

/* Reads the drawing: one forward pass in the worker whose layers feed both
 * the prediction (the last layer) and the inside view. */
async function predictNow() {
  if (inFlight) {
    again = true;
    return;
  }
  const input = pad.read();
  ui.setInputView(input);
  backprop.setDrawing(input);
  const seq = ++predictSeq;
  if (!input || !app.hasNet) {
    ui.setPrediction(null);
    forward.set(null);
    return;
  }
  inFlight = true;
  const shown = input.slice();
  try {
    const { layers } = await call('inspect', { image: input }, [input.buffer]);
    if (seq === predictSeq) {
      const probs = layers[layers.length - 1];
      ui.setPrediction(probs);
      forward.set([shown, ...layers]);
      ui.setTeach({ enabled: !pad.isEmpty(), predicted: probs.indexOf(Math.max(...probs)) });
    }
  } catch (e) {
    report(e, `Could not read the drawing: ${e.message}`);
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      predictNow();
    }
  }
}

let moveTimer = 0;
let repredictTimer = 0;
function repredictSoon(delay = 400) {
  if (pad.isEmpty() || repredictTimer) return;
  repredictTimer = setTimeout(() => {
    repredictTimer = 0;
    predictNow();
  }, delay);
}

const pad = new Pad(els.pad, {
  onInput(kind) {
    if (kind !== 'clear') app.touched = true;
    if (kind === 'clear') {
      predictSeq++;
      again = false;
      ui.setPrediction(null);
      ui.setInputView(null);
      forward.set(null);
      ui.setTeach({ enabled: false });
    } else if (kind === 'end') {
      clearTimeout(moveTimer);
      moveTimer = 0;
      predictNow();
    } else if (!moveTimer) {
      // live reading while drawing, every 60 ms
      moveTimer = setTimeout(() => {
        moveTimer = 0;
        predictNow();
      }, 60);
    }
  },
});
els.clear.addEventListener('click', () => pad.clear());

/* ---------- what the first layer learned ---------- */

// Snapshots only while the view is open: closed, training pays nothing for it.
els.learned.addEventListener('toggle', () => {
  call('watch', { weights: els.learned.open }).catch((e) => ui.showError(e.message));
});

/* ---------- your handwriting: the personal set ---------- */

function showPersonal() {
  ui.setPersonal(app.personal, removeKept);
  refreshControls();
}

async function loadPersonal() {
  try {
    const kept = await stored(() => listPersonal());
    if (kept) {
      app.personal = kept.digits;
      if (kept.corrupt.length) {
        await Promise.all(kept.corrupt.map((key) => stored(() => removePersonal(key)).catch(() => {})));
        const n = kept.corrupt.length;
        ui.showError(
          `${n === 1 ? 'One digit' : `${ui.fmtCount(n)} digits`} kept in this browser ${n === 1 ? 'was' : 'were'} not a 28x28 drawing with a label 0 to 9 and ${n === 1 ? 'was' : 'were'} removed.`,
        );
      }
    }
  } catch (e) {
    ui.showError(`Could not read your digits kept in this browser: ${e.message}`);
  }
  showPersonal();
}

let pageOnlyKeys = 0;

/* Keeps digits in IndexedDB, leaving out those the set already holds; returns how many were new. */
async function keep(items) {
  const have = new Set(app.personal.map((it) => keyOf(it.label, it.input)));
  const fresh = [];
  for (const it of items) {
    const k = keyOf(it.label, it.input);
    if (have.has(k)) continue;
    have.add(k);
    fresh.push(it);
  }
  if (!fresh.length) return 0;
  // storage that refuses: the digits stay on the page under keys of its own
  const keys = (await stored(() => addPersonal(fresh))) ?? fresh.map(() => `page-${++pageOnlyKeys}`);
  fresh.forEach((it, i) => app.personal.push({ ...it, key: keys[i] }));
  showPersonal();
  return fresh.length;
}

async function removeKept(key) {
  const i = app.personal.findIndex((it) => it.key === key);
  if (i < 0) return;
  const focusNext = document.activeElement?.closest?.('.kept');
  try {
    if (!String(key).startsWith('page-')) await stored(() => removePersonal(key));
  } catch (e) {
    ui.showError(`Could not remove the digit: ${e.message}`);
    return;
  }
  app.personal.splice(i, 1);
  showPersonal();
  // keyboard: focus stays in the list (the next Remove, or the previous one)
  if (focusNext) {
    const buttons = els.personalList.querySelectorAll('.remove');
    (buttons[Math.min(i, buttons.length - 1)] ?? els.learn).focus();
  }
}

els.teach.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-digit]');
  if (!b || b.disabled || pad.isEmpty()) return;
  const label = Number(b.dataset.digit);
  const input = pad.read();
  const strokes = pad.strokes.map((s) => s.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]));
  try {
    const added = await keep([{ label, input: toBytes(input), strokes }]);
    ui.setTeachHint(
      added
        ? `Kept as a ${label}: ${ui.fmtCount(app.personal.length)} in your set. Draw the next one.`
        : `Your set already holds this drawing as a ${label}.`,
    );
    pad.clear();
  } catch (err) {
    ui.showError(`Could not keep the drawing: ${err.message}`);
  }
});

els.learn.addEventListener('click', async () => {
  if (!app.personal.length) return;
  const url = currentUrl();
  if (!url) return;
  ui.clearError();
  ui.setLearnResult(null);
  app.busy = true;
  refreshControls();
  try {
    const { images, labels } = toIdx(app.personal);
    const r = await call('learn', { url, images, labels }, [images.buffer, labels.buffer]);
    ui.setLearnResult(r);
    const pct = (v, d) => (v === null ? '–' : ui.fmtPercent(v, d));
    ui.setStatus(
      `Learned your handwriting: your ${r.count === 1 ? 'one digit' : `${ui.fmtCount(r.count)} digits`} read right ${pct(r.before.personal, 0)} before, ${pct(r.after.personal, 0)} after; MNIST test ${pct(r.before.mnist, 2)} → ${pct(r.after.mnist, 2)}. Draw a digit to see how it reads now.`,
    );
    remember('learned');
    repredictSoon(0);
  } catch (e) {
    if (e.name === 'AbortError') ui.setStatus(`Learning stopped: ${e.message}`);
    else ui.showError(`Could not learn your handwriting: ${e.message}`);
  } finally {
    app.busy = false;
    refreshControls();
  }
});

els.personalExport.addEventListener('click', async () => {
  if (!app.personal.length) return;
  // one download per file; browsers take them one at a time more willingly
  for (const f of exportFiles(app.personal)) {
    ui.downloadFile(f.bytes, f.name);
    await new Promise((r) => setTimeout(r, 150));
  }
  ui.setPersonalNote(`Exported ${ui.fmtCount(app.personal.length)} digits as four IDX files.`);
});

const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
els.personalImport.addEventListener('change', async () => {
  const files = [...(els.personalImport.files ?? [])];
  els.personalImport.value = '';
  if (!files.length) return;
  ui.clearError();
  const { pairs, error } = pairsOf(files);
  if (error) {
    ui.showError(`Nothing imported: ${error}`);
    return;
  }
  const big = files.find((f) => f.size > MAX_IMPORT_BYTES);
  if (big) {
    ui.showError(`Nothing imported: ${big.name} is ${ui.fmtBytes(big.size)}, too large for a personal set.`);
    return;
  }
  try {
    const items = [];
    for (const p of pairs) {
      const images = new Uint8Array(await p.images.arrayBuffer());
      const labels = new Uint8Array(await p.labels.arrayBuffer());
      let r;
      try {
        r = await call('read-idx', { images, labels }, [images.buffer, labels.buffer]);
      } catch (e) {
        // C's reason, after the file it concerns (images or labels) when it is one
        const part = ['images', 'labels'][e.file];
        const reason = e.reason === undefined ? e.message : part ? `${part}: ${e.reason}` : e.reason;
        throw new Error(`${p.images.name} and ${p.labels.name} were refused: ${reason}`);
      }
      for (let i = 0; i < r.labels.length; i++) {
        if (r.labels[i] > 9) throw new Error(`${p.labels.name} holds the label ${r.labels[i]}: digits are 0 to 9`);
        items.push({ label: r.labels[i], input: r.images.slice(i * 784, (i + 1) * 784), strokes: null });
      }
    }
    const added = await keep(items);
    const same = items.length - added;
    ui.setPersonalNote(
      `Imported ${ui.fmtCount(added)} digit${added === 1 ? '' : 's'}${same ? ` (${ui.fmtCount(same)} already in your set)` : ''}.`,
    );
  } catch (e) {
    ui.showError(`Nothing imported: ${e.message}`);
  }
});

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
    } catch (e) {
      // a record that is not a model: discarded, said
      await stored(() => forgetLastModel()).catch(() => {});
      ui.showError(
        `The model kept in this browser was corrupt and was discarded (${e.message}); starting with a new network.`,
      );
    }
    if (restored) {
      try {
        const result = await call('load', { bytes: restored.bytes, threads: threadsSetting() });
        adoptModel(result, { keepSettings: again });
        app.keptAt = 0;
        showModelInfo(`restored from this browser (saved ${new Date(restored.savedAt).toLocaleString()})`);
        if (again) await sendLiveSettings();
        ui.setStatus(
          again
            ? 'A new training worker restored the last model kept in this browser. Press Train to train on.'
            : 'Restored the last model from this browser. Draw a digit, or press Train to train it on.',
        );
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
    buildInside(config);
    showModelInfo('new, untrained');
    repredictSoon(0);
    ui.setStatus(
      again
        ? 'A new training worker is ready with a new network (no model was kept in this browser). Press Train.'
        : idleStatus(''),
    );
  } catch (e) {
    if (e instanceof WorkerStopped) return; // said by workerDied
    if (e.field === 'layers') ui.setStackError(e.message); // then Reset makes one
    ui.showError(`The network could not be created: ${e.message}`);
    ui.setStatus('Not ready: the network could not be created.');
  } finally {
    clearTimeout(late);
    app.busy = false;
    refreshControls();
    if (app.trainWhenReady && !els.train.disabled) train();
    app.trainWhenReady = false;
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
// where threads cannot run (no SharedArrayBuffer), the control starts at the one that will
ui.setDefaultThreads(threadsUnavailable() ? 1 : navigator.hardwareConcurrency);
startWorker();
loadPersonal();
bringUp();
// Offline use and, on a static host, cross-origin isolation: a reload once,
// only before the person has done anything the reload would lose.
startServiceWorker({ untouched: () => !app.touched && app.state === 'idle', onNote: ui.setOfflineNote });
