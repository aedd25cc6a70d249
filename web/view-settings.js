// view-settings.js: the settings form: reading and writing its fields, the
// Network choice that fills them (the article's network or the convnet), the
// learning rate and threads that follow it, and C's refusal of a stack.

import {
  stackOf,
  hiddenOf,
  stackText,
  stackName,
  FOLLOW,
  stackDefault,
  stackDefaults,
  hasConvolution,
  architectureChanges,
} from './network.js';
import { els } from './ui.js';

/* ---------- the form ---------- */

/** The note under the settings form; '' hides it. */
export function setSettingsNote(text) {
  els.settingsNote.textContent = text || '';
  els.settingsNote.hidden = !text;
}

/**
 * The note that names the settings a network that has trained (config;
 * null: none) keeps while it trains on, where the form's options differ.
 */
export function noteKept(config, options) {
  const changes = config ? architectureChanges(config, options) : [];
  const list = changes.length > 1 ? `${changes.slice(0, -1).join(', ')} and ${changes.at(-1)}` : changes[0];
  setSettingsNote(
    changes.length
      ? `The network keeps its ${list} while it trains on; press Reset to start a new one with these settings.`
      : '',
  );
}

/* The threads control's default for a stack, at most MAX_DEFAULT_THREADS
 * (narrow layers: beyond that the barriers eat the gain). A dense network
 * gets the cores but one, which the page keeps for drawing and charts: its
 * steps are short (batch 8), and a second thread gains little. A stack
 * with a convolution gets every core: its steps are long (batch 32 of
 * 28x28 maps), and 2 threads train it 1.5x as fast on 2 cores. */
const MAX_DEFAULT_THREADS = 4;
let threadCores = 1; // the cores threads may use (1 where the browser gives no threads)
const defaultThreads = (convolution) => Math.max(1, Math.min(threadCores - (convolution ? 0 : 1), MAX_DEFAULT_THREADS));

/** The cores threads may use (0 or none: 1), and the Threads field at its default for the stack in the form. */
export function setDefaultThreads(cores) {
  threadCores = cores || 1;
  els.threads.value = String(defaultThreads(hasConvolution(stackOf(els.hidden.value))));
}

