// inside-maps.js: a convolution's or pooling's output in the inside view,
// one small image per channel (Maps), with a cursor the pointer and the
// keyboard move. ForwardView (inside-forward.js) places and feeds it.

import { INK, mix, paint } from './inside-paint.js';

// A feature map's side on screen, about MAP_PX CSS pixels at a whole number
// of pixels per value; at most MAPS_WIDE px of maps side by side (a phone).
const MAP_PX = 40;
const MAP_GAP = 2;
const MAPS_WIDE = 320;
// The keys the maps take: the coordinate each moves and by how much
// (-Infinity, Infinity: to the first or the last).
const KEY_MOVES = {
  ArrowRight: ['col', 1],
  ArrowLeft: ['col', -1],
  ArrowDown: ['row', 1],
  ArrowUp: ['row', -1],
  PageDown: ['map', 1],
  PageUp: ['map', -1],
  Home: ['map', -Infinity],
  End: ['map', Infinity],
};

/**
 * A convolution's or pooling's output as small images, one per channel
 * (its maps), drawn from values laid out rows x cols x channels with the
 * channel fastest: value (y * cols + x) * channels + c is map c at row y,
 * column x. One tab stop for the layer: the arrow keys move in a map,
 * Page Up and Page Down (Home, End: the first and the last) go from map to
 * map, and a cursor marks the value the readout names.
 */
export class Maps {
  constructor(shape, l, name) {
    const { rows, cols, channels } = shape;
    this.shape = shape;
    this.scale = Math.max(1, Math.round(MAP_PX / Math.max(rows, cols)));
    const w = cols * this.scale,
      h = rows * this.scale;
    const across = Math.max(
      1,
      Math.min(channels, Math.ceil(Math.sqrt(2 * channels)), Math.floor(MAPS_WIDE / (w + MAP_GAP))),
    );
    this.group = document.createElement('div');
    this.group.className = 'fw-mapgrid';
    this.group.setAttribute('role', 'group');
    this.group.setAttribute('aria-label', name);
    this.group.tabIndex = 0;
    this.group.dataset.l = String(l);
    this.group.style.gridTemplateColumns = `repeat(${across}, ${w}px)`;
    this.canvases = [];
    for (let c = 0; c < channels; c++) {
      const canvas = document.createElement('canvas');
      canvas.width = cols;
      canvas.height = rows;
      canvas.className = 'pixels';
      canvas.dataset.map = String(c);
      canvas.setAttribute('aria-hidden', 'true');
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
      this.canvases.push(canvas);
    }
    this.cursor = document.createElement('span');
    this.cursor.className = 'fw-cursor';
    this.cursor.hidden = true;
    this.group.append(...this.canvases, this.cursor);
    this.active = 0; // the value the keyboard is on: an index into the layer's values
  }

  draw(v, range) {
    const { rows, cols, channels } = this.shape;
    this.canvases.forEach((canvas, c) => {
      const ctx = canvas.getContext('2d');
      const img = ctx.createImageData(cols, rows);
      for (let p = 0; p < rows * cols; p++) {
        if (v) paint(v[p * channels + c], range, img.data, p * 4);
        else mix(INK, 0, img.data, p * 4);
      }
      ctx.putImageData(img, 0, 0);
    });
  }

  /** { map, row, col } of value i. */
  where(i) {
    const { cols, channels } = this.shape;
    const p = Math.floor(i / channels);
    return { map: i % channels, row: Math.floor(p / cols), col: p % cols };
  }

  index(map, row, col) {
    const { cols, channels } = this.shape;
    return (row * cols + col) * channels + map;
  }

  /** The value under a pointer event on one of the maps, or -1. */
  at(e) {
    const canvas = e.target.closest?.('canvas[data-map]');
    if (!canvas || canvas.parentNode !== this.group) return -1;
    const r = canvas.getBoundingClientRect();
    const row = Math.min(
      this.shape.rows - 1,
      Math.max(0, Math.floor(((e.clientY - r.top) / r.height) * this.shape.rows)),
    );
    const col = Math.min(
      this.shape.cols - 1,
      Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * this.shape.cols)),
    );
    return this.index(Number(canvas.dataset.map), row, col);
  }

  /** Marks value i (or none, -1). */
  mark(i) {
    this.cursor.hidden = i < 0;
    if (i < 0) return;
    const { map, row, col } = this.where(i);
    const canvas = this.canvases[map];
    Object.assign(this.cursor.style, {
      left: `${canvas.offsetLeft + col * this.scale}px`,
      top: `${canvas.offsetTop + row * this.scale}px`,
      width: `${this.scale}px`,
      height: `${this.scale}px`,
    });
  }

  /** The value a key moves to from the active one, or null for a key it does not take. */
  step(key) {
    const move = KEY_MOVES[key];
    if (!move) return null;
    const [axis, by] = move;
    const { rows, cols, channels } = this.shape;
    const last = { map: channels - 1, row: rows - 1, col: cols - 1 }[axis];
    const at = { ...this.where(this.active) };
    at[axis] = Math.min(last, Math.max(0, at[axis] + by));
    return this.index(at.map, at.row, at.col);
  }
}
