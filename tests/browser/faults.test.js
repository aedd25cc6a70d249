// A training worker that dies: an uncaught error thrown inside it, an
// unhandled rejection, the worker closing without a word, or one of its
// threads killed (the worker then hangs inside WebAssembly, waiting for it). Within 2 s the
// page says so in role=alert; requests in flight do not hang and do not
// bury that message; Reset starts a new worker that restores the model kept
// in IndexedDB (byte for byte) with the page's settings, data URL and
// drawing as they were, and Train trains again. The faults are made from
// outside through Playwright's handle on the worker: the worker's protocol
// has nothing for tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startServer, launch, openPage, status, waitForAlert, readIdxPair, drawDigit, once } from './helpers.js';

const ctx = {};
const LATENCY_MS = 2000;

const ready = once(async () => {
  ctx.server = await startServer();
  ctx.browser = await launch();
  ctx.page = ctx.browser.page;
  ctx.workers = [];
  // the training workers (worker.js), not the threads they start (mnist-threads.worker.js)
  ctx.page.on('worker', (w) => {
    if (new URL(w.url()).pathname.endsWith('/worker.js')) ctx.workers.push(w);
  });
  await openPage(ctx.page, ctx.server.url);
  const { page } = ctx;
  await page.getByLabel('Data URL').fill('data/small/');
  await page.locator('#epochs').fill('500'); // runs stay under way until the tests pause them
  await page.locator('#lr').fill('0.3');
  await page.locator('#lr').dispatchEvent('change');
  const test = readIdxPair('t10k');
  await drawDigit(page, test.images.subarray(0, 784)); // a 7
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '');
  return ctx;
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.server?.close();
});

const current = () => ctx.workers[ctx.workers.length - 1];
const button = (name) => ctx.page.getByRole('button', { name, exact: true });

/** Trains until the first evaluation shows, then pauses: the model is kept in IndexedDB. */
async function trainAndKeep(page) {
  await button('Train').click();
  await page.waitForFunction(() => document.getElementById('accuracy').dataset.value !== '', null, { timeout: 30_000 });
  await button('Pause').click();
  await page.waitForFunction(
    () => /kept in this browser/.test(document.getElementById('model-info').textContent),
    null,
    { timeout: 10_000 },
  );
}

/** The model record the page keeps in IndexedDB, as an array of bytes. */
const keptBytes = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('mnist-wasm');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const get = req.result.transaction('models').objectStore('models').get('last');
          get.onsuccess = () => {
            resolve(get.result ? Array.from(new Uint8Array(get.result.bytes)) : null);
            req.result.close();
          };
          get.onerror = () => reject(get.error);
        };
      }),
  );

/** Runs fault() inside the current worker and waits for the alert: its text and the milliseconds it took. */
async function faultAndWait(page, fault, re) {
  const w = current();
  const t0 = Date.now();
  await w.evaluate(fault).catch(() => {}); // the worker may be gone before it answers
  const message = await waitForAlert(page, re, 10_000);
  return { message, ms: Date.now() - t0 };
}

/** Reset after a death: a new worker, the kept model restored; returns the new worker's index. */
async function resetAfterDeath(page) {
  const before = ctx.workers.length;
  await button('Reset').click();
  await page.waitForFunction(
    () => /^A new training worker (restored|is ready)/.test(document.querySelector('[role=status]').textContent),
    null,
    { timeout: 20_000 },
  );
  assert.is(ctx.workers.length, before + 1, 'Reset started one new worker');
  assert.is(await page.getByRole('alert').isVisible(), false, 'the alert is cleared');
}

/** The model the page's worker has now, through Save model (a download). */
async function savedModel(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), button('Save model').click()]);
  return Array.from(readFileSync(await download.path()));
}

test('an uncaught error in the worker while it trains: alert within 2 s; Reset restores the kept model; Train trains again', async () => {
  const { page } = await ready();
  await trainAndKeep(page);
  const kept = await keptBytes(page);
  assert.ok(kept && kept.length > 1000, 'a model is kept in IndexedDB');
  await button('Pause').click(); // training again when the worker dies
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));

  const { message, ms } = await faultAndWait(
    page,
    () => {
      setTimeout(() => {
        throw new Error('boom from the test');
      });
    },
    /training worker stopped after an uncaught error.*boom from the test.*Press Reset.*restores the model kept in this browser/,
  );
  console.log(`    uncaught error: alert after ${ms} ms: "${message}"`);
  assert.ok(ms < LATENCY_MS, `the alert took ${ms} ms`);
  assert.match(await status(page), /^Stopped: the training worker died/);
  assert.ok(await button('Train').isDisabled(), 'Train waits for Reset');
  assert.ok(await button('Reset').isEnabled(), 'Reset is offered');

  // a drawing now asks a dead worker: it does not hang, and the message stays the worker's
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await drawDigit(page, readIdxPair('t10k').images.subarray(784, 2 * 784));
  await page.waitForTimeout(300);
  assert.match(await page.getByRole('alert').textContent(), /boom from the test/, 'one message, the death');

  await resetAfterDeath(page);
  assert.match(await status(page), /restored the last model kept in this browser/);
  assert.match(await page.locator('#model-info').textContent(), /restored from this browser/);
  assert.is(await page.getByLabel('Data URL').inputValue(), 'data/small/', 'the data URL stays');
  assert.is(await page.locator('#lr').inputValue(), '0.3', 'the learning rate stays');
  assert.is(await page.locator('#epochs').inputValue(), '500', 'the epochs stay');
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '', null, { timeout: 5000 });
  // the page may keep a newer model at an epoch's end while it trains on
  // before the death: the one to restore is the one kept when it died
  const keptAtDeath = await keptBytes(page);
  const model = await savedModel(page);
  assert.ok(
    model.length === keptAtDeath.length && model.every((b, i) => b === keptAtDeath[i]),
    'the new worker has the kept model, byte for byte',
  );

  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 20_000,
  });
  await page.waitForFunction(() => Number(document.getElementById('accuracy').dataset.value) > 0.8, null, {
    timeout: 30_000,
  });
  await button('Pause').click();
  assert.equal(ctx.browser.problems.pageErrors, [], 'no uncaught error on the page');
});

