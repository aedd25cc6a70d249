// fetchIdx and streamIdx against a local HTTP server on 127.0.0.1: a whole
// raw file, gzip, a slow chunked body, 404, truncated gzip, corrupt data and
// abort; plus file: URLs in Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { fetchIdx, streamIdx, parseIdx } from 'mnist-wasm';
import { dataFile, dataDir, rejects, equalBytes } from './helpers/common.js';

const gz = dataFile('t10k-images-idx3-ubyte');   // 2000 x 28 x 28
const raw = gunzipSync(gz);
const labelsGz = dataFile('t10k-labels-idx1-ubyte');
let server, base, expected;
const closed = [];   // paths whose response the client abandoned

function slowBody(res, bytes, { chunk = 4096, delay = 2, stopAt = Infinity, req }) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: no length
  let at = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (at >= Math.min(bytes.length, stopAt)) {
      if (stopAt === Infinity) res.end(); // else hang, like a stalled download
      return;
    }
    res.write(bytes.subarray(at, at + chunk));
    at += chunk;
    setTimeout(tick, delay);
  };
  req.on('close', () => { if (!res.writableEnded) closed.push(req.url); });
  tick();
}

test.before(async () => {
  expected = (await parseIdx(raw)).data;
  server = http.createServer((req, res) => {
    const send = (body, type = 'application/octet-stream') => {
      res.writeHead(200, { 'content-type': type, 'content-length': body.length });
      res.end(body);
    };
    switch (req.url) {
      case '/raw/t10k-images-idx3-ubyte': return send(raw);
      case '/gz/t10k-images-idx3-ubyte.gz': return send(gz);
      case '/gz/t10k-labels-idx1-ubyte.gz': return send(labelsGz);
      case '/slow/t10k-images-idx3-ubyte.gz': return slowBody(res, gz, { chunk: 2048, req });
      case '/slow/raw': return slowBody(res, raw, { chunk: 50000, req });
      case '/stall/raw': return slowBody(res, raw, { chunk: 20000, stopAt: 100000, req });
      case '/truncated.gz': return send(gz.subarray(0, gz.length >> 1));
      case '/tail-cut.gz': return send(gz.subarray(0, gz.length - 3));
      case '/truncated-raw': return send(raw.subarray(0, raw.length - 100));
      case '/reset': // promises the whole file, sends part of it, drops the connection
      case '/reset.gz': {
        const body = req.url === '/reset' ? raw : gz;
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 100000), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      case '/not-idx': return send(Buffer.from('<!doctype html><title>hello</title>'), 'text/html');
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
});

test.after(() => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }));

test('a whole raw file, with progress up to Content-Length', async () => {
  const seen = [];
  const r = await fetchIdx(`${base}/raw/t10k-images-idx3-ubyte`, { onProgress: (p) => seen.push(p) });
  assert.equal(r.dims, [2000, 28, 28]);
  assert.ok(equalBytes(r.data, expected));
  assert.ok(seen.length >= 1);
  assert.equal(seen[seen.length - 1], { received: raw.length, total: raw.length });
});

test('gzip, detected by its magic and decoded on the fly', async () => {
  const seen = [];
  const r = await fetchIdx(new URL(`${base}/gz/t10k-images-idx3-ubyte.gz`), { onProgress: (p) => seen.push(p) });
  assert.equal(r.dims, [2000, 28, 28]);
  assert.ok(equalBytes(r.data, expected));
  assert.equal(seen[seen.length - 1], { received: gz.length, total: gz.length }, 'progress counts the compressed bytes');
  const labels = await fetchIdx(`${base}/gz/t10k-labels-idx1-ubyte.gz`);
  assert.equal(labels.dims, [2000]);
});

test('a slow chunked body: many progress calls, total unknown', async () => {
  const seen = [];
  const r = await fetchIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`, { onProgress: (p) => seen.push(p) });
  assert.ok(equalBytes(r.data, expected));
  assert.ok(seen.length > 50, `${seen.length} progress calls`);
  assert.ok(seen.every((p, i) => p.total === null && (i === 0 || p.received > seen[i - 1].received)), 'received grows, total null');
  assert.is(seen[seen.length - 1].received, gz.length);
});

test('streamIdx: whole samples arrive before the download ends', async () => {
  let buf = null, updates = 0, header = null, lastReady = 0;
  const readyWhileStreaming = [];
  for await (const u of streamIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`)) {
    header ??= u;
    assert.is(u.start, lastReady, 'updates are contiguous');
    assert.ok(u.ready >= u.start);
    assert.is(u.samples.length, (u.ready - u.start) * u.sampleSize);
    buf ??= new Uint8Array(u.count * u.sampleSize);
    buf.set(u.samples, u.start * u.sampleSize);
    lastReady = u.ready;
    updates++;
    if (u.received < gz.length) readyWhileStreaming.push(u.ready);
  }
  assert.equal(header.dims, [2000, 28, 28]);
  assert.is(header.count, 2000);
  assert.is(header.sampleSize, 784);
  assert.is(lastReady, 2000);
  assert.ok(updates > 10, `${updates} updates`);
  assert.ok(readyWhileStreaming.some((n) => n > 0), 'samples were ready before the last byte');
  assert.ok(equalBytes(buf, expected));
});

