#!/usr/bin/env node
// npm run bench: the same 784-128-64-10 sigmoid network (softmax output,
// cross-entropy, plain SGD), trained on the same real data by
//   - this package's wasm, through its public API ('mnist-wasm'),
//   - the native CLI, build/native/mnist-train (-O3 -march=native),
//   - TensorFlow.js with its wasm backend (@tensorflow/tfjs-backend-wasm,
//     SIMD, one thread; it reads its .wasm from node_modules),
// on one thread each. Prints samples/s at batch 1, 32 and 64, the latency of
// predict() on one image (median of 10,000 calls) and the evaluate rate on
// the test set, with the ratios, as a table; then the training rate with
// the defaults, plain, augmented (--augment) and on raw input (--input raw)
// side by side, and what augmentation and centred input cost; then the
// targets. Then threads: this package and the
// native CLI with 1, 2 (and more where the machine has more cores) threads
// at batch 32, 64 and 256 and augmented at 64, side by side, their runs
// interleaved so that a busy spell of the machine falls on all of them,
// with a check that every thread count saved the same bytes, and the
// threads' targets.
//
// Data: Fashion-MNIST (60,000 + 10,000 images) from Debian's
// dataset-fashion-mnist; without it, the default set in web/data, said so.
// Every engine warms up before it is timed (V8 compiles hot wasm functions
// with its optimising tier after a first run in its baseline tier), and
// TensorFlow.js, some 20x slower, trains on a part of the set to keep the
// whole run to a minute or two (scripts/bench-tfjs.js). Then the convnet
// (scripts/bench-convnet.js). Tables and the Markdown: scripts/bench-output.js.
//   node scripts/bench.js [--quick] [--markdown [--write]]
//     --quick     smaller runs, for a smoke test
//     --markdown  the tables as Markdown, headed by the date, the machine and the command
//     --write     also put that Markdown in docs/speed.md's generated block (a full run only)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine, fmt, report, writeBlock } from './bench-output.js';
import { benchTf } from './bench-tfjs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const USAGE = 'usage: node scripts/bench.js [--quick] [--markdown [--write]]';
for (const a of args)
  if (!['--quick', '--markdown', '--write'].includes(a)) {
    console.error(`bench: unknown argument ${a} (${USAGE})`);
    process.exit(2);
  }
const quick = args.includes('--quick');
const markdown = args.includes('--markdown');
const write = args.includes('--write');
if (write && (!markdown || quick)) {
  console.error(`bench: --write takes --markdown and a full run, not --quick (${USAGE})`);
  process.exit(2);
}
const SPEED_DOC = path.join(root, 'docs/speed.md');

const LAYERS = [784, 128, 64, 10];
const LR = 0.1;
const SEED = 1;
const BATCHES = [1, 32, 64];
const PREDICT_CALLS = quick ? 1000 : 10000;
// TensorFlow.js samples per timed run: about two seconds each on this kind of machine
const TF_SAMPLES = { 1: quick ? 200 : 1000, 32: quick ? 1024 : 8192, 64: quick ? 1024 : 12800 };
const TARGETS = {
  train1: 40000,
  train64: 80000,
  predictUs: 10,
  centredPredict: 0.1,
  evaluate: 200000,
  augmentCost: 0.25,
};
// samples per timed run of the plain/augmented comparison (each engine)
const AUGMENT_SAMPLES = quick ? 4000 : 20000;
// the threads table's rows: batch sizes, and one augmented (each thread distorts its own rows)
const THREAD_CASES = [
  { key: '32', batch: 32 },
  { key: '64', batch: 64 },
  { key: '256', batch: 256 },
  { key: '64 augmented', batch: 64, augment: true },
];
const THREAD_COUNTS = [...new Set([1, 2, Math.min(os.cpus().length, 8)])];
const THREAD_ROUNDS = quick ? 1 : 3; // runs of each setting; the fastest counts
const THREAD_TARGETS = { 32: 1.5, 64: 1.7 }; // 2 threads over 1

const NATIVE = path.join(root, 'build/native/mnist-train');
const FASHION = '/usr/share/datasets/fashion-mnist';
const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

const now = () => performance.now() / 1000;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const log = (s) => process.stderr.write(`${s}\n`);

// ---- build and data --------------------------------------------------------

