// Streaming: with a server that sends the data slowly, the progress bar
// advances and training starts on the digits that have arrived, before the
// download ends. Also: uncompressed IDX files (no .gz) load the same way,
// and the whole flow works from the keyboard.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { status, DATA, servedPage } from './helpers.js';

const CHUNK = 16 * 1024;
const EVERY_MS = 40; // ~400 KB/s: the 1.6 MB default set takes about 4 s

/* Serves the default files slowly: CHUNK bytes every EVERY_MS, with a Content-Length. */
function slow(req, res, rest) {
  const name = decodeURIComponent(rest);
  let body;
  try {
    body = readFileSync(path.join(DATA, path.basename(name)));
  } catch {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': body.length });
  let at = 0;
  const timer = setInterval(() => {
    res.write(body.subarray(at, at + CHUNK));
    at += CHUNK;
    if (at >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, EVERY_MS);
  res.on('close', () => clearInterval(timer));
}

/* Serves the default files uncompressed under the plain names; the .gz names are 404. */
function plain(req, res, rest) {
  const name = path.basename(decodeURIComponent(rest));
  if (name.endsWith('.gz')) {
    res.writeHead(404);
    res.end('Not found');
    return;
  }
  let body;
  try {
    body = gunzipSync(readFileSync(path.join(DATA, `${name}.gz`)));
  } catch {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
}

const { ctx, ready, close } = servedPage({ '/slow/': slow, '/plain/': plain });
test.after(close);

test('a slow download: progress advances and training starts before it ends', async () => {
  const { page } = await ready();
  await page.locator('#epochs').fill('500'); // still training when the test pauses it
  await page.getByLabel('Data URL').fill('slow/');
  // what the page shows, recorded at every change of it
  await page.evaluate(() => {
    const read = () => {
      const p = document.getElementById('download-progress');
      return {
        value: p.hasAttribute('value') ? p.value : null,
        max: p.max,
        text: document.getElementById('download-text').textContent,
        status: document.querySelector('[role=status]').textContent,
        loss: document.getElementById('loss').textContent,
      };
    };
    window.__shown = [read()];
    const observer = new MutationObserver(() => window.__shown.push(read()));
    for (const el of ['download-progress', 'download-text', 'loss'].map((id) => document.getElementById(id)))
      observer.observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
    observer.observe(document.querySelector('[role=status]'), { childList: true, characterData: true, subtree: true });
  });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(
    () => {
      const p = document.getElementById('download-progress');
      return p.max > 1 && p.value >= p.max;
    },
    null,
    { timeout: 60_000 },
  );
  const samples = await page.evaluate(() => window.__shown);
  const last = samples[samples.length - 1];
  assert.ok(last.max > 1 && last.value >= last.max, `the download finished: ${JSON.stringify(last)}`);
  assert.match(last.text, /1\.5 MB of 1\.5 MB · 8,000 \/ 8,000 training · 2,000 \/ 2,000 test digits/);

  const values = [...new Set(samples.filter((s) => s.max > 1).map((s) => s.value))];
  assert.ok(values.length >= 5, `progress advanced in steps: ${values.length} distinct values`);
  for (let i = 1; i < values.length; i++) assert.ok(values[i] > values[i - 1], 'progress only goes forward');

  const early = samples.find((s) => /^Training/.test(s.status) && s.loss !== '–' && s.max > 1 && s.value < s.max);
  assert.ok(early, 'a moment with training under way (a loss shown) while the download was not finished');
  const arrived = Number(early.text.match(/([\d,]+) \/ 8,000 training/)?.[1].replace(/,/g, ''));
  console.log(
    `    training under way at ${Math.round((100 * early.value) / early.max)}% of the bytes, ${arrived} of 8,000 training digits in`,
  );
  assert.ok(arrived < 8000, `training started with ${arrived} digits in`);
  assert.match(early.status, /digits downloaded so far/);

  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForFunction(() => /^Paused/.test(document.querySelector('[role=status]').textContent));
  assert.equal(ctx.browser.problems.pageErrors, []);
});

test('uncompressed IDX files load too, and the page works from the keyboard', async () => {
  const { page } = await ready();
  // Reset by keyboard: Tab until the Reset button has focus, then Enter.
  await page.getByLabel('Data URL').focus();
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  let seen = [];
  for (let i = 0; i < 10 && (await focused()) !== 'reset'; i++) {
    await page.keyboard.press('Tab');
    seen.push(await focused());
  }
  assert.is(await focused(), 'reset', `Tab reached Reset (${seen.join(' ')})`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /untrained/.test(document.getElementById('model-info').textContent));

  // Type the URL and press Enter in the field: that trains.
  await page.getByLabel('Data URL').focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('plain/');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 15_000,
  });
  await page.waitForFunction(
    () =>
      /8,000 \/ 8,000 training · 2,000 \/ 2,000 test digits/.test(document.getElementById('download-text').textContent),
    null,
    { timeout: 15_000 },
  );
  await page.waitForFunction(() => Number(document.getElementById('accuracy').dataset.value) > 0.5, null, {
    timeout: 30_000,
  });

  // Pause from the keyboard: focus the Pause button and press Space.
  await page.getByRole('button', { name: 'Pause', exact: true }).focus();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /^Paused/.test(document.querySelector('[role=status]').textContent));
  assert.match(await status(page), /^Paused/);
  assert.is(await page.getByRole('alert').isVisible(), false);
  assert.equal(ctx.browser.problems.pageErrors, []);
});

test.run();
