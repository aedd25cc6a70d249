// dataset.js: data sets that live once, in the wasm heap (csrc/data.h). The
// bytes of an images file and a labels file stream in (gunzipped on the fly
// by download.js's one pipeline) and C's IDX parsers store them in place; a
// network trains on the rows that have arrived while the rest comes. No copy
// is kept in JavaScript: image(i) copies out one image, for display.
//
//   const ds = openDataset({ images: url1, labels: url2 });   // at once; fills as it streams
//   await ds.done;                                             // or: await loadDataset(...)
//   const { train, test } = await loadMnist(base);             // the four standard files

import { init, httpError } from './wasm.js';
import { optionsObject, describe } from './checks.js';
import { CHUNK, Watch, abortError, decodedChunks, fetchResponse, intoHeap, isBytes } from './download.js';
import { io } from './io.js';

const FILES = ['images', 'labels']; // data_file: DATA_IMAGES = 0, DATA_LABELS = 1
const OPEN_OPTIONS = ['classes', 'signal', 'onProgress', 'timeout'];

// Frees the C side of data sets dropped without dispose().
const registry =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(({ w, ptr }) => w.M._data_free(ptr)) : null;

const token = Symbol('Dataset');

/** Images and labels in the heap; made by openDataset, loadDataset or loadMnist. */
export class Dataset {
  #w;
  #ptr;
  #waiters = [];
  #controller = new AbortController();
  #received = [0, 0];
  #total = [null, null];
  /** Resolves once both files are whole and checked; rejects with the first error. */
  done;

  constructor(key, w, ptr) {
    if (key !== token) throw new TypeError('Dataset: use openDataset(), loadDataset() or loadMnist()');
    this.#w = w;
    this.#ptr = ptr;
    registry?.register(this, { w, ptr }, this);
  }

