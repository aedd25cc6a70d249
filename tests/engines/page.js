// page.js: what the page tests of every engine share: the engine from
// MNIST_ENGINE, one browser per test file on a page served by the file
// itself, and the page's own words (status, alert, prediction) read through
// the driver of tests/engines/driver.js.
import * as assert from 'uvu/assert';
import { startServer } from '../browser/helpers.js';
import { engineFromEnv, openBrowser } from './driver.js';

export const ENGINE = engineFromEnv();

export const TRAIN = '#train';
export const DATA_URL = 'input[aria-label="Data URL"]';
export const PAD = 'canvas[aria-label="Drawing pad"]';

/**
 * A served page and a browser, set up by the first test that awaits
 * `ready()` (a failing setup then fails every test with its message, where
 * uvu's before-hook would report 0 of N and pass): { server, b }. Hand
 * `close` to test.after.
 */
export function suite(routes = {}) {
  const ctx = {};
  let started = null;
  const ready = () =>
    (started ??= (async () => {
      ctx.server = await startServer(routes);
      ctx.b = await openBrowser(ENGINE);
      return ctx;
    })());
  const close = async () => {
    await ctx.b?.close();
    await ctx.server?.close();
  };
  return { ctx, ready, close };
}

export const statusText = (b) => b.evaluate(() => document.querySelector('[role=status]').textContent);
export const alertText = (b) => b.evaluate(() => document.querySelector('[role=alert]').textContent.trim());
export const dataValue = (b, sel, key = 'value') =>
  b.evaluate((s, k) => document.querySelector(s).dataset[k], sel, key);

/** Waits until the status matches re; returns its text. */
export const statusMatches = (b, re, { timeout = 30_000, what } = {}) =>
  b.waitFor(
    ([source, flags]) => {
      const t = document.querySelector('[role=status]').textContent;
      return new RegExp(source, flags).test(t) && t;
    },
    [re.source, re.flags],
    { timeout, what: what ?? `the status to match ${re}` },
  );

/** Waits until Train is enabled: the worker has made or restored the network. */
export const whenReady = (b, timeout = 30_000) =>
  b.waitFor((sel) => !document.querySelector(sel).disabled, TRAIN, {
    timeout,
    what: 'the network to be ready (Train enabled)',
  });

/** Opens url and waits until the network is ready. */
export async function openPage(b, url) {
  await b.goto(url);
  await whenReady(b);
}

/** No uncaught error in the page, and nothing in role=alert. */
export async function assertNoProblems(b, when) {
  assert.equal(await b.pageErrors(), [], `${ENGINE}: page errors ${when}`);
  assert.is(await alertText(b), '', `${ENGINE}: the alert ${when}`);
}

/** Opens a model file through the Open model input; waits until the page says it opened it. */
export async function openModel(b, file) {
  const name = file.split('/').pop();
  await b.upload('#open-model', file);
  await statusMatches(b, new RegExp(`^Opened ${name.replace(/\./g, '\\.')}\\.`), {
    timeout: 20_000,
    what: `the page to say it opened ${name}`,
  });
}

/** Clears the pad, draws strokes on it and returns the digit the page settles on (a number). */
export async function drawAndRead(b, strokes) {
  await b.click('#clear');
  await b.waitFor(() => document.getElementById('prediction').dataset.digit === '', null, {
    what: 'the pad to clear (an empty prediction)',
  });
  await b.draw(PAD, strokes);
  // the reading comes from the worker; then it must hold still for 200 ms (the last stroke's reading)
  const digit = await b.waitFor(
    () =>
      new Promise((resolve) => {
        const el = document.getElementById('prediction');
        const first = el.dataset.digit;
        setTimeout(() => resolve(first !== '' && el.dataset.digit === first && first), 200);
      }),
    null,
    { timeout: 15_000, what: 'a prediction of the drawing that holds for 200 ms' },
  );
  return Number(digit);
}

/**
 * Presses Save model and returns the file it downloads: { name, bytes }.
 * The page downloads through an <a download> of a blob URL (ui.js
 * downloadFile); the anchor's click is caught in the page instead (so no
 * engine shows a download prompt) and its blob read back as base64.
 */
export async function savedModel(b) {
  await b.evaluate(() => {
    const create = URL.createObjectURL;
    const click = HTMLAnchorElement.prototype.click;
    const blobs = new Map();
    window.__download = null;
    URL.createObjectURL = (obj) => {
      const url = create.call(URL, obj);
      blobs.set(url, obj);
      return url;
    };
    HTMLAnchorElement.prototype.click = function () {
      URL.createObjectURL = create;
      HTMLAnchorElement.prototype.click = click;
      const blob = blobs.get(this.href);
      window.__download = { name: this.download, blob };
    };
  });
  await b.click('#save-model');
  const got = await b.waitFor(
    async () => {
      const d = window.__download;
      if (!d) return null;
      if (!(d.blob instanceof Blob)) return { name: d.name, base64: null };
      const url = await new Promise((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => resolve(r.result);
        r.onerror = () => reject(r.error);
        r.readAsDataURL(d.blob);
      });
      return { name: d.name, base64: url.slice(url.indexOf(',') + 1) };
    },
    null,
    { timeout: 20_000, what: 'Save model to download a file' },
  );
  assert.ok(got.base64 !== null, `${ENGINE}: Save model downloaded no blob of its own`);
  return { name: got.name, bytes: Buffer.from(got.base64, 'base64') };
}
