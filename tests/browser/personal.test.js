// Teach it your handwriting: the page trained with its defaults on full
// MNIST misreads a 3 written mirrored (as ε); ten such drawings (jittered,
// tests/helpers/strokes.js) labelled with "This digit is" 3 and Learn my
// handwriting make ten new ones read as 3 at least 8 times in 10, with MNIST
// test accuracy (#accuracy) down by at most 0.3 points. The personal set is
// kept across a reload (IndexedDB), exported as the four IDX files and
// imported into a fresh profile as the same set; every new control works at
// phone width and by keyboard; no main-thread task over 200 ms. Prints the
// figures. Makes docs/personal-set.png after learning (when missing, or with
// UPDATE_SCREENSHOT=1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, clearPad, settledPrediction, longTasks, servedPage, launch, openPage, waitForAlert } from './helpers.js';
import { pen } from './draw.js';
import { STYLES, mirrored, jittered } from '../helpers/strokes.js';

const STYLE = mirrored(STYLES[9]); // a 3 of two arcs, mirrored: ε
const TAUGHT = jittered(STYLE, 10, 1);
const FRESH = jittered(STYLE, 10, 2); // new drawings of the style, never taught

const { ctx, ready, close } = servedPage();
test.after(close);

const statusIs = (page, re, timeout = 60_000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]').textContent), re.source, {
    timeout,
  });
const count = async (page) => Number(await page.locator('#personal-count').getAttribute('data-value'));
const accuracy = async (page) => Number(await page.locator('#accuracy').getAttribute('data-value'));
const teachGroup = (page) => page.getByRole('group', { name: 'This digit is' });

/** Draws each drawing and returns what the page reads. */
async function readAll(page, hand, drawings) {
  const out = [];
  for (const d of drawings) {
    await clearPad(page);
    await hand.draw(d);
    out.push(Number((await settledPrediction(page, 150)).digit));
  }
  return out;
}

/** The files of one Export click: { name: bytes }. */
async function exportSet(page) {
  const downloads = [];
  const got = new Promise((resolve) => {
    const on = (d) => {
      downloads.push(d);
      if (downloads.length === 4) {
        page.off('download', on);
        resolve();
      }
    };
    page.on('download', on);
  });
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await got;
  const files = {};
  for (const d of downloads) files[d.suggestedFilename()] = readFileSync(await d.path());
  return files;
}

/* docs/personal-set.png: the pad reading a taught-style digit, the set, the figures before and after. */
async function screenshot(page) {
  const clip = await page.evaluate(() => {
    const a = document.getElementById('draw-panel').getBoundingClientRect();
    const b = document.getElementById('personal-panel').getBoundingClientRect();
    const top = a.top + window.scrollY - 8;
    return { x: 0, y: top, width: document.documentElement.clientWidth, height: b.bottom + window.scrollY + 8 - top };
  });
  const png = await page.screenshot({ clip, fullPage: true });
  const file = path.join(ROOT, 'docs', 'personal-set.png');
  if (!existsSync(file) || process.env.UPDATE_SCREENSHOT === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, png);
    console.log(`    wrote ${path.relative(process.cwd(), file)}`);
  }
}

// Long main-thread tasks of every page this file opens, from the moment each
// is ready (its load, the module scripts' first run, is not what is tested),
// gathered before it goes.
const tasks = [];
const readyAt = (page) => page.evaluate(() => performance.now());
const gather = async (page, from) => {
  tasks.push(...(await longTasks(page)).filter((t) => t.start >= from));
};
let from = null;

