// Old model files: files of format version 1 (written by mnist-wasm 0.1.0's
// code, kept in tests/fixtures with the probabilities they gave for the
// first 20 test digits) load with identical predictions and the options
// that format 2 added off; a file from a newer version is refused with a
// message that names both versions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadNetwork, loadDataset } from 'mnist-wasm';
import { dataDir } from './helpers/common.js';

const fixtures = new URL('./fixtures/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('v1-predictions.json', fixtures), 'utf8'));
let images;

test.before(async () => {
  const test = await loadDataset({
    images: new URL(`file://${dataDir}/t10k-images-idx3-ubyte.gz`),
    labels: new URL(`file://${dataDir}/t10k-labels-idx1-ubyte.gz`),
  });
  images = new Uint8Array(20 * 784);
  for (let i = 0; i < 20; i++) images.set(test.image(i), i * 784);
  test.dispose();
});

for (const name of Object.keys(expected)) {
  test(`${name}: a version 1 file loads with the same predictions`, async () => {
    const bytes = new Uint8Array(readFileSync(new URL(`${name}.mnwm`, fixtures)));
    assert.is(new DataView(bytes.buffer).getUint32(4, true), 1, 'the fixture is format version 1');
    const net = await loadNetwork(bytes);
    const want = expected[name];
    assert.is(net.steps, want.steps);
    for (const k of ['layers', 'activation', 'optimizer', 'learningRate', 'batchSize'])
      assert.equal(net.options[k], want.options[k], k);
    assert.is(net.options.schedule, 'constant');
    assert.is(net.options.weightDecay, 0);
    const probs = Array.from(net.predict(images));
    assert.equal(probs, want.probs, 'the same probabilities, bit for bit');
    // saved again: format 2, and it reads back the same
    const again = await loadNetwork(net.save());
    assert.equal(Array.from(again.predict(images)), want.probs);
    net.dispose();
    again.dispose();
  });
}

test('a file from a newer format version is refused, naming both versions', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('v1-sigmoid-sgd.mnwm', fixtures)));
  new DataView(bytes.buffer).setUint32(4, 9, true);
  await loadNetwork(bytes).then(
    () => assert.unreachable('loaded a version 9 file'),
    (e) => {
      assert.is(e.code, 'NN_ERR_VERSION');
      assert.match(e.message, /version 9/);
      assert.match(e.message, /reads versions 1 to 2|up to version 2/);
    },
  );
});

test.run();
