// wasm.js: finds, loads and wraps the one WebAssembly instance that every
// network and IDX parser of this package shares. The same file runs in Node,
// a page and a module worker: the .wasm is located next to this file with
// import.meta.url, read with fs in Node and fetch elsewhere, and handed to the
// Emscripten glue as wasmBinary (3.1.6's ES-module glue cannot load it in
// Node by itself). Files are read through io.js, which is Node's fs only
// when the package was entered through web/lib/node.js.
//
// There are two builds of the module: mnist-threads (Emscripten's pthreads
// over a shared memory), taken wherever SharedArrayBuffer works (Node, a
// cross-origin isolated page and its workers), and mnist (one thread,
// smaller), taken everywhere else and whenever init() is given wasmUrl or
// wasmBinary (those name one .wasm, which must match its glue).

import { io } from './io.js';
import { optionsObject, describe, tag } from './checks.js';

/** Where the module's .wasm lives by default: web/build/mnist.wasm. */
export function defaultWasmUrl() {
  return new URL('../build/mnist.wasm', import.meta.url);
}

const threadedUrl = (ext) => new URL(`../build/mnist-threads.${ext}`, import.meta.url);

/** Why this environment cannot run the threaded module, or '' if it can. */
export function threadsUnavailable() {
  const isolate =
    'serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
  // An isolated page whose browser still has no SharedArrayBuffer (WebKitGTK)
  // is the browser's limit, not the server's: say which it is.
  if (typeof SharedArrayBuffer !== 'function')
    return globalThis.crossOriginIsolated === true
      ? 'this browser has no SharedArrayBuffer, even on this cross-origin isolated page'
      : `SharedArrayBuffer is not available here (the page is not cross-origin isolated: ${isolate})`;
  if (globalThis.crossOriginIsolated === false) return `the page is not cross-origin isolated (${isolate})`;
  if (typeof io.Worker !== 'function') return 'this environment cannot start workers';
  return '';
}

/**
 * The bytes behind a URL: fs for file: URLs in Node, fetch otherwise.
 * Rejects with an Error naming the URL.
 */
export async function readUrl(url, { signal } = {}) {
  const u = new URL(url, globalThis.location?.href);
  if (u.protocol === 'file:' && io.files) return io.readFile(u, { signal });
  const res = await fetch(u, { signal });
  if (!res.ok) throw httpError(res, u);
  return new Uint8Array(await res.arrayBuffer());
}

export function httpError(res, url) {
  const e = new Error(`HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}: ${url}`);
  return Object.assign(e, { status: res.status, statusText: res.statusText, url: String(url) });
}

const SLOTS = 64; // bytes of out-parameters (pointers, sizes, losses)

/**
 * The loaded module with the helpers every caller needs. Views of the heap
 * are fetched fresh on every access (memory growth replaces them): never
 * keep one across a call that can allocate. `facts` is what C says about
 * itself (csrc/wasm_api.c facts()): limits, statuses, names, layouts.
 */
class Wasm {
  constructor(M, threadsReason) {
    this.M = M;
    /** '' for the threaded module, else why it is not the one loaded. */
    this.threadsReason = threadsReason;
    if (typeof M._facts !== 'function')
      throw new Error(
        'mnist-wasm: web/build/mnist.wasm is from another version of web/lib: rebuild with npm run build',
      );
    this.facts = JSON.parse(this.cstring(M._facts()));
    this.status = Object.fromEntries(this.facts.statuses.map((s, i) => [s.name, i]));
    this.DIVERGED = this.status.NN_ERR_DIVERGED;
    this.slots = this.malloc(SLOTS, 'out-parameters'); // shared: used only within one synchronous call
  }

  get u8() {
    return this.M.heapU8();
  }
  get i32() {
    return this.M.heapI32();
  }
  get u32() {
    return this.M.heapU32();
  }
  get f32() {
    return this.M.heapF32();
  }
  get f64() {
    return this.M.heapF64();
  }

  /** malloc(bytes), throwing an NN_ERR_NOMEM Error instead of returning 0. */
  malloc(bytes, what = 'a buffer') {
    const p = this.M._malloc(Math.max(1, bytes));
    if (!p) throw this.error(this.status.NN_ERR_NOMEM, `allocating ${bytes} bytes for ${what}`);
    return p;
  }
  free(p) {
    if (p) this.M._free(p);
  }

  /** Copies bytes into a fresh malloc'd block; the caller frees it. */
  copyIn(bytes, what) {
    const p = this.malloc(bytes.length, what);
    this.u8.set(bytes, p);
    return p;
  }

  /** A NUL-terminated UTF-8 string from the heap. */
  cstring(p) {
    const u8 = this.u8;
    let end = p;
    while (u8[end]) end++;
    return new TextDecoder().decode(u8.slice(p, end)); // a copy: TextDecoder refuses shared memory
  }

  /** A NUL-terminated UTF-8 copy of s in the heap; the caller frees it. */
  cstringIn(s) {
    const bytes = new TextEncoder().encode(s);
    const p = this.malloc(bytes.length + 1, 'a string');
    this.u8.set(bytes, p);
    this.u8[p + bytes.length] = 0;
    return p;
  }

  /**
   * Calls fn(...args, buf, cap) of a C function that writes text (text.h's
   * rule), strings among args copied in (null: a NULL pointer), and returns
   * [its result, the text].
   */
  callText(fn, args, cap = 1024) {
    const held = [];
    const buf = this.malloc(cap, 'a message');
    try {
      const mapped = args.map((a) =>
        typeof a === 'string' ? (held.push(this.cstringIn(a)), held[held.length - 1]) : (a ?? 0),
      );
      const r = fn(...mapped, buf, cap);
      return [r, this.cstring(buf)];
    } finally {
      held.forEach((p) => this.free(p));
      this.free(buf);
    }
  }

