// suites.js: what `npm test` (scripts/test.js) needs to run a suite and
// trust its count, kept apart so that tests/runner.test.js can test it:
//   runLimited   a command in a process group of its own, killed whole at a deadline
//   count*       a suite's output read as { passed, failed }, colour codes stripped
//   judge        a suite's count with its exit status, time limit and committed floor
import { spawn } from 'node:child_process';

/** Colour and cursor codes out of a terminal output. */
// eslint-disable-next-line no-control-regex -- ESC is what the codes start with
export const plain = (text) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/**
 * Runs cmd argv in a process group of its own with its output kept (and
 * passed to onOutput as it comes); at `deadline` (ms since the epoch) the
 * whole group is killed, browsers and servers it started included.
 * Resolves { status, out, timedOut } (status 127 when it could not start).
 */
export function runLimited(cmd, argv, { cwd, env, deadline, onOutput = () => {} }) {
  return new Promise((resolve) => {
    let out = '';
    let timedOut = false;
    const child = spawn(cmd, argv, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (chunk) => {
      const text = chunk.toString();
      out += text;
      onOutput(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        killGroup();
      },
      Math.max(0, deadline - Date.now()),
    );
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: 127, out: `${out}\n${cmd}: ${e.message}\n`, timedOut });
    });
    // 'exit', not 'close': a grandchild that outlives the command may hold the pipes open
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // nothing of a finished suite keeps running
      setImmediate(() => resolve({ status: code ?? (signal ? 128 : 1), out, timedOut }));
    });
  });
}

/** ctest: "100% tests passed, 0 tests failed out of 9"; null when the line is missing. */
export function countCtest(out) {
  const m = plain(out).match(/(\d+)% tests passed, (\d+) tests failed out of (\d+)/);
  return m ? { passed: Number(m[3]) - Number(m[2]), failed: Number(m[2]) } : null;
}

/**
 * uvu: "Total: 12 / Passed: 11 / Skipped: 1". uvu's Total leaves skipped
 * tests out, and a skipped test is a failure here: failed = total - passed
 * + skipped. null when the summary is missing.
 */
export function countUvu(out) {
  const text = plain(out);
  const total = text.match(/Total:\s+(\d+)/);
  const passed = text.match(/Passed:\s+(\d+)/);
  const skipped = text.match(/Skipped:\s+(\d+)/);
  if (!total || !passed) return null;
  return { passed: Number(passed[1]), failed: Number(total[1]) - Number(passed[1]) + Number(skipped?.[1] ?? 0) };
}

/**
 * fuzz.sh, valgrind.sh, lint.js: one line per target, "fuzz fuzz_idx: ok, ..."
 * or "valgrind test_nn: FAILED: ..."; null when there is none.
 */
export function countTargets(prefix, out) {
  let passed = 0,
    failed = 0;
  for (const m of plain(out).matchAll(new RegExp(`^${prefix} \\S+: (ok|FAILED)`, 'gm')))
    m[1] === 'ok' ? passed++ : failed++;
  return passed + failed ? { passed, failed } : null;
}

/**
 * The suite's result: its count, or one failure when it printed none;
 * at least one failure when it exited non-zero or ran out of time; and one
 * more when it passed fewer than its committed floor (a suite that shrank).
 * Returns { passed, failed, problems: [reasons] }.
 */
export function judge({ count, status, timedOut, limitMinutes, floor }) {
  const problems = [];
  let { passed, failed } = count ?? { passed: 0, failed: 0 };
  if (timedOut) problems.push(`timed out after ${limitMinutes} min`);
  else if (!count) problems.push('printed no count');
  else if (status !== 0 && failed === 0) problems.push(`exited with status ${status}`);
  if (problems.length && failed === 0) failed = 1;
  if (floor !== undefined && passed < floor) {
    problems.push(`${passed} passed, fewer than its floor of ${floor} in tests/floors.json`);
    failed++;
  }
  return { passed, failed, problems };
}

/**
 * What to show of a failed suite at the end of the run, where a reader of
 * only the last lines of CI's log finds it: uvu's failure reports (from the
 * first "FAIL" to its summary), ctest's failed tests and the FAILED lines of
 * the scripts, else the last lines. At most `max` lines.
 */
export function failureExcerpt(out, max = 80) {
  const lines = plain(out).split('\n');
  const firstFail = lines.findIndex((l) => /^\s+FAIL\s/.test(l));
  let picked;
  if (firstFail >= 0) {
    const total = lines.findIndex((l, i) => i > firstFail && /^\s+Total:/.test(l));
    picked = lines.slice(firstFail, total < 0 ? undefined : total);
  } else {
    picked = lines.filter((l) => /\*\*\*Failed|\bFAILED\b|\(Failed\)|Exception|Timeout\b/.test(l));
    if (picked.length === 0) picked = lines.slice(-30);
  }
  const trimmed = picked.map((l) => l.trimEnd());
  while (trimmed.length && !trimmed.at(-1)) trimmed.pop();
  return trimmed.length > max
    ? [...trimmed.slice(0, max), `... (${trimmed.length - max} more lines in the suite's log above)`].join('\n')
    : trimmed.join('\n');
}
