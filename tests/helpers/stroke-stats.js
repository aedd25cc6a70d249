// stroke-stats.js: how MNIST's digits are drawn, measured, next to the same
// measures of the pad's preprocessing of our stroke set: the figures behind
// the pen width in web/pad.js. Run it: `node tests/helpers/stroke-stats.js`.
//
// Per 28x28 digit (pixels v in 0..1):
//   ink     the sum of v
//   width   stroke width: ink / skeleton length (the skeleton: Zhang-Suen
//           thinning of the pixels with v >= 0.5; its length counts a
//           horizontal or vertical step 1 and a diagonal one sqrt 2)
//   solid   of the pixels with any ink, the share with v >= 0.99
//   pixels  how many pixels have any ink
//   box     the larger side of the box of the pixels with any ink
//   cx, cy  centre of mass, in pixel indices
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const W = 28;
const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/data');

/** Zhang-Suen thinning of a 28x28 0/1 image; returns the skeleton (0/1). */
export function thin(bits) {
  const s = Uint8Array.from(bits);
  const at = (x, y) => (x < 0 || y < 0 || x >= W || y >= W ? 0 : s[y * W + x]);
  for (let changed = true; changed;) {
    changed = false;
    for (const pass of [0, 1]) {
      const del = [];
      for (let y = 0; y < W; y++) {
        for (let x = 0; x < W; x++) {
          if (!s[y * W + x]) continue;
          // p[0..7]: N, NE, E, SE, S, SW, W, NW
          const p = [
            at(x, y - 1),
            at(x + 1, y - 1),
            at(x + 1, y),
            at(x + 1, y + 1),
            at(x, y + 1),
            at(x - 1, y + 1),
            at(x - 1, y),
            at(x - 1, y - 1),
          ];
          const b = p.reduce((a, c) => a + c, 0);
          if (b < 2 || b > 6) continue;
          let a = 0;
          for (let i = 0; i < 8; i++) if (!p[i] && p[(i + 1) % 8]) a++;
          if (a !== 1) continue;
          if (
            pass === 0
              ? (p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])
              : (p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6])
          )
            continue;
          del.push(y * W + x);
        }
      }
      for (const i of del) s[i] = 0;
      if (del.length) changed = true;
    }
  }
  return s;
}

/** Length of a skeleton: its links, 1 for a side step, sqrt 2 for a diagonal one not already joined by side steps. */
export function skeletonLength(s) {
  let len = 0;
  const on = (x, y) => x >= 0 && y >= 0 && x < W && y < W && s[y * W + x];
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      if (!s[y * W + x]) continue;
      const right = on(x + 1, y),
        down = on(x, y + 1);
      len += (right ? 1 : 0) + (down ? 1 : 0);
      if (on(x + 1, y + 1) && !right && !down) len += Math.SQRT2;
      if (on(x - 1, y + 1) && !on(x - 1, y) && !down) len += Math.SQRT2;
    }
  }
  return len;
}

/** The measures of one 28x28 digit (784 values in 0..1). */
export function measure(v) {
  let ink = 0,
    pixels = 0,
    solid = 0,
    mx = 0,
    my = 0,
    x0 = W,
    x1 = -1,
    y0 = W,
    y1 = -1;
  const bits = new Uint8Array(W * W);
  for (let i = 0; i < W * W; i++) {
    const x = i % W,
      y = (i - x) / W;
    ink += v[i];
    mx += v[i] * x;
    my += v[i] * y;
    if (v[i] > 0) {
      pixels++;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
    if (v[i] >= 0.99) solid++;
    if (v[i] >= 0.5) bits[i] = 1;
  }
  const len = skeletonLength(thin(bits));
  return {
    ink,
    width: len > 0 ? ink / len : NaN,
    solid: pixels ? solid / pixels : NaN,
    pixels,
    box: Math.max(x1 - x0 + 1, y1 - y0 + 1),
    cx: mx / ink,
    cy: my / ink,
  };
}

/** Mean, median and 10th and 90th percentiles of each measure over many digits. */
export function summary(images) {
  const all = images.map(measure);
  const out = {};
  for (const key of Object.keys(all[0])) {
    const xs = all
      .map((m) => m[key])
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const q = (f) => xs[Math.min(xs.length - 1, Math.floor(xs.length * f))];
    out[key] = { mean: xs.reduce((a, b) => a + b, 0) / xs.length, median: q(0.5), p10: q(0.1), p90: q(0.9) };
  }
  return out;
}

/** The digits of web/data (both files of a pair: 'train', 't10k'), as Float32Array(784)s in 0..1. */
export function mnistDigits(prefixes = ['train', 't10k']) {
  const out = [];
  for (const prefix of prefixes) {
    const b = gunzipSync(readFileSync(path.join(DATA, `${prefix}-images-idx3-ubyte.gz`)));
    const n = b.readUInt32BE(4),
      start = 16;
    for (let i = 0; i < n; i++) {
      const img = new Float32Array(W * W);
      for (let k = 0; k < W * W; k++) img[k] = b[start + i * W * W + k] / 255;
      out.push(img);
    }
  }
  return out;
}

const fmt = (s) =>
  Object.entries(s)
    .map(
      ([k, v]) =>
        `${k.padEnd(6)} ${v.mean.toFixed(2).padStart(7)}  (median ${v.median.toFixed(2)}, 10-90% ${v.p10.toFixed(2)}-${v.p90.toFixed(2)})`,
    )
    .join('\n  ');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { preprocess, PEN, EDGE } = await import('../../web/pad.js');
  const { drawings } = await import('./strokes.js');
  const mnist = mnistDigits();
  console.log(`MNIST (web/data, ${mnist.length} digits):\n  ${fmt(summary(mnist))}`);
  const pad = drawings().map((d) => preprocess(d.strokes.map((s) => s.map(([x, y]) => ({ x: x * 280, y: y * 280 })))));
  console.log(
    `the pad, PEN ${PEN}, EDGE ${EDGE} (tests/helpers/strokes.js, ${pad.length} drawings):\n  ${fmt(summary(pad))}`,
  );
}
