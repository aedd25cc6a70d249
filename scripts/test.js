#!/usr/bin/env node
// `npm test`: brings in what is missing (scripts/ensure.js: system tools, npm
// packages), builds what is out of date, then runs every suite this machine
// can run and prints one total, `N passed, N failed`, as its last line.
//   C tests (ctest)          native, then native-asan (ASan + UBSan)
//   fuzz (libFuzzer)         scripts/fuzz.sh: each target for FUZZ_SECONDS (CI=true: 60, else 10)
//   valgrind (memcheck)      scripts/valgrind.sh: each C test executable
//   Node tests (uvu)         tests/*.test.js against the built wasm
//   types (tsc)              tsc --noEmit -p tests/types: the usage file against web/lib/index.d.ts
//   lint                     scripts/lint.js: clang-format, prettier, eslint, clang-tidy (one count each)
//   browser tests (uvu)      tests/browser/*.test.js in headless Chromium
// Usage: node scripts/test.js [--only c|asan|fuzz|valgrind|node|types|lint|browser ...]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensure } from './ensure.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = new Set(args.filter((_, i) => args[i - 1] === '--only'));
const wanted = (suite) => only.size === 0 || only.has(suite);

// Runs a command with its output shown and kept; returns { status, out }.
function run(cmd, argv, env = {}) {
  console.log(`\n$ ${cmd} ${argv.join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (r.error) console.error(`test: ${cmd}: ${r.error.message}`);
  return { status: r.error ? 127 : (r.status ?? 1), out: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

const totals = { passed: 0, failed: 0 };
const report = [];

// ctest: "100% tests passed, 0 tests failed out of 4"
function countCtest(name, { status, out }) {
  const m = out.match(/(\d+)% tests passed, (\d+) tests failed out of (\d+)/);
  const failed = m ? Number(m[2]) : 1;
  const passed = m ? Number(m[3]) - failed : 0;
  tally(name, passed, m ? failed : 1, status);
}

// uvu: "  Total:     12\n  Passed:    11\n  Skipped:   0"
function countUvu(name, { status, out }) {
  const total = out.match(/Total:\s+(\d+)/);
  const passed = out.match(/Passed:\s+(\d+)/);
  const skipped = out.match(/Skipped:\s+(\d+)/);
  if (!total || !passed) return tally(name, 0, 1, status);
  tally(name, Number(passed[1]), Number(total[1]) - Number(passed[1]) - Number(skipped?.[1] ?? 0), status);
}

// fuzz.sh, valgrind.sh, lint.js: one line per target, "fuzz fuzz_idx: ok, ...",
// "valgrind test_nn: FAILED: ..." or "lint eslint: ok"; none at all counts as a failure.
function countTargets(name, prefix, { status, out }) {
  let passed = 0,
    failed = 0;
  for (const m of out.matchAll(new RegExp(`^${prefix} \\S+: (ok|FAILED)`, 'gm'))) m[1] === 'ok' ? passed++ : failed++;
  tally(name, passed, passed + failed ? failed : 1, status);
}

// A suite that exits non-zero counts at least one failure, whatever it printed.
function tally(name, passed, failed, status) {
  if (status !== 0 && failed === 0) failed = 1;
  totals.passed += passed;
  totals.failed += failed;
  report.push(`${name}: ${passed} passed, ${failed} failed`);
}

function build(preset) {
  const configure = run('cmake', ['--preset', preset]);
  return configure.status === 0 && run('cmake', ['--build', '--preset', preset, '-j', '2']).status === 0;
}

ensure();

const built = run('node', ['scripts/build.js', '--native']);
if (built.status !== 0) tally('build', 0, 1, built.status);

if (wanted('c')) {
  if (build('native')) countCtest('C tests (native)', run('ctest', ['--preset', 'native']));
  else tally('C tests (native): build', 0, 1, 1);
}
if (wanted('asan')) {
  if (build('native-asan')) countCtest('C tests (ASan+UBSan)', run('ctest', ['--preset', 'native-asan']));
  else tally('C tests (ASan+UBSan): build', 0, 1, 1);
}
if (wanted('fuzz')) {
  const seconds = process.env.FUZZ_SECONDS || (process.env.CI === 'true' ? '60' : '10');
  countTargets('fuzz (libFuzzer)', 'fuzz', run('bash', ['scripts/fuzz.sh'], { FUZZ_SECONDS: seconds }));
}
if (wanted('valgrind')) countTargets('valgrind (memcheck)', 'valgrind', run('bash', ['scripts/valgrind.sh']));
const uvu = path.join(root, 'node_modules/uvu/bin.js');
if (wanted('node')) countUvu('Node tests', run('node', [uvu, 'tests', '\\.test\\.js$', '-i', 'browser']));
// One check: the types compile, or they do not (tsc lists each error).
if (wanted('types')) {
  const r = run(process.execPath, [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '--noEmit',
    '-p',
    'tests/types',
  ]);
  tally('types (tsc)', r.status === 0 ? 1 : 0, r.status === 0 ? 0 : 1, r.status);
}
if (wanted('lint')) countTargets('lint', 'lint', run('node', ['scripts/lint.js']));
if (wanted('browser')) countUvu('browser tests', run('node', [uvu, 'tests/browser', '\\.test\\.js$']));

console.log(`\n${report.join('\n')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed ? 1 : 0);
