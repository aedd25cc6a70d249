// inside.js: the inside view, DOM only like ui.js: the forward pass of a
// drawing layer by layer (ForwardView) and what the first layer learned
// (its weights as images, and what a snapshot costs the worker).

import { els, fmtPercent } from './ui.js';

// Colours: a value's share of its range goes from the empty colour to ink
// (or, for signed values, to blue above zero and red below).
const EMPTY = [243, 245, 249];
const INK = [20, 44, 110];
const POS = [36, 87, 214];
const NEG = [199, 58, 43];
function mix(to, t, out, k) {
  out[k] = EMPTY[0] + (to[0] - EMPTY[0]) * t;
  out[k + 1] = EMPTY[1] + (to[1] - EMPTY[1]) * t;
  out[k + 2] = EMPTY[2] + (to[2] - EMPTY[2]) * t;
  out[k + 3] = 255;
}
const rgb = (c) => `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;

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

const fmtValue = (v) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(3) : v.toExponential(1);

/**
 * The forward pass of one drawing as one picture: the input, each hidden
 * layer and the outputs as grids of cells, drawn on canvases. Over each
 * canvas, a grid of empty cells (role=gridcell) takes the pointer and the
 * keyboard: one cell per layer is in the tab order (a roving tabindex), the
 * arrow keys, Home and End move in it; the cell pointed at or focused gets
 * its value in its aria-label and in the readout line. Nothing in the DOM
 * changes when values change, but the focused cell's label.
 */
export class ForwardView {
  constructor(root, readout) {
    this.root = root;
    this.readout = readout;
    this.layers = [];
    this.shown = null; // { layer, index } whose value the readout shows
    this.height = 128;
    root.addEventListener('pointerover', (e) => this.#point(e));
    root.addEventListener('pointerleave', () => {
      if (this.shown && !this.root.contains(document.activeElement)) this.#show(null);
    });
    root.addEventListener('focusin', (e) => this.#point(e));
    root.addEventListener('keydown', (e) => this.#key(e));
    // phone width draws it smaller: build again when the width crosses over
    window.matchMedia?.('(max-width: 520px)').addEventListener?.('change', () => {
      if (!this.sizes) return;
      const values = this.values;
      this.key = null;
      this.build(this.sizes, this.activation);
      if (values) this.set(values);
    });
  }

  /** Builds the grids for layer sizes (e.g. [784, 128, 64, 10]) and the hidden activation. */
  build(sizes, activation) {
    const key = `${sizes.join(',')}|${activation}`;
    if (key === this.key) return;
    this.key = key;
    this.sizes = sizes.slice();
    this.activation = activation;
    this.height = window.matchMedia?.('(max-width: 520px)').matches ? 112 : 128;
    this.root.textContent = '';
    this.layers = [];
    this.values = null;
    const side = Math.round(Math.sqrt(sizes[0]));
    sizes.forEach((n, l) => {
      const kind = l === 0 ? 'input' : l === sizes.length - 1 ? 'output' : 'hidden';
      const shape =
        kind === 'input' && side * side === n
          ? { rows: side, cols: side }
          : kind === 'output'
            ? { rows: n, cols: 1 }
            : gridShape(n);
      const name =
        kind === 'input'
          ? `Input, ${shape.rows} by ${shape.cols} pixels`
          : kind === 'output'
            ? `Output, ${n} digits`
            : `Hidden layer ${l}, ${n} units (${activation})`;
      if (l) {
        const arrow = document.createElement('span');
        arrow.className = 'fw-arrow';
        arrow.setAttribute('aria-hidden', 'true');
        arrow.textContent = '→';
        this.root.appendChild(arrow);
      }
      const box = document.createElement('div');
      box.className = `fw-layer fw-${kind}`;
      const cell = this.height / shape.rows;
      const w = Math.max(8, Math.round(cell * shape.cols)),
        h = this.height;
      const wrap = document.createElement('div');
      wrap.className = 'fw-wrap';
      const grid = document.createElement('div');
      grid.className = 'fw-grid';
      grid.setAttribute('role', 'grid');
      grid.setAttribute('aria-label', name);
      grid.style.width = `${w}px`;
      grid.style.height = `${h}px`;
      const canvas = document.createElement('canvas');
      canvas.setAttribute('aria-hidden', 'true');
      const dpr = window.devicePixelRatio || 1;
      if (kind === 'input') {
        canvas.width = shape.cols;
        canvas.height = shape.rows;
        canvas.classList.add('pixels');
      } else {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
      }
      const cells = document.createElement('div');
      cells.className = 'fw-cells';
      cells.style.gridTemplateColumns = `repeat(${shape.cols}, 1fr)`;
      cells.style.gridTemplateRows = `repeat(${shape.rows}, 1fr)`;
      const items = [];
      for (let r = 0; r < shape.rows; r++) {
        const row = document.createElement('div');
        row.setAttribute('role', 'row');
        row.className = 'fw-row';
        for (let c = 0; c < shape.cols; c++) {
          const i = r * shape.cols + c;
          if (i >= n) break;
          const span = document.createElement('span');
          span.setAttribute('role', 'gridcell');
          span.tabIndex = i === 0 ? 0 : -1;
          span.dataset.l = String(l);
          span.dataset.i = String(i);
          span.style.gridRow = String(r + 1);
          span.style.gridColumn = String(c + 1);
          row.appendChild(span);
          items.push(span);
        }
        cells.appendChild(row);
      }
      grid.append(canvas, cells);
      wrap.appendChild(grid);
      if (kind === 'output') {
        const digits = document.createElement('div');
        digits.className = 'fw-digits';
        digits.setAttribute('aria-hidden', 'true');
        digits.style.height = `${h}px`;
        for (let d = 0; d < n; d++) {
          const s = document.createElement('span');
          s.textContent = String(d);
          digits.appendChild(s);
        }
        wrap.appendChild(digits);
      }
      const label = document.createElement('span');
      label.className = 'fw-name';
      label.textContent =
        kind === 'input'
          ? `Input\n${shape.rows}×${shape.cols}`
          : kind === 'output'
            ? 'Output\n10'
            : `Hidden ${l}\n${n}`;
      box.append(wrap, label);
      this.root.appendChild(box);
      this.layers.push({ n, kind, shape, canvas, cells: items, name, active: 0 });
    });
    this.draw();
  }

  /** values: [input (784, 0..1), ...the activations of each layer after it], or null for an empty pad. */
  set(values) {
    this.values = values;
    this.draw();
    this.root.dataset.updated = String((Number(this.root.dataset.updated) || 0) + 1);
    if (this.shown) this.#show(this.shown);
  }

  /* The range a layer's values are drawn over: [lo, hi] and whether signed. */
  #range(l, v) {
    const kind = this.layers[l].kind;
    if (kind === 'input' || kind === 'output' || this.activation === 'sigmoid') return { lo: 0, hi: 1, signed: false };
    if (this.activation === 'tanh') return { lo: -1, hi: 1, signed: true };
    let hi = 0;
    for (let i = 0; i < v.length; i++) if (v[i] > hi) hi = v[i];
    return { lo: 0, hi: hi || 1, signed: false };
  }

  draw() {
    const out = [0, 0, 0, 0];
    this.layers.forEach((layer, l) => {
      const v = this.values?.[l];
      const ctx = layer.canvas.getContext('2d');
      const { rows, cols } = layer.shape;
      if (layer.kind === 'input') {
        const img = ctx.createImageData(cols, rows);
        for (let i = 0; i < layer.n; i++) mix(INK, v ? v[i] : 0, img.data, i * 4);
        ctx.putImageData(img, 0, 0);
        return;
      }
      const W = layer.canvas.width,
        H = layer.canvas.height;
      const cw = W / cols,
        ch = H / rows,
        gap = cw >= 4 && ch >= 4 ? 1 : 0;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, W, H);
      const range = v ? this.#range(l, v) : null;
      let best = -1;
      if (v && layer.kind === 'output') for (let i = 0; i < v.length; i++) if (best < 0 || v[i] > v[best]) best = i;
      for (let i = 0; i < layer.n; i++) {
        let t = 0,
          to = INK;
        if (v) {
          const x = v[i];
          if (range.signed) {
            t = Math.min(1, Math.abs(x) / range.hi);
            to = x >= 0 ? POS : NEG;
          } else t = Math.max(0, Math.min(1, (x - range.lo) / (range.hi - range.lo)));
        }
        mix(to, t, out, 0);
        ctx.fillStyle = rgb(out);
        const r = Math.floor(i / cols),
          c = i % cols;
        const x0 = Math.round(c * cw),
          y0 = Math.round(r * ch);
        ctx.fillRect(x0, y0, Math.round((c + 1) * cw) - x0 - gap, Math.round((r + 1) * ch) - y0 - gap);
      }
      if (best >= 0) {
        ctx.strokeStyle = '#2457d6';
        ctx.lineWidth = Math.max(2, Math.round(cw / 6));
        const y0 = Math.round(best * ch);
        ctx.strokeRect(
          ctx.lineWidth / 2,
          y0 + ctx.lineWidth / 2,
          W - ctx.lineWidth,
          Math.round(ch) - gap - ctx.lineWidth,
        );
      }
    });
  }

  /* The words for a cell's value. */
  #describe(l, i) {
    const layer = this.layers[l];
    const v = this.values?.[l];
    const value = v ? v[i] : null;
    let where;
    if (layer.kind === 'input')
      where = `Input pixel row ${Math.floor(i / layer.shape.cols) + 1}, column ${(i % layer.shape.cols) + 1}`;
    else if (layer.kind === 'output') where = `Output ${i}`;
    else where = `Hidden layer ${l}, unit ${i + 1} of ${layer.n}`;
    if (value === null) return `${where}: no drawing yet`;
    return layer.kind === 'output'
      ? `${where}: ${fmtPercent(value)} (${fmtValue(value)})`
      : `${where}: ${fmtValue(value)}`;
  }

  #show(at) {
    this.shown = at;
    if (!at) {
      this.readout.textContent = 'Hover over a cell, or Tab to a layer and use the arrow keys, to see its value.';
      return;
    }
    const text = this.#describe(at.l, at.i);
    this.readout.textContent = text;
    const cell = this.layers[at.l]?.cells[at.i];
    if (cell && cell === document.activeElement) cell.setAttribute('aria-label', text);
  }

  #point(e) {
    const cell = e.target.closest?.('[role=gridcell]');
    if (!cell || !this.root.contains(cell)) return;
    const l = Number(cell.dataset.l),
      i = Number(cell.dataset.i);
    if (e.type === 'focusin') {
      const layer = this.layers[l];
      if (layer.active !== i) {
        layer.cells[layer.active].tabIndex = -1;
        cell.tabIndex = 0;
        layer.active = i;
      }
      cell.setAttribute('aria-label', this.#describe(l, i));
    }
    this.#show({ l, i });
  }

  #key(e) {
    const cell = e.target.closest?.('[role=gridcell]');
    if (!cell) return;
    const l = Number(cell.dataset.l),
      i = Number(cell.dataset.i);
    const layer = this.layers[l];
    const { cols } = layer.shape;
    const r = Math.floor(i / cols),
      c = i % cols;
    let j = null;
    switch (e.key) {
      case 'ArrowRight':
        j = c + 1 < cols && i + 1 < layer.n ? i + 1 : i;
        break;
      case 'ArrowLeft':
        j = c > 0 ? i - 1 : i;
        break;
      case 'ArrowDown':
        j = i + cols < layer.n ? i + cols : i;
        break;
      case 'ArrowUp':
        j = r > 0 ? i - cols : i;
        break;
      case 'Home':
        j = e.ctrlKey ? 0 : r * cols;
        break;
      case 'End':
        j = e.ctrlKey ? layer.n - 1 : Math.min(layer.n - 1, r * cols + cols - 1);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (j !== i) layer.cells[j].focus();
  }
}

/**
 * The first layer's weights: one small image per hidden unit (its 784
 * weights as 28x28), blue for positive and red for negative, each unit at
 * its own scale (its largest |w| is full colour). At most MAX_UNITS units.
 */
const MAX_UNITS = 256;

/** What the last snapshot took of the worker's time (ms), sent every `every` ms. */
export function setSnapshotCost(ms, every) {
  els.snapshotCost.dataset.ms = String(ms);
  els.snapshotCost.textContent = ` (the last took ${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms of its time: ${fmtPercent(ms / every, 3)} of training)`;
}

let weightsImage = null; // the canvas's ImageData, kept: its tile borders are drawn once
export function setWeights(weights, hidden, inputs, steps) {
  const side = Math.round(Math.sqrt(inputs));
  if (side * side !== inputs) return;
  const units = Math.min(hidden, MAX_UNITS);
  const { rows: r, cols: c } = gridShape(units);
  const rows = Math.min(r, c),
    cols = Math.max(r, c); // wide, for the panel
  const tile = side + 1;
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
  const caption = `Each square is one unit of the first hidden layer${units < hidden ? ` (the first ${units} of ${hidden})` : ` (${hidden} units)`}: the weight it gives each of the ${inputs} input pixels, blue for positive and red for negative, each unit at its own scale.`;
  if (els.weightsCaption.textContent !== caption) els.weightsCaption.textContent = caption;
  const d = weightsImage.data;
  for (let u = 0; u < units; u++) {
    const at = u * inputs;
    let s = 0;
    for (let i = 0; i < inputs; i++) {
      const a = Math.abs(weights[at + i]);
      if (a > s) s = a;
    }
    const inv = s ? 1 / s : 1;
    const ox = (u % cols) * tile + 1,
      oy = Math.floor(u / cols) * tile + 1;
    for (let y = 0; y < side; y++) {
      let k = ((oy + y) * W + ox) * 4;
      for (let x = 0; x < side; x++, k += 4) {
        const w = weights[at + y * side + x] * inv;
        const to = w >= 0 ? POS : NEG,
          t = w >= 0 ? w : -w;
        d[k] = 255 + (to[0] - 255) * t;
        d[k + 1] = 255 + (to[1] - 255) * t;
        d[k + 2] = 255 + (to[2] - 255) * t;
      }
    }
  }
  ctx.putImageData(weightsImage, 0, 0);
  canvas.dataset.steps = String(steps); // the network's step count it shows
}
