// The service worker's cache (web/sw.js, build/cache-manifest.js): after
// one visit the page loads and trains offline, with the server gone; a
// truncated or altered file in the cache is never served, but fetched again
// (and, offline, refused with a message); a new version replaces the old
// cache, taking the unchanged files from it, with no reload.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { staticHandler, WEB } from '../../scripts/serve.js';
import { cacheManifest, readCacheManifest, writeCacheManifest } from '../../scripts/cache-manifest.js';
import { startServer, launch, openPage, waitForAlert } from './helpers.js';

const cacheName = (m) => `${m.name}-${m.version}-${m.hash}`;

const closers = [];
test.after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

/* A server over root that counts the requests for each path. */
async function countingServer(root = WEB) {
  const files = staticHandler(root);
  const hits = {};
  const server = await startServer({
    '/': (req, res) => {
      const p = req.url.split('?')[0];
      hits[p] = (hits[p] ?? 0) + 1;
      files(req, res);
    },
  });
  closers.push(() => server.close());
  return { server, hits };
}

async function browser() {
  const b = await launch();
  closers.push(() => b.close());
  return b;
}

/* Waits until the page is controlled and the service worker keeps exactly the cache named. */
async function keeps(page, name) {
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });
  await page.evaluate(() => (window.__cacheKeys = null));
  await page
    .waitForFunction(
      (want) => {
        // the predicate cannot wait: it asks the caches again whenever the last answer is in
        window.__cacheKeysAsked ??= caches.keys().then((keys) => {
          window.__cacheKeys = keys;
          window.__cacheKeysAsked = null;
        });
        const keys = window.__cacheKeys;
        return keys?.length === 1 && keys[0] === want;
      },
      name,
      { timeout: 30_000 },
    )
    .catch(async () => assert.equal(await page.evaluate(() => caches.keys()), [name], 'the caches kept'));
}

// One epoch of full MNIST with the defaults reaches 95.97% natively (on the
// whole set; the page, training while the data arrive, a little more): the
// floor leaves half a point.
// One epoch trained as the kept data streams in: a fresh-clone run with the
// machine fully loaded showed 94.55% (the epoch starts on fewer digits), so
// the floor is 94%, not 95.5%.
const ONE_EPOCH = 0.94;

/* Trains one epoch from data URL until Done; returns the test accuracy shown. */
async function trainOneEpoch(page, url = 'data/') {
  await page.getByLabel('Data URL').fill(url);
  await page.locator('#epochs').fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page
    .waitForFunction(() => /^Done/.test(document.querySelector('[role=status]').textContent), null, {
      timeout: 60_000,
    })
    .catch(async () => {
      throw new Error(
        `not done: "${await page.getByRole('status').textContent()}", alert "${await page.locator('[role=alert]').textContent()}"`,
      );
    });
  return Number(await page.locator('#accuracy').getAttribute('data-value'));
}

async function resetNetwork(page) {
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForFunction(() => /untrained/.test(document.getElementById('model-info').textContent));
}

/* The SHA-256 (hex) of each cached file named, as the page reads it from the cache. */
const cachedDigests = (page, name, paths) =>
  page.evaluate(
    async ({ name, paths }) => {
      const cache = await caches.open(name);
      const out = {};
      for (const p of paths) {
        const r = await cache.match(p);
        const d = r ? await crypto.subtle.digest('SHA-256', await r.arrayBuffer()) : null;
        out[p] = d && Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
      }
      return out;
    },
    { name, paths },
  );

/* Replaces cached files with damaged bytes: truncated (half) or altered (a byte flipped near the end). */
const damage = (page, name, how) =>
  page.evaluate(
    async ({ name, how }) => {
      const cache = await caches.open(name);
      for (const [p, kind] of Object.entries(how)) {
        const r = await cache.match(p);
        const b = new Uint8Array(await r.arrayBuffer());
        let bad;
        if (kind === 'truncated') bad = b.slice(0, b.length >> 1);
        else {
          bad = b.slice();
          bad[bad.length - 9] ^= 0xff;
        }
        await cache.put(p, new Response(bad, { headers: r.headers }));
      }
    },
    { name, how },
  );

test('offline: visit, train, go offline (the server gone too), reload: the page loads and trains on the kept data', async () => {
  const { server } = await countingServer();
  const manifest = readCacheManifest(WEB);
  const { page, context, problems } = await browser();
  const t0 = Date.now();
  await openPage(page, server.url);
  await keeps(page, cacheName(manifest));
  const keptMs = Date.now() - t0;
  // what checking every kept file costs the service worker on a load (the same digest, in the page)
  const checkMs = await page.evaluate(async (name) => {
    const cache = await caches.open(name);
    const bodies = await Promise.all((await cache.keys()).map(async (k) => (await cache.match(k)).arrayBuffer()));
    const t = performance.now();
    for (const b of bodies) await crypto.subtle.digest('SHA-256', b);
    return performance.now() - t;
  }, cacheName(manifest));
  await trainOneEpoch(page);

  await server.close();
  await context.setOffline(true);
  const t1 = Date.now();
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 30_000 });
  const readyMs = Date.now() - t1;
  assert.is(await page.evaluate(() => navigator.onLine), false);
  await resetNetwork(page);
  const accuracy = await trainOneEpoch(page);
  assert.ok(accuracy >= ONE_EPOCH && accuracy <= 1, `accuracy shown offline: ${accuracy}`);
  assert.match(await page.locator('#accuracy').textContent(), /^\d+(\.\d+)?\s?%$/);
  assert.is(await page.getByRole('alert').isVisible(), false);
  await page
    .locator('#offline-note')
    .filter({ hasText: /works offline/ })
    .waitFor({ timeout: 10_000 })
    .catch(async () => {
      throw new Error(`the offline note says "${await page.locator('#offline-note').textContent()}"`);
    });
  assert.equal(problems.pageErrors, []);
  const mb = manifest.files.reduce((n, f) => n + f.size, 0) / 1048576;
  console.log(
    `    ${manifest.files.length} files (${mb.toFixed(1)} MB) kept ${(keptMs / 1000).toFixed(1)} s after the first load began, ` +
      `their SHA-256 in ${checkMs.toFixed(0)} ms; offline, the page was ready ${(readyMs / 1000).toFixed(1)} s after a reload and showed ${(accuracy * 100).toFixed(2)}%`,
  );
  await context.setOffline(false);
});

