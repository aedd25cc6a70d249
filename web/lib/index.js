// mnist-wasm: a from-scratch neural network in C, compiled to WebAssembly.
// This is the package's entry (DESIGN.md): createNetwork and loadNetwork
// here, and what the other files of web/lib give, one job a file:
//   wasm.js       the one wasm instance: loading, heap views, C errors as data
//   checks.js     the argument checks (one options check for every call)
//   config.js     a network's options to and from C's config layout
//   network.js    the Network class
//   trainer.js    C's training loop: Trainer, and train()'s epochs
//   evaluation.js evaluate() and evaluator()
//   gradients.js  one image's backpropagation seen from inside
//   download.js   the one download pipeline: source -> counter -> gunzip -> chunks
//   idx.js        IDX files through C's streaming parser
//   dataset.js    data sets that live in the heap and fill as they stream
//   io.js         what differs in Node (node.js installs it): files, gunzip, workers
// It runs unchanged in Node 20, a page and a module worker.
//
// Rules kept throughout:
// - Every argument is checked before anything is copied into the heap, and
//   a bad one throws a TypeError or RangeError naming it; so a rejected
//   call leaves the network exactly as it was.
// - C status codes become Errors with C's message and fields code, status,
//   where and reason through one check() helper (wasm.js).
// - Whoever mallocs frees: each Network owns its net pointer and one
//   scratch block; per-call buffers are freed in finally.
// - Heap views are fetched fresh after every call that can allocate.

import { init } from './wasm.js';
import { optionsObject, integer, tag, describe } from './checks.js';
import { NETWORK_OPTIONS, configFromOptions } from './config.js';
import { Network, networkToken } from './network.js';

export { init, defaultWasmUrl, threadsUnavailable } from './wasm.js';
export { parseIdx, fetchIdx, streamIdx } from './idx.js';
export { abortError } from './download.js';
export { Dataset, openDataset, loadDataset, openMnist, loadMnist, findMnistFile } from './dataset.js';
export { Network } from './network.js';
export { Trainer } from './trainer.js';

/** The threads option: an integer in 1..maxThreads, 1 when not given. */
function threadsOption(v, w) {
  return v === undefined ? 1 : integer(v, 'threads', 1, w.facts.limits.maxThreads);
}

/**
 * Starts the asked threads on a new C network (ptr), whose workers are
 * loaded first; returns '' or, where threads cannot run here, why (the
 * network then keeps one). Destroys ptr if it throws.
 */
async function startThreads(w, ptr, threads, fn) {
  if (threads === 1) return '';
  if (w.threadsReason) return w.threadsReason;
  try {
    await w.reserveWorkers(threads - 1);
    w.check(w.M._set_threads(ptr, threads), `${fn}: threads`); // in the same turn as the check of the workers
  } catch (e) {
    w.M._destroy(ptr);
    w.releaseWorkers();
    throw e;
  }
  return '';
}

/** Bytes of wasm memory (the heap's size, which grows and never shrinks). */
export async function memoryBytes() {
  const w = await init();
  return w.u8.length;
}

/**
 * A new network, weights drawn from the seed. Options default to the
 * classic 784-128-64-10 sigmoid network, SGD, learning rate 0.5, batch 8,
 * seed 1 (nn_config_default).
 */
export async function createNetwork(options) {
  const w = await init();
  const { threads: asked, ...rest } = optionsObject(options, 'createNetwork', [...NETWORK_OPTIONS, 'threads']);
  const threads = threadsOption(asked, w);
  const cfg = configFromOptions(options === undefined ? undefined : rest, 'createNetwork', w);
  const p = w.malloc(cfg.length * 8, 'the config');
  let ptr;
  try {
    w.f64.set(cfg, p >> 3);
    w.check(w.M._create(p, w.slots), 'createNetwork');
    ptr = w.u32[w.slots >> 2];
  } finally {
    w.free(p);
  }
  const reason = await startThreads(w, ptr, threads, 'createNetwork');
  return new Network(networkToken, w, ptr, reason);
}

/**
 * A network from a model file (save(), mnist-train --save) or a NumPy .npz
 * (export('npz'), or np.savez of W1..Wn): told apart by their first bytes.
 */
export async function loadNetwork(bytes, options) {
  const { threads: asked } = optionsObject(options, 'loadNetwork', ['threads']);
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (tag(bytes) !== 'Uint8Array')
    throw new TypeError(`loadNetwork: bytes must be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  if (bytes.length === 0) throw new RangeError('loadNetwork: bytes is empty');
  const w = await init();
  const threads = threadsOption(asked, w);
  const buf = w.copyIn(bytes, 'the model file');
  let ptr;
  try {
    const [status, why] = w.callText(w.M._load, [buf, bytes.length, w.slots]);
    if (status) {
      throw w.error(status, 'loadNetwork', why);
    }
    ptr = w.u32[w.slots >> 2];
  } finally {
    w.free(buf);
  }
  const reason = await startThreads(w, ptr, threads, 'loadNetwork');
  return new Network(networkToken, w, ptr, reason);
}

/** Bytes of wasm heap in use (malloc'd, not freed): for leak checks. */
export async function heapUsed() {
  const w = await init();
  return w.M._heap_used();
}
