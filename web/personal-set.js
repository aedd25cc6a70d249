// personal-set.js: the person's own digits on the page: kept in this
// browser (store.js), taught from the pad ("This digit is"), learned by the
// worker (Learn my handwriting), exported and imported as IDX files
// (personal.js writes them, the worker's C parser reads them).

import { downloadFile, els, fmtBytes, fmtCount, fmtPercent } from './ui.js';
import { setLearnResult, setPersonal, setPersonalNote, setTeachHint } from './view-personal.js';
import { clearError, setStatus, showError } from './view-status.js';
import { addPersonal, listPersonal, removePersonal } from './store.js';
import { toIdx, exportFiles, pairsOf, keyOf, toBytes } from './personal.js';
import { call } from './worker-link.js';
import { app, refreshControls } from './page-state.js';
import { stored, remember } from './keeping.js';

const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function showPersonal() {
  setPersonal(app.personal, removeKept);
  refreshControls();
}

/** Shows the digits kept in this browser, dropping (and saying) those that are not digits. */
export async function loadPersonal() {
  try {
    const kept = await stored(() => listPersonal());
    if (kept) {
      app.personal = kept.digits;
      if (kept.corrupt.length) {
        await Promise.all(kept.corrupt.map((key) => stored(() => removePersonal(key)).catch(() => {})));
        const n = kept.corrupt.length;
        showError(
          `${n === 1 ? 'One digit' : `${fmtCount(n)} digits`} kept in this browser ${n === 1 ? 'was' : 'were'} not a 28x28 drawing with a label 0 to 9 and ${n === 1 ? 'was' : 'were'} removed.`,
        );
      }
    }
  } catch (e) {
    showError(`Could not read your digits kept in this browser: ${e.message}`);
  }
  showPersonal();
}

let pageOnlyKeys = 0;

/* Keeps digits in IndexedDB, leaving out those the set already holds; returns how many were new. */
async function keep(items) {
  const have = new Set(app.personal.map((it) => keyOf(it.label, it.input)));
  const fresh = [];
  for (const it of items) {
    const k = keyOf(it.label, it.input);
    if (have.has(k)) continue;
    have.add(k);
    fresh.push(it);
  }
  if (!fresh.length) return 0;
  // storage that refuses: the digits stay on the page under keys of its own
  const keys = (await stored(() => addPersonal(fresh))) ?? fresh.map(() => `page-${++pageOnlyKeys}`);
  fresh.forEach((it, i) => app.personal.push({ ...it, key: keys[i] }));
  showPersonal();
  return fresh.length;
}

async function removeKept(key) {
  const i = app.personal.findIndex((it) => it.key === key);
  if (i < 0) return;
  const focusNext = document.activeElement?.closest?.('.kept');
  try {
    if (!String(key).startsWith('page-')) await stored(() => removePersonal(key));
  } catch (e) {
    showError(`Could not remove the digit: ${e.message}`);
    return;
  }
  app.personal.splice(i, 1);
  showPersonal();
  // keyboard: focus stays in the list (the next Remove, or the previous one)
  if (focusNext) {
    const buttons = els.personalList.querySelectorAll('.remove');
    (buttons[Math.min(i, buttons.length - 1)] ?? els.learn).focus();
  }
}

/**
 * The personal set's buttons. pad: the drawing (pad.js); currentUrl(): the
 * data set's URL, or null after saying why; repredictSoon(): reads the
 * drawing again (the network changed).
 */
export function setUpPersonal({ pad, currentUrl, repredictSoon }) {
  els.teach.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-digit]');
    if (!b || b.disabled || pad.isEmpty()) return;
    const label = Number(b.dataset.digit);
    const input = pad.read();
    const strokes = pad.strokes.map((s) => s.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]));
    try {
      const added = await keep([{ label, input: toBytes(input), strokes }]);
      setTeachHint(
        added
          ? `Kept as a ${label}: ${fmtCount(app.personal.length)} in your set. Draw the next one.`
          : `Your set already holds this drawing as a ${label}.`,
      );
      pad.clear();
    } catch (err) {
      showError(`Could not keep the drawing: ${err.message}`);
    }
  });

  els.learn.addEventListener('click', async () => {
    if (!app.personal.length) return;
    const url = currentUrl();
    if (!url) return;
    clearError();
    setLearnResult(null);
    app.busy = true;
    refreshControls();
    try {
      const { images, labels } = toIdx(app.personal);
      const r = await call('learn', { url, images, labels }, [images.buffer, labels.buffer]);
      setLearnResult(r);
      const pct = (v, d) => (v === null ? '–' : fmtPercent(v, d));
      setStatus(
        `Learned your handwriting: your ${r.count === 1 ? 'one digit' : `${fmtCount(r.count)} digits`} read right ${pct(r.before.personal, 0)} before, ${pct(r.after.personal, 0)} after; MNIST test ${pct(r.before.mnist, 2)} → ${pct(r.after.mnist, 2)}. Draw a digit to see how it reads now.`,
      );
      remember('learned');
      repredictSoon(0);
    } catch (e) {
      if (e.name === 'AbortError') setStatus(`Learning stopped: ${e.message}`);
      else showError(`Could not learn your handwriting: ${e.message}`);
    } finally {
      app.busy = false;
      refreshControls();
    }
  });

  els.personalExport.addEventListener('click', async () => {
    if (!app.personal.length) return;
    // one download per file; browsers take them one at a time more willingly
    for (const f of exportFiles(app.personal)) {
      downloadFile(f.bytes, f.name);
      await new Promise((r) => setTimeout(r, 150));
    }
    setPersonalNote(`Exported ${fmtCount(app.personal.length)} digits as four IDX files.`);
  });

  els.personalImport.addEventListener('change', async () => {
    const files = [...(els.personalImport.files ?? [])];
    els.personalImport.value = '';
    if (!files.length) return;
    clearError();
    const { pairs, error } = pairsOf(files);
    if (error) {
      showError(`Nothing imported: ${error}`);
      return;
    }
    const big = files.find((f) => f.size > MAX_IMPORT_BYTES);
    if (big) {
      showError(`Nothing imported: ${big.name} is ${fmtBytes(big.size)}, too large for a personal set.`);
      return;
    }
    try {
      const items = [];
      for (const p of pairs) {
        const images = new Uint8Array(await p.images.arrayBuffer());
        const labels = new Uint8Array(await p.labels.arrayBuffer());
        let r;
        try {
          r = await call('read-idx', { images, labels }, [images.buffer, labels.buffer]);
        } catch (e) {
          // C's reason, after the file it concerns (images or labels) when it is one
          const part = ['images', 'labels'][e.file];
          const reason = e.reason === undefined ? e.message : part ? `${part}: ${e.reason}` : e.reason;
          throw new Error(`${p.images.name} and ${p.labels.name} were refused: ${reason}`);
        }
        for (let i = 0; i < r.labels.length; i++) {
          if (r.labels[i] > 9) throw new Error(`${p.labels.name} holds the label ${r.labels[i]}: digits are 0 to 9`);
          items.push({ label: r.labels[i], input: r.images.slice(i * 784, (i + 1) * 784), strokes: null });
        }
      }
      const added = await keep(items);
      const same = items.length - added;
      setPersonalNote(
        `Imported ${fmtCount(added)} digit${added === 1 ? '' : 's'}${same ? ` (${fmtCount(same)} already in your set)` : ''}.`,
      );
    } catch (e) {
      showError(`Nothing imported: ${e.message}`);
    }
  });
}
