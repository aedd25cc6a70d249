// idx.js: IDX files (the MNIST format) read through the C streaming parser
// (csrc/idx.c) in the shared wasm instance. Bytes are pushed chunk by chunk
// as they arrive; gzip input (magic 1f 8b) is decoded on the fly by io.js's
// gunzip: DecompressionStream('gzip') in browsers and workers, node:zlib in
// Node (whose DecompressionStream reads far ahead: see web/lib/node.js). All
// three entry points are async because the parser lives in the wasm module,
// which loads asynchronously, and gunzip is a stream.

import { init, loadedWasm, httpError, describe, tag } from './wasm.js';
import { io } from './io.js';

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

const MAX_TIMEOUT = 2 ** 31 - 1; // setTimeout's limit

function optionsArg(options, fn, known) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options))
    if (!known.includes(k)) throw new TypeError(`${fn}: unknown option "${k}" (known: ${known.join(', ')})`);
  signalArg(options.signal, fn);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new TypeError(`${fn}: onProgress must be a function, got ${describe(options.onProgress)}`);
  const t = options.timeout;
  if (t !== undefined) {
    if (typeof t !== 'number')
      throw new TypeError(`${fn}: timeout must be a number of milliseconds, got ${describe(t)}`);
    if (!(t >= 1 && (t <= MAX_TIMEOUT || t === Infinity)))
      throw new RangeError(`${fn}: timeout must be in 1..${MAX_TIMEOUT} ms (or Infinity), got ${t}`);
  }
  return options;
}

function abortError(signal) {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * One download's cancellation: the caller's signal and the idle timeout
 * folded into one AbortSignal that fetch, the file stream and our reads
 * all obey. The idle timer runs only while we wait for the source (the
 * response, or the next chunk), never while the caller holds a streamIdx
 * update, so a slow consumer is not mistaken for a stalled server.
 */
class Watch {
  constructor(user, timeout, fn) {
    this.ctl = new AbortController();
    this.signal = this.ctl.signal;
    this.fn = fn;
    this.timeout = timeout === Infinity ? undefined : timeout;
    this.timer = null;
    this.user = user;
    this.onAbort = () => this.ctl.abort(abortError(user));
    if (user?.aborted) this.onAbort();
    else user?.addEventListener('abort', this.onAbort, { once: true });
  }
  /**
   * Starts the idle timer for the source at url (label starts the message);
   * reason(ms) says what did not come when it fires.
   */
  arm(label, url, reason) {
    if (this.timeout === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const why = reason(this.timeout);
      const e = new Error(`${label}: ${why} (the timeout option); gave up`);
      this.ctl.abort(Object.assign(e, { name: 'TimeoutError', code: 'TIMEOUT', url, reason: why }));
    }, this.timeout);
  }
  disarm() {
    clearTimeout(this.timer);
    this.timer = null;
  }
  /** Throws the abort reason (the caller's, or the timeout) if there is one. */
  check() {
    if (this.signal.aborted) throw this.signal.reason;
  }
  close() {
    this.disarm();
    this.user?.removeEventListener('abort', this.onAbort);
  }
}

/** NN_ERR_GZIP of the source at url with the decompressor's reason: "<where>: corrupt or truncated gzip data (<detail>)". */
function gzipError(where, url, cause) {
  const w = loadedWasm();
  const e = w.error(w.status.NN_ERR_GZIP, where);
  e.message += ` (${cause?.message ?? cause})`;
  return Object.assign(e, { cause, detail: String(cause?.message ?? cause), url });
}

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
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const part = bytes.subarray(at, at + CHUNK);
      if (!this.buf) this.buf = w.malloc(CHUNK, 'an IDX chunk');
      w.u8.set(part, this.buf);
      const status = w.M._idx_push(this.p, this.buf, part.length);
      if (status) throw parserError(w, this.p, status, this.where, this.type);
    }
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
 * Bytes from a source as a ReadableStream plus the total size if known:
 * a URL (fetch; fs for file: URLs in Node), a Response or a ReadableStream.
 */
