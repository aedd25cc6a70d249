#!/usr/bin/env node
// The images of docs/, made from the page in headless Chromium (Debian's,
// through playwright-core, the browser tests' launcher):
//   docs/screenshot.png    the whole page after Train with the defaults on
//                          the shipped full MNIST, a 3 drawn on the pad
//   docs/inside-view.png   a drawing's forward pass and what the first layer
//                          learned, after 30 epochs of the small split
//   docs/personal-set.png  the pad reading a mirrored 3 (ε) after ten were
//                          taught and Learn my handwriting, with the set
//                          and the figures before and after
//   docs/backprop.png      the backpropagation panel on a drawn 3 labelled 3,
//                          at the first layer's delta and gradient images,
//                          after 3 epochs of the small split
//   node scripts/screenshots.js [--only screenshot,inside-view,personal-set,backprop] [--out DIR (docs/)]
/* global document, window -- the functions handed to the page run in the page */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ROOT,
  startServer,
  launch,
  openPage,
  clearPad,
  settledPrediction,
  openModel,
} from '../tests/browser/helpers.js';
import { pen } from '../tests/browser/draw.js';
import { STYLES, VARIANTS, place, mirrored, jittered } from '../tests/helpers/strokes.js';
import { referenceModel } from '../tests/helpers/reference.js';

const IMAGES = ['screenshot', 'inside-view', 'personal-set', 'backprop'];
const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = arg('--only')?.split(',') ?? IMAGES;
const OUT = path.resolve(arg('--out') ?? path.join(ROOT, 'docs'));
for (const name of only)
  if (!IMAGES.includes(name)) {
    console.error(`screenshots: --only takes ${IMAGES.join(', ')}; got ${name}`);
    process.exit(2);
  }

const statusIs = (page, re, timeout = 120_000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]').textContent), re.source, {
    timeout,
  });
const button = (page, name) => page.getByRole('button', { name, exact: true });

function write(name, png) {
  const file = path.join(OUT, `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, png);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${png.length.toLocaleString('en-US')} bytes)`);
}

/** The page's full width from the highest top of the elements `tops` to the lowest bottom of `bottoms`. */
const clipOf = (page, tops, bottoms) =>
  page.evaluate(
    ([a, b]) => {
      const box = (id) => document.getElementById(id).getBoundingClientRect();
      const t = Math.min(...a.map((id) => box(id).top)) + window.scrollY - 8;
      const u = Math.max(...b.map((id) => box(id).bottom)) + window.scrollY + 8;
      return { x: 0, y: t, width: document.documentElement.clientWidth, height: u - t };
    },
    [tops, bottoms],
  );

const shots = {
  async screenshot(page) {
    // the data in (one short epoch), then the defaults from a new network
    const epochs = await page.locator('#epochs').inputValue();
    await page.locator('#epochs').fill('1');
    await button(page, 'Train').click();
    await statusIs(page, /^Done/);
    await page.locator('#epochs').fill(epochs);
    await button(page, 'Reset').click();
    await statusIs(page, /^New network ready/);
    await button(page, 'Train').click();
    await statusIs(page, /^Done/);
    // one smooth stroke, as a hand draws a 3: two arcs
    const points = [];
    for (let a = -160; a <= 90; a += 10)
      points.push([0.5 + 0.16 * Math.cos((a * Math.PI) / 180), 0.32 + 0.15 * Math.sin((a * Math.PI) / 180)]);
    for (let a = -90; a <= 150; a += 10)
      points.push([0.5 + 0.19 * Math.cos((a * Math.PI) / 180), 0.66 + 0.19 * Math.sin((a * Math.PI) / 180)]);
    await (await pen(page)).draw([points]);
    const { digit } = await settledPrediction(page);
    console.log(
      `the page: ${await page.locator('#accuracy').textContent()} test accuracy, the drawn 3 reads as ${digit}`,
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    write('screenshot', await page.screenshot({ fullPage: true }));
  },

  async 'inside-view'(page) {
    await page.locator('#learned summary').click();
    await page.getByLabel('Data URL').fill('data/small/');
    await page.locator('#epochs').fill('30');
    await button(page, 'Train').click();
    await statusIs(page, /^Done/);
    await (await pen(page)).draw(place(STYLES[9], VARIANTS[0]));
    await settledPrediction(page);
    await page.locator('#forward [role=grid]').nth(1).locator('[role=gridcell]').nth(20).hover();
    write(
      'inside-view',
      await page.screenshot({
        clip: await clipOf(page, ['learned', 'draw-panel'], ['learned', 'inside-readout']),
        fullPage: true,
      }),
    );
  },

  async backprop(page) {
    await page.getByLabel('Data URL').fill('data/small/');
    await page.locator('#epochs').fill('3');
    await button(page, 'Train').click();
    await statusIs(page, /^Done/);
    await (await pen(page)).draw(place(STYLES[9], VARIANTS[0]));
    await settledPrediction(page);
    await page.locator('#backprop summary').click();
    await page.locator('#bp-labels button[data-digit="3"]').click();
    await page.waitForFunction(() => /computed/.test(document.getElementById('bp-step').textContent));
    await page.locator('#bp-stage').focus();
    const stages = Number(await page.locator('#backprop').getAttribute('data-stages'));
    for (let k = 0; k < stages - 2; k++) await page.keyboard.press('PageDown'); // the first layer, backward
    for (let k = 0; k < 20; k++) await page.keyboard.press('ArrowRight');
    write('backprop', await page.locator('#backprop-panel').screenshot());
  },

  async 'personal-set'(page) {
    const style = mirrored(STYLES[9]); // a 3 of two arcs, mirrored: ε
    await openModel(page, referenceModel().bytes, 'reference.mnwm');
    const hand = await pen(page);
    for (const [k, d] of jittered(style, 10, 1).entries()) {
      await clearPad(page);
      await hand.draw(d);
      await settledPrediction(page);
      await page.getByRole('group', { name: 'This digit is' }).getByRole('button', { name: '3', exact: true }).click();
      await page.waitForFunction((n) => Number(document.getElementById('personal-count').dataset.value) === n, k + 1);
    }
    await page.getByRole('button', { name: 'Learn my handwriting' }).click();
    await statusIs(page, /^Learned your handwriting/);
    await clearPad(page);
    await hand.draw(jittered(style, 1, 2)[0]);
    await settledPrediction(page);
    write(
      'personal-set',
      await page.screenshot({ clip: await clipOf(page, ['draw-panel'], ['personal-panel']), fullPage: true }),
    );
  },
};

const server = await startServer();
try {
  for (const name of IMAGES.filter((n) => only.includes(n))) {
    const browser = await launch();
    try {
      await openPage(browser.page, server.url);
      await shots[name](browser.page);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