test('an unhandled rejection in the worker counts as an uncaught error', async () => {
  const { page } = await ready();
  const { ms } = await faultAndWait(
    page,
    () => {
      Promise.reject(new Error('a promise nobody awaited'));
    },
    /training worker stopped after an uncaught error.*a promise nobody awaited/,
  );
  console.log(`    unhandled rejection: alert after ${ms} ms`);
  assert.ok(ms < LATENCY_MS, `the alert took ${ms} ms`);
  await resetAfterDeath(page);
});

test('a worker that closes without a word (its life lock is released): alert within 2 s; Reset; Train trains again', async () => {
  const { page } = await ready();
  await trainAndKeep(page);
  await button('Pause').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));
  const { message, ms } = await faultAndWait(
    page,
    () => {
      setTimeout(() => self.close());
    },
    /training worker stopped unexpectedly \(it crashed or was closed\)/,
  );
  console.log(`    closed worker: alert after ${ms} ms: "${message}"`);
  assert.ok(ms < LATENCY_MS, `the alert took ${ms} ms`);
  await resetAfterDeath(page);
  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 20_000,
  });
  await button('Pause').click();
});

test('requests in flight when the worker goes are rejected, not left hanging: the page works after Reset', async () => {
  const { page } = await ready();
  // the worker is busy for a second and then closes: the predictions the
  // drawing asks for meanwhile are never answered by it
  const w = current();
  await w.evaluate(() => {
    setTimeout(() => {
      const end = Date.now() + 1000;
      while (Date.now() < end);
      self.close();
    });
  });
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await drawDigit(page, readIdxPair('t10k').images.subarray(2 * 784, 3 * 784));
  await waitForAlert(page, /stopped unexpectedly/, 10_000);
  await page.waitForTimeout(300);
  const said = await page.getByRole('alert').textContent();
  assert.match(said, /stopped unexpectedly/, 'the death, not the rejected predictions, is what the alert says');
  assert.not.match(said, /Could not read the drawing/);
  await resetAfterDeath(page);
  // the pad asks the new worker (a request stuck on the old one would block it)
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await drawDigit(page, readIdxPair('t10k').images.subarray(3 * 784, 4 * 784));
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '', null, { timeout: 5000 });
  assert.equal(ctx.browser.problems.pageErrors, [], 'no uncaught error on the page');
});

test('a thread of the worker killed while it trains: the worker hangs waiting for it; alert within 2 s; Reset; Train trains again on 2 threads', async () => {
  const { page } = await ready();
  // batch 32: every step splits over the threads, so the next one waits for the dead thread
  // (at batch 8 only the evaluations split, and the worker hangs at the next of those)
  await page.getByLabel('Threads').fill('2');
  await page.getByLabel('Threads').dispatchEvent('change');
  await page.locator('#batch').fill('32');
  await page.locator('#batch').dispatchEvent('change');
  await button('Train').click();
  await page.waitForFunction(() => document.getElementById('speed').dataset.threads === '2', null, { timeout: 30_000 });
  // between two slices of training: the threads of this worker's module (mnist-threads.js) terminated.
  // Chromium ends a worker that is busy in WebAssembly only after a grace period (about 2 s), so the
  // hang starts when the worker stops answering, which the test finds by asking it every 50 ms.
  const killed = await current().evaluate(async () => {
    const { init } = await import(new URL('./lib/index.js', self.location.href).href);
    const running = (await init()).M.PThread.runningWorkers;
    for (const thread of running) thread.terminate();
    return running.length;
  });
  assert.ok(killed >= 1, 'a thread was running');
  let hungAt = null;
  for (let i = 0; hungAt === null && i < 200; i++) {
    const asked = Date.now();
    const answer = current()
      .evaluate(() => true)
      .catch(() => false);
    if (await Promise.race([answer, new Promise((r) => setTimeout(() => r(false), 150))]))
      await page.waitForTimeout(50);
    else hungAt = asked;
  }
  assert.ok(hungAt !== null, 'the worker hangs once its thread is gone');
  const message = await waitForAlert(
    page,
    /training worker stopped answering.*one of its threads.*Press Reset/,
    10_000,
  );
  const ms = Date.now() - hungAt;
  console.log(`    killed thread (${killed}): alert ${ms} ms after the worker stopped answering: "${message}"`);
  assert.ok(ms < LATENCY_MS, `the alert took ${ms} ms`);
  assert.match(await status(page), /^Stopped: the training worker died/);
  await resetAfterDeath(page);
  assert.is(await page.getByLabel('Threads').inputValue(), '2', 'the threads setting stays');
  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 20_000,
  });
  await page.waitForFunction(() => document.getElementById('speed').dataset.threads === '2', null, { timeout: 30_000 });
  await button('Pause').click();
  assert.equal(ctx.browser.problems.pageErrors, [], 'no uncaught error on the page');
});

test('a worker that answers stays: pings while it trains and evaluates never count it dead', async () => {
  const { page } = await ready();
  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 20_000,
  });
  await page.waitForTimeout(4000);
  assert.not.ok(await page.getByRole('alert').isVisible(), 'no alert while the worker trains');
  await button('Pause').click();
});

test.run();
