// tune-personal.js: the measurements behind "Learn my handwriting"'s
// settings (web/worker.js LEARN): a network trained as the page's defaults
// train it (full MNIST, 10 epochs), mirrored styles of our stroke set as
// the handwriting MNIST does not have, ten of a style taught, and the
// fine-tune's repeat, learning rate and length varied. Prints, per setting,
// how many new drawings of the style are read as taught and the MNIST test
// accuracy before and after.
//   node tests/helpers/tune-personal.js [--final] [style-index ...]
// (--final: only the chosen setting, with and without augmentation, over
// three different sets of ten taught drawings per style.)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNetwork, loadNetwork, loadMnist, loadDataset, Trainer } from 'mnist-wasm';
import { preprocess } from '../../web/pad.js';
import { STYLES, mirrored, jittered } from './strokes.js';
import { fullDataDir } from './common.js';

const PAD = 280;
/** A drawing (strokes in pad fractions) as the page's 28x28 input in bytes, as the personal set keeps it. */
export function inputOf(strokes) {
  const f = preprocess(strokes.map((s) => s.map(([x, y]) => ({ x: x * PAD, y: y * PAD }))));
  return Uint8Array.from(f, (v) => Math.round(v * 255));
}

/** IDX bytes of n 28x28 images and their labels. */
export function idxPair(images, labels) {
  const n = labels.length;
  const im = new Uint8Array(16 + n * 784),
    lb = new Uint8Array(8 + n);
  const v = new DataView(im.buffer),
    u = new DataView(lb.buffer);
  v.setUint32(0, 0x803);
  v.setUint32(4, n);
  v.setUint32(8, 28);
  v.setUint32(12, 28);
  u.setUint32(0, 0x801);
  u.setUint32(4, n);
  im.set(images, 16);
  lb.set(labels, 8);
  return { images: im, labels: lb };
}

const argmax = (p) => p.indexOf(Math.max(...p));
const FINAL = process.argv.includes('--final'); // the chosen setting, three taught sets per style

async function main() {
  const { train, test } = await loadMnist(pathToFileURL(`${fullDataDir}/`));
  const cache = path.join(tmpdir(), 'mnist-wasm-page-default.mnwm');
  let net;
  if (existsSync(cache)) net = await loadNetwork(readFileSync(cache));
  else {
    net = await createNetwork({ learningRate: 0.5, batchSize: 8, schedule: 'cosine', seed: 1 });
    const t0 = Date.now();
    net.train(train, { epochs: 10 });
    console.log(`trained the page's default network in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    writeFileSync(cache, net.save());
  }
  const base = net.save();
  const mnist0 = net.evaluate(test).accuracy;
  console.log(`MNIST test ${(100 * mnist0).toFixed(2)}%`);

  const read = (n, drawings, label) =>
    drawings.filter((d) => argmax(Array.from(n.predict(inputOf(d)))) === label).length;
  const wanted = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map(Number);
  const styles = STYLES.map((s, i) => ({ i, s: mirrored(s) })).filter(({ i }) => !wanted.length || wanted.includes(i));
  console.log('mirrored styles, 20 jittered drawings each, read as their label:');
  const misread = [];
  for (const { i, s } of styles) {
    const r = read(net, jittered(s, 20, 1000 + i), s.label);
    console.log(`  ${i} ${s.label} ${s.name}: ${r}/20`);
    if (r <= 4) misread.push({ i, s });
  }

  const settings = [];
  if (FINAL) {
    settings.push({ repeat: 40, lr: 0.05, share: 1 }, { repeat: 40, lr: 0.05, share: 1, augment: true });
  } else {
    for (const repeat of [10, 20, 40, 80])
      for (const lr of [0.02, 0.05, 0.1]) for (const share of [0.25, 1]) settings.push({ repeat, lr, share });
  }
  const seeds = FINAL ? [1, 11, 21] : [1];
  for (const { i, s } of misread.slice(0, wanted.length ? 30 : 3))
    for (const seed of seeds) {
      const taught = jittered(s, 10, seed);
      const fresh = jittered(s, 40, 2);
      const images = new Uint8Array(10 * 784);
      taught.forEach((d, k) => images.set(inputOf(d), k * 784));
      const extra = await loadDataset(idxPair(images, new Uint8Array(10).fill(s.label)));
      console.log(`style ${i} (${s.label} ${s.name}), taught seed ${seed}: before ${read(net, fresh, s.label)}/40`);
      for (const { repeat, lr, share, augment } of settings) {
        const n = await loadNetwork(base);
        if (augment) n.setOptions({ augment: true });
        const trainer = new Trainer();
        trainer.mix(extra, repeat);
        trainer.plan(1);
        n.setOptions({ learningRate: lr });
        const total = Math.round(share * (train.count + repeat * extra.count));
        const t0 = Date.now();
        let done = 0;
        while (done < total) done += trainer.run(n, train, Math.min(4096, total - done)).trained;
        const ms = Date.now() - t0;
        const taughtRead = read(n, taught, s.label),
          freshRead = read(n, fresh, s.label);
        const acc = n.evaluate(test).accuracy;
        console.log(
          `  repeat ${String(repeat).padStart(2)} lr ${lr.toFixed(2)} ${share === 1 ? 'one pass' : `${share} pass`}${augment ? ' augmented' : ''}: taught ${taughtRead}/10, new ${freshRead}/40, MNIST ${(100 * acc).toFixed(2)}% (${(100 * (acc - mnist0)).toFixed(2)}), ${ms} ms`,
        );
        trainer.dispose();
        n.dispose();
      }
      extra.dispose();
    }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
