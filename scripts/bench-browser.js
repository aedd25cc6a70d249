#!/usr/bin/env node
// npm run bench:browser: this package against its peers in headless Chromium
// (Debian's, through playwright-core), in a cross-origin isolated page, each
// library in a Web Worker as the page trains:
//   - mnist-wasm, 1 thread and navigator.hardwareConcurrency threads (the
//     `threads` option; what net.options says it used is printed);
//   - TensorFlow.js on @tensorflow/tfjs-backend-wasm: its SIMD build (1
//     thread) and its threaded SIMD build;
//   - jax-js (@jax-js/jax) on its wasm device: 1 thread (the page without
//     isolation) and its pool of workers (the page isolated).
// All train the package's default network (784-128-64-10, sigmoid, softmax
// and cross-entropy, learning rate as the package's) with plain SGD, on the
// same digits in the same order: the first --digits of the default training
// set (web/data), mini-batch after mini-batch. At each batch size, each
// setting warms up for --warmup seconds and then trains --samples samples,
// timed. Settings take turns within each of --rounds rounds (the machine's
// speed drifts); the table shows the median samples/s of the rounds, then the
// ratios of this package's best setting to each peer's best.
// Nothing is downloaded: the peers come from node_modules (devDependencies).
// Every run checks itself, and stops with an error where a check fails: the
// bench page cross-origin isolated and the page asked for without isolation
// not; each setting on the backend, build and threads it is meant to (tfjs's
// getThreadsCount() and the .wasm it fetched, jax-js's device and pool, this
// package's threads, its work really split over them: net.threadJobs); a
// finite loss below that of the first two mini-batches, a positive rate; no
// page error. --check runs those checks alone, quickly (1,024 digits, 12
// mini-batches of 64 per setting, one round), and prints no table.
//   node scripts/bench-browser.js [--batches 32,64,256] [--samples N] [--rounds N]
//                                 [--warmup S] [--digits N] [--json FILE] [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { openBench, settings } from './bench-browser/driver.js';

const USAGE =
  'usage: node scripts/bench-browser.js [--batches 32,64,256] [--samples N] [--rounds N] [--warmup S] [--digits N] [--json FILE] [--check]';
const DEFAULTS = { batches: '32,64,256', samples: '8192', rounds: '5', warmup: '1', digits: '8192', json: null };
const CHECK = { batches: '64', samples: String(12 * 64), rounds: '1', warmup: '0', digits: '1024' };
const TARGET = { batch: 64, ratio: 10 };

