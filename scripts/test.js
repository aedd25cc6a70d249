#!/usr/bin/env node
// `npm test`: brings in what is missing (scripts/ensure.js: system tools, npm
// packages), builds what is out of date, then runs every suite this machine
// can run, two lanes side by side on the two cores, each suite within a time
// limit of its own, and prints each suite's count and time, then one total,
// `N passed, N failed`, as its last line.
//   c         C tests (ctest), native
//   asan      the C tests again under ASan + UBSan
//   fuzz      scripts/fuzz.sh: replays the corpus, then a fixed number of inputs from a fixed seed
//   valgrind  scripts/valgrind.sh: memcheck over a representative subset
//   lint      scripts/lint.js: clang-format, prettier, eslint, clang-tidy (one count each)
//   node      tests/*.test.js (uvu) against the built wasm
//   types     tsc --noEmit -p tests/types: the usage file against web/lib/index.d.ts
//   browser   tests/browser/*.test.js in Chromium (playwright-core)
//   chromium, firefox, webkit   tests/engines/*.test.js, the page suite written once, in each engine
// A suite fails when it fails a test, skips one, exits non-zero, prints no
// count, runs past its limit (it is killed, browsers and all, and named), or
// passes fewer tests than its floor in tests/floors.json: a suite that
// shrinks fails until its floor is lowered in the same commit, with the reason.
// Usage: node scripts/test.js [--only SUITE ...] [--serial]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensure } from './ensure.js';
import { countCtest, countTargets, countUvu, failureExcerpt, judge, runLimited } from './suites.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules/uvu/bin.js');
const node = process.execPath;

// lane: suites of one lane run one after another; the two lanes side by side.
// limit: minutes, 5-10x what the suite takes here, to catch a hang.
const SUITES = [
  { name: 'c', title: 'C tests (native)', lane: 0, limit: 6, steps: (x) => ctest(x, 'native') },
  { name: 'asan', title: 'C tests (ASan+UBSan)', lane: 0, limit: 12, steps: (x) => ctest(x, 'native-asan') },
  {
    name: 'fuzz',
    title: 'fuzz (libFuzzer)',
    lane: 0,
    limit: 10,
    steps: (x) => targets(x, 'fuzz', 'bash', ['scripts/fuzz.sh'], { FUZZ_FIXED: '1' }),
  },
  {
    name: 'valgrind',
    title: 'valgrind (memcheck)',
    lane: 0,
    limit: 12,
    steps: (x) => targets(x, 'valgrind', 'bash', ['scripts/valgrind.sh']),
  },
  { name: 'lint', title: 'lint', lane: 0, limit: 10, steps: (x) => targets(x, 'lint', node, ['scripts/lint.js']) },
  {
    name: 'node',
    title: 'Node tests',
    lane: 1,
    limit: 10,
    steps: (x) => uvuSuite(x, ['tests', '\\.test\\.js$', '-i', 'browser', '-i', 'engines']),
  },
  { name: 'types', title: 'types (tsc)', lane: 1, limit: 3, steps: types },
  {
    name: 'browser',
    title: 'browser tests (Chromium)',
    lane: 1,
    limit: 15,
    steps: (x) => uvuSuite(x, ['tests/browser', '\\.test\\.js$']),
  },
  ...['chromium', 'firefox', 'webkit'].map((engine) => ({
    name: engine,
    title: `page in ${engine[0].toUpperCase()}${engine.slice(1)}`,
    lane: 0, // lanes of about the same length here: the browser suite (lane 1) takes about 7 min
    limit: 10,
    steps: (x) => uvuSuite(x, ['tests/engines', '\\.test\\.js$'], { MNIST_ENGINE: engine }),
  })),
];

const args = process.argv.slice(2);
const only = new Set();
let serial = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only' && i + 1 < args.length) only.add(args[++i]);
  else if (args[i] === '--serial') serial = true;
  else usage(`unknown argument '${args[i]}'`);
}
for (const name of only) if (!SUITES.some((s) => s.name === name)) usage(`--only: no suite is called '${name}'`);

