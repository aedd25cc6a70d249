// ui.js: what the page's views share: the page's elements by name (els),
// number and size formatting, a digit drawn on a canvas and a file handed
// to the browser to save. Each view is a file of its own: view-status.js,
// view-settings.js, view-charts.js, view-test-set.js, view-prediction.js,
// view-personal.js, and the inside view, inside-*.js. DOM only: no worker,
// no network, no storage; app.js decides what to show.

const $ = (id) => document.getElementById(id);

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

/* ---------- digits ---------- */

/**
 * Draws a digit image as large as the canvas (bytes 0..255 or values 0..1,
 * row by row): white on black as MNIST, or dark on light if invert.
 */
export function drawDigit(canvas, pixels, invert) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < canvas.width * canvas.height; i++) {
    const v = pixels instanceof Uint8Array ? pixels[i] : Math.round(pixels[i] * 255);
    const g = invert ? 255 - v : v;
    img.data[i * 4] = g;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = g;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/* ---------- files ---------- */

/** Hands bytes to the browser to save as a file called name. */
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
