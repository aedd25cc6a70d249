// The inside view: the forward pass of a drawing (the 28x28 input, each
// hidden layer's activations, the ten outputs) after each stroke while
// training runs, a cell's value on hover and by keyboard; the first layer's
// weights changing while training runs and each layer's update size
// charted, with no snapshot sent while the view is closed; any layer sizes;
// phone width. How soon the view follows a stroke, the view's cost to
// training and long tasks are npm run bench:page's figures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settledPrediction, clearPad, servedPage, launch, openPage } from './helpers.js';
import { pen } from './draw.js';
import { STYLES, VARIANTS, place } from '../helpers/strokes.js';
import { SEVEN } from '../helpers/strokes.js';

const { ready, close } = servedPage();
test.after(close);

const statusIs = (page, re, timeout = 60_000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]').textContent), re.source, {
    timeout,
  });
const cellCounts = (page) =>
  page.locator('#forward [role=grid]').evaluateAll((gs) => gs.map((g) => g.querySelectorAll('[role=gridcell]').length));
/** Waits until the grids have these cell counts (the view is built as Reset's answer arrives, just after the status). */
const gridsAre = (page, counts) =>
  page
    .waitForFunction(
      (want) =>
        JSON.stringify(
          [...document.querySelectorAll('#forward [role=grid]')].map(
            (g) => g.querySelectorAll('[role=gridcell]').length,
          ),
        ) === JSON.stringify(want),
      counts,
      { timeout: 5000 },
    )
    .catch(async () => {
      throw new Error(`the grids hold ${JSON.stringify(await cellCounts(page))} cells, not ${JSON.stringify(counts)}`);
    });
const readout = (page) => page.locator('#inside-readout').textContent();
/** A fingerprint of the weights canvas's pixels. */
const weightsPrint = (page) =>
  page.locator('#weights-view').evaluate((c) => {
    if (!c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + 7 * d[i + 2]) >>> 0;
    return h;
  });

/** Counts the evaluations the page shows from now on (each sets #accuracy, also to the same value). */
const countEvaluations = (page) =>
  page.evaluate(() => {
    window.__evaluations = 0;
    new MutationObserver(() => window.__evaluations++).observe(document.getElementById('accuracy'), {
      attributes: true,
      attributeFilter: ['data-value'],
    });
  });
async function startTraining(page, epochs) {
  await page.getByLabel('Data URL').fill('data/small/');
  await page.locator('#epochs').fill(String(epochs));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Training/);
}