test('a truncated or altered file in the cache is fetched again, never served; offline it is refused with a message', async () => {
  const { server, hits } = await countingServer();
  const manifest = readCacheManifest(WEB);
  const name = cacheName(manifest);
  const { page, context, problems } = await browser();
  await openPage(page, server.url);
  await keeps(page, name);

  const damaged = {
    'data/t10k-labels-idx1-ubyte.gz': 'truncated',
    'data/train-labels-idx1-ubyte.gz': 'altered',
    'build/mnist-threads.wasm': 'truncated', // the module an isolated page loads
    'worker.js': 'altered',
  };
  const paths = Object.keys(damaged);
  const want = Object.fromEntries(paths.map((p) => [p, manifest.files.find((f) => f.path === p).sha256]));
  await damage(page, name, damaged);
  const before = await cachedDigests(page, name, paths);
  for (const p of paths) assert.is.not(before[p], want[p], `${p} is damaged in the cache`);

  for (const k of Object.keys(hits)) delete hits[k];
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 30_000 });
  await resetNetwork(page);
  const accuracy = await trainOneEpoch(page);
  assert.ok(accuracy >= ONE_EPOCH, `trained on whole data: ${accuracy}`);
  assert.is(await page.getByRole('alert').isVisible(), false, 'no error: nothing damaged reached the page');
  for (const p of paths) assert.ok(hits[`/${p}`] >= 1, `${p} fetched again (${hits[`/${p}`] ?? 0})`);
  assert.is(hits['/data/train-images-idx3-ubyte.gz'] ?? 0, 0, 'a whole file is served from the cache');
  assert.equal(await cachedDigests(page, name, paths), want, 'the cache holds the files again');

  // offline, a damaged copy cannot be fetched again: refused with a message
  await damage(page, name, { 'data/t10k-labels-idx1-ubyte.gz': 'altered' });
  await server.close();
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForAlert(
    page,
    /t10k-labels-idx1-ubyte\.gz \(HTTP 503 Server unreachable, and the copy kept for offline use is damaged\)/,
  );
  await page.waitForFunction(() => !document.getElementById('train').disabled);
  assert.is(await page.locator('#accuracy').getAttribute('data-value'), '', 'no accuracy from damaged data');
  assert.equal(problems.pageErrors, []);
  await context.setOffline(false);
});

test('a file edited under npm start is a new version: it replaces the old cache, reuses its unchanged files, and reloads nothing', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mnist-wasm-web-'));
  closers.push(async () => rmSync(root, { recursive: true, force: true }));
  for (const f of [...readCacheManifest(WEB).files.map((x) => x.path), 'sw.js']) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    copyFileSync(path.join(WEB, f), path.join(root, f));
  }
  const v1 = writeCacheManifest(root);
  const { server, hits } = await countingServer(root);
  const { page, problems } = await browser();
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  await openPage(page, server.url);
  await keeps(page, cacheName(v1));

  // edited while the server runs: the server makes the list anew when the browser asks for it
  appendFileSync(path.join(root, 'style.css'), '\n/* version 2 */\n');
  const v2 = cacheManifest(root);
  assert.is.not(v2.hash, v1.hash);
  for (const k of Object.keys(hits)) delete hits[k];
  await page.reload();
  await keeps(page, cacheName(v2));
  const css = await page.evaluate(
    async (name) => (await (await caches.open(name)).match('style.css')).text(),
    cacheName(v2),
  );
  assert.match(css, /version 2/);
  assert.is(hits['/style.css'], 1, 'the changed file fetched once');
  for (const f of v2.files.filter((x) => x.path.startsWith('data/'))) {
    assert.is(hits[`/${f.path}`] ?? 0, 0, `${f.path}: taken from the old cache`);
  }
  await page
    .locator('#offline-note')
    .filter({ hasText: /new version/ })
    .waitFor({ timeout: 10_000 });
  // the note comes as the page decides whether to reload (it does so only when not isolated)
  assert.is(
    await page.evaluate(() => sessionStorage.getItem('mnist-wasm:isolation-reload')),
    null,
    'the page did not reload itself',
  );
  assert.is(navigations, 2, 'the two loads asked for, and no reload');
  assert.equal(problems.pageErrors, []);
});

test.run();
