// Storage that refuses: IndexedDB missing (as in some private windows),
// blocked by another tab, an open that never answers, or a full quota. The
// page still starts, trains and reads drawings, says once in a note (not an
// alert, not repeated) that models will not be kept, and loses nothing it
// holds: the model stays on the page and Save model still writes it. A model
// kept in storage that is corrupt is refused with a message in role=alert,
// removed, and the page starts with a new network. The faults are made by
// init scripts that replace IndexedDB before the page's own scripts run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startServer, launch, openPage, readIdxPair, drawDigit, waitForAlert, once, trainsOn } from './helpers.js';

const ctx = {};
const serverReady = once(async () => {
  ctx.server = await startServer();
  return ctx.server;
});
const opened = [];

test.after(async () => {
  for (const b of opened) await b.close();
  await ctx.server?.close();
});

/** Counts what the page writes into the storage note and the alert, from before its scripts run, and marks when it has shown the personal set it read at start. */
function countMessages() {
  window.__said = { note: [], alert: [], personalShown: false };
  document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'interactive') return;
    for (const [key, id] of [
      ['note', 'storage-note'],
      ['alert', 'alert'],
    ]) {
      const el = document.getElementById(id);
      new MutationObserver(() => {
        if (el.textContent) window.__said[key].push(el.textContent);
      }).observe(el, { childList: true, characterData: true, subtree: true });
    }
    new MutationObserver(() => (window.__said.personalShown = true)).observe(
      document.getElementById('personal-count'),
      {
        attributes: true,
      },
    );
  });
}

/** A fresh browser whose pages run fault (an init script) first; the page opened and ready. */
async function pageWith(fault) {
  const server = await serverReady();
  const browser = await launch();
  opened.push(browser);
  const { page } = browser;
  await page.addInitScript(countMessages);
  if (fault) await page.addInitScript(fault);
  await openPage(page, server.url);
  return { browser, page };
}

const button = (page, name) => page.getByRole('button', { name, exact: true });
const said = (page) => page.evaluate(() => window.__said);

/** Trains data/small/ a little, pauses, resumes and pauses again (two attempts to keep the model). */
async function trainPauseTwice(page) {
  await page.getByLabel('Data URL').fill('data/small/');
  await page.locator('#epochs').fill('500');
  await button(page, 'Train').click();
  await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));
  await trainsOn(page);
  for (let i = 0; i < 2; i++) {
    await button(page, 'Pause').click();
    await page.waitForFunction(() => /^Paused/.test(document.querySelector('[role=status]').textContent));
    // the attempt to keep the model: the worker's copy, then the store's refusal, said in the note
    await page.waitForFunction(() => window.__requestsOpen('save') === 0);
    await page.getByRole('note').waitFor({ state: 'visible', timeout: 10_000 });
    if (i === 0) {
      await button(page, 'Pause').click(); // resume
      await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));
      await trainsOn(page);
    }
  }
}

/** What a person still has: a reading of a drawn digit and a model file from Save model. */
async function nothingLost(page) {
  const digits = readIdxPair('t10k');
  await drawDigit(page, digits.images.subarray(0, 784));
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '', null, { timeout: 5000 });
  const [download] = await Promise.all([page.waitForEvent('download'), button(page, 'Save model').click()]);
  const bytes = readFileSync(await download.path());
  assert.is(bytes.subarray(0, 4).toString('latin1'), 'MNWM', 'Save model writes the model on the page');
  assert.ok(bytes.length > 100_000, 'the whole 784-128-64-10 model');
  return bytes;
}

async function refusedOnce(page, re) {
  const note = page.getByRole('note');
  await note.waitFor({ state: 'visible', timeout: 10_000 });
  const text = await note.textContent();
  assert.match(text, /^Models and your digits will not be kept in this browser: /);
  assert.match(text, re);
  const { note: notes, alert } = await said(page);
  assert.is(notes.length, 1, `the note was written once: ${JSON.stringify(notes)}`);
  assert.equal(alert, [], 'no alert');
  assert.is(await page.getByRole('alert').isVisible(), false);
  assert.ok(await button(page, 'Forget saved model').isDisabled(), 'nothing to forget');
  assert.not.match(await page.locator('#model-info').textContent(), /kept in this browser/);
  return text;
}

const cases = [
  [
    'IndexedDB missing (a private window)',
    () => {
      Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
    },
    /no IndexedDB/,
  ],
  [
    'IndexedDB blocked by another tab',
    () => {
      IDBFactory.prototype.open = function open() {
        const req = {};
        setTimeout(() => req.onblocked?.(new Event('blocked')));
        return req;
      };
    },
    /blocked by another tab/,
  ],
  [
    'IndexedDB that never answers an open',
    () => {
      IDBFactory.prototype.open = function open() {
        return {};
      };
    },
    /did not open within 3 s/,
  ],
  [
    'a full quota (every put refused with QuotaExceededError)',
    () => {
      IDBObjectStore.prototype.put = function put() {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    },
    /storage for the page is full/,
  ],
  [
    'a full quota (the transaction aborts with QuotaExceededError)',
    () => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        const req = put.apply(this, args);
        const tx = this.transaction;
        // what a browser does when the write does not fit: the transaction aborts, its error says why
        Object.defineProperty(tx, 'error', {
          value: new DOMException('The quota has been exceeded.', 'QuotaExceededError'),
        });
        tx.abort();
        return req;
      };
    },
    /storage for the page is full/,
  ],
];