/** Reads the settings form: { options } or { error } naming the bad field. */
export function readSettings() {
  const num = (el, name, { int = false, min, max }) => {
    const v = Number(el.value);
    if (el.value.trim() === '' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
      throw new RangeError(`${name} must be ${int ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
    }
    return v;
  };
  try {
    return {
      options: {
        layers: stackOf(els.hidden.value), // C checks the stack (worker.js checkStack)
        activation: els.activation.value,
        input: els.input.value,
        optimizer: els.optimizer.value,
        learningRate: num(els.lr, 'Learning rate', { min: 1e-6, max: 10 }),
        batchSize: num(els.batch, 'Batch size', { int: true, min: 1, max: 4096 }),
        epochs: num(els.epochs, 'Epochs', { int: true, min: 1, max: 1000 }),
        seed: num(els.seed, 'Seed', { int: true, min: 0, max: 2 ** 32 - 1 }),
        schedule: els.schedule.value,
        weightDecay: num(els.weightDecay, 'Weight decay', { min: 0, max: 0.1 }),
        augment: els.augment.checked,
        threads: num(els.threads, 'Threads', { int: true, min: 1, max: 16 }),
      },
    };
  } catch (e) {
    return { error: e.message };
  }
}

export function writeSettings(c) {
  if (Number.isInteger(c.epochs)) els.epochs.value = String(c.epochs);
  if (c.layers) els.hidden.value = hiddenOf(c.layers);
  if (c.activation) els.activation.value = c.activation;
  if (c.input) els.input.value = c.input;
  if (c.optimizer) els.optimizer.value = c.optimizer;
  if (Number.isFinite(c.learningRate)) els.lr.value = String(+c.learningRate.toPrecision(6));
  if (Number.isFinite(c.batchSize)) els.batch.value = String(c.batchSize);
  if (Number.isFinite(c.seed)) els.seed.value = String(c.seed);
  if (c.schedule) els.schedule.value = c.schedule;
  if (Number.isFinite(c.weightDecay)) els.weightDecay.value = String(+c.weightDecay.toPrecision(6));
  if (typeof c.augment === 'boolean') els.augment.checked = c.augment;
  showNetwork();
}

/* ---------- the network choice ---------- */

let networks = null; // the networks the page offers (network.js networkChoices), once the worker is ready
let byOptimizer = null; // C's { learningRate, weightDecay } tables for each stack and optimizer (facts.defaults)

/**
 * The networks the page offers: named in the Network choice, which then
 * follows the Hidden layers field; tables: C's learning rates and weight
 * decays for each stack and optimizer ({ learningRate, weightDecay }),
 * which those fields follow (followOptimizer).
 */
export function setNetworks(choices, tables = null) {
  networks = choices;
  byOptimizer = tables;
  for (const option of els.network.options) {
    const c = choices[option.value];
    if (option.value !== 'own') option.hidden = !c; // a module without the convnet offers the article's only
    if (c)
      option.textContent =
        option.value === 'article' ? `${stackName(c.layers)} (the article's)` : `convnet ${stackText(c.layers)}`;
  }
  showNetwork();
}

/** Shows in the Network choice the network that the Hidden layers field makes, or 'own'. */
export function showNetwork() {
  const stack = stackText(stackOf(els.hidden.value));
  const found = networks && Object.keys(networks).find((k) => stackText(networks[k].layers) === stack);
  els.network.value = found ?? 'own';
}

/* Whether field el holds v (a number as the field reads it; a check box's state). */
const same = (el, v) =>
  typeof v === 'boolean'
    ? el.checked === v
    : typeof v === 'number'
      ? el.value.trim() !== '' && Number(el.value) === v
      : el.value === v;

/* The values of key the page itself puts in its field: the networks' own
 * and, for the rate and the decay, every one C gives some stack and
 * optimizer. A field holding one of them has not been typed in. */
const ownValues = (key) => [...Object.values(networks ?? {}).map((o) => o[key]), ...stackDefaults(byOptimizer?.[key])];

/* Sets field el to v where it holds one of the page's own values of key. */
function follow(el, key, v) {
  if (v === undefined || !ownValues(key).some((o) => o !== undefined && same(el, o))) return;
  if (typeof v === 'boolean') el.checked = v;
  else el.value = String(v);
}

/**
 * Takes one of the networks offered ('article' or 'convnet'): its hidden
 * layers into the Hidden layers field, and the settings it comes with
 * (optimizer, activation, learning rate, batch size, weight decay,
 * augmentation: network.js FOLLOW) into theirs where they hold one of the page's own
 * values: a value the person typed or chose stays. false for 'own'
 * (nothing to fill).
 */
export function chooseNetwork(name) {
  const c = networks?.[name];
  if (!c) return false;
  els.hidden.value = hiddenOf(c.layers);
  const fields = {
    optimizer: els.optimizer,
    activation: els.activation,
    learningRate: els.lr,
    batchSize: els.batch,
    weightDecay: els.weightDecay,
    augment: els.augment,
  };
  // threads too, where the field holds a default (of either kind of stack)
  if ([defaultThreads(false), defaultThreads(true)].some((t) => same(els.threads, t)))
    els.threads.value = String(defaultThreads(hasConvolution(c.layers)));
  for (const key of FOLLOW) {
    // the rate and the decay C gives this network with the optimizer now chosen, where C's tables are known
    const v = stackDefault(byOptimizer?.[key], c.layers, els.optimizer.value) ?? c[key];
    follow(fields[key], key, v);
  }
  return true;
}

/**
 * The Learning rate and Weight decay fields follow the Optimizer control:
 * C's values for the stack of the Hidden layers field and the optimizer
 * chosen (dense: rates sgd 0.5, momentum 0.05, adam 0.001, no decay; with
 * a convolution rates 0.1, 0.03, 0.003 and decays 0.0005, 0.005, 0.03),
 * where the field holds one of the page's own values: one the person typed
 * stays.
 */
export function followOptimizer() {
  const layers = stackOf(els.hidden.value);
  follow(els.lr, 'learningRate', stackDefault(byOptimizer?.learningRate, layers, els.optimizer.value));
  follow(els.weightDecay, 'weightDecay', stackDefault(byOptimizer?.weightDecay, layers, els.optimizer.value));
}

/** C's refusal of the stack, shown under the Hidden layers field; '' clears it. */
export function setStackError(message) {
  els.hiddenError.textContent = message || '';
  els.hiddenError.hidden = !message;
  if (message) els.hidden.setAttribute('aria-invalid', 'true');
  else els.hidden.removeAttribute('aria-invalid');
}
