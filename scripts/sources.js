// The project's own source files, by language, for scripts/format.js and
// scripts/lint.js: what git tracks plus new files it does not ignore, less
// data that only looks like code (fuzz corpora, test fixtures). web/build/,
// web/data/, build/ and node_modules/ are ignored by .gitignore.
// Also the C tools, by exact version: another clang-format lays out the
// same code differently, and `npm run format` must give the same bytes on
// every machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLANG_FORMAT = 'clang-format-14';
export const CLANG_TIDY = 'clang-tidy-14';

// Data under tests/ (the bundle app in tests/fixtures/bundle-app/ is code).
const NOT_SOURCES = [/^tests\/fuzz\/(corpus|regressions)\//, /^tests\/fixtures\/(?!bundle-app\/)/];

/** { c: [...], js: [...] }: paths relative to the root; js includes TypeScript. */
export function sourceFiles() {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.error || r.status !== 0) throw new Error(`git ls-files failed: ${r.error?.message ?? r.stderr.trim()}`);
  const files = r.stdout
    .split('\0')
    .filter((f) => f && !NOT_SOURCES.some((re) => re.test(f)) && existsSync(path.join(root, f)));
  return {
    c: files.filter((f) => /\.[ch]$/.test(f)),
    js: files.filter((f) => /\.([cm]?js|ts)$/.test(f)),
  };
}
