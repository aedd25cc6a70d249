// Real digits: the default network with its default options, trained on
// the default split's 8,000 train digits (web/data), reaches at least 95.5%
// on the 2,000 test digits within 10 epochs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNetwork } from 'mnist-wasm';
import { defaultData } from './helpers/common.js';

test('the default network reaches >= 95.5% on the default test digits within 10 epochs', async () => {
  const d = await defaultData();
  assert.is(d.trainLabels.length, 8000);
  assert.is(d.testLabels.length, 2000);
  const net = await createNetwork();
  assert.equal(net.options.layers, [784, 128, 64, 10]);
  const history = [];
  for (let epoch = 1; epoch <= 10; epoch++) {
    net.train(d.trainImages, d.trainLabels);
    const { accuracy } = net.evaluate(d.testImages, d.testLabels);
    history.push(`${epoch}: ${(100 * accuracy).toFixed(2)}%`);
    if (accuracy >= 0.955) break;
  }
  const reached = history.find((h) => Number(h.split(': ')[1].slice(0, -1)) >= 95.5);
  assert.ok(reached, `test accuracy per epoch: ${history.join(', ')} (options ${JSON.stringify(net.options)})`);
  net.dispose();
});

test.run();
