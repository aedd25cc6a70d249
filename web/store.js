// store.js: remembers the last model in this browser (IndexedDB), so that a
// reload keeps it. One record: { bytes: ArrayBuffer, savedAt, source }.
// Models come back only from here or from a file the person opens.

const DB = 'mnist-wasm';
const STORE = 'models';
const KEY = 'last';

let opening = null;
function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      if (typeof indexedDB === 'undefined') { reject(new Error('this browser has no IndexedDB')); return; }
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error || new Error('IndexedDB would not open'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    opening.catch(() => { opening = null; });   // a later call may retry
  }
  return opening;
}

async function run(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
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
