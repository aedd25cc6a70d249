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

/* How a layer's values map to colours: [lo, hi] and whether signed. */
function rangeOf(kind, activation, v) {
  if (kind === 'input' || kind === 'output' || activation === 'sigmoid') return { lo: 0, hi: 1, signed: false };
  if (activation === 'tanh') return { lo: -1, hi: 1, signed: true };
  let hi = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > hi) hi = v[i];
  return { lo: 0, hi: hi || 1, signed: false };
}

/* Value x's colour over range into out at k (RGBA). */
function paint(x, range, out, k) {
  if (range.signed) mix(x >= 0 ? POS : NEG, Math.min(1, Math.abs(x) / range.hi), out, k);
  else mix(INK, Math.max(0, Math.min(1, (x - range.lo) / (range.hi - range.lo))), out, k);
}

// A feature map's side on screen, about MAP_PX CSS pixels at a whole number
// of pixels per value; at most MAPS_WIDE px of maps side by side (a phone).
const MAP_PX = 40;
const MAP_GAP = 2;
const MAPS_WIDE = 320;

/**
 * A convolution's or pooling's output as small images, one per channel
 * (its maps), drawn from values laid out rows x cols x channels with the
 * channel fastest: value (y * cols + x) * channels + c is map c at row y,
 * column x. One tab stop for the layer: the arrow keys move in a map,
 * Page Up and Page Down (Home, End: the first and the last) go from map to
 * map, and a cursor marks the value the readout names.
 */
class Maps {
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
    const { rows, cols, channels } = this.shape;
    let { map, row, col } = this.where(this.active);
    switch (key) {
      case 'ArrowRight':
        col = Math.min(cols - 1, col + 1);
        break;
      case 'ArrowLeft':
        col = Math.max(0, col - 1);
        break;
      case 'ArrowDown':
        row = Math.min(rows - 1, row + 1);
        break;
      case 'ArrowUp':
        row = Math.max(0, row - 1);
        break;
      case 'PageDown':
        map = Math.min(channels - 1, map + 1);
        break;
      case 'PageUp':
        map = Math.max(0, map - 1);
        break;
      case 'Home':
        map = 0;
        break;
      case 'End':
        map = channels - 1;
        break;
      default:
        return null;
    }
    return this.index(map, row, col);
  }
}

/** A layer's name in the layers grammar, from C's LayerInfo: conv5x8, pool2, or a dense layer's units. */
export function layerName(y) {
  if (y.type === 'conv') return `conv${y.kernel}x${y.units}`;
  if (y.type === 'pool') return `pool${y.kernel}`;
  return String(y.units);
}

/* The view's layers from C's (net.layers: LayerInfo, each layer after the
 * input): the input, then each layer, as { kind: 'input' | 'dense' |
 * 'conv' | 'pool', rows, cols, channels, size, item (its name) }. */
function viewLayers(layers) {
  const entry = (kind, s, item) => ({ kind, ...s, size: s.rows * s.cols * s.channels, item });
  return [entry('input', layers[0].input, 'input'), ...layers.map((y) => entry(y.type, y.output, layerName(y)))];
}

/* What the view shows of a layer (viewLayers): kind input, hidden (a dense
 * layer), maps (a convolution or pooling) or output, and the grid its cells take. */
function viewOf(y, l, last) {
  if (l === 0) {
    const side = Math.round(Math.sqrt(y.size));
    const image = y.rows > 1 && y.rows * y.cols === y.size;
    const shape = image ? { rows: y.rows, cols: y.cols } : side * side === y.size ? { rows: side, cols: side } : null;
    return shape ? { kind: 'input', shape } : { kind: 'hidden', shape: gridShape(y.size) };
  }
  if (l === last) return { kind: 'output', shape: { rows: y.size, cols: 1 } };
  if (y.kind === 'conv' || y.kind === 'pool')
    return { kind: 'maps', shape: { rows: y.rows, cols: y.cols, channels: y.channels } };
  return { kind: 'hidden', shape: gridShape(y.size) };
}

