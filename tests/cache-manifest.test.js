// scripts/cache-manifest.js, the one list of what the service worker keeps
// offline: the page, its scripts and style, the package's browser modules,
// every built module (a second, threaded one too) and the default data, with
// sizes and SHA-256 that match the files; every module the page loads
// (however many files its views take); nothing else (not the service
// worker, the Node entry, the small split); a version hash that changes
// with any file and a file that is rewritten only when it does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers/common.js';
import { cacheManifest, writeCacheManifest, readCacheManifest, MANIFEST } from '../scripts/cache-manifest.js';

const WEB = path.join(root, 'web');
let tmp;
test.before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-manifest-'));
  // the page's files, without the 11 MB of data: a small stand-in for it
  const data = path.join(WEB, 'data');
  cpSync(WEB, tmp, { recursive: true, filter: (src) => src !== data && !src.startsWith(data + path.sep) });
  cpSync(path.join(WEB, 'data', 'small'), path.join(tmp, 'data', 'small'), { recursive: true });
  cpSync(
    path.join(WEB, 'data', 'small', 't10k-labels-idx1-ubyte.gz'),
    path.join(tmp, 'data', 't10k-labels-idx1-ubyte.gz'),
  );
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('lists the page, its scripts, the modules and the default data, with their sizes and SHA-256', () => {
  const m = cacheManifest(tmp);
  const paths = m.files.map((f) => f.path);
  for (const p of [
    'index.html',
    'style.css',
    'app.js',
    'worker.js',
    'data.js',
    'offline.js',
    'lib/index.js',
    'lib/wasm.js',
    'build/mnist.js',
    'build/mnist.wasm',
    'data/t10k-labels-idx1-ubyte.gz',
  ]) {
    assert.ok(paths.includes(p), `${p} is kept`);
  }
  for (const p of ['sw.js', 'lib/node.js', 'lib/index.d.ts', MANIFEST, 'data/small/t10k-labels-idx1-ubyte.gz']) {
    assert.not.ok(paths.includes(p), `${p} is not kept`);
  }
  for (const f of m.files) {
    const bytes = readFileSync(path.join(tmp, f.path));
    assert.is(f.size, bytes.length, f.path);
    assert.is(f.sha256, createHash('sha256').update(bytes).digest('hex'), f.path);
  }
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.is(m.name, pkg.name);
  assert.is(m.version, pkg.version);
  assert.match(m.hash, /^[0-9a-f]{12}$/);
});

test('the real web/ as npm run build leaves it: the full MNIST files and the wasm module', () => {
  const m = readCacheManifest(WEB);
  assert.equal(m, cacheManifest(WEB), 'web/build/cache-manifest.js is up to date (npm run build writes it)');
  const data = m.files.filter((f) => f.path.startsWith('data/')).map((f) => f.path);
  assert.equal(data.sort(), [
    'data/t10k-images-idx3-ubyte.gz',
    'data/t10k-labels-idx1-ubyte.gz',
    'data/train-images-idx3-ubyte.gz',
    'data/train-labels-idx1-ubyte.gz',
  ]);
});

test("every module the page loads is kept: index.html's scripts, their workers and what each imports", () => {
  const kept = new Set(cacheManifest(tmp).files.map((f) => f.path));
  const html = readFileSync(path.join(tmp, 'index.html'), 'utf8');
  const todo = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(todo.length, 'index.html loads a script');
  const seen = new Set();
  while (todo.length) {
    const file = path.posix.normalize(todo.pop());
    if (seen.has(file) || file === 'sw.js') continue; // the service worker is the browser's to keep
    seen.add(file);
    assert.ok(kept.has(file), `${file} is kept (the page loads it)`);
    const src = readFileSync(path.join(tmp, file), 'utf8');
    // static imports and re-exports, dynamic imports and workers, each a relative path
    const refs = /(?:\bfrom\s*|\bimport\s*\(?\s*|new URL\(\s*)'(\.{1,2}\/[^']+\.js)'/g;
    for (const m of src.matchAll(refs)) todo.push(path.posix.join(path.posix.dirname(file), m[1]));
  }
  for (const f of ['app.js', 'ui.js', 'worker.js', 'lib/index.js', 'build/mnist.js'])
    assert.ok(seen.has(f), `${f} reached`);
});

test('a second built module (a threaded build) is kept too, with no change here', () => {
  writeFileSync(path.join(tmp, 'build', 'mnist-threads.js'), '// stand-in\n');
  writeFileSync(path.join(tmp, 'build', 'mnist-threads.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const paths = cacheManifest(tmp).files.map((f) => f.path);
  assert.ok(paths.includes('build/mnist-threads.js') && paths.includes('build/mnist-threads.wasm'));
  rmSync(path.join(tmp, 'build', 'mnist-threads.js'));
  rmSync(path.join(tmp, 'build', 'mnist-threads.wasm'));
});

test('any change of a file is a new version; the file is rewritten only then', async () => {
  const a = writeCacheManifest(tmp);
  const file = path.join(tmp, MANIFEST);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^\/\/ Written by scripts\/cache-manifest\.js/);
  assert.match(text, /^self\.CACHE_MANIFEST = \{/m);
  assert.equal(readCacheManifest(tmp), a);
  const mtime = statSync(file).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(writeCacheManifest(tmp), a);
  assert.is(statSync(file).mtimeMs, mtime, 'the same list is not written again');
  appendFileSync(path.join(tmp, 'style.css'), '\n/* changed */\n');
  const b = writeCacheManifest(tmp);
  assert.is.not(b.hash, a.hash);
  assert.equal(readCacheManifest(tmp), b);
});

/** The modules a module names by relative path (imports, and new URL(...) of a worker), under web/. */
function modulesNamed(file) {
  const text = readFileSync(path.join(tmp, file), 'utf8');
  return Array.from(text.matchAll(/['"](\.{1,2}\/[\w./-]+\.js)['"]/g), (m) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1])),
  );
}

test('every module the page and its worker load, however deep, is kept', () => {
  const kept = new Set(cacheManifest(tmp).files.map((f) => f.path));
  const seen = new Set();
  const queue = ['app.js'];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    assert.ok(kept.has(file), `${file} is kept`);
    // the built modules are the build's; sw.js, the service worker, is the browser's to keep
    queue.push(...modulesNamed(file).filter((f) => !f.startsWith('build/') && f !== 'sw.js'));
  }
  for (const f of ['worker.js', 'worker-link.js', 'training.js', 'lib/finetune.js', 'lib/index.js'])
    assert.ok(seen.has(f), `${f} is reached from app.js`);
});

test.run();
