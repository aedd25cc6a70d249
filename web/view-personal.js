// view-personal.js: the personal set: the "This digit is" buttons, the kept
// digits as thumbnails and the before/after table of Learn my handwriting.

import { els, drawDigit, fmtCount, fmtPercent } from './ui.js';

/** The "This digit is" buttons: enabled while the pad holds a drawing; the predicted digit marked. */
export function setTeach({ enabled, predicted = null }) {
  for (const b of els.teach.querySelectorAll('button')) {
    b.disabled = !enabled;
    b.classList.toggle('predicted', enabled && b.dataset.digit === String(predicted));
  }
}

/** The line under the "This digit is" buttons that says what they do now. */
export function setTeachHint(text) {
  els.teachHint.textContent = text;
}

/** The note beside the personal set (what was kept, imported or refused). */
export function setPersonalNote(text) {
  els.personalNote.textContent = text;
}

/**
 * The kept digits as thumbnails (the input, a square image, dark on light) with a
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
      c.width = c.height = Math.round(Math.sqrt(it.input.length));
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
