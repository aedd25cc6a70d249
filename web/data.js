// data.js: streams an MNIST-style data set (the four standard IDX files,
// gzipped or not) from a base URL, so that training can start on the samples
// that have arrived while the rest downloads. Parsing is the package's
// streamIdx (the C streaming parser, gunzip on the fly); this file adds what
// a page needs around it: the .gz-or-not file names, one buffer per file that
// fills as samples arrive, image/label pairing checks, progress over the four
// files, and errors worded for the person who typed the URL (DataError).
// It does not train or touch the network.

import { streamIdx } from './lib/index.js';

export const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
export const CLASSES = 10;
export const PIXELS = 28 * 28;

export class DataError extends Error {
  constructor(message) { super(message); this.name = 'DataError'; }
}

/** The base URL (ending in '/') of a data set typed by a person, resolved against the page. */
export function resolveBase(text, pageUrl) {
  const t = String(text ?? '').trim();
  if (!t) throw new DataError('Enter a data URL: a folder or base URL holding the four MNIST files.');
  let url;
  try { url = new URL(t, pageUrl); } catch { throw new DataError(`"${t}" is not a valid URL.`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DataError(`"${t}" is not an http or https URL.`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url.href;
}

/**
 * One IDX file as it streams in: data is allocated once the header is known
 * and fills as samples arrive; ready counts whole samples, wire the bytes
 * received over the network, total the Content-Length (null if none).
 */
export class IdxStream {
  constructor(name) {
    this.name = name;
    this.url = null;
    this.dims = null;
    this.count = 0;
    this.sampleSize = 0;
    this.data = null;
    this.ready = 0;
    this.wire = 0;
    this.total = null;
    this.finished = false;
  }

  get headerDone() { return this.data !== null; }

  /* One update of streamIdx: { dims, sampleSize, start, ready, samples }. */
  add(u) {
    if (!this.data) {
      this.dims = u.dims;
      this.count = u.dims[0];
      this.sampleSize = u.sampleSize;
      this.data = new Uint8Array(this.count * this.sampleSize);
    }
    if (u.samples.length) this.data.set(u.samples, u.start * this.sampleSize);
    this.ready = u.ready;
  }
}

/** The four files of a data set as they stream in; made by streamDataset. */
export class Dataset {
  constructor(base, controller) {
    this.base = base;
    this.controller = controller;
    this.train = { images: new IdxStream(FILES.trainImages), labels: new IdxStream(FILES.trainLabels) };
    this.test = { images: new IdxStream(FILES.testImages), labels: new IdxStream(FILES.testLabels) };
    this.complete = false;
    this.error = null;
    this.done = null;
    this.waiters = [];
    this.labelsChecked = { train: 0, test: 0 };
  }

  get files() { return [this.train.images, this.train.labels, this.test.images, this.test.labels]; }
  /** Bytes received over the network. */
  get received() { return this.files.reduce((s, f) => s + f.wire, 0); }
  /** Bytes to receive, if every server sent a length; else null. */
  get total() {
    const t = this.files.map((f) => f.total);
    return t.every((x) => x !== null) ? t.reduce((s, x) => s + x, 0) : null;
  }
  /** Whole samples (image and checked label) of 'train' or 'test' that have arrived. */
  available(split) {
    const s = this[split];
    return Math.min(s.images.ready, s.labels.ready, this.labelsChecked[split]);
  }
  /** Samples the header of split's images promises (0 until it arrives). */
  count(split) { return this[split].images.count; }

  /** Resolves when more data arrives or the download ends. */
  changed() {
    if (this.complete || this.error) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
  abort(reason) { this.controller.abort(reason); }

  /* Checks shapes, counts and labels as far as they have arrived. */
  check(final = false) {
    for (const split of ['train', 'test']) {
      const { images, labels } = this[split];
      const what = split === 'train' ? 'training' : 'test';
      if (images.headerDone && (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28)) {
        throw new DataError(`${images.url} holds ${images.dims.join('×')} data; the ${what} images must be N×28×28.`);
      }
      if (labels.headerDone && labels.dims.length !== 1) {
        throw new DataError(`${labels.url} holds ${labels.dims.join('×')} data; labels must be a list of N bytes.`);
      }
      if (images.headerDone && labels.headerDone && images.count !== labels.count) {
        throw new DataError(`The ${what} images and labels disagree in count: ${images.count} images but ${labels.count} labels.`);
      }
      for (let i = this.labelsChecked[split]; i < labels.ready; i++) {
        if (labels.data[i] >= CLASSES) {
          throw new DataError(`${labels.url}: label ${labels.data[i]} of sample ${i} is not a digit 0..9.`);
        }
      }
      this.labelsChecked[split] = labels.ready;
    }
    if (final && this.count('train') < 1) throw new DataError('The training set is empty.');
  }
}

/**
 * Starts streaming the four files under base. Returns a Dataset at once; its
 * done promise resolves when every file is whole and checked, or rejects with
 * a DataError (or an AbortError after signal or dataset.abort()).
 * onProgress(dataset) is called as bytes and samples arrive.
 */
export function streamDataset(base, { signal, onProgress = () => {} } = {}) {
  const inner = new AbortController();
  const abortInner = () => inner.abort(signal.reason);
  if (signal) {
    if (signal.aborted) inner.abort(signal.reason);
    else signal.addEventListener('abort', abortInner, { once: true });
  }
  const ds = new Dataset(base, inner);
  const tick = () => onProgress(ds);                                  // bytes only: never throws into the parser
  const notify = () => { ds.check(); onProgress(ds); ds.wake(); };    // samples: checked as they come
  const files = [ds.train.labels, ds.test.labels, ds.train.images, ds.test.images];
  ds.done = Promise.all(files.map((f) => streamFile(base, f, inner.signal, tick, notify)))
    .then(() => {
      ds.check(true);
      ds.complete = true;
      onProgress(ds);
    })
    .catch((err) => {
      const e = inner.signal.aborted && !(err instanceof DataError) ? abortError(inner.signal.reason) : err;
      ds.error = e;
      inner.abort(e);
      throw e;
    })
    .finally(() => {
      signal?.removeEventListener('abort', abortInner);
      ds.wake();
    });
  ds.done.catch(() => {});   // the owner reads ds.done or ds.error; never an unhandled rejection
  return ds;
}

function abortError(reason) {
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error(typeof reason === 'string' ? reason : reason?.message || 'The download was stopped.');
  e.name = 'AbortError';
  return e;
}

/* Fetches base+name(.gz), trying the .gz name first, and streams it into f
 * through the package's streamIdx. tick() on bytes, notify() on samples. */
async function streamFile(base, f, signal, tick, notify) {
  const res = await open(base, f.name, signal);
  f.url = res.url || new URL(f.name, base).href;
  const len = res.headers.get('content-length');
  f.total = len !== null && !res.headers.get('content-encoding') && Number.isFinite(Number(len)) ? Number(len) : null;

  // The body passes through here so that a connection that breaks is told
  // apart from data that is bad (the parser sees both as an error).
  let wireError = null;
  const reader = res.body.getReader();
  const body = new ReadableStream({
    async pull(c) {
      let r;
      try { r = await reader.read(); } catch (e) { wireError = e; c.error(e); return; }
      if (r.done) c.close(); else c.enqueue(r.value);
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
  const wrapped = new Response(body, { status: res.status, headers: res.headers });
  const onProgress = ({ received }) => { f.wire = received; tick(); };
  try {
    for await (const u of streamIdx(wrapped, { signal, onProgress })) {
      f.add(u);
      notify();
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    if (signal.aborted) throw signal.reason ?? e;
    if (wireError) {
      throw new DataError(`The download of ${f.url} failed after ${fmtBytes(f.wire)}${f.total ? ` of ${fmtBytes(f.total)}` : ''}: the connection closed early.`);
    }
    throw new DataError(explain(e, f, res));
  }
  f.finished = true;
  notify();
}

/* A parser error (C status name in e.code) in words about this file. */
function explain(e, f, res) {
  const type = res.headers.get('content-type') || '';
  switch (e?.code) {
    case 'NN_ERR_MAGIC':
      return `${f.url} is not an IDX file${/html/i.test(type) ? ' (the server sent an HTML page)' : /^text\//i.test(type) ? ' (the server sent text)' : ''}.`;
    case 'NN_ERR_TYPE':
      return `${f.url} holds IDX elements other than unsigned bytes; only unsigned-byte IDX files are supported.`;
    case 'NN_ERR_DIMS':
      return `${f.url} has bad IDX dimensions (a size of 0, or too many dimensions).`;
    case 'NN_ERR_LIMIT':
      return `${f.url} claims more data than the 512 MiB limit.`;
    case 'NN_ERR_TRUNCATED':
      return f.headerDone
        ? `${f.url} is truncated: it ended after ${f.ready} of the ${f.count} samples its header promises.`
        : `${f.url} ended inside its IDX header: the file is truncated or not IDX.`;
    case 'NN_ERR_TRAILING':
      return `${f.url} has more bytes than its header promises: it is not a valid IDX file.`;
    case 'GZIP':
      return `${f.url}: the gzip data is corrupt or truncated.`;
    default:
      return `${f.url}: ${String(e?.message ?? e).replace(/^streamIdx: (response: )?/, '')}`;
  }
}

async function open(base, name, signal) {
  const tried = [];
  for (const url of [new URL(name + '.gz', base).href, new URL(name, base).href]) {
    let res;
    try {
      res = await fetch(url, { signal, credentials: 'same-origin' });
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      throw new DataError(`Could not download ${url}: the server did not answer, or does not let this page read it (CORS).`);
    }
    if (res.ok && res.body) return res;
    tried.push({ url, status: res.status, text: res.statusText });
    res.body?.cancel().catch(() => {});
    if (res.status !== 404 && res.status !== 410) break;   // only "not found" tries the other name
  }
  const list = tried.map((t) => `${t.url} (HTTP ${t.status}${t.text ? ' ' + t.text : ''})`).join(', nor ');
  const missing = tried.every((t) => t.status === 404 || t.status === 410);
  throw new DataError(missing ? `Not found: ${list}.` : `Download failed: ${list}.`);
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}
