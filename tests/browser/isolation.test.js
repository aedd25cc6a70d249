// Cross-origin isolation: the page from `npm start` is isolated (page and
// training worker); from a static host that sends no isolation headers it
// becomes isolated through the service worker after its first load, with
// one reload and no loop, and not at all while the person has started
// something; data from another origin works with CORS and, without it, the
// person is told so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { staticHandler, WEB } from '../../scripts/serve.js';
import { startServer, launch, openPage, waitForAlert, once } from './helpers.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Counts the page's own navigations (loads and reloads of the main frame). */
function countNavigations(page) {
  const count = { n: 0 };
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) count.n++;
  });
  return count;
}

/* crossOriginIsolated in the page's training worker. */
async function workerIsolated(page) {
  for (let i = 0; i < 200 && page.workers().length === 0; i++) await sleep(50);
  const workers = page.workers();
  assert.ok(workers.length > 0, 'the training worker is there');
  return workers[workers.length - 1].evaluate(() => self.crossOriginIsolated);
}

const controlled = (page) =>
  page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });

const npmStart = once(async () => ({ server: await startServer() }));
const closers = [];
test.after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  if (npmStart.started()) await (await npmStart()).server.close();
});

async function browser() {
  const b = await launch();
  closers.push(() => b.close());
  return b;
}

test('npm start: the page and its worker are cross-origin isolated', async () => {
  const { server } = await npmStart();
  const res = await fetch(server.url);
  assert.is(res.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.is(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
  const { page } = await browser();
  const navs = countNavigations(page);
  await openPage(page, server.url);
  assert.is(await page.evaluate(() => self.crossOriginIsolated), true, 'page');
  assert.is(await page.evaluate(() => typeof SharedArrayBuffer), 'function');
  assert.is(await workerIsolated(page), true, 'worker');
  await controlled(page);
  await sleep(1000);
  assert.is(navs.n, 1, 'an isolated page is not reloaded');
});

test('a static host without isolation headers: isolated after one reload by the service worker, no loop', async () => {
  const server = await startServer({}, { isolate: false });
  closers.push(() => server.close());
  const res = await fetch(server.url);
  assert.is(res.headers.get('cross-origin-embedder-policy'), null, 'the host sends no isolation headers');
  const { page, problems } = await browser();
  const navs = countNavigations(page);
  await page.goto(server.url);
  assert.is(await page.evaluate(() => self.crossOriginIsolated), false, 'first load: not isolated');
  for (let i = 0; i < 300 && navs.n < 2; i++) await sleep(100);
  assert.is(navs.n, 2, 'the page reloaded itself once');
  await page.waitForLoadState('load');
  await page.waitForFunction(() => !document.getElementById('train')?.disabled, null, { timeout: 20_000 });
  assert.is(await page.evaluate(() => self.crossOriginIsolated), true, 'isolated after the service worker took over');
  assert.is(await workerIsolated(page), true, 'the worker too');
  await sleep(2000);
  assert.is(navs.n, 2, `no second reload (navigations: ${navs.n})`);
  await page.reload();
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  await sleep(2000);
  assert.is(navs.n, 3, 'a reload by hand is the only navigation: no loop');
  assert.is(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(problems.pageErrors, []);
});

test('a browser that stays unisolated under the service worker is reloaded once, not in a loop', async () => {
  // a service worker that leaves out COEP stands for a browser that does not honour it
  const script = readFileSync(path.join(WEB, 'sw.js'), 'utf8').replace(
    "'Cross-Origin-Embedder-Policy': 'require-corp',",
    '',
  );
  assert.not.match(script, /'Cross-Origin-Embedder-Policy'/);
  const server = await startServer(
    {
      '/sw.js': (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
        res.end(script);
      },
    },
    { isolate: false },
  );
  closers.push(() => server.close());
  const { page, problems } = await browser();
  const navs = countNavigations(page);
  await page.goto(server.url);
  for (let i = 0; i < 300 && navs.n < 2; i++) await sleep(100);
  assert.is(navs.n, 2, 'one reload');
  await page.waitForFunction(() => !document.getElementById('train')?.disabled, null, { timeout: 20_000 });
  await sleep(3000);
  assert.is(navs.n, 2, `no loop (navigations: ${navs.n})`);
  assert.is(await page.evaluate(() => !!navigator.serviceWorker.controller && !self.crossOriginIsolated), true);
  assert.equal(problems.pageErrors, []);
});

test('a static host: once the person has started, the page is not reloaded; the next visit is isolated', async () => {
  const files = staticHandler(WEB, { isolate: false });
  // the service worker's install waits for this file, so Train comes first
  const server = await startServer(
    {
      '/data/t10k-labels-idx1-ubyte.gz': (req, res) => setTimeout(() => files(req, res), 4000),
    },
    { isolate: false },
  );
  closers.push(() => server.close());
  const { page } = await browser();
  const navs = countNavigations(page);
  await openPage(page, server.url);
  await page.locator('#epochs').fill('1');
  await page.getByLabel('Data URL').fill('data/small/');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await controlled(page);
  await sleep(2000);
  assert.is(navs.n, 1, 'no reload under the person');
  assert.is(await page.evaluate(() => self.crossOriginIsolated), false);
  await page.reload();
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  assert.is(await page.evaluate(() => self.crossOriginIsolated), true, 'the next load is isolated');
});

test('data from another origin: with CORS it trains; without, the person is told it needs CORS', async () => {
  const { server } = await npmStart();
  const files = staticHandler(WEB);
  const cors = await startServer(
    {
      '/': (req, res) => {
        res.setHeader('Access-Control-Allow-Origin', '*');
        files(req, res);
      },
    },
    { host: 'localhost' },
  );
  // a plain static host: no CORS (and no isolation headers, so no CORP either)
  const plain = await startServer({}, { host: 'localhost', isolate: false });
  closers.push(
    () => cors.close(),
    () => plain.close(),
  );
  const { page, problems } = await browser();
  await openPage(page, server.url);
  await controlled(page);
  // 127.0.0.1 and localhost are different origins
  const corsUrl = cors.url.replace('127.0.0.1', 'localhost');
  const plainUrl = plain.url.replace('127.0.0.1', 'localhost');
  assert.is.not(new URL(corsUrl).origin, new URL(server.url).origin);

  await page.locator('#epochs').fill('1');
  await page.getByLabel('Data URL').fill(`${corsUrl}data/small/`);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('accuracy').dataset.value !== '', null, { timeout: 60_000 });
  assert.ok(
    Number(await page.locator('#accuracy').getAttribute('data-value')) > 0.5,
    'trained on data from another origin',
  );
  assert.is(await page.getByRole('alert').isVisible(), false);

  await page.getByLabel('Data URL').fill(`${plainUrl}data/small/`);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const message = await waitForAlert(
    page,
    /its server answered but does not let pages from other origins read its files\. It must send Access-Control-Allow-Origin \(CORS\) for http:\/\/127\.0\.0\.1:\d+/,
  );
  assert.ok(message.includes(`${plainUrl}data/small/train-`), message);
  assert.ok(message.length < 400, 'a short message');
  await page.waitForFunction(() => !document.getElementById('train').disabled);
  assert.equal(problems.pageErrors, []);
});

test.run();
