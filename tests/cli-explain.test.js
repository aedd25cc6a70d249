// The explain command: both command lines print the same bytes (text and
// --json) for a dense model and a convnet, the numbers are the API's
// (net.gradients, net.gradientCheck with count 10), and a bad line fails
// the same way in both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNetwork, init } from 'mnist-wasm';
import { dataDir, defaultData, requireNative, bothCommands, runAsync } from './helpers/common.js';

let tmp, native, data;
const T = (...p) => path.join(tmp, ...p);

const both = bothCommands;

const MODELS = {
  dense: ['--layers', '784,32,10', '--activation', 'tanh'],
  convnet: ['--layers', '28x28,conv5x4,pool2,conv3x8,pool2,24,10'],
};

test.before(async () => {
  native = requireNative().train;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-explain-'));
  await init();
  data = await defaultData();
  await Promise.all(
    Object.entries(MODELS).map(async ([name, args]) => {
      const r = await runAsync(native, ['--data', dataDir, '--epochs', '1', ...args, '--save', T(`${name}.bin`)]);
      assert.is(r.status, 0, r.stderr);
    }),
  );
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const norm = (x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

for (const name of Object.keys(MODELS))
  test(`explain ${name}: the same text and JSON from both, with the API's numbers`, async () => {
    const index = 11;
    const args = ['explain', '--load', T(`${name}.bin`), '--data', dataDir, '--index', String(index)];
    const text = await both(args);
    assert.is(text.native.status, 0, text.native.stderr);
    assert.is(text.node.stdout, text.native.stdout);
    const lines = text.native.stdout.trimEnd().split('\n');
    const json = await both([...args, '--json']);
    assert.is(json.native.status, 0, json.native.stderr);
    assert.is(json.node.stdout, json.native.stdout);
    const out = JSON.parse(json.native.stdout);

    const net = await loadNetwork(readFileSync(T(`${name}.bin`)));
    const image = data.testImages.subarray(index * 784, (index + 1) * 784),
      label = data.testLabels[index];
    const g = net.gradients(image, label);
    const c = net.gradientCheck(image, label, { count: 10 });
    assert.is(out.type, 'explain');
    assert.is(out.label, label);
    assert.is(Math.fround(out.loss), g.loss, 'the loss, a float32 written in its fewest digits');
    assert.equal(out.probabilities.map(Math.fround), Array.from(g.probabilities));
    assert.is(out.layers.length, g.layers.length);
    assert.is(lines.length, g.layers.length + 2);
    assert.match(
      lines[0],
      new RegExp(`^explain  index ${index}  label ${label}  predicted \\d  p [01]\\.\\d{4}  loss `),
    );
    net.layers.forEach((y, l) => {
      const o = out.layers[l];
      assert.is(o.type, y.type);
      assert.equal(o.shape, [y.output.rows, y.output.cols, y.output.channels]);
      assert.ok(Math.abs(o.deltaNorm - norm(g.layers[l].delta)) <= 1e-12 * o.deltaNorm, `layer ${l} delta norm`);
      assert.is(o.checked, c.layers[l].checked);
      if (y.weights) {
        assert.ok(Math.abs(o.weightsNorm - norm(g.layers[l].weights)) <= 1e-12 * o.weightsNorm, `layer ${l} dW norm`);
        assert.is(o.maxRelativeError, c.layers[l].maxRelativeError);
        assert.match(
          lines[l + 1],
          new RegExp(`^layer ${l + 1}  ${y.type} .* \\|dW\\| \\d\\.\\d{3}e[-+]\\d\\d .* check `),
        );
      } else assert.is(o.weightsNorm, undefined);
    });
    assert.is(out.maxRelativeError, c.maxRelativeError);
    assert.ok(c.maxRelativeError < 1e-2, `${c.maxRelativeError}`);
    assert.match(lines.at(-1), /^gradient check: largest relative error \d\.\de-\d\d /);
    net.dispose();
  });

for (const [what, args, status, message] of [
  ['no --index', ['--data', 'DATA', '--load', 'MODEL'], 2, 'explain needs --index N (try --help)'],
  ['no --load', ['--data', 'DATA', '--index', '1'], 2, '--load FILE is required (try --help)'],
  [
    'an option of training',
    ['--data', 'DATA', '--load', 'MODEL', '--index', '1', '--epochs', '2'],
    2,
    '--epochs does not apply to explain (try --help)',
  ],
  [
    'an index past the test set',
    ['--data', 'DATA', '--load', 'MODEL', '--index', '2000'],
    1,
    '--index 2000: the test set has 2000 images (0..1999)',
  ],
])
  test(`explain with ${what}: the same message and status from both`, async () => {
    const line = args.map((a) => (a === 'DATA' ? dataDir : a === 'MODEL' ? T('dense.bin') : a));
    const r = await both(['explain', ...line]);
    assert.is(r.native.status, status);
    assert.is(r.node.status, status);
    assert.is(r.native.stderr, `mnist-train: ${message}\n`);
    assert.is(r.node.stderr, `mnist-wasm: ${message}\n`);
    assert.is(r.native.stdout + r.node.stdout, '');
  });

test.run();