test('a style the trained network misreads is learned from ten drawings; MNIST test accuracy falls by at most 0.3 points', async () => {
  const { page } = await ready();
  from = await readyAt(page);
  assert.equal(await page.getByLabel('Data URL').inputValue(), 'data/');
  // The data in first (one short epoch), then the page's defaults from a new
  // network on the whole set: the model the command lines make.
  await page.locator('#epochs').fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Done/, 60_000);
  await page.locator('#epochs').fill('10');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await statusIs(page, /^New network ready/);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Done/, 100_000);
  const trainSeconds = (Date.now() - t0) / 1000;
  const acc0 = await accuracy(page);

  const hand = await pen(page);
  const before = await readAll(page, hand, FRESH);

  // Teach: each drawing, then "This digit is" 3.
  assert.is(await count(page), 0);
  await clearPad(page);
  assert.ok(
    await teachGroup(page).getByRole('button', { name: '3', exact: true }).isDisabled(),
    'nothing to label on an empty pad',
  );
  for (const [k, d] of TAUGHT.entries()) {
    await clearPad(page);
    await hand.draw(d);
    await settledPrediction(page, 100);
    await teachGroup(page).getByRole('button', { name: '3', exact: true }).click();
    await page.waitForFunction((n) => Number(document.getElementById('personal-count').dataset.value) === n, k + 1);
  }
  assert.is(await page.locator('#personal-list [role=listitem]').count(), 10, 'ten thumbnails');
  assert.is(await page.locator('#prediction').getAttribute('data-digit'), '', 'the pad is cleared for the next one');

  const l0 = Date.now();
  await page.getByRole('button', { name: 'Learn my handwriting' }).click();
  await statusIs(page, /^Learning your handwriting/, 5000);
  await statusIs(page, /^Learned your handwriting/, 60_000);
  const learnSeconds = (Date.now() - l0) / 1000;
  const acc1 = await accuracy(page);
  const cell = async (id) => Number(await page.locator(`#${id}`).getAttribute('data-value'));
  const table = {
    personalBefore: await cell('personal-before'),
    personalAfter: await cell('personal-after'),
    mnistBefore: await cell('mnist-before'),
    mnistAfter: await cell('mnist-after'),
  };
  assert.ok(await page.locator('#learn-result').isVisible());
  assert.is(table.mnistAfter, acc1, '#accuracy shows the test accuracy after learning');

  const after = await readAll(page, hand, FRESH);
  await screenshot(page);
  const right = (xs) => xs.filter((x) => x === STYLE.label).length;
  console.log(`    trained in ${trainSeconds.toFixed(1)} s (10 epochs of full MNIST) to ${(100 * acc0).toFixed(2)}%`);
  console.log(
    `    ten new mirrored 3s read as 3: ${right(before)}/10 before (${before.join(' ')}), ${right(after)}/10 after (${after.join(' ')})`,
  );
  console.log(
    `    the taught ten read right: ${(100 * table.personalBefore).toFixed(0)}% before, ${(100 * table.personalAfter).toFixed(0)}% after; learning took ${learnSeconds.toFixed(1)} s`,
  );
  console.log(
    `    MNIST test accuracy ${(100 * acc0).toFixed(2)}% -> ${(100 * acc1).toFixed(2)}% (${(100 * (acc1 - acc0)).toFixed(2)} points)`,
  );
  assert.ok(right(before) <= 3, `the trained network should misread the style: ${right(before)}/10 read as 3 before`);
  assert.ok(right(after) >= 8, `only ${right(after)}/10 new drawings read as taught`);
  assert.ok(acc0 - acc1 <= 0.003, `MNIST test accuracy fell ${(100 * (acc0 - acc1)).toFixed(2)} points`);
  assert.ok(Math.abs(table.mnistBefore - acc0) < 1e-9, 'before: the same test accuracy the page showed');
});

test('Train after learning mixes the personal set into its passes: the style is still read as taught', async () => {
  const { page } = await ready();
  await page.locator('#epochs').fill('2');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Training: epoch \d+ of 2, with your 10 digits mixed in\.$/, 20_000);
  await statusIs(page, /^Done/, 100_000);
  const hand = await pen(page);
  const reads = await readAll(page, hand, FRESH);
  const right = reads.filter((x) => x === STYLE.label).length;
  console.log(
    `    after 2 more epochs of Train: ${right}/10 new mirrored 3s read as 3 (${reads.join(' ')}); MNIST ${(100 * (await accuracy(page))).toFixed(2)}%`,
  );
  assert.ok(right >= 8, `only ${right}/10 read as taught after more training`);
  await page.locator('#epochs').fill('10');
});

