// ui.js: everything that touches the DOM, and nothing else: no worker, no
// network, no storage. app.js decides what to show; these functions show it.
// The inside view (the forward pass, the first layer's weights) is inside-*.js.

import {
  stackOf,
  hiddenOf,
  stackText,
  stackName,
  FOLLOW,
  defaultRate,
  defaultRates,
  hasConvolution,
} from './network.js';

const $ = (id) => document.getElementById(id);
const CLASSES = 10;
const PIXELS = 784;

export const els = {
  alertBox: $('alert-box'),
  alert: $('alert'),
  alertDismiss: $('alert-dismiss'),
  dataForm: $('data-form'),
  dataUrl: $('data-url'),
  cancel: $('cancel'),
  progress: $('download-progress'),
  downloadText: $('download-text'),
  train: $('train'),
  pause: $('pause'),
  reset: $('reset'),
  status: $('status'),
  lr: $('lr'),
  batch: $('batch'),
  epochs: $('epochs'),
  optimizer: $('optimizer'),
  hidden: $('hidden'),
  hiddenError: $('hidden-error'),
  network: $('network'),
  activation: $('activation'),
  input: $('input'),
  seed: $('seed'),
  schedule: $('schedule'),
  weightDecay: $('weight-decay'),
  augment: $('augment'),
  settingsNote: $('settings-note'),
  threads: $('threads'),
  threadsNote: $('threads-note'),
  epoch: $('epoch'),
  loss: $('loss'),
  accuracy: $('accuracy'),
  speed: $('speed'),
  timeLeft: $('time-left'),
  lossChart: $('loss-chart'),
  accuracyChart: $('accuracy-chart'),
  confusion: $('confusion'),
  mistakes: $('mistakes'),
  pad: $('pad'),
  clear: $('clear'),
  prediction: $('prediction'),
  inputView: $('input-view'),
  probabilities: $('probabilities'),
  modelInfo: $('model-info'),
  saveModel: $('save-model'),
  saveFormat: $('save-format'),
  openModel: $('open-model'),
  forgetModel: $('forget-model'),
  storageNote: $('storage-note'),
  teach: $('teach'),
  teachHint: $('teach-hint'),
  forward: $('forward'),
  readout: $('inside-readout'),
  learned: $('learned'),
  weightsView: $('weights-view'),
  weightsCaption: $('weights-caption'),
  updateChart: $('update-chart'),
  updateLegend: $('update-legend'),
  personalCount: $('personal-count'),
  personalList: $('personal-list'),
  learn: $('learn'),
  personalExport: $('personal-export'),
  personalImport: $('personal-import'),
  learnResult: $('learn-result'),
  personalNote: $('personal-note'),
  snapshotCost: $('snapshot-cost'),
  offlineNote: $('offline-note'),
};

/* ---------- messages ---------- */

export function setStatus(text) {
  if (els.status.textContent !== text) els.status.textContent = text;
}

/** Shows a message in the role=alert element (the Dismiss button sits beside it). */
export function showError(message) {
  els.alert.textContent = message;
  els.alertBox.hidden = false;
}

export function clearError() {
  els.alertBox.hidden = true;
  els.alert.textContent = '';
}

export function setSettingsNote(text) {
  els.settingsNote.textContent = text || '';
  els.settingsNote.hidden = !text;
}

export function setModelInfo(text) {
  els.modelInfo.textContent = text;
}

/* The threads control's default for a stack, at most MAX_DEFAULT_THREADS
 * (narrow layers: beyond that the barriers eat the gain). A dense network
 * gets the cores but one, which the page keeps for drawing and charts: its
 * steps are short (batch 8), and a second thread gains little. A stack
 * with a convolution gets every core: its steps are long (batch 32 of
 * 28x28 maps), and 2 threads train it 1.5x as fast on 2 cores. */
const MAX_DEFAULT_THREADS = 4;
let threadCores = 1; // the cores threads may use (1 where the browser gives no threads)
const defaultThreads = (convolution) => Math.max(1, Math.min(threadCores - (convolution ? 0 : 1), MAX_DEFAULT_THREADS));
export function setDefaultThreads(cores) {
  threadCores = cores || 1;
  els.threads.value = String(defaultThreads(hasConvolution(stackOf(els.hidden.value))));
}

