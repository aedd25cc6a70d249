// A long run in Node, as a program that trains for hours would: epoch after
// epoch over a data set in the heap, evaluating the test set, reading the
// activations of a digit and copying the weights (what the page's inside
// view asks for) after each. From epoch 2 to the end the process's resident
// memory and the wasm heap stay within 3% of epoch 2's, and every accuracy
// and loss is a finite number.
//
// Short form (npm test): 4 epochs of the 10,000-digit split. Full form
// (npm run soak): SOAK_EPOCHS=50 SOAK_DATA=full (full MNIST).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import { createNetwork, loadMnist, Trainer, memoryBytes } from 'mnist-wasm';
import { dataDir, fullDataDir } from './helpers/common.js';

const EPOCHS = Number(process.env.SOAK_EPOCHS || 4);
const DATA = process.env.SOAK_DATA === 'full' ? fullDataDir : dataDir;
const GROWTH = 0.03;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const mb = (b) => (b / 2 ** 20).toFixed(1);

test(`${EPOCHS} epochs of ${DATA === fullDataDir ? 'full MNIST' : 'the small split'} with evaluation, activations and weight copies: memory from epoch 2 within ${GROWTH * 100}%`, async () => {
  const { train, test: testSet } = await loadMnist(pathToFileURL(`${DATA}/`));
  const net = await createNetwork();
  const trainer = new Trainer();
  trainer.plan(EPOCHS);
  const digit = testSet.image(0);
  const rows = [];
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      let p;
      do p = trainer.run(net, train, 1 << 14);
      while (p.epochs < epoch);
      const ev = net.evaluate(testSet);
      const layers = net.activations(digit);
      const weights = net.parameters();
      assert.ok(
        Number.isFinite(ev.accuracy) && Number.isFinite(ev.loss) && Number.isFinite(p.lastLoss),
        `epoch ${epoch}: accuracy ${ev.accuracy}, loss ${ev.loss}, training loss ${p.lastLoss}`,
      );
      assert.ok(
        layers.every((a) => a.every(Number.isFinite)) && weights.every(Number.isFinite),
        `epoch ${epoch}: activations and weights finite`,
      );
      gc();
      rows.push({ epoch, rss: process.memoryUsage().rss, heap: await memoryBytes(), accuracy: ev.accuracy });
    }
  } finally {
    trainer.dispose();
    net.dispose();
    train.dispose();
    testSet.dispose();
  }
  const base = rows.find((r) => r.epoch === Math.min(2, EPOCHS));
  const change = (key) =>
    Math.max(...rows.filter((r) => r.epoch >= base.epoch).map((r) => Math.abs(r[key] - base[key]) / base[key]));
  const end = rows[rows.length - 1];
  console.log(
    `    epoch: resident MiB / wasm heap MiB / accuracy: ${rows.map((r) => `${r.epoch}: ${mb(r.rss)}/${mb(r.heap)}/${(r.accuracy * 100).toFixed(2)}%`).join(', ')}`,
  );
  console.log(
    `    epoch ${base.epoch} -> ${end.epoch}: resident ${mb(base.rss)} -> ${mb(end.rss)} MiB (largest change ${(change('rss') * 100).toFixed(2)}%), wasm heap ${mb(base.heap)} -> ${mb(end.heap)} MiB; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  assert.ok(
    change('rss') <= GROWTH,
    `resident memory changed by ${(change('rss') * 100).toFixed(2)}% after epoch ${base.epoch}`,
  );
  assert.ok(
    change('heap') <= GROWTH,
    `the wasm heap changed by ${(change('heap') * 100).toFixed(2)}% after epoch ${base.epoch}`,
  );
});

test.run();
