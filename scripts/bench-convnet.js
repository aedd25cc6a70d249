#!/usr/bin/env node
// npm run bench (its second part): the convnet the page offers,
// 28x28,conv5x8,pool2,conv5x16,pool2,128,10 (relu), trained at batch 32
// on real MNIST (web/data) as its peers train it (plain SGD at rate 0.1, no
// weight decay) by this package's wasm through its public API, on 1 and 2
// threads, by the native CLI on 1 and 2 threads, and by its peers, other
// libraries that train in a page, on one thread each
// (scripts/convnet-peers.js); and by the wasm on one thread with its
// defaults (momentum at 0.03, weight decay 0.005). samples/s of the faster
// of two timed runs each, after a warm-up, the runs interleaved so that a
// busy spell of the machine falls on all of them; then the targets.
//   node scripts/bench-convnet.js [--quick] [--markdown [--no-header]]
//     --quick      smaller runs, for a smoke test
//     --markdown   the tables as Markdown, headed by the date, the machine and the command
//     --no-header  without that header (npm run bench -- --markdown puts these tables under its own)
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { commandLine, fmt, report } from './bench-output.js';
import { PEERS } from './convnet-peers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
for (const a of args)
  if (!['--quick', '--markdown', '--no-header'].includes(a)) {
    console.error(
      `bench-convnet: unknown argument ${a} (usage: node scripts/bench-convnet.js [--quick] [--markdown [--no-header]])`,
    );
    process.exit(2);
  }
const quick = args.includes('--quick');
const markdown = args.includes('--markdown');

const LAYERS = '28x28,conv5x8,pool2,conv5x16,pool2,128,10';
const BATCH = 32;
const SAMPLES = quick ? 2048 : 16384; // a timed run
// the peers' settings (scripts/convnet-peers.js), so that the ratio compares like with like
const AS_PEERS = { optimizer: 'sgd', learningRate: 0.1, weightDecay: 0 };
const TARGET = 10000; // samples/s on one wasm thread at batch 32, with the defaults
const PEER_TARGET = 20; // times the fastest peer, on one wasm thread
// a peer's warm-up and timed run: whole batches until this many seconds have passed
const PEER_WARMUP = quick ? 0.2 : 1;
const PEER_SECONDS = quick ? 0.5 : 3;
const now = () => performance.now() / 1000;

const { createNetwork, parseIdx } = await import('mnist-wasm');
const read = async (f) => (await parseIdx(gunzipSync(await readFile(path.join(root, 'web/data', `${f}.gz`))))).data;
const x = await read('train-images-idx3-ubyte');
const y = await read('train-labels-idx1-ubyte');

async function wasmRate(threads, options = AS_PEERS) {
  const net = await createNetwork({ layers: LAYERS, batchSize: BATCH, threads, ...options });
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
  args.push('--optimizer', AS_PEERS.optimizer, '--lr', String(AS_PEERS.learningRate));
  args.push('--weight-decay', String(AS_PEERS.weightDecay));
  let best = 0;
  for (let k = 0; k < 2; k++) {
    const r = spawnSync(exe, [...args, '--epochs', '1', '--threads', String(threads)], { encoding: 'utf8' });
    const m = r.stdout?.match(/(\d+) samples\/s/);
    if (!m) return NaN;
    best = Math.max(best, Number(m[1]));
  }
  return best;
}

// Whole batches for at least `seconds` (and at least one): samples/s.
async function peerRate(trainer, seconds) {
  const t0 = now();
  let batches = 0;
  do {
    await trainer.train(1);
    batches++;
  } while (now() - t0 < seconds);
  return (batches * BATCH) / (now() - t0);
}

// Each peer opened (its first batch in there) and warmed up, or the reason it is left out.
const peers = [];
for (const { name, open } of PEERS) {
  try {
    const trainer = await open({ images: x, labels: y });
    await peerRate(trainer, PEER_WARMUP);
    peers.push({ name, trainer, rate: 0, before: await trainer.probe() });
  } catch (e) {
    peers.push({ name, missing: e.message });
  }
}