function usage(problem) {
  console.error(
    `test: ${problem}\nusage: node scripts/test.js [--only ${SUITES.map((s) => s.name).join('|')} ...] [--serial]`,
  );
  process.exit(2);
}

const floors = JSON.parse(readFileSync(path.join(root, 'tests/floors.json'), 'utf8'));

/* ---------- one suite ---------- */

// A suite's run: its deadline and its log, printed whole when it ends so
// that two lanes do not interleave their lines.
const newRun = (minutes) => ({ log: [], deadline: Date.now() + minutes * 60_000, timedOut: false });

async function exec(run, cmd, argv, env = {}) {
  run.log.push(`\n$ ${cmd} ${argv.join(' ')}\n`);
  const r = await runLimited(cmd, argv, {
    cwd: root,
    env: { ...process.env, ...env },
    deadline: run.deadline,
    onOutput: (text) => run.log.push(text),
  });
  run.timedOut ||= r.timedOut;
  return r;
}

async function ctest(run, preset) {
  for (const step of [
    ['--preset', preset],
    ['--build', '--preset', preset, '-j', '2'],
  ]) {
    const r = await exec(run, 'cmake', step);
    if (r.status !== 0) return { count: null, status: r.status };
  }
  const r = await exec(run, 'ctest', ['--preset', preset]);
  return { count: countCtest(r.out), status: r.status };
}

async function targets(run, prefix, cmd, argv, env) {
  const r = await exec(run, cmd, argv, env);
  return { count: countTargets(prefix, r.out), status: r.status };
}

async function uvuSuite(run, argv, env) {
  const r = await exec(run, node, [uvu, ...argv], env);
  return { count: countUvu(r.out), status: r.status };
}

// One check: the types compile, or they do not (tsc lists each error).
async function types(run) {
  const r = await exec(run, node, [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '--noEmit',
    '-p',
    'tests/types',
  ]);
  return { count: { passed: r.status === 0 ? 1 : 0, failed: r.status === 0 ? 0 : 1 }, status: r.status };
}

async function runSuite(suite) {
  const start = Date.now();
  const me = newRun(suite.limit);
  console.log(`test: ${suite.name} started`);
  const { count, status } = await suite.steps(me);
  const result = judge({ count, status, timedOut: me.timedOut, limitMinutes: suite.limit, floor: floors[suite.name] });
  const seconds = (Date.now() - start) / 1000;
  process.stdout.write(`\n======== ${suite.title} ========${me.log.join('')}\n`);
  const why = result.problems.length ? ` (${suite.name}: ${result.problems.join('; ')})` : '';
  console.log(
    `test: ${suite.name} ended in ${seconds.toFixed(0)} s: ${result.passed} passed, ${result.failed} failed${why}`,
  );
  return { ...result, suite, seconds, why, out: me.log.join('') };
}

/* ---------- all of them ---------- */

ensure();
const started = Date.now();
const results = [];

const building = newRun(15);
const built = await exec(building, node, ['scripts/build.js', '--native']);
process.stdout.write(building.log.join(''));
if (built.status !== 0 || built.timedOut) {
  results.push({ suite: { title: 'build' }, passed: 0, failed: 1, seconds: 0, why: ' (the build failed)' });
} else {
  const chosen = SUITES.filter((s) => only.size === 0 || only.has(s.name));
  const lane = async (suites) => {
    for (const s of suites) results.push(await runSuite(s));
  };
  if (serial) await lane(chosen);
  else await Promise.all([0, 1].map((l) => lane(chosen.filter((s) => s.lane === l))));
}

const minutes = (Date.now() - started) / 60_000;
for (const r of results.filter((r) => r.failed > 0 && r.out))
  console.log(`\n======== what failed in ${r.suite.title} ========\n${failureExcerpt(r.out)}`);
console.log('\nsuite                          passed  failed   time');
for (const r of results)
  console.log(
    `${r.suite.title.padEnd(30)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.seconds.toFixed(0).padStart(4)} s${r.why}`,
  );
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`all suites in ${minutes.toFixed(1)} min`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