/**
 * The forward pass of one drawing as one picture: the input, each dense
 * hidden layer and the outputs as grids of cells, drawn on canvases, and
 * each convolution and pooling as its maps (Maps). Over each grid's
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
    this.shown = null; // { l, i }: layer l's value i, which the readout names
    this.height = 128;
    root.addEventListener('pointerover', (e) => this.#point(e));
    root.addEventListener('pointermove', (e) => this.#pointMaps(e));
    root.addEventListener('pointerleave', () => {
      for (const layer of this.layers)
        if (layer.maps && layer.maps.group !== document.activeElement) layer.maps.mark(-1);
      if (this.shown && !this.root.contains(document.activeElement)) this.#show(null);
    });
    root.addEventListener('focusin', (e) => this.#point(e));
    root.addEventListener('focusout', (e) => {
      const l = e.target.dataset?.l;
      if (e.target.classList?.contains('fw-mapgrid')) this.layers[Number(l)]?.maps.mark(-1);
    });
    root.addEventListener('keydown', (e) => this.#key(e));
    // phone width draws it smaller: build again when the width crosses over
    window.matchMedia?.('(max-width: 520px)').addEventListener?.('change', () => {
      if (!this.info) return;
      const values = this.values;
      this.key = null;
      this.build(this.info, this.activation);
      if (values) this.set(values);
    });
  }

  /**
   * Builds the view for a network's layers (C's net.layers: LayerInfo for
   * each layer after the input, shapes as C works them out) and its hidden
   * activation. null: layers not known; the first values set then show
   * each layer as a grid of cells.
   */
  build(layers, activation) {
    const key = `${JSON.stringify(layers)}|${activation}`;
    if (key === this.key) return;
    this.key = key;
    this.info = layers?.length ? layers : null;
    this.shapes = this.info ? viewLayers(this.info) : null;
    const shapes = this.shapes;
    this.activation = activation;
    this.height = window.matchMedia?.('(max-width: 520px)').matches ? 112 : 128;
    this.root.textContent = '';
    this.layers = [];
    this.values = null;
    this.shown = null;
    (shapes ?? []).forEach((y, l) => this.#add(y, l, shapes.length - 1));
    this.draw();
  }

  /* Adds layer l (shape y; the output is layer last). */
  #add(y, l, last) {
    const { kind, shape } = viewOf(y, l, last);
    const n = y.size;
    const name =
      kind === 'input'
        ? `Input, ${shape.rows} by ${shape.cols} pixels`
        : kind === 'output'
          ? `Output, ${n} digits`
          : kind === 'maps'
            ? `Layer ${l}, ${y.item}: ${shape.channels} maps of ${shape.rows} by ${shape.cols}${y.kind === 'conv' ? ` (${this.activation})` : ''}`
            : `Hidden layer ${l}, ${n} units (${this.activation})`;
    if (l) {
      const arrow = document.createElement('span');
      arrow.className = 'fw-arrow';
      arrow.setAttribute('aria-hidden', 'true');
      arrow.textContent = '→';
      this.root.appendChild(arrow);
    }
    const box = document.createElement('div');
    box.className = `fw-layer fw-${kind}`;
    const label = document.createElement('span');
    label.className = 'fw-name';
    if (kind === 'maps') {
      const maps = new Maps(shape, l, name);
      label.textContent = `${y.item}\n${shape.channels} × ${shape.rows}×${shape.cols}`;
      box.append(maps.group, label);
      this.root.appendChild(box);
      this.layers.push({ n, kind, shape, maps, item: y.item, name, active: 0 });
      return;
    }
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
    label.textContent =
      kind === 'input'
        ? `Input\n${shape.rows}×${shape.cols}`
        : kind === 'output'
          ? `Output\n${n}`
          : `Hidden ${l}\n${n}`;
    box.append(wrap, label);
    this.root.appendChild(box);
    this.layers.push({ n, kind, shape, canvas, cells: items, name, active: 0 });
  }

  /**
   * values: [input (0..1), ...the activations of each layer after it], or
   * null for an empty pad. Values that do not fit the layers built (an
   * answer about a network since replaced) are not drawn.
   */
  set(values) {
    if (values && !this.shapes) {
      // shapes not known: each layer as a grid of its values
      const last = values.length - 1;
      values.forEach((v, l) => this.#add({ kind: l ? 'dense' : 'input', size: v.length, rows: 1, cols: 1 }, l, last));
      this.shapes = [];
    }
    if (values && (values.length !== this.layers.length || values.some((v, l) => v.length !== this.layers[l].n)))
      return;
    this.values = values;
    this.draw();
    this.root.dataset.updated = String((Number(this.root.dataset.updated) || 0) + 1);
    if (this.shown) this.#show(this.shown);
  }

  draw() {
    const out = [0, 0, 0, 0];
    this.layers.forEach((layer, l) => {
      const v = this.values?.[l];
      const range = v ? rangeOf(layer.kind, this.activation, v) : null;
      if (layer.kind === 'maps') {
        layer.maps.draw(v, range);
        return;
      }
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
      let best = -1;
      if (v && layer.kind === 'output') for (let i = 0; i < v.length; i++) if (best < 0 || v[i] > v[best]) best = i;
      for (let i = 0; i < layer.n; i++) {
        if (v) paint(v[i], range, out, 0);
        else mix(INK, 0, out, 0);
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

  /* The words for a value. */
  #describe(l, i) {
    const layer = this.layers[l];
    const v = this.values?.[l];
    const value = v ? v[i] : null;
    let where;
    if (layer.kind === 'input')
      where = `Input pixel row ${Math.floor(i / layer.shape.cols) + 1}, column ${(i % layer.shape.cols) + 1}`;
    else if (layer.kind === 'output') where = `Output ${i}`;
    else if (layer.kind === 'maps') {
      const { map, row, col } = layer.maps.where(i);
      where = `Layer ${l} (${layer.item}), map ${map + 1} of ${layer.shape.channels}, row ${row + 1}, column ${col + 1}`;
    } else where = `Hidden layer ${l}, unit ${i + 1} of ${layer.n}`;
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
    const cell = this.layers[at.l]?.cells?.[at.i];
    if (cell && cell === document.activeElement) cell.setAttribute('aria-label', text);
  }

  #point(e) {
    const group = e.target.closest?.('.fw-mapgrid');
    if (group && e.type === 'focusin' && e.target === group) {
      const l = Number(group.dataset.l);
      const { maps } = this.layers[l];
      maps.mark(maps.active);
      this.#show({ l, i: maps.active });
      return;
    }
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

  /* The pointer over a layer's maps: the value under it. */
  #pointMaps(e) {
    const group = e.target.closest?.('.fw-mapgrid');
    if (!group) return;
    const l = Number(group.dataset.l);
    const { maps } = this.layers[l] ?? {};
    const i = maps?.at(e) ?? -1;
    if (i < 0) return;
    maps.mark(i);
    this.#show({ l, i });
  }

  #key(e) {
    const group = e.target.closest?.('.fw-mapgrid');
    if (group && e.target === group) {
      const l = Number(group.dataset.l);
      const { maps } = this.layers[l];
      const j = maps.step(e.key);
      if (j === null) return;
      e.preventDefault();
      maps.active = j;
      maps.mark(j);
      this.#show({ l, i: j });
      return;
    }
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
 * The first layer with weights, as images: a dense layer over a square
 * input one per unit (its 784 weights as 28x28), a convolution one per
 * filter (its KxK window; one per filter and input channel, side by side,
 * for an input of several channels); blue for positive and red for
 * negative, each unit or filter at its own scale (its largest |w| is full
 * colour). At most MAX_TILES images.
 */
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

/** weights: the first weighted layer's (layer: its LayerInfo, C's net.layers), after `steps` steps. */
let weightsImage = null; // the canvas's ImageData, kept: its tile borders are drawn once
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
