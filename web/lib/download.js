// download.js: the one way bytes come into the package. A source (a URL,
// fetched, or read from disk in Node when it is a file: URL; a Response; a
// ReadableStream; bytes in memory) becomes one stream of bytes, read
// through one counter (onProgress, the idle timeout, a broken connection
// told apart from bad data) and, where its first two bytes are gzip's
// magic, piped through one gunzip (io.js: DecompressionStream, node:zlib in
// Node). Its chunks go into the heap: idx.js's parser, dataset.js's data
// set. The caller's signal and the idle timeout are one Watch.

import { loadedWasm, httpError } from './wasm.js';
import { describe, tag } from './checks.js';
import { io } from './io.js';

/** Bytes copied into the heap per push, and gunzip's output chunk. */
export const CHUNK = 1 << 16;

/**
 * The last step of the pipeline: bytes into the heap through block (CHUNK
 * bytes, the caller's), piece by piece, push(length) handing each to C.
 * Returns the first status push returns that is not NN_OK, else 0.
 */
export function intoHeap(w, block, bytes, push) {
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const part = bytes.subarray(at, at + CHUNK);
    w.u8.set(part, block);
    const status = push(part.length);
    if (status) return status;
  }
  return 0;
}

/**
 * The one abort error: an abort's reason where it is an Error (the
 * caller's own, a timeout, a DOMException AbortError), else an Error named
 * AbortError with the reason's words (a string) or a default sentence.
 */
export function abortError(reason) {
  if (reason instanceof Error || (typeof DOMException === 'function' && reason instanceof DOMException)) return reason;
  const message = typeof reason === 'string' ? reason : (reason?.message ?? 'The operation was aborted.');
  return Object.assign(new Error(message), { name: 'AbortError' });
}

