// data.js: the page's data set: the four standard MNIST files under a base
// URL that a person typed, streamed into two of the package's Datasets
// (images and labels live once, in the wasm heap, filled as they arrive),
// so that training starts on the samples that have arrived while the rest
// downloads. What it adds to the package: each file found under its names
// in the package's one lookup order, progress over the four files, the
// page's own demand (28x28 digits, 10 classes), and every error worded for
// the person who typed the URL (DataError). It does not train.

import { openDataset, findMnistFile, init, abortError } from './lib/index.js';

export const CLASSES = 10;
export const ROWS = 28;
export const COLS = 28;

export class DataError extends Error {
  constructor(message, fields) {
    super(message);
    this.name = 'DataError';
    Object.assign(this, fields);
  }
}

/**
 * Why url could not be read at all (the browser says no more than "failed
 * to fetch"), as far as is known: answered is whether its server answers
 * (true; false when it did not, or when it also refuses no-cors reads with
 * Cross-Origin-Resource-Policy; null when that could not be told), offline
 * whether this browser is offline. A server on another origin that answers
 * but sends no CORS header cannot be read from this page.
 */
export function unreadableMessage(url, { answered = null, offline = false, pageUrl = globalThis.location?.href } = {}) {
  const foreign = pageUrl && new URL(url).origin !== new URL(pageUrl).origin;
  if (offline) return `Could not download ${url}: this browser is offline.`;
  if (!foreign)
    return `Could not download ${url}: the server did not answer (check the URL, and that the server is up).`;
  if (answered === true) {
    return (
      `Could not read ${url}: its server answered but does not let pages from other origins read its files. ` +
      `It must send Access-Control-Allow-Origin (CORS) for ${new URL(pageUrl).origin}; or serve the files beside this page.`
    );
  }
  return `Could not download ${url}: the server did not answer, or it does not let pages from other origins read its files (it must send Access-Control-Allow-Origin: CORS).`;
}

