// worker.js: the training worker's protocol: the requests the page sends
// and what they do to the network and its run (the time-sliced work and
// the state it keeps are training.js's), the settings a network is made
// with and changed by, and the 'ready' message. Coarse messages (STYLE.md's
// worker protocol):
//
// page -> worker  { id, type: 'reset' | 'load' | 'save' | 'export' | 'train' | 'pause'
//                   | 'abort' | 'configure' | 'check-stack' | 'inspect' | 'evaluate'
//                   | 'memory' | 'watch' | 'learn' | 'read-idx' | 'ping'
//                   | 'backprop' | 'backpropApply' | 'backpropClosed', ...args }
// worker -> page  { id, type: 'done', result } | { id, type: 'error', error: { name, message, ...fields } }
//                                                      an error's own fields (worker-errors.js):
//                                                      code, status, where, reason, url, file, and
//                                                      field 'layers' when C refused the stack
//                 { type: 'ready', lock, defaults }    once, when the module has loaded; lock: this
//                                                      worker holds the Web Lock named by its name
//                                                      for its whole life (the page's sign that it died);
//                                                      defaults: C's, for the page's form, and the
//                                                      networks the page offers (defaults.networks)
//                 { type: 'state', state, reason,      the worker's state, whenever it changes: idle |
//                   config, seen, mixed }              downloading | training | paused | learning, the
//                                                      network's config (with step: the threads a
//                                                      training step runs on), the samples it trained
//                                                      and the person's digits a run mixes in
//                 { type: 'download', ... }            bytes and samples received
//                 { type: 'progress', ... }            loss, speed, epochs while training
//                 { type: 'evaluation', ... }          test accuracy, confusion, mistakes
//                 { type: 'learning', done }           share of the fine-tune done
//                 { type: 'snapshot', ... }            the first layer's weights and each layer's
//                                                      update size, while the page watches
//                 { type: 'fault', error, source }     an error outside any request
//                                                      (download, divergence)

import { createNetwork, loadNetwork, loadDataset, memoryBytes, init, threadsUnavailable } from './lib/index.js';
import { digitsOf } from './lib/finetune.js';
import { errorOf } from './worker-errors.js';
import { stepOfLearning, appliedStep, forgetStep } from './backprop-worker.js';
import { networkOptions, settingsOf, architectureChanges, networkChoices, LIVE } from './network.js';
import {
  run,
  EPOCHS,
  post,
  setState,
  publish,
  stopLoop,
  use,
  configView,
  startDownload,
  stopDownload,
  startLoop,
  evaluateAll,
  snapshot,
  learn,
} from './training.js';

/* ---------- requests ---------- */

