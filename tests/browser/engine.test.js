// The page runs the one training engine in C: with chosen settings, once the
// whole data set has arrived, Train makes the model that the native CLI
// makes with the same settings on the same files, byte for byte; and the
// training set lives once, in the worker's wasm heap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DATA, servedPage } from './helpers.js';
import { requireNative } from '../helpers/common.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

/** Serves the Fashion-MNIST files of Debian's dataset-fashion-mnist under /fashion/. */
function fashion(req, res, rest) {
  const file = path.join(FASHION, path.basename(decodeURIComponent(rest)));
  let size;
  try {
    size = statSync(file).size;
  } catch {
    res.writeHead(404);
    res.end('Not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': size });
  createReadStream(file).pipe(res);
}

const { ready, close } = servedPage({ '/fashion/': fashion });
test.after(close);

const SETTINGS = { lr: '0.3', batch: '16', epochs: '2', seed: '5', hidden: '128,64' };

const until = (page, re, timeout) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]').textContent), re.source, {
    timeout,
  });

test("after the data has arrived, Train makes the native CLI's model, byte for byte", async () => {
  const { page } = await ready();
  for (const [id, v] of Object.entries(SETTINGS)) await page.locator(`#${id}`).fill(v);
  await page.getByLabel('Data URL').fill('data/small/'); // DATA, the 10,000-digit split
  // a first Train brings the whole data set in; Reset then starts a fresh
  // network from these settings on data that has all arrived
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(
    () => /8,000 \/ 8,000 training/.test(document.getElementById('download-text').textContent),
    null,
    { timeout: 30_000 },
  );
  // (two epochs of the small split take seconds: waiting for Done has no
  // race, where pausing a run that may end first had one)
  await until(page, /^Done/, 60_000);
  await page.getByRole('button', { name: 'Reset' }).click();
  await until(page, /^New network ready/, 15_000);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await until(page, /^Done/, 60_000);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save model' }).click(),
  ]);
  const fromPage = readFileSync(await download.path());

  const dir = mkdtempSync(path.join(tmpdir(), 'mnist-wasm-engine-'));
  try {
    const file = path.join(dir, 'cli.mnwm');
    execFileSync(requireNative().train, [
      '--data',
      DATA,
      '--lr',
      SETTINGS.lr,
      '--batch',
      SETTINGS.batch,
      '--epochs',
      SETTINGS.epochs,
      '--seed',
      SETTINGS.seed,
      '--layers',
      `784,${SETTINGS.hidden},10`,
      '--save',
      file,
    ]);
    const fromCli = readFileSync(file);
    assert.ok(fromCli.length > 400_000, 'a whole 784-128-64-10 model');
    assert.ok(
      fromPage.equals(fromCli),
      `the page's model (${fromPage.length} bytes) equals the CLI's (${fromCli.length} bytes)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worker holds 60,000 Fashion-MNIST images once: its wasm memory is at most the data + 32 MB', async () => {
  const { page } = await ready();
  const figures = await page.evaluate(async () => {
    const worker = new Worker('./worker.js', { type: 'module' });
    let id = 0;
    const pending = new Map();
    let complete;
    const arrived = new Promise((resolve) => {
      complete = resolve;
    });
    worker.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'download' && m.complete) complete();
      if (m.id && pending.has(m.id)) {
        const { resolve, reject } = pending.get(m.id);
        pending.delete(m.id);
        if (m.type === 'error') reject(new Error(m.error.message));
        else resolve(m.result);
      }
    };
    const call = (type, args = {}) =>
      new Promise((resolve, reject) => {
        pending.set(++id, { resolve, reject });
        worker.postMessage({ id, type, ...args });
      });
    await new Promise((resolve) => {
      const f = (e) => {
        if (e.data.type === 'ready') {
          worker.removeEventListener('message', f);
          resolve();
        }
      };
      worker.addEventListener('message', f);
    });
    await call('reset', {
      options: {
        layers: [784, 128, 64, 10],
        activation: 'sigmoid',
        optimizer: 'sgd',
        learningRate: 0.1,
        batchSize: 64,
        seed: 1,
        epochs: 1,
      },
    });
    await call('train', {
      url: new URL('fashion/', location.href).href,
      options: {
        layers: [784, 128, 64, 10],
        activation: 'sigmoid',
        optimizer: 'sgd',
        learningRate: 0.1,
        batchSize: 64,
        seed: 1,
        epochs: 1,
      },
    });
    await arrived;
    await call('pause');
    const memory = await call('memory');
    worker.terminate();
    return memory;
  });
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  console.log(
    `    worker after loading Fashion-MNIST (70,000 images): wasm memory ${mb(figures.heap)} MiB, data ${mb(figures.data)} MiB`,
  );
  assert.ok(figures.data >= 70_000 * 785, `the whole data set arrived (${figures.data} bytes)`);
  assert.ok(
    figures.heap <= figures.data + 32 * 2 ** 20,
    `wasm memory ${mb(figures.heap)} MiB is over the data's ${mb(figures.data)} MiB + 32 MiB`,
  );
});

test.run();