/** Builds the wasm module (and the native CLI) if they are missing or stale. */
function build() {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build.js'), '--native'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) log('bench: the build failed; benchmarking what is there');
}

async function loadData() {
  const { parseIdx } = await import('mnist-wasm');
  const fashion = FILES.every((f) => existsSync(path.join(FASHION, `${f}.gz`)));
  const dir = fashion ? FASHION : path.join(root, 'web/data');
  // gunzip with node:zlib (quicker than the streaming path), parse with the package
  const [x, y, tx, ty] = await Promise.all(
    FILES.map(async (f) => (await parseIdx(gunzipSync(await readFile(path.join(dir, `${f}.gz`))))).data),
  );
  const name = fashion
    ? 'Fashion-MNIST'
    : 'the default MNIST split in web/data (Fashion-MNIST missing: apt-get install dataset-fashion-mnist)';
  return { dir, name, x, y, tx, ty, n: y.length, nt: ty.length };
}

// ---- this package -----------------------------------------------------------

async function benchWasm(d) {
  const { createNetwork, init } = await import('mnist-wasm');
  const opts = (batchSize) => ({
    layers: LAYERS,
    activation: 'sigmoid',
    optimizer: 'sgd',
    learningRate: LR,
    batchSize,
    seed: SEED,
  });
  // the module the package took here: the threaded one wherever SharedArrayBuffer works (here at 1 thread)
  const out = { train: {}, accuracy: {}, module: (await init()).threadsReason ? 'mnist.wasm' : 'mnist-threads.wasm' };
  let keep = null;
  for (const b of BATCHES) {
    // warm-up: train a throwaway network for half a second
    const warm = await createNetwork(opts(b));
    const part = Math.min(d.n, 2048);
    for (const t0 = now(); now() - t0 < (quick ? 0.2 : 0.5);)
      warm.train(d.x.subarray(0, part * 784), d.y.subarray(0, part));
    warm.dispose();
    // two epochs, the faster one counts, as for the native CLI (a busy
    // machine slows one or the other); the accuracy is after the first
    const net = await createNetwork(opts(b));
    const r = net.train(d.x, d.y, { epochs: 1 });
    out.accuracy[b] = net.evaluate(d.tx, d.ty).accuracy;
    const r2 = quick ? r : net.train(d.x, d.y, { epochs: 1 });
    out.train[b] = d.n / Math.min(r.seconds, r2.seconds);
    log(`  wasm     batch ${b}: ${fmt(out.train[b])} samples/s`);
    if (b === 64) keep = net;
    else net.dispose();
  }
  // predict one image at a time, a different test image each call; the
  // default (centred) network and one on raw input in turns of 100 calls,
  // so that a busy spell slows both alike
  const img = (i) => d.tx.subarray((i % d.nt) * 784, ((i % d.nt) + 1) * 784);
  const raw = await createNetwork({ ...opts(64), input: 'raw' });
  raw.train(d.x.subarray(0, 2048 * 784), d.y.subarray(0, 2048));
  const lat = { centred: [], raw: [] };
  for (let i = 0; i < 1000; i++) (keep.predict(img(i)), raw.predict(img(i)));
  for (let i = 0; i < PREDICT_CALLS; i += 100)
    for (const [key, net] of [
      ['centred', keep],
      ['raw', raw],
    ])
      for (let j = i; j < i + 100; j++) {
        const t0 = performance.now();
        net.predict(img(j));
        lat[key].push(performance.now() - t0);
      }
  raw.dispose();
  out.predictUs = median(lat.centred) * 1000;
  out.predictRawUs = median(lat.raw) * 1000;
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = now();
    keep.evaluate(d.tx, d.ty);
    best = Math.min(best, now() - t0);
  }
  out.evaluate = d.nt / best;
  log(
    `  wasm     predict ${out.predictUs.toFixed(1)} us (raw input ${out.predictRawUs.toFixed(1)}), evaluate ${fmt(out.evaluate)} images/s`,
  );
  keep.dispose();
  return out;
}

// ---- the native CLI -------------------------------------------------------