/* The threads the network uses (on #speed as data-threads), and why fewer than asked. */
export function setThreads(used, reason) {
  els.speed.dataset.threads = String(used);
  els.threadsNote.textContent = reason ? `Training uses ${used} thread: ${reason}.` : '';
  els.threadsNote.hidden = !reason;
}

/** The note (role=note, beside the model) that says this browser will not keep models. */
export function setStorageNote(text) {
  els.storageNote.textContent = text || '';
  els.storageNote.hidden = !text;
}

/** The line in the footer that says whether the page is kept for offline use. */
export function setOfflineNote(text) {
  els.offlineNote.textContent = text || '';
  els.offlineNote.hidden = !text;
}

/* ---------- formatting ---------- */

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

export function fmtDuration(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 1) return '< 1 s';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

const fmtInt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const fmtCount = (n) => fmtInt.format(n);
export const fmtPercent = (v, digits = 1) => `${(v * 100).toFixed(digits)}%`;

/* ---------- training view ---------- */

/** Buttons for a worker state: idle | downloading | training | paused; busy disables all. */
export function setControls(state, { hasNet = true, busy = false, downloading = false, personal = 0 } = {}) {
  const running = state === 'training' || state === 'downloading';
  const learning = state === 'learning';
  els.train.disabled = busy || !hasNet || running || learning;
  els.pause.disabled = busy || learning || !(running || state === 'paused');
  els.pause.setAttribute('aria-pressed', String(state === 'paused'));
  els.pause.title = state === 'paused' ? 'Resume training' : 'Pause training';
  els.reset.disabled = busy;
  els.cancel.hidden = !downloading;
  els.saveModel.disabled = busy || !hasNet;
  els.saveFormat.disabled = busy || !hasNet;
  els.learn.disabled = busy || !hasNet || learning || personal === 0;
  els.personalExport.disabled = personal === 0;
}

export function setDownload({ received = 0, total = null, train, test, complete }) {
  if (total) {
    els.progress.max = total;
    els.progress.value = Math.min(received, total);
  } else if (complete) {
    els.progress.max = 1;
    els.progress.value = 1;
  } else if (received) {
    els.progress.removeAttribute('value'); // indeterminate: no length from the server
  } else {
    els.progress.max = 1;
    els.progress.value = 0;
  }
  const parts = [];
  if (received || total) parts.push(total ? `${fmtBytes(received)} of ${fmtBytes(total)}` : fmtBytes(received));
  if (train?.count) parts.push(`${fmtCount(train.ready)} / ${fmtCount(train.count)} training`);
  if (test?.count) parts.push(`${fmtCount(test.ready)} / ${fmtCount(test.count)} test digits`);
  els.downloadText.textContent = parts.length ? parts.join(' · ') : 'Not downloaded yet';
  els.progress.setAttribute('aria-valuetext', els.downloadText.textContent);
}

export function setMetrics({ epoch, epochs, loss, speed, timeLeft }) {
  if (epoch !== undefined) els.epoch.textContent = epoch ? `${epoch} of ${epochs}` : '–';
  if (loss !== undefined) els.loss.textContent = Number.isFinite(loss) ? loss.toFixed(4) : '–';
  if (speed !== undefined) {
    els.speed.dataset.value = Number.isFinite(speed) ? String(Math.round(speed)) : '';
    els.speed.textContent = Number.isFinite(speed) && speed > 0 ? `${fmtCount(speed)} /s` : '–';
  }
  if (timeLeft !== undefined) els.timeLeft.textContent = timeLeft === null ? '–' : fmtDuration(timeLeft);
}

export function setAccuracy(value) {
  els.accuracy.dataset.value = Number.isFinite(value) ? String(value) : '';
  els.accuracy.textContent = Number.isFinite(value) ? fmtPercent(value, 2) : '–';
}