function parseArgs(argv) {
  const check = argv.includes('--check');
  argv = argv.filter((a) => a !== '--check');
  const o = { ...DEFAULTS, ...(check ? CHECK : {}) };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!argv[i]?.startsWith('--') || !(key in DEFAULTS) || argv[i + 1] === undefined) {
      console.error(`bench-browser: bad argument ${argv[i]}\n${USAGE}`);
      process.exit(2);
    }
    o[key] = argv[i + 1];
  }
  const count = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`bench-browser: --${name} must be a positive integer, got ${v}\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const warmup = Number(o.warmup);
  if (!(warmup >= 0)) {
    console.error(`bench-browser: --warmup must be seconds (>= 0), got ${o.warmup}\n${USAGE}`);
    process.exit(2);
  }
  return {
    batches: o.batches.split(',').map((b) => count('batches', b)),
    samples: count('samples', o.samples),
    rounds: count('rounds', o.rounds),
    digits: count('digits', o.digits),
    warmupSeconds: warmup,
    json: o.json,
    check,
  };
}

/** Throws when a run of setting s did not train as it should, on what it should. */
function checkRun(s, run, cores) {
  const fail = (what) => {
    throw new Error(`${s.name}, batch ${run.batch}: ${what}`);
  };
  if (!(Number.isFinite(run.rate) && run.rate > 0)) fail(`samples/s ${run.rate}`);
  if (!(Number.isFinite(run.loss) && run.loss < run.firstLoss))
    fail(`mean loss ${run.loss}, not below the first mini-batches' ${run.firstLoss}`);
  const used = run.used;
  if (s.lib === 'mnist-wasm') {
    if (used.threadsOption !== 'accepted') {
      if (used.threads !== 1) fail(`a build that does not know the threads option runs ${used.threads} threads`);
    } else {
      if (!(used.threads >= 1 && used.threads <= s.threads)) fail(`threads used: ${used.threads}`);
      // the work is split only where each thread gets 8 rows or more (C's splitMinRows)
      const splits = used.threads > 1 && run.batch >= 8 * used.threads;
      if (used.threadJobs !== null && splits !== used.threadJobs > 0)
        fail(`${used.threadJobs} jobs ran on the pool's threads with ${used.threads} threads`);
    }
  } else if (s.lib === 'tfjs') {
    if (used.backend !== 'wasm') fail(`backend ${used.backend}`);
    if (used.simd !== true) fail('no SIMD');
    if (used.threads !== s.threads) fail(`getThreadsCount() ${used.threads}`);
    const build = s.threads === 1 ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm-threaded-simd.wasm';
    if (used.binary !== build) fail(`fetched ${used.binary}, not ${build}`);
  } else if (s.lib === 'jax') {
    if (used.device !== 'wasm') fail(`device ${used.device}`);
    // one thread without isolation, one worker per core with it
    if (used.threads !== s.threads) fail(`${used.threads} threads, not ${s.threads} (${cores} cores)`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (v) => Math.round(v).toLocaleString('en-US');
const log = (s) => process.stderr.write(`${s}\n`);

function cpuName() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What a setting ran on, in words: threads, and the build or the option's fate. */
function usedText({ lib }, used) {
  if (lib === 'tfjs') return `${used.threads} (${used.binary})`;
  if (lib === 'mnist-wasm' && used.threadsOption !== 'accepted')
    return `${used.threads} (threads option ${used.threadsOption})`;
  return String(used.threads);
}

const opts = parseArgs(process.argv.slice(2));
const bench = await openBench({ digits: opts.digits });
const list = settings(bench.cores);
const results = list.map((setting) => ({ setting, rounds: [] }));
try {
  for (let r = 1; r <= opts.rounds; r++) {
    for (const res of results) {
      const out = await bench.run(res.setting, opts);
      for (const run of out.runs) checkRun(res.setting, run, bench.cores);
      if (bench.problems.pageErrors.length) throw new Error(`page errors: ${bench.problems.pageErrors.join('; ')}`);
      res.rounds.push(out.runs);
      log(
        `round ${r}/${opts.rounds}  ${res.setting.name.padEnd(42)} ${out.runs.map((x) => `b${x.batch} ${fmt(x.rate)}/s loss ${x.loss.toFixed(3)}`).join('  ')}`,
      );
    }
  }
} finally {
  await bench.close();
}
if (opts.check) {
  console.log(
    `bench:browser check: ${list.length} settings train on what they are meant to, their loss falls, their rates are positive`,
  );
  process.exit(0);
}

// medians per setting and batch size; a loss that is not finite is an error
const table = results.map(({ setting, rounds }) => {
  const at = Object.fromEntries(
    opts.batches.map((b, i) => {
      const runs = rounds.map((rs) => rs[i]);
      for (const x of runs)
        if (!Number.isFinite(x.loss)) throw new Error(`${setting.name}, batch ${b}: the loss is ${x.loss}`);
      return [
        b,
        {
          rate: median(runs.map((x) => x.rate)),
          rates: runs.map((x) => x.rate),
          loss: median(runs.map((x) => x.loss)),
        },
      ];
    }),
  );
  return { setting, used: rounds[0][0].used, at };
});
const best = (lib, b) => {
  const rows = table.filter((t) => t.setting.lib === lib);
  return rows.reduce((m, t) => (t.at[b].rate > m.at[b].rate ? t : m), rows[0]);
};
const PEERS = [
  ['tfjs', 'TensorFlow.js wasm'],
  ['jax', 'jax-js wasm'],
];
const ratios = Object.fromEntries(
  PEERS.map(([lib]) => [
    lib,
    Object.fromEntries(
      opts.batches.map((b) => {
        const ours = best('mnist-wasm', b),
          theirs = best(lib, b);
        return [
          b,
          { ratio: ours.at[b].rate / theirs.at[b].rate, ours: ours.setting.name, theirs: theirs.setting.name },
        ];
      }),
    ),
  ]),
);

const w = 44;
const cell = (s) => String(s).padStart(11);
console.log(
  `mnist-wasm browser bench: ${bench.network.layers.join('-')} ${bench.network.activation}, softmax + cross-entropy, plain SGD (learning rate ${bench.network.learningRate}),`,
);
console.log(
  `  the first ${fmt(opts.digits)} digits of the MNIST training set in their stored order, ${fmt(opts.samples)} samples per timed run after ${opts.warmupSeconds} s of warm-up,`,
);
console.log(
  `  median of ${opts.rounds} rounds; each library in a Web Worker of a cross-origin isolated page (jax-js 1 thread: the same page not isolated)`,
);
console.log(`  Chromium ${bench.chromium}, navigator.hardwareConcurrency ${bench.cores}, CPU ${cpuName()}`);
console.log('');
console.log(
  `${'samples/s'.padEnd(w)}${'threads used'.padEnd(46)}${opts.batches.map((b) => cell(`batch ${b}`)).join('')}`,
);
for (const t of table)
  console.log(
    `${t.setting.name.padEnd(w)}${usedText(t.setting, t.used).padEnd(46)}${opts.batches.map((b) => cell(fmt(t.at[b].rate))).join('')}`,
  );
console.log('');
console.log(`${'mnist-wasm best / peer best'.padEnd(w + 46)}${opts.batches.map((b) => cell(`batch ${b}`)).join('')}`);
for (const [lib, name] of PEERS)
  console.log(
    `${`  against ${name}`.padEnd(w + 46)}${opts.batches.map((b) => cell(`${ratios[lib][b].ratio.toFixed(1)}x`)).join('')}`,
  );
if (opts.batches.includes(TARGET.batch)) {
  const met = PEERS.every(([lib]) => ratios[lib][TARGET.batch].ratio >= TARGET.ratio);
  console.log(
    `target: at least ${TARGET.ratio}x against each peer at batch ${TARGET.batch}: ${met ? 'met' : 'not met'}`,
  );
}

if (opts.json) {
  writeFileSync(
    opts.json,
    `${JSON.stringify(
      {
        chromium: bench.chromium,
        cores: bench.cores,
        cpu: cpuName(),
        network: bench.network,
        options: opts,
        settings: table.map((t) => ({ ...t.setting, used: t.used, at: t.at })),
        ratios,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${opts.json}`);
}