test('streamIdx: breaking out of the loop cancels the download', async () => {
  for await (const u of streamIdx(`${base}/slow/raw`)) {
    if (u.ready > 0) break;
  }
  await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(closed.includes('/slow/raw'), 'the server saw the connection close');
});

test('404 rejects with the status and the URL', async () => {
  const e = await rejects(() => fetchIdx(`${base}/missing.gz`), Error, /HTTP 404 Not Found: http:\/\/127\.0\.0\.1:\d+\/missing\.gz/);
  assert.is(e.status, 404);
  await rejects(() => streamIdx(`${base}/missing.gz`).next(), Error, /streamIdx: HTTP 404/);
});

test('a refused connection and a body cut mid-way reject clearly', async () => {
  const closedPort = await new Promise((ok) => { const s = http.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
  const refused = await rejects(() => fetchIdx(`http://127.0.0.1:${closedPort}/x.gz`), Error, /fetchIdx: cannot fetch http:\/\/127\.0\.0\.1:\d+\/x\.gz: fetch failed \(ECONNREFUSED\)/);
  assert.is(refused.code, 'NETWORK');
  for (const file of ['reset', 'reset.gz']) {
    const e = await rejects(() => fetchIdx(`${base}/${file}`), Error, new RegExp(`/${file.replace('.', '\\.')}: the download failed after \\d+ bytes`));
    assert.is(e.code, 'NETWORK', 'not mistaken for bad data');
  }
});

test('truncated gzip rejects', async () => {
  let e = await rejects(() => fetchIdx(`${base}/truncated.gz`), Error, /truncated\.gz: corrupt or truncated gzip data/);
  assert.is(e.code, 'GZIP');
  e = await rejects(() => fetchIdx(`${base}/tail-cut.gz`), Error, /corrupt or truncated gzip/);
  assert.is(e.code, 'GZIP', 'a cut in the gzip trailer alone is caught too');
});

test('truncated or foreign raw data rejects with the C parser code', async () => {
  let e = await rejects(() => fetchIdx(`${base}/truncated-raw`), Error, /fetchIdx: .*truncated-raw: data ended early/);
  assert.is(e.code, 'NN_ERR_TRUNCATED');
  e = await rejects(() => fetchIdx(`${base}/not-idx`), Error, /not the expected file type/);
  assert.is(e.code, 'NN_ERR_MAGIC');
});

test('abort: mid-download and before the start', async () => {
  const ctl = new AbortController();
  let got = 0;
  const p = fetchIdx(`${base}/stall/raw`, { signal: ctl.signal, onProgress: ({ received }) => { got = received; if (received > 50000) ctl.abort(); } });
  const e = await rejects(() => p, Error, /abort/i);
  assert.is(e.name, 'AbortError');
  assert.ok(got > 50000);
  const done = new AbortController();
  done.abort();
  assert.is((await rejects(() => fetchIdx(`${base}/gz/t10k-labels-idx1-ubyte.gz`, { signal: done.signal }), Error, /abort/i)).name, 'AbortError');
  // a reason of one's own comes through as it is
  const own = new AbortController();
  const reason = new Error('user pressed stop');
  setTimeout(() => own.abort(reason), 30);
  const r = await rejects(() => fetchIdx(`${base}/stall/raw`, { signal: own.signal }), Error, /user pressed stop/);
  assert.is(r, reason);
});

test('abort while streaming gzip', async () => {
  const ctl = new AbortController();
  const it = streamIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`, { signal: ctl.signal });
  const e = await rejects(async () => {
    for await (const u of it) if (u.ready > 100) ctl.abort();
  }, Error, /abort/i);
  assert.is(e.name, 'AbortError');
});

test('file: URLs read from disk in Node, with the file size as total', async () => {
  const seen = [];
  const url = pathToFileURL(path.join(dataDir, 't10k-images-idx3-ubyte.gz'));
  const r = await fetchIdx(url, { onProgress: (p) => seen.push(p) });
  assert.ok(equalBytes(r.data, expected));
  assert.equal(seen[seen.length - 1], { received: gz.length, total: gz.length });
  await rejects(() => fetchIdx(pathToFileURL('/nonexistent/file.gz')), Error, /cannot read \/nonexistent\/file\.gz: no such file/);
});

test('a Response or ReadableStream works as a source', async () => {
  const r = await fetchIdx(new Response(gz));
  assert.ok(equalBytes(r.data, expected));
  const s = await fetchIdx(new Blob([raw]).stream());
  assert.ok(equalBytes(s.data, expected));
});

test.run();