/** Reads the settings form: { options } or { error } naming the bad field. */
export function readSettings() {
  const num = (el, name, { int = false, min, max }) => {
    const v = Number(el.value);
    if (el.value.trim() === '' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
      throw new RangeError(`${name} must be ${int ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
    }
    return v;
  };
  try {
    return {
      options: {
        layers: stackOf(els.hidden.value), // C checks the stack (worker.js checkStack)
        activation: els.activation.value,
        input: els.input.value,
        optimizer: els.optimizer.value,
        learningRate: num(els.lr, 'Learning rate', { min: 1e-6, max: 10 }),
        batchSize: num(els.batch, 'Batch size', { int: true, min: 1, max: 4096 }),
        epochs: num(els.epochs, 'Epochs', { int: true, min: 1, max: 1000 }),
        seed: num(els.seed, 'Seed', { int: true, min: 0, max: 2 ** 32 - 1 }),
        schedule: els.schedule.value,
        weightDecay: num(els.weightDecay, 'Weight decay', { min: 0, max: 0.1 }),
        augment: els.augment.checked,
        threads: num(els.threads, 'Threads', { int: true, min: 1, max: 16 }),
      },
    };
  } catch (e) {
    return { error: e.message };
  }
}

export function writeSettings(c) {
  if (Number.isInteger(c.epochs)) els.epochs.value = String(c.epochs);
  if (c.layers) els.hidden.value = hiddenOf(c.layers);
  if (c.activation) els.activation.value = c.activation;
  if (c.input) els.input.value = c.input;
  if (c.optimizer) els.optimizer.value = c.optimizer;
  if (Number.isFinite(c.learningRate)) els.lr.value = String(+c.learningRate.toPrecision(6));
  if (Number.isFinite(c.batchSize)) els.batch.value = String(c.batchSize);
  if (Number.isFinite(c.seed)) els.seed.value = String(c.seed);
  if (c.schedule) els.schedule.value = c.schedule;
  if (Number.isFinite(c.weightDecay)) els.weightDecay.value = String(+c.weightDecay.toPrecision(6));
  if (typeof c.augment === 'boolean') els.augment.checked = c.augment;
  showNetwork();
}

/* ---------- the network choice ---------- */

let networks = null; // the networks the page offers (network.js networkChoices), once the worker is ready
let rates = null; // C's learning rate for each stack and optimizer (facts.defaults.learningRates)

/**
 * The networks the page offers: named in the Network choice, which then
 * follows the Hidden layers field; learningRates: C's rate for each stack
 * and optimizer, which the Learning rate field follows (followOptimizer).
 */
export function setNetworks(choices, learningRates = null) {
  networks = choices;
  rates = learningRates;
  for (const option of els.network.options) {
    const c = choices[option.value];
    if (option.value !== 'own') option.hidden = !c; // a module without the convnet offers the article's only
    if (c)
      option.textContent =
        option.value === 'article' ? `${stackName(c.layers)} (the article's)` : `convnet ${stackText(c.layers)}`;
  }
  showNetwork();
}

/** Shows in the Network choice the network that the Hidden layers field makes, or 'own'. */
export function showNetwork() {
  const stack = stackText(stackOf(els.hidden.value));
  const found = networks && Object.keys(networks).find((k) => stackText(networks[k].layers) === stack);
  els.network.value = found ?? 'own';
}

/**
 * Takes one of the networks offered ('article' or 'convnet'): its hidden
 * layers into the Hidden layers field, and the settings it comes with
 * (activation, learning rate, batch size, weight decay: network.js FOLLOW)
 * into theirs where they hold one of the networks' own values: a value the
 * person typed stays. false for 'own' (nothing to fill).
 */
export function chooseNetwork(name) {
  const c = networks?.[name];
  if (!c) return false;
  const offered = Object.values(networks);
  els.hidden.value = hiddenOf(c.layers);
  const fields = {
    activation: els.activation,
    learningRate: els.lr,
    batchSize: els.batch,
    weightDecay: els.weightDecay,
  };
  // threads too, where the field holds a default (of either kind of stack)
  if ([defaultThreads(false), defaultThreads(true)].some((t) => same(els.threads, t)))
    els.threads.value = String(defaultThreads(hasConvolution(c.layers)));
  for (const key of FOLLOW) {
    const el = fields[key];
    // the learning rate C gives this network with the optimizer chosen, where C's rates are known
    const v = key === 'learningRate' ? (defaultRate(rates, c.layers, els.optimizer.value) ?? c[key]) : c[key];
    const own = [...offered.map((o) => o[key]), ...(key === 'learningRate' ? defaultRates(rates) : [])];
    if (v !== undefined && own.some((o) => o !== undefined && same(el, o))) el.value = String(v);
  }
  return true;
}

/* Whether field el holds v (a number as the field reads it). */
const same = (el, v) => (typeof v === 'number' ? el.value.trim() !== '' && Number(el.value) === v : el.value === v);

/**
 * The Learning rate field follows the Optimizer control: C's rate for the
 * stack of the Hidden layers field and the optimizer chosen (dense: sgd
 * 0.5, momentum 0.05, adam 0.001; with a convolution 0.1, 0.01, 0.001),
 * where the field holds one of C's rates or of the networks offered: a
 * rate the person typed stays.
 */
export function followOptimizer() {
  const v = defaultRate(rates, stackOf(els.hidden.value), els.optimizer.value);
  const own = [...defaultRates(rates), ...Object.values(networks ?? {}).map((o) => o.learningRate)];
  if (v !== undefined && own.some((o) => o !== undefined && same(els.lr, o))) els.lr.value = String(v);
}

/** C's refusal of the stack, shown under the Hidden layers field; '' clears it. */
export function setStackError(message) {
  els.hiddenError.textContent = message || '';
  els.hiddenError.hidden = !message;
  if (message) els.hidden.setAttribute('aria-invalid', 'true');
  else els.hidden.removeAttribute('aria-invalid');
}

/* ---------- charts ---------- */

/* Draws chart at the next frame, once however many times it is asked. */
function scheduleDraw(chart) {
  if (chart.queued) return;
  chart.queued = true;
  requestAnimationFrame(() => {
    chart.queued = false;
    chart.draw();
  });
}

/* A chart's canvas sized to its box at the screen's pixel ratio, cleared,
 * with the charts' font and ink: its context and size in CSS pixels. */
function clearCanvas(c) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(c.clientWidth * dpr)),
    h = Math.max(1, Math.round(c.clientHeight * dpr));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  const ctx = c.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const W = c.clientWidth,
    H = c.clientHeight;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5b6474';
  return { ctx, W, H };
}

/* 1, 2, 5, 10, 20, 50, ... at least v. */
function niceStep(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= v);
}

