#!/usr/bin/env node
// What `npm start` and `npm test` need before they can run, brought in when
// it is missing and only checked when it is there (a few file reads and one
// `bash scripts/setup.sh --check`), so a second run does nothing again:
//   Node.js 20+       checked: it cannot install itself
//   system tools      scripts/setup.sh --check; if something is missing, root
//                     runs scripts/setup.sh, anyone else is told to and it stops
//   npm packages      each dependency of package.json installed at the version
//                     package-lock.json names, else `npm ci`
// Each step prints one line. Plain Node built-ins only: node_modules may not
// exist yet. scripts/serve.js and scripts/test.js call ensure() first.
//   node scripts/ensure.js
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function stop(msg) {
  console.error(`ensure: ${msg}`);
  process.exit(1);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(path.join(root, file), 'utf8'));
  } catch {
    return null;
  }
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.error) stop(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

/** The first missing system tool problem, as setup.sh --check words it, or null. */
function toolsProblem() {
  const r = spawnSync('bash', ['scripts/setup.sh', '--check'], { cwd: root, encoding: 'utf8' });
  if (r.error) return `bash: ${r.error.message}`;
  return r.status === 0
    ? null
    : r.stderr.trim().replace(/^setup: /, '') || `scripts/setup.sh --check exited ${r.status}`;
}

/** Why node_modules does not match package-lock.json (first reason), or null. */
function packagesProblem() {
  const pkg = readJson('package.json');
  const lock = readJson('package-lock.json');
  if (!pkg || !lock?.packages) return 'package.json or package-lock.json is unreadable';
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  let installed = 0;
  let problem = null;
  for (const name of names) {
    const want = lock.packages[`node_modules/${name}`]?.version;
    const have = readJson(`node_modules/${name}/package.json`)?.version;
    if (have) installed++;
    if (problem) continue;
    if (!want) problem = `${name} is not in package-lock.json`;
    else if (!have) problem = `${name}@${want} is not installed`;
    else if (have !== want) problem = `${name} is ${have}, package-lock.json wants ${want}`;
  }
  return installed === 0 && names.length ? 'node_modules is missing' : problem;
}

/** npm as the running npm would call it (npm_execpath under `npm start` / `npm test`). */
function npm(argv) {
  const cli = process.env.npm_execpath;
  return cli && /\.[cm]?js$/.test(cli) ? run(process.execPath, [cli, ...argv]) : run('npm', argv);
}

export function ensure() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20)
    stop(`Node.js 20 or newer is required (this is ${process.version}); install it from https://nodejs.org`);

  let did = false;
  const tools = toolsProblem();
  if (tools) {
    if (process.getuid?.() !== 0) stop(`${tools}; to install them, run once: sudo bash scripts/setup.sh`);
    console.log(`ensure: ${tools}: running bash scripts/setup.sh (as root)`);
    if (run('bash', ['scripts/setup.sh']) !== 0) stop('scripts/setup.sh failed (see above)');
    const still = toolsProblem();
    if (still) stop(`after scripts/setup.sh: ${still}`);
    did = true;
  }

  const packages = packagesProblem();
  if (packages) {
    console.log(`ensure: ${packages}: running npm ci`);
    if (npm(['ci', '--no-audit', '--no-fund']) !== 0) stop('npm ci failed (see above)');
    const still = packagesProblem();
    if (still) stop(`after npm ci: ${still}`);
    did = true;
  }

  if (!did) console.log('ensure: system tools and npm packages are in place');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) ensure();
