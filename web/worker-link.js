// worker-link.js: the page's line to its training worker (worker.js):
// starting it, requests answered by id (call), its other messages handed on
// (onEvent), its errors rebuilt as Errors with their fields (errorFrom), and
// knowing when it has died (onDied).
//
// It dies of an uncaught error in it (its error event), or it stops
// altogether (closed, crashed, killed), which the page learns when it is
// granted the Web Lock the worker holds for its whole life, or it hangs
// (watchHang). Then every request in flight rejects with a WorkerStopped
// error (said once, by onDied, not per request), later requests reject at
// once, and startWorker starts a new one.

import { errorFrom } from './worker-errors.js';

let worker = null;
let workerName = '';
let workerStarted = false; // it said 'ready'
let stopped = null; // the WorkerStopped error once the current worker has died
const pending = new Map(); // id -> { resolve, reject, type }
let nextId = 1;
let ready = null; // resolves on the current worker's 'ready'; rejects if it dies first
let readyResolve, readyReject;
let listeners = null; // startWorker's

export class WorkerStopped extends Error {
  constructor(message) {
    super(message);
    this.name = 'WorkerStopped';
  }
}

/** The WorkerStopped error once the current worker has died, else null. */
export const workerStopped = () => stopped;

/** Resolves on the current worker's 'ready'; rejects with WorkerStopped if it dies first. */
export const workerReady = () => ready;

/**
 * Starts a new training worker (the old one, if any, has died and been
 * terminated). onEvent(m): each message that answers no request, 'ready'
 * included; onDied(why): the worker died, why being a sentence without its
 * full stop; onUnreadable(): a message from it could not be read.
 */
export function startWorker({ onEvent, onDied, onUnreadable }) {
  listeners = { onEvent, onDied };
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
    if (w === worker) onUnreadable();
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
  listeners.onDied(why);
}

/** One request to the worker; resolves with its result or rejects with its error. */
export function call(type, args = {}, transfer = []) {
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
    else p.resolve(m.result);
    return;
  }
  if (m.type === 'ready') {
    workerStarted = true;
    if (m.lock && navigator.locks) watchLife(worker, workerName);
    watchHang(worker);
    readyResolve();
  }
  listeners.onEvent(m);
}
