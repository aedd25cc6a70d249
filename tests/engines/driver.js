// driver.js: one small interface over three browser engines, so that a page
// test is written once and runs in each:
//   chromium  Debian's chromium through playwright-core (CDP), headless
//   firefox   Debian's firefox-esr through puppeteer-core (WebDriver BiDi), headless
//   webkit    Debian's WebKitGTK MiniBrowser through WebKitWebDriver and
//             selenium-webdriver (W3C WebDriver), on an Xvfb display of its own
// Every browser starts with a fresh profile that is removed on close. Input
// is real: clicks, keys and pointer strokes go through each driver's input
// pipeline, so the page gets trusted events. A browser that is missing fails
// with the Debian package to install; nothing here skips.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js';
import { resample } from '../helpers/strokes.js';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const VIEWPORT = { width: 1280, height: 900 };

// what each engine needs on this machine: [file, Debian package]
const NEEDS = {
  chromium: [[CHROMIUM, 'chromium']],
  firefox: [[FIREFOX, 'firefox-esr']],
  webkit: [
    ['/usr/bin/WebKitWebDriver', 'webkit2gtk-driver'],
    [MINIBROWSER, 'libwebkit2gtk-4.1-0'],
    ['/usr/bin/Xvfb', 'xvfb'],
  ],
};

/** The engine named by MNIST_ENGINE; throws when it is missing or unknown. */
export function engineFromEnv() {
  const engine = process.env.MNIST_ENGINE;
  if (!ENGINES.includes(engine))
    throw new Error(
      `MNIST_ENGINE must name the engine to test, one of ${ENGINES.join(', ')} (it is ${engine === undefined ? 'unset' : `'${engine}'`})`,
    );
  return engine;
}

/**
 * A browser of engine with one page:
 *   engine                      'chromium' | 'firefox' | 'webkit'
 *   goto(url), reload()         navigate, resolving once the document has loaded
 *   evaluate(fn, ...args)       fn(...args) in the page (its source is sent, args as JSON); awaits a promise;
 *                               returns a JSON value
 *   waitFor(fn, arg, { timeout, what })  polls fn(arg) in the page until truthy, returns that value; on
 *                               timeout throws naming `what` and what the page shows (status, alert)
 *   click(selector)             a real click on the element's centre
 *   type(selector, text)        empties a field, then types text with real keys
 *   press(selector, key)        presses one key ('Enter', 'Tab', ...) in the element
 *   draw(selector, strokes)     pointer strokes (down, moves, up) on the element; strokes are lists of
 *                               [x, y] in 0..1 of its content box
 *   upload(selector, file)      sets a file input to the file at path `file` (a change event follows)
 *   pageErrors()                uncaught errors of the page seen so far (messages)
 *   screenshot()                a PNG of the viewport (Buffer)
 *   close()                     ends the browser and everything started for it
 */
export async function openBrowser(engine) {
  if (!ENGINES.includes(engine)) throw new Error(`openBrowser: unknown engine '${engine}' (${ENGINES.join(', ')})`);
  for (const [file, pkg] of NEEDS[engine])
    if (!existsSync(file))
      throw new Error(
        `${engine}: ${file} not found; install Debian's ${pkg} package (apt-get install ${pkg}): the page suite runs in every engine`,
      );
  hookExit();
  const dir = mkdtempSync(path.join(tmpdir(), `mnist-wasm-${engine}-`));
  profiles.add(dir);
  const removeDir = () => {
    rmSync(dir, { recursive: true, force: true });
    profiles.delete(dir);
  };
  let impl;
  try {
    impl = await { chromium, firefox, webkit }[engine](dir);
  } catch (e) {
    removeDir();
    throw e;
  }
  return common(engine, impl, removeDir);
}

/* ---------- what every engine shares ---------- */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fn(...args) as an expression; the page's CSP does not apply to a driver's scripts. */
const call = (fn, args) => `(${fn})(...${JSON.stringify(args)})`;

