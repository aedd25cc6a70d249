// The page's Save model in other formats and Open model of a NumPy .npz
// (docs/export.md): an .npz opens as the network Node loads from it, Save
// as NumPy, ONNX and TensorFlow.js download what net.export gives in Node,
// the model file stays the default, and each bad .npz of the table
// (tests/helpers/bad-npz.js) is refused with the reader's message while
// the model in use stays.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createNetwork, loadNetwork } from 'mnist-wasm';
import { openModel, servedPage, waitForAlert } from './helpers.js';
import { SEED, badNpzCases } from '../helpers/bad-npz.js';

const { ready, close } = servedPage();
test.after(close);

let npz, node; // an .npz of a convnet, and the network Node loads from it

/** Save model with Save as set to format: the downloads, { name: bytes }, once count have come. */
async function saveAs(page, format, count = 1) {
  await page.getByLabel('Save as').selectOption(format);
  const files = {};
  const downloads = new Promise((resolve) => {
    page.on('download', async function take(d) {
      files[d.suggestedFilename()] = readFileSync(await d.path());
      if (Object.keys(files).length === count) {
        page.off('download', take);
        resolve(files);
      }
    });
  });
  await page.getByRole('button', { name: 'Save model' }).click();
  return downloads;
}

test.before(async () => {
  const net = await createNetwork({ layers: '28x28,conv5x4,pool2,32,10', seed: 5 });
  npz = net.export('npz');
  net.dispose();
  node = await loadNetwork(npz);
});

test('Open model takes an .npz, and Save model still writes the model file by default', async () => {
  const { page } = await ready();
  await openModel(page, Buffer.from(npz), 'convnet.npz');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save model' }).click(),
  ]);
  assert.is(download.suggestedFilename(), 'mnist-model.mnwm');
  const opened = await loadNetwork(readFileSync(await download.path()));
  assert.equal(opened.parameters(), node.parameters(), 'the weights of the opened .npz');
  assert.equal(opened.options.layers, node.options.layers);
  opened.dispose();
});

test('Save as NumPy, ONNX and TensorFlow.js download the bytes net.export gives in Node', async () => {
  const { page } = await ready();
  const npzSaved = await saveAs(page, 'npz');
  assert.ok(Buffer.from(node.export('npz')).equals(npzSaved['mnist-model.npz']), 'the .npz');
  const onnx = await saveAs(page, 'onnx');
  assert.ok(Buffer.from(node.export('onnx')).equals(onnx['mnist-model.onnx']), 'the .onnx');
  const tfjs = await saveAs(page, 'tfjs', 2);
  for (const [name, bytes] of Object.entries(node.export('tfjs')))
    assert.ok(Buffer.from(bytes).equals(tfjs[name]), `TF.js ${name}`);
  await page.getByLabel('Save as').selectOption('model');
});

test('each bad .npz of the table is refused with the reader’s message, and the model in use stays', async () => {
  const { page } = await ready();
  const net = await createNetwork({ layers: SEED, seed: 3 });
  const real = Buffer.from(net.export('npz'));
  net.dispose();
  const cases = badNpzCases(() => real);
  assert.ok(cases.length >= 20, `${cases.length} cases`);
  for (const [name, bytes, message] of cases) {
    const file = `${name.replace(/\W+/g, '-')}.npz`;
    await page
      .locator('#open-model')
      .setInputFiles({ name: file, mimeType: 'application/octet-stream', buffer: bytes() });
    const said = await waitForAlert(page, new RegExp(`^${file.replace(/\./g, '\\.')} was refused`));
    assert.is(said, `${file} was refused, the model in use is unchanged: ${message()}.`, name);
  }
  const saved = await saveAs(page, 'npz');
  assert.ok(Buffer.from(npz).equals(saved['mnist-model.npz']), 'the model in use after the refusals');
});

test.after(() => node?.dispose());

test.run();