const handlers = {
  async reset({ options }) {
    const fresh = await made(options);
    stopLoop();
    use(fresh, configOf(fresh, options.threads ?? 1, options.epochs ?? run.config?.epochs));
    setState('idle', 'reset');
    return { config: configView() };
  },

  async load({ bytes, threads = run.config?.threadsAsked ?? 1 }) {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const loaded = await loadNetwork(data, { threads }); // rejects corrupt or foreign bytes with a message
    stopLoop();
    use(loaded, configOf(loaded, threads));
    setState('idle', 'loaded');
    return { config: configView(), steps: loaded.steps };
  },

  save() {
    needNet();
    const bytes = copyOut(run.net.save());
    return [bytes, [bytes.buffer]];
  },

  /** The network in another program's format (npz, onnx, tfjs): its files by name. */
  export({ format }) {
    needNet();
    const out = run.net.export(format);
    const files = out instanceof Uint8Array ? { [`mnist-model.${format}`]: out } : out;
    for (const name of Object.keys(files)) files[name] = copyOut(files[name]);
    return [files, Object.values(files).map((b) => b.buffer)];
  },

  /** Every layer's outputs for one image (hidden activations, then the ten
   *  probabilities): views on one buffer, transferred. */
  inspect({ image }) {
    needNet();
    const layers = run.net.activations(image);
    return [{ layers }, [layers[0].buffer]];
  },

  /** The backpropagation panel (backprop-worker.js): one step of learning on a copy; Apply; closed. */
  async backprop({ image, label }) {
    needNet();
    return stepOfLearning(run.net, image, label);
  },
  async backpropApply() {
    needNet();
    const threads = run.config.threadsAsked;
    const applied = await appliedStep(run.net, threads);
    if (!applied) return { applied: false };
    stopLoop();
    use(applied, configOf(applied, threads));
    setState('idle', 'applied');
    return { applied: true, config: configView(), steps: applied.steps };
  },
  backpropClosed() {
    forgetStep();
    return {};
  },

  /** weights: whether the page shows the weights view (snapshots while training). */
  watch({ weights }) {
    run.watching = !!weights;
    if (run.watching && run.net) snapshot(true);
    return { watching: run.watching };
  },

  /** images, labels: the person's digits as IDX bytes (web/personal.js writes them). */
  async learn({ url, images, labels }) {
    needNet();
    if (run.state === 'learning') throw new Error('already learning');
    return learn(url, await loadDataset({ images, labels }));
  },

  /** A pair of IDX files (raw or gzip) read by C's parser: a person's digits to import. */
  async 'read-idx'({ images, labels }) {
    const set = await loadDataset({ images, labels });
    try {
      const digits = digitsOf(set);
      return [digits, [digits.images.buffer, digits.labels.buffer]];
    } finally {
      set.dispose();
    }
  },

  configure({ options }) {
    needNet();
    applyLive(options);
    publish();
    return {};
  },

  /** Whether C makes a network of this stack (the Hidden layers field): its error, field 'layers', if not. */
  async 'check-stack'({ layers }) {
    await checkStack(layers);
    return {};
  },

  /* digits: the person's set as { images, labels } IDX bytes, or null; a
   * new run mixes it into every pass (a resumed one keeps what it had). */
  async train({ url, options, digits = null }) {
    needNet();
    const remade = await applyTrainOptions(options); // a stack C refuses stops here: nothing trains
    const renewed = remade ? { config: remade } : {}; // the page builds its views for the new network
    const { ds, state, trainer } = run;
    const newData = !ds || ds.error || ds.base !== url;
    if (newData) startDownload(url);
    if (!newData && (state === 'training' || state === 'downloading')) return { running: true, ...renewed };
    const resume = !newData && state === 'paused' && (run.target === null || trainer.progress.epochs < run.target);
    if (!resume) {
      run.target = null;
      trainer.mix(null);
      run.personal?.dispose();
      run.personal = null;
      if (digits) run.personal = await loadDataset(digits);
    }
    startLoop();
    return { running: true, resumed: resume, ...renewed };
  },

  pause() {
    if (run.state === 'training' || run.state === 'downloading') {
      stopLoop();
      setState('paused');
    }
    return {};
  },

  abort() {
    stopDownload();
    return {};
  },

  /** The module's heap size and the data set's bytes in it: for memory checks. */
  async memory() {
    const size = (d) => (d ? d.count * (d.rows * d.cols + 1) : 0);
    return { heap: await memoryBytes(), data: size(run.ds?.train) + size(run.ds?.test) };
  },

  /** The page's question whether this worker still answers (app.js, watchHang). */
  async ping() {
    return {};
  },

  async evaluate() {
    const { net, ds } = run;
    if (!net || !ds || !ds.available('test')) return { evaluated: false };
    await evaluateAll(run.token, ds);
    return { evaluated: true };
  },
};

self.onmessage = async (e) => {
  const { id, type } = e.data || {};
  const handler = handlers[type];
  try {
    if (!handler) throw new TypeError(`unknown request type ${JSON.stringify(type)}`);
    const out = await handler(e.data);
    const [result, transfer] = Array.isArray(out) ? out : [out, []];
    post({ id, type: 'done', result }, transfer);
  } catch (err) {
    post({ id, type: 'error', error: errorOf(err) });
  }
};

/* ---------- options ---------- */

/* A network of the page's settings (network.js). A stack that C refuses
 * throws C's error with field 'layers', which the page shows under the
 * Hidden layers field. */
async function made(options) {
  try {
    return await createNetwork(networkOptions(options));
  } catch (e) {
    await checkStack(options.layers);
    throw e;
  }
}

/* Throws C's error, with field 'layers', if C makes no network of this
 * stack: createNetwork of the stack alone (its other options C's
 * defaults), so that whatever it refuses is the stack. */
async function checkStack(layers) {
  let probe;
  try {
    probe = await createNetwork({ layers });
  } catch (e) {
    e.field = 'layers';
    throw e;
  }
  probe.dispose();
}

