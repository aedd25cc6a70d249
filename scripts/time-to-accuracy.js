#!/usr/bin/env node
// The page as a person first meets it: open it, press Train with its
// defaults (the full MNIST shipped in web/data, downloaded and trained on as
// it streams in), and time, from the click, when the test accuracy shown
// first reaches the target and when the run is Done. In one headless
// Chromium (Debian's, through playwright-core), like bench-page.js.
// With --network convnet, the page's Network choice is the convnet first
// (with the settings the page gives it), as a person picks it.
//   node scripts/time-to-accuracy.js [--target 0.98] [--network article|convnet]
import { openServedPage } from './served-page.js';

const args = process.argv.slice(2);
const option = (name, otherwise) => (args.includes(name) ? args[args.indexOf(name) + 1] : otherwise);
const TARGET = Number(option('--target', 0.98));
const NETWORK = option('--network', 'article');
const GIVE_UP_MS = 300_000;

const { page, close } = await openServedPage();
try {
  if (NETWORK !== 'article') await page.locator('#network').selectOption(NETWORK);
  const settings = await page.evaluate(() =>
    ['hidden', 'batch', 'lr', 'threads', 'epochs']
      .map((id) => `${id} ${document.getElementById(id)?.value}`)
      .join(', '),
  );
  console.log(`${NETWORK}: ${settings}`);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const seconds = () => ((Date.now() - t0) / 1000).toFixed(1);
  let reached = false;
  for (;;) {
    const [accuracy, status] = await page.evaluate(() => [
      Number(document.getElementById('accuracy').dataset.value || 0),
      document.querySelector('[role=status]').textContent,
    ]);
    if (!reached && accuracy >= TARGET) {
      reached = true;
      console.log(
        `${(TARGET * 100).toFixed(1)}% shown after ${seconds()} s (${(accuracy * 100).toFixed(2)}%; "${status}")`,
      );
    }
    if (/^Done/.test(status)) {
      console.log(`Done after ${seconds()} s: test accuracy ${(accuracy * 100).toFixed(2)}%`);
      break;
    }
    if (Date.now() - t0 > GIVE_UP_MS) {
      console.log(`not Done after ${GIVE_UP_MS / 1000} s: ${(accuracy * 100).toFixed(2)}%; "${status}"`);
      process.exitCode = 1;
      break;
    }
    await page.waitForTimeout(100);
  }
} finally {
  await close();
}