  /** The C data set, for Network methods in this package. */
  get pointer() {
    if (!this.#ptr) throw new Error('dataset disposed');
    return this.#ptr;
  }
  get disposed() {
    return !this.#ptr;
  }
  /** Samples the headers promise (0 until they arrive). */
  get count() {
    return this.#ptr ? this.#w.M._data_count(this.#ptr) >>> 0 : 0;
  }
  /** Samples whose image and label have arrived and been checked. */
  get ready() {
    return this.#ptr ? this.#w.M._data_ready(this.#ptr) >>> 0 : 0;
  }
  /** True once both files arrived whole and valid. */
  get complete() {
    return !!this.#ptr && this.#w.M._data_complete(this.#ptr) === 1;
  }
  get rows() {
    return this.#ptr ? this.#w.M._data_rows(this.#ptr) : 0;
  }
  get cols() {
    return this.#ptr ? this.#w.M._data_cols(this.#ptr) : 0;
  }
  get classes() {
    return this.#ptr ? this.#w.M._data_classes(this.#ptr) : 0;
  }
  /** The largest label of the ready samples (below classes); -1 before any. */
  get maxLabel() {
    return this.#ptr ? this.#w.M._data_max_label(this.#ptr) : -1;
  }
  /** Bytes received over the wire so far, and the total where servers sent one (else null). */
  get received() {
    return this.#received[0] + this.#received[1];
  }
  get total() {
    return this.#total.includes(null) ? null : this.#total[0] + this.#total[1];
  }

  /** A copy of ready image i (rows * cols pixels, 0..255). */
  image(i) {
    this.#index(i, 'image');
    const size = this.rows * this.cols;
    const p = this.#w.M._data_pixels(this.#ptr) + i * size;
    return this.#w.u8.slice(p, p + size);
  }
  /** The label of ready sample i. */
  label(i) {
    this.#index(i, 'label');
    return this.#w.u8[this.#w.M._data_labels(this.#ptr) + i];
  }
  #index(i, fn) {
    if (!this.#ptr) throw new Error(`${fn}: dataset disposed`);
    if (!Number.isInteger(i) || i < 0 || i >= this.ready)
      throw new RangeError(
        `${fn}: index must be an integer in 0..${this.ready - 1} (the samples that have arrived), got ${describe(i)}`,
      );
  }

  /** Resolves when more samples arrive or the data set ends (whole or failed). */
  changed() {
    if (!this.#ptr || this.complete || this.#w.M._data_error(this.#ptr)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  #wake() {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Stops the downloads (done rejects with reason) and frees the data. Safe to call twice. */
  dispose(reason) {
    if (!this.#ptr) return;
    this.#controller.abort(reason ?? abortError('the dataset was disposed'));
    registry?.unregister(this);
    this.#w.M._data_free(this.#ptr);
    this.#ptr = 0;
    this.#wake();
  }

  /**
   * The error of a push, in C's words (csrc/explain.h) that name what is
   * wrong with which sample; url is the source's, where it has one.
   */
  #explain(status, file, where, type, url) {
    const w = this.#w;
    const e = w.error(status, where, w.callText(w.M._data_explain, [this.#ptr, status, file, type ?? null])[1]);
    e.file = status === w.status.NN_ERR_LABEL ? 1 : file;
    if (url !== undefined) e.url = url;
    return e;
  }

  /** Aborts the downloads when the caller's signal does. */
  follow(signal) {
    if (!signal) return;
    if (signal.aborted) this.#controller.abort(signal.reason);
    else signal.addEventListener('abort', () => this.#controller.abort(signal.reason), { once: true });
  }

  /** Streams one file into the data set (called once per file by openDataset). */
  async fill(file, source, options, fn) {
    const w = this.#w;
    const meta = {};
    const { signal } = this.#controller;
    const onProgress = ({ received, total }) => {
      this.#received[file] = received;
      this.#total[file] = total;
      options.onProgress?.(this);
    };
    const labelOf = (where) => `${fn}: ${where ?? FILES[file]}`;
    const chunks = decodedChunks(source, { signal, onProgress, timeout: options.timeout }, fn, meta, labelOf);
    const buf = w.malloc(CHUNK, 'a data chunk');
    const where = () => meta.label ?? labelOf(null);
    try {
      for await (const chunk of chunks) {
        if (!this.#ptr) throw this.#controller.signal.reason;
        const status = intoHeap(w, buf, chunk, (n) => w.M._data_push(this.#ptr, file, buf, n));
        if (status) throw this.#explain(status, file, where(), meta.type, meta.url);
        this.#wake();
      }
      if (!this.#ptr) throw this.#controller.signal.reason;
      const status = w.M._data_finish(this.#ptr, file);
      if (status) throw this.#explain(status, file, where(), meta.type, meta.url);
    } catch (e) {
      if (e && typeof e === 'object' && e.file === undefined && Object.isExtensible(e)) e.file = file; // which source failed
      this.#controller.abort(e); // the other file stops too
      throw e;
    } finally {
      w.free(buf);
      this.#wake();
    }
  }
}

function checkSources(sources, fn) {
  if (sources === null || typeof sources !== 'object' || isBytes(sources) || Array.isArray(sources))
    throw new TypeError(`${fn}: sources must be { images, labels }, got ${describe(sources)}`);
  for (const k of Object.keys(sources))
    if (!FILES.includes(k)) throw new TypeError(`${fn}: unknown source "${k}" (known: images, labels)`);
  for (const k of FILES) {
    const s = sources[k];
    const ok =
      typeof s === 'string' ||
      s instanceof URL ||
      isBytes(s) ||
      (typeof Response !== 'undefined' && s instanceof Response) ||
      typeof s?.getReader === 'function';
    if (!ok)
      throw new TypeError(
        `${fn}: ${k} must be a URL, Response, ReadableStream, Uint8Array or ArrayBuffer, got ${describe(s)}`,
      );
  }
}

function checkOptions(options, fn, maxClasses) {
  const o = optionsObject(options, fn, OPEN_OPTIONS);
  const c = o.classes;
  if (c !== undefined && (!Number.isInteger(c) || c < 2 || c > maxClasses))
    throw new RangeError(`${fn}: classes must be an integer in 2..${maxClasses}, got ${describe(c)}`);
  return o;
}

/**
 * A data set that fills as its two files stream in. Returns at once (after
 * the module has loaded); `done` settles when both files are whole or one
 * fails. Sources: a URL (fetch; fs for file: URLs in Node), a Response, a
 * ReadableStream, or the bytes themselves; gzip is decoded on the fly.
 * onProgress(dataset) runs as bytes arrive.
 */
export async function openDataset(sources, options) {
  const fn = 'openDataset';
  checkSources(sources, fn);
  const w = await init();
  const o = checkOptions(options, fn, w.facts.limits.maxClasses);
  w.check(w.M._data_create(o.classes ?? w.facts.defaults.layers.at(-1), w.slots), fn); // the default network's classes
  const ds = new Dataset(token, w, w.outPointer);
  ds.follow(o.signal);
  // done settles once both files have stopped (the other one is aborted
  // when one fails), so each has freed its heap chunk by then; it rejects
  // with the error that came first
  let failed = null;
  const fills = FILES.map((k, file) =>
    ds.fill(file, sources[k], o, fn).catch((e) => {
      failed ??= { e };
    }),
  );
  ds.done = Promise.all(fills).then(() => {
    if (failed) throw failed.e;
    return ds;
  });
  ds.done.catch(() => {}); // read through ds.done; never an unhandled rejection
  return ds;
}

/** openDataset, resolved once the data set is whole; frees it and rejects on any error. */
export async function loadDataset(sources, options) {
  const ds = await openDataset(sources, options);
  try {
    return await ds.done;
  } catch (e) {
    ds.dispose();
    throw e;
  }
}

const SETS = ['train', 'test'];

/**
 * The standard MNIST files under a folder or base URL (train-images-idx3-ubyte
 * and the others, each NAME.gz or else NAME: the order every reader of this
 * package uses, from C's data_file_suffix), as { train, test } Datasets that
 * fill as they stream. options.sets picks some of them (default both).
 */
export async function openMnist(base, options) {
  const { sets: which = SETS, ...rest } = options ?? {};
  if (
    !Array.isArray(which) ||
    which.length === 0 ||
    which.some((k) => !SETS.includes(k)) ||
    new Set(which).size !== which.length
  )
    throw new TypeError(`openMnist: sets must list some of "train", "test", got ${describe(which)}`);
  const w = await init();
  const { files } = w.facts;
  const sets = {};
  try {
    for (const set of which) {
      // looked up side by side; a failure is reported in file order (images
      // first), not in the order the lookups happen to fail
      const found = await Promise.allSettled(
        files[set].map((name) => findFile(base, name, files.suffixes, rest.signal, rest.timeout)),
      );
      const missing = found.find((r) => r.status === 'rejected');
      if (missing) {
        for (const r of found) r.value?.body?.cancel().catch(() => {}); // the other file's response, unread
        throw missing.reason;
      }
      const [images, labels] = found.map((r) => r.value);
      sets[set] = await openDataset({ images, labels }, options === undefined ? undefined : rest);
    }
  } catch (e) {
    for (const ds of Object.values(sets)) ds.dispose();
    throw e;
  }
  return sets;
}

/** openMnist, resolved once its files are whole. */
export async function loadMnist(base, options) {
  const sets = await openMnist(base, options);
  try {
    await Promise.all(Object.values(sets).map((ds) => ds.done));
    return sets;
  } catch (e) {
    for (const ds of Object.values(sets)) ds.dispose();
    throw e;
  }
}

/**
 * The Response (or, in Node, the file: URL) of the first of NAME + suffix
 * under base that exists, in C's one lookup order (facts.files.suffixes):
 * only "not found" (404, 410, no such file) tries the next. Errors carry
 * `tried` ([{ url, status, statusText }], the failing one last) and `code`
 * NOT_FOUND, NETWORK or TIMEOUT, or the HTTP `status`, so that callers such
 * as the page can word them their own way.
 */
export async function findMnistFile(base, name, { signal, timeout } = {}) {
  const { suffixes } = (await init()).facts.files;
  return findFile(base, name, suffixes, signal, timeout);
}

async function findFile(base, name, suffixes, signal, timeout) {
  const root = new URL(String(base).endsWith('/') ? String(base) : `${base}/`, globalThis.location?.href);
  const tried = [];
  for (const suffix of suffixes) {
    const url = new URL(name + suffix, root);
    if (url.protocol === 'file:' && io.files) {
      if (await io.fileExists(url)) return url;
      tried.push({ url: url.pathname, status: 0, statusText: 'no such file' });
      continue;
    }
    // the caller's signal and the timeout (until the response starts; the body's own is openDataset's)
    const watch = new Watch(signal, timeout, 'loadMnist');
    let res;
    try {
      res = await fetchResponse(url, watch, 'loadMnist');
    } catch (e) {
      watch.close();
      if (e?.code === 'TIMEOUT' || e?.code === 'NETWORK') Object.assign(e, { tried, url: String(url) });
      throw e;
    }
    // the response's body still follows the caller's signal: an abort cancels
    // a body that nobody reads yet (the watch's timer is done with)
    watch.disarm();
    if (res.ok) return res;
    watch.close();
    res.body?.cancel().catch(() => {});
    tried.push({ url: String(url), status: res.status, statusText: res.statusText });
    if (res.status !== 404 && res.status !== 410) {
      // only "not found" tries the other name
      const e = httpError(res, url);
      const reason = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
      e.message = `loadMnist: ${url}: ${reason}`;
      throw Object.assign(e, { tried, url: String(url), reason });
    }
  }
  const list = tried.map(
    (t) => `${t.url} (${t.status ? `HTTP ${t.status}${t.statusText ? ' ' + t.statusText : ''}` : t.statusText})`,
  );
  const e = new Error(`loadMnist: not found: ${list.join(', nor ')}`);
  e.code = 'NOT_FOUND';
  e.file = name; // the standard name, for callers that word it their own way
  e.tried = tried;
  throw e;
}
