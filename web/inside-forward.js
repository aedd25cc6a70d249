// inside-forward.js: the inside view's forward pass of a drawing, layer by
// layer (ForwardView): the input, each dense layer and the outputs as grids
// of cells, each convolution and pooling as its maps (inside-maps.js), and
// a readout of the value pointed at or focused. Shapes are C's (net.layers).

import { fmtPercent } from './ui.js';
import { INK, mix, rgb, paint, rangeOf, gridShape } from './inside-paint.js';
import { Maps } from './inside-maps.js';

// A value as the readout says it: three decimals, or fewer digits for a large or tiny one.
const fmtValue = (v) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(3) : v.toExponential(1);

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