/** "fetch failed (ECONNREFUSED)": Node's fetch hides the reason in cause. */
function netMessage(e) {
  const why = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? e}${why ? ` (${why})` : ''}`;
}

/** Bytes in memory: an ArrayBuffer or a Uint8Array. */
export const isBytes = (v) => v instanceof ArrayBuffer || tag(v) === 'Uint8Array';

/**
 * One download's cancellation: the caller's signal and the idle timeout
 * folded into one AbortSignal that fetch, the file stream and our reads
 * all obey. The idle timer runs only while a read of the source is
 * pending, never while the caller holds a chunk or an update, so a slow
 * consumer is not mistaken for a stalled server.
 */
export class Watch {
  constructor(user, timeout, fn) {
    this.ctl = new AbortController();
    this.signal = this.ctl.signal;
    this.fn = fn;
    this.timeout = timeout > 0 && timeout !== Infinity ? timeout : undefined;
    this.timer = null;
    this.user = user;
    this.onAbort = () => this.ctl.abort(abortError(user.reason));
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
 * The source as { stream, total, where, url, type }: a ReadableStream of
 * its bytes, their number if known, what messages call it (a URL or path,
 * 'response', 'stream'; null for bytes in memory), its URL where it has one
 * (for errors' url field) and the Content-Type.
 */
async function openSource(source, watch, fn) {
  if (isBytes(source)) {
    // a view of our own realm's Uint8Array, which the counter takes as bytes
    const bytes =
      source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : new Uint8Array(source.buffer, source.byteOffset, source.length);
    const stream = new ReadableStream({
      start(c) {
        if (bytes.length) c.enqueue(bytes);
        c.close();
      },
    });
    return { stream, total: bytes.length, where: null, type: null };
  }
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
        file = await io.openFile(url, { signal: watch.signal });
      } catch (e) {
        watch.check();
        const reason = e.code === 'ENOENT' ? 'no such file' : e.message;
        throw Object.assign(new Error(`${fn}: cannot read ${url.pathname}: ${reason}`, { cause: e }), {
          url: url.href,
          reason,
        });
      }
      return { stream: file.stream, total: file.size, where: url.pathname, url: url.href, type: null };
    }
    const res = await fetchResponse(url, watch, fn);
    return fromResponse(res, String(url), fn);
  }
  if (typeof Response !== 'undefined' && source instanceof Response)
    return fromResponse(source, source.url || 'response', fn);
  if (source && typeof source.getReader === 'function') return { stream: source, total: null, where: 'stream' };
  throw new TypeError(`${fn}: source must be a URL string, URL, Response or ReadableStream, got ${describe(source)}`);
}

/**
 * fetch(url) under the watch, whose idle timer runs until the response
 * starts: the Response, whatever its status; else the watch's reason (the
 * caller's abort, a TIMEOUT) or an Error with code NETWORK and url.
 */
export async function fetchResponse(url, watch, fn) {
  watch.arm(`${fn}: ${url}`, String(url), (ms) => `no response within ${ms} ms`);
  try {
    return await fetch(url, { signal: watch.signal });
  } catch (e) {
    watch.check();
    if (e?.name === 'AbortError') throw e;
    const reason = netMessage(e);
    throw Object.assign(new Error(`${fn}: cannot fetch ${url}: ${reason}`, { cause: e }), {
      code: 'NETWORK',
      url: String(url),
      reason,
    });
  } finally {
    watch.disarm();
  }
}

function fromResponse(res, where, fn) {
  if (!res.ok) {
    res.body?.cancel().catch(() => {});
    const e = httpError(res, where);
    e.message = `${fn}: ${e.message}`;
    throw Object.assign(e, { reason: `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}` });
  }
  if (!res.body)
    throw Object.assign(new Error(`${where}: the response has no body`), {
      where,
      url: res.url || undefined,
      reason: 'the response has no body',
    });
  // Content-Length counts the bytes on the wire; only meaningful for progress
  // when no transport encoding sits between it and the body we read.
  const len = res.headers.get('content-length');
  const total = len !== null && !res.headers.get('content-encoding') ? Number(len) : null;
  return {
    stream: res.body,
    total: Number.isFinite(total) ? total : null,
    where,
    url: res.url || undefined,
    type: res.headers.get('content-type'),
  };
}

/**
 * The one byte counter: stream as a stream that counts what it passes
 * (onProgress({ received, total })), runs the idle timer while it waits
 * for the source, and turns a failed read into an Error with code NETWORK,
 * url, received and total. Reads the first two bytes at once and says
 * whether they are gzip's magic.
 */
async function counted(stream, watch, onProgress, total, label, url) {
  const reader = stream.getReader();
  let received = 0;
  // An abort ends a pending read at once, whatever the source (a
  // ReadableStream of one's own does not know about our signal).
  const cancel = () => reader.cancel(watch.signal.reason).catch(() => {});
  watch.signal.addEventListener('abort', cancel, { once: true });
  const read = async () => {
    watch.check();
    let r;
    watch.arm(label, url, (ms) => `no data for ${ms} ms after ${received} bytes`);
    try {
      r = await reader.read();
    } catch (e) {
      watch.check();
      if (e?.name === 'AbortError') throw e;
      const reason = `the download failed after ${received} bytes: ${netMessage(e)}`;
      throw Object.assign(new Error(`${label}: ${reason}`, { cause: e }), {
        code: 'NETWORK',
        url,
        reason,
        received,
        total,
      });
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
  const release = () => watch.signal.removeEventListener('abort', cancel);
  const head = []; // enough bytes to see the magic (or the end)
  let ended = false;
  try {
    for (let n = 0; n < 2 && !ended;) {
      const r = await read();
      if (r.done) ended = true;
      else if (r.value.length) (head.push(r.value), (n += r.value.length));
    }
  } catch (e) {
    release();
    reader.cancel().catch(() => {});
    throw e;
  }
  const magic = head.length ? [...head[0].subarray(0, 2), ...(head[1]?.subarray(0, 1) ?? [])] : [];
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const out = new ReadableStream(
    {
      async pull(c) {
        try {
          if (head.length) return c.enqueue(head.shift());
          const r = ended ? { done: true } : await read();
          if (r.done) {
            release();
            c.close();
          } else c.enqueue(r.value);
        } catch (e) {
          release();
          out.failure = e; // the source's own error, not the gunzip's
          throw e;
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream: out, gzip, sourceError: () => out.failure };
}

/**
 * The decoded bytes of a source, chunk by chunk, under one Watch (the
 * caller's signal and the idle timeout): the one pipeline, source ->
 * counter -> gunzip where gzipped -> these chunks. meta gets { label,
 * type, total } once the source is open; labelOf(where) is the label that
 * starts every message about it (where: see openSource).
 */
export async function* decodedChunks(source, { signal, onProgress, timeout } = {}, fn, meta, labelOf) {
  if (signal?.aborted) {
    // a body handed in is not read: cancel it, so that its connection closes now
    (typeof Response !== 'undefined' && source instanceof Response ? source.body : source)?.cancel?.()?.catch(() => {});
    throw abortError(signal.reason);
  }
  const watch = new Watch(signal, timeout, fn);
  let reader = null;
  try {
    const { stream, total, where, url, type } = await openSource(source, watch, fn);
    const label = labelOf(where);
    Object.assign(meta, { label, url, type, total });
    const raw = await counted(stream, watch, onProgress, total, label, url);
    const decoded = raw.gzip ? raw.stream.pipeThrough(io.gunzip(CHUNK)) : raw.stream;
    reader = decoded.getReader();
    for (;;) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        watch.check();
        if (e === raw.sourceError() || e?.name === 'AbortError' || !raw.gzip) throw e;
        throw gzipError(label, url, e);
      }
      watch.check();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader?.cancel().catch(() => {});
    watch.close();
  }
}
