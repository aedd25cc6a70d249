// idx.js: IDX files (the MNIST format) read through the C streaming parser
// (csrc/idx.c) in the shared wasm instance. Bytes are pushed chunk by chunk
// as they arrive; gzip input (magic 1f 8b) is decoded on the fly with
// DecompressionStream('gzip'), which exists in Node 18+ and every current
// browser. All three entry points are async because the parser lives in the
// wasm module, which loads asynchronously, and gunzip is a stream.

import { init, readUrl, httpError, describe, tag } from './wasm.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const CHUNK = 1 << 16; // bytes pushed to the parser per call when we choose

function bytesArg(bytes, name) {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (tag(bytes) === 'Uint8Array' || tag(bytes) === 'Uint8ClampedArray') return bytes;
  throw new TypeError(`${name} must be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
}

function signalArg(signal, fn) {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean'))
    throw new TypeError(`${fn}: signal must be an AbortSignal, got ${describe(signal)}`);
}

function optionsArg(options, fn, known) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new TypeError(`${fn}: unknown option "${k}" (known: ${known.join(', ')})`);
  signalArg(options.signal, fn);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new TypeError(`${fn}: onProgress must be a function, got ${describe(options.onProgress)}`);
  return options;
}

function abortError(signal) {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * One C parser for the life of a generator: push(Uint8Array) and the
 * parser's state. Frees itself in close(), which callers run in finally.
 */
class Parser {
  constructor(w, where) {
    this.w = w;
    this.where = where;
    this.buf = 0;
    w.check(w.M._idx_create(w.slots), `${where}: creating the IDX parser`);
    this.p = w.u32[w.slots >> 2];
  }
  push(bytes) {
    const { w } = this;
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const part = bytes.subarray(at, at + CHUNK);
      if (!this.buf) this.buf = w.malloc(CHUNK, 'an IDX chunk');
      w.u8.set(part, this.buf);
      w.check(w.M._idx_push(this.p, this.buf, part.length), this.where);
    }
  }
  finish() { this.w.check(this.w.M._idx_finish(this.p), this.where); }
  get headerDone() { return this.w.M._idx_header_done(this.p) !== 0; }
  get dims() {
    const n = this.w.M._idx_ndims(this.p);
    return Array.from({ length: n }, (_, i) => this.w.M._idx_dim(this.p, i) >>> 0);
  }
  get sampleSize() { return this.w.M._idx_sample_size(this.p) >>> 0; }
  get ready() { return this.w.M._idx_ready(this.p) >>> 0; }
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
 * Bytes from a source as a ReadableStream plus the total size if known:
 * a URL (fetch; fs for file: URLs in Node), a Response or a ReadableStream.
 */
async function open(source, signal, fn) {
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, isNode ? undefined : globalThis.location?.href);
    if (url.protocol === 'file:' && isNode) {
      const fs = await import('node:fs');
      const { Readable } = await import('node:stream');
      let size;
      try {
        size = (await fs.promises.stat(url)).size;
      } catch (e) {
        throw new Error(`${fn}: cannot read ${url.pathname}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { cause: e });
      }
      return { stream: Readable.toWeb(fs.createReadStream(url, { signal })), total: size, where: url.pathname };
    }
    let res;
    try {
      res = await fetch(url, { signal });
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      if (e?.name === 'AbortError') throw e;
      throw Object.assign(new Error(`${fn}: cannot fetch ${url}: ${netMessage(e)}`, { cause: e }), { code: 'NETWORK' });
    }
    if (!res.ok) {
      res.body?.cancel().catch(() => {});
      const e = httpError(res, url);
      e.message = `${fn}: ${e.message}`;
      throw e;
    }
    return fromResponse(res, String(url));
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw httpError(source, source.url || 'response');
    return fromResponse(source, source.url || 'response');
  }
  if (source && typeof source.getReader === 'function') return { stream: source, total: null, where: 'stream' };
  throw new TypeError(`${fn}: source must be a URL string, URL, Response or ReadableStream, got ${describe(source)}`);
}

