// inside-weights.js: what the first layer with weights learned, as images
// (setWeights), and what a snapshot of them costs the worker (setSnapshotCost).

import { els, fmtPercent } from './ui.js';
import { POS, NEG, gridShape } from './inside-paint.js';

// At most this many images of weights.
const MAX_TILES = 256;
// A convolution's few small windows are drawn this many screen pixels a weight at most.
const FILTER_PX = 12;

/** What the last snapshot took of the worker's time (ms), sent every `every` ms. */
export function setSnapshotCost(ms, every) {
  els.snapshotCost.dataset.ms = String(ms);
  els.snapshotCost.textContent = ` (the last took ${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms of its time: ${fmtPercent(ms / every, 3)} of training)`;
}

/* The images of layer y's weights (y: C's LayerInfo): { units, per (images a unit), side, caption }, or null if they are not images. */
function tilesOf(y) {
  if (y.type === 'conv') {
    const { units: F, kernel: K } = y;
    const C = y.input.channels;
    const more = C > 1 ? `, one square per input channel (${C}) side by side` : '';
    return {
      units: F,
      per: C,
      side: K,
      label: `The first convolution's ${F} filters, ${K} by ${K} each`,
      caption: `Each square is one filter of the first convolution (${F} filters of ${K}×${K}${more}): the weight it gives each pixel of its window, blue for positive and red for negative, each filter at its own scale.`,
    };
  }
  const side = Math.round(Math.sqrt(y.fanIn));
  if (y.type !== 'dense' || side * side !== y.fanIn) return null;
  const hidden = y.units,
    shown = Math.min(hidden, MAX_TILES);
  return {
    units: hidden,
    per: 1,
    side,
    label: `The first layer's weights, one ${side} by ${side} image per hidden unit`,
    caption: `Each square is one unit of the first hidden layer${shown < hidden ? ` (the first ${shown} of ${hidden})` : ` (${hidden} units)`}: the weight it gives each of the ${y.fanIn} input pixels, blue for positive and red for negative, each unit at its own scale.`,
  };
}

let weightsImage = null; // the canvas's ImageData, kept: its tile borders are drawn once

/**
 * The first layer with weights, as images: a dense layer over a square
 * input one per unit (its fan-in weights as a square, 784 as 28x28), a
 * convolution one per filter (its KxK window; one per filter and input
 * channel, side by side, for an input of several channels); blue for
 * positive and red for negative, each unit or filter at its own scale (its
 * largest |w| is full colour). At most MAX_TILES images. weights: that
 * layer's, layer its LayerInfo (C's net.layers), after `steps` steps.
 */
export function setWeights(weights, layer, steps) {
  const tiles = tilesOf(layer);
  if (!tiles) return;
  const { side, per } = tiles;
  const units = Math.min(tiles.units, Math.floor(MAX_TILES / per));
  const { rows: r, cols: c } = gridShape(units);
  const rows = Math.min(r, c),
    cols = Math.max(r, c) * per; // wide, for the panel; a unit's images side by side
  const tile = side + 1;
  const size = side * side;
  const canvas = els.weightsView;
  const W = cols * tile + 1,
    H = rows * tile + 1;
  const ctx = canvas.getContext('2d');
  if (
    canvas.width !== W ||
    canvas.height !== H ||
    !weightsImage ||
    weightsImage.width !== W ||
    weightsImage.height !== H
  ) {
    canvas.width = W;
    canvas.height = H;
    weightsImage = ctx.createImageData(W, H);
    const d = weightsImage.data;
    d.fill(255);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (x % tile && y % tile) continue;
        const k = (y * W + x) * 4;
        d[k] = d[k + 1] = d[k + 2] = 214;
      }
    }
  }
  // a convolution's windows are few and small: drawn large, not across the panel
  canvas.style.maxWidth = layer.type === 'conv' ? `${W * FILTER_PX}px` : '';
  if (els.weightsCaption.textContent !== tiles.caption) {
    els.weightsCaption.textContent = tiles.caption;
    canvas.setAttribute('aria-label', tiles.label);
  }
  const d = weightsImage.data;
  for (let u = 0; u < units; u++) {
    const at = u * per * size; // a unit's weights: per images of side x side
    let s = 0;
    for (let i = 0; i < per * size; i++) {
      const a = Math.abs(weights[at + i]);
      if (a > s) s = a;
    }
    const inv = s ? 1 / s : 1;
    for (let q = 0; q < per; q++) {
      const t0 = u * per + q;
      const ox = (t0 % cols) * tile + 1,
        oy = Math.floor(t0 / cols) * tile + 1;
      for (let y = 0; y < side; y++) {
        let k = ((oy + y) * W + ox) * 4;
        for (let x = 0; x < side; x++, k += 4) {
          const w = weights[at + q * size + y * side + x] * inv;
          const to = w >= 0 ? POS : NEG,
            t = w >= 0 ? w : -w;
          d[k] = 255 + (to[0] - 255) * t;
          d[k + 1] = 255 + (to[1] - 255) * t;
          d[k + 2] = 255 + (to[2] - 255) * t;
        }
      }
    }
  }
  ctx.putImageData(weightsImage, 0, 0);
  canvas.dataset.steps = String(steps); // the network's step count it shows
}
