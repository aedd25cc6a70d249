// app.js: wires the page together: the worker's messages rendered in the
// DOM views, the buttons that ask it for things, the pad's reading, and
// bringing a worker up. No DOM building here (the view-*.js and inside-*.js
// files), no training (worker.js), and the worker's line (worker-link.js), the page's state
// (page-state.js), the kept model (keeping.js) and the personal set
// (personal-set.js) have files of their own.

import { ForwardView, layerName } from './inside-forward.js';
import { setSnapshotCost, setWeights } from './inside-weights.js';
import { els, fmtCount } from './ui.js';
import { lossChart, accChart, updateChart, clearCharts } from './view-charts.js';
import { setPrediction } from './view-prediction.js';
import {
  chooseNetwork,
  followOptimizer,
  noteKept,
  readSettings,
  setDefaultThreads,
  setNetworks,
  setSettingsNote,
  setStackError,
  showNetwork,
  writeSettings,
} from './view-settings.js';
import {
  clearError,
  setAccuracy,
  setDownload,
  setMetrics,
  setOfflineNote,
  setStatus,
  setThreads,
  showError,
} from './view-status.js';
import { setConfusion, setMistakes } from './view-test-set.js';
import { BackpropPanel } from './backprop.js';
import { HistorySlider } from './history.js';
import { loadLastModel, forgetLastModel } from './store.js';
import { resolveBase, unreadableMessage } from './data.js';
import { toIdx } from './personal.js';
import { startServiceWorker, serverAnswers } from './offline.js';
import { threadsUnavailable } from './lib/wasm.js';
import { startWorker, call, workerReady, workerStopped, WorkerStopped } from './worker-link.js';
import { app, refreshControls, report, showModelInfo, idleStatus, trainingStatus } from './page-state.js';
import { stored, remember, settleRemembering, dropRemembering } from './keeping.js';
import { loadPersonal, setUpPersonal } from './personal-set.js';
import { readPad } from './reading.js';
import { setUpModelFiles } from './model-files.js';

/* ---------- errors are shown, never swallowed ---------- */

window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message || e.error || 'unknown'}`));
window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${e.reason?.message || e.reason}`));
els.alertDismiss.addEventListener('click', () => clearError());

/* ---------- the views ---------- */

const forward = new ForwardView(els.forward, els.readout);
// watch it learn: the run's snapshots, bounded, under a slider (history.js)
const watch = new HistorySlider(document.getElementById('history'), document.getElementById('history-text'), (s) =>
  setWeights(s.weights, s.layer, s.steps),
);
// the backpropagation panel: Apply makes its step the network, as opening a model does
const backprop = new BackpropPanel({
  call,
  onApplied: (r) => {
    adoptModel(r, { keepSettings: true });
    setStatus('Applied one step of learning on that digit. Draw a digit, or press Train to train on.');
  },
  onError: (e) => report(e, `Could not compute the step of learning: ${e.message}`),
});

/* The inside view's shape follows the network's: C's layers (net.layers,
 * sent with its config by worker.js configOf), an update-size series per
 * layer with weights. */
function buildInside(config) {
  backprop.networkChanged();
  watch.clear();
  if (!config?.layers) return;
  const layers = config.layerInfo ?? null;
  forward.build(layers, config.activation);
  const named = (y, l) => `layer ${l + 1} (${y.type === 'dense' ? `${y.fanIn}→${y.units}` : layerName(y)})`;
  updateChart.setSeries((layers ?? []).map(named).filter((_, l) => layers[l].weights));
}

function clearViews() {
  clearCharts();
  setAccuracy(NaN);
  setMetrics({ epoch: 0, epochs: 0, loss: NaN, speed: NaN, timeLeft: null });
  setConfusion(null);
  setMistakes(null);
  app.accuracy = null;
  app.epochShown = 0;
  app.keptAt = null;
}

/* ---------- the worker's messages ---------- */

let formFilled = false; // the settings form holds C's defaults or the person's choices

// The worker died: the page says so in role=alert at once, and Reset starts
// a new worker that restores the last model kept in this browser. The
// page's settings, data URL and drawing are the DOM's and stay as they were.
const workerListeners = {
  onEvent: (m) => events[m.type]?.(m),
  onDied(why) {
    app.state = 'idle';
    app.hasNet = false;
    app.busy = false;
    app.downloading = false;
    refreshControls();
    showError(
      `${why}. Press Reset to start a new one${app.keptAt !== null ? ': it restores the model kept in this browser' : ''}. Settings and the drawing stay.`,
    );
    setStatus('Stopped: the training worker died. Press Reset.');
  },
  onUnreadable: () => showError('A message from the training worker could not be read.'),
};

