// Every data error reaches the person in role=alert with its own message;
// after one, Train works again without a reload; Stop download aborts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { gzipSync, gunzipSync } from 'node:zlib';
import net from 'node:net';
import path from 'node:path';
import { startServer, launch, openPage, status, waitForAlert, DATA, once } from './helpers.js';

const ctx = {};
const real = (name) => readFileSync(path.join(DATA, `${name}.gz`));

/* An IDX file (gzipped): type 0x08, the given dims, body bytes. */
function idx(dims, body) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, body]));
}

/* A fixture data set: overrides by file name (a Buffer, or a handler), the real files otherwise. */
function dataset(overrides = {}) {
  return (req, res, rest) => {
    const name = decodeURIComponent(rest);
    const o = overrides[name];
    if (typeof o === 'function') return o(req, res);
    let body = o;
    if (!body) {
      if (!name.endsWith('.gz')) {
        res.writeHead(404);
        res.end('Not found');
        return;
      }
      try {
        body = real(name.slice(0, -3));
      } catch {
        res.writeHead(404);
        res.end('Not found');
        return;
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': body.length });
    res.end(body);
  };
}

const trainLabels = gunzipSync(real('train-labels-idx1-ubyte')).subarray(8);

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

const ready = once(async () => {
  const gzImages = real('train-images-idx3-ubyte');
  ctx.server = await startServer({
    '/fx/html/': (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Welcome</title><p>This is not the data you are looking for.</p>');
    },
    '/fx/status500/': (req, res) => {
      res.writeHead(500, 'Internal Server Error');
      res.end('boom');
    },
    '/fx/truncated-gzip/': dataset({ 'train-images-idx3-ubyte.gz': gzImages.subarray(0, gzImages.length >> 1) }),
    '/fx/count-mismatch/': dataset({ 'train-labels-idx1-ubyte.gz': idx([7999], trainLabels.subarray(0, 7999)) }),
    '/fx/bad-label/': dataset({
      'train-labels-idx1-ubyte.gz': idx([8000], Buffer.concat([Buffer.from([12]), trainLabels.subarray(1)])),
    }),
    // ten labels too, so that the shape is the one thing wrong (with 8,000
    // labels the count check may fire first, depending on which header comes first)
    '/fx/wrong-shape/': dataset({
      'train-images-idx3-ubyte.gz': idx([10, 32, 32], Buffer.alloc(10 * 32 * 32)),
      'train-labels-idx1-ubyte.gz': idx([10], trainLabels.subarray(0, 10)),
    }),
    '/fx/closed/': dataset({
      'train-images-idx3-ubyte.gz': (req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': gzImages.length });
        res.write(gzImages.subarray(0, 200_000), () => setTimeout(() => res.socket?.destroy(), 50));
      },
    }),
    '/fx/stall/': dataset({
      'train-images-idx3-ubyte.gz': (req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': gzImages.length });
        res.write(gzImages.subarray(0, 100_000)); // then nothing, until the client gives up
        // a cap long past the test's own waits, so a slow run never sees the stall end
        const t = setTimeout(() => res.destroy(), 180_000);
        res.on('close', () => clearTimeout(t));
      },
    }),
  });
  ctx.browser = await launch();
  ctx.page = ctx.browser.page;
  await openPage(ctx.page, ctx.server.url);
  await ctx.page.locator('#epochs').fill('500'); // runs stay under way until the tests pause them
  return ctx;
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.server?.close();
});

async function trainFrom(url) {
  const { page } = await ready();
  await page.getByLabel('Data URL').fill(url);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
}

const cases = [
  ['a bad URL', () => 'http://[oops', /"http:\/\/\[oops" is not a valid URL/],
  [
    'a server that does not answer',
    async () => `http://127.0.0.1:${await closedPort()}/`,
    /Could not download http:\/\/127\.0\.0\.1:\d+\/\S+: the server did not answer/,
  ],
  [
    '404',
    () => 'nothing-here/',
    /Not found: \S+nothing-here\/\S+-ubyte\.gz \(HTTP 404 Not Found\), nor \S+-ubyte \(HTTP 404 Not Found\)/,
  ],
  [
    'HTTP 500',
    () => 'fx/status500/',
    /Download failed: \S+fx\/status500\/\S+ubyte\.gz \(HTTP 500 Internal Server Error\)/,
  ],
  [
    'a file that is not IDX (an HTML page)',
    () => 'fx/html/',
    /fx\/html\/\S+ubyte\.gz is not an IDX file \(the server sent an HTML page\)/,
  ],
  ['truncated gzip', () => 'fx/truncated-gzip/', /train-images-idx3-ubyte\.gz: corrupt or truncated gzip data\./],
  [
    'images and labels that disagree in count',
    () => 'fx/count-mismatch/',
    /training images and labels disagree in count: 8000 images but 7999 labels/,
  ],
  [
    'a label that is not a digit',
    () => 'fx/bad-label/',
    /train-labels-idx1-ubyte\.gz: label 12 of sample 0 is not below 10/,
  ],
  ['images that are not 28x28', () => 'fx/wrong-shape/', /holds 10×32×32 data; the training images must be N×28×28/],
  [
    'a connection that closes mid-stream',
    () => 'fx/closed/',
    /The download of \S+train-images-idx3-ubyte\.gz failed after \S+ KB of 1\.2 MB: the connection closed early/,
  ],
];

for (const [what, url, re] of cases) {
  test(`${what}: its message shows in role=alert and training stops`, async () => {
    const { page } = await ready();
    await trainFrom(await url());
    const message = await waitForAlert(page, re);
    assert.ok(message.length < 400, 'a short message');
    await page.waitForFunction(() => !document.getElementById('train').disabled);
    assert.not.match(await status(page), /^Training/);
  });
}

test('after errors, Train works again without a reload', async () => {
  const { page } = await ready();
  await trainFrom('data/');
  await page.waitForFunction(() => !document.querySelector('[role=alert]').textContent, null, { timeout: 5000 });
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 15_000,
  });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForFunction(() => /^Paused/.test(document.querySelector('[role=status]').textContent));
  assert.is(await page.getByRole('alert').isVisible(), false);
});

test('Stop download aborts a stalled download; no error is shown and Train works again', async () => {
  const { page } = await ready();
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForFunction(() => /untrained/.test(document.getElementById('model-info').textContent));
  await trainFrom('fx/stall/');
  const stop = page.getByRole('button', { name: 'Stop download' });
  await stop.waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('download-progress').value > 0);
  await stop.click();
  await page.waitForFunction(() => /^Download stopped/.test(document.querySelector('[role=status]').textContent));
  assert.is(await stop.isVisible(), false);
  assert.is(await page.getByRole('alert').isVisible(), false, 'stopping is not an error');
  await trainFrom('data/');
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 15_000,
  });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  assert.equal(ctx.browser.problems.pageErrors, []);
});

test.run();
