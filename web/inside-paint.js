// inside-paint.js: how the inside views draw values: a value's colour over
// its layer's range (mix, paint, rangeOf) and n cells laid out as a grid
// (gridShape, which the backpropagation view uses too).

// Colours: a value's share of its range goes from the empty colour to ink
// (or, for signed values, to blue above zero and red below).
const EMPTY = [243, 245, 249];
export const INK = [20, 44, 110];
export const POS = [36, 87, 214];
export const NEG = [199, 58, 43];

/* Colour `to` at share t (0..1) of the way from the empty colour, into out at k (RGBA). */
export function mix(to, t, out, k) {
  out[k] = EMPTY[0] + (to[0] - EMPTY[0]) * t;
  out[k + 1] = EMPTY[1] + (to[1] - EMPTY[1]) * t;
  out[k + 2] = EMPTY[2] + (to[2] - EMPTY[2]) * t;
  out[k + 3] = 255;
}

/* An RGB colour as CSS. */
export const rgb = (c) => `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;

/**
 * Rows and columns for n cells: the columns the largest divisor of n that
 * is at most sqrt(n) (128 -> 16 x 8, 64 -> 8 x 8), or a near square with
 * blank cells when that is too thin (a prime n).
 */
export function gridShape(n) {
  let cols = Math.floor(Math.sqrt(n));
  while (cols > 1 && n % cols) cols--;
  if (n / cols > 4 * cols) cols = Math.ceil(Math.sqrt(n));
  return { rows: Math.ceil(n / cols), cols };
}

/* How a layer's values map to colours: [lo, hi] and whether signed. */
export function rangeOf(kind, activation, v) {
  if (kind === 'input' || kind === 'output' || activation === 'sigmoid') return { lo: 0, hi: 1, signed: false };
  if (activation === 'tanh') return { lo: -1, hi: 1, signed: true };
  let hi = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > hi) hi = v[i];
  return { lo: 0, hi: hi || 1, signed: false };
}

/* Value x's colour over range into out at k (RGBA). */
export function paint(x, range, out, k) {
  if (range.signed) mix(x >= 0 ? POS : NEG, Math.min(1, Math.abs(x) / range.hi), out, k);
  else mix(INK, Math.max(0, Math.min(1, (x - range.lo) / (range.hi - range.lo))), out, k);
}
