#!/usr/bin/env node
// The `npm start` server: brings in what is missing (scripts/ensure.js:
// system tools, npm packages), builds what is missing (the wasm module, the
// default data set), then serves web/ on 127.0.0.1 (PORT, default 8080).
//   node scripts/serve.js            PORT=0 picks a free port
// Static files only, with the page's Content-Security-Policy, application/wasm
// for .wasm, and no way out of web/ (".." plain or percent-encoded is refused).
// Every file is sent cross-origin isolated (COOP same-origin, COEP
// require-corp, CORP same-origin), so the page has SharedArrayBuffer; data
// from another origin then needs CORS. Tests import staticHandler() and
// serve() from here.
import http from 'node:http';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensure } from './ensure.js';
import { writeCacheManifest, MANIFEST } from './cache-manifest.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WEB = path.join(ROOT, 'web');

// Only this origin's scripts and wasm ('wasm-unsafe-eval' allows compiling
// WebAssembly, nothing else); no inline script, no eval. connect-src is open
// because the data URL is the person's choice. web/index.html carries the same
// policy in a <meta> tag for static hosts that send none.
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  'connect-src *',
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip', // served as bytes, not Content-Encoding: the page gunzips IDX itself
  '.mnwm': 'application/octet-stream',
};

// What makes the page cross-origin isolated. COEP require-corp: everything
// the page loads from another origin must allow it (CORS, or CORP); CORP
// same-origin: this server's own files are for its own pages.
export const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
// The service worker's script goes without COEP: it need not be isolated
// itself, and without it the worker may make the no-cors request that tells
// a server that does not answer from one that answers without CORS.
const SERVICE_WORKER = 'sw.js';

export function contentType(file) {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function send(res, status, text, headers = {}) {
  const body = `${text}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/* The request path as safe segments, or null: each segment is decoded once and
 * must not be '.', '..', empty in the middle, or hold '/', '\' or NUL. */
function segments(rawUrl) {
  const q = rawUrl.search(/[?#]/);
  const raw = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (!raw.startsWith('/')) return null;
  const parts = raw.slice(1).split('/');
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    let s;
    try {
      s = decodeURIComponent(parts[i]);
    } catch {
      return null;
    }
    if (s === '' && i === parts.length - 1) break; // trailing slash
    if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) return null;
    out.push(s);
  }
  return { parts: out, dir: raw.endsWith('/') };
}

/**
 * A request handler serving the files under root. isolate: false sends no
 * isolation headers, as many static hosts do (for tests of the service worker).
 */
export function staticHandler(root = WEB, { csp = CSP, isolate = true } = {}) {
  const base = path.resolve(root);
  let realBase = null;
  return async function handle(req, res) {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
        return;
      }
      const seg = segments(req.url);
      if (!seg) {
        send(res, 400, 'Bad path');
        return;
      }
      // The service worker's list, made anew when it is asked for (the
      // browser does on every load): a file edited while the server runs is
      // a new version at the next load, not a stale copy in the cache.
      if (seg.parts.join('/') === MANIFEST) {
        try {
          writeCacheManifest(base);
        } catch {
          /* a folder it cannot write: serve the list there is */
        }
      }
      let file = path.join(base, ...seg.parts);
      if (file !== base && !file.startsWith(base + path.sep)) {
        send(res, 400, 'Bad path');
        return;
      }
      let info = await stat(file).catch(() => null);
      if (info?.isDirectory()) {
        if (!seg.dir) {
          const loc = '/' + seg.parts.map(encodeURIComponent).join('/') + '/';
          send(res, 301, `Moved to ${loc}`, { Location: loc });
          return;
        }
        file = path.join(file, 'index.html');
        info = await stat(file).catch(() => null);
      }
      if (!info?.isFile()) {
        send(res, 404, 'Not found');
        return;
      }
      // Symlinks may not lead out of the served folder either.
      realBase ??= await realpath(base);
      const real = await realpath(file);
      if (real !== realBase && !real.startsWith(realBase + path.sep)) {
        send(res, 404, 'Not found');
        return;
      }

      res.writeHead(200, {
        'Content-Type': contentType(file),
        'Content-Length': info.size,
        'Cache-Control': 'no-cache',
        'Last-Modified': info.mtime.toUTCString(),
        'Content-Security-Policy': csp,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        ...(isolate && isolationHeaders(path.relative(base, file))),
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(file);
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `Server error: ${e.message}`);
      else res.destroy();
    }
  };
}

function isolationHeaders(relative) {
  if (relative !== SERVICE_WORKER) return ISOLATION;
  const { 'Cross-Origin-Embedder-Policy': _, ...rest } = ISOLATION;
  return rest;
}

/** Starts a server for root on host:port; resolves with { server, url }. */
export function serve({ root = WEB, port = 8080, host = '127.0.0.1', handler } = {}) {
  const server = http.createServer(handler ?? staticHandler(root));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: actual } = server.address();
      resolve({ server, url: `http://${host}:${actual}/` });
    });
  });
}

/* ---------- `npm start` ---------- */

function run(cmd, args, what) {
  console.log(`$ ${[cmd, ...args].join(' ')}    (${what})`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error) throw new Error(`${what} failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal})`);
}

/**
 * Builds the wasm module and the default data set when they are missing,
 * and brings the service worker's list of files up to date.
 */
export function buildMissing() {
  const wasm = path.join(WEB, 'build', 'mnist.wasm');
  const glue = path.join(WEB, 'build', 'mnist.js');
  if (!existsSync(wasm) || (!existsSync(glue) && needsGlue())) {
    const scripts = existsSync(path.join(ROOT, 'scripts')) ? readdirSync(path.join(ROOT, 'scripts')) : [];
    const build = ['build.sh', 'build.js', 'build.mjs'].find((f) => scripts.includes(f));
    if (!build) throw new Error('web/build/mnist.wasm is missing and there is no scripts/build.* to make it');
    const file = path.join('scripts', build);
    if (build.endsWith('.sh')) run('bash', [file], 'building the wasm module');
    else run(process.execPath, [file], 'building the wasm module');
    if (!existsSync(wasm)) throw new Error(`${file} ran but web/build/mnist.wasm is still missing`);
  }
  const data = path.join(WEB, 'data');
  const names = [
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
  ];
  if (!names.every((n) => existsSync(path.join(data, `${n}.gz`)) || existsSync(path.join(data, n)))) {
    run(process.execPath, [path.join('scripts', 'make-dataset.js')], 'making the default data set');
  }
  writeCacheManifest(WEB);
}

// An Emscripten build also makes the glue mnist.js, which the lib then imports.
function needsGlue() {
  try {
    return /build\/mnist\.js/.test(readFileSync(path.join(WEB, 'lib', 'index.js'), 'utf8'));
  } catch {
    return false;
  }
}

async function main() {
  const raw = process.env.PORT ?? '8080';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: PORT=${raw} is not a port number (0..65535)`);
    process.exit(2);
  }
  ensure();
  try {
    buildMissing();
  } catch (e) {
    console.error(`serve: ${e.message}`);
    process.exit(1);
  }
  let started;
  try {
    started = await serve({ port });
  } catch (e) {
    console.error(
      e.code === 'EADDRINUSE'
        ? `serve: port ${port} is in use; run with another, e.g. PORT=8081 npm start`
        : `serve: ${e.message}`,
    );
    process.exit(1);
  }
  console.log(`mnist-wasm page: ${started.url}  (serving ${path.relative(process.cwd(), WEB) || 'web'}; Ctrl+C stops)`);
  const stop = () => {
    started.server.close();
    started.server.closeAllConnections?.();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
