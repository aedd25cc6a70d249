// Helpers for the browser tests: a server started by the test itself on a
// free port (scripts/serve.js plus extra routes), headless Debian Chromium
// through playwright-core in a fresh user-data-dir (watching for page
// errors, long tasks and the page's unanswered requests to its worker), the
// default test digits decoded in Node, drawing a digit on the pad with the
// mouse and reading the prediction once the page has read the drawing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve, staticHandler, buildMissing, WEB } from '../../scripts/serve.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js';
import { pen } from './draw.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA = path.join(WEB, 'data/small'); // the 10,000-digit split, served as data/small/
export { CHROMIUM };

/**
 * Serves web/ (or root) on host (127.0.0.1) at a free port (or port); routes
 * maps a path prefix to a handler (req, res, rest) tried before the static
 * files; isolate: false leaves out the isolation headers, as a plain static
 * host does. Builds the wasm and the default data first if they are
 * missing, as `npm start` does.
 */
export async function startServer(routes = {}, { root = WEB, isolate = true, host, port = 0 } = {}) {
  buildMissing();
  const files = staticHandler(root, { isolate });
  const prefixes = Object.keys(routes).sort((a, b) => b.length - a.length);
  const handler = (req, res) => {
    const p = prefixes.find((x) => req.url.startsWith(x));
    if (p) return routes[p](req, res, req.url.slice(p.length).split('?')[0]);
    return files(req, res);
  };
  const { server, url } = await serve({ port, host, handler });
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * Headless Chromium with a fresh profile. Fails loudly when Chromium is not
 * installed: these tests never skip.
 */
export async function launch({ viewport = { width: 1280, height: 900 }, serviceWorkers = 'allow', args = [] } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH; the browser tests need it`,
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mnist-wasm-browser-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    viewport,
    acceptDownloads: true,
    serviceWorkers,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = watch(page);
  return {
    context,
    page,
    problems,
    dir,
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects page errors, console errors and CSP violations, and records long
 * tasks from the start of every document (PerformanceObserver 'longtask'),
 * and frames over 100 ms with the scripts that ran in them ('long-animation-
 * frame'), to tell a slow script from a starved machine.
 */
function watch(page) {
  const problems = { pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.consoleErrors.push(m.text());
  });
  page.addInitScript(() => {
    window.__longTasks = [];
    window.__cspViolations = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // what made a frame long: the scripts that ran in it (Long Animation Frames)
    window.__longFrames = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.duration < 100) continue;
          window.__longFrames.push({
            start: e.startTime,
            duration: e.duration,
            blocking: e.blockingDuration,
            scripts: e.scripts.map((x) => ({
              invoker: x.invoker,
              source: `${x.sourceURL}:${x.sourceFunctionName}`,
              duration: x.duration,
            })),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch {
      /* not in this browser */
    }
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
    // the requests of each type the newest worker has not answered yet: no
    // 'inspect' (a drawing's reading) left once the last stroke's is shown
    const Native = window.Worker;
    if (Native) {
      let newest = null;
      window.Worker = class extends Native {
        constructor(...args) {
          super(...args);
          this.__open = new Map(); // id -> type
          newest = this;
          this.addEventListener('message', (e) => this.__open.delete(e.data?.id));
        }
        postMessage(message, ...rest) {
          if (message?.id !== undefined && typeof message.type === 'string') this.__open.set(message.id, message.type);
          return super.postMessage(message, ...rest);
        }
      };
      window.__requestsOpen = (type) => (newest ? [...newest.__open.values()].filter((t) => t === type).length : 0);
    }
  });
  return problems;
}

/** Opens the page and waits until the network is ready (Train enabled). */
export async function openPage(page, url) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  await page
    .waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 20_000 })
    .catch(async () => {
      throw new Error(
        `the page did not become ready: status "${await status(page)}", alert "${await alertText(page)}"`,
      );
    });
}

export const status = (page) => page.getByRole('status').textContent();
export const alertText = async (page) =>
  (await page.getByRole('alert').isVisible()) ? (await page.getByRole('alert').textContent()).trim() : '';

/** Waits for the role=alert element to show a message matching re; returns it. */
export async function waitForAlert(page, re, timeout = 15_000) {
  const alert = page.getByRole('alert');
  await alert.waitFor({ state: 'visible', timeout });
  await page
    .waitForFunction(
      ([source, flags]) => new RegExp(source, flags).test(document.querySelector('[role=alert]').textContent),
      [re.source, re.flags],
      { timeout },
    )
    .catch(async () => {
      throw new Error(`alert did not match ${re}: "${(await alert.textContent()).trim()}"`);
    });
  return (await alert.textContent()).trim();
}

/**
 * Waits until training has gone on from now: the samples trained that the
 * model line counts (progress from the worker, after a slice has run) grow.
 */
export async function trainsOn(page) {
  const seen = await page.evaluate(() => {
    window.__samples = () =>
      Number(
        (/trained on ([\d,]+) samples/.exec(document.getElementById('model-info').textContent)?.[1] ?? '0').replace(
          /,/g,
          '',
        ),
      );
    return window.__samples();
  });
  await page.waitForFunction((n) => window.__samples() > n, seen, { timeout: 30_000 });
}

/** Opens model bytes through the page's Open model file input; resolves once the page says it opened them. */
export async function openModel(page, bytes, name = 'model.mnwm') {
  await page.locator('#open-model').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction(
    (n) => document.querySelector('[role=status]').textContent.startsWith(`Opened ${n}.`),
    name,
    { timeout: 20_000 },
  );
}

/** The IDX files of web/data decoded in Node: { images: Uint8Array, labels, n }. */
export function readIdxPair(prefix) {
  const read = (name) => {
    const b = gunzipSync(readFileSync(path.join(DATA, `${name}.gz`)));
    const nd = b[3];
    const dims = [];
    for (let i = 0; i < nd; i++) dims.push(b.readUInt32BE(4 + 4 * i));
    return { dims, data: new Uint8Array(b.buffer, b.byteOffset + 4 + 4 * nd, b.length - 4 - 4 * nd) };
  };
  const images = read(`${prefix}-images-idx3-ubyte`);
  const labels = read(`${prefix}-labels-idx1-ubyte`);
  return { images: images.data, labels: labels.data, n: labels.dims[0] };
}

/**
 * Draws a 28x28 digit on the pad as a person would, stroke by stroke with the
 * mouse: every horizontal run of dark pixels (>= threshold) becomes one drag
 * across the pad at its scale (one digit pixel = pad width / 28). The pad's
 * round brush is about two digit pixels wide, so a drag stops half a pixel
 * short of each end of its run: the ink then covers the run, not more.
 */
export async function drawDigit(page, pixels, { threshold = 128, inset = 0.5 } = {}) {
  const at = (x, y) => [(x + 0.5) / 28, (y + 0.5) / 28];
  const strokes = [];
  for (let y = 0; y < 28; y++) {
    let x = 0;
    while (x < 28) {
      if (pixels[y * 28 + x] < threshold) {
        x++;
        continue;
      }
      const start = x;
      while (x < 28 && pixels[y * 28 + x] >= threshold) x++;
      const end = x - 1;
      const [a, b] = end > start ? [start + inset, end - inset] : [start, start];
      strokes.push([at(a, y), at(b, y)]);
    }
  }
  if (!hands.has(page)) hands.set(page, pen(page));
  await (await hands.get(page)).draw(strokes, { whole: 'pad' });
}
const hands = new WeakMap(); // a page's pen (one CDP session each)

/** Clears the pad and waits until the prediction is empty. */
export async function clearPad(page) {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit === '');
}

/**
 * The prediction once the page has read what is on the pad: no reading of
 * the worker is outstanding (the page asks again when a stroke ends while an
 * answer is on its way, in the same task as that answer), so the digit shown
 * is that of the whole drawing. Resolves to { digit, probs }.
 */
export async function settledPrediction(page) {
  await page.waitForFunction(() => window.__requestsOpen('inspect') === 0, null, { timeout: 10_000 });
  return page.evaluate(() => ({
    digit: document.getElementById('prediction').dataset.digit,
    probs: [...document.querySelectorAll('#probabilities .pct')].map((p) => p.textContent),
  }));
}

/**
 * A suite's setup, run once by the first test that awaits it. Not uvu's
 * test.before: uvu reports a throwing before-hook as "0 of N" and exits 0,
 * while a setup that fails here (no Chromium, no build) fails every test
 * with its message.
 */
export function once(setup) {
  let p = null;
  const ready = () => (p ??= setup());
  ready.started = () => p !== null;
  return ready;
}

/**
 * A fresh browser on a served page, set up on first use: `ready()` resolves
 * to { server, browser, page }; hand `close` to test.after.
 */
export function servedPage(routes = {}, launchOptions) {
  const ctx = {};
  const ready = once(async () => {
    ctx.server = await startServer(routes);
    ctx.browser = await launch(launchOptions);
    ctx.page = ctx.browser.page;
    await openPage(ctx.page, ctx.server.url);
    return ctx;
  });
  const close = async () => {
    await ctx.browser?.close();
    await ctx.server?.close();
  };
  return { ctx, ready, close };
}

/** Long tasks recorded since the page loaded: [{ start, duration }]. */
export const longTasks = (page) => page.evaluate(() => window.__longTasks);

/** Waits until the page's status matches re. */
export const statusIs = (page, re, timeout = 90_000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]').textContent), re.source, {
    timeout,
  });

/** The model the page's worker has now, through Save model (a download). */
export async function savedModel(page) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save model' }).click(),
  ]);
  return readFileSync(await download.path());
}