/** The base URL (ending in '/') of a data set typed by a person, resolved against the page. */
export function resolveBase(text, pageUrl) {
  const t = String(text ?? '').trim();
  if (!t) throw new DataError('Enter a data URL: a folder or base URL holding the four MNIST files.');
  let url;
  try {
    url = new URL(t, pageUrl);
  } catch {
    throw new DataError(`"${t}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DataError(`"${t}" is not an http or https URL.`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url.href;
}

/** The training and test sets under one base URL, as they stream in; made by streamDataset. */
export class PageData {
  constructor(base) {
    this.base = base;
    this.controller = new AbortController();
    this.train = null; // Datasets, once their files answered
    this.test = null;
    this.complete = false;
    this.error = null;
    this.done = null;
    this.waiters = [];
  }

  get sets() {
    return [this.train, this.test].filter(Boolean);
  }
  /** Bytes received over the network. */
  get received() {
    return this.sets.reduce((s, d) => s + d.received, 0);
  }
  /** Bytes to receive, if every server sent a length; else null. */
  get total() {
    if (!this.train || !this.test) return null;
    const t = this.sets.map((d) => d.total);
    return t.includes(null) ? null : t[0] + t[1];
  }
  /** Samples of 'train' or 'test' whose image and label have arrived. */
  available(split) {
    return this[split]?.ready ?? 0;
  }
  /** Samples that split's headers promise (0 until they arrive). */
  count(split) {
    return this[split]?.count ?? 0;
  }

  /** Resolves when more data arrives or the download ends. */
  changed() {
    if (this.complete || this.error) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  abort(reason) {
    this.controller.abort(reason);
  }
  /** Frees the heap data (after abort, or when replaced). */
  dispose(reason) {
    this.abort(reason);
    for (const d of this.sets) d.dispose(reason);
    this.wake();
  }

  /* The page's demand on top of the package's checks: 28x28 images, labels 0..9. */
  check(split) {
    const d = this[split];
    const what = split === 'train' ? 'training' : 'test';
    if (d?.rows && (d.rows !== ROWS || d.cols !== COLS)) {
      throw new DataError(
        `${d.url} holds ${d.count}×${d.rows}×${d.cols} data; the ${what} images must be N×${ROWS}×${COLS}.`,
      );
    }
  }
}

/**
 * Starts streaming the four files under base. Returns a PageData at once;
 * its done promise resolves when every file is whole and checked, or
 * rejects with a DataError (or an AbortError after abort()).
 * onProgress(data) is called as bytes and samples arrive.
 */
export function streamDataset(base, { onProgress = () => {} } = {}) {
  const pd = new PageData(base);
  const { signal } = pd.controller;
  const notify = () => {
    for (const split of ['train', 'test']) pd.check(split);
    onProgress(pd);
    pd.wake();
  };
  const openSplit = async (split) => {
    const { files } = (await init()).facts;
    const names = files[split];
    const opened = await Promise.all(names.map((name) => open(base, name, signal)));
    const [images, labels] = opened.map(({ res }) => res);
    const d = await openDataset(
      { images, labels },
      {
        classes: CLASSES,
        signal,
        onProgress: () => {
          try {
            notify();
          } catch (e) {
            pd.abort(e);
          }
        },
      },
    );
    d.url = opened[0].res.url || new URL(names[0], base).href;
    d.files = opened;
    pd[split] = d;
    notify();
    try {
      await d.done;
    } catch (e) {
      throw explain(e, opened, split, signal);
    }
    notify();
  };
  pd.done = Promise.all([openSplit('train'), openSplit('test')])
    .then(() => {
      if (pd.count('train') < 1) throw new DataError('The training set is empty.');
      pd.complete = true;
      onProgress(pd);
    })
    .catch((err) => {
      const e = signal.aborted && !(err instanceof DataError) ? stopped(signal.reason) : err;
      pd.error = e;
      pd.abort(e);
      throw e;
    })
    .finally(() => pd.wake());
  pd.done.catch(() => {}); // the owner reads pd.done or pd.error; never an unhandled rejection
  return pd;
}

/* Why the downloads stopped: the page's own DataError as it is, else the package's one abort error. */
function stopped(reason) {
  return reason instanceof DataError ? reason : abortError(reason ?? 'The download was stopped.');
}

/* A package error in words about the file it came from. */
function explain(e, opened, split, signal) {
  if (e instanceof DataError) return e;
  if (signal.aborted) return signal.reason instanceof DataError ? signal.reason : stopped(signal.reason ?? e);
  const { res, url } = opened[e.file ?? 0];
  if (e?.code === 'NETWORK' && e.received !== undefined) {
    // a connection that broke off, told apart from bad data by the package's byte counter
    const len = e.total ?? (Number(res.headers.get('content-length')) || null);
    return new DataError(
      `The download of ${url} failed after ${fmtBytes(e.received)}${len ? ` of ${fmtBytes(len)}` : ''}: the connection closed early.`,
    );
  }
  const what = split === 'train' ? 'training' : 'test';
  const type = res.headers.get('content-type') || '';
  switch (e?.code) {
    case 'NN_ERR_MAGIC':
      return new DataError(
        `${url} is not an IDX file${/html/i.test(type) ? ' (the server sent an HTML page)' : /^text\//i.test(type) ? ' (the server sent text)' : ''}.`,
      );
    case 'NN_ERR_COUNT': // C's reason: "the images and labels disagree in count: ..."
      return new DataError(`The ${what} ${e.reason.slice('the '.length)}.`);
    case 'NN_ERR_LABEL':
      return new DataError(`${opened[1].url}: ${e.reason}.`);
    case 'NN_ERR_GZIP': // without the decompressor's detail, which means nothing to the person
      return new DataError(`${url}: ${e.reason}.`);
    case 'NN_ERR_TRUNCATED':
      return new DataError(`${url} is truncated: ${e.reason}.`);
    default:
      return new DataError(`${url}: ${e.reason ?? e.message}`);
  }
}

/* The file under base by the package's lookup (NAME.gz, else NAME), with
 * its failures worded for the person who typed the URL. */
async function open(base, name, signal) {
  let res;
  try {
    res = await findMnistFile(base, name, { signal });
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    const list = (e.tried ?? [])
      .map((t) => `${t.url} (HTTP ${t.status}${t.statusText ? ' ' + t.statusText : ''})`)
      .join(', nor ');
    // the page asks its service worker which it is, and words it again (app.js)
    if (e.code === 'NETWORK')
      throw new DataError(unreadableMessage(e.url, { offline: navigator.onLine === false }), {
        code: 'UNREADABLE',
        url: e.url,
      });
    if (e.code === 'NOT_FOUND') throw new DataError(`Not found: ${list}.`);
    if (e.status) throw new DataError(`Download failed: ${list}.`);
    throw e;
  }
  return { res, url: res.url };
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}