  /** The pointer a C call wrote into the first out-parameter slot. */
  get outPointer() {
    return this.u32[this.slots >> 2];
  }

  /**
   * The Error for a C status, as data: code (the status's name), status,
   * where (the call or file it concerns) and reason (C's sentence, the
   * status's own words unless given). The message is "where: reason";
   * an edge that words it otherwise builds its sentence from the fields.
   */
  error(status, where, reason) {
    const s = this.facts.statuses[status];
    reason ??= s ? s.message : `unknown error ${status}`;
    const e = new Error(`${where}: ${reason}`);
    return Object.assign(e, { code: s ? s.name : 'NN_ERR_UNKNOWN', status, where, reason });
  }

  /** Throws the status as an Error unless it is NN_OK (0). */
  check(status, context) {
    if (status !== 0) throw this.error(status, context);
  }

  /**
   * Loads idle workers until n threads can start at once (threaded module
   * only). The caller then starts them in the same turn, before anything
   * else can take the workers: a thread started on a worker that is still
   * loading would wait for this thread's event loop, which a training step
   * never yields to.
   */
  async reserveWorkers(n) {
    const P = this.M.PThread;
    this.#reserving++;
    try {
      while (P.unusedWorkers.length < n) {
        P.allocateUnusedWorker();
        const worker = P.unusedWorkers[P.unusedWorkers.length - 1];
        await new Promise((resolve) => P.loadWasmModuleToWorker(worker, resolve));
      }
    } finally {
      this.#reserving--;
    }
  }

  #reserving = 0;
  #idleTimer = null;

  /**
   * After a network's threads stopped: once no network runs threads for
   * IDLE_WORKER_MS, ends the idle workers, so nothing is left running (a
   * worker takes a few hundred ms to load: one freed and another made at
   * once reuse them).
   */
  releaseWorkers() {
    if (!this.M.PThread || this.#idleTimer) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      const P = this.M.PThread;
      if (this.M._threads_alive() !== 0 || this.#reserving > 0) return;
      for (const worker of P.unusedWorkers) worker.terminate();
      P.unusedWorkers.length = 0;
    }, IDLE_WORKER_MS);
    this.#idleTimer.unref?.(); // Node: the timer never keeps the process alive
  }

  /** Workers of the threaded module loaded now, busy or idle (0 for the other). */
  get workers() {
    const P = this.M.PThread;
    return P ? P.unusedWorkers.length + P.runningWorkers.length : 0;
  }
}

const IDLE_WORKER_MS = 300;

let pending = null;
let loaded = null;

/**
 * Loads the module once; later calls return the same promise. A failure
 * clears the memo, so a retry (e.g. with another wasmUrl) works.
 */
export function init(options = {}) {
  optionsObject(options, 'init', ['wasmUrl', 'wasmBinary']);
  const { wasmUrl, wasmBinary } = options;
  if (wasmUrl !== undefined && typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL))
    throw new TypeError(`init: wasmUrl must be a string or URL, got ${describe(wasmUrl)}`);
  if (wasmBinary !== undefined && !(wasmBinary instanceof ArrayBuffer) && tag(wasmBinary) !== 'Uint8Array')
    throw new TypeError(`init: wasmBinary must be a Uint8Array or ArrayBuffer, got ${describe(wasmBinary)}`);
  if (!pending) {
    pending = load(wasmUrl, wasmBinary).then(
      (w) => (loaded = w),
      (e) => {
        pending = null;
        throw e;
      },
    );
  }
  return pending;
}

/** The loaded module, or null before init() has resolved. */
export function loadedWasm() {
  return loaded;
}

async function load(wasmUrl, wasmBinary) {
  const given = wasmUrl !== undefined || wasmBinary !== undefined;
  const threadsReason = given
    ? 'init() was given one .wasm (wasmUrl or wasmBinary), which is the single-threaded module'
    : threadsUnavailable();
  const threaded = !threadsReason;
  const glue = threaded ? 'mnist-threads.js' : 'mnist.js';
  let factory;
  try {
    ({ default: factory } = await (threaded ? import('../build/mnist-threads.js') : import('../build/mnist.js')));
  } catch (e) {
    throw new Error(`mnist-wasm: cannot load web/build/${glue} (build it with npm run build): ${e.message}`, {
      cause: e,
    });
  }
  const url = wasmUrl ?? (threaded ? threadedUrl('wasm') : defaultWasmUrl());
  let bytes = wasmBinary;
  if (!bytes) {
    try {
      bytes = await readUrl(url);
    } catch (e) {
      throw new Error(`mnist-wasm: cannot read ${url} (build it with npm run build): ${e.message}`, { cause: e });
    }
  }
  let M;
  const options = { wasmBinary: bytes, printErr: () => {} };
  if (threaded) {
    // the workers import the glue by this URL and take their Worker class from io
    options.mainScriptUrlOrBlob = threadedUrl('js').href;
    options.Worker = io.Worker;
  }
  try {
    M = await factory(options);
  } catch (e) {
    throw new Error(`mnist-wasm: cannot instantiate ${wasmBinary ? 'wasmBinary' : url}: ${e?.message ?? e}`, {
      cause: e,
    });
  }
  return new Wasm(M, threadsReason);
}
