#!/usr/bin/env node
// Measures candidate training settings with the native CLI over several
// seeds, so that a choice of defaults is not one seed's luck. Each
// candidate is one quoted string of mnist-train options (empty: the
// defaults); each runs once per seed, and the table gives the final test
// accuracy per seed with the mean and the worst.
//   node scripts/sweep.js --data DIR [--seeds 1,2,3] [--epochs 10] [--jobs 1] 'OPTIONS' ...
// e.g.
//   node scripts/sweep.js --data /usr/share/datasets/fashion-mnist '' '--weight-decay 1e-4'
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = path.join(root, 'build/native/mnist-train');
const usage = "usage: node scripts/sweep.js --data DIR [--seeds 1,2,3] [--epochs 10] [--jobs 1] 'OPTIONS' ...";

const args = process.argv.slice(2);
let data = null,
  seeds = [1, 2, 3],
  epochs = 10,
  jobs = 1;
const candidates = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--data') data = args[++i];
  else if (a === '--seeds') seeds = String(args[++i]).split(',').map(Number);
  else if (a === '--epochs') epochs = Number(args[++i]);
  else if (a === '--jobs') jobs = Number(args[++i]);
  else if (a.startsWith('--') && a.includes(' ') === false && a !== '') {
    console.error(`sweep: unknown option ${a} (a candidate's options go in one quoted word)\n${usage}`);
    process.exit(2);
  } else candidates.push(a);
}
if (!data || !candidates.length || seeds.some((s) => !Number.isInteger(s) || s < 0) || !(epochs >= 1) || !(jobs >= 1)) {
  console.error(usage);
  process.exit(2);
}
if (!existsSync(NATIVE)) {
  console.error('sweep: build/native/mnist-train is missing (node scripts/build.js --native)');
  process.exit(1);
}

/** The final test accuracy of one run, from the CLI's --json lines. */
function run(options, seed) {
  const argv = [
    '--data',
    data,
    '--epochs',
    String(epochs),
    '--seed',
    String(seed),
    '--json',
    ...options.split(/\s+/).filter(Boolean),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(NATIVE, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code) => {
      const epochsSeen = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((o) => o.type === 'epoch');
      if (code !== 0 || !epochsSeen.length)
        reject(new Error(`mnist-train ${argv.join(' ')}: ${err.trim() || `exit ${code}`}`));
      else resolve(epochsSeen[epochsSeen.length - 1].accuracy);
    });
  });
}

const work = candidates.flatMap((c) => seeds.map((s) => ({ c, s })));
const result = new Map();
let next = 0;
async function worker() {
  while (next < work.length) {
    const { c, s } = work[next++];
    const acc = await run(c, s);
    result.set(`${c}\n${s}`, acc);
    process.stderr.write(`  ${c || '(defaults)'}  seed ${s}: ${(100 * acc).toFixed(2)}%\n`);
  }
}
await Promise.all(Array.from({ length: jobs }, worker));

const pct = (v) => `${(100 * v).toFixed(2)}%`;
const head = ['options', ...seeds.map((s) => `seed ${s}`), 'mean', 'worst'];
const rows = candidates.map((c) => {
  const accs = seeds.map((s) => result.get(`${c}\n${s}`));
  return [
    c || '(defaults)',
    ...accs.map(pct),
    pct(accs.reduce((a, b) => a + b, 0) / accs.length),
    pct(Math.min(...accs)),
  ];
});
const width = head.map((_, k) => Math.max(...[head, ...rows].map((r) => r[k].length)));
const line = (r) => r.map((v, k) => (k === 0 ? v.padEnd(width[k]) : v.padStart(width[k]))).join('  ');
console.log(`${data}, ${epochs} epochs, native CLI`);
console.log([line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