test('the forward pass of a drawing: every layer, after each stroke while training; a cell shows its value on hover and by keyboard', async () => {
  const { page } = await ready();
  assert.equal(await cellCounts(page), [784, 128, 64, 10], 'one cell per input pixel, hidden unit and output');
  assert.equal(
    await page.locator('#forward [role=grid]').evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label'))),
    [
      'Input, 28 by 28 pixels',
      'Hidden layer 1, 128 units (sigmoid)',
      'Hidden layer 2, 64 units (sigmoid)',
      'Output, 10 digits',
    ],
  );
  assert.equal(
    await page
      .locator('#forward [role=grid]')
      .evaluateAll((gs) => gs.map((g) => g.querySelectorAll('[role=row]').length)),
    [28, 16, 8, 10],
    '128 as 16 x 8, 64 as 8 x 8',
  );

  await startTraining(page, 200);
  await clearPad(page);
  await page.evaluate(() => {
    window.__ups = [];
    window.__views = [];
    window.addEventListener('pointerup', () => window.__ups.push(performance.now()), true);
    new MutationObserver(() => window.__views.push(performance.now())).observe(document.getElementById('forward'), {
      attributes: true,
      attributeFilter: ['data-updated'],
    });
  });
  const box = await page.locator('#pad').boundingBox();
  const strokes = SEVEN;
  for (const [k, [[x0, y0], [x1, y1]]] of strokes.entries()) {
    await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + x1 * box.width, box.y + y1 * box.height, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(
      (n) => window.__ups.length === n && window.__views.some((t) => t >= window.__ups[n - 1]),
      k + 1,
      { timeout: 10_000 },
    );
  }
  assert.match(await page.getByRole('status').textContent(), /^Training/, 'still training while drawing');

  // hover: a hidden unit's value in the readout
  const cell = page.locator('#forward [role=grid]').nth(1).locator('[role=gridcell]').nth(9);
  await cell.hover();
  const hovered = await readout(page);
  assert.match(hovered, /^Hidden layer 1, unit 10 of 128: (0|1)\.\d{3}$/, `readout on hover: "${hovered}"`);
  await page.locator('#forward [role=grid]').nth(3).locator('[role=gridcell]').nth(7).hover();
  assert.match(await readout(page), /^Output 7: \d+\.\d% \(/);

  // keyboard: one tab stop per layer, arrows move inside it, the focused cell is named with its value
  await page.locator('#forward [role=gridcell]').first().focus();
  assert.match(await readout(page), /^Input pixel row 1, column 1: 0\.000$/);
  await page.keyboard.press('Tab');
  let focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  assert.match(focused, /^Hidden layer 1, unit 1 of 128: \d\.\d+(e-\d+)?$/, `Tab goes to the next layer: "${focused}"`);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  assert.match(focused, /^Hidden layer 1, unit 10 of 128: /, 'down a row of 8, right one');
  assert.is(await readout(page), focused, 'the readout says the same');
  await page.keyboard.press('End');
  assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /unit 16 of 128/);
  await page.keyboard.press('Tab');
  assert.match(
    await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
    /^Hidden layer 2, unit 1 of 64/,
  );
  await page.keyboard.press('Shift+Tab');
  assert.match(
    await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
    /unit 16 of 128/,
    'the layer remembers its cell',
  );
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await statusIs(page, /^Paused/);
});

test('what the first layer learned: the weights change while training runs, update sizes per layer; closed, no snapshot comes', async () => {
  const { page } = await ready();
  const summary = page.locator('#learned summary');
  await summary.focus();
  await page.keyboard.press('Enter'); // a <details> opens by keyboard
  assert.ok(await page.locator('#learned').evaluate((d) => d.open), 'opened');
  await page.waitForFunction(() => document.getElementById('weights-view').dataset.steps !== undefined);
  const steps0 = Number(await page.locator('#weights-view').getAttribute('data-steps'));
  const print0 = await weightsPrint(page);
  assert.match(await page.locator('#weights-caption').textContent(), /128 units/);

  await page.getByRole('button', { name: 'Pause', exact: true }).click(); // resumes
  await statusIs(page, /^Training/);
  await page.waitForFunction((s) => Number(document.getElementById('weights-view').dataset.steps) > s, steps0, {
    timeout: 10_000,
  });
  await page.waitForFunction(() => Number(document.getElementById('update-chart').dataset.points) >= 2, null, {
    timeout: 10_000,
  });
  const steps1 = Number(await page.locator('#weights-view').getAttribute('data-steps'));
  const print1 = await weightsPrint(page);
  console.log(`    weights view: step ${steps0} -> ${steps1}, pixels changed: ${print0 !== print1}`);
  assert.ok(steps1 > steps0 && print1 !== print0, 'the weights view changed while training ran');
  assert.equal(await page.locator('#update-legend .legend-item').allTextContents(), [
    'layer 1 (784→128)',
    'layer 2 (128→64)',
    'layer 3 (64→10)',
  ]);

  // Closed, the worker sends nothing: once it has had the page's word
  // (its answer comes after any snapshot sent before), the view stays as it
  // is through two evaluations, which come no more often than snapshots
  // would (every 1.5 s).
  await summary.click();
  await page.waitForFunction(() => window.__requestsOpen('watch') === 0);
  const closed = {
    steps: await page.locator('#weights-view').getAttribute('data-steps'),
    points: await page.locator('#update-chart').getAttribute('data-points'),
  };
  await countEvaluations(page);
  await page.waitForFunction(() => window.__evaluations >= 2, null, { timeout: 20_000 });
  assert.match(await page.getByRole('status').textContent(), /^Training/, 'trained on meanwhile');
  assert.equal(
    {
      steps: await page.locator('#weights-view').getAttribute('data-steps'),
      points: await page.locator('#update-chart').getAttribute('data-points'),
    },
    closed,
    'no snapshot while closed',
  );
  // opened again, a snapshot comes at once
  await summary.click();
  await page.waitForFunction((s) => Number(document.getElementById('weights-view').dataset.steps) > s, closed.steps, {
    timeout: 10_000,
  });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await statusIs(page, /^Paused/);
});