async function open(source, watch, fn) {
  const { signal } = watch;
  if (typeof source === 'string' || source instanceof URL) {
    let url;
    try {
      url = new URL(source, globalThis.location?.href);
    } catch (e) {
      throw new TypeError(`${fn}: not a valid URL: ${describe(String(source))}`, { cause: e });
    }
    if (url.protocol === 'file:' && io.files) {
      let file;
      try {
        file = await io.openFile(url, { signal });
      } catch (e) {
        watch.check();
        const reason = e.code === 'ENOENT' ? 'no such file' : e.message;
        throw Object.assign(new Error(`${fn}: cannot read ${url.pathname}: ${reason}`, { cause: e }), {
          url: url.href,
          reason,
        });
      }
      return { stream: file.stream, total: file.size, where: url.pathname, url: url.href };
    }
    let res;
    watch.arm(`${fn}: ${url}`, url.href, (ms) => `no response within ${ms} ms`);
    try {
      res = await fetch(url, { signal });
    } catch (e) {
      watch.check();
      if (e?.name === 'AbortError') throw e;
      const reason = netMessage(e);
      throw Object.assign(new Error(`${fn}: cannot fetch ${url}: ${reason}`, { cause: e }), {
        code: 'NETWORK',
        url: url.href,
        reason,
      });
    } finally {
      watch.disarm();
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
    if (!source.ok) {
      const e = httpError(source, source.url || 'response');
      e.message = `${fn}: ${e.message}`;
      throw e;
    }
    return fromResponse(source, source.url || 'response');
  }
  if (source && typeof source.getReader === 'function') return { stream: source, total: null, where: 'stream' };
  throw new TypeError(`${fn}: source must be a URL string, URL, Response or ReadableStream, got ${describe(source)}`);
}

/** "fetch failed (ECONNREFUSED)": Node's fetch hides the reason in cause. */
export function netMessage(e) {
  const why = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? e}${why ? ` (${why})` : ''}`;
}

function fromResponse(res, where) {
  const url = res.url || undefined;
  if (!res.body) throw new Error(`${where}: the response has no body`);
  // Content-Length counts the bytes on the wire; only meaningful for progress
  // when no transport encoding sits between it and the body we read.
  const len = res.headers.get('content-length');
  const total = len !== null && !res.headers.get('content-encoding') ? Number(len) : null;
  return {
    stream: res.body,
    total: Number.isFinite(total) ? total : null,
    where,
    url,
    type: res.headers.get('content-type'),
  };
}

/**
 * The decoded bytes of a stream, chunk by chunk: counts the raw bytes for
 * onProgress, looks at the first two for the gzip magic and, if present,
 * pipes them through io.gunzip. Errors start with label and carry the
 * source's url.
 */
async function* decoded(stream, total, watch, onProgress, label, url) {
  const raw = stream.getReader();
  let received = 0;
  // An abort ends a pending read at once, whatever the source (a
  // ReadableStream of one's own does not know about our signal).
  const cancel = () => raw.cancel(watch.signal.reason).catch(() => {});
  watch.signal.addEventListener('abort', cancel, { once: true });
  const readRaw = async () => {
    watch.check();
    let r;
    watch.arm(label, url, (ms) => `no data for ${ms} ms after ${received} bytes`);
    try {
      r = await raw.read();
    } catch (e) {
      watch.check();
      if (e?.name === 'AbortError') throw e;
      const reason = `the download failed after ${received} bytes: ${netMessage(e)}`;
      throw Object.assign(new Error(`${label}: ${reason}`, { cause: e }), { code: 'NETWORK', url, reason, received });
    } finally {
      watch.disarm();
    }
    watch.check();
    if (!r.done) {
      if (!(r.value instanceof Uint8Array))
        throw new TypeError(`${label}: the stream gave ${describe(r.value)}, not bytes`);
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
      if (r.done) {
        ended = true;
        break;
      }
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
    yield* gunzip(first, ended, readRaw, watch, label, url);
  } finally {
    watch.signal.removeEventListener('abort', cancel);
    raw.cancel().catch(() => {});
  }
}

/**
 * The gunzipped bytes of the raw chunks (first, then readRaw's), through
 * io.gunzip, checking the watch between the chunks gunzip makes of one
 * input chunk. A failed read throws its own error; corrupt gzip data
 * throws NN_ERR_GZIP.
 */
async function* gunzip(first, ended, readRaw, watch, label, url) {
  let rawError = null;
  async function* raws() {
    try {
      if (first.length) yield first;
      while (!ended) {
        const r = await readRaw();
        if (r.done) return;
        yield r.value;
      }
    } catch (e) {
      rawError = e;
      throw e;
    }
  }
  try {
    for await (const chunk of io.gunzip(raws(), CHUNK)) {
      watch.check();
      yield chunk;
    }
  } catch (e) {
    watch.check();
    if (rawError) throw rawError;
    if (e?.name === 'AbortError' || e?.code === 'NETWORK') throw e;
    throw gzipError(label, url, e);
  }
}

function concat(parts, len) {
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The decoded bytes of a source (URL, Response or ReadableStream), chunk by
 * chunk, under one Watch (the caller's signal and the idle timeout). meta
 * gets { label, url, type, total } once the source is open: label starts
 * every message about it, url (where the source has one) is in its errors.
 */
export async function* sourceChunks(source, { signal, onProgress, timeout } = {}, fn, meta = {}, named = true) {
  if (signal?.aborted) throw abortError(signal);
  const watch = new Watch(signal, timeout, fn);
  try {
    const { stream, total, where, url, type } = await open(source, watch, fn);
    Object.assign(meta, { label: named ? `${fn}: ${where}` : fn, url, type, total });
    yield* decoded(stream, total, watch, onProgress, meta.label, url);
    watch.check();
  } finally {
    watch.close();
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
    for await (const chunk of sourceChunks(source, { ...options, onProgress: progress }, fn, meta, named)) {
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
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(b.slice());
        c.close();
      },
    });
    return collect(pump(stream, opts, 'parseIdx', false, false));
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
  const opts = optionsArg(options, 'fetchIdx', ['signal', 'onProgress', 'timeout']);
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
  const opts = optionsArg(options, 'streamIdx', ['signal', 'onProgress', 'timeout']);
  for await (const u of pump(source, opts, 'streamIdx', true)) {
    if (u.done) return;
    yield u;
  }
}
