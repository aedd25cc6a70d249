// The runner of `npm test` cannot be fooled: a hung suite is killed with
// everything it started and failed by name; counts are read through colour
// codes; a skipped test, a missing count, a non-zero exit and a suite under
// its floor each fail; an unknown --only is an error, not an empty pass; what
// failed is repeated at the end of the run, where CI's last lines show it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countCtest, countTargets, countUvu, failureExcerpt, judge, plain, runLimited } from '../scripts/suites.js';
import { root } from './helpers/common.js';

// running: it exists and is not a zombie (a killed process waits there until reaped)
const running = (pid) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('a suite past its deadline is killed, children and all', async () => {
  // the shell starts a sleeper of its own, prints its pid, then waits forever
  const start = Date.now();
  const r = await runLimited('bash', ['-c', 'sleep 300 & echo $!; wait'], {
    cwd: root,
    env: process.env,
    deadline: Date.now() + 1000,
  });
  assert.ok(r.timedOut, 'not reported as timed out');
  assert.ok(Date.now() - start < 30_000, 'the runner waited for the hung suite');
  const child = Number(r.out.trim().split('\n')[0]);
  assert.ok(child > 0, `no pid printed: ${r.out}`);
  for (let i = 0; i < 50 && running(child); i++) await new Promise((done) => setTimeout(done, 100));
  assert.not.ok(running(child), "the suite's child still runs");
  const verdict = judge({ count: null, status: r.status, timedOut: r.timedOut, limitMinutes: 1 });
  assert.equal(verdict.problems, ['timed out after 1 min']);
  assert.is(verdict.failed, 1);
});

test('a suite that ends in time keeps its status and output', async () => {
  const r = await runLimited('bash', ['-c', 'echo one; echo two >&2; exit 3'], {
    cwd: root,
    env: process.env,
    deadline: Date.now() + 60_000,
  });
  assert.is(r.status, 3);
  assert.is(r.timedOut, false);
  assert.match(r.out, /one/);
  assert.match(r.out, /two/);
});

test('uvu counts: colour codes stripped, a skip is a failure, a missing summary is none', () => {
  const coloured = '  Total:     12\u001b[32m\n  Passed:    12\u001b[39m\n  Skipped:   0\n';
  assert.equal(countUvu(coloured), { passed: 12, failed: 0 });
  assert.equal(countUvu('Total:     12\nPassed:    10\nSkipped:   0\n'), { passed: 10, failed: 2 });
  // uvu's Total leaves the skipped test out
  assert.equal(countUvu('Total:     11\nPassed:    11\nSkipped:   1\n'), { passed: 11, failed: 1 });
  assert.is(countUvu('Error: Cannot find module'), null);
  assert.is(plain('\u001b[1m\u001b[31mFAIL\u001b[39m\u001b[22m'), 'FAIL');
});

test("a failed suite's excerpt: uvu's failure report from a real run, FAILED lines, else the tail", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'runner-'));
  writeFileSync(
    path.join(dir, 'two.test.js'),
    `import { test } from '${path.join(root, 'node_modules/uvu/dist/index.mjs')}';
import * as assert from '${path.join(root, 'node_modules/uvu/assert/index.mjs')}';
test('holds', () => assert.is(1, 1));
test('slips', () => assert.is(2 + 2, 5, 'sums'));
test.run();\n`,
  );
  const r = await runLimited(process.execPath, [path.join(root, 'node_modules/uvu/bin.js'), dir, '\\.test\\.js$'], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '1' },
    deadline: Date.now() + 60_000,
  });
  rmSync(dir, { recursive: true });
  const excerpt = failureExcerpt(r.out);
  assert.match(excerpt, /^\s+FAIL\s+"slips"/);
  assert.match(excerpt, /sums/);
  assert.not.match(excerpt, /Total:/);
  assert.not.ok(excerpt.includes('\u001b'), 'colour codes stripped');
  assert.is(
    failureExcerpt('build\nvalgrind test_nn: ok\nvalgrind test_cli: FAILED: 2 errors\n'),
    'valgrind test_cli: FAILED: 2 errors',
  );
  assert.is(failureExcerpt('a\nb\nc\n'), 'a\nb\nc');
  const long = failureExcerpt(Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n'), 10);
  assert.is(long.split('\n').length, 11);
  assert.match(long, /^line 20\n/);
  assert.match(long, /20 more lines/);
});

test('ctest and per-target counts', () => {
  assert.equal(countCtest('89% tests passed, 1 tests failed out of 9'), { passed: 8, failed: 1 });
  assert.is(countCtest('CMake Error'), null);
  assert.equal(countTargets('fuzz', 'fuzz fuzz_idx: ok, 3 executions\nfuzz fuzz_data: FAILED: crash\n'), {
    passed: 1,
    failed: 1,
  });
  assert.is(countTargets('lint', 'nothing'), null);
});

test('judge: no count, a bad exit with no failure counted, and a suite under its floor each fail', () => {
  assert.equal(judge({ count: null, status: 0, timedOut: false }).problems, ['printed no count']);
  const bad = judge({ count: { passed: 5, failed: 0 }, status: 1, timedOut: false });
  assert.equal([bad.passed, bad.failed], [5, 1]);
  const shrunk = judge({ count: { passed: 40, failed: 0 }, status: 0, timedOut: false, floor: 41 });
  assert.is(shrunk.failed, 1);
  assert.match(shrunk.problems[0], /fewer than its floor of 41/);
  const good = judge({ count: { passed: 41, failed: 0 }, status: 0, timedOut: false, floor: 41 });
  assert.equal([good.passed, good.failed, good.problems], [41, 0, []]);
});

test('an unknown --only is an error, not an empty pass', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/test.js'), '--only', 'nope'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.is(r.status, 2);
  assert.match(r.stderr, /--only: no suite is called 'nope'/);
  assert.not.match(r.stdout, /passed, \d+ failed/);
});

test.run();
