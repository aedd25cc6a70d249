// ui.js: everything that touches the DOM, and nothing else: no worker, no
// network, no storage. app.js decides what to show; these functions show it.

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

/* The threads control's default: the cores but one, which the page keeps
 * for drawing and charts, and at most MAX_DEFAULT_THREADS (this network's
 * layers are narrow: beyond that the barriers eat the gain). */
const MAX_DEFAULT_THREADS = 4;
export function setDefaultThreads(cores) {
  els.threads.value = String(Math.max(1, Math.min((cores || 1) - 1, MAX_DEFAULT_THREADS)));
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
    const hidden = els.hidden.value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    if (!hidden.length || hidden.length > 7 || hidden.some((h) => !Number.isInteger(h) || h < 1 || h > 4096)) {
      throw new RangeError('Hidden layers must be 1 to 7 whole numbers from 1 to 4096, comma separated (e.g. 128,64).');
    }
    return {
      options: {
        layers: [784, ...hidden, 10],
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
  if (c.layers) els.hidden.value = c.layers.slice(1, -1).join(',');
  if (c.activation) els.activation.value = c.activation;
  if (c.input) els.input.value = c.input;
  if (c.optimizer) els.optimizer.value = c.optimizer;
  if (Number.isFinite(c.learningRate)) els.lr.value = String(+c.learningRate.toPrecision(6));
  if (Number.isFinite(c.batchSize)) els.batch.value = String(c.batchSize);
  if (Number.isFinite(c.seed)) els.seed.value = String(c.seed);
  if (c.schedule) els.schedule.value = c.schedule;
  if (Number.isFinite(c.weightDecay)) els.weightDecay.value = String(+c.weightDecay.toPrecision(6));
  if (typeof c.augment === 'boolean') els.augment.checked = c.augment;
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

/* ---------- the inside view ---------- */

// Colours: a value's share of its range goes from the empty colour to ink
// (or, for signed values, to blue above zero and red below).
const EMPTY = [243, 245, 249];
const INK = [20, 44, 110];
const POS = [36, 87, 214];
const NEG = [199, 58, 43];
function mix(to, t, out, k) {
  out[k] = EMPTY[0] + (to[0] - EMPTY[0]) * t;
  out[k + 1] = EMPTY[1] + (to[1] - EMPTY[1]) * t;
  out[k + 2] = EMPTY[2] + (to[2] - EMPTY[2]) * t;
  out[k + 3] = 255;
}
const rgb = (c) => `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;

/**
 * Rows and columns for n cells: the columns the largest divisor of n that
 * is at most sqrt(n) (128 -> 16 x 8, 64 -> 8 x 8), or a near square with
 * blank cells when that is too thin (a prime n).
 */
export function gridShape(n) {
  let cols = Math.floor(Math.sqrt(n));
  while (cols > 1 && n % cols) cols--;
  if (n / cols > 4 * cols) cols = Math.ceil(Math.sqrt(n));
  return { rows: Math.ceil(n / cols), cols };
}

const fmtValue = (v) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(3) : v.toExponential(1);

/**
 * The forward pass of one drawing as one picture: the input, each hidden
 * layer and the outputs as grids of cells, drawn on canvases. Over each
 * canvas, a grid of empty cells (role=gridcell) takes the pointer and the
 * keyboard: one cell per layer is in the tab order (a roving tabindex), the
 * arrow keys, Home and End move in it; the cell pointed at or focused gets
 * its value in its aria-label and in the readout line. Nothing in the DOM
 * changes when values change, but the focused cell's label.
 */
export class ForwardView {
  constructor(root, readout) {
    this.root = root;
    this.readout = readout;
    this.layers = [];
    this.shown = null; // { layer, index } whose value the readout shows
    this.height = 128;
    root.addEventListener('pointerover', (e) => this.#point(e));
    root.addEventListener('pointerleave', () => {
      if (this.shown && !this.root.contains(document.activeElement)) this.#show(null);
    });
    root.addEventListener('focusin', (e) => this.#point(e));
    root.addEventListener('keydown', (e) => this.#key(e));
    // phone width draws it smaller: build again when the width crosses over
    window.matchMedia?.('(max-width: 520px)').addEventListener?.('change', () => {
      if (!this.sizes) return;
      const values = this.values;
      this.key = null;
      this.build(this.sizes, this.activation);
      if (values) this.set(values);
    });
  }

  /** Builds the grids for layer sizes (e.g. [784, 128, 64, 10]) and the hidden activation. */
  build(sizes, activation) {
    const key = `${sizes.join(',')}|${activation}`;
    if (key === this.key) return;
    this.key = key;
    this.sizes = sizes.slice();
    this.activation = activation;
    this.height = window.matchMedia?.('(max-width: 520px)').matches ? 112 : 128;
    this.root.textContent = '';
    this.layers = [];
    this.values = null;
    const side = Math.round(Math.sqrt(sizes[0]));
    sizes.forEach((n, l) => {
      const kind = l === 0 ? 'input' : l === sizes.length - 1 ? 'output' : 'hidden';
      const shape =
        kind === 'input' && side * side === n
          ? { rows: side, cols: side }
          : kind === 'output'
            ? { rows: n, cols: 1 }
            : gridShape(n);
      const name =
        kind === 'input'
          ? `Input, ${shape.rows} by ${shape.cols} pixels`
          : kind === 'output'
            ? `Output, ${n} digits`
            : `Hidden layer ${l}, ${n} units (${activation})`;
      if (l) {
        const arrow = document.createElement('span');
        arrow.className = 'fw-arrow';
        arrow.setAttribute('aria-hidden', 'true');
        arrow.textContent = '→';
        this.root.appendChild(arrow);
      }
      const box = document.createElement('div');
      box.className = `fw-layer fw-${kind}`;
      const cell = this.height / shape.rows;
      const w = Math.max(8, Math.round(cell * shape.cols)),
        h = this.height;
      const wrap = document.createElement('div');
      wrap.className = 'fw-wrap';
      const grid = document.createElement('div');
      grid.className = 'fw-grid';
      grid.setAttribute('role', 'grid');
      grid.setAttribute('aria-label', name);
      grid.style.width = `${w}px`;
      grid.style.height = `${h}px`;
      const canvas = document.createElement('canvas');
      canvas.setAttribute('aria-hidden', 'true');
      const dpr = window.devicePixelRatio || 1;
      if (kind === 'input') {
        canvas.width = shape.cols;
        canvas.height = shape.rows;
        canvas.classList.add('pixels');
      } else {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
      }
      const cells = document.createElement('div');
      cells.className = 'fw-cells';
      cells.style.gridTemplateColumns = `repeat(${shape.cols}, 1fr)`;
      cells.style.gridTemplateRows = `repeat(${shape.rows}, 1fr)`;
      const items = [];
      for (let r = 0; r < shape.rows; r++) {
        const row = document.createElement('div');
        row.setAttribute('role', 'row');
        row.className = 'fw-row';
        for (let c = 0; c < shape.cols; c++) {
          const i = r * shape.cols + c;
          if (i >= n) break;
          const span = document.createElement('span');
          span.setAttribute('role', 'gridcell');
          span.tabIndex = i === 0 ? 0 : -1;
          span.dataset.l = String(l);
          span.dataset.i = String(i);
          span.style.gridRow = String(r + 1);
          span.style.gridColumn = String(c + 1);
          row.appendChild(span);
          items.push(span);
        }
        cells.appendChild(row);
      }
      grid.append(canvas, cells);
      wrap.appendChild(grid);
      if (kind === 'output') {
        const digits = document.createElement('div');
        digits.className = 'fw-digits';
        digits.setAttribute('aria-hidden', 'true');
        digits.style.height = `${h}px`;
        for (let d = 0; d < n; d++) {
          const s = document.createElement('span');
          s.textContent = String(d);
          digits.appendChild(s);
        }
        wrap.appendChild(digits);
      }
      const label = document.createElement('span');
      label.className = 'fw-name';
      label.textContent =
        kind === 'input'
          ? `Input\n${shape.rows}×${shape.cols}`
          : kind === 'output'
            ? 'Output\n10'
            : `Hidden ${l}\n${n}`;
      box.append(wrap, label);
      this.root.appendChild(box);
      this.layers.push({ n, kind, shape, canvas, cells: items, name, active: 0 });
    });
    this.draw();
  }

  /** values: [input (784, 0..1), ...the activations of each layer after it], or null for an empty pad. */
  set(values) {
    this.values = values;
    this.draw();
    this.root.dataset.updated = String((Number(this.root.dataset.updated) || 0) + 1);
    if (this.shown) this.#show(this.shown);
  }

  /* The range a layer's values are drawn over: [lo, hi] and whether signed. */
  #range(l, v) {
    const kind = this.layers[l].kind;
    if (kind === 'input' || kind === 'output' || this.activation === 'sigmoid') return { lo: 0, hi: 1, signed: false };
    if (this.activation === 'tanh') return { lo: -1, hi: 1, signed: true };
    let hi = 0;
    for (let i = 0; i < v.length; i++) if (v[i] > hi) hi = v[i];
    return { lo: 0, hi: hi || 1, signed: false };
  }

  draw() {
    const out = [0, 0, 0, 0];
    this.layers.forEach((layer, l) => {
      const v = this.values?.[l];
      const ctx = layer.canvas.getContext('2d');
      const { rows, cols } = layer.shape;
      if (layer.kind === 'input') {
        const img = ctx.createImageData(cols, rows);
        for (let i = 0; i < layer.n; i++) mix(INK, v ? v[i] : 0, img.data, i * 4);
        ctx.putImageData(img, 0, 0);
        return;
      }
      const W = layer.canvas.width,
        H = layer.canvas.height;
      const cw = W / cols,
        ch = H / rows,
        gap = cw >= 4 && ch >= 4 ? 1 : 0;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, W, H);
      const range = v ? this.#range(l, v) : null;
      let best = -1;
      if (v && layer.kind === 'output') for (let i = 0; i < v.length; i++) if (best < 0 || v[i] > v[best]) best = i;
      for (let i = 0; i < layer.n; i++) {
        let t = 0,
          to = INK;
        if (v) {
          const x = v[i];
          if (range.signed) {
            t = Math.min(1, Math.abs(x) / range.hi);
            to = x >= 0 ? POS : NEG;
          } else t = Math.max(0, Math.min(1, (x - range.lo) / (range.hi - range.lo)));
        }
        mix(to, t, out, 0);
        ctx.fillStyle = rgb(out);
        const r = Math.floor(i / cols),
          c = i % cols;
        const x0 = Math.round(c * cw),
          y0 = Math.round(r * ch);
        ctx.fillRect(x0, y0, Math.round((c + 1) * cw) - x0 - gap, Math.round((r + 1) * ch) - y0 - gap);
      }
      if (best >= 0) {
        ctx.strokeStyle = '#2457d6';
        ctx.lineWidth = Math.max(2, Math.round(cw / 6));
        const y0 = Math.round(best * ch);
        ctx.strokeRect(
          ctx.lineWidth / 2,
          y0 + ctx.lineWidth / 2,
          W - ctx.lineWidth,
          Math.round(ch) - gap - ctx.lineWidth,
        );
      }
    });
  }

  /* The words for a cell's value. */
  #describe(l, i) {
    const layer = this.layers[l];
    const v = this.values?.[l];
    const value = v ? v[i] : null;
    let where;
    if (layer.kind === 'input')
      where = `Input pixel row ${Math.floor(i / layer.shape.cols) + 1}, column ${(i % layer.shape.cols) + 1}`;
    else if (layer.kind === 'output') where = `Output ${i}`;
    else where = `Hidden layer ${l}, unit ${i + 1} of ${layer.n}`;
    if (value === null) return `${where}: no drawing yet`;
    return layer.kind === 'output'
      ? `${where}: ${fmtPercent(value)} (${fmtValue(value)})`
      : `${where}: ${fmtValue(value)}`;
  }

  #show(at) {
    this.shown = at;
    if (!at) {
      this.readout.textContent = 'Hover over a cell, or Tab to a layer and use the arrow keys, to see its value.';
      return;
    }
    const text = this.#describe(at.l, at.i);
    this.readout.textContent = text;
    const cell = this.layers[at.l]?.cells[at.i];
    if (cell && cell === document.activeElement) cell.setAttribute('aria-label', text);
  }

  #point(e) {
    const cell = e.target.closest?.('[role=gridcell]');
    if (!cell || !this.root.contains(cell)) return;
    const l = Number(cell.dataset.l),
      i = Number(cell.dataset.i);
    if (e.type === 'focusin') {
      const layer = this.layers[l];
      if (layer.active !== i) {
        layer.cells[layer.active].tabIndex = -1;
        cell.tabIndex = 0;
        layer.active = i;
      }
      cell.setAttribute('aria-label', this.#describe(l, i));
    }
    this.#show({ l, i });
  }

  #key(e) {
    const cell = e.target.closest?.('[role=gridcell]');
    if (!cell) return;
    const l = Number(cell.dataset.l),
      i = Number(cell.dataset.i);
    const layer = this.layers[l];
    const { cols } = layer.shape;
    const r = Math.floor(i / cols),
      c = i % cols;
    let j = null;
    switch (e.key) {
      case 'ArrowRight':
        j = c + 1 < cols && i + 1 < layer.n ? i + 1 : i;
        break;
      case 'ArrowLeft':
        j = c > 0 ? i - 1 : i;
        break;
      case 'ArrowDown':
        j = i + cols < layer.n ? i + cols : i;
        break;
      case 'ArrowUp':
        j = r > 0 ? i - cols : i;
        break;
      case 'Home':
        j = e.ctrlKey ? 0 : r * cols;
        break;
      case 'End':
        j = e.ctrlKey ? layer.n - 1 : Math.min(layer.n - 1, r * cols + cols - 1);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (j !== i) layer.cells[j].focus();
  }
}

/**
 * The first layer's weights: one small image per hidden unit (its 784
 * weights as 28x28), blue for positive and red for negative, each unit at
 * its own scale (its largest |w| is full colour). At most MAX_UNITS units.
 */
const MAX_UNITS = 256;

/** What the last snapshot took of the worker's time (ms), sent every `every` ms. */
export function setSnapshotCost(ms, every) {
  els.snapshotCost.dataset.ms = String(ms);
  els.snapshotCost.textContent = ` (the last took ${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms of its time: ${fmtPercent(ms / every, 3)} of training)`;
}

let weightsImage = null; // the canvas's ImageData, kept: its tile borders are drawn once
export function setWeights(weights, hidden, inputs, steps) {
  const side = Math.round(Math.sqrt(inputs));
  if (side * side !== inputs) return;
  const units = Math.min(hidden, MAX_UNITS);
  const { rows: r, cols: c } = gridShape(units);
  const rows = Math.min(r, c),
    cols = Math.max(r, c); // wide, for the panel
  const tile = side + 1;
  const canvas = els.weightsView;
  const W = cols * tile + 1,
    H = rows * tile + 1;
  const ctx = canvas.getContext('2d');
  if (
    canvas.width !== W ||
    canvas.height !== H ||
    !weightsImage ||
    weightsImage.width !== W ||
    weightsImage.height !== H
  ) {
    canvas.width = W;
    canvas.height = H;
    weightsImage = ctx.createImageData(W, H);
    const d = weightsImage.data;
    d.fill(255);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (x % tile && y % tile) continue;
        const k = (y * W + x) * 4;
        d[k] = d[k + 1] = d[k + 2] = 214;
      }
    }
  }
  const caption = `Each square is one unit of the first hidden layer${units < hidden ? ` (the first ${units} of ${hidden})` : ` (${hidden} units)`}: the weight it gives each of the ${inputs} input pixels, blue for positive and red for negative, each unit at its own scale.`;
  if (els.weightsCaption.textContent !== caption) els.weightsCaption.textContent = caption;
  const d = weightsImage.data;
  for (let u = 0; u < units; u++) {
    const at = u * inputs;
    let s = 0;
    for (let i = 0; i < inputs; i++) {
      const a = Math.abs(weights[at + i]);
      if (a > s) s = a;
    }
    const inv = s ? 1 / s : 1;
    const ox = (u % cols) * tile + 1,
      oy = Math.floor(u / cols) * tile + 1;
    for (let y = 0; y < side; y++) {
      let k = ((oy + y) * W + ox) * 4;
      for (let x = 0; x < side; x++, k += 4) {
        const w = weights[at + y * side + x] * inv;
        const to = w >= 0 ? POS : NEG,
          t = w >= 0 ? w : -w;
        d[k] = 255 + (to[0] - 255) * t;
        d[k + 1] = 255 + (to[1] - 255) * t;
        d[k + 2] = 255 + (to[2] - 255) * t;
      }
    }
  }
  ctx.putImageData(weightsImage, 0, 0);
  canvas.dataset.steps = String(steps); // the network's step count it shows
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

  /** Series names (e.g. "784→128"): a new set clears the chart. */
  setSeries(names) {
    if (names.join() !== this.names.join()) {
      this.names = names;
      this.points = [];
      this.legend.textContent = '';
      names.forEach((n, i) => {
        const s = document.createElement('span');
        s.className = 'legend-item';
        s.style.setProperty('--c', SERIES[i % SERIES.length]);
        s.textContent = `layer ${i + 1} (${n})`;
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
