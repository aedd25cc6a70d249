// Shared by the uvu tests: paths, the default data set, the native build,
// and an assertion for "this call fails with that error".
import { readFileSync, existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { parseIdx } from 'mnist-wasm';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dataDir = path.join(root, 'web/data/small'); // the 10,000-digit split: fast
export const fullDataDir = path.join(root, 'web/data'); // full MNIST, the default data set
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
/**
 * The package's declarations as one text: web/lib/index.d.ts with each file
 * it re-exports (`export * from './data.js';`) in place of that line, so that
 * the readers of tests/types.test.js and tests/docs.test.js see every
 * declaration, one per line, wherever it is written.
 */
export function readDeclarations(file = 'web/lib/index.d.ts') {
  const text = readFileSync(path.join(root, file), 'utf8');
  return text.replace(/^export \* from '\.\/([\w-]+)\.js';$/gm, (_, name) =>
    readDeclarations(path.join(path.dirname(file), `${name}.d.ts`)),
  );
}

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
    if (!existsSync(f))
      assert.unreachable(
        `${f} is missing: build natively first (cmake --preset native && cmake --build --preset native, or node scripts/build.js --native; npm test does it)`,
      );
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

/** An IDX file: 00 00 type ndims, big-endian dims, then the body. */
export function idx(type, dims, body = []) {
  const h = new Uint8Array(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  const v = new DataView(h.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** CRC-32 (IEEE), as csrc/model.c computes it. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A copy of a model file (csrc/model.h layout) changed by edit(view, at)
 * and given a valid CRC again, so that the loader must judge the fields.
 * at: byte offsets of the fields for this file's layer count.
 */
/** Pixels from..to of a Float32Array set to +v and -v in turn: finite, but
 *  they overflow the forward pass, and centring (the default input) leaves
 *  them as large (a run of one huge value it would take to zeros). */
export function fillHuge(a, from, to, v = 3e38) {
  for (let i = from; i < to; i++) a[i] = i % 2 ? -v : v;
  return a;
}

export function patchModel(bytes, edit) {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  const n = v.getUint32(12, true);
  const after = 16 + 4 * n;
  const at = {
    version: 4,
    length: 8,
    nSizes: 12,
    sizes: 16,
    activation: after,
    optimizer: after + 4,
    learningRate: after + 8,
    batchSize: after + 28,
    input: after + 60,
    count: after + 88,
    params: after + 92,
  };
  edit(v, at);
  v.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

/** A full garbage collection (v8's gc, reached without --expose-gc on the command line). */
export async function gc() {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const collect = vm.runInNewContext('gc');
  collect();
  await new Promise((ok) => setImmediate(ok)); // let FinalizationRegistry / WeakRef settle
  collect();
}

/** An http server on 127.0.0.1 only (never another interface): { base, close, server }. */
export async function loopbackServer(handler) {
  const http = await import('node:http');
  const server = http.createServer(handler);
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    server,
    base: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

/** A command run without blocking the event loop (a test's server must answer): { status, stdout, stderr }. */
export function runAsync(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env } });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The same arguments through both command lines, side by side: { native, node }. */
export async function bothCommands(args) {
  const [n, w] = await Promise.all([runAsync(requireNative().train, args), runAsync(process.execPath, [bin, ...args])]);
  return { native: n, node: w };
}