function common(engine, impl, removeDir) {
  let closed = false;
  const evaluate = (fn, ...args) => impl.evaluate(call(fn, args));

  /** What the page shows, for messages: its role=status and role=alert texts. */
  const showing = () =>
    impl
      .evaluate(
        call(() => {
          const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? '(none)';
          return `status "${text('[role=status]')}", alert "${text('[role=alert]')}"`;
        }, []),
      )
      .catch((e) => `(the page could not be read: ${e.message.split('\n')[0]})`);

  /** The element's content box in viewport pixels, scrolled into view first. */
  const box = (selector) =>
    evaluate((sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      return { x: r.left + el.clientLeft, y: r.top + el.clientTop, w: el.clientWidth, h: el.clientHeight };
    }, selector);

  return {
    engine,
    goto: (url) => impl.goto(url),
    reload: () => impl.reload(),
    evaluate,
    async waitFor(fn, arg, { timeout = 10_000, what = 'a condition in the page' } = {}) {
      const end = Date.now() + timeout;
      let last = null; // an evaluation that failed (a navigation under way), told if the wait times out
      for (;;) {
        try {
          const v = await impl.evaluate(call(fn, [arg]));
          if (v) return v;
          last = null;
        } catch (e) {
          last = e;
        }
        if (Date.now() > end) {
          const error = last ? `; the last check failed: ${last.message.split('\n')[0]}` : '';
          throw new Error(
            `${engine}: waited ${timeout / 1000} s for ${what}; the page shows ${await showing()}${error}`,
          );
        }
        await sleep(100);
      }
    },
    async click(selector) {
      await impl.click(selector);
    },
    async type(selector, text) {
      const found = await evaluate((sel) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        el.value = '';
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.focus();
        return true;
      }, selector);
      if (!found) throw new Error(`${engine}: type: no element matches ${selector}`);
      await impl.type(selector, text);
    },
    press: (selector, key) => impl.press(selector, key),
    async draw(selector, strokes, { gap = 4 } = {}) {
      const b = await box(selector);
      if (!b) throw new Error(`${engine}: draw: no element matches ${selector}`);
      for (const stroke of strokes)
        await impl.stroke(
          // rounded to whole pixels, as a mouse gives them
          resample(
            stroke.map(([x, y]) => [b.x + x * b.w, b.y + y * b.h]),
            gap,
          ).map(([x, y]) => [Math.round(x), Math.round(y)]),
        );
    },
    upload: (selector, file) => impl.upload(selector, path.resolve(file)),
    pageErrors: () => impl.pageErrors(),
    screenshot: () => impl.screenshot(),
    showing,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await impl.close();
      } finally {
        removeDir();
      }
    },
  };
}

/* ---------- Chromium: playwright-core over CDP ---------- */

async function chromium(dir) {
  const { chromium: pw } = await import('playwright-core');
  const context = await pw.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A stroke's mouse events go out in one burst through CDP, as a fast mouse
  // sends them; page.mouse would wait a frame for each point.
  const cdp = await context.newCDPSession(page);
  const mouse = (type, [x, y], buttons) =>
    cdp.send('Input.dispatchMouseEvent', {
      type,
      x,
      y,
      button: buttons || type !== 'mouseMoved' ? 'left' : 'none',
      buttons,
      clickCount: 1,
    });
  return {
    goto: (url) => page.goto(url, { waitUntil: 'load' }),
    reload: () => page.reload({ waitUntil: 'load' }),
    evaluate: (expr) => page.evaluate(expr),
    click: (sel) => page.click(sel),
    type: (sel, text) => page.locator(sel).pressSequentially(text),
    press: (sel, key) => page.press(sel, key),
    stroke: (pts) =>
      Promise.all([
        mouse('mouseMoved', pts[0], 0),
        mouse('mousePressed', pts[0], 1),
        ...pts.slice(1).map((p) => mouse('mouseMoved', p, 1)),
        mouse('mouseReleased', pts.at(-1), 0),
      ]),
    upload: (sel, file) => page.setInputFiles(sel, file),
    pageErrors: async () => [...errors],
    screenshot: () => page.screenshot(),
    close: () => context.close(),
  };
}

/* ---------- Firefox: puppeteer-core over WebDriver BiDi ---------- */

