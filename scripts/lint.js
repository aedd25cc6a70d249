#!/usr/bin/env node
// `npm run lint`: four checks over the files of scripts/sources.js, each
// ending in one line `lint NAME: ok` or `lint NAME: FAILED ...` (npm test
// counts them); exit 1 if any failed.
//   clang-format   the C is laid out as .clang-format says      (npm run format fixes it)
//   prettier       the JS and TS are laid out as prettier.config.js says  (npm run format fixes it)
//   eslint         eslint.config.js's rules over the JS
//   clang-tidy     .clang-tidy's checks over csrc/*.c and csrc/cli/*.c, compiled as the
//                  native build compiles them (build/native/compile_commands.json);
//                  a file that passed and has not changed since is not analysed again
// Usage: node scripts/lint.js
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { CLANG_FORMAT, CLANG_TIDY, root, sourceFiles } from './sources.js';

const { c, js } = sourceFiles();
let failed = 0;

function report(name, problem, detail) {
  if (problem) failed++;
  console.log(`lint ${name}: ${problem ? `FAILED: ${problem}` : `ok${detail ? ` (${detail})` : ''}`}`);
}

// { status, out } of a command; status null when it could not start.
function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const missing = r.error?.code === 'ENOENT' ? `${cmd} not found: run scripts/setup.sh` : r.error?.message;
  return { status: r.error ? null : r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, missing };
}

function nodeTool(bin, argv) {
  const file = path.join(root, 'node_modules', bin);
  if (!existsSync(file)) return { status: null, out: '', missing: `${bin} is not installed: run npm ci` };
  return run(process.execPath, [file, ...argv]);
}

function clangFormat() {
  const r = run(CLANG_FORMAT, ['--dry-run', '--Werror', ...c]);
  if (r.status === null) return report('clang-format', r.missing);
  // one line per file, not one per misplaced token
  const flagged = r.out.matchAll(/^(.+?):\d+:\d+: error: code should be clang-formatted/gm);
  const files = [...new Set(Array.from(flagged, (m) => path.relative(root, path.resolve(root, m[1]))))];
  for (const f of files) console.log(`  ${f}`);
  const problem = `${files.length || 'some'} of ${c.length} C files need npm run format`;
  report('clang-format', r.status === 0 ? null : problem);
}

function prettier() {
  const r = nodeTool('prettier/bin/prettier.cjs', ['--list-different', ...js]);
  if (r.status === null) return report('prettier', r.missing);
  if (r.status > 1) {
    process.stdout.write(r.out);
    return report('prettier', 'it could not read every file (see above)');
  }
  const files = r.out.split('\n').filter(Boolean);
  for (const f of files) console.log(`  ${f}`);
  report('prettier', r.status === 0 ? null : `${files.length} of ${js.length} files need npm run format`);
}

function eslint() {
  const linted = js.filter((f) => !f.endsWith('.ts')); // the types are tsc's (npm test: types)
  const r = nodeTool('eslint/bin/eslint.js', ['--max-warnings', '0', ...linted]);
  if (r.status === null) return report('eslint', r.missing);
  process.stdout.write(r.out);
  const count = r.out.match(/(\d+) problems?/);
  report('eslint', r.status === 0 ? null : `${count ? count[1] : 'some'} problems in ${linted.length} files`);
}

// The native build's compile commands: configuring is enough to write them.
function compileCommands() {
  const file = path.join(root, 'build/native/compile_commands.json');
  if (!existsSync(file)) run('cmake', ['--preset', 'native']);
  return existsSync(file) ? path.dirname(file) : null;
}

// clang-tidy on one file: { code, out }, or { error } when it could not start.
function tidy(file, dir) {
  // wasm_api.c and wasm_layout.c are only in the wasm build: they take the core's flags and the CLI's headers
  const argv = ['-p', dir, '--quiet', `--extra-arg=-I${path.join(root, 'csrc/cli')}`, file];
  return new Promise((resolve) => {
    const child = spawn(CLANG_TIDY, argv, { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (error) => resolve({ error }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

// A file that passed with the same bytes, headers, flags, checks and
// clang-tidy passes again, so its key is kept (build/lint/) and the slow
// analysis skipped next time.
function passKeys(files, dir) {
  const version = run(CLANG_TIDY, ['--version']).out;
  const configs = ['.clang-tidy', ...readdirSync(path.join(root, 'csrc'), { recursive: true }).map((f) => `csrc/${f}`)];
  const shared = [...configs.filter((f) => path.basename(f) === '.clang-tidy'), ...c.filter((f) => f.endsWith('.h'))];
  const hash = createHash('sha256')
    .update(version)
    .update(readFileSync(path.join(dir, 'compile_commands.json')));
  for (const f of shared) hash.update(f).update(readFileSync(path.join(root, f)));
  const base = hash.digest('hex');
  const key = (f) =>
    createHash('sha256')
      .update(base)
      .update(f)
      .update(readFileSync(path.join(root, f)))
      .digest('hex');
  return new Map(files.map((f) => [f, path.join(root, 'build/lint/clang-tidy', key(f))]));
}

// One clang-tidy per file that has changed, as many at once as there are cores.
async function clangTidy() {
  const dir = compileCommands();
  if (!dir) return report('clang-tidy', 'no build/native/compile_commands.json (cmake --preset native failed)');
  const files = c.filter((f) => /^csrc\/(cli\/)?[^/]+\.c$/.test(f));
  const passed = passKeys(files, dir);
  const queue = files.filter((f) => !existsSync(passed.get(f)));
  const bad = [];
  let missing = null;
  const worker = async () => {
    for (let f; (f = queue.shift());) {
      const { code, out, error } = await tidy(f, dir);
      if (error) missing = error.code === 'ENOENT' ? `${CLANG_TIDY} not found: run scripts/setup.sh` : error.message;
      else if (code === 0) {
        mkdirSync(path.dirname(passed.get(f)), { recursive: true });
        writeFileSync(passed.get(f), '');
      } else {
        bad.push(f);
        process.stdout.write(out.replace(/^\d+ warnings? (and \d+ errors? )?generated\.\n/gm, ''));
      }
    }
  };
  const checked = queue.length;
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), queue.length) }, worker));
  const problem = missing ?? (bad.length ? `findings in ${bad.length} of ${files.length} files` : null);
  report('clang-tidy', problem, `${files.length} files, ${files.length - checked} unchanged since they passed`);
}

clangFormat();
prettier();
eslint();
await clangTidy();
process.exit(failed ? 1 : 0);
