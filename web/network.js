// network.js: the page's network settings in one place, for the page
// (view-settings.js, app.js) and its worker: which settings make a new
// network and which apply at once, createNetwork's options from the form's
// settings and the form's settings from a network's options, the Hidden
// layers field as a stack of the layers grammar, and the two networks the
// page offers. No DOM and no network here, and no layer shapes: those are
// C's (net.layers, which the worker sends with a network's config).

import { CLASSES, ROWS, COLS } from './data.js';

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

// The page reads MNIST-shaped data (data.js): its images flat or as images.
const FLAT_INPUT = ROWS * COLS;
const IMAGE_INPUT = `${ROWS}x${COLS}`;

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
// when it is chosen (ui.chooseNetwork). The optimizer comes first: the
// rate and the decay are the optimizer's.
export const FOLLOW = ['optimizer', 'activation', 'learningRate', 'batchSize', 'weightDecay', 'augment'];

/**
 * The networks the page offers: { article, convnet }, each { layers, and
 * those of FOLLOW it comes with; augment true or false }. defaults: a new network's options (C's
 * defaults: the seed's 784-128-64-10, the article's); facts: the module's
 * (web/lib/wasm.js w.facts), whose defaults.convnet is the convnet and the
 * settings C gives a stack with a convolution (momentum, relu, rate
 * 0.03, batch 32, weight decay 0.005: docs/accuracy.md). Without it (a
 * module older than the convnet) only the article's.
 */
export function networkChoices(defaults, facts) {
  const pick = (c) => {
    const o = { layers: stackItems(c.layers) };
    for (const k of FOLLOW) if (c[k] !== undefined) o[k] = typeof c[k] === 'number' ? +c[k].toPrecision(6) : c[k];
    return o;
  };
  const convnet = facts?.defaults?.convnet;
  // The page reads digits drawn on it, further from MNIST's than its test
  // set: here the convnet trains with augmentation, which with C's defaults
  // reads 179 of the wide stroke set's 180 drawings where 175 without, and
  // 99.48% of MNIST's test set where 99.31% (docs/accuracy.md). The
  // article's network keeps C's defaults, without it.
  const article = { ...pick(defaults), augment: false };
  return convnet ? { article, convnet: { ...pick(convnet), augment: true } } : { article };
}

/* ---------- the learning rate and weight decay C gives a stack and optimizer ---------- */

/** Whether a stack holds a convolution, which C gives the convnet's defaults (nn_config_fit_defaults). */
export const hasConvolution = (layers) => stackItems(layers).some((v) => typeof v === 'string' && /^conv/.test(v));

/**
 * The value C gives a new network of this stack and optimizer: table is
 * one of the module's facts.defaults.learningRates and .weightDecays
 * ({ dense, convnet }, each by optimizer: rates sgd 0.5, momentum 0.05,
 * adam 0.001 and no decay for a dense stack; for one with a convolution
 * rates 0.1, 0.03, 0.003 and decays 0.0005, 0.005, 0.03). undefined
 * without it.
 */
export function stackDefault(table, layers, optimizer) {
  const r = table?.[hasConvolution(layers) ? 'convnet' : 'dense']?.[optimizer];
  return typeof r === 'number' ? +r.toPrecision(6) : undefined;
}

/** Every value of such a table: a field holding one has not been typed. */
export const stackDefaults = (table) =>
  Object.values(table ?? {}).flatMap((byOptimizer) => Object.values(byOptimizer).map((r) => +r.toPrecision(6)));
