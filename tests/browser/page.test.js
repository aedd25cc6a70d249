// The page as a person meets it before training: the names and ids that
// people and tests rely on, an empty pad that predicts nothing, the
// Content-Security-Policy kept (no inline script, nothing blocked), and a
// phone-width screen where touch draws on the pad without scrolling the page.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launch, openPage, once } from './helpers.js';

const ctx = {};

const serverReady = once(async () => {
  ctx.server = await startServer();
  return ctx;
});
const ready = once(async () => {
  await serverReady();
  ctx.browser = await launch({ viewport: { width: 375, height: 740 } });
  await openPage(ctx.browser.page, ctx.server.url);
  return ctx;
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.server?.close();
});

test('index.html has no inline script or style attribute; the served page carries the CSP', async () => {
  await serverReady();
  const html = readFileSync(path.join(ROOT, 'web', 'index.html'), 'utf8');
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc=/, `inline script: ${tag}`);
  assert.not.match(html, /\son[a-z]+=/i, 'no inline event handler attributes');
  assert.not.match(html, /\sstyle=/i, 'no inline style attributes');
  const res = await fetch(ctx.server.url);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.not.match(csp, /unsafe-inline|'unsafe-eval'/);
});

test('accessible names and ids; an empty pad predicts nothing; no CSP violation', async () => {
  const { page } = (await ready()).browser;
  for (const name of ['Train', 'Pause', 'Reset', 'Clear']) {
    assert.is(await page.getByRole('button', { name, exact: true }).count(), 1, `one button named ${name}`);
  }
  assert.is(await page.getByLabel('Data URL').getAttribute('value'), 'data/');
  assert.is(await page.getByLabel('Drawing pad').evaluate((e) => e.tagName), 'CANVAS');
  assert.is(await page.getByRole('status').count(), 1, 'one role=status element');
  assert.is(await page.locator('[role=alert]').count(), 1, 'one role=alert element');
  assert.is(await page.locator('#prediction').getAttribute('data-digit'), '');
  assert.is(await page.locator('#accuracy').getAttribute('data-value'), '');
  assert.is(await page.locator('#speed').getAttribute('data-value'), '');
  assert.is(await page.getByRole('alert').isVisible(), false, 'no error on a fresh page');
  assert.equal(await page.evaluate(() => window.__cspViolations), []);
});

test('phone width: nothing overflows sideways; touch draws on the pad and does not scroll the page', async () => {
  const { page, context } = (await ready()).browser;
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  const pad = page.getByLabel('Drawing pad');
  assert.is(await pad.evaluate((c) => getComputedStyle(c).touchAction), 'none');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 375, 'the pad fits the screen');
  for (const name of ['Train', 'Clear']) {
    const b = await page.getByRole('button', { name, exact: true }).boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 375, `${name} fits the screen`);
  }

  // A finger drags down the pad (a "1"): real touch input through CDP.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const scrollBefore = await page.evaluate(() => window.scrollY);
  const x = box.x + box.width / 2;
  const touch = (type, y) =>
    cdp.send('Input.dispatchTouchEvent', {
      type,
      touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1 }],
    });
  await touch('touchStart', box.y + box.height * 0.15);
  for (let i = 1; i <= 12; i++) await touch('touchMove', box.y + box.height * (0.15 + 0.06 * i));
  await touch('touchEnd');
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '');
  assert.is(await page.evaluate(() => window.scrollY), scrollBefore, 'the page did not scroll');
  const ink = await pad.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 128) n++;
    return n;
  });
  assert.ok(ink > 1000, `the stroke left ink (${ink} pixels)`);

  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  assert.is(await page.locator('#prediction').getAttribute('data-digit'), '');
  assert.equal(ctx.browser.problems.pageErrors, []);
});

test.run();
