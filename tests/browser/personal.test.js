// Teach it your handwriting: the page's model trained with its defaults on
// full MNIST (the reference model, tests/helpers/reference.js, opened as a
// file) misreads a 3 written mirrored (as ε); ten such drawings (jittered,
// tests/helpers/strokes.js) labelled with "This digit is" 3 and Learn my
// handwriting make ten new ones read as 3 at least 9 times in 10, with MNIST
// test accuracy down by at most 0.1 points. Train after that keeps the
// style. The personal set is kept across a reload (IndexedDB), exported as
// the four IDX files and imported into a fresh profile as the same set;
// every new control works at phone width and by keyboard. Prints the
// figures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { clearPad, settledPrediction, servedPage, launch, openPage, waitForAlert, openModel } from './helpers.js';
import { pen } from './draw.js';
import { STYLES, mirrored, jittered } from '../helpers/strokes.js';
import { referenceModel } from '../helpers/reference.js';

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
    out.push(Number((await settledPrediction(page)).digit));
  }
  return out;
}

/** The files of one Export (a click, or press()): { name: bytes }. */
async function exportSet(page, press = () => page.getByRole('button', { name: 'Export', exact: true }).click()) {
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
  await press();
  await got;
  const files = {};
  for (const d of downloads) files[d.suggestedFilename()] = readFileSync(await d.path());
  return files;
}

test('a style the trained network misreads is learned from ten drawings; MNIST test accuracy falls by at most 0.1 points', async () => {
  const { page } = await ready();
  assert.equal(await page.getByLabel('Data URL').inputValue(), 'data/');
  const reference = referenceModel();
  await openModel(page, reference.bytes, 'reference.mnwm');

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
    await settledPrediction(page);
    await teachGroup(page).getByRole('button', { name: '3', exact: true }).click();
    await page.waitForFunction((n) => Number(document.getElementById('personal-count').dataset.value) === n, k + 1);
  }
  assert.is(await page.locator('#personal-list [role=listitem]').count(), 10, 'ten thumbnails');
  assert.is(await page.locator('#prediction').getAttribute('data-digit'), '', 'the pad is cleared for the next one');

  // Learn brings the default data in (full MNIST) and measures before and after.
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
  const acc0 = table.mnistBefore;
  assert.ok(await page.locator('#learn-result').isVisible());
  assert.ok(
    Math.abs(acc0 - reference.accuracy) < 1e-6,
    `before: the reference model's test accuracy in the page (${acc0}) is the CLI's (${reference.accuracy})`,
  );
  assert.is(table.mnistAfter, acc1, '#accuracy shows the test accuracy after learning');

  const after = await readAll(page, hand, FRESH);
  const right = (xs) => xs.filter((x) => x === STYLE.label).length;
  console.log(
    `    ten new mirrored 3s read as 3: ${right(before)}/10 before (${before.join(' ')}), ${right(after)}/10 after (${after.join(' ')})`,
  );
  console.log(
    `    the taught ten read right: ${(100 * table.personalBefore).toFixed(0)}% before, ${(100 * table.personalAfter).toFixed(0)}% after; learning took ${learnSeconds.toFixed(1)} s, the download included`,
  );
  console.log(
    `    MNIST test accuracy ${(100 * acc0).toFixed(2)}% -> ${(100 * acc1).toFixed(2)}% (${(100 * (acc1 - acc0)).toFixed(2)} points)`,
  );
  // Measured with the reference model: 0/10 before, 9/10 after (one read as 8),
  // the taught ten 0% -> 100%, MNIST 98.36% -> 98.32%.
  assert.ok(right(before) <= 1, `the trained network should misread the style: ${right(before)}/10 read as 3 before`);
  assert.ok(right(after) >= 9, `only ${right(after)}/10 new drawings read as taught`);
  assert.is(table.personalBefore, 0, 'the taught ten, misread before');
  assert.is(table.personalAfter, 1, 'the taught ten, read as taught after');
  assert.ok(acc0 - acc1 <= 0.001, `MNIST test accuracy fell ${(100 * (acc0 - acc1)).toFixed(2)} points`);
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
  // 10/10 measured
  assert.ok(right >= 9, `only ${right}/10 read as taught after more training`);
  await page.locator('#epochs').fill('10');
});

test('a reload keeps the personal set and the learned model', async () => {
  const { page } = await ready();
  await page.reload();
  await statusIs(page, /^Restored/, 20_000);
  await page.waitForFunction(() => Number(document.getElementById('personal-count').dataset.value) === 10);
  assert.is(await page.locator('#personal-list [role=listitem]').count(), 10);
  assert.equal(await page.locator('#personal-list figcaption').allTextContents(), Array(10).fill('3'));
  const hand = await pen(page);
  const reads = await readAll(page, hand, FRESH.slice(0, 3));
  assert.equal(reads, [3, 3, 3], 'the learned model came back');
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
    await page.getByRole('button', { name: 'Export', exact: true }).focus();
    const files = await exportSet(page, () => keys.press('Enter'));
    assert.is(Object.keys(files).length, 4, 'four files');

    // Import by keyboard: the file input is focusable and opens the chooser.
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
  } finally {
    await phone.close();
  }
});

test('no page error in the page all along', async () => {
  const { browser } = await ready();
  assert.equal(browser.problems.pageErrors, []);
});

test.run();