/* Before a run: a network that has not trained yet is made anew when any
 * setting differs (so the seed gives the same start as the command line);
 * returns its config then. A trained or paused one takes the live settings
 * only, and keeps its stack, but a stack that C refuses stops the run
 * before anything trains. */
async function applyTrainOptions(options) {
  if (!options) return null;
  const { config } = run;
  const fresh = run.trainer.progress.samples === 0 && run.state !== 'paused';
  const changes = architectureChanges(config, options);
  if (
    fresh &&
    (changes.length || options.learningRate !== config.learningRate || options.batchSize !== config.batchSize)
  ) {
    return (await handlers.reset({ options })).config;
  }
  if (changes.includes('layers')) await checkStack(options.layers);
  applyLive(options);
  publish(); // a run going on takes them without a new state
  return null;
}

/* Learning rate, batch size, schedule, weight decay, augmentation and
 * epochs on the running network (every one of them applies at once). */
function applyLive(options) {
  const { config } = run;
  const change = {};
  for (const k of LIVE) if (options[k] !== undefined && options[k] !== config[k]) change[k] = options[k];
  if (Object.keys(change).length) {
    run.net.setOptions(change); // checks its arguments before changing anything
    Object.assign(config, change);
  }
  if (options.epochs !== undefined && options.epochs !== config.epochs) {
    // only set once the data is whole; the schedule keeps the plan it began
    // with (epochs past it train at its last rate)
    if (run.target !== null) run.target += options.epochs - config.epochs;
    config.epochs = options.epochs;
  }
}

function needNet() {
  if (!run.net) throw new Error('no network yet: the page has not created or loaded one');
}

function copyOut(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8 : u8.slice();
}

/* The config of network n: its settings as the page's controls show them,
 * the threads it runs and why, the threads the page asked for (asked), the
 * epochs of a run (epochs; those of the network before, else EPOCHS) and its
 * layers after the input as C lays them out (net.layers: LayerInfo, shapes
 * and parameter ranges) for the inside view, which so never works a shape
 * out itself. */
function configOf(n, asked, epochs = run.config?.epochs ?? EPOCHS) {
  const c = n.options;
  return {
    ...settingsOf(c),
    // why fewer threads run than asked, or why this page can run only one
    threadsReason: c.threadsReason ?? threadsUnavailable(),
    threadsAsked: asked,
    epochs,
    layerInfo: n.layers,
  };
}

/* The page names this worker; holding the lock of that name for the
 * worker's whole life lets the page learn, by being granted it, that the
 * worker has gone (closed, crashed or terminated), which no event says.
 * Without Web Locks (an insecure origin) only uncaught errors are seen. */
async function holdLifeLock() {
  if (!self.name || !self.navigator?.locks) return false;
  await new Promise((held) => {
    navigator.locks.request(self.name, () => {
      held();
      return new Promise(() => {});
    });
  });
  return true;
}

/* A promise rejection nobody handled is an uncaught error as the page sees
 * it (a worker's unhandledrejection does not reach the page by itself). */
self.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  const err = e.reason instanceof Error ? e.reason : new Error(String(e.reason));
  if (typeof self.reportError === 'function') self.reportError(err);
  else
    setTimeout(() => {
      throw err;
    });
});

/* C's defaults for the page's form: a new network's options and the
 * command lines' epochs, so the form starts where mnist-train does and no
 * default is written twice, the networks the page offers (network.js
 * networkChoices) and the learning rate and weight decay C gives each
 * stack and optimizer (facts.defaults.learningRates and .weightDecays).
 * null if the module does not load (said later). */
async function defaults() {
  const { facts } = await init();
  run.splitMinRows = facts.limits.splitMinRows;
  const fresh = await createNetwork();
  try {
    const networks = networkChoices(fresh.options, facts);
    const byOptimizer = { learningRate: facts.defaults.learningRates, weightDecay: facts.defaults.weightDecays };
    return { ...fresh.options, epochs: facts.cli.epochs, networks, byOptimizer };
  } finally {
    fresh.dispose();
  }
}

Promise.all([holdLifeLock().catch(() => false), defaults().catch(() => null)]).then(([lock, d]) =>
  post({ type: 'ready', lock, defaults: d }),
);
