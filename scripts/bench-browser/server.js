// The browser bench's server: the repository root on 127.0.0.1 through
// scripts/serve.js's static handler, cross-origin isolated
// (Cross-Origin-Opener-Policy + Cross-Origin-Embedder-Policy, so that
// SharedArrayBuffer, and with it every library's threads, exists), plus
//   /bench-bundle/NAME.js   a peer's trainer (trainers/NAME.js) bundled by
//                           esbuild at start: it imports its library by
//                           package name, as an app would;
//   /bench-data/FILE        the first `digits` digits of the default training
//                           set (web/data, stored in a seeded shuffled order)
//                           as two plain IDX files: the same bytes for every library.
// A page asked for with ?isolated=0 comes without the two headers (and so
// do the workers it starts): the same page, not cross-origin isolated.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { serve, staticHandler, buildMissing, WEB, ISOLATION } from '../serve.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
export const PAGE = '/scripts/bench-browser/index.html';
export const DATA_URLS = {
  images: '/bench-data/train-images-idx3-ubyte',
  labels: '/bench-data/train-labels-idx1-ubyte',
};
const PEERS = ['tfjs', 'jax'];
/** Where the worker imports each library's trainer from: this package's as it is, the peers' bundled. */
export const TRAINER_URLS = {
  'mnist-wasm': '/scripts/bench-browser/trainers/mnist-wasm.js',
  ...Object.fromEntries(PEERS.map((p) => [p, `/bench-bundle/${p}.js`])),
};

// The page's policy, but workers and their scripts may also come from
// blob: URLs: jax-js starts its kernel workers from one, and TensorFlow.js's
// threaded build its pthread workers (which importScripts a blob:).
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  'img-src data:',
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

/** An IDX file cut to its first n samples: the same header with n as its count. */
function firstSamples(idx, n) {
  const dims = idx[3];
  const count = idx.readUInt32BE(4);
  if (n > count) throw new RangeError(`the training set has ${count} digits, fewer than the ${n} asked for`);
  let row = 1;
  for (let i = 1; i < dims; i++) row *= idx.readUInt32BE(4 + 4 * i);
  const head = 4 + 4 * dims;
  const out = Buffer.from(idx.subarray(0, head + n * row));
  out.writeUInt32BE(n, 4);
  return out;
}

async function bundle(name) {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [path.join(HERE, 'trainers', `${name}.js`)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  return r.outputFiles[0].contents;
}

function sendBytes(res, bytes, type) {
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    ...ISOLATION,
  });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/**
 * Starts the server on a free port; resolves with { url, close }. Builds the
 * wasm module and the default data set first if they are missing.
 */
export async function startBenchServer({ digits = 8192 } = {}) {
  buildMissing();
  const read = (name) => firstSamples(gunzipSync(readFileSync(path.join(WEB, 'data', `${name}.gz`))), digits);
  const data = {
    [DATA_URLS.images]: read('train-images-idx3-ubyte'),
    [DATA_URLS.labels]: read('train-labels-idx1-ubyte'),
  };
  const bundles = Object.fromEntries(await Promise.all(PEERS.map(async (p) => [TRAINER_URLS[p], await bundle(p)])));
  const isolated = staticHandler(ROOT, { csp: CSP }); // serve.js's isolation headers
  const plain = staticHandler(ROOT, { csp: CSP, isolate: false });
  const handler = (req, res) => {
    const [where, query = ''] = req.url.split('?');
    if (data[where]) return sendBytes(res, data[where], 'application/octet-stream');
    if (bundles[where]) return sendBytes(res, bundles[where], 'text/javascript; charset=utf-8');
    return (new URLSearchParams(query).get('isolated') === '0' ? plain : isolated)(req, res);
  };
  const { server, url } = await serve({ port: 0, handler });
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
