// store.js: remembers the last model and the personal set in this browser
// (IndexedDB), so that a reload keeps them. Models: one record { bytes:
// ArrayBuffer, savedAt, source }; models come back only from here or from a
// file the person opens. The personal set: one record per kept digit,
// { label, input: ArrayBuffer (784 bytes), strokes, savedAt } under an
// increasing key (the order they were kept in).

const DB = 'mnist-wasm';
const VERSION = 2;           // 2: the personal store
const STORE = 'models';
const PERSONAL = 'personal';
const KEY = 'last';

let opening = null;
function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      if (typeof indexedDB === 'undefined') { reject(new Error('this browser has no IndexedDB')); return; }
      const req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
        if (!db.objectStoreNames.contains(PERSONAL)) db.createObjectStore(PERSONAL, { autoIncrement: true });
      };
      req.onsuccess = () => {
        const db = req.result;
        // a newer page in another tab upgrades: let it, and open again on the next call
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => reject(req.error || new Error('IndexedDB would not open'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    opening.catch(() => { opening = null; });   // a later call may retry
  }
  return opening;
}

async function run(mode, fn, store = STORE) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = fn(tx.objectStore(store));
    let value;
    req.onsuccess = () => { value = req.result; };
    tx.oncomplete = () => resolve(value);
    tx.onerror = () => reject(tx.error || req.error);
    tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  });
}

/** Keeps bytes (Uint8Array) as the last model. */
export function saveLastModel(bytes, source = 'trained') {
  const copy = bytes.slice().buffer;
  return run('readwrite', (s) => s.put({ bytes: copy, savedAt: Date.now(), source }, KEY));
}

/** The last model as { bytes: Uint8Array, savedAt, source }, or null. */
export async function loadLastModel() {
  const rec = await run('readonly', (s) => s.get(KEY));
  if (!rec || !(rec.bytes instanceof ArrayBuffer)) return null;
  return { ...rec, bytes: new Uint8Array(rec.bytes) };
}

export function forgetLastModel() {
  return run('readwrite', (s) => s.delete(KEY));
}

/* ---------- the personal set ---------- */

/**
 * Keeps digits ([{ label, input: Uint8Array(784), strokes }]) in one
 * transaction; resolves with their keys.
 */
export async function addPersonal(items) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(PERSONAL, 'readwrite');
    const store = tx.objectStore(PERSONAL);
    const keys = [];
    for (const it of items) {
      const req = store.add({ label: it.label, input: it.input.slice().buffer, strokes: it.strokes ?? null, savedAt: Date.now() });
      req.onsuccess = () => keys.push(req.result);
    }
    tx.oncomplete = () => resolve(keys);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  });
}

/** Every kept digit, in the order kept: [{ key, label, input: Uint8Array, strokes, savedAt }]. */
export async function listPersonal() {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(PERSONAL, 'readonly');
    const out = [];
    const req = tx.objectStore(PERSONAL).openCursor();
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      const v = c.value;
      if (v && v.input instanceof ArrayBuffer && v.input.byteLength === 784 && Number.isInteger(v.label)) {
        out.push({ key: c.key, label: v.label, input: new Uint8Array(v.input), strokes: v.strokes ?? null, savedAt: v.savedAt });
      }
      c.continue();
    };
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => reject(tx.error || req.error);
  });
}

export function removePersonal(key) {
  return run('readwrite', (s) => s.delete(key), PERSONAL);
}
