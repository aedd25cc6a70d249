// Old model files: files of format versions 1 (written by mnist-wasm
// 0.1.0's code) and 2 (the code before format 3), kept in tests/fixtures
// with the probabilities they gave for the first 20 test digits, load with
// identical predictions, the options added since off (raw input; for
// version 1 no schedule or weight decay) and those they stored kept; a file
// from a newer version is refused with a message that names both versions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadNetwork, loadDataset } from 'mnist-wasm';
import { dataDir } from './helpers/common.js';

const fixtures = new URL('./fixtures/', import.meta.url);
const expected = [1, 2].map((version) => ({
  version,
  files: JSON.parse(readFileSync(new URL(`v${version}-predictions.json`, fixtures), 'utf8')),
}));
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

for (const { version, files } of expected)
  for (const [name, want] of Object.entries(files)) {
    test(`${name}: a version ${version} file loads with the same predictions`, async () => {
      const bytes = new Uint8Array(readFileSync(new URL(`${name}.mnwm`, fixtures)));
      assert.is(new DataView(bytes.buffer).getUint32(4, true), version, `the fixture is format version ${version}`);
      const net = await loadNetwork(bytes);
      assert.is(net.steps, want.steps);
      const kept = ['layers', 'activation', 'optimizer', 'learningRate', 'batchSize'];
      if (version >= 2) kept.push('schedule', 'weightDecay', 'augment');
      for (const k of kept) assert.equal(net.options[k], want.options[k], k);
      if (version === 1) assert.equal([net.options.schedule, net.options.weightDecay], ['constant', 0]);
      assert.is(net.options.input, 'raw', 'trained on raw input, loaded as raw');
      const probs = Array.from(net.predict(images));
      assert.equal(probs, want.probs, 'the same probabilities, bit for bit');
      // saved again: format 3, and it reads back the same
      const resaved = net.save();
      assert.is(new DataView(resaved.buffer, resaved.byteOffset).getUint32(4, true), 3);
      const again = await loadNetwork(resaved);
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
      assert.match(e.message, /reads versions 1 to 4/);
    },
  );
});

test.run();
