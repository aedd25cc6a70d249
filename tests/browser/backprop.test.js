// The panel "Backpropagation: one step of learning", for the seed's network
// and the convnet, each trained an epoch on the small split: on a drawing
// (with the label pressed) and on a gallery digit (with its true label) its
// numbers equal the API's for the same model, image and label (the loss,
// the probabilities before and after the step on a copy, each layer's delta
// scale, the gradient check); the keyboard walks every stage and back;
// closing the panel leaves the network as it was, Apply makes it the copy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadNetwork } from 'mnist-wasm';
import { startServer, launch, openPage, once, readIdxPair, drawDigit, statusIs, savedModel } from './helpers.js';

const ctx = {};
const ready = once(async () => {
  ctx.server = await startServer();
  ctx.browser = await launch();
  ctx.page = ctx.browser.page;
  ctx.test = readIdxPair('t10k');
  return ctx;
});
test.after(async () => {
  await ctx.browser?.close();
  await ctx.server?.close();
});

/** Waits until the panel shows the step for the image and label now chosen. */
async function computed(page, label) {
  await page.waitForFunction(
    (y) =>
      (document.getElementById('backprop').dataset.stage ?? '') !== '' &&
      document.querySelector('#bp-labels [aria-pressed=true]')?.dataset.digit === String(y) &&
      window.__requestsOpen('backprop') === 0,
    label,
    { timeout: 20_000 },
  );
}

/** The panel's image (data-pixels: the Float32Array's bytes, base64). */
const panelImage = (page) =>
  page
    .locator('#bp-image')
    .evaluate((c) => c.dataset.pixels)
    .then((b64) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer));