const loadBefore = os.loadavg()[0];
const rates = { wasm1: 0, wasm2: 0, native1: 0, native2: 0, defaults1: 0 };
for (let round = 0; round < 2; round++) {
  rates.wasm1 = Math.max(rates.wasm1, await wasmRate(1));
  rates.defaults1 = Math.max(rates.defaults1, await wasmRate(1, {}));
  rates.native1 = Math.max(rates.native1, nativeRate(1));
  rates.wasm2 = Math.max(rates.wasm2, await wasmRate(2));
  rates.native2 = Math.max(rates.native2, nativeRate(2));
  for (const p of peers) if (p.trainer) p.rate = Math.max(p.rate, await peerRate(p.trainer, PEER_SECONDS));
}
for (const p of peers)
  if (p.trainer) {
    p.after = await p.trainer.probe();
    p.trainer.dispose();
  }
const loadAfter = os.loadavg()[0];
const out = report({ markdown });
if (markdown && !args.includes('--no-header'))
  out.header(`mnist-wasm convnet bench`, commandLine('scripts/bench-convnet.js', args), [['data', 'MNIST (web/data)']]);
out.lines(
  `the convnet ${LAYERS}, batch ${BATCH}, plain SGD at rate ${AS_PEERS.learningRate} as its peers train it, samples/s (faster of the runs)`,
);
out.table(
  [
    ['wasm (Node)', rates.wasm1, rates.wasm2],
    ['native CLI', rates.native1, rates.native2],
  ].map(([name, a, b]) => [name, fmt(a), fmt(b), fmt(b / a, 2)]),
  ['', '1 thread', '2 threads', '2 / 1'],
);
const ok = rates.defaults1 >= TARGET;
const d = await createNetwork({ layers: LAYERS });
const named = `${d.options.optimizer}, rate ${d.options.learningRate}, weight decay ${d.options.weightDecay}`;
d.dispose();
out.lines(
  `with its defaults (${named}), on one wasm thread: ${fmt(rates.defaults1)} samples/s`,
  `target: ${fmt(TARGET)} samples/s on one wasm thread with the defaults: ${ok ? 'met' : 'not met'} (${fmt(rates.defaults1)})`,
);

// A peer learns if its loss on a batch it never trains on fell over the timed
// runs; one that does not is broken, and its rate counts for nothing.
const times = (v) => `${v.toFixed(v < 100 ? 1 : 0)}x`;
out.lines(
  `peers: the same convnet, batch and plain SGD, one thread each; ours: wasm on 1 thread (${fmt(rates.wasm1)})`,
);
const measured = peers.filter((p) => !p.missing);
for (const p of measured) p.learns = p.after < p.before;
out.table(
  measured.map((p) => [
    p.name,
    fmt(p.rate),
    times(rates.wasm1 / p.rate),
    `${p.before.toFixed(4)} -> ${p.after.toFixed(4)}${p.learns ? '' : ': did not fall, left out of the target'}`,
  ]),
  ['', 'samples/s', 'ours/peer', 'loss on an unseen batch, before -> after the timed runs'],
);
out.lines(...peers.filter((p) => p.missing).map((p) => `${p.name}: left out: ${p.missing}`));
const counted = measured.filter((p) => p.learns).sort((a, b) => b.rate - a.rate);
const fastest = counted[0];
if (fastest) {
  const r = rates.wasm1 / fastest.rate;
  const of = counted.length < peers.length ? `, ${counted.length} of ${peers.length} peers measured` : '';
  out.lines(
    `target: at least ${PEER_TARGET}x the fastest peer (${fastest.name}${of}): ${r >= PEER_TARGET ? 'met' : 'not met'} (${times(r)})`,
  );
} else out.lines(`target: at least ${PEER_TARGET}x the fastest peer: not measured (no peer trained)`);
out.lines(`load average ${loadBefore.toFixed(1)} before the timed runs, ${loadAfter.toFixed(1)} after`);
console.log(`\n${out}`);
