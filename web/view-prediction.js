// view-prediction.js: what the network reads in the pad's drawing: the
// input it sees and the probability bar of each digit.

import { els, drawDigit, fmtPercent } from './ui.js';

// The bars before any probabilities come (the page's data sets are digits).
const DIGITS = 10;

let probRows = null;

/* A bar for each of n classes: its digit, its track and fill, its percent. */
function buildProbabilities(n) {
  const list = els.probabilities;
  list.textContent = '';
  probRows = [];
  for (let d = 0; d < n; d++) {
    const li = document.createElement('li');
    const digit = document.createElement('span');
    digit.className = 'digit';
    digit.textContent = String(d);
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.className = 'fill';
    track.appendChild(fill);
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = '–';
    li.append(digit, track, pct);
    list.appendChild(li);
    probRows.push({ li, fill, pct });
  }
}

/** probs: a probability for each class (digit), or null for an empty pad. */
export function setPrediction(probs) {
  const classes = probs ? probs.length : (probRows?.length ?? DIGITS);
  if (probRows?.length !== classes) buildProbabilities(classes);
  let best = -1;
  if (probs) for (let d = 0; d < classes; d++) if (best < 0 || probs[d] > probs[best]) best = d;
  for (let d = 0; d < classes; d++) {
    const { li, fill, pct } = probRows[d];
    const p = probs ? probs[d] : 0;
    fill.style.transform = `scaleX(${p.toFixed(4)})`;
    pct.textContent = probs ? fmtPercent(p) : '–';
    li.classList.toggle('best', d === best);
  }
  els.prediction.dataset.digit = best >= 0 ? String(best) : '';
  els.prediction.textContent = best >= 0 ? String(best) : '–';
}

/** The input the network sees (white on black, as MNIST; its canvas is the input's size), or blank. */
export function setInputView(input) {
  const canvas = els.inputView;
  if (input) drawDigit(canvas, input, false);
  else canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}
