// The package in a browser page gives the same bits as in Node: the same
// seed, data and options train to a byte-identical model file, and predict
// the same probabilities. (Node against native is tests/determinism.test.js.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createNetwork, parseIdx } from 'mnist-wasm';
import { DATA, servedPage } from './helpers.js';

const { ready, close } = servedPage();
test.after(close);

const SAMPLES = 2000;
const OPTIONS = { seed: 7, batchSize: 16, optimizer: 'adam', learningRate: 0.002, activation: 'relu' };

async function trainInNode() {
  const images = await parseIdx(readFileSync(path.join(DATA, 'train-images-idx3-ubyte.gz')));
  const labels = await parseIdx(readFileSync(path.join(DATA, 'train-labels-idx1-ubyte.gz')));
  const net = await createNetwork(OPTIONS);
  net.train(images.data.subarray(0, SAMPLES * 784), labels.data.subarray(0, SAMPLES), { epochs: 2 });
  const result = { model: Array.from(net.save()), probs: Array.from(net.predict(images.data.subarray(0, 784))) };
  net.dispose();
  return result;
}

test('a page trains to the same model bytes and predictions as Node', async () => {
  const { page } = await ready();
  const inBrowser = await page.evaluate(
    async ({ samples, options }) => {
      const { createNetwork, fetchIdx } = await import('./lib/index.js');
      const images = await fetchIdx('data/small/train-images-idx3-ubyte.gz');
      const labels = await fetchIdx('data/small/train-labels-idx1-ubyte.gz');
      const net = await createNetwork(options);
      net.train(images.data.subarray(0, samples * 784), labels.data.subarray(0, samples), { epochs: 2 });
      const result = { model: Array.from(net.save()), probs: Array.from(net.predict(images.data.subarray(0, 784))) };
      net.dispose();
      return result;
    },
    { samples: SAMPLES, options: OPTIONS },
  );
  const inNode = await trainInNode();
  assert.ok(inNode.model.length > 400_000, 'a whole 784-128-64-10 model');
  assert.equal(inBrowser.probs, inNode.probs, 'the same probabilities, bit for bit');
  assert.ok(
    inBrowser.model.every((b, i) => b === inNode.model[i]) && inBrowser.model.length === inNode.model.length,
    'the same model file, byte for byte',
  );
});

test.run();
