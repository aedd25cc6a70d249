// Watch it learn: with "What the first layer learned" open, a 10-epoch run
// of the seed's network on the full MNIST leaves its snapshots under a
// slider; the keyboard scrubs back through them (the weights view, the
// step, the update sizes and the test accuracy of that moment) and to the
// newest; a new network starts a new history. The history's bounds are
// tests/history.test.js's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { servedPage } from './helpers.js';

const { ready, close } = servedPage();
test.after(close);

const statusIs = (page, re, timeout = 120_000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]').textContent), re.source, {
    timeout,
  });
const shown = (page) =>
  page.evaluate(() => ({
    value: Number(document.getElementById('history').value),
    max: Number(document.getElementById('history').max),
    disabled: document.getElementById('history').disabled,
    text: document.getElementById('history-text').textContent,
    steps: Number(document.getElementById('history-text').dataset.steps),
    view: Number(document.getElementById('weights-view').dataset.steps),
  }));

test('the slider scrubs a 10-epoch run: back to its first snapshot, forward, to the newest; Reset starts again', async () => {
  const { page } = await ready();
  await page.locator('#learned summary').click();
  await page.locator('#epochs').fill('10');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await statusIs(page, /^Done: 10 epochs/);
  const end = await shown(page);
  assert.ok(end.max >= 3, `${end.max + 1} snapshots of a 10-epoch run`);
  assert.is(end.value, end.max, 'at the newest');
  assert.is(end.view, end.steps, 'the weights view shows it');
  assert.match(end.text, /the newest\): step [\d,]+, test accuracy 9\d\.\d\d%, update size per step of each layer /);

  await page.locator('#history').focus();
  await page.keyboard.press('Home');
  const first = await shown(page);
  assert.is(first.value, 0);
  assert.ok(first.steps < end.steps, `the first snapshot at step ${first.steps}, the newest at ${end.steps}`);
  assert.is(first.view, first.steps, 'the weights view goes back with it');
  assert.match(first.text, /^Snapshot 1 of \d+ \(back in the run\)/);
  await page.keyboard.press('ArrowRight');
  const second = await shown(page);
  assert.ok(second.steps > first.steps && second.view === second.steps, 'one forward');
  await page.keyboard.press('End');
  assert.is((await shown(page)).view, end.steps, 'and back to the newest');

  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await statusIs(page, /^New network ready/);
  const fresh = await shown(page);
  assert.ok(fresh.disabled && fresh.max <= 1, 'a new network, a new history');
});

test.run();
