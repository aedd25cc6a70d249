// scripts/serve.js, the `npm start` server: MIME types, the CSP header, the
// cross-origin isolation headers (the service worker's script without COEP), no
// way out of web/ (".." plain, percent-encoded, or with backslashes), and the
// command itself (PORT, the printed URL, a clear error for a bad PORT).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, startServer, once } from './helpers.js';

const ctx = {};

const ready = once(async () => {
  ctx.server = await startServer();
  ctx.port = Number(new URL(ctx.server.url).port);
  return ctx;
});

test.after(async () => {
  await ctx.server?.close();
});

/* A request with the path sent exactly as written (no client-side normalising). */
async function get(rawPath, method = 'GET') {
  await ready();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ctx.port, path: rawPath, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page with the right types and the CSP', async () => {
  const want = {
    '/': 'text/html; charset=utf-8',
    '/index.html': 'text/html; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/worker.js': 'text/javascript; charset=utf-8',
    '/lib/index.js': 'text/javascript; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/build/mnist.wasm': 'application/wasm',
    '/data/t10k-labels-idx1-ubyte.gz': 'application/gzip',
  };
  for (const [p, type] of Object.entries(want)) {
    const r = await get(p);
    assert.is(r.status, 200, p);
    assert.is(r.headers['content-type'], type, p);
    assert.match(r.headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/, p);
    assert.is(r.headers['x-content-type-options'], 'nosniff');
    assert.is(Number(r.headers['content-length']), r.body.length, p);
  }
  for (const p of [...Object.keys(want), '/build/cache-manifest.js', '/sw.js']) {
    const r = await get(p);
    assert.is(r.headers['cross-origin-opener-policy'], 'same-origin', p);
    assert.is(r.headers['cross-origin-resource-policy'], 'same-origin', p);
    assert.is(r.headers['cross-origin-embedder-policy'], p === '/sw.js' ? undefined : 'require-corp', p);
  }
  assert.is((await get('/sw.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  const wasm = await get('/build/mnist.wasm');
  assert.equal([...wasm.body.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'wasm magic');
  assert.is(wasm.headers['content-encoding'], undefined, 'no transfer encoding: the page gunzips itself');
  const head = await get('/app.js', 'HEAD');
  assert.is(head.status, 200);
  assert.is(head.body.length, 0);
});

test('no directory escape: "..", encoded or not, never leaves web/', async () => {
  const escapes = [
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/..%2fpackage.json',
    '/..%2Fpackage.json',
    '/%2e%2e%2fpackage.json',
    '/data/..%2f..%2fpackage.json',
    '/..%5cpackage.json',
    '/data/%2e%2e%5c%2e%2e%5cpackage.json',
    '/..\\package.json',
    '/data/../../package.json',
    '/%252e%252e/package.json',
    '/./../package.json',
    '/lib/%2e%2e/%2e%2e/package.json',
    '/%00../package.json',
    '//etc/passwd',
    '/..%00/package.json',
  ];
  for (const p of escapes) {
    const r = await get(p);
    assert.ok(r.status === 400 || r.status === 404, `${p} -> ${r.status}`);
    assert.not.match(r.body.toString(), /"name": "mnist-wasm"|root:/, `${p} leaked a file`);
  }
});

test('404, directory redirect, and methods', async () => {
  assert.is((await get('/no-such-file.js')).status, 404);
  const dir = await get('/data');
  assert.is(dir.status, 301);
  assert.is(dir.headers.location, '/data/');
  assert.is((await get('/data/')).status, 404, 'no directory listing');
  const post = await get('/', 'POST');
  assert.is(post.status, 405);
  assert.is(post.headers.allow, 'GET, HEAD');
});

test('node scripts/serve.js: serves on PORT and prints the URL; a bad PORT is a clear error', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'serve.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
  });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve.js exited ${code}: ${out}`)));
    });
    const res = await fetch(url);
    assert.is(res.status, 200);
    assert.match(await res.text(), /<title>mnist-wasm/);
  } finally {
    child.kill('SIGTERM');
  }
  const bad = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'serve.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: 'eighty' },
    encoding: 'utf8',
  });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /PORT=eighty is not a port number/);
});

test.run();
