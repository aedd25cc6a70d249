#!/usr/bin/env node
// `npm run format`: lays out the sources in place, the C with clang-format
// (.clang-format) and the JavaScript and TypeScript with Prettier
// (prettier.config.js). Layout only; `npm run lint` checks that it has been
// done and looks for mistakes.
//   node scripts/format.js
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLANG_FORMAT, root, sourceFiles } from './sources.js';

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.error?.code === 'ENOENT') fail(`${cmd} not found: run scripts/setup.sh`);
  if (r.error || r.status !== 0) fail(`${cmd} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

function fail(msg) {
  console.error(`format: ${msg}`);
  process.exit(1);
}

const { c, js } = sourceFiles();
run(CLANG_FORMAT, ['-i', ...c]);
console.log(`format: ${c.length} C files through ${CLANG_FORMAT}`);
run(process.execPath, [
  path.join(root, 'node_modules/prettier/bin/prettier.cjs'),
  '--write',
  '--log-level',
  'warn',
  ...js,
]);
console.log(`format: ${js.length} JavaScript and TypeScript files through Prettier`);
