// A long run of the page as a person leaves it: Train with the inside view
// open (a digit on the pad, the first layer's weights shown), epoch after
// epoch. After each epoch it reads the page's renderer process (its resident
// memory, which holds the page, the training worker and its wasm heap), the
// accuracy shown and the main thread's long tasks, after a full garbage
// collection in the page and its workers. From epoch 2 to the end the
// memory never grows past 3% over epoch 2's and the accuracy shown is
// always a number.
//
// Short form (npm test): 4 epochs of the 10,000-digit split, which a leak of
// a data set's size per epoch would already fail. Full form (npm run soak):
// SOAK_EPOCHS=50 SOAK_DATA=full (full MNIST), which also holds every
// main-thread task under 100 ms (the gate's runs print the longest only:
// time is npm run bench:page's).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { servedPage, longTasks, drawDigit, readIdxPair } from './helpers.js';

const EPOCHS = Number(process.env.SOAK_EPOCHS || 4);
const LONG = process.env.SOAK_EPOCHS !== undefined; // npm run soak
const DATA_URL = process.env.SOAK_DATA === 'full' ? 'data/' : 'data/small/';
const GROWTH = 0.03; // memory after epoch 2 may differ from it by this share
const TASK_MS = 100;

// gc() in the page and its workers, so that each reading follows a full collection
const { ready, close } = servedPage({}, { args: ['--js-flags=--expose-gc'] });
test.after(close);

/* ---------- the page's renderer process, from /proc ---------- */

function procs() {
  const out = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      out.push({ pid: Number(pid), ppid, cmd });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const rssOf = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};

/** The renderer processes of the browser whose profile is dir (other browsers may run beside it). */
function renderersOf(dir) {
  const all = procs();
  const root = all.find(
    (p) => p.cmd.some((a) => a === `--user-data-dir=${dir}`) && !p.cmd.some((a) => a.startsWith('--type=')),
  );
  if (!root) throw new Error(`no browser process with --user-data-dir=${dir}`);
  const mine = new Set([root.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all)
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
  }
  // a renderer forked by the zygote renames itself: its arguments may be one string
  return all.filter((p) => mine.has(p.pid) && p.cmd.join(' ').includes('--type=renderer')).map((p) => p.pid);
}

/** Resident bytes of the page's renderer: the largest of the browser's renderers. */
const pageMemory = (dir) => Math.max(...renderersOf(dir).map(rssOf));

const mb = (b) => (b / 2 ** 20).toFixed(1);

/** What the page shows now: the epoch being trained (0 when not training), the status, the accuracy. */
const shown = (page) =>
  page.evaluate(() => {
    const status = document.querySelector('[role=status]').textContent;
    const m = /^Training: epoch (\d+) of/.exec(status);
    return {
      training: m ? Number(m[1]) : 0,
      done: /^Done:/.test(status),
      status,
      accuracy: document.getElementById('accuracy').textContent,
    };
  });

