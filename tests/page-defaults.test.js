// The page's settings form starts at the library's defaults, which C
// sets (nn_config_default): a default changed in C and not in
// web/index.html, or the other way round, fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNetwork, init } from 'mnist-wasm';
import { readFileSync } from 'node:fs';

const html = readFileSync(new URL('../web/index.html', import.meta.url), 'utf8');

/** The value attribute of the <input id=...>. */
function inputValue(id) {
  const tag = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`).exec(html);
  assert.ok(tag, `web/index.html has <input id="${id}">`);
  return /\bvalue="([^"]*)"/.exec(tag[0])?.[1];
}

/** The value of the selected <option> of <select id=...>. */
function selected(id) {
  const select = new RegExp(`<select[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  assert.ok(select, `web/index.html has <select id="${id}">`);
  return /<option value="([^"]*)"[^>]*\bselected\b/.exec(select[1])?.[1];
}

test.before(async () => {
  await init();
});

test('the page\'s form starts at the defaults of C', async () => {
  const net = await createNetwork();
  const d = net.options;
  net.dispose();
  assert.is(Number(inputValue('lr')), d.learningRate, 'learning rate');
  assert.is(Number(inputValue('batch')), d.batchSize, 'batch size');
  assert.is(Number(inputValue('seed')), Number(d.seed), 'seed');
  assert.is(Number(inputValue('weight-decay')), d.weightDecay, 'weight decay');
  assert.is(inputValue('hidden'), d.layers.slice(1, -1).join(','), 'hidden layers');
  assert.is(selected('schedule'), d.schedule, 'schedule');
  assert.is(selected('optimizer'), d.optimizer, 'optimizer');
  assert.is(selected('activation'), d.activation, 'activation');
  const augmentTag = /<input[^>]*\bid="augment"[^>]*>/.exec(html)[0];
  assert.is(/\bchecked\b/.test(augmentTag), Object.values(d.augment).some((v) => v !== 0), 'augment');
});

test.run();
