// The inside view: the forward pass of a drawing (the 28x28 input, each
// hidden layer's activations, the ten outputs) within 100 ms of a stroke
// while training runs, a cell's value on hover and by keyboard; the first
// layer's weights changing while training runs and each layer's update
// size charted; the training rate with that view open and closed (printed:
// the worker sends weight snapshots only while it is open); any layer
// sizes; phone width; no main-thread task over 200 ms. Makes
// docs/inside-view.png (when missing, or with UPDATE_SCREENSHOT=1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, clearPad, settledPrediction, longTasks, servedPage, launch, openPage } from './helpers.js';
import { pen } from './draw.js';
import { STYLES, VARIANTS, place } from '../helpers/strokes.js';

const { ready, close } = servedPage();
test.after(close);

// Long tasks count from the moment the page is ready: its load (the module
// scripts' first run, which this file does not change) is not what is tested.
let from = null;
const readyAt = (page) => page.evaluate(() => performance.now());
const since = async (page, t) => (await longTasks(page)).filter((x) => x.start >= t);

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
    .catch(() => {});
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

const mark = (page, name) =>
  page.evaluate((n) => {
    (window.__marks ??= []).push([n, Math.round(performance.now())]);
  }, name);
async function startTraining(page, epochs) {
  await mark(page, 'train');
  await page.getByLabel('Data URL').fill('data/small/');
  await page.locator('#epochs').fill(String(epochs));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Training/);
}

test('the forward pass of a drawing: every layer, within 100 ms of a stroke while training; a cell shows its value on hover and by keyboard', async () => {
  const { page } = await ready();
  from ??= await readyAt(page);
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
  const strokes = [
    [
      [0.2, 0.2],
      [0.8, 0.2],
    ],
    [
      [0.8, 0.2],
      [0.45, 0.85],
    ],
    [
      [0.35, 0.5],
      [0.7, 0.5],
    ],
  ];
  for (const [[x0, y0], [x1, y1]] of strokes) {
    await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + x1 * box.width, box.y + y1 * box.height, { steps: 8 });
    await page.waitForTimeout(150);
    await page.mouse.up();
    await page.waitForTimeout(300);
  }
  assert.match(await page.getByRole('status').textContent(), /^Training/, 'still training while drawing');
  const { ups, views } = await page.evaluate(() => ({ ups: window.__ups, views: window.__views }));
  const delays = ups.map((u) => (views.find((t) => t >= u) ?? Infinity) - u);
  console.log(`    inside view after each stroke while training: ${delays.map((d) => d.toFixed(0)).join(', ')} ms`);
  for (const d of delays) assert.ok(d <= 100, `the inside view came ${d} ms after the stroke`);

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

test('what the first layer learned: the weights change while training runs, update sizes per layer; the training rate with the view open and closed', async () => {
  const { page } = await ready();
  await mark(page, 'weights');
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
    timeout: 5000,
  });
  const t0 = Date.now();
  await page.waitForFunction(() => Number(document.getElementById('update-chart').dataset.points) >= 2, null, {
    timeout: 8000,
  });
  const steps1 = Number(await page.locator('#weights-view').getAttribute('data-steps'));
  const print1 = await weightsPrint(page);
  console.log(
    `    weights view: step ${steps0} -> ${steps1}, pixels changed: ${print0 !== print1}; update-size points after ${((Date.now() - t0) / 1000).toFixed(1)} s more`,
  );
  assert.ok(steps1 > steps0 && print1 !== print0, 'the weights view changed while training ran');
  assert.equal(await page.locator('#update-legend .legend-item').allTextContents(), [
    'layer 1 (784→128)',
    'layer 2 (128→64)',
    'layer 3 (64→10)',
  ]);

  // Closed, the worker sends nothing: the view stays as it was.
  await summary.click();
  await page.waitForTimeout(300);
  const stepsClosed = await page.locator('#weights-view').getAttribute('data-steps');
  await page.waitForTimeout(2500);
  assert.is(await page.locator('#weights-view').getAttribute('data-steps'), stepsClosed, 'no snapshots while closed');
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await statusIs(page, /^Paused/);

  // The rate, in one long run with the view closed and open in turn, 1.5 s
  // each (the worker sends a snapshot as the view opens, and every 1.5 s),
  // 10 times each (the machine's speed drifts over seconds; short
  // alternating windows see the same drift): samples trained per second in
  // each window, from the samples count the page shows at each progress
  // message (5 a second) and when it came.
  await page.locator('#epochs').fill('500');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await statusIs(page, /^New network ready/);
  await page.evaluate(() => {
    window.__seen = [];
    const info = document.getElementById('model-info');
    new MutationObserver(() => {
      const m = /trained on ([\d,]+) samples/.exec(info.textContent);
      if (m) window.__seen.push([performance.now(), Number(m[1].replace(/,/g, ''))]);
    }).observe(info, { childList: true, characterData: true, subtree: true });
  });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Training/);
  await page.waitForTimeout(1000);
  await mark(page, 'rates');
  const windows = [];
  for (let k = 0; k < 20; k++) {
    const open = k % 2 === 1;
    if ((await page.locator('#learned').evaluate((d) => d.open)) !== open) await summary.click();
    const t = await page.evaluate(() => performance.now());
    await page.waitForTimeout(1500);
    windows.push({ open, from: t, to: t + 1500 });
  }
  const costs = await page.locator('#snapshot-cost').getAttribute('data-ms');
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await statusIs(page, /^Paused/);
  const seen = await page.evaluate(() => window.__seen);
  const rateIn = ({ from, to }) => {
    const s = seen.filter(([t]) => t >= from && t <= to);
    return s.length < 2 ? NaN : ((s[s.length - 1][1] - s[0][1]) * 1000) / (s[s.length - 1][0] - s[0][0]);
  };
  for (const w of windows) w.rate = rateIn(w);
  const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const closedRates = windows.filter((w) => !w.open).map((w) => w.rate),
    openRates = windows.filter((w) => w.open).map((w) => w.rate);
  const closed = mean(closedRates),
    open = mean(openRates);
  // each open window against the mean of the closed ones on either side
  const pairs = windows
    .map((w, k) => (w.open && windows[k + 1] ? w.rate / ((windows[k - 1].rate + windows[k + 1].rate) / 2) : null))
    .filter((x) => x !== null);
  const pairMedian = pairs.slice().sort((x, y) => x - y)[pairs.length >> 1];
  const list = (xs) => xs.map((x) => Math.round(x)).join(', ');
  console.log(
    `    samples/s in alternating 1.5 s windows of one run: view closed ${Math.round(closed)} (${list(closedRates)}), open ${Math.round(open)} (${list(openRates)})`,
  );
  console.log(
    `    open/closed: ${(open / closed).toFixed(3)} on the means, each open window against its neighbours ${pairs.map((x) => x.toFixed(2)).join(' ')} (median ${pairMedian.toFixed(3)}); the worker's own time per snapshot ${Number(costs).toFixed(2)} ms every 1.5 s`,
  );
  // What the view takes from training is the worker's time per snapshot:
  // held to 1% of the interval. The rates are the machine's too (on a
  // shared 2-core VM its windows scatter by 10-20%: one run put the median
  // of the pairs at 0.944 with snapshots of 0.79 ms), so they only have to
  // show no gross cost: the median of the paired windows, which one window
  // that a neighbour's load hit does not decide.
  assert.ok(Number(costs) <= 15, `a snapshot took ${costs} ms of the worker's time every 1.5 s: over 1%`);
  assert.ok(
    pairMedian >= 0.85,
    `with the view open, training ran at ${pairMedian.toFixed(3)} of its rate closed: more than 15% slower`,
  );
});