// On top of puppeteer's own profile (no updates, no safe browsing, no
// remote settings): nothing else that reaches the network.
const FIREFOX_PREFS = {
  'app.update.auto': false,
  'app.update.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.server': '',
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'captivedetect.canonicalURL': '',
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'extensions.blocklist.enabled': false,
  'browser.region.update.enabled': false,
  'browser.region.network.url': '',
  'browser.topsites.contile.enabled': false,
  'geo.provider.network.url': '',
};

async function firefox(dir) {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: dir,
    extraPrefsFirefox: FIREFOX_PREFS,
    defaultViewport: VIEWPORT,
  });
  try {
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return {
      goto: (url) => page.goto(url, { waitUntil: 'load' }),
      reload: () => page.reload({ waitUntil: 'load' }),
      evaluate: (expr) => page.evaluate(expr),
      click: (sel) => page.click(sel),
      type: (sel, text) => page.type(sel, text),
      press: async (sel, key) => {
        await page.focus(sel);
        await page.keyboard.press(key);
      },
      // One BiDi input.performActions per stroke (page.mouse sends one per
      // point, a round trip each): the pointer goes down, through every point
      // and up, as the mouse source puppeteer's page.mouse uses.
      stroke: (pts) =>
        page.mainFrame().browsingContext.performActions([
          {
            type: 'pointer',
            id: '__puppeteer_mouse',
            parameters: { pointerType: 'mouse' },
            actions: [
              { type: 'pointerMove', x: pts[0][0], y: pts[0][1] },
              { type: 'pointerDown', button: 0 },
              ...pts.slice(1).map(([x, y]) => ({ type: 'pointerMove', x, y })),
              { type: 'pointerUp', button: 0 },
            ],
          },
        ]),
      async upload(sel, file) {
        const input = await page.$(sel);
        if (!input) throw new Error(`firefox: upload: no element matches ${sel}`);
        await input.uploadFile(file);
      },
      pageErrors: async () => [...errors],
      screenshot: () => page.screenshot(),
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/* ---------- WebKit: WebKitWebDriver + selenium-webdriver on Xvfb ---------- */

// What a browser leaves to end if Node exits first (a test that throws, a
// signal): the processes started for WebKit, each the leader of its own
// process group (MiniBrowser and its web processes are in the driver's), and
// the fresh profiles. SIGTERM lets Xvfb remove its socket and lock.
const children = new Set();
const profiles = new Set();
function endAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  children.clear();
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  profiles.clear();
}
let exitHooked = false;
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', endAll);
  for (const [sig, n] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ])
    process.once(sig, () => {
      endAll();
      process.exit(128 + n);
    });
}

/** Starts a child in a process group of its own; its output is kept (the last 64 KB) for messages. */
function start(cmd, args, env) {
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.output = '';
  const keep = (d) => (child.output = (child.output + d).slice(-65536));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited.then(() => children.delete(child));
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000);
  await child.exited;
  clearTimeout(timer);
}

