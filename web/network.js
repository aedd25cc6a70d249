// network.js: the page's network settings in one place, for the page (ui.js,
// app.js) and its worker: which settings make a new network and which apply
// at once, createNetwork's options from the form's settings and the form's
// settings from a network's options, the Hidden layers field as a stack of
// the layers grammar, the two networks the page offers, and the shape of
// each layer of a stack for the inside view. No DOM and no network here.

/** Settings that make a new network: they apply on Reset, or on Train before its first step. */
export const ARCHITECTURE = ['layers', 'activation', 'input', 'optimizer', 'seed', 'threads'];
/** Settings that apply at once to the network there (net.setOptions). */
export const LIVE = ['learningRate', 'batchSize', 'schedule', 'weightDecay', 'augment'];

/** createNetwork's options from the page's settings (ui.readSettings: these and epochs). */
export function networkOptions(settings) {
  const o = {};
  for (const k of [...ARCHITECTURE, ...LIVE]) if (settings[k] !== undefined) o[k] = settings[k];
  return o;
}

/** The page's settings of a network, from its options (net.options), as the form shows them. */
export function settingsOf(o) {
  return {
    layers: stackItems(o.layers),
    activation: o.activation,
    input: o.input,
    optimizer: o.optimizer,
    learningRate: +Number(o.learningRate).toPrecision(6), // C keeps a float32
    batchSize: o.batchSize,
    seed: Number(o.seed),
    schedule: o.schedule,
    weightDecay: +Number(o.weightDecay).toPrecision(6),
    augment: Object.values(o.augment).some((v) => v !== 0),
    threads: o.threads,
  };
}

/* A setting's value for comparison: threads as asked for, not as run (a
 * page without isolation runs 1 whatever it asks), a stack as its text. */
function compared(o, k) {
  if (k === 'threads') return String(o.threadsAsked ?? o.threads);
  if (k === 'layers') return o.layers === undefined ? '' : stackText(o.layers);
  return JSON.stringify(o[k]);
}

/** The settings of ARCHITECTURE in which config (the network's) and settings (the form's) differ. */
export function architectureChanges(config, settings) {
  return ARCHITECTURE.filter((k) => compared(config, k) !== compared(settings, k));
}

/* ---------- the stack ---------- */

// The page reads MNIST-shaped data: 28x28 images, 10 classes.
const FLAT_INPUT = 784;
const IMAGE_INPUT = '28x28';
const CLASSES = 10;

/** A stack's items (numbers for dense layers and a flat input, else strings) from its text or an array of them. */
export function stackItems(layers) {
  const list = typeof layers === 'string' ? layers.split(/[\s,]+/).filter(Boolean) : Array.from(layers);
  return list.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));
}

/** A stack's text in the layers grammar ("28x28,conv5x8,pool2,128,10"). */
export const stackText = (layers) => stackItems(layers).join(',');

/** A stack as the page names it: 784-128-64-10 for a dense one, else its text. */
export function stackName(layers) {
  const items = stackItems(layers);
  return items.every((v) => typeof v === 'number') ? items.join('-') : items.join(',');
}

/**
 * The page's stack for the Hidden layers field (the items between input
 * and output): "28x28," + hidden + ",10" when they hold a convolution or
 * pooling, else "784," + hidden + ",10". C checks it (createNetwork).
 */
export function stackOf(hidden) {
  const items = stackItems(String(hidden));
  const image = items.some((v) => typeof v === 'string' && /^(conv|pool)/.test(v));
  return [image ? IMAGE_INPUT : FLAT_INPUT, ...items, CLASSES];
}

/** The Hidden layers field's text for a stack: its items between input and output. */
export const hiddenOf = (layers) => stackItems(layers).slice(1, -1).join(',');

/* ---------- the two networks the page offers ---------- */

// The settings a network the page offers comes with, which the form takes
// when it is chosen (ui.chooseNetwork), as far as C gives them.
export const FOLLOW = ['activation', 'learningRate', 'batchSize', 'weightDecay'];