function benchNative(d) {
  if (!existsSync(NATIVE)) return { missing: 'build/native/mnist-train not built (node scripts/build.js --native)' };
  const out = { train: {}, accuracy: {} };
  for (const b of BATCHES) {
    // two epochs, the faster one counts (the first also pages the data in)
    const args = [
      '--data',
      d.dir,
      '--epochs',
      quick ? '1' : '2',
      '--batch',
      String(b),
      '--lr',
      String(LR),
      '--seed',
      String(SEED),
    ];
    const r = spawnSync(NATIVE, args, { encoding: 'utf8' });
    const lines = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('epoch '));
    if (r.status !== 0 || !lines.length)
      return { missing: `mnist-train failed: ${(r.stderr ?? '').trim() || r.error?.message}` };
    out.train[b] = Math.max(...lines.map((l) => Number(/([\d.]+) samples\/s/.exec(l)[1])));
    out.accuracy[b] = Number(/test ([\d.]+)%/.exec(lines[0])[1]) / 100;
    log(`  native   batch ${b}: ${fmt(out.train[b])} samples/s`);
  }
  return out;
}

// ---- the defaults, plain, augmented and on raw input ------------------------

/* Each variant of the defaults: its key, the API's options and the CLIs' arguments. */
const VARIANTS = [
  { key: 'plain', options: {}, args: [] },
  { key: 'augmented', options: { augment: true }, args: ['--augment'] },
  { key: 'raw', options: { input: 'raw' }, args: ['--input', 'raw'] },
];

/** Samples/s with the package's defaults and each variant, run in turns
 * (plain, augmented, raw, plain, ...) so that a busy machine slows all
 * alike; the fastest run of each counts. */
async function benchVariantsWasm(d) {
  const { createNetwork } = await import('mnist-wasm');
  const n = Math.min(d.n, AUGMENT_SAMPLES);
  const x = d.x.subarray(0, n * 784),
    y = d.y.subarray(0, n);
  const out = Object.fromEntries(VARIANTS.map((v) => [v.key, 0]));
  for (let turn = 0; turn < 3; turn++) {
    for (const { key, options } of VARIANTS) {
      const net = await createNetwork({ seed: SEED, ...options });
      out.batch = net.options.batchSize;
      const r = net.train(x, y, { epochs: 1 });
      net.dispose();
      if (turn === 0) continue; // the first turn warms up
      out[key] = Math.max(out[key], n / r.seconds);
    }
  }
  log(`  wasm     defaults: ${VARIANTS.map((v) => `${fmt(out[v.key])} ${v.key}`).join(', ')} samples/s`);
  return out;
}

/** The same with the native CLI: two epochs of the whole set each way, in
 * turns, the fastest epoch of each counts. */
function benchVariantsNative(d) {
  if (!existsSync(NATIVE)) return { missing: 'build/native/mnist-train not built' };
  const out = Object.fromEntries(VARIANTS.map((v) => [v.key, 0]));
  for (let turn = 0; turn < 2; turn++) {
    for (const { key, args: extra } of VARIANTS) {
      const args = ['--data', d.dir, '--epochs', quick ? '1' : '2', '--seed', String(SEED), ...extra];
      const r = spawnSync(NATIVE, args, { encoding: 'utf8' });
      const lines = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('epoch '));
      if (r.status !== 0 || !lines.length)
        return { missing: `mnist-train failed: ${(r.stderr ?? '').trim() || r.error?.message}` };
      out[key] = Math.max(out[key], ...lines.map((l) => Number(/([\d.]+) samples\/s/.exec(l)[1])));
    }
  }
  log(`  native   defaults: ${VARIANTS.map((v) => `${fmt(out[v.key])} ${v.key}`).join(', ')} samples/s`);
  return out;
}

// ---- threads ----------------------------------------------------------------

/** Samples/s with each thread count at each batch, and whether their model bytes agree. */
async function benchThreads(d) {
  const { createNetwork } = await import('mnist-wasm');
  const n = quick ? Math.min(d.n, 8192) : d.n;
  const x = d.x.subarray(0, n * 784),
    y = d.y.subarray(0, n);
  const out = { train: {}, same: {}, n };
  for (const { key: b, batch, augment = false } of THREAD_CASES) {
    out.train[b] = {};
    const opts = (threads) => ({ layers: LAYERS, learningRate: LR, batchSize: batch, seed: SEED, threads, augment });
    for (const t of THREAD_COUNTS) {
      // warm-up of each setting
      const warm = await createNetwork(opts(t));
      warm.train(x.subarray(0, 2048 * 784), y.subarray(0, 2048));
      warm.dispose();
    }
    const saved = {};
    for (let round = 0; round < THREAD_ROUNDS; round++)
      for (const t of THREAD_COUNTS) {
        const net = await createNetwork(opts(t));
        const r = net.train(x, y, { epochs: 1 });
        out.train[b][t] = Math.max(out.train[b][t] ?? 0, n / r.seconds);
        if (round === 0) saved[t] = net.save();
        net.dispose();
      }
    out.same[b] = THREAD_COUNTS.every((t) => equal(saved[t], saved[1]));
    log(
      `  threads  batch ${b}: ${THREAD_COUNTS.map((t) => `${t}: ${fmt(out.train[b][t])}`).join(', ')} samples/s; bytes ${out.same[b] ? 'identical' : 'DIFFER'}`,
    );
  }
  return out;
}