/** "fetch failed (ECONNREFUSED)": Node's fetch hides the reason in cause. */
function netMessage(e) {
  const why = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? e}${why ? ` (${why})` : ''}`;
}

function fromResponse(res, where) {
  if (!res.body) throw new Error(`${where}: the response has no body`);
  // Content-Length counts the bytes on the wire; only meaningful for progress
  // when no transport encoding sits between it and the body we read.
  const len = res.headers.get('content-length');
  const total = len !== null && !res.headers.get('content-encoding') ? Number(len) : null;
  return { stream: res.body, total: Number.isFinite(total) ? total : null, where };
}

/**
 * The decoded bytes of a stream, chunk by chunk: counts the raw bytes for
 * onProgress, looks at the first two for the gzip magic and, if present,
 * pipes through DecompressionStream('gzip').
 */
async function* decoded(stream, total, signal, onProgress, where) {
  const raw = stream.getReader();
  let out = null;
  let received = 0;
  const readRaw = async () => {
    if (signal?.aborted) throw abortError(signal);
    let r;
    try {
      r = await raw.read();
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      if (e?.name === 'AbortError') throw e;
      throw Object.assign(new Error(`${where}: the download failed after ${received} bytes: ${netMessage(e)}`, { cause: e }), { code: 'NETWORK' });
    }
    if (!r.done) {
      if (!(r.value instanceof Uint8Array)) throw new TypeError(`${where}: the stream gave ${describe(r.value)}, not bytes`);
      received += r.value.length;
      onProgress?.({ received, total });
    }
    return r;
  };
  try {
    // Enough bytes to see the magic (or the end).
    const head = [];
    let headLen = 0;
    let ended = false;
    while (headLen < 2) {
      const r = await readRaw();
      if (r.done) { ended = true; break; }
      head.push(r.value);
      headLen += r.value.length;
    }
    const first = head.length === 1 ? head[0] : concat(head, headLen);
    const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    if (!gzip) {
      if (first.length) yield first;
      while (!ended) {
        const r = await readRaw();
        if (r.done) break;
        yield r.value;
      }
      return;
    }
    const src = new ReadableStream({
      start(c) { c.enqueue(first); if (ended) c.close(); },
      async pull(c) {
        const r = await readRaw();
        if (r.done) c.close(); else c.enqueue(r.value);
      },
    }, { highWaterMark: 0 });
    out = src.pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      let r;
      try {
        r = await out.read();
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        if (e?.name === 'AbortError' || e?.code === 'NETWORK') throw e;
        throw Object.assign(new Error(`${where}: corrupt or truncated gzip data (${e?.message ?? e})`, { cause: e }), { code: 'GZIP' });
      }
      if (r.done) break;
      yield r.value;
    }
  } finally {
    out?.cancel().catch(() => {});
    raw.cancel().catch(() => {});
  }
}

function concat(parts, len) {
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * The common pump: pushes decoded chunks into a parser; yields an update
 * whenever the header completes or whole samples arrive (with the new
 * samples copied out if copy is set). Ends after idx_finish succeeds.
 */
async function* pump(source, { signal, onProgress } = {}, fn, copy) {
  if (signal?.aborted) throw abortError(signal);
  const w = await init();
  const { stream, total, where } = await open(source, signal, fn);
  const parser = new Parser(w, `${fn}: ${where}`);
  let received = 0;
  const progress = (p) => { received = p.received; onProgress?.(p); };
  try {
    let ready = 0;
    let header = false;
    for await (const chunk of decoded(stream, total, signal, progress, where)) {
      parser.push(chunk);
      if (!header && !parser.headerDone) continue;
      const now = parser.ready;
      if (header && now === ready) continue;
      header = true;
      yield update(parser, ready, now, received, total, copy);
      ready = now;
    }
    if (signal?.aborted) throw abortError(signal);
    parser.finish();
    yield { ...update(parser, ready, ready, received, total, false), parser, done: true };
  } finally {
    parser.close();
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
  const opts = optionsArg(options, 'parseIdx', ['signal']);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    const stream = new ReadableStream({ start(c) { c.enqueue(b.slice()); c.close(); } });
    return collect(pump(stream, opts, 'parseIdx', false));
  }
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const w = await init();
  const parser = new Parser(w, 'parseIdx');
  try {
    parser.push(b);
    parser.finish();
    const dims = parser.dims;
    return { dims, data: parser.samples(0, dims[0]) };
  } finally {
    parser.close();
  }
}

/**
 * Streams an IDX file from a URL (or Response / ReadableStream), gunzipping
 * on the fly, and resolves with the whole file once it has arrived and
 * checked out. onProgress({ received, total }) counts body bytes as they
 * arrive (total: Content-Length, or null).
 * @returns {Promise<{dims: number[], data: Uint8Array}>}
 */
export async function fetchIdx(url, options) {
  const opts = optionsArg(options, 'fetchIdx', ['signal', 'onProgress']);
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
  const opts = optionsArg(options, 'streamIdx', ['signal', 'onProgress']);
  for await (const u of pump(source, opts, 'streamIdx', true)) {
    if (u.done) return;
    yield u;
  }
}
