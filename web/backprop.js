// backprop.js: the panel "Backpropagation: one step of learning", DOM only.
// For the drawing on the pad (with the label the person presses) or a test
// digit from the gallery (with its true label) it walks, by Next and Back,
// through the forward pass layer by layer, the loss, the backward pass from
// the output to the first layer, and the update on a copy, with the
// formula of a focused unit and the gradient check. The numbers are the
// worker's (backprop-worker.js, the API's net.gradients and friends).

import { gridShape } from './inside-paint.js';
import { unitFormula, fmt } from './backprop-formula.js';

const $ = (id) => document.getElementById(id);
const POS = [36, 87, 214];
const NEG = [199, 58, 43];
const INK = [20, 44, 110];
const PAPER = [248, 249, 252];
const CELL = 6; // CSS pixels of a value in the grids, at most
const maxAbs = (v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/* t in [-1, 1] to a diverging colour (blue above zero, red below), or in [0, 1] to ink. */
function colour(t, signed, out, k) {
  const to = signed ? (t >= 0 ? POS : NEG) : INK,
    a = Math.min(1, Math.abs(t));
  for (let c = 0; c < 3; c++) out[k + c] = PAPER[c] + (to[c] - PAPER[c]) * a;
  out[k + 3] = 255;
}

/** A figure of values as images: one per channel of a map, or one grid for a flat layer. */
function figure(values, shape, { signed, caption, scale, cell = null, legend = true }) {
  const fig = document.createElement('figure');
  fig.className = 'bp-figure';
  const s = scale ?? (signed ? maxAbs(values) : 1);
  fig.dataset.scale = String(s);
  const flat = shape.rows === 1 && shape.cols === 1;
  const { rows, cols } = flat ? gridShape(shape.channels) : shape;
  const maps = flat ? 1 : shape.channels;
  const px = cell ?? Math.max(2, Math.min(flat ? 2 * CELL : CELL, Math.floor(168 / Math.max(rows, cols))));
  const box = document.createElement('div');
  box.className = 'bp-maps';
  for (let m = 0; m < maps; m++) {
    const canvas = document.createElement('canvas');
    canvas.width = cols;
    canvas.height = rows;
    canvas.style.width = `${cols * px}px`;
    canvas.style.height = `${rows * px}px`;
    canvas.className = 'pixels';
    canvas.dataset.map = String(m);
    canvas.setAttribute('aria-hidden', 'true');
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(cols, rows);
    for (let p = 0; p < rows * cols; p++) {
      const i = flat ? p : p * shape.channels + m;
      if (i < values.length) colour(s ? values[i] / s : 0, signed, img.data, p * 4);
    }
    ctx.putImageData(img, 0, 0);
    box.append(canvas);
  }
  const cap = document.createElement('figcaption');
  cap.textContent = `${caption}${signed && legend ? ` (blue above 0, red below; full colour at ±${fmt(s)})` : ''}`;
  fig.append(box, cap);
  fig.valueIndex = (canvas, e) => {
    const r = canvas.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * cols),
      y = Math.floor(((e.clientY - r.top) / r.height) * rows);
    const p = y * cols + x;
    return flat ? p : p * shape.channels + Number(canvas.dataset.map);
  };
  return fig;
}

/** The stages of a network of L layers: forward each layer, the loss, backward each layer, the update. */
function stagesOf(L) {
  const s = [];
  for (let l = 0; l < L; l++) s.push({ kind: 'forward', l });
  s.push({ kind: 'loss' });
  for (let l = L - 1; l >= 0; l--) s.push({ kind: 'backward', l });
  s.push({ kind: 'update' });
  return s;
}

const layerName = (y, l, L) =>
  `layer ${l + 1} (${y.type === 'dense' ? (l === L - 1 ? 'output, dense' : 'dense') : y.type === 'conv' ? `${y.kernel}×${y.kernel} convolution` : `${y.kernel}×${y.kernel} max pooling`}, ${y.output.rows}×${y.output.cols}×${y.output.channels})`;