const maxAbs = (v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const stageOf = (page) => page.locator('#backprop').evaluate((d) => Number(d.dataset.stage));

/** Walks the stages by keyboard from the first, reading each; returns the panel's numbers. */
async function walk(page) {
  const stages = await page.locator('#backprop').evaluate((d) => Number(d.dataset.stages));
  await page.locator('#bp-stage').focus();
  for (let k = 0; k < stages; k++) await page.keyboard.press('PageUp');
  assert.is(await stageOf(page), 0);
  const seen = [],
    deltas = [];
  let loss = null,
    before = null,
    after = null;
  for (let k = 0; k < stages; k++) {
    assert.is(await stageOf(page), k, `PageDown reaches stage ${k}`);
    seen.push(await page.locator('#bp-readout').textContent());
    const d = page.locator('.bp-delta');
    if (await d.count())
      deltas.push([Number(await d.getAttribute('data-layer')), Number(await d.getAttribute('data-scale'))]);
    if (await page.locator('#bp-loss').count())
      loss = Number(await page.locator('#bp-loss').getAttribute('data-value'));
    if (await page.locator('#bp-probs-after').count()) {
      const read = (id) => page.locator(`#${id} li`).evaluateAll((lis) => lis.map((li) => Number(li.dataset.value)));
      before = await read('bp-probs-before');
      after = await read('bp-probs-after');
    }
    await page.keyboard.press('PageDown');
  }
  assert.is(await stageOf(page), stages - 1, 'the last stage stays');
  // a unit's formula by the arrow keys, on the first forward stage
  for (let k = 0; k < stages; k++) await page.keyboard.press('PageUp');
  await page.keyboard.press('ArrowRight');
  assert.match(
    await page.locator('#bp-formula').textContent(),
    /^(unit 2|map 2 at row 1, column 1): z = Σ w·a \+ b = /,
  );
  assert.is(await page.locator('#bp-readout').textContent(), await page.locator('#bp-formula').textContent());
  // Next and Back are buttons: Tab to them and press
  await page.locator('#bp-next').focus();
  await page.keyboard.press('Enter');
  assert.is(await stageOf(page), 1, 'Next by keyboard');
  await page.locator('#bp-back').focus();
  await page.keyboard.press('Enter');
  assert.is(await stageOf(page), 0, 'Back by keyboard');
  const check = Number(await page.locator('#bp-check').getAttribute('data-max-relative-error'));
  return { stages, seen, deltas, loss, before, after, check };
}

/** What the API gives for the model, image and label: the panel's numbers, and the copy after one SGD step. */
async function apiNumbers(bytes, image, label) {
  const net = await loadNetwork(bytes);
  const g = net.gradients(image, label);
  const check = net.gradientCheck(image, label, { count: 10 });
  const copy = await loadNetwork(bytes);
  copy.setOptions({ optimizer: 'sgd', batchSize: 1, schedule: 'constant', weightDecay: 0, augment: false });
  copy.step(image, new Uint8Array([label]));
  const out = {
    loss: g.loss,
    before: Array.from(g.probabilities),
    after: Array.from(copy.predict(image)),
    deltas: g.layers.map((y, l) => [l, maxAbs(y.delta)]).reverse(),
    check: check.maxRelativeError,
    stepped: copy.parameters(),
    layers: g.layers.length,
  };
  net.dispose();
  copy.dispose();
  return out;
}

async function checkPanel(page, bytes, label, what) {
  const image = await panelImage(page);
  const want = await apiNumbers(bytes, image, label);
  const got = await walk(page);
  assert.is(got.stages, 2 * want.layers + 2, `${what}: forward, loss, backward, update`);
  assert.match(got.seen[0], /^Stage 1 of \d+: Forward, layer 1 /);
  assert.match(got.seen[want.layers], /: The loss\.$/);
  assert.match(got.seen.at(-1), /: The update W ← W − η ∂loss\/∂W, η = [\d.]+, on a copy\.$/);
  assert.is(got.loss, want.loss, `${what}: loss`);
  assert.equal(got.before, want.before, `${what}: probabilities`);
  assert.equal(got.after, want.after, `${what}: probabilities after the step`);
  assert.equal(got.deltas, want.deltas, `${what}: each layer's delta scale, output first`);
  assert.is(got.check, want.check, `${what}: the gradient check`);
  assert.ok(got.check < 1e-3, `${what}: check ${got.check}`);
  return want;
}

for (const network of ['article', 'convnet'])
  test(`${network}: the panel's numbers are the API's, on a drawing and a gallery digit; closing changes nothing, Apply does`, async () => {
    const { server, page, test: t } = await ready();
    await openPage(page, server.url);
    await page.locator('#network').selectOption(network);
    await page.getByLabel('Data URL').fill('data/small/');
    await page.locator('#epochs').fill('1');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await statusIs(page, /^Done/);
    await page.waitForFunction(() => document.querySelectorAll('#bp-source option').length > 1, null, {
      timeout: 20_000,
    });
    // a drawing, with the label pressed (drawn before Save model: the pen's strokes go to the pad then)
    await drawDigit(page, t.images.subarray(784 * 3, 784 * 4));
    const bytes = await savedModel(page);
    await page.locator('#backprop summary').click();
    await page.locator('#bp-labels button[data-digit="5"]').click();
    await computed(page, 5);
    await checkPanel(page, bytes, 5, 'drawing');

    // closing changes nothing
    await page.locator('#backprop summary').click();
    assert.equal(await savedModel(page), bytes, 'the same model after the panel closed');

    // a gallery digit, with its true label
    await page.locator('#backprop summary').click();
    await page.locator('#bp-source').selectOption('1');
    const label = await page.evaluate(() => {
      const text = document.querySelector('#bp-source').selectedOptions[0].textContent;
      return Number(/a (\d) read as/.exec(text)[1]);
    });
    await computed(page, label);
    const want = await checkPanel(page, bytes, label, 'gallery digit');
    assert.equal(await savedModel(page), bytes, 'walking the stages changed nothing');

    // Apply: the network becomes the copy that took the step
    await page.locator('#bp-next').focus();
    for (let k = 0; k < 2 * want.layers + 1; k++) await page.keyboard.press('PageDown');
    assert.is(await page.locator('#bp-next').getAttribute('aria-disabled'), 'true', 'the last stage');
    await page.getByRole('button', { name: 'Apply this step' }).click();
    await statusIs(page, /^Applied one step of learning/);
    const applied = await savedModel(page);
    assert.not.equal(applied, bytes, 'Apply changed the network');
    const net = await loadNetwork(applied);
    assert.equal(Array.from(net.parameters()), Array.from(want.stepped), 'the copy that took the step');
    assert.is(net.options.optimizer, (await loadNetwork(bytes)).options.optimizer, 'its own optimizer kept');
    net.dispose();
    await page.locator('#backprop summary').click();
  });

test.run();