test('a reload keeps the personal set and the learned model', async () => {
  const { page } = await ready();
  await gather(page, from ?? 0);
  await page.reload();
  await statusIs(page, /^Restored/, 20_000);
  from = await readyAt(page);
  await page.waitForFunction(() => Number(document.getElementById('personal-count').dataset.value) === 10);
  assert.is(await page.locator('#personal-list [role=listitem]').count(), 10);
  assert.equal(await page.locator('#personal-list figcaption').allTextContents(), Array(10).fill('3'));
  const hand = await pen(page);
  const reads = await readAll(page, hand, FRESH.slice(0, 3));
  assert.ok(reads.filter((x) => x === 3).length >= 2, `the learned model came back: ${reads}`);
});

test('export, then import into a fresh profile, gives the same personal set; bad files are refused', async () => {
  const { page, server } = ctx;
  const files = await exportSet(page);
  assert.equal(Object.keys(files).sort(), [
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
  ]);
  assert.is(files['train-images-idx3-ubyte'].length, 16 + 10 * 784);
  assert.equal([...files['train-labels-idx1-ubyte'].subarray(8)], Array(10).fill(3));
  assert.ok(files['t10k-images-idx3-ubyte'].equals(files['train-images-idx3-ubyte']), 'the test pair is the set too');

  const fresh = await launch();
  try {
    const p = fresh.page;
    await openPage(p, server.url);
    const t0 = await readyAt(p);
    assert.is(await count(p), 0, 'a fresh profile has no personal set');
    // refused: half a pair, a file that is not IDX
    await p.locator('#personal-import').setInputFiles([
      {
        name: 'train-images-idx3-ubyte',
        mimeType: 'application/octet-stream',
        buffer: files['train-images-idx3-ubyte'],
      },
    ]);
    await waitForAlert(p, /^Nothing imported: Choose train-labels-idx1-ubyte too/);
    await p.locator('#personal-import').setInputFiles([
      {
        name: 'train-images-idx3-ubyte',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('not an idx file at all'),
      },
      {
        name: 'train-labels-idx1-ubyte',
        mimeType: 'application/octet-stream',
        buffer: files['train-labels-idx1-ubyte'],
      },
    ]);
    await waitForAlert(p, /^Nothing imported: train-images-idx3-ubyte and train-labels-idx1-ubyte were refused: /);
    assert.is(await count(p), 0);

    await p
      .locator('#personal-import')
      .setInputFiles(
        Object.entries(files).map(([name, buffer]) => ({ name, mimeType: 'application/octet-stream', buffer })),
      );
    await p.waitForFunction(() => Number(document.getElementById('personal-count').dataset.value) === 10);
    assert.match(
      await p.locator('#personal-note').textContent(),
      /Imported 10 digits \(10 already in your set\)/,
      'the test pair adds nothing twice',
    );
    const again = await exportSet(p);
    for (const name of Object.keys(files))
      assert.ok(again[name].equals(files[name]), `${name}: the same bytes after import`);
    // importing the same files again adds nothing
    await p.locator('#personal-import').setInputFiles(
      Object.entries(files)
        .slice(0, 2)
        .map(([name, buffer]) => ({ name, mimeType: 'application/octet-stream', buffer })),
    );
    await p.waitForFunction(() =>
      /Imported 0 digits \(10 already/.test(document.getElementById('personal-note').textContent),
    );
    assert.is(await count(p), 10);
    assert.equal(fresh.problems.pageErrors, []);
    await gather(p, t0);
  } finally {
    await fresh.close();
  }
});

test('phone width (390 px) and keyboard: label, remove, learn, export and import', async () => {
  const { server } = await ready();
  const phone = await launch({ viewport: { width: 390, height: 844 } });
  try {
    const { page } = phone;
    await openPage(page, server.url);
    const t0 = await readyAt(page);
    await page.getByLabel('Data URL').fill('data/small/');
    const hand = await pen(page);
    const keys = page.keyboard;
    const focusedName = () =>
      page.evaluate(
        () => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent.trim(),
      );

    // Two drawings by touch, each labelled from the keyboard: Tab from Clear to the group's buttons.
    for (const [k, d] of TAUGHT.slice(0, 2).entries()) {
      await page.locator('#pad').scrollIntoViewIfNeeded(); // one column: the pad is below the training panel
      await hand.draw(d, { input: 'touch' });
      await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '');
      await page.getByRole('button', { name: 'Clear', exact: true }).focus();
      await keys.press('Tab');
      assert.is(await focusedName(), '0', 'Tab from Clear reaches "This digit is" 0');
      for (let i = 0; i < 3; i++) await keys.press('Tab');
      assert.is(await focusedName(), '3');
      await keys.press(k ? 'Space' : 'Enter');
      await page.waitForFunction((n) => Number(document.getElementById('personal-count').dataset.value) === n, k + 1);
    }
    // Remove by keyboard: the focus stays in the list.
    await page.getByRole('button', { name: 'Remove 3 (1 of 2)' }).focus();
    await keys.press('Enter');
    await page.waitForFunction(() => Number(document.getElementById('personal-count').dataset.value) === 1);
    assert.is(await focusedName(), 'Remove 3 (1 of 1)', 'the focus moves to the next Remove');

    // Every new control is on the screen and big enough to touch; nothing scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    const controls = [
      '#teach button',
      '#learn',
      '#personal-export',
      '#personal-import-label',
      '.kept .remove',
      '#learned summary',
    ];
    for (const sel of controls) {
      for (const b of await page.locator(sel).evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { l: r.left, r: r.right, h: r.height, w: r.width };
        }),
      )) {
        assert.ok(b.l >= 0 && b.r <= 390, `${sel} at ${b.l}..${b.r} is off the screen`);
        assert.ok(Math.min(b.w, b.h) >= 24, `${sel} is ${b.w}x${b.h}: too small to touch`);
      }
    }

    // Learn by keyboard (a network not trained yet: one pass of the small split with the digit mixed in).
    await page.getByRole('button', { name: 'Learn my handwriting' }).focus();
    await keys.press('Enter');
    await statusIs(page, /^Learned your handwriting/, 60_000);
    assert.ok(await page.locator('#learn-result').isVisible());

    // Export by keyboard: four downloads.
    const downloads = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    await page.getByRole('button', { name: 'Export', exact: true }).focus();
    await keys.press('Enter');
    for (let i = 0; i < 40 && downloads.length < 4; i++) await page.waitForTimeout(100);
    assert.is(downloads.length, 4, 'four files');

    // Import by keyboard: the file input is focusable and opens the chooser.
    const files = await exportSet(page);
    await page.locator('#personal-import').focus();
    await page.waitForFunction(() => document.activeElement?.id === 'personal-import');
    // Under load Chromium now and then drops a key-opened chooser; a real fault (the input not
    // focusable, or hidden from the keyboard) fails every try.
    let chooser = null;
    for (let tries = 1; !chooser && tries <= 3; tries++) {
      [chooser] = await Promise.all([
        page.waitForEvent('filechooser', { timeout: 10_000 }).catch(() => null),
        keys.press('Space'),
      ]);
      if (!chooser)
        console.log(
          `    no file chooser after Space (try ${tries}); focus on #${await page.evaluate(() => document.activeElement?.id)}`,
        );
    }
    assert.ok(chooser, 'Space on the focused file input opens the chooser');
    assert.ok(chooser.isMultiple());
    await chooser.setFiles(
      Object.entries(files).map(([name, buffer]) => ({ name, mimeType: 'application/octet-stream', buffer })),
    );
    await page.waitForFunction(() =>
      /Imported 0 digits \(2 already/.test(document.getElementById('personal-note').textContent),
    );
    assert.equal(phone.problems.pageErrors, []);
    await gather(page, t0);
  } finally {
    await phone.close();
  }
});

test('no main-thread task over 200 ms once a page is ready; no page error', async () => {
  const { page, browser } = await ready();
  await gather(page, from ?? 0);
  const longest = Math.max(0, ...tasks.map((t) => t.duration));
  console.log(`    longest main-thread task: ${longest.toFixed(0)} ms`);
  if (longest > 200) console.log(`    long frames: ${JSON.stringify(await page.evaluate(() => window.__longFrames))}`);
  assert.ok(longest <= 200, `a task of ${longest} ms`);
  assert.equal(browser.problems.pageErrors, []);
});

test.run();
