// view-test-set.js: what the network gets wrong on the test digits: the
// confusion matrix (a table, true digit by the digit read) and the gallery
// of misread digits.

import { els, drawDigit } from './ui.js';

// The table's rows and columns before any counts come (the page's data sets are digits).
const DIGITS = 10;

let confusionCells = null;
let classes = 0; // the table's rows and columns, once built

/* The table's head and its empty cells, classes by classes. */
function buildConfusion() {
  const t = els.confusion;
  t.textContent = '';
  const head = t.createTHead().insertRow();
  const corner = document.createElement('th');
  corner.className = 'corner';
  corner.textContent = 'true ↓ / read →';
  corner.scope = 'col';
  head.appendChild(corner);
  for (let j = 0; j < classes; j++) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = String(j);
    head.appendChild(th);
  }
  const body = t.createTBody();
  confusionCells = [];
  for (let i = 0; i < classes; i++) {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = String(i);
    row.appendChild(th);
    for (let j = 0; j < classes; j++) {
      const td = row.insertCell();
      if (i === j) td.className = 'diag';
      confusionCells.push(td);
    }
  }
}

/** confusion: classes x classes counts, [true * classes + predicted]; null clears. */
export function setConfusion(confusion) {
  const n0 = confusion ? Math.round(Math.sqrt(confusion.length)) : classes || DIGITS;
  if (!confusionCells || n0 !== classes) {
    classes = n0;
    buildConfusion();
  }
  for (let i = 0; i < classes; i++) {
    let rowTotal = 0;
    for (let j = 0; j < classes; j++) rowTotal += confusion ? confusion[i * classes + j] : 0;
    for (let j = 0; j < classes; j++) {
      const td = confusionCells[i * classes + j];
      const n = confusion ? confusion[i * classes + j] : 0;
      td.textContent = confusion ? String(n) : '';
      const share = rowTotal ? n / rowTotal : 0;
      td.style.backgroundColor = !n
        ? ''
        : i === j
          ? `rgba(31, 138, 76, ${(0.15 + 0.6 * share).toFixed(3)})`
          : `rgba(199, 58, 43, ${Math.min(0.8, 0.12 + 3 * share).toFixed(3)})`;
      td.title = confusion ? `${n} of ${rowTotal} test ${i}s read as ${j}` : '';
    }
  }
}

/**
 * mistakes: { count, images, labels, preds }: the first count misread test
 * digits, images a square image of bytes for each label, one after
 * another; null clears.
 */
export function setMistakes(m) {
  const box = els.mistakes;
  const count = m ? m.count : 0;
  while (box.children.length > count) box.lastChild.remove();
  if (!count) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = m
      ? 'No mistakes on the test digits checked.'
      : 'Train to see the test digits the network gets wrong.';
    box.appendChild(p);
    return;
  }
  box.querySelector('.empty')?.remove();
  const pixels = m.images.length / m.labels.length; // one image a label (the arrays may hold more than count)
  const side = Math.round(Math.sqrt(pixels));
  for (let k = 0; k < count; k++) {
    let fig = box.children[k];
    if (!fig) {
      fig = document.createElement('figure');
      fig.className = 'mistake';
      fig.setAttribute('role', 'listitem');
      const c = document.createElement('canvas');
      c.width = side;
      c.height = side;
      fig.append(c, document.createElement('figcaption'));
      box.appendChild(fig);
    }
    const label = m.labels[k],
      pred = m.preds[k];
    drawDigit(fig.firstChild, m.images.subarray(k * pixels, (k + 1) * pixels), true);
    fig.lastChild.textContent = `${label} → ${pred}`;
    fig.setAttribute('aria-label', `a ${label} read as ${pred}`);
  }
}
