// A person's own digits mixed into training (Trainer.mix) and the forward
// pass seen from inside (Network.activations): the mixed passes hold each
// extra sample `repeat` times; fine-tuning on a few digits of a new style
// teaches it without forgetting MNIST; the activations are the forward
// pass's (their last layer is predict()'s probabilities).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pathToFileURL } from 'node:url';
import { createNetwork, loadMnist, loadDataset, Trainer } from 'mnist-wasm';
import { dataDir } from './helpers/common.js';

/** IDX bytes of n images (28x28) and of their labels. */
function idx(images, labels) {
  const n = labels.length;
  const im = new Uint8Array(16 + n * 784),
    lb = new Uint8Array(8 + n);
  const v = new DataView(im.buffer),
    u = new DataView(lb.buffer);
  v.setUint32(0, 0x00000803);
  v.setUint32(4, n);
  v.setUint32(8, 28);
  v.setUint32(12, 28);
  u.setUint32(0, 0x00000801);
  u.setUint32(4, n);
  im.set(images, 16);
  lb.set(labels, 8);
  return { images: im, labels: lb };
}

/** A style MNIST does not have: a digit drawn as its mirror image. */
function mirrored(img) {
  const out = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out[y * 28 + x] = img[y * 28 + 27 - x];
  return out;
}

test('activations: one array per layer; the last is the probabilities', async () => {
  const { test: t } = await loadMnist(pathToFileURL(`${dataDir}/`), { sets: ['test'] });
  const net = await createNetwork({ layers: [784, 16, 12, 10], activation: 'relu' });
  const a = net.activations(t.image(3));
  assert.equal(
    a.map((x) => x.length),
    [16, 12, 10],
  );
  assert.equal(Array.from(a[2]), Array.from(net.predict(t.image(3))), 'the output layer is predict()');
  assert.ok(
    a[0].every((v) => v >= 0),
    'relu activations are not negative',
  );
  assert.throws(
    () => net.activations(new Uint8Array(10)),
    (e) => e instanceof RangeError && /784/.test(e.message),
  );
  net.dispose();
  t.dispose();
});

test('a mixed pass holds every extra sample `repeat` times; fine-tuning teaches a new style and keeps MNIST', async () => {
  const { train, test: t } = await loadMnist(pathToFileURL(`${dataDir}/`));
  const net = await createNetwork({ seed: 3 });
  net.train(train, { epochs: 3 });
  // the new style: mirrored 2s, 3s, 4s, 7s and 9s from the test set; ten taught, others checked
  const wanted = [2, 3, 4, 7, 9];
  const pool = [];
  for (let i = 0; i < t.count && pool.length < 60; i++) if (wanted.includes(t.label(i))) pool.push(i);
  const taught = pool.slice(0, 10),
    fresh = pool.slice(10);
  const images = new Uint8Array(taught.length * 784);
  taught.forEach((k, j) => images.set(mirrored(t.image(k)), j * 784));
  const extra = await loadDataset(
    idx(
      images,
      Uint8Array.from(taught, (k) => t.label(k)),
    ),
  );
  const read = (ks) =>
    ks.filter((k) => {
      const p = net.predict(mirrored(t.image(k)));
      return p.indexOf(Math.max(...p)) === t.label(k);
    }).length;
  const before = { fresh: read(fresh), mnist: net.evaluate(t).accuracy };

  const trainer = new Trainer();
  trainer.mix(extra, 40);
  trainer.plan(1);
  net.setOptions({ learningRate: 0.1 });
  let p;
  do p = trainer.run(net, train, 4096);
  while (p.passes < 1);
  assert.is(p.samples, train.count + 40 * extra.count, 'one pass: the data and 40 of each extra digit');
  const after = { fresh: read(fresh), mnist: net.evaluate(t).accuracy };
  console.log(
    `    mirrored digits not taught, read right: ${before.fresh}/${fresh.length} before, ${after.fresh}/${fresh.length} after; MNIST test ${(100 * before.mnist).toFixed(2)}% -> ${(100 * after.mnist).toFixed(2)}%`,
  );
  assert.ok(after.fresh >= before.fresh + 6, 'the taught style is read far more often'); // 28 -> 37 of 50 measured
  assert.ok(after.mnist >= before.mnist - 0.01, 'MNIST is not forgotten');
  trainer.dispose();
  for (const x of [net, extra, train, t]) x.dispose();
});

test.run();