const events = {
  ready(m) {
    // the form starts at C's defaults (the first worker only: a new one after
    // a crash keeps what the person set)
    if (m.defaults && !formFilled) writeSettings(m.defaults);
    if (m.defaults?.networks) setNetworks(m.defaults.networks, m.defaults.byOptimizer);
    formFilled = true;
  },

  // the worker's state, its network's config and the samples it trained: the page shows what it says
  state(m) {
    const was = app.state;
    app.state = m.state;
    app.seen = m.seen;
    app.mixed = m.mixed;
    if (m.config) {
      app.config = m.config;
      setThreads(m.config.step.threads, m.config.step.reason);
    }
    refreshControls();
    if (m.state === was && !m.reason) return; // only the config or the counts changed
    if (m.state === 'learning')
      setStatus('Learning your handwriting: a pass over the training digits with yours mixed in…');
    else if (m.reason === 'learned') setStatus('Learned your handwriting. Draw a digit to see how it reads now.');
    else if (m.state === 'downloading') setStatus('Downloading: training starts as soon as the first digits arrive…');
    else if (m.state === 'training') setStatus(trainingStatus());
    else if (m.state === 'paused')
      setStatus(`Paused after ${fmtCount(app.seen)} samples. Press Pause again, or Train, to resume.`);
    else if (m.reason) setStatus(idleStatus(m.reason));
    else if (was !== 'idle') setStatus(idleStatus(''));
    if (((m.state === 'paused' && was !== 'paused') || m.reason === 'done') && app.seen) remember('trained');
  },

  download(m) {
    app.download = m;
    app.downloading = !!m.train && !m.complete && !m.failed;
    setDownload(m);
    refreshControls();
    if (app.state === 'training') setStatus(trainingStatus());
  },

  progress(m) {
    app.seen = m.seen;
    setThreads(m.step.threads, m.step.reason);
    if (app.infoExtra === 'new, untrained') app.infoExtra = '';
    if (Number.isFinite(m.loss)) lossChart.push(m.position, m.loss);
    setMetrics({ epoch: m.epoch, epochs: m.epochs, loss: m.loss, speed: m.speed, timeLeft: m.timeLeft });
    if (app.state === 'training') setStatus(trainingStatus(m));
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
    setAccuracy(m.accuracy);
    accChart.push(m.position, m.accuracy);
    setConfusion(m.confusion);
    setMistakes(m.mistakes);
    backprop.setGallery(m.mistakes);
  },

  learning(m) {
    setStatus(
      `Learning your handwriting: ${Math.round(m.done * 100)}% of a pass over the training digits with yours mixed in…`,
    );
  },

  snapshot(m) {
    watch.add({ weights: m.weights, layer: m.layer, steps: m.steps, updates: m.updates, accuracy: app.accuracy });
    setSnapshotCost(m.ms, m.every);
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
    showError(prefix + message);
  },
};

/* ---------- buttons ---------- */

function currentSettings() {
  const s = readSettings();
  if (s.error) {
    showError(s.error);
    return null;
  }
  return s.options;
}

function currentUrl() {
  try {
    return resolveBase(els.dataUrl.value, location.href);
  } catch (e) {
    showError(e.message);
    return null;
  }
}

async function train() {
  const options = currentSettings();
  const url = currentUrl();
  if (!options || !url) return;
  app.touched = true;
  clearError();
  noteArchitecture(options);
  // the person's digits go into every pass, so more training keeps reading them
  const digits = app.personal.length ? toIdx(app.personal) : null;
  try {
    const r = await call('train', { url, options, digits }, digits ? [digits.images.buffer, digits.labels.buffer] : []);
    setStackError('');
    if (r.config) renewed(r.config); // a new network of these settings: its views
  } catch (e) {
    report(e);
  }
}

/* The worker made a new network of the page's settings at Train (one that
 * had not trained yet and whose settings changed). */
function renewed(config) {
  buildInside(config);
  setSettingsNote('');
  repredictSoon(0);
}

/* Says which of these settings the network there keeps while it trains on. */
const noteArchitecture = (options) => noteKept(app.seen > 0 ? app.config : null, options);

/* The threads control's count (1 while it holds no valid count). */
const threadsSetting = () => readSettings().options?.threads ?? 1;