for (const [what, fault, re] of cases) {
  test(`${what}: the page works, says once in a note that models will not be kept, and loses nothing`, async () => {
    const t0 = Date.now();
    const { page, browser } = await pageWith(fault);
    const readyMs = Date.now() - t0;
    await trainPauseTwice(page);
    const text = await refusedOnce(page, re);
    await nothingLost(page);
    await button(page, 'Pause').click(); // and it trains on
    await page.waitForFunction(() => /^Training/.test(document.querySelector('[role=status]').textContent));
    await button(page, 'Pause').click();
    await refusedOnce(page, re); // still once
    assert.equal(browser.problems.pageErrors, []);
    console.log(`    ready in ${readyMs} ms; "${text}"`);
    await browser.close();
  });
}

/** Puts record in the page's IndexedDB (opened at the version the page made): under key 'last' in models, or added to personal. */
const putRecord = (page, record, store = 'models') =>
  page.evaluate(
    ([rec, store]) =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('mnist-wasm');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction(store, 'readwrite');
          const value = rec.bytes ? { ...rec, bytes: new Uint8Array(rec.bytes).buffer } : rec.raw;
          if (store === 'models') tx.objectStore(store).put(value, 'last');
          else tx.objectStore(store).add(value);
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [record, store],
  );

/** How many records the page's store holds (models: under 'last' only). */
const countRecords = (page, store = 'models') =>
  page.evaluate(
    (store) =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('mnist-wasm');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const s = req.result.transaction(store).objectStore(store);
          const get = store === 'models' ? s.count('last') : s.count();
          get.onsuccess = () => {
            resolve(get.result);
            req.result.close();
          };
        };
      }),
    store,
  );
const hasRecord = async (page) => (await countRecords(page)) > 0;

const corrupt = [
  [
    'garbage bytes',
    async () => ({
      bytes: Array.from({ length: 5000 }, (_, i) => (i * 7919) & 255),
      savedAt: Date.now(),
      source: 'trained',
    }),
    /could not be loaded and was discarded: loadNetwork: not a model file/,
  ],
  [
    'a model file cut short',
    async (page) => {
      const [download] = await Promise.all([page.waitForEvent('download'), button(page, 'Save model').click()]);
      const bytes = readFileSync(await download.path());
      return { bytes: Array.from(bytes.subarray(0, bytes.length >> 1)), savedAt: Date.now(), source: 'trained' };
    },
    /could not be loaded and was discarded: loadNetwork: .*(truncated|ended|short|length)/i,
  ],
  [
    'a model file with one bit flipped',
    async (page) => {
      const [download] = await Promise.all([page.waitForEvent('download'), button(page, 'Save model').click()]);
      const bytes = Array.from(readFileSync(await download.path()));
      bytes[1000] ^= 4;
      return { bytes, savedAt: Date.now(), source: 'trained' };
    },
    /could not be loaded and was discarded: loadNetwork: .*(checksum|CRC)/i,
  ],
  [
    'a record that holds no bytes',
    async () => ({ raw: 'not a model' }),
    /was corrupt and was discarded \(the kept record holds string/,
  ],
];

for (const [what, make, re] of corrupt) {
  test(`a kept model that is corrupt (${what}): refused with a message, removed, and the page starts clean`, async () => {
    const { page, browser } = await pageWith(null);
    await putRecord(page, await make(page));
    await page.reload();
    await page.waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 20_000 });
    const message = await waitForAlert(page, re, 10_000);
    assert.match(await page.locator('#model-info').textContent(), /new, untrained/);
    assert.is(await hasRecord(page), false, 'the corrupt record is gone');
    assert.is(await page.getByRole('note').isVisible(), false, 'storage itself works: no note');
    // a reload now starts clean without a message
    await page.reload();
    await page.waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 20_000 });
    await page.waitForFunction(() => window.__said.personalShown); // all the page read at start is shown
    assert.is(await page.getByRole('alert').isVisible(), false);
    console.log(`    "${message}"`);
    assert.equal(browser.problems.pageErrors, []);
    await browser.close();
  });
}

test('a kept digit that is corrupt: refused with a message, removed, and the others kept', async () => {
  const { page, browser } = await pageWith(null);
  const digit = { label: 3, input: new Uint8Array(784).fill(200).buffer, strokes: null, savedAt: Date.now() };
  await putRecord(page, { raw: { label: 3, input: 'not pixels', savedAt: 0 } }, 'personal');
  await page.evaluate(
    ([d]) =>
      new Promise((resolve, reject) => {
        // one good digit beside it
        const req = indexedDB.open('mnist-wasm');
        req.onsuccess = () => {
          const tx = req.result.transaction('personal', 'readwrite');
          tx.objectStore('personal').add({ ...d, input: new Uint8Array(d.input).buffer });
          tx.oncomplete = () => {
            req.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [{ ...digit, input: Array.from(new Uint8Array(digit.input)) }],
  );
  await page.reload();
  const message = await waitForAlert(
    page,
    /^One digit kept in this browser was not a 28x28 drawing with a label 0 to 9 and was removed\.$/,
    10_000,
  );
  await page.waitForFunction(() => document.getElementById('personal-count')?.dataset.value === '1', null, {
    timeout: 10_000,
  });
  assert.is(await countRecords(page, 'personal'), 1, 'the corrupt record is gone, the good one kept');
  console.log(`    "${message}"`);
  assert.equal(browser.problems.pageErrors, []);
  await browser.close();
});

test.run();
