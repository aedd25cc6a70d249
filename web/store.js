// store.js: remembers the last model and the personal set in this browser
// (IndexedDB), so that a reload keeps them. Models: one record { bytes:
// ArrayBuffer, savedAt, source }; models come back only from here or from a
// file the person opens. The personal set: one record per kept digit,
// { label, input: ArrayBuffer (784 bytes), strokes, savedAt } under an
// increasing key (the order they were kept in).
//
// Storage may refuse: no IndexedDB (some private windows), an open that is
// blocked by another tab or never answers, a full quota. Every such failure
// rejects with a StorageRefused error whose message says why in words, so
// that the page can say once that models will not be kept and go on
// without. A record that is there but is not what was kept rejects with a
// CorruptRecord error (the page discards it).

const DB = 'mnist-wasm';
const VERSION = 2; // 2: the personal store
const STORE = 'models';
const PERSONAL = 'personal';
const KEY = 'last';
const OPEN_MS = 3000; // an open that neither succeeds nor fails by then counts as refused

/** IndexedDB cannot be used: `reason` in words, the browser's error as `cause`. */
export class StorageRefused extends Error {
  constructor(reason, cause) {
    super(reason, cause ? { cause } : undefined);
    this.name = 'StorageRefused';
  }
}

/** The kept record is not a model's bytes. */
export class CorruptRecord extends Error {
  constructor(message) {
    super(message);
    this.name = 'CorruptRecord';
  }
}

/** The StorageRefused for a browser error (QuotaExceededError, ...). */
function refused(e, doing) {
  if (e instanceof StorageRefused) return e;
  if (e?.name === 'QuotaExceededError') return new StorageRefused("this browser's storage for the page is full", e);
  const what = e ? `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message || e}` : 'no reason given';
  return new StorageRefused(`IndexedDB refused to ${doing} (${what})`, e);
}

let opening = null;
function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      let idb;
      try {
        idb = globalThis.indexedDB;
      } catch (e) {
        // some browsers throw on access when storage is off
        reject(refused(e, 'open'));
        return;
      }
      if (!idb) {
        reject(new StorageRefused('this browser gives the page no IndexedDB (as some private windows do)'));
        return;
      }
      const timer = setTimeout(
        () => reject(new StorageRefused(`IndexedDB did not open within ${OPEN_MS / 1000} s`)),
        OPEN_MS,
      );
      const settle = (fn, v) => {
        clearTimeout(timer);
        fn(v);
      };
      let req;
      try {
        req = idb.open(DB, VERSION);
      } catch (e) {
        settle(reject, refused(e, 'open'));
        return;
      }
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
        if (!db.objectStoreNames.contains(PERSONAL)) db.createObjectStore(PERSONAL, { autoIncrement: true });
      };
      req.onsuccess = () => {
        const db = req.result;
        // a newer page in another tab upgrades: let it, and open again on the next call
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        settle(resolve, db);
      };
      req.onerror = () => settle(reject, refused(req.error, 'open'));
      req.onblocked = () => settle(reject, new StorageRefused('IndexedDB is blocked by another tab of this page'));
    });
    opening.catch(() => {
      opening = null;
    }); // a later call may retry
  }
  return opening;
}

async function run(mode, fn, doing, store = STORE) {
  const db = await open();
  return new Promise((resolve, reject) => {
    let tx, req;
    try {
      tx = db.transaction(store, mode);
      req = fn(tx.objectStore(store));
    } catch (e) {
      try {
        tx?.abort();
      } catch {
        /* already finished */
      }
      reject(refused(e, doing));
      return;
    }
    let value;
    req.onsuccess = () => {
      value = req.result;
    };
    tx.oncomplete = () => resolve(value);
    tx.onerror = () => reject(refused(tx.error || req.error, doing));
    tx.onabort = () => reject(refused(tx.error || new Error('the transaction was aborted'), doing));
  });
}

/** Keeps bytes (Uint8Array) as the last model. */
export function saveLastModel(bytes, source = 'trained') {
  const copy = bytes.slice().buffer;
  return run('readwrite', (s) => s.put({ bytes: copy, savedAt: Date.now(), source }, KEY), 'keep the model');
}

/** The last model as { bytes: Uint8Array, savedAt, source }, or null if none is kept. */
export async function loadLastModel() {
  const rec = await run('readonly', (s) => s.get(KEY), 'read the kept model');
  if (rec === undefined) return null;
  const b = rec?.bytes;
  const bytes =
    b instanceof ArrayBuffer
      ? new Uint8Array(b)
      : ArrayBuffer.isView(b)
        ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
        : null;
  if (!bytes)
    throw new CorruptRecord(
      `the kept record holds ${b === undefined ? (rec === null ? 'null' : typeof rec) : typeof b}, not a model file's bytes`,
    );
  return { savedAt: Number(rec.savedAt) || 0, source: rec.source, bytes };
}

export function forgetLastModel() {
  return run('readwrite', (s) => s.delete(KEY), 'forget the kept model');
}

/* ---------- the personal set ---------- */

/**
 * Keeps digits ([{ label, input: Uint8Array(784), strokes }]) in one
 * transaction; resolves with their keys.
 */
export async function addPersonal(items) {
  const doing = 'keep the digits';
  const db = await open();
  return new Promise((resolve, reject) => {
    const keys = [];
    let tx;
    try {
      tx = db.transaction(PERSONAL, 'readwrite');
      const store = tx.objectStore(PERSONAL);
      for (const it of items) {
        const req = store.add({
          label: it.label,
          input: it.input.slice().buffer,
          strokes: it.strokes ?? null,
          savedAt: Date.now(),
        });
        req.onsuccess = () => keys.push(req.result);
      }
    } catch (e) {
      try {
        tx?.abort();
      } catch {
        /* already finished */
      }
      reject(refused(e, doing));
      return;
    }
    tx.oncomplete = () => resolve(keys);
    tx.onerror = () => reject(refused(tx.error, doing));
    tx.onabort = () => reject(refused(tx.error || new Error('the transaction was aborted'), doing));
  });
}

/** A kept digit as { key, label, input: Uint8Array, strokes, savedAt }, or null if the record is not one. */
function personalDigit(key, v) {
  const ok =
    v &&
    v.input instanceof ArrayBuffer &&
    v.input.byteLength === 784 &&
    Number.isInteger(v.label) &&
    v.label >= 0 &&
    v.label <= 9;
  return ok
    ? { key, label: v.label, input: new Uint8Array(v.input), strokes: v.strokes ?? null, savedAt: v.savedAt }
    : null;
}

/**
 * Every kept digit, in the order kept: { digits: [...], corrupt: [keys] }.
 * Records that are not digits are left out and their keys listed, so the
 * page can say so and remove them.
 */
export async function listPersonal() {
  const doing = 'read the kept digits';
  const db = await open();
  return new Promise((resolve, reject) => {
    const digits = [];
    const corrupt = [];
    let tx, req;
    try {
      tx = db.transaction(PERSONAL, 'readonly');
      req = tx.objectStore(PERSONAL).openCursor();
    } catch (e) {
      reject(refused(e, doing));
      return;
    }
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      const digit = personalDigit(c.key, c.value);
      if (digit) digits.push(digit);
      else corrupt.push(c.key);
      c.continue();
    };
    tx.oncomplete = () => resolve({ digits, corrupt });
    tx.onerror = () => reject(refused(tx.error || req.error, doing));
  });
}

export function removePersonal(key) {
  return run('readwrite', (s) => s.delete(key), 'remove the digit', PERSONAL);
}
