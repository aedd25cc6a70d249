// The drawing pad in the page: the same digit drawn at five sizes (and in
// five places) gives nearly the same 28x28 input (read from the page's
// #input-view); a stroke by mouse, by pen and by touch each draws, reads
// and gives the same input (pixel for pixel), and the prediction follows it. How soon, and
// what preprocessing costs, are npm run bench:page's figures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clearPad, settledPrediction, servedPage } from './helpers.js';
import { pen, inputView, pearson } from './draw.js';
import { STYLES, place } from '../helpers/strokes.js';

const { ctx, ready, close } = servedPage();
test.after(close);

const SIZES = [
  // height as a fraction of the pad, centre
  { height: 0.9, at: [0.5, 0.5] },
  { height: 0.55, at: [0.4, 0.6] },
  { height: 0.3, at: [0.75, 0.3] },
  { height: 0.16, at: [0.2, 0.8] },
  { height: 0.09, at: [0.9, 0.1] }, // 25 px tall, in a corner
];
const style = (name) => STYLES.find((s) => `${s.label} ${s.name}` === name);

/** Draws strokes on a clear pad; resolves to the 28x28 input and the digit read. */
async function drawAndRead(page, hand, strokes, input = 'mouse') {
  await clearPad(page);
  await hand.draw(strokes, { input });
  const { digit } = await settledPrediction(page);
  return { input: await inputView(page), digit };
}

test('one digit drawn at five sizes gives 28x28 inputs that correlate above 0.98 with each other', async () => {
  const { page } = await ready();
  const hand = await pen(page);
  for (const name of ['3 two arcs', '7 crossed', '4 open', '0 oval']) {
    const inputs = [];
    for (const s of SIZES) inputs.push((await drawAndRead(page, hand, place(style(name), { ...s, slant: 0 }))).input);
    const r = [];
    for (let i = 0; i < inputs.length; i++)
      for (let j = i + 1; j < inputs.length; j++) r.push(pearson(inputs[i], inputs[j]));
    console.log(
      `    ${name}: correlation of the five inputs ${Math.min(...r).toFixed(3)} to ${Math.max(...r).toFixed(3)}; largest to tiniest ${r[3].toFixed(3)}`,
    );
    // the least measured: 0.984 (7 crossed)
    for (const x of r) assert.ok(x > 0.98, `${name}: correlation ${x.toFixed(3)} between two sizes`);
  }
  assert.equal(ctx.browser.problems.pageErrors, []);
});

test('a stroke by mouse, by pen and by touch each draws and reads, with the same input to the pixel; the prediction follows it', async () => {
  const { page } = await ready();
  const hand = await pen(page);
  await page.evaluate(() => {
    window.__types = [];
    window.__ups = [];
    window.__updates = [];
    const pad = document.getElementById('pad');
    pad.addEventListener('pointerdown', (e) => window.__types.push(e.pointerType));
    pad.addEventListener('pointerup', () => window.__ups.push(performance.now()));
    new MutationObserver(() => window.__updates.push(performance.now())).observe(
      document.getElementById('prediction'),
      { attributes: true, childList: true, characterData: true, subtree: true },
    );
  });
  const strokes = place(style('1 flag'), { height: 0.7, at: [0.5, 0.5], slant: 0.1 });
  const seen = {};
  for (const input of ['mouse', 'pen', 'touch']) {
    await page.evaluate(() => {
      window.__types.length = 0;
      window.__ups.length = 0;
      window.__updates.length = 0;
    });
    seen[input] = await drawAndRead(page, hand, strokes, input);
    const { types, ups, updates, ink } = await page.evaluate(() => ({
      types: window.__types,
      ups: window.__ups,
      updates: window.__updates,
      ink: (() => {
        const c = document.getElementById('pad');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 128) n++;
        return n;
      })(),
    }));
    assert.equal(types, [input], `the page saw pointerType ${input}`);
    assert.ok(ink > 1000, `${input}: the stroke shows on the pad (${ink} pixels)`);
    assert.ok(seen[input].digit !== '', `${input}: a prediction`);
    assert.ok(seen[input].input.reduce((a, b) => a + b, 0) > 20, `${input}: ink in the 28x28 input`);
    assert.is(ups.length, 1, `${input}: one stroke`);
    assert.ok(
      updates.some((t) => t >= ups[0]),
      `${input}: the prediction changed after the stroke ended`,
    );
  }
  // the same path by any pointer: the same input, pixel for pixel
  for (const input of ['pen', 'touch']) assert.equal(seen[input].input, seen.mouse.input, `mouse and ${input}`);
  await clearPad(page);
  assert.is(
    await page.locator('#input-view').evaluate((c) =>
      c
        .getContext('2d')
        .getImageData(0, 0, 28, 28)
        .data.some((v, i) => i % 4 === 3 && v),
    ),
    false,
    'Clear empties the input view',
  );
});

test.run();
