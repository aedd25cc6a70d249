// idx.js: IDX files (the MNIST format) read through the C streaming parser
// (csrc/idx.c) in the shared wasm instance. The bytes come through
// download.js's one pipeline (gunzipped on the fly where they are gzip) and
// are pushed into the parser chunk by chunk as they arrive. All three entry
// points are async because the parser lives in the wasm module, which
// loads asynchronously, and the pipeline is a stream.

import { init } from './wasm.js';
import { optionsObject, bytesArg, describe } from './checks.js';
import { CHUNK, decodedChunks, intoHeap, isBytes } from './download.js';

/**
 * The C parser's error status in words (csrc/explain.h: what the first
 * bytes are, the header's claim, ...) after where; type is the
 * Content-Type if a server sent one.
 */
function parserError(w, p, status, where, type) {
  return w.error(status, where, w.callText(w.M._idx_explain, [p, status, type ?? null])[1]);
}

/**
 * One C parser for the life of a generator: push(Uint8Array) and the
 * parser's state. Frees itself in close(), which callers run in finally.
 */
class Parser {
  constructor(w, where, type = null) {
    this.w = w;
    this.where = where;
    this.type = type; // the Content-Type, for error messages
    this.buf = 0;
    w.check(w.M._idx_create(w.slots), `${where}: creating the IDX parser`);
    this.p = w.u32[w.slots >> 2];
  }
  push(bytes) {
    const { w } = this;
    if (!this.buf) this.buf = w.malloc(CHUNK, 'an IDX chunk');
    const status = intoHeap(w, this.buf, bytes, (n) => w.M._idx_push(this.p, this.buf, n));
    if (status) throw parserError(w, this.p, status, this.where, this.type);
  }
  finish() {
    const status = this.w.M._idx_finish(this.p);
    if (status) throw parserError(this.w, this.p, status, this.where, this.type);
  }
  get headerDone() {
    return this.w.M._idx_header_done(this.p) !== 0;
  }
  get dims() {
    const n = this.w.M._idx_ndims(this.p);
    return Array.from({ length: n }, (_, i) => this.w.M._idx_dim(this.p, i) >>> 0);
  }
  get sampleSize() {
    return this.w.M._idx_sample_size(this.p) >>> 0;
  }
  get ready() {
    return this.w.M._idx_ready(this.p) >>> 0;
  }
  /** A copy of samples [from, to). */
  samples(from, to) {
    const ss = this.sampleSize;
    const d = this.w.M._idx_data(this.p);
    return this.w.u8.slice(d + from * ss, d + to * ss);
  }
  close() {
    this.w.free(this.buf);
    this.w.M._idx_free(this.p);
    this.p = this.buf = 0;
  }
}

/**
 * The common pump: pushes decoded chunks into a parser; yields an update
 * whenever the header completes or whole samples arrive (with the new
 * samples copied out if copy is set). Ends after idx_finish succeeds.
 */
async function* pump(source, options = {}, fn, copy, named = true) {
  const w = await init();
  const meta = {};
  let parser = null;
  try {
    let received = 0;
    const progress = (p) => {
      received = p.received;
      options.onProgress?.(p);
    };
    let ready = 0;
    let header = false;
    const labelOf = (where) => (named && where ? `${fn}: ${where}` : fn);
    for await (const chunk of decodedChunks(source, { ...options, onProgress: progress }, fn, meta, labelOf)) {
      parser ??= new Parser(w, meta.label, meta.type);
      parser.push(chunk);
      if (!header && !parser.headerDone) continue;
      const now = parser.ready;
      if (header && now === ready) continue;
      header = true;
      yield update(parser, ready, now, received, meta.total, copy);
      ready = now;
    }
    parser ??= new Parser(w, meta.label, meta.type);
    parser.finish();
    yield { ...update(parser, ready, ready, received, meta.total, false), parser, done: true };
  } finally {
    parser?.close();
  }
}

function update(parser, from, to, received, total, copy) {
  const dims = parser.dims;
  return {
    dims,
    count: dims[0],
    sampleSize: parser.sampleSize,
    start: from,
    ready: to,
    samples: copy ? parser.samples(from, to) : new Uint8Array(0),
    received,
    total,
  };
}

/** fetchIdx and streamIdx take a URL, Response or stream; parseIdx takes the bytes. */
function sourceArg(source, fn) {
  if (isBytes(source))
    throw new TypeError(`${fn}: source must be a URL string, URL, Response or ReadableStream, got ${describe(source)}`);
}

async function collect(it) {
  for await (const u of it) {
    if (u.done) return { dims: u.dims, data: u.parser.samples(0, u.count) };
  }
  throw new Error('unreachable: IDX stream ended without a result');
}

/**
 * Parses a whole IDX file, raw or gzip, through the C parser.
 * @returns {Promise<{dims: number[], data: Uint8Array}>}
 */
export async function parseIdx(bytes, options) {
  const b = bytesArg(bytes, 'parseIdx: bytes');
  const opts = optionsObject(options, 'parseIdx', ['signal']);
  return collect(pump(new Uint8Array(b.buffer, b.byteOffset, b.length), opts, 'parseIdx', false, false));
}

/**
 * Streams an IDX file from a URL (or Response / ReadableStream), gunzipping
 * on the fly, and resolves with the whole file once it has arrived and
 * checked out. onProgress({ received, total }) counts body bytes as they
 * arrive (total: Content-Length, or null).
 * @returns {Promise<{dims: number[], data: Uint8Array}>}
 */
export async function fetchIdx(url, options) {
  const opts = optionsObject(options, 'fetchIdx', ['signal', 'onProgress', 'timeout']);
  sourceArg(url, 'fetchIdx');
  return collect(pump(url, opts, 'fetchIdx', false));
}

/**
 * Streams an IDX file and yields whole samples as they arrive, so that
 * training can start before the download ends:
 *
 *   for await (const u of streamIdx(url, { signal })) {
 *     buf ??= new Uint8Array(u.count * u.sampleSize);
 *     buf.set(u.samples, u.start * u.sampleSize);   // samples [start, ready)
 *   }
 *
 * The first update comes as soon as the header is whole (dims known,
 * possibly no samples yet). Iteration ends normally only once the file is
 * complete and valid; a truncated or corrupt stream, an HTTP error or an
 * abort throw from the loop. Breaking out of the loop cancels the download.
 */
export async function* streamIdx(source, options) {
  const opts = optionsObject(options, 'streamIdx', ['signal', 'onProgress', 'timeout']);
  sourceArg(source, 'streamIdx');
  for await (const u of pump(source, opts, 'streamIdx', true)) {
    if (u.done) return;
    yield u;
  }
}