/** A small line chart on a canvas: x is epochs (the figure's caption says so), y one series. */
export class LineChart {
  constructor(canvas, { color = '#2457d6', yFormat = (v) => v.toFixed(2), yRange = 'auto', empty = '' } = {}) {
    this.canvas = canvas;
    this.color = color;
    this.yFormat = yFormat;
    this.yRange = yRange;
    this.empty = empty;
    this.points = [];
    this.queued = false;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset() {
    this.points = [];
    this.schedule();
  }

  push(x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.points.push([x, y]);
    if (this.points.length > 1200) {
      // keep drawing cheap: halve old history
      const p = this.points,
        merged = [];
      for (let i = 0; i + 1 < p.length; i += 2) merged.push([(p[i][0] + p[i + 1][0]) / 2, (p[i][1] + p[i + 1][1]) / 2]);
      if (p.length % 2) merged.push(p[p.length - 1]);
      this.points = merged;
    }
    this.schedule();
  }

  schedule() {
    scheduleDraw(this);
  }

  draw() {
    const { ctx, W, H } = clearCanvas(this.canvas);
    const pts = this.points;
    if (!pts.length) {
      ctx.textAlign = 'center';
      ctx.fillText(this.empty, W / 2, H / 2);
      return;
    }
    const left = 44,
      right = 10,
      top = 10,
      bottom = 22;
    const xMax = Math.max(1, Math.ceil(pts[pts.length - 1][0]));
    let yMin, yMax;
    if (this.yRange === 'auto') {
      yMin = 0;
      yMax = Math.max(...pts.map((p) => p[1])) * 1.05 || 1;
    } else if (this.yRange === 'accuracy') {
      const lo = Math.min(...pts.map((p) => p[1]));
      yMin = Math.max(0, Math.floor(lo * 10) / 10);
      yMax = 1;
      if (yMax - yMin < 0.1) yMin = 0.9;
    } else {
      [yMin, yMax] = this.yRange;
    }
    const X = (x) => left + (x / xMax) * (W - left - right);
    const Y = (y) => top + (1 - (y - yMin) / (yMax - yMin || 1)) * (H - top - bottom);

    // grid and labels
    ctx.strokeStyle = '#e6e9ef';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = yMin + ((yMax - yMin) * i) / 4;
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(W - right, y);
      ctx.stroke();
      ctx.fillText(this.yFormat(v), left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const stepX = niceStep(xMax / 6);
    for (let e = 0; e <= xMax; e += stepX) ctx.fillText(String(e), X(e), H - 6);

    // series
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    const [lx, ly] = pts[pts.length - 1];
    ctx.fillStyle = this.color;
    ctx.beginPath();
    ctx.arc(X(lx), Y(ly), 3, 0, Math.PI * 2);
    ctx.fill();
  }
}

/* ---------- test-set views ---------- */

let confusionCells = null;
function buildConfusion() {
  const t = els.confusion;
  t.textContent = '';
  const head = t.createTHead().insertRow();
  const corner = document.createElement('th');
  corner.className = 'corner';
  corner.textContent = 'true ↓ / read →';
  corner.scope = 'col';
  head.appendChild(corner);
  for (let j = 0; j < CLASSES; j++) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = String(j);
    head.appendChild(th);
  }
  const body = t.createTBody();
  confusionCells = [];
  for (let i = 0; i < CLASSES; i++) {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = String(i);
    row.appendChild(th);
    for (let j = 0; j < CLASSES; j++) {
      const td = row.insertCell();
      if (i === j) td.className = 'diag';
      confusionCells.push(td);
    }
  }
}

/** confusion: 100 counts, [true * 10 + predicted]; null clears. */
export function setConfusion(confusion) {
  if (!confusionCells) buildConfusion();
  for (let i = 0; i < CLASSES; i++) {
    let rowTotal = 0;
    for (let j = 0; j < CLASSES; j++) rowTotal += confusion ? confusion[i * CLASSES + j] : 0;
    for (let j = 0; j < CLASSES; j++) {
      const td = confusionCells[i * CLASSES + j];
      const n = confusion ? confusion[i * CLASSES + j] : 0;
      td.textContent = confusion ? String(n) : '';
      const share = rowTotal ? n / rowTotal : 0;
      td.style.backgroundColor = !n
        ? ''
        : i === j
          ? `rgba(31, 138, 76, ${(0.15 + 0.6 * share).toFixed(3)})`
          : `rgba(199, 58, 43, ${Math.min(0.8, 0.12 + 3 * share).toFixed(3)})`;
      td.title = confusion ? `${n} of ${rowTotal} test ${i}s read as ${j}` : '';
    }
  }
}

function drawDigit(canvas, pixels, invert) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < PIXELS; i++) {
    const v = pixels instanceof Uint8Array ? pixels[i] : Math.round(pixels[i] * 255);
    const g = invert ? 255 - v : v;
    img.data[i * 4] = g;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = g;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** mistakes: { count, images (count*784 bytes), labels, preds }; null clears. */
export function setMistakes(m) {
  const box = els.mistakes;
  const count = m ? m.count : 0;
  while (box.children.length > count) box.lastChild.remove();
  if (!count) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = m
      ? 'No mistakes on the test digits checked.'
      : 'Train to see the test digits the network gets wrong.';
    box.appendChild(p);
    return;
  }
  box.querySelector('.empty')?.remove();
  for (let k = 0; k < count; k++) {
    let fig = box.children[k];
    if (!fig) {
      fig = document.createElement('figure');
      fig.className = 'mistake';
      fig.setAttribute('role', 'listitem');
      const c = document.createElement('canvas');
      c.width = 28;
      c.height = 28;
      fig.append(c, document.createElement('figcaption'));
      box.appendChild(fig);
    }
    const label = m.labels[k],
      pred = m.preds[k];
    drawDigit(fig.firstChild, m.images.subarray(k * PIXELS, (k + 1) * PIXELS), true);
    fig.lastChild.textContent = `${label} → ${pred}`;
    fig.setAttribute('aria-label', `a ${label} read as ${pred}`);
  }
}

