#!/usr/bin/env node
// Training speed of the default network, wasm in Node against the native
// build, on the default data set (web/data, 8,000 digits) and, when Debian's
// dataset-fashion-mnist is installed, on Fashion-MNIST (60,000 images).
//   node scripts/bench.js [--epochs N]      (npm run bench)
// Prints one line per run: data, engine, samples/s, test accuracy. Builds
// nothing: run npm run build (and node scripts/build.js --native) first.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createNetwork, fetchIdx } from '../web/lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--epochs');
const epochs = at > 0 ? Number(process.argv[at + 1]) : 1;
if (!(Number.isInteger(epochs) && epochs >= 1)) {
  console.error('bench: --epochs takes an integer >= 1');
  process.exit(2);
}
const native = path.join(root, 'build/native/mnist-train');
const sets = [['default', path.join(root, 'web/data')], ['fashion-mnist', '/usr/share/datasets/fashion-mnist']].filter(([, dir]) => existsSync(dir));

async function load(dir, name) {
  return (await fetchIdx(pathToFileURL(path.join(dir, `${name}.gz`)))).data;
}

for (const [label, dir] of sets) {
  const [ti, tl, ei, el] = await Promise.all(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((n) => load(dir, n)));
  const net = await createNetwork();
  let seconds = 0;
  for (let e = 0; e < epochs; e++) seconds += net.train(ti, tl).seconds;
  const acc = net.evaluate(ei, el).accuracy;
  console.log(`${label.padEnd(14)} wasm (node ${process.versions.node})  ${Math.round((tl.length * epochs) / seconds)} samples/s  test ${(100 * acc).toFixed(2)}%`);
  net.dispose();
  if (existsSync(native)) {
    const r = spawnSync(native, ['--data', dir, '--epochs', String(epochs)], { encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('epoch'));
    if (r.status !== 0 || !lines.length) {
      console.log(`${label.padEnd(14)} native: failed: ${r.stderr.trim()}`);
      continue;
    }
    const rates = lines.map((l) => Number(/(\d+) samples\/s/.exec(l)[1]));
    const mean = rates.reduce((s, v) => s + v, 0) / rates.length;
    console.log(`${label.padEnd(14)} native (-O3 -march=native)  ${Math.round(mean)} samples/s  test ${/test ([\d.]+)%/.exec(lines.at(-1))[1]}%`);
  } else {
    console.log(`${label.padEnd(14)} native: not built (node scripts/build.js --native)`);
  }
}
