#!/usr/bin/env node
// npm run bench:page: the page's training rate against the package's
// train() at the same batch size, in one headless Chromium (Debian's, through
// playwright-core), on the default data set, in one run:
//   - train(): the package's Network.train over a Dataset in the heap, in a
//     page, timed around the call;
//   - the page: Train with the same settings once the data has arrived,
//     timed from Training to Done (evaluations, progress and yields between
//     its ~20 ms slices included).
// The two alternate, several rounds each (the machine's speed drifts); prints
// the median samples/s of each and the ratio.
//   node scripts/bench-page.js [--batch N] [--epochs N] [--rounds N]
import { openServedPage } from './served-page.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const BATCH = arg('--batch', 32);
// long enough that the page's fixed costs around a run (the messages that
// start it, the last evaluation before Done) weigh about 1% of its time,
// as they do in a person's 10 epochs of full MNIST; in 30 of the small
// split (3 s) they weighed 3%
const EPOCHS = arg('--epochs', 90);
const ROUNDS = arg('--rounds', 5);

const { page, context, close } = await openServedPage();
try {
  // the package's train(), in this page
  const trainApi = () =>
    page.evaluate(
      async ({ batch, epochs }) => {
        const { loadMnist, createNetwork } = await import('./lib/index.js');
        const { train, test } = await loadMnist('data/small/');
        const net = await createNetwork({ batchSize: batch });
        const t0 = performance.now();
        const r = net.train(train, { epochs });
        const seconds = (performance.now() - t0) / 1000;
        const accuracy = net.evaluate(test).accuracy;
        net.dispose();
        train.dispose();
        test.dispose();
        return { rate: r.samples / seconds, seconds, accuracy };
      },
      { batch: BATCH, epochs: EPOCHS },
    );

  // the page: data in first (a short run), then for each round Reset and Train
  const until = (re, timeout = 120_000) =>
    page.waitForFunction(
      (src) => new RegExp(src).test(document.querySelector('[role=status]').textContent),
      re.source,
      { timeout },
    );
  await page.getByLabel('Data URL').fill('data/small/');
  await page.locator('#batch').fill(String(BATCH));
  await page.locator('#epochs').fill('2');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await until(/^Done/);
  await page.locator('#epochs').fill(String(EPOCHS));
  const trainPage = async () => {
    await page.getByRole('button', { name: 'Reset' }).click();
    await until(/^New network ready/);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await until(/^Training/, 30_000);
    const t0 = Date.now();
    await until(/^Done/);
    const seconds = (Date.now() - t0) / 1000;
    return {
      rate: (EPOCHS * 8000) / seconds,
      seconds,
      accuracy: Number(await page.locator('#accuracy').getAttribute('data-value')),
    };
  };

  // alternate the two, ROUNDS times each: the machine's speed drifts
  await trainApi(); // warm-up: the optimising tier compiles the hot functions
  const api = [],
    ours = [];
  for (let r = 0; r < ROUNDS; r++) {
    api.push(await trainApi());
    ours.push(await trainPage());
  }
  const median = (xs) => xs.map((x) => x.rate).sort((a, b) => a - b)[xs.length >> 1];
  const apiRate = median(api),
    pageRate = median(ours);

  const f = (v) => Math.round(v).toLocaleString('en-US');
  console.log(
    `mnist-wasm page bench: 784-128-64-10 sigmoid, SGD, batch ${BATCH}, ${EPOCHS} epochs of the small split (8,000 digits), Chromium ${context.browser()?.version() ?? ''}`,
  );
  console.log(
    `  package train() in a page  ${f(apiRate).padStart(9)} samples/s  median of ${ROUNDS}: ${api.map((x) => f(x.rate)).join(', ')}; test ${(api[0].accuracy * 100).toFixed(2)}%`,
  );
  console.log(
    `  the page (worker, slices)  ${f(pageRate).padStart(9)} samples/s  median of ${ROUNDS}: ${ours.map((x) => f(x.rate)).join(', ')}; test ${(ours[0].accuracy * 100).toFixed(2)}%`,
  );
  console.log(
    `  page / train()             ${((100 * pageRate) / apiRate).toFixed(1)}%  (target >= 95%; the page timed from Training to Done, its evaluations included)`,
  );
} finally {
  await close();
}