test('any layer sizes: a 784-100-50-20-10 relu network gets grids of 100, 50 and 20 cells and four update-size series', async () => {
  const { page } = await ready();
  await mark(page, 'sizes');
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

test('no main-thread task over 200 ms once the page is ready; no page error', async () => {
  const { page, browser } = await ready();
  const tasks = await since(page, from ?? 0);
  const longest = Math.max(0, ...tasks.map((t) => t.duration));
  console.log(`    longest main-thread task: ${longest.toFixed(0)} ms`);
  if (longest > 200)
    console.log(
      `    long frames: ${JSON.stringify(await page.evaluate(() => window.__longFrames))}; marks ${JSON.stringify(await page.evaluate(() => window.__marks))}`,
    );
  assert.ok(longest <= 200, `a task of ${longest} ms`);
  assert.equal(browser.problems.pageErrors, []);
});

test('phone width (390 px): the inside view fits, its cells and the weights view work by keyboard and touch', async () => {
  const { server } = await ready();
  const phone = await launch({ viewport: { width: 390, height: 844 } });
  try {
    const { page } = phone;
    await openPage(page, server.url);
    const t0 = await readyAt(page);
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
    const longest = Math.max(0, ...(await since(page, t0)).map((x) => x.duration));
    assert.ok(longest <= 200, `a task of ${longest} ms at phone width`);
  } finally {
    await phone.close();
  }
});

test("docs/inside-view.png: a drawing's forward pass and what the first layer learned", async () => {
  const { page } = await ready();
  if (!(await page.locator('#learned').evaluate((d) => d.open))) await page.locator('#learned summary').click();
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await statusIs(page, /^New network ready/);
  await startTraining(page, 30);
  await statusIs(page, /^Done/);
  await clearPad(page);
  const hand = await pen(page);
  await hand.draw(place(STYLES[9], VARIANTS[0]));
  await settledPrediction(page);
  await page.locator('#forward [role=grid]').nth(1).locator('[role=gridcell]').nth(20).hover();
  const clip = await page.evaluate(() => {
    const a = document.getElementById('learned').getBoundingClientRect();
    const b = document.getElementById('draw-panel').getBoundingClientRect();
    const top = Math.min(a.top, b.top) + window.scrollY - 8,
      bottom =
        Math.max(a.bottom, document.getElementById('inside-readout').getBoundingClientRect().bottom) +
        window.scrollY +
        8;
    return { x: 0, y: top, width: document.documentElement.clientWidth, height: bottom - top };
  });
  const png = await page.screenshot({ clip, fullPage: true });
  const file = path.join(ROOT, 'docs', 'inside-view.png');
  if (!existsSync(file) || process.env.UPDATE_SCREENSHOT === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, png);
    console.log(`    wrote ${path.relative(process.cwd(), file)}`);
  }
});

test.run();