els.train.addEventListener('click', train);
els.dataForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!els.train.disabled) return train();
  if (!app.hasNet && app.busy) {
    app.trainWhenReady = true;
    setStatus('Loading the network… training starts as soon as it is ready.');
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
  if (workerStopped()) {
    restartWorker();
    return;
  }
  const options = currentSettings();
  if (!options) return;
  clearError();
  app.busy = true;
  refreshControls();
  try {
    const { config } = await call('reset', { options });
    app.hasNet = true;
    clearViews();
    buildInside(config);
    setSettingsNote('');
    setStackError('');
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
  clearError();
  dropRemembering(); // its request was rejected with the worker
  app.download = null;
  setDownload({ received: 0 });
  startWorker(workerListeners);
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
    const s = readSettings();
    if (s.error) {
      showError(s.error);
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
els.optimizer.addEventListener('change', () => followOptimizer());
for (const el of [els.hidden, els.activation, els.optimizer, els.seed]) {
  el.addEventListener('change', () => {
    const s = readSettings();
    if (s.options) noteArchitecture(s.options);
  });
}

/* The Hidden layers field: C's word on the stack as soon as it is left
 * (Train and Reset ask again), and the Network choice that it makes. */
async function checkStack() {
  const layers = readSettings().options?.layers;
  if (!layers) return;
  try {
    await call('check-stack', { layers });
    if (JSON.stringify(readSettings().options?.layers) === JSON.stringify(layers)) setStackError('');
  } catch (e) {
    if (e.field === 'layers') setStackError(e.message);
    else report(e);
  }
}
els.hidden.addEventListener('change', checkStack);
els.hidden.addEventListener('input', () => showNetwork());
els.network.addEventListener('change', () => {
  if (!chooseNetwork(els.network.value)) {
    els.hidden.focus(); // your own: type them
    return;
  }
  const s = readSettings();
  if (s.options) noteArchitecture(s.options);
  checkStack();
});

/* The worker's answer to 'load' (or an applied step) as the page's network: its views anew. */
function adoptModel({ config, steps }, { keepSettings = false } = {}) {
  app.hasNet = true;
  clearViews();
  buildInside(config);
  if (!keepSettings) writeSettings(config);
  setSettingsNote('');
  setStackError('');
  app.infoExtra = steps ? `${fmtCount(steps)} steps trained` : '';
  repredictSoon(0);
  if (app.download?.complete) call('evaluate').catch(() => {});
}

/* ---------- the pad (reading.js) ---------- */

const { pad, repredictSoon } = readPad({ forward, backprop });

/* ---------- what the first layer learned ---------- */

// Snapshots only while the view is open: closed, training pays nothing for it.
els.learned.addEventListener('toggle', () => {
  call('watch', { weights: els.learned.open }).catch((e) => showError(e.message));
});

/* ---------- start ---------- */

/* A worker just started: restores the kept model, or makes a new network.
 * again: after a worker died (keep the page's settings and send them). */
async function bringUp({ again = false } = {}) {
  app.busy = true;
  app.hasNet = false;
  app.state = 'idle';
  refreshControls();
  setStatus(again ? 'Starting a new training worker…' : 'Loading the network…');
  const late = setTimeout(() => setStatus('Still loading the network (WebAssembly)…'), 5000);
  try {
    await workerReady();
    let restored = null;
    try {
      restored = await stored(() => loadLastModel());
    } catch (e) {
      // a record that is not a model: discarded, said
      await stored(() => forgetLastModel()).catch(() => {});
      showError(
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
        setStatus(
          again
            ? 'A new training worker restored the last model kept in this browser. Press Train to train on.'
            : 'Restored the last model from this browser. Draw a digit, or press Train to train it on.',
        );
        return;
      } catch (e) {
        if (e instanceof WorkerStopped) throw e;
        await stored(() => forgetLastModel()).catch(() => {});
        showError(`The model kept in this browser could not be loaded and was discarded: ${e.message}`);
      }
    }
    const options = currentSettings();
    const { config } = await call('reset', { options: options ?? {} });
    app.hasNet = true;
    if (again) clearViews();
    buildInside(config);
    showModelInfo('new, untrained');
    repredictSoon(0);
    setStatus(
      again
        ? 'A new training worker is ready with a new network (no model was kept in this browser). Press Train.'
        : idleStatus(''),
    );
  } catch (e) {
    if (e instanceof WorkerStopped) return; // said by workerListeners.onDied
    if (e.field === 'layers') setStackError(e.message); // then Reset makes one
    showError(`The network could not be created: ${e.message}`);
    setStatus('Not ready: the network could not be created.');
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
  const s = readSettings();
  if (s.error) return;
  await call('configure', { options: s.options }).catch((e) => report(e));
}

setPrediction(null);
setConfusion(null);
setMistakes(null);
setDownload({ received: 0 });
// where threads cannot run (no SharedArrayBuffer), the control starts at the one that will
setDefaultThreads(threadsUnavailable() ? 1 : navigator.hardwareConcurrency);
setUpModelFiles({ adoptModel, threadsSetting });
setUpPersonal({ pad, currentUrl, repredictSoon });
startWorker(workerListeners);
loadPersonal();
bringUp();
// Offline use and, on a static host, cross-origin isolation: a reload once,
// only before the person has done anything the reload would lose.
startServiceWorker({ untouched: () => !app.touched && app.state === 'idle', onNote: setOfflineNote });
