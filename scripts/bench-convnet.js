#!/usr/bin/env node
// npm run bench (its second part): the convnet the page offers,
// 28x28,conv5x8,pool2,conv5x16,pool2,128,10 with its defaults (relu, rate
// 0.1), trained at batch 32 on real MNIST (web/data) by this package's
// wasm through its public API, on 1 and 2 threads, and by the native CLI
// on 1 and 2 threads; samples/s of the faster of two timed runs each, after
// a warm-up, the runs interleaved so that a busy spell of the machine falls
// on all of them; then the target.
//   node scripts/bench-convnet.js [--quick]   (--quick: smaller runs, for a smoke test)
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
for (const a of process.argv.slice(2))
  if (a !== '--quick') {
    console.error(`bench-convnet: unknown argument ${a} (usage: node scripts/bench-convnet.js [--quick])`);
    process.exit(2);
  }

const LAYERS = '28x28,conv5x8,pool2,conv5x16,pool2,128,10';
const BATCH = 32;
const SAMPLES = quick ? 2048 : 16384; // a timed run
const TARGET = 10000; // samples/s on one wasm thread at batch 32
const now = () => performance.now() / 1000;
const fmt = (v) => Math.round(v).toLocaleString('en-US');

const { createNetwork, parseIdx } = await import('mnist-wasm');
const read = async (f) => (await parseIdx(gunzipSync(await readFile(path.join(root, 'web/data', `${f}.gz`))))).data;
const x = await read('train-images-idx3-ubyte');
const y = await read('train-labels-idx1-ubyte');

async function wasmRate(threads) {
  const net = await createNetwork({ layers: LAYERS, batchSize: BATCH, threads });
  const part = (k) => [
    x.subarray(k * SAMPLES * 784, (k + 1) * SAMPLES * 784),
    y.subarray(k * SAMPLES, (k + 1) * SAMPLES),
  ];
  // warm-up: V8 compiles the hot wasm functions with its optimising tier after a first run
  const [wx, wy] = [x.subarray(0, 2048 * 784), y.subarray(0, 2048)];
  for (const t0 = now(); now() - t0 < (quick ? 0.2 : 1);) net.train(wx, wy);
  let best = Infinity;
  for (let k = 1; k <= 2; k++) best = Math.min(best, net.train(...part(k), { epochs: 1 }).seconds);
  net.dispose();
  return SAMPLES / best;
}

// The native CLI on the small split (10,000 digits), one epoch: its own samples/s line.
function nativeRate(threads) {
  const exe = path.join(root, 'build/native/mnist-train');
  const args = ['--data', path.join(root, 'web/data/small'), '--layers', LAYERS, '--batch', String(BATCH)];
  let best = 0;
  for (let k = 0; k < 2; k++) {
    const r = spawnSync(exe, [...args, '--epochs', '1', '--threads', String(threads)], { encoding: 'utf8' });
    const m = r.stdout?.match(/(\d+) samples\/s/);
    if (!m) return NaN;
    best = Math.max(best, Number(m[1]));
  }
  return best;
}

const rates = { wasm1: 0, wasm2: 0, native1: 0, native2: 0 };
for (let round = 0; round < 2; round++) {
  rates.wasm1 = Math.max(rates.wasm1, await wasmRate(1));
  rates.native1 = Math.max(rates.native1, nativeRate(1));
  rates.wasm2 = Math.max(rates.wasm2, await wasmRate(2));
  rates.native2 = Math.max(rates.native2, nativeRate(2));
}
console.log(`\nthe convnet ${LAYERS}, batch ${BATCH}, samples/s (faster of the runs)`);
console.log(`                 1 thread   2 threads   2 / 1`);
for (const [name, a, b] of [
  ['wasm (Node)', rates.wasm1, rates.wasm2],
  ['native CLI', rates.native1, rates.native2],
])
  console.log(`${name.padEnd(15)} ${fmt(a).padStart(10)} ${fmt(b).padStart(11)} ${(b / a).toFixed(2).padStart(7)}`);
const ok = rates.wasm1 >= TARGET;
console.log(`target: ${fmt(TARGET)} samples/s on one wasm thread: ${ok ? 'met' : 'not met'} (${fmt(rates.wasm1)})`);
