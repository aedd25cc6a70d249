// keeping.js: the model kept in this browser (IndexedDB, store.js): kept
// again as it trains (remember), one save at a time and never an older
// model over a newer one, and storage that refuses said once.

import { els } from './ui.js';
import { setStorageNote } from './view-status.js';
import { StorageRefused, saveLastModel } from './store.js';
import { call } from './worker-link.js';
import { app, report, showModelInfo } from './page-state.js';

// Storage that refuses (no IndexedDB, blocked, full) is said once, in a
// note beside the model, not as an alert; the page then stops trying, and
// the model on the page is unaffected (Save model still writes a file).
let storageRefused = null;
function refusedStorage(e) {
  if (storageRefused) return;
  storageRefused = e;
  setStorageNote(
    `Models and your digits will not be kept in this browser: ${e.message}. What is on the page stays until you reload; Save model and Export keep it in files.`,
  );
  els.forgetModel.disabled = true;
}

/** A store call: StorageRefused is noted once and gives undefined; other errors throw. */
export async function stored(fn) {
  if (storageRefused) return undefined;
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof StorageRefused)) throw e;
    refusedStorage(e);
    return undefined;
  }
}

let remembering = null; // the save in flight
let rememberAgain = null; // a source to save again once it ends (the model moved on meanwhile)
export function remember(source) {
  if (storageRefused) return Promise.resolve();
  if (remembering) {
    rememberAgain = source;
    return remembering;
  }
  remembering = (async () => {
    try {
      const seen = app.seen;
      const bytes = await call('save');
      if (await stored(() => saveLastModel(bytes, source).then(() => true))) {
        app.keptAt = seen;
        app.keptTime = Date.now();
        showModelInfo();
      }
    } catch (e) {
      report(e, `Could not remember the model in this browser: ${e.message}`);
    } finally {
      remembering = null;
      const again = rememberAgain;
      rememberAgain = null;
      if (again) remember(again);
    }
  })();
  return remembering;
}

/* Waits for a save in flight (and drops a queued one), so that what is
 * kept next is not overwritten by an older model. */
export async function settleRemembering() {
  rememberAgain = null;
  await remembering?.catch(() => {});
}
/** Forgets the save in flight and the one queued: their worker died. */
export function dropRemembering() {
  rememberAgain = null;
  remembering = null;
}
