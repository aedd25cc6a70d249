// Shared by the uvu tests: paths, the default data set, the native build,
// and an assertion for "this call fails with that error".
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { parseIdx } from 'mnist-wasm';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dataDir = path.join(root, 'web/data');
export const nativeDir = path.join(root, 'build/native');
export const nativeTrain = path.join(nativeDir, 'mnist-train');
export const bin = path.join(root, 'bin/mnist-wasm.js');

const NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** The raw .gz bytes of one default data file; fails clearly if web/data is missing. */
export function dataFile(name) {
  const file = path.join(dataDir, `${name}.gz`);
  if (!existsSync(file)) assert.unreachable(`${file} is missing: run node scripts/make-dataset.js (or npm run build)`);
  return readFileSync(file);
}

let cached = null;
/** The default split (web/data): { trainImages, trainLabels, testImages, testLabels } as Uint8Arrays. */
export async function defaultData() {
  cached ??= (async () => {
    const out = {};
    for (const [k, name] of Object.entries(NAMES)) out[k] = (await parseIdx(dataFile(name))).data;
    return out;
  })();
  return cached;
}

/** The native build's CLI and core library, or a clear failure. */
export function requireNative() {
  for (const f of [nativeTrain, path.join(nativeDir, 'libnn_core.a')]) {
    if (!existsSync(f)) assert.unreachable(`${f} is missing: build natively first (cmake --preset native && cmake --build --preset native, or node scripts/build.js --native; npm test does it)`);
  }
  return { train: nativeTrain, lib: path.join(nativeDir, 'libnn_core.a') };
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: opts.encoding ?? 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) throw r.error;
  return r;
}

/**
 * Asserts that fn() throws (or rejects with) an instance of Class whose
 * message matches re. Returns the error.
 */
export async function rejects(fn, Class, re, label = '') {
  let err = null;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  const where = label ? `${label}: ` : '';
  assert.ok(err, `${where}expected ${Class.name} ${re}, but it did not throw`);
  assert.ok(err instanceof Class, `${where}expected ${Class.name}, got ${err?.constructor?.name}: ${err?.message}`);
  assert.ok(re.test(err.message), `${where}message "${err.message}" does not match ${re}`);
  return err;
}

export const equalBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
