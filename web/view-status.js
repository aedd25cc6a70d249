// view-status.js: what the page says about where it is: the status line,
// the alert, the notes (model, storage, offline, threads), the training
// buttons, the download's progress and the training metrics.

import { els, fmtBytes, fmtCount, fmtDuration, fmtPercent } from './ui.js';

/* ---------- messages ---------- */

/** The status line (role=status): what the page is doing. */
export function setStatus(text) {
  if (els.status.textContent !== text) els.status.textContent = text;
}

/** Shows a message in the role=alert element (the Dismiss button sits beside it). */
export function showError(message) {
  els.alert.textContent = message;
  els.alertBox.hidden = false;
}

/** Hides the alert and empties it. */
export function clearError() {
  els.alertBox.hidden = true;
  els.alert.textContent = '';
}

/** The line that describes the network trained or opened. */
export function setModelInfo(text) {
  els.modelInfo.textContent = text;
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

/** The download's progress bar and its words: bytes, and samples ready of each split. */
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

/** The training metrics; a field left out keeps what it shows. */
export function setMetrics({ epoch, epochs, loss, speed, timeLeft }) {
  if (epoch !== undefined) els.epoch.textContent = epoch ? `${epoch} of ${epochs}` : '–';
  if (loss !== undefined) els.loss.textContent = Number.isFinite(loss) ? loss.toFixed(4) : '–';
  if (speed !== undefined) {
    els.speed.dataset.value = Number.isFinite(speed) ? String(Math.round(speed)) : '';
    els.speed.textContent = Number.isFinite(speed) && speed > 0 ? `${fmtCount(speed)} /s` : '–';
  }
  if (timeLeft !== undefined) els.timeLeft.textContent = timeLeft === null ? '–' : fmtDuration(timeLeft);
}

/** The test accuracy (0..1; not finite: none yet). */
export function setAccuracy(value) {
  els.accuracy.dataset.value = Number.isFinite(value) ? String(value) : '';
  els.accuracy.textContent = Number.isFinite(value) ? fmtPercent(value, 2) : '–';
}
