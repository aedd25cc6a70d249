// config.js: a network's options to and from C's config layout (facts.config,
// csrc/wasm_layout.c): one Float64Array, NaN where C's default applies. The
// layer grammar and its limits are C's (layers.c), which words a refusal.

import { optionsObject, number, integer, choice, shortFloat, describe } from './checks.js';

/** The options that training reads, which setOptions may change. */
export const TRAINING_OPTIONS = ['schedule', 'weightDecay', 'augment'];
/** The options of createNetwork (with threads, which is not in the config). */
export const NETWORK_OPTIONS = [
  'layers',
  'activation',
  'input',
  'optimizer',
  'learningRate',
  'momentum',
  'beta1',
  'beta2',
  'epsilon',
  'batchSize',
  'seed',
  ...TRAINING_OPTIONS,
];
/** The options of setOptions. */
export const SET_OPTIONS = ['learningRate', 'batchSize', 'optimizer', ...TRAINING_OPTIONS];

/**
 * layers as the grammar's text: a string ("28x28,conv5x8,pool2,128,10")
 * or an array of its items, numbers (dense layers, a flat input) or
 * strings ("28x28", "conv5x8", "pool2").
 */
function layersText(l) {
  if (typeof l === 'string') return l;
  if (!Array.isArray(l))
    throw new TypeError(`layers must be a string such as "784,128,64,10" or an array of its items, got ${describe(l)}`);
  return l
    .map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v !== 'number')
        throw new TypeError(`layers[${i}] must be a number of units or an item such as "conv5x8", got ${describe(v)}`);
      if (!Number.isInteger(v)) throw new RangeError(`layers[${i}] must be an integer, got ${v}`);
      return String(v);
    })
    .join(',');
}

/** The config for create() in C's layout (facts.config): NaN where the C default applies. */
export function configFromOptions(options, fn, w) {
  const { facts } = w;
  const { limits, ranges, config: CFG, activations, inputs, optimizers } = facts;
  const o = optionsObject(options, fn, NETWORK_OPTIONS);
  const cfg = new Float64Array(CFG.length).fill(NaN);
  if (o.layers !== undefined) {
    // the stack's shapes and limits are C's (layers.c), which words the refusal
    const p = w.malloc(cfg.length * 8, 'the config');
    try {
      const [status, why] = w.callText(w.M._layers_config, [layersText(o.layers), p]);
      if (status !== 0) throw new RangeError(`layers: ${why}`);
      const stack = w.f64.slice(p >> 3, (p >> 3) + cfg.length);
      for (let i = CFG.nSizes; i < CFG.sizes + limits.maxLayers + 1; i++) cfg[i] = stack[i];
      for (let i = CFG.inShape; i < CFG.length; i++) cfg[i] = stack[i];
    } finally {
      w.free(p);
    }
  }
  if (o.activation !== undefined) cfg[CFG.activation] = choice(o.activation, 'activation', activations);
  if (o.input !== undefined) cfg[CFG.input] = choice(o.input, 'input', inputs);
  if (o.optimizer !== undefined) cfg[CFG.optimizer] = choice(o.optimizer, 'optimizer', optimizers);
  if (o.learningRate !== undefined)
    cfg[CFG.learningRate] = number(o.learningRate, 'learningRate', ...ranges.learningRate);
  if (o.momentum !== undefined) cfg[CFG.momentum] = number(o.momentum, 'momentum', ...ranges.decay);
  if (o.beta1 !== undefined) cfg[CFG.beta1] = number(o.beta1, 'beta1', ...ranges.decay);
  if (o.beta2 !== undefined) cfg[CFG.beta2] = number(o.beta2, 'beta2', ...ranges.decay);
  if (o.epsilon !== undefined) cfg[CFG.epsilon] = number(o.epsilon, 'epsilon', ...ranges.epsilon);
  if (o.batchSize !== undefined) cfg[CFG.batchSize] = integer(o.batchSize, 'batchSize', 1, limits.maxBatch);
  if (o.seed !== undefined) {
    let s = o.seed;
    if (typeof s === 'number') {
      if (!Number.isSafeInteger(s) || s < 0)
        throw new RangeError(`seed must be an integer in 0..2^53-1 (or a BigInt below 2^64), got ${s}`);
      s = BigInt(s);
    } else if (typeof s !== 'bigint') {
      throw new TypeError(`seed must be a non-negative integer or BigInt, got ${describe(s)}`);
    } else if (s < 0n || s >= 1n << 64n) {
      throw new RangeError(`seed must be below 2^64 and not negative, got ${s}`);
    }
    cfg[CFG.seedLo] = Number(s & 0xffffffffn);
    cfg[CFG.seedHi] = Number(s >> 32n);
  }
  trainingInto(o, cfg, facts);
  return cfg;
}

/**
 * The training options (schedule, weightDecay, augment) into a config
 * layout. augment is true (the defaults of `--augment`), false (none) or
 * an object of the distortions to use ({ shift, rotate, scale, shear,
 * elastic }, the others 0).
 */
export function trainingInto(o, cfg, { config: CFG, schedules, augment: A, maxWeightDecay }) {
  if (o.schedule !== undefined) cfg[CFG.schedule] = choice(o.schedule, 'schedule', schedules);
  if (o.weightDecay !== undefined) cfg[CFG.weightDecay] = number(o.weightDecay, 'weightDecay', 0, maxWeightDecay);
  const a = o.augment;
  if (a === undefined) return;
  if (typeof a === 'boolean') {
    A.names.forEach((_, i) => (cfg[CFG.augment + i] = a ? A.defaults[i] : 0));
    return;
  }
  if (a === null || typeof a !== 'object' || Array.isArray(a))
    throw new TypeError(`augment must be true, false or an object of { ${A.names.join(', ')} }, got ${describe(a)}`);
  for (const k of Object.keys(a))
    if (!A.names.includes(k)) throw new TypeError(`augment: unknown distortion "${k}" (known: ${A.names.join(', ')})`);
  A.names.forEach(
    (k, i) => (cfg[CFG.augment + i] = a[k] === undefined ? 0 : number(a[k], `augment.${k}`, 0, A.max[i])),
  );
}

/** The stack as the grammar's items: numbers for dense layers and a flat input, else strings. */
const layerItems = (text) => text.split(',').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** A network's options (Network.options) from its config and its layers' text. */
export function optionsFromConfig(c, layers, { config: CFG, activations, inputs, optimizers, schedules, augment: A }) {
  const seed = (BigInt(c[CFG.seedHi]) << 32n) | BigInt(c[CFG.seedLo]);
  return {
    layers: layerItems(layers),
    activation: activations[c[CFG.activation]],
    input: inputs[c[CFG.input]],
    optimizer: optimizers[c[CFG.optimizer]],
    learningRate: shortFloat(c[CFG.learningRate]),
    momentum: shortFloat(c[CFG.momentum]),
    beta1: shortFloat(c[CFG.beta1]),
    beta2: shortFloat(c[CFG.beta2]),
    epsilon: shortFloat(c[CFG.epsilon]),
    batchSize: c[CFG.batchSize],
    seed: seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed,
    schedule: schedules[c[CFG.schedule]],
    weightDecay: shortFloat(c[CFG.weightDecay]),
    augment: Object.fromEntries(A.names.map((k, i) => [k, shortFloat(c[CFG.augment + i])])),
  };
}
