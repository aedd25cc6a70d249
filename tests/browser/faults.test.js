// A training worker that dies: an uncaught error thrown inside it, an
// unhandled rejection, the worker closing without a word, or one of its
// threads killed (the worker then hangs inside WebAssembly, waiting for it).
// The page says so in role=alert (how soon is npm run bench:page's
// figure); requests in flight do not hang and do not
// bury that message; Reset starts a new worker that restores the model kept
// in IndexedDB (byte for byte) with the page's settings, data URL and
// drawing as they were, and Train trains again. The faults are made from
// outside through Playwright's handle on the worker: the worker's protocol
// has nothing for tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  startServer,
  launch,
  openPage,
  status,
  waitForAlert,
  readIdxPair,
  drawDigit,
  once,
  trainsOn,
} from './helpers.js';

const ctx = {};

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

/** Trains a little, then pauses: the model is kept in IndexedDB. */
async function trainAndKeep(page) {
  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 30_000,
  });
  await trainsOn(page);
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

/** Runs fault() inside the current worker and waits for the alert; returns its text. */
async function faultAndWait(page, fault, re) {
  const w = current();
  await w.evaluate(fault).catch(() => {}); // the worker may be gone before it answers
  return waitForAlert(page, re, 10_000);
}

/** Waits for n evaluations shown from now on (each sets #accuracy, also to the same value). */
async function evaluations(page, n) {
  await page.evaluate(() => {
    window.__evaluations = 0;
    new MutationObserver(() => window.__evaluations++).observe(document.getElementById('accuracy'), {
      attributes: true,
      attributeFilter: ['data-value'],
    });
  });
  await page.waitForFunction((k) => window.__evaluations >= k, n, { timeout: 30_000 });
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

test('an uncaught error in the worker while it trains: an alert; Reset restores the kept model; Train trains again', async () => {
  const { page } = await ready();
  await trainAndKeep(page);
  const kept = await keptBytes(page);
  assert.ok(kept && kept.length > 1000, 'a model is kept in IndexedDB');
  await button('Pause').click(); // training again when the worker dies
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));

  await faultAndWait(
    page,
    () => {
      setTimeout(() => {
        throw new Error('boom from the test');
      });
    },
    /training worker stopped after an uncaught error.*boom from the test.*Press Reset.*restores the model kept in this browser/,
  );
  assert.match(await status(page), /^Stopped: the training worker died/);
  assert.ok(await button('Train').isDisabled(), 'Train waits for Reset');
  assert.ok(await button('Reset').isEnabled(), 'Reset is offered');

  // a drawing now asks a dead worker: it does not hang, and the message stays the worker's
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await drawDigit(page, readIdxPair('t10k').images.subarray(784, 2 * 784));
  // the page has read the drawing (the input view shows it) and asked the dead worker
  await page.waitForFunction(() =>
    document
      .getElementById('input-view')
      .getContext('2d')
      .getImageData(0, 0, 28, 28)
      .data.some((v, i) => i % 4 === 0 && v > 0),
  );
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
  await faultAndWait(
    page,
    () => {
      Promise.reject(new Error('a promise nobody awaited'));
    },
    /training worker stopped after an uncaught error.*a promise nobody awaited/,
  );
  await resetAfterDeath(page);
});

test('a worker that closes without a word (its life lock is released): an alert; Reset; Train trains again', async () => {
  const { page } = await ready();
  await trainAndKeep(page);
  await button('Pause').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));
  await faultAndWait(
    page,
    () => {
      setTimeout(() => self.close());
    },
    /training worker stopped unexpectedly \(it crashed or was closed\)/,
  );
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
  // the requests in flight were rejected as the page took the death in: nothing more comes
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

test('a thread of the worker killed while it trains: the worker hangs waiting for it; an alert; Reset; Train trains again on 2 threads', async () => {
  const { page } = await ready();
  // batch 32: every step splits over the threads, so the next one waits for the dead thread
  // (at batch 8 only the evaluations split, and the worker hangs at the next of those)
  await page.getByLabel('Threads').fill('2');
  await page.getByLabel('Threads').dispatchEvent('change');
  await page.locator('#batch').fill('32');
  await page.locator('#batch').dispatchEvent('change');
  await button('Train').click();
  await page.waitForFunction(() => document.getElementById('speed').dataset.threads === '2', null, { timeout: 30_000 });
  // between two slices of training: the threads of this worker's module (mnist-threads.js) terminated;
  // the worker's next split waits for them for ever, and says nothing
  const killed = await current().evaluate(async () => {
    const { init } = await import(new URL('./lib/index.js', self.location.href).href);
    const running = (await init()).M.PThread.runningWorkers;
    for (const thread of running) thread.terminate();
    return running.length;
  });
  assert.ok(killed >= 1, 'a thread was running');
  await waitForAlert(page, /training worker stopped answering.*one of its threads.*Press Reset/, 30_000);
  assert.match(await status(page), /^Stopped: the training worker died/);
  await resetAfterDeath(page);
  assert.is(await page.getByLabel('Threads').inputValue(), '2', 'the threads setting stays');
  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 20_000,
  });
  await trainsOn(page);
  // the threads a slice has really run on
  assert.is(await page.locator('#speed').getAttribute('data-threads'), '2');
  await button('Pause').click();
  assert.equal(ctx.browser.problems.pageErrors, [], 'no uncaught error on the page');
});

test('a worker that answers stays: pings while it trains and evaluates never count it dead', async () => {
  const { page } = await ready();
  await button('Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent), null, {
    timeout: 20_000,
  });
  // two evaluations (1.5 s apart at least): more than the second a ping may wait
  await evaluations(page, 2);
  assert.match(await status(page), /^Training/);
  assert.not.ok(await page.getByRole('alert').isVisible(), 'no alert while the worker trains');
  await button('Pause').click();
});

test.run();