/* ---------- drawing view ---------- */

let probRows = null;
function buildProbabilities() {
  const list = els.probabilities;
  list.textContent = '';
  probRows = [];
  for (let d = 0; d < CLASSES; d++) {
    const li = document.createElement('li');
    const digit = document.createElement('span');
    digit.className = 'digit';
    digit.textContent = String(d);
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.className = 'fill';
    track.appendChild(fill);
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = '–';
    li.append(digit, track, pct);
    list.appendChild(li);
    probRows.push({ li, fill, pct });
  }
}

/** probs: ten probabilities, or null for an empty pad. */
export function setPrediction(probs) {
  if (!probRows) buildProbabilities();
  let best = -1;
  if (probs) for (let d = 0; d < CLASSES; d++) if (best < 0 || probs[d] > probs[best]) best = d;
  for (let d = 0; d < CLASSES; d++) {
    const { li, fill, pct } = probRows[d];
    const p = probs ? probs[d] : 0;
    fill.style.transform = `scaleX(${p.toFixed(4)})`;
    pct.textContent = probs ? fmtPercent(p) : '–';
    li.classList.toggle('best', d === best);
  }
  els.prediction.dataset.digit = best >= 0 ? String(best) : '';
  els.prediction.textContent = best >= 0 ? String(best) : '–';
}