function benchNativeThreads(d) {
  if (!existsSync(NATIVE)) return { missing: 'build/native/mnist-train not built (node scripts/build.js --native)' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mnist-bench-'));
  const out = { train: {}, same: {} };
  try {
    for (const { key: b, batch, augment = false } of THREAD_CASES) {
      out.train[b] = {};
      for (let round = 0; round < THREAD_ROUNDS; round++)
        for (const t of THREAD_COUNTS) {
          const file = path.join(dir, `t${t}.model`);
          const args = [
            '--data',
            d.dir,
            '--epochs',
            '1',
            '--batch',
            String(batch),
            ...(augment ? ['--augment'] : []),
            '--lr',
            String(LR),
            '--seed',
            String(SEED),
            '--threads',
            String(t),
            '--save',
            file,
          ];
          const r = spawnSync(NATIVE, args, { encoding: 'utf8' });
          const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('epoch '));
          if (r.status !== 0 || !line)
            return { missing: `mnist-train failed: ${(r.stderr ?? '').trim() || r.error?.message}` };
          out.train[b][t] = Math.max(out.train[b][t] ?? 0, Number(/([\d.]+) samples\/s/.exec(line)[1]));
          if (round === 0) renameSync(file, path.join(dir, `b${b.replace(' ', '-')}-t${t}.model`));
        }
      const bytes = THREAD_COUNTS.map((t) => readFileSync(path.join(dir, `b${b.replace(' ', '-')}-t${t}.model`)));
      out.same[b] = bytes.every((f) => equal(f, bytes[0]));
      log(
        `  native   batch ${b}: ${THREAD_COUNTS.map((t) => `${t}: ${fmt(out.train[b][t])}`).join(', ')} samples/s; bytes ${out.same[b] ? 'identical' : 'DIFFER'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// ---- the report ----------------------------------------------------------------

const ratio = (a, b) => (a > 0 && b > 0 ? `${fmt(a / b, a / b < 10 ? 2 : 1)}x` : '-');

const t0 = now();
const loadBefore = os.loadavg()[0];
build();
const data = await loadData();
log(`bench: ${data.name}, ${fmt(data.n)} training and ${fmt(data.nt)} test images`);
const wasm = await benchWasm(data);
const native = benchNative(data);
const defaultsWasm = await benchVariantsWasm(data);
const defaultsNative = benchVariantsNative(data);
const tfjs = await benchTf(data, {
  layers: LAYERS,
  learningRate: LR,
  batches: BATCHES,
  samples: TF_SAMPLES,
  predictCalls: PREDICT_CALLS,
});
const threads = await benchThreads(data);
const nativeThreads = benchNativeThreads(data);

const out = report({ markdown });
const cores = os.cpus().length;
const load = Math.max(loadBefore, os.loadavg()[0]);
out.header(
  `mnist-wasm bench: ${LAYERS.join('-')} sigmoid, softmax, cross-entropy, SGD (learning rate ${LR}), one thread each`,
  commandLine('scripts/bench.js', args),
  [
    ['data', `${data.name} (${fmt(data.n)} training, ${fmt(data.nt)} test images)`],
    [
      'load average',
      `${load.toFixed(1)} on ${cores} cores${load > 1.5 ? ': other work shared the CPU, so the rates below are low and noisy' : ''}`,
    ],
  ],
);
out.lines(
  `columns: this package's wasm (web/build/${wasm.module} via the 'mnist-wasm' API), the native CLI ` +
    `(build/native/mnist-train), TensorFlow.js ${tfjs.missing ? '' : `wasm backend, ${tfjs.threads} thread`}; ratios: times faster`,
);
const rows = [];
for (const b of BATCHES) {
  rows.push([
    `train, batch ${b} (samples/s)`,
    fmt(wasm.train[b]),
    fmt(native.train?.[b]),
    fmt(tfjs.train?.[b]),
    ratio(wasm.train[b], tfjs.train?.[b]),
    ratio(native.train?.[b], wasm.train[b]),
  ]);
}
rows.push([
  'predict, 1 image (us, median)',
  fmt(wasm.predictUs, 1),
  '-',
  fmt(tfjs.predictUs, 1),
  ratio(tfjs.predictUs, wasm.predictUs),
  '-',
]);
rows.push([
  `evaluate, ${fmt(data.nt)} images (images/s)`,
  fmt(wasm.evaluate),
  '-',
  fmt(tfjs.evaluate),
  ratio(wasm.evaluate, tfjs.evaluate),
  '-',
]);
out.table(rows, ['', 'wasm', 'native', 'tfjs-wasm', 'wasm/tfjs', 'native/wasm']);
out.lines(...[native.missing && `native: ${native.missing}`, tfjs.missing && `tfjs: ${tfjs.missing}`].filter(Boolean));

// what a page downloads: the one-thread module and its loader
const sizes = ['mnist.wasm', 'mnist.js'].map((f) => {
  const bytes = readFileSync(path.join(root, 'web/build', f));
  return `web/build/${f} ${fmt(bytes.length)} bytes (${fmt(gzipSync(bytes, { level: 9 }).length)} gzipped)`;
});
out.lines(`sizes: ${sizes.join(', ')}`);

const costOf = (fast, slow) => (fast > 0 && slow > 0 ? 1 - slow / fast : NaN);
const cost = (a) => costOf(a.plain, a.augmented); // of augmentation
const centringCost = (a) => costOf(a.raw, a.plain); // of centred input (the default) against raw
const pctOf = (v) => (Number.isNaN(v) ? '-' : `${fmt(100 * v, 1)}%`);
out.lines(
  `training with the defaults (batch ${defaultsWasm.batch}, ${fmt(Math.min(data.n, AUGMENT_SAMPLES))} samples a run in wasm, ` +
    `the whole set natively), plain, with --augment and with --input raw, run in turns:`,
);
const variantsRow = (name, a) => [
  name,
  fmt(a.plain),
  fmt(a.augmented),
  ratio(a.augmented, a.plain),
  pctOf(cost(a)),
  fmt(a.raw),
  pctOf(centringCost(a)),
];
out.table(
  [variantsRow('wasm (samples/s)', defaultsWasm), variantsRow('native (samples/s)', defaultsNative)],
  ['', 'plain', 'augmented', 'augmented/plain', 'augmentation costs', 'raw input', 'centred input costs'],
);
if (defaultsNative.missing) out.lines(`native: ${defaultsNative.missing}`);

const acc = (a) => (a === undefined ? '-' : `${(100 * a).toFixed(2)}%`);
out.lines(
  `test accuracy after one epoch at batch 64: wasm ${acc(wasm.accuracy[64])}, native ${acc(native.accuracy?.[64])}` +
    (native.accuracy && acc(native.accuracy[64]) === acc(wasm.accuracy[64])
      ? ' (the same run: same seed, same bits)'
      : '') +
    (tfjs.accuracy64 !== undefined ? `; tfjs ${acc(tfjs.accuracy64)} after ${fmt(TF_SAMPLES[64])} samples` : ''),
  ...(tfjs.missing
    ? []
    : [
        `tfjs trains on the first ${BATCHES.map((b) => `${fmt(TF_SAMPLES[b])} (batch ${b})`).join(', ')} samples; the others on all ${fmt(data.n)}`,
      ]),
);

const verdict = (ok) => (ok ? 'met' : 'NOT met');
out.list('targets (wasm, one thread):', [
  `train batch 64 >= ${fmt(TARGETS.train64)} samples/s: ${fmt(wasm.train[64])}, ${verdict(wasm.train[64] >= TARGETS.train64)}`,
  `train batch 1  >= ${fmt(TARGETS.train1)} samples/s: ${fmt(wasm.train[1])}, ${verdict(wasm.train[1] >= TARGETS.train1)}`,
  `predict        <= ${TARGETS.predictUs} us: ${fmt(wasm.predictUs, 1)} us, ${verdict(wasm.predictUs <= TARGETS.predictUs)}`,
  `predict, centred input (the default) within ${pctOf(TARGETS.centredPredict)} of raw input's time: ${fmt(wasm.predictUs, 1)} us against ${fmt(wasm.predictRawUs, 1)} us (${pctOf(wasm.predictUs / wasm.predictRawUs - 1)}), ${verdict(wasm.predictUs <= (1 + TARGETS.centredPredict) * wasm.predictRawUs)}`,
  `evaluate       >= ${fmt(TARGETS.evaluate)} images/s: ${fmt(wasm.evaluate)}, ${verdict(wasm.evaluate >= TARGETS.evaluate)}`,
  `augmentation costs <= ${pctOf(TARGETS.augmentCost)} of the training rate: ${pctOf(cost(defaultsWasm))}, ${verdict(cost(defaultsWasm) <= TARGETS.augmentCost)}`,
  ...(tfjs.missing
    ? []
    : [
        `batch 64 vs tfjs-wasm > 15x: ${ratio(wasm.train[64], tfjs.train[64])}, ${verdict(wasm.train[64] > 15 * tfjs.train[64])}`,
      ]),
]);

out.lines(
  `threads: samples/s of one epoch (${fmt(threads.n)} samples), the fastest of ${THREAD_ROUNDS} interleaved runs; ` +
    `this package through the 'mnist-wasm' API (web/build/${wasm.module}), the native CLI with --threads`,
);
const threadRows = [];
for (const { key: b } of THREAD_CASES) {
  const w = threads.train[b],
    nt = nativeThreads.train?.[b] ?? {};
  threadRows.push([
    `train, batch ${b}`,
    ...THREAD_COUNTS.map((t) => fmt(w[t])),
    ...THREAD_COUNTS.slice(1).map((t) => ratio(w[t], w[1])),
    threads.same[b] ? 'yes' : 'NO',
    ...THREAD_COUNTS.map((t) => fmt(nt[t])),
    ...THREAD_COUNTS.slice(1).map((t) => ratio(nt[t], nt[1])),
    nativeThreads.same ? (nativeThreads.same[b] ? 'yes' : 'NO') : '-',
  ]);
}
out.table(threadRows, [
  '',
  ...THREAD_COUNTS.map((t) => `wasm ${t}`),
  ...THREAD_COUNTS.slice(1).map((t) => `${t}/1`),
  'same bytes',
  ...THREAD_COUNTS.map((t) => `native ${t}`),
  ...THREAD_COUNTS.slice(1).map((t) => `${t}/1`),
  'same bytes',
]);
if (nativeThreads.missing) out.lines(`native: ${nativeThreads.missing}`);
out.list(
  'targets (wasm, 2 threads over 1, identical bytes):',
  Object.entries(THREAD_TARGETS).map(([b, want]) => {
    const r = threads.train[b][2] / threads.train[b][1];
    return `batch ${b} >= ${want}x: ${ratio(threads.train[b][2], threads.train[b][1])}, ${verdict(r >= want && threads.same[b])}`;
  }),
);
out.lines(`(${fmt(now() - t0, 0)} s in all)`);
console.log(`\n${out}`);

// the convnet's part: its own script, so that each stays one table's worth;
// in Markdown its tables follow these, under the one header
const convnet = spawnSync(
  process.execPath,
  [
    path.join(root, 'scripts/bench-convnet.js'),
    ...(quick ? ['--quick'] : []),
    ...(markdown ? ['--markdown', '--no-header'] : []),
  ],
  { cwd: root, stdio: ['ignore', markdown ? 'pipe' : 'inherit', 'inherit'], encoding: 'utf8' },
);
if (markdown) process.stdout.write(convnet.stdout ?? '');
if (convnet.status !== 0) {
  console.error(`bench: scripts/bench-convnet.js failed (${convnet.error?.message ?? `exit ${convnet.status}`})`);
  process.exitCode = 1;
} else if (write) {
  try {
    writeBlock(SPEED_DOC, `${out}\n\n${convnet.stdout.trim()}`);
    log(`bench: wrote the tables into ${path.relative(root, SPEED_DOC)}`);
  } catch (e) {
    console.error(`bench: ${path.relative(root, SPEED_DOC)}: ${e.message}`);
    process.exitCode = 1;
  }
}