export class BackpropPanel {
  constructor({ call, onApplied, onError }) {
    this.call = call;
    this.onApplied = onApplied;
    this.onError = onError;
    this.root = $('backprop');
    this.stageBox = $('bp-stage');
    this.readout = $('bp-readout');
    this.formula = $('bp-formula');
    this.check = $('bp-check');
    this.source = $('bp-source');
    this.labels = $('bp-labels');
    this.drawing = null;
    this.gallery = null;
    this.picked = null; // { pixels, label, text }: the gallery digit chosen, copied
    this.label = null;
    this.data = null;
    this.stage = 0;
    this.unit = 0;
    this.seq = 0;
    for (let d = 0; d < 10; d++) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = String(d);
      b.dataset.digit = String(d);
      b.setAttribute('aria-pressed', 'false');
      this.labels.append(b);
    }
    this.labels.addEventListener('click', (e) => {
      const d = e.target.closest('button')?.dataset.digit;
      if (d !== undefined) this.setLabel(Number(d));
    });
    this.source.addEventListener('change', () => {
      const v = this.source.value;
      if (v === 'pad') this.picked = null;
      else if (v !== 'picked') {
        // a copy: the gallery changes with each evaluation while training runs
        const k = Number(v);
        const text = this.source.selectedOptions[0].textContent;
        this.picked = {
          pixels: this.gallery.images.slice(k * 784, k * 784 + 784),
          label: this.gallery.labels[k],
          text,
        };
      }
      this.label = this.picked ? this.picked.label : null;
      this.refresh();
    });
    $('bp-next').addEventListener('click', () => this.go(this.stage + 1));
    $('bp-back').addEventListener('click', () => this.go(this.stage - 1));
    $('bp-apply').addEventListener('click', () => this.apply());
    this.root.addEventListener('toggle', () => {
      if (this.root.open) this.refresh();
      else {
        this.data = null;
        this.call('backpropClosed').catch(() => {});
      }
    });
    this.root.addEventListener('keydown', (e) => this.key(e));
    this.stageBox.addEventListener('pointermove', (e) => this.point(e));
  }

  /** The pad's input (Float32Array of 784, or null when empty). */
  setDrawing(input) {
    this.drawing = input ? input.slice() : null;
    if (!this.picked) this.refreshSoon();
  }

  /** The gallery of misclassified test digits (ui.setMistakes' message); the digit picked stays. */
  setGallery(m) {
    this.gallery = m && m.count ? m : null;
    const options = [new Option('your drawing', 'pad')];
    if (this.picked) options.push(new Option(this.picked.text, 'picked'));
    for (let k = 0; k < (this.gallery?.count ?? 0); k++)
      options.push(new Option(`test digit: a ${m.labels[k]} read as ${m.preds[k]}`, String(k)));
    this.source.replaceChildren(...options);
    this.source.value = this.picked ? 'picked' : 'pad';
  }

  setLabel(d) {
    this.label = d;
    this.refresh();
  }

  /** The network changed (made, loaded, applied): compute again if open. */
  networkChanged() {
    if (this.root.open) this.refreshSoon();
  }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  image() {
    if (!this.picked) return this.drawing;
    return Float32Array.from(this.picked.pixels, (v) => v / 255);
  }

  async refresh() {
    clearTimeout(this.timer);
    for (const b of this.labels.children)
      b.setAttribute('aria-pressed', String(Number(b.dataset.digit) === this.label));
    if (!this.root.open) return;
    const image = this.image();
    const seq = ++this.seq;
    if (!image || this.label === null) {
      this.data = null;
      this.show(
        !image ? 'Draw a digit on the pad, or pick a test digit.' : 'Press the digit this is: the label to learn.',
      );
      return;
    }
    try {
      const img = image.slice();
      const data = await this.call('backprop', { image: img, label: this.label }, [img.buffer]);
      if (seq !== this.seq) return;
      this.data = { ...data, image, label: this.label };
      this.stages = stagesOf(data.layers.length);
      this.stage = Math.min(this.stage, this.stages.length - 1);
      this.render();
    } catch (e) {
      this.onError(e);
    }
  }

  show(text) {
    this.stageBox.replaceChildren();
    this.root.dataset.stage = '';
    this.readout.textContent = text;
    this.formula.textContent = '';
    this.check.textContent = '';
    this.check.dataset.maxRelativeError = '';
    $('bp-step').textContent = '';
    $('bp-next').disabled = $('bp-back').disabled = $('bp-apply').disabled = true;
  }

  go(stage) {
    if (!this.data || stage < 0 || stage >= this.stages.length) return;
    this.stage = stage;
    this.unit = 0;
    this.render();
  }

  render() {
    const d = this.data,
      L = d.layers.length,
      st = this.stages[this.stage];
    const g = d.gradients;
    this.root.dataset.stage = String(this.stage);
    this.root.dataset.stages = String(this.stages.length);
    $('bp-image').dataset.pixels = btoa(String.fromCharCode(...new Uint8Array(Float32Array.from(d.image).buffer)));
    // aria-disabled, not disabled, at the ends: a focused button keeps the focus
    $('bp-back').disabled = $('bp-next').disabled = false;
    $('bp-back').setAttribute('aria-disabled', String(this.stage === 0));
    $('bp-next').setAttribute('aria-disabled', String(this.stage === this.stages.length - 1));
    $('bp-apply').disabled = st.kind !== 'update';
    $('bp-step').textContent =
      `Stage ${this.stage + 1} of ${this.stages.length}, computed at step ${d.steps} in ${Math.round(d.ms)} ms`;
    this.check.dataset.maxRelativeError = String(d.check.maxRelativeError);
    this.check.textContent = `Gradient check of this digit: backprop ${d.check.maxRelativeError < 1e-4 ? 'agrees with' : 'against'} finite differences (in double, ${d.check.layers.reduce((n, y) => n + y.checked, 0)} parameters): largest relative error ${d.check.maxRelativeError.toExponential(1)}`;
    const box = this.stageBox;
    box.replaceChildren();
    let title;
    if (st.kind === 'forward') {
      const y = d.layers[st.l],
        gl = g.layers[st.l];
      title = `Forward, ${layerName(y, st.l, L)}`;
      box.append(
        figure(gl.z, y.output, { signed: true, caption: 'z = W a + b, before the activation' }),
        figure(gl.activations, y.output, {
          // probabilities and sigmoid in 0..1, tanh in -1..1, relu up to its largest
          signed: st.l < L - 1 && d.activation === 'tanh',
          scale: st.l === L - 1 || d.activation !== 'relu' ? 1 : maxAbs(gl.activations) || 1,
          caption: st.l === L - 1 ? 'softmax: the ten probabilities' : `activations a = ${d.activation}(z)`,
        }),
      );
    } else if (st.kind === 'loss') {
      const p = g.probabilities[d.label];
      title = 'The loss';
      const q = document.createElement('p');
      q.id = 'bp-loss';
      q.className = 'bp-big num';
      q.dataset.value = String(g.loss);
      q.textContent = `loss = −ln p[${d.label}] = −ln ${p.toFixed(4)} = ${g.loss.toFixed(4)}`;
      box.append(q, probsList('bp-probs-before', g.probabilities, d.label, 'Probabilities'));
    } else if (st.kind === 'backward') {
      const y = d.layers[st.l],
        gl = g.layers[st.l];
      title = `Backward, ${layerName(y, st.l, L)}`;
      const f = figure(gl.delta, y.output, { signed: true, caption: 'δ = ∂loss/∂z' });
      f.classList.add('bp-delta');
      f.dataset.layer = String(st.l);
      box.append(f);
      if (gl.weights && st.l === firstWithWeights(d.layers)) box.append(weightImages(y, gl.weights));
      else if (gl.weights) {
        const n = document.createElement('p');
        n.className = 'hint num';
        n.textContent = `∂loss/∂W: ${gl.weights.length} values, largest |·| ${fmt(maxAbs(gl.weights))}; ∂loss/∂b largest |·| ${fmt(maxAbs(gl.biases))}`;
        box.append(n);
      }
    } else {
      title = `The update W ← W − η ∂loss/∂W, η = ${d.learningRate}, on a copy`;
      const before = g.probabilities,
        after = d.after;
      const q = document.createElement('p');
      q.className = 'bp-big num';
      q.textContent = `loss ${g.loss.toFixed(4)} → ${d.lossAfter.toFixed(4)}`;
      const lists = document.createElement('div');
      lists.className = 'bp-before-after';
      lists.append(
        probsList('bp-probs-before', before, d.label, 'Before'),
        probsList('bp-probs-after', after, d.label, 'After one step'),
      );
      box.append(q, lists);
      if (d.input === 'centred') {
        const n = document.createElement('p');
        n.className = 'hint';
        n.textContent =
          'Centred input: the first layer steps on δ·x, not δ·(x − mean), as training does (docs/api.md, Gradients).';
        box.append(n);
      }
    }
    this.readout.textContent = `Stage ${this.stage + 1} of ${this.stages.length}: ${title}.`;
    const h = document.createElement('h3');
    h.textContent = title;
    box.prepend(h);
    this.describeUnit();
  }

  /** The formula of the focused unit, with its numbers. */
  describeUnit() {
    const d = this.data,
      st = this.stages[this.stage];
    if (!d || (st.kind !== 'forward' && st.kind !== 'backward')) {
      this.formula.textContent = '';
      return;
    }
    this.formula.textContent = unitFormula(d, st, this.unit);
  }

  key(e) {
    if (!this.data) return;
    const st = this.stages[this.stage];
    if (e.key === 'PageDown' || e.key === 'PageUp') {
      this.go(this.stage + (e.key === 'PageDown' ? 1 : -1));
      e.preventDefault();
      return;
    }
    if (e.target !== this.stageBox || (st.kind !== 'forward' && st.kind !== 'backward')) return;
    const n = this.data.gradients.layers[st.l].z.length;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10, Home: -n, End: n }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    this.unit = Math.max(0, Math.min(n - 1, this.unit + step));
    this.describeUnit();
    this.readout.textContent = this.formula.textContent;
  }

  point(e) {
    const canvas = e.target.closest('canvas');
    const fig = canvas?.closest('.bp-figure');
    if (!fig?.valueIndex || !this.data) return;
    const i = fig.valueIndex(canvas, e);
    const st = this.stages[this.stage];
    if ((st.kind === 'forward' || st.kind === 'backward') && i >= 0 && i < this.data.gradients.layers[st.l].z.length) {
      this.unit = i;
      this.describeUnit();
    }
  }

  async apply() {
    try {
      const r = await this.call('backpropApply');
      if (!r.applied) {
        this.readout.textContent =
          'Training moved the weights on since this step was computed: it is computed again; Pause training to apply it.';
        this.refresh();
        return;
      }
      this.onApplied(r);
      this.readout.textContent = `Applied: the network took this step (now ${r.steps} steps).`;
      this.refresh();
    } catch (e) {
      this.onError(e);
    }
  }
}

