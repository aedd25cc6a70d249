// The page's settings form starts at C's defaults (nn_config_default and
// the command lines' epochs), which the worker sends when it is ready:
// web/index.html holds none of them, so they cannot drift apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createNetwork, init } from 'mnist-wasm';
import { servedPage } from './helpers.js';

const { ready, close } = servedPage();
test.after(close);

const html = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');
const FIELDS = ['lr', 'batch', 'epochs', 'hidden', 'seed', 'weight-decay'];
const CHOICES = ['optimizer', 'activation', 'input', 'schedule'];

test('web/index.html writes no default: no value on the settings, no option selected', () => {
  for (const id of FIELDS) {
    const tag = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`).exec(html);
    assert.ok(tag, `<input id="${id}">`);
    assert.not.match(tag[0], /\bvalue=/, `<input id="${id}"> has a value`);
  }
  for (const id of CHOICES) {
    const select = new RegExp(`<select[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
    assert.ok(select, `<select id="${id}">`);
    assert.not.match(select[1], /\bselected\b/, `<select id="${id}"> has a selected option`);
  }
  assert.not.match(/<input[^>]*\bid="augment"[^>]*>/.exec(html)[0], /\bchecked\b/);
});

test("the form, once the page is ready, shows C's defaults", async () => {
  const { page } = await ready();
  const w = await init();
  const net = await createNetwork();
  const d = net.options;
  net.dispose();
  const form = await page.evaluate(
    ([fields, choices]) =>
      Object.fromEntries(
        [...fields, ...choices, 'augment'].map((id) => {
          const el = document.getElementById(id);
          return [id, el.type === 'checkbox' ? el.checked : el.value];
        }),
      ),
    [FIELDS, CHOICES],
  );
  assert.equal(form, {
    lr: String(d.learningRate),
    batch: String(d.batchSize),
    epochs: String(w.facts.cli.epochs),
    hidden: d.layers.slice(1, -1).join(','),
    seed: String(d.seed),
    'weight-decay': String(d.weightDecay),
    optimizer: d.optimizer,
    activation: d.activation,
    input: d.input,
    schedule: d.schedule,
    augment: Object.values(d.augment ?? {}).some((v) => v !== 0),
  });
});

test.run();