test(`${EPOCHS} epochs on ${DATA_URL} with the inside view open: memory from epoch 2 never ${GROWTH * 100}% over it, accuracy always a number${LONG ? `, no task over ${TASK_MS} ms` : ''}`, async () => {
  const { page, browser } = await ready();
  const { images } = readIdxPair('t10k');
  await drawDigit(page, images.subarray(0, 784)); // the forward view shows a real digit
  await page.locator('#learned summary').click(); // the first layer's weights: snapshots on
  await page.getByLabel('Data URL').fill(DATA_URL);
  await page.locator('#epochs').fill(String(EPOCHS));
  const from = await page.evaluate(() => {
    // every accuracy the page shows
    const el = document.getElementById('accuracy');
    window.__accuracies = [el.textContent];
    new MutationObserver(() => window.__accuracies.push(el.textContent)).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
    return performance.now();
  });
  const before = await shown(page);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // the status changes when the worker answers the press, not at the click itself
  await page.waitForFunction(
    (before) => document.querySelector('[role=status]').textContent !== before,
    before.status,
    { timeout: 30_000 },
  );

  // one row when each epoch ends (the status moves to the next) and at Done
  const rows = [];
  let last = 0;
  const t0 = Date.now();
  for (;;) {
    // the next epoch's end, Done, or a status that is neither training nor on its way to it
    await page.waitForFunction(
      (last) => {
        const status = document.querySelector('[role=status]').textContent;
        const m = /^Training: epoch (\d+) of/.exec(status);
        return (m && Number(m[1]) - 1 > last) || !/^(Downloading|Loading|Training)/.test(status);
      },
      last,
      { timeout: 1_800_000 },
    );
    const now = await shown(page);
    const ended = now.done ? EPOCHS : now.training - 1;
    if (ended > last) {
      await Promise.all(
        [page, ...page.workers()].map((where) => where.evaluate(() => globalThis.gc?.()).catch(() => {})),
      );
      rows.push({ epoch: ended, rss: pageMemory(browser.dir), accuracy: now.accuracy });
      last = ended;
    }
    if (now.done) break;
    if (!now.training && !/^(Downloading|Loading|Training)/.test(now.status))
      throw new Error(`training stopped: ${now.status}`);
  }
  const accuracies = new Set(await page.evaluate(() => window.__accuracies));

  const tasks = (await longTasks(page)).filter((x) => x.start >= from);
  const base = rows.find((r) => r.epoch >= 2) ?? rows[0];
  const after = rows.filter((r) => r.epoch >= base.epoch);
  const worst = after.reduce((a, r) => (r.rss > a.rss ? r : a), base); // growth is what a leak does
  const least = after.reduce((a, r) => (r.rss < a.rss ? r : a), base);
  const end = rows[rows.length - 1];
  console.log(
    `    epoch: renderer memory MiB (accuracy shown): ${rows.map((r) => `${r.epoch}: ${mb(r.rss)} (${r.accuracy})`).join(', ')}`,
  );
  console.log(
    `    epoch ${base.epoch} -> ${end.epoch}: ${mb(base.rss)} -> ${mb(end.rss)} MiB, most ${(((worst.rss - base.rss) / base.rss) * 100).toFixed(2)}% over it (epoch ${worst.epoch}), least ${(((least.rss - base.rss) / base.rss) * 100).toFixed(2)}% (epoch ${least.epoch}); longest main-thread task ${Math.round(Math.max(0, ...tasks.map((t) => t.duration)))} ms; ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );

  assert.ok(rows.length >= 2, `rows as epochs ended: ${rows.length}`);
  for (const a of accuracies) assert.not.match(a, /NaN|Infinity|undefined/, `accuracy shown as ${JSON.stringify(a)}`);
  // a number from the first evaluation on (every 1.5 s at least), and at the end
  const first = rows.findIndex((r) => r.accuracy.trim() !== '–');
  assert.ok(first >= 0, 'an accuracy was shown');
  for (const r of rows.slice(first))
    assert.match(r.accuracy.trim(), /^\d+(\.\d+)?\s?%$/, `accuracy at epoch ${r.epoch}`);
  assert.ok(
    worst.rss - base.rss <= GROWTH * base.rss,
    `renderer memory went from ${mb(base.rss)} MiB at epoch ${base.epoch} to ${mb(worst.rss)} MiB at epoch ${worst.epoch}`,
  );
  const slow = tasks.filter((t) => t.duration > TASK_MS);
  if (LONG && slow.length)
    console.log(
      `    long frames: ${JSON.stringify((await page.evaluate(() => window.__longFrames)).filter((f) => f.start >= from))}`,
    );
  if (LONG)
    assert.is(
      slow.length,
      0,
      `main-thread tasks over ${TASK_MS} ms: ${slow.map((t) => Math.round(t.duration)).join(', ')}`,
    );
  assert.equal(browser.problems.pageErrors, []);
});

test.run();