test('any layer sizes: a 784-100-50-20-10 relu network gets grids of 100, 50 and 20 cells and four update-size series', async () => {
  const { page } = await ready();
  await page.locator('#hidden').fill('100,50,20');
  await page.locator('#activation').selectOption('relu');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await statusIs(page, /^New network ready/);
  await gridsAre(page, [784, 100, 50, 20, 10]);
  assert.equal(await cellCounts(page), [784, 100, 50, 20, 10]);
  assert.equal(
    await page
      .locator('#forward [role=grid]')
      .evaluateAll((gs) => gs.map((g) => g.querySelectorAll('[role=row]').length)),
    [28, 10, 10, 5, 10],
  );
  assert.is(await page.locator('#update-legend .legend-item').count(), 4);
  const hand = await pen(page);
  await hand.draw(place(STYLES[21], VARIANTS[0]));
  await settledPrediction(page);
  await page.locator('#forward [role=grid]').nth(3).locator('[role=gridcell]').nth(4).hover();
  assert.match(await readout(page), /^Hidden layer 3, unit 5 of 20: \d+\.\d+/);
  // back to the default network
  await page.locator('#hidden').fill('128,64');
  await page.locator('#activation').selectOption('sigmoid');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await statusIs(page, /^New network ready/);
  await gridsAre(page, [784, 128, 64, 10]);
  assert.equal(await cellCounts(page), [784, 128, 64, 10]);
});

test('phone width (390 px): the inside view fits, its cells and the weights view work by keyboard and touch', async () => {
  const { server } = await ready();
  const phone = await launch({ viewport: { width: 390, height: 844 } });
  try {
    const { page } = phone;
    await openPage(page, server.url);
    const hand = await pen(page);
    await page.locator('#pad').scrollIntoViewIfNeeded(); // one column: the pad is below the training panel
    await hand.draw(place(STYLES[9], VARIANTS[0]), { input: 'touch' });
    await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    const boxes = await page
      .locator('#forward .fw-layer, #learned summary')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.left, r.right]));
    for (const [l, r] of boxes) assert.ok(l >= 0 && r <= 390, `a box at ${l}..${r} is off the screen`);
    await page.locator('#forward [role=gridcell]').first().focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowRight');
    assert.match(await readout(page), /^Hidden layer 1, unit 2 of 128: \d/);
    // a finger on a cell (CDP touch events: the page gets pointer events of type touch)
    const target = page.locator('#forward [role=grid]').nth(2).locator('[role=gridcell]').nth(3);
    await target.scrollIntoViewIfNeeded();
    const c = await target.boundingBox();
    const cdp = await page.context().newCDPSession(page);
    const at = { x: c.x + c.width / 2, y: c.y + c.height / 2, id: 1, radiusX: 1, radiusY: 1, force: 0.5 };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    assert.match(await readout(page), /^Hidden layer 2, unit 4 of 64: \d/, 'a tap shows a cell too');
    await page.locator('#learned summary').focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.getElementById('weights-view').dataset.steps !== undefined);
    const w = await page.locator('#weights-view').boundingBox();
    assert.ok(w.x >= 0 && w.x + w.width <= 390, 'the weights view fits');
    assert.equal(phone.problems.pageErrors, []);
  } finally {
    await phone.close();
  }
});

test('no page error all along', async () => {
  const { browser } = await ready();
  assert.equal(browser.problems.pageErrors, []);
});

test.run();
