// page-state.js: what the page knows (app: the worker's last word on its
// state, config and samples seen, and the page's own: requests in flight,
// the person's digits) and the few things every part of the page does with
// it: the controls, the model line, the status sentences, and showing an
// error once.

import { fmtCount, fmtPercent } from './ui.js';
import { setStackError } from './view-settings.js';
import { setControls, setModelInfo, setStatus, showError } from './view-status.js';
import { stackName } from './network.js';
import { WorkerStopped } from './worker-link.js';

export const app = {
  state: 'idle', // the worker's (its 'state' message)
  hasNet: false,
  busy: true, // a request that changes the network is in flight
  downloading: false,
  download: null, // last download message
  config: null, // the network's settings, as the worker last said (its 'state' message)
  seen: 0, // samples trained since create or load, as the worker last said
  accuracy: null,
  keptAt: null, // app.seen when the model was last kept in IndexedDB
  keptTime: 0, // and when
  infoExtra: '', // where the model came from
  epochShown: 0,
  mixed: 0, // how many of the person's digits the running Train mixes in, as the worker said
  personal: [], // the kept digits: [{ key, label, input: Uint8Array(784), strokes }]
  touched: false, // the person has trained, drawn or opened a model: a reload would lose it
  trainWhenReady: false, // Enter in the data field while the network loads: train once it is ready
};

export function refreshControls() {
  setControls(app.state, {
    hasNet: app.hasNet,
    busy: app.busy,
    downloading: app.downloading,
    personal: app.personal.length,
  });
}

/** A reason as the end of a sentence: with one full stop. */
export const sentence = (reason) => (reason.endsWith('.') ? reason : `${reason}.`);

/** Shows message for e, unless e is the worker's death, which was said once already;
 *  a stack that C refused goes under the Hidden layers field. */
export function report(e, message = e.message) {
  if (e instanceof WorkerStopped) return;
  if (e.field === 'layers') {
    setStackError(e.message);
    setStatus(
      'Nothing trained, the network there kept: C makes no network of these hidden layers (see under the field).',
    );
    return;
  }
  showError(message);
}

function describe(c) {
  if (!c) return '';
  return `${c.layers ? stackName(c.layers) : '?'} · ${c.activation ?? '?'} · ${c.optimizer ?? '?'}`;
}

/** The model line; extra: where the model came from, when it changes. */
export function showModelInfo(extra) {
  if (extra !== undefined) app.infoExtra = extra;
  const parts = [describe(app.config)];
  if (app.seen) parts.push(`trained on ${fmtCount(app.seen)} samples here`);
  if (app.infoExtra) parts.push(app.infoExtra);
  if (app.keptAt !== null && app.keptAt === app.seen) parts.push('kept in this browser');
  setModelInfo(parts.join(' · '));
}

/** The status sentence of an idle worker, after reason (its 'state' message's). */
export function idleStatus(reason) {
  const d = app.download;
  switch (reason) {
    case 'done':
      return `Done: ${app.config?.epochs ?? ''} epoch${app.config?.epochs === 1 ? '' : 's'}, test accuracy ${app.accuracy === null ? '–' : fmtPercent(app.accuracy)}. Draw a digit, or press Train for more epochs.`;
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
        ? `Ready: ${fmtCount(d.train.count)} training and ${fmtCount(d.test.count)} test digits loaded. Press Train.`
        : 'Ready. Press Train to download the data and start training.';
  }
}

let lastProgress = null;
/** The status sentence while training; m: the last progress message. */
export function trainingStatus(m = lastProgress) {
  lastProgress = m || lastProgress;
  const d = app.download;
  const parts = ['Training'];
  if (m?.epoch) parts[0] += `: epoch ${m.epoch} of ${m.epochs}`;
  if (d && !d.complete && d.train?.count)
    parts.push(`on the ${fmtCount(d.train.ready)} of ${fmtCount(d.train.count)} digits downloaded so far`);
  if (app.mixed) parts.push(`with your ${app.mixed === 1 ? 'one digit' : `${fmtCount(app.mixed)} digits`} mixed in`);
  return parts.join(', ') + '.';
}