/**
 * The networks the page offers: { article, convnet }, each { layers, and
 * those of FOLLOW it comes with }. defaults: a new network's options (C's
 * defaults: the seed's 784-128-64-10, the article's); facts: the module's
 * (web/lib/wasm.js w.facts), whose defaults.convnet is the convnet and the
 * settings C gives a stack with a convolution (relu, rate 0.1, batch 32:
 * one epoch of the small split reaches 94.6% test accuracy, where the
 * seed's sigmoid at 0.5 and batch 8 stays at 11%). Without it (a module
 * older than the convnet) only the article's.
 */
export function networkChoices(defaults, facts) {
  const pick = (c) => {
    const o = { layers: stackItems(c.layers) };
    for (const k of FOLLOW) if (c[k] !== undefined) o[k] = typeof c[k] === 'number' ? +c[k].toPrecision(6) : c[k];
    return o;
  };
  const convnet = facts?.defaults?.convnet;
  return convnet ? { article: pick(defaults), convnet: pick(convnet) } : { article: pick(defaults) };
}

/* ---------- layer shapes ---------- */

/**
 * Each layer of a stack with the shape of its output, as csrc/layers.c
 * works it out (a KxK convolution: side - K + 1; PxP pooling: side / P
 * rounded down; a dense layer 1 x 1 x units), and its part of the
 * parameter buffer (net.parameters(): layer after layer, its weights then
 * its biases; a convolution's weights [filter][channel][row][col], a dense
 * layer's [unit][input]): [{ kind: 'input' | 'dense' | 'conv' | 'pool',
 * item, rows, cols, channels, size, image, kernel, inputs (its input's
 * size), from (its input's shape), weights, biases, at }]. An output is rows x cols x channels with the channel fastest
 * (net.activations). null for a stack it cannot read. The worker holds the
 * sizes to those of C's forward pass.
 */
export function layerShapes(layers) {
  const items = stackItems(layers);
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(String(items[0]));
  let s = m ? { rows: +m[1], cols: +m[2], channels: +(m[3] ?? 1) } : { rows: 1, cols: 1, channels: Number(items[0]) };
  if (!(s.rows * s.cols * s.channels > 0)) return null;
  const base = { kernel: 0, inputs: 0, weights: 0, biases: 0 };
  const out = [
    { kind: 'input', item: String(items[0]), ...s, size: s.rows * s.cols * s.channels, image: !!m, ...base, at: 0 },
  ];
  let at = 0;
  for (const item of items.slice(1)) {
    const inputs = s.rows * s.cols * s.channels;
    let y;
    let k;
    if (typeof item === 'number') {
      y = { kind: 'dense', rows: 1, cols: 1, channels: item, kernel: 0, weights: inputs * item, biases: item };
    } else if ((k = /^conv(\d+)x(\d+)$/.exec(item))) {
      const [K, F] = [+k[1], +k[2]];
      y = { kind: 'conv', rows: s.rows - K + 1, cols: s.cols - K + 1, channels: F, kernel: K };
      Object.assign(y, { weights: F * s.channels * K * K, biases: F });
    } else if ((k = /^pool(\d+)$/.exec(item))) {
      const P = +k[1];
      y = { kind: 'pool', rows: Math.floor(s.rows / P), cols: Math.floor(s.cols / P), channels: s.channels, kernel: P };
      Object.assign(y, { weights: 0, biases: 0 });
    } else return null;
    if (!(y.rows > 0 && y.cols > 0 && y.channels > 0)) return null;
    const size = y.rows * y.cols * y.channels;
    const from = { rows: s.rows, cols: s.cols, channels: s.channels };
    out.push({ ...y, item: String(item), size, image: y.kind !== 'dense', inputs, from, at });
    at += y.weights + y.biases;
    s = y;
  }
  return out;
}