/** Xvfb on the first free display from :90; resolves to { child, display }. */
async function startXvfb() {
  for (let n = 90; n < 190; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const child = start('Xvfb', [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], process.env);
    // up once its socket is there; a display taken meanwhile makes it exit at once: try the next
    const up = await Promise.race([
      child.exited.then(() => false),
      (async () => {
        for (let i = 0; i < 100; i++) {
          if (existsSync(`/tmp/.X11-unix/X${n}`)) return true;
          await sleep(50);
        }
        return false;
      })(),
    ]);
    if (up) return { child, display: `:${n}` };
    await stop(child);
  }
  throw new Error('webkit: Xvfb found no free display from :90 to :189');
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function webkit(dir) {
  const { Builder, By, Key, Origin } = await import('selenium-webdriver');
  let xvfb, wkd, driver;
  const cleanup = async () => {
    await driver?.quit().catch(() => {});
    await stop(wkd);
    await stop(xvfb);
  };
  try {
    let display;
    ({ child: xvfb, display } = await startXvfb());
    const port = await freePort();
    wkd = start('/usr/bin/WebKitWebDriver', [`--port=${port}`], {
      ...process.env,
      DISPLAY: display,
      HOME: dir, // its caches and storage in the fresh profile
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      XDG_DATA_HOME: path.join(dir, 'data'),
      XDG_CONFIG_HOME: path.join(dir, 'config'),
    });
    const server = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${server}/status`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (wkd.exitCode !== null || i > 100)
        throw new Error(`webkit: WebKitWebDriver did not start on port ${port}: ${wkd.output.trim()}`);
      await sleep(100);
    }
    driver = await new Builder()
      .usingServer(server)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': {
          binary: MINIBROWSER,
          args: ['--automation'],
        },
      })
      .build();
    await driver.manage().setTimeouts({ script: 120_000, pageLoad: 60_000 });
    await driver
      .manage()
      .window()
      .setRect({ x: 0, y: 0, ...VIEWPORT });
  } catch (e) {
    await cleanup();
    throw e;
  }

  const find = async (sel) => {
    const els = await driver.findElements(By.css(sel));
    if (!els.length) throw new Error(`webkit: no element matches ${sel}`);
    return els[0];
  };
  const keys = { Enter: Key.ENTER, Tab: Key.TAB, Escape: Key.ESCAPE, Backspace: Key.BACK_SPACE, Space: Key.SPACE };
  async function evaluate(expr) {
    // the W3C async script: the driver's callback is the last argument
    const r = await driver.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       Promise.resolve().then(() => ${expr}).then(
         (value) => done({ value: value === undefined ? null : value }),
         (e) => done({ error: String(e && e.stack ? e.message + '\\n' + e.stack : e) }));`,
    );
    if (r && 'error' in r) throw new Error(r.error);
    return r?.value;
  }

  // WebKitWebDriver tells nothing of the page's errors (no BiDi, and
  // MiniBrowser writes no console under automation), and its navigation
  // returns before the load event. So a navigation marks the old document,
  // waits for a new one that has loaded, and listens there for uncaught
  // errors and rejections (those from then on: earlier ones the page shows
  // in role=alert itself, or it never becomes ready).
  const errors = [];
  const HOOK = `(() => {
    if (!window.__engineErrors) {
      window.__engineErrors = [];
      addEventListener('error', (e) => window.__engineErrors.push(e.message));
      addEventListener('unhandledrejection', (e) => window.__engineErrors.push(String(e.reason?.message ?? e.reason)));
    }
  })()`;
  const pageErrorsNow = () => evaluate('window.__engineErrors ?? []');
  async function navigate(go) {
    errors.push(...(await pageErrorsNow().catch(() => []))); // before the first page: none
    await evaluate('window.__engineOld = true').catch(() => {}); // no document yet: nothing to tell apart
    await go();
    const end = Date.now() + 60_000;
    let last = null;
    for (;;) {
      try {
        if (await evaluate(`!window.__engineOld && document.readyState === 'complete'`)) break;
      } catch (e) {
        last = e; // the new document is not there yet
      }
      if (Date.now() > end)
        throw new Error(`webkit: the page did not load within 60 s${last ? `: ${last.message.split('\n')[0]}` : ''}`);
      await sleep(50);
    }
    await evaluate(HOOK);
  }

  return {
    goto: (url) => navigate(() => driver.get(url)),
    reload: () => navigate(() => driver.navigate().refresh()),
    evaluate,
    click: async (sel) => (await find(sel)).click(),
    type: async (sel, text) => (await find(sel)).sendKeys(text),
    async press(sel, key) {
      if (!keys[key]) throw new Error(`webkit: press: no key called ${key}`);
      await (await find(sel)).sendKeys(keys[key]);
    },
    async stroke(pts) {
      // one W3C action chain per stroke; moves at once (the default lasts 100 ms each)
      const move = ([x, y]) => ({ x, y, origin: Origin.VIEWPORT, duration: 0 });
      let a = driver.actions({ async: true }).move(move(pts[0])).press();
      for (const p of pts.slice(1)) a = a.move(move(p));
      await a.release().perform();
    },
    upload: async (sel, file) => (await find(sel)).sendKeys(file),
    pageErrors: async () => [...errors, ...(await pageErrorsNow())],
    screenshot: async () => Buffer.from(await driver.takeScreenshot(), 'base64'),
    close: cleanup,
  };
}