function firstWithWeights(layers) {
  return layers.findIndex((y) => y.weights);
}

function probsList(id, p, label, caption) {
  const box = document.createElement('figure');
  const ol = document.createElement('ol');
  ol.id = id;
  ol.className = 'bp-probs num';
  ol.start = 0;
  p.forEach((v, j) => {
    const li = document.createElement('li');
    li.dataset.value = String(v);
    li.textContent = `${j}: ${(v * 100).toFixed(2)}%${j === label ? ' ← label' : ''}`;
    li.style.setProperty('--p', String(v));
    if (j === label) li.className = 'bp-label';
    ol.append(li);
  });
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  box.append(ol, cap);
  return box;
}

/* ∂loss/∂W of the first layer with weights: one image a unit (the 16 largest first) or one a filter. */
function weightImages(y, dW) {
  const wrap = document.createElement('div');
  wrap.className = 'bp-dw';
  const head = document.createElement('p');
  head.className = 'hint';
  const per = y.fanIn;
  const norms = Array.from({ length: y.units }, (_, u) => {
    let s = 0;
    for (let i = 0; i < per; i++) s += dW[u * per + i] ** 2;
    return [Math.sqrt(s), u];
  }).sort((a, b) => b[0] - a[0]);
  const shape =
    y.type === 'conv'
      ? { rows: y.kernel, cols: y.kernel, channels: 1 }
      : y.input.rows > 1
        ? { rows: y.input.rows, cols: y.input.cols, channels: 1 }
        : gridAsImage(per);
  const shown = norms.slice(0, 16);
  head.textContent = `∂loss/∂W of this layer, one image per ${y.type === 'conv' ? 'filter' : 'unit'}${y.type === 'conv' && y.input.channels > 1 ? ' (its first input channel)' : ''}, the largest gradient first, each at its own scale (blue above 0, red below):`;
  wrap.append(head);
  const grid = document.createElement('div');
  grid.className = 'bp-dw-grid';
  for (const [n, u] of shown) {
    const rows =
      y.type === 'conv' ? dW.subarray(u * per, u * per + y.kernel * y.kernel) : dW.subarray(u * per, (u + 1) * per);
    const caption = `${y.type === 'conv' ? 'filter' : 'unit'} ${u + 1}: |∂W| ${fmt(n)}`;
    grid.append(
      figure(
        rows,
        { ...shape, channels: 1 },
        { signed: true, caption, legend: false, cell: y.type === 'conv' ? 8 : 3 },
      ),
    );
  }
  wrap.append(grid);
  return wrap;
}

function gridAsImage(n) {
  const side = Math.round(Math.sqrt(n));
  return side * side === n ? { rows: side, cols: side } : { rows: 1, cols: n };
}