/** The 28x28 input the network sees (white on black, as MNIST), or blank. */
export function setInputView(input) {
  if (input) drawDigit(els.inputView, input, false);
  else els.inputView.getContext('2d').clearRect(0, 0, 28, 28);
}

const SERIES = ['#2457d6', '#1f8a4c', '#c73a2b', '#8a5a00', '#6b3fa0', '#0f7c8c', '#5b6474', '#b0407a'];

/**
 * A chart of several series on a log y axis, x the training step: each
 * layer's update size. push(x, ys) adds one point to each series.
 */
export class LogChart {
  constructor(canvas, legend, { empty = '' } = {}) {
    this.canvas = canvas;
    this.legend = legend;
    this.empty = empty;
    this.names = [];
    this.points = []; // [x, [y per series]]
    this.queued = false;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Series names (e.g. "layer 1 (784→128)"): a new set clears the chart. */
  setSeries(names) {
    if (names.join() !== this.names.join()) {
      this.names = names;
      this.points = [];
      this.legend.textContent = '';
      names.forEach((n, i) => {
        const s = document.createElement('span');
        s.className = 'legend-item';
        s.style.setProperty('--c', SERIES[i % SERIES.length]);
        s.textContent = n;
        this.legend.appendChild(s);
      });
    }
    this.schedule();
  }

  reset() {
    this.points = [];
    this.schedule();
  }

  push(x, ys) {
    if (!Number.isFinite(x) || ys.length !== this.names.length) return;
    const last = this.points[this.points.length - 1];
    if (last && x <= last[0]) this.points = this.points.filter((p) => p[0] < x); // a new network: steps from 0
    this.points.push([x, ys.map((y) => (y > 0 && Number.isFinite(y) ? y : NaN))]);
    if (this.points.length > 600)
      this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
    this.canvas.dataset.points = String(this.points.length);
    this.schedule();
  }

  schedule() {
    scheduleDraw(this);
  }

  draw() {
    const { ctx, W, H } = clearCanvas(this.canvas);
    const pts = this.points;
    const ys = pts.flatMap((p) => p[1]).filter(Number.isFinite);
    if (!ys.length) {
      ctx.textAlign = 'center';
      ctx.fillText(this.empty, W / 2, H / 2);
      return;
    }
    const left = 48,
      right = 10,
      top = 10,
      bottom = 22;
    const lo = Math.floor(Math.log10(Math.min(...ys))),
      hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...ys))));
    const x0 = pts[0][0],
      x1 = Math.max(pts[pts.length - 1][0], x0 + 1);
    const X = (x) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
    const Y = (y) => top + (1 - (Math.log10(y) - lo) / (hi - lo)) * (H - top - bottom);
    ctx.strokeStyle = '#e6e9ef';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let e = lo; e <= hi; e++) {
      const y = Math.round(Y(10 ** e)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(W - right, y);
      ctx.stroke();
      ctx.fillText(`1e${e}`, left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const fmt = (v) =>
      v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(Math.round(v));
    for (let k = 0; k <= 4; k++) {
      const v = x0 + ((x1 - x0) * k) / 4;
      ctx.fillText(fmt(v), X(v), H - 6);
    }
    this.names.forEach((_, s) => {
      ctx.strokeStyle = SERIES[s % SERIES.length];
      ctx.fillStyle = ctx.strokeStyle;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false;
      for (const [x, v] of pts) {
        const y = v[s];
        if (!Number.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(X(x), Y(y));
        else ctx.moveTo(X(x), Y(y));
        pen = true;
      }
      ctx.stroke();
      if (pts.length === 1 && Number.isFinite(pts[0][1][s])) {
        ctx.beginPath();
        ctx.arc(X(pts[0][0]), Y(pts[0][1][s]), 3, 0, Math.PI * 2);
        ctx.fill();
      }
    });
  }
}

/* ---------- the personal set ---------- */

/** The "This digit is" buttons: enabled while the pad holds a drawing; the predicted digit marked. */
export function setTeach({ enabled, predicted = null }) {
  for (const b of els.teach.querySelectorAll('button')) {
    b.disabled = !enabled;
    b.classList.toggle('predicted', enabled && b.dataset.digit === String(predicted));
  }
}

export function setTeachHint(text) {
  els.teachHint.textContent = text;
}
export function setPersonalNote(text) {
  els.personalNote.textContent = text;
}

/**
 * The kept digits as thumbnails (the 28x28 input, dark on light) with a
 * Remove button each; items [{ key, label, input }]; onRemove(key).
 */
export function setPersonal(items, onRemove) {
  const list = els.personalList;
  const n = items.length;
  els.personalCount.dataset.value = String(n);
  els.personalCount.textContent = n ? `${fmtCount(n)} digit${n === 1 ? '' : 's'}` : 'No digits';
  const byKey = new Map([...list.children].map((el) => [el.dataset.key, el]));
  const keep = new Set();
  items.forEach((it, i) => {
    const key = String(it.key);
    keep.add(key);
    let fig = byKey.get(key);
    if (!fig) {
      fig = document.createElement('figure');
      fig.className = 'kept';
      fig.setAttribute('role', 'listitem');
      fig.dataset.key = key;
      const c = document.createElement('canvas');
      c.width = 28;
      c.height = 28;
      c.setAttribute('aria-hidden', 'true');
      drawDigit(c, it.input, true);
      const cap = document.createElement('figcaption');
      cap.textContent = String(it.label);
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.className = 'remove';
      rm.textContent = '×';
      rm.addEventListener('click', () => onRemove(it.key));
      fig.append(c, cap, rm);
    }
    fig.setAttribute('aria-label', `a ${it.label}, kept ${i + 1} of ${n}`);
    fig.querySelector('.remove').setAttribute('aria-label', `Remove ${it.label} (${i + 1} of ${n})`);
    list.appendChild(fig); // in order
  });
  for (const [key, el] of byKey) if (!keep.has(key)) el.remove();
  list.querySelector('.empty')?.remove();
  if (!n) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = 'None yet: draw a digit, then press the digit it is.';
    list.appendChild(p);
  }
}

/** The before/after table of Learn my handwriting; null hides it. */
export function setLearnResult(r) {
  els.learnResult.hidden = !r;
  if (!r) return;
  const cell = (id, v, count) => {
    const el = document.getElementById(id);
    el.dataset.value = v === null ? '' : String(v);
    el.textContent =
      v === null ? '–' : count ? `${fmtPercent(v, 0)} (${Math.round(v * count)} of ${count})` : fmtPercent(v, 2);
  };
  cell('personal-before', r.before.personal, r.count);
  cell('personal-after', r.after.personal, r.count);
  cell('mnist-before', r.before.mnist);
  cell('mnist-after', r.after.mnist);
}

/* ---------- files ---------- */

export function downloadFile(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
