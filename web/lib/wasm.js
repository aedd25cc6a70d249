// wasm.js: finds, loads and wraps the one WebAssembly instance that every
// network and IDX parser of this package shares. The same file runs in Node,
// a page and a module worker: the .wasm is located next to this file with
// import.meta.url, read with fs in Node and fetch elsewhere, and handed to the
// Emscripten glue as wasmBinary (3.1.6's ES-module glue cannot load it in
// Node by itself). Files are read through io.js, which is Node's fs only
// when the package was entered through web/lib/node.js.

import { io } from './io.js';

/** Where the module's .wasm lives by default: web/build/mnist.wasm. */
export function defaultWasmUrl() {
  return new URL('../build/mnist.wasm', import.meta.url);
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
  e.status = res.status;
  return e;
}

/** The type tag of a value, for error messages: "Uint8Array(10)", "number 3", "null". */
export function describe(v) {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${tag(v)}(${v.length ?? v.byteLength})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'object') return tag(v);
  return typeof v;
}

/** The [Symbol.toStringTag] of v ("Uint8Array", ...): works across realms. */
export const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

const SLOTS = 64;   // bytes of out-parameters (pointers, sizes, losses)

/**
 * The loaded module with the helpers every caller needs. Views of the heap
 * are fetched fresh on every access (memory growth replaces them): never
 * keep one across a call that can allocate. `facts` is what C says about
 * itself (csrc/wasm_api.c facts()): limits, statuses, names, layouts.
 */
class Wasm {
  constructor(M) {
    this.M = M;
    if (typeof M._facts !== 'function') throw new Error('mnist-wasm: web/build/mnist.wasm is from another version of web/lib: rebuild with npm run build');
    this.facts = JSON.parse(this.cstring(M._facts()));
    this.status = Object.fromEntries(this.facts.statuses.map((s, i) => [s.name, i]));
    this.DIVERGED = this.status.NN_ERR_DIVERGED;
    this.slots = this.malloc(SLOTS, 'out-parameters'); // shared: used only within one synchronous call
  }

  get u8() { return this.M.heapU8(); }
  get i32() { return this.M.heapI32(); }
  get u32() { return this.M.heapU32(); }
  get f32() { return this.M.heapF32(); }
  get f64() { return this.M.heapF64(); }

  /** malloc(bytes), throwing an NN_ERR_NOMEM Error instead of returning 0. */
  malloc(bytes, what = 'a buffer') {
    const p = this.M._malloc(Math.max(1, bytes));
    if (!p) throw this.error(this.status.NN_ERR_NOMEM, `allocating ${bytes} bytes for ${what}`);
    return p;
  }
  free(p) { if (p) this.M._free(p); }

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
    return new TextDecoder().decode(u8.subarray(p, end));
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
      const mapped = args.map((a) => (typeof a === 'string' ? (held.push(this.cstringIn(a)), held[held.length - 1]) : a ?? 0));
      const r = fn(...mapped, buf, cap);
      return [r, this.cstring(buf)];
    } finally {
      held.forEach((p) => this.free(p));
      this.free(buf);
    }
  }

  /** The pointer a C call wrote into the first out-parameter slot. */
  get outPointer() { return this.u32[this.slots >> 2]; }

  /** The Error for a C status: C's message after a context, and code / status. */
  error(status, context) {
    const s = this.facts.statuses[status];
    const e = new Error(`${context}: ${s ? s.message : `unknown error ${status}`}`);
    e.code = s ? s.name : 'NN_ERR_UNKNOWN';
    e.status = status;
    return e;
  }

  /** Throws the status as an Error unless it is NN_OK (0). */
  check(status, context) {
    if (status !== 0) throw this.error(status, context);
  }
}

let pending = null;
let loaded = null;

const INIT_KEYS = new Set(['wasmUrl', 'wasmBinary']);

/**
 * Loads the module once; later calls return the same promise. A failure
 * clears the memo, so a retry (e.g. with another wasmUrl) works.
 */
export function init(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError(`init options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options)) if (!INIT_KEYS.has(k)) throw new TypeError(`init: unknown option "${k}" (known: ${[...INIT_KEYS].join(', ')})`);
  const { wasmUrl, wasmBinary } = options;
  if (wasmUrl !== undefined && typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) throw new TypeError(`init: wasmUrl must be a string or URL, got ${describe(wasmUrl)}`);
  if (wasmBinary !== undefined && !(wasmBinary instanceof ArrayBuffer) && tag(wasmBinary) !== 'Uint8Array') throw new TypeError(`init: wasmBinary must be a Uint8Array or ArrayBuffer, got ${describe(wasmBinary)}`);
  if (!pending) {
    pending = load(wasmUrl, wasmBinary).then(
      (w) => (loaded = w),
      (e) => { pending = null; throw e; });
  }
  return pending;
}

/** The loaded module, or null before init() has resolved. */
export function loadedWasm() {
  return loaded;
}

async function load(wasmUrl, wasmBinary) {
  let factory;
  try {
    ({ default: factory } = await import('../build/mnist.js'));
  } catch (e) {
    throw new Error(`mnist-wasm: cannot load web/build/mnist.js (build it with npm run build): ${e.message}`, { cause: e });
  }
  const url = wasmUrl ?? defaultWasmUrl();
  let bytes = wasmBinary;
  if (!bytes) {
    try {
      bytes = await readUrl(url);
    } catch (e) {
      throw new Error(`mnist-wasm: cannot read ${url} (build it with npm run build): ${e.message}`, { cause: e });
    }
  }
  let M;
  try {
    M = await factory({ wasmBinary: bytes, printErr: () => {} });
  } catch (e) {
    throw new Error(`mnist-wasm: cannot instantiate ${wasmBinary ? 'wasmBinary' : url}: ${e?.message ?? e}`, { cause: e });
  }
  return new Wasm(M);
}
