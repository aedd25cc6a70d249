// fetchIdx and streamIdx against a local HTTP server on 127.0.0.1 only: a
// whole raw file, gzip, a slow chunked body; and every way a download goes
// wrong: 404 and 500, a web page or JSON or nothing instead of IDX, a body
// cut mid-way, a server that stalls before or during the body (the timeout
// option), and abort at every point (before the response, mid-body, during
// gunzip, between streamIdx updates). After each failure a retry in the same
// process works and the wasm heap is back where it was. Plus file: URLs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { fetchIdx, streamIdx, parseIdx, heapUsed, abortError, openDataset } from 'mnist-wasm';
import { dataFile, dataDir, rejects, equalBytes } from './helpers/common.js';

const gz = dataFile('t10k-images-idx3-ubyte'); // 2000 x 28 x 28
const raw = gunzipSync(gz);
const labelsGz = dataFile('t10k-labels-idx1-ubyte');
let server, base, expected;
const closed = []; // paths whose response the client abandoned
let flaky = 'good'; // what /flaky does next: good, reset, error, html, stall

// A timeout that data already on its way must beat. The idle timer and the
// socket share one event loop: when a loaded machine stalls this process
// for longer than the timeout, the timer fires as soon as it runs again,
// before the loop reads what arrived meanwhile. A second is far beyond
// such stalls; the tests that must wait out a timeout use it only where the
// timeout is what they check.
const PATIENT = 1000;

/**
 * Waits until the server has seen the client close the connections to
 * paths (that reaches the server's socket a loop turn or more after the
 * client gave up, later still on a loaded machine): true once it has, false
 * if it has not within 5 s.
 */
async function closedSoon(...paths) {
  const deadline = Date.now() + 5000;
  while (!paths.every((p) => closed.includes(p))) {
    if (Date.now() > deadline) return false;
    await new Promise((ok) => setTimeout(ok, 10));
  }
  return true;
}

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
  req.on('close', () => {
    if (!res.writableEnded) closed.push(req.url);
  });
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
      case '/raw/t10k-images-idx3-ubyte':
        return send(raw);
      case '/gz/t10k-images-idx3-ubyte.gz':
        return send(gz);
      case '/gz/t10k-labels-idx1-ubyte.gz':
        return send(labelsGz);
      case '/slow/t10k-images-idx3-ubyte.gz':
        return slowBody(res, gz, { chunk: 2048, req });
      case '/slow/raw':
        return slowBody(res, raw, { chunk: 50000, req });
      case '/stall/raw':
        return slowBody(res, raw, { chunk: 20000, stopAt: 100000, req });
      case '/truncated.gz':
        return send(gz.subarray(0, gz.length >> 1));
      case '/tail-cut.gz':
        return send(gz.subarray(0, gz.length - 3));
      case '/truncated-raw':
        return send(raw.subarray(0, raw.length - 100));
      case '/reset': // promises the whole file, sends part of it, drops the connection
      case '/reset.gz': {
        const body = req.url === '/reset' ? raw : gz;
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 100000), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      case '/not-idx':
        return send(Buffer.from('<!doctype html><title>hello</title>'), 'text/html; charset=utf-8');
      case '/json':
        return send(Buffer.from('{"error": "rate limited"}'), 'application/json');
      case '/empty':
        return send(Buffer.alloc(0));
      case '/error':
        res.writeHead(500, { 'content-type': 'text/html' });
        return res.end('<h1>Internal Server Error</h1>');
      case '/silent': // accepts the request, never answers
        req.on('close', () => closed.push(req.url));
        return;
      case '/cut-chunked': // chunked, then the connection drops
      case '/cut-chunked.gz': {
        const body = req.url.endsWith('.gz') ? gz : raw;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(body.subarray(0, 150000), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      case '/flaky':
        if (flaky === 'reset') {
          res.writeHead(200, { 'content-length': gz.length });
          return res.write(gz.subarray(0, 50000), () => setTimeout(() => res.destroy(), 20));
        }
        if (flaky === 'error') {
          res.writeHead(500);
          return res.end();
        }
        if (flaky === 'html') return send(Buffer.from('<html><body>Please log in</body></html>'), 'text/html');
        if (flaky === 'stall') return slowBody(res, gz, { chunk: 20000, stopAt: 60000, req });
        return send(gz);
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
});

test.after(
  () =>
    new Promise((ok) => {
      server.closeAllConnections?.();
      server.close(ok);
    }),
);

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
  assert.equal(
    seen[seen.length - 1],
    { received: gz.length, total: gz.length },
    'progress counts the compressed bytes',
  );
  const labels = await fetchIdx(`${base}/gz/t10k-labels-idx1-ubyte.gz`);
  assert.equal(labels.dims, [2000]);
});

test('a slow chunked body: many progress calls, total unknown', async () => {
  const seen = [];
  const r = await fetchIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`, { onProgress: (p) => seen.push(p) });
  assert.ok(equalBytes(r.data, expected));
  assert.ok(seen.length > 50, `${seen.length} progress calls`);
  assert.ok(
    seen.every((p, i) => p.total === null && (i === 0 || p.received > seen[i - 1].received)),
    'received grows, total null',
  );
  assert.is(seen[seen.length - 1].received, gz.length);
});

test('streamIdx: whole samples arrive before the download ends', async () => {
  let buf = null,
    updates = 0,
    header = null,
    lastReady = 0;
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
  assert.ok(
    readyWhileStreaming.some((n) => n > 0),
    'samples were ready before the last byte',
  );
  assert.ok(equalBytes(buf, expected));
});

test('streamIdx: breaking out of the loop cancels the download', async () => {
  for await (const u of streamIdx(`${base}/slow/raw`)) {
    if (u.ready > 0) break;
  }
  assert.ok(await closedSoon('/slow/raw'), 'the server saw the connection close');
});

test('404 rejects with the status and the URL', async () => {
  const e = await rejects(
    () => fetchIdx(`${base}/missing.gz`),
    Error,
    /HTTP 404 Not Found: http:\/\/127\.0\.0\.1:\d+\/missing\.gz/,
  );
  assert.is(e.status, 404);
  await rejects(() => streamIdx(`${base}/missing.gz`).next(), Error, /streamIdx: HTTP 404/);
});

test('a refused connection and a body cut mid-way reject clearly', async () => {
  const closedPort = await new Promise((ok) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
  const refused = await rejects(
    () => fetchIdx(`http://127.0.0.1:${closedPort}/x.gz`),
    Error,
    /fetchIdx: cannot fetch http:\/\/127\.0\.0\.1:\d+\/x\.gz: fetch failed \(ECONNREFUSED\)/,
  );
  assert.is(refused.code, 'NETWORK');
  for (const file of ['reset', 'reset.gz']) {
    const e = await rejects(
      () => fetchIdx(`${base}/${file}`),
      Error,
      new RegExp(`/${file.replace('.', '\\.')}: the download failed after \\d+ bytes`),
    );
    assert.is(e.code, 'NETWORK', 'not mistaken for bad data');
    // the fields a page words its own sentence from: where, how far, of how much
    assert.is(e.url, `${base}/${file}`);
    assert.is(e.received, Number(/after (\d+) bytes/.exec(e.message)[1]));
    assert.ok(e.received > 0 && e.received < e.total, `${e.received} of ${e.total} bytes`);
  }
  // a data set's file: the same fields, and which file it was
  const ds = await openDataset({ images: `${base}/reset`, labels: `${base}/gz/t10k-labels-idx1-ubyte.gz` });
  try {
    const e = await rejects(() => ds.done, Error, /the download failed after \d+ bytes/);
    assert.is(e.code, 'NETWORK');
    assert.is(e.file, 0, 'the images file');
    assert.is(e.url, `${base}/reset`);
    assert.ok(e.received > 0 && e.received < e.total, `${e.received} of ${e.total} bytes`);
  } finally {
    ds.dispose();
  }
});

test('abortError: the one abort error, whatever the reason', () => {
  const own = new Error('user pressed stop');
  assert.is(abortError(own), own, 'an Error reason comes through as it is');
  const dom = new DOMException('The operation was aborted.', 'AbortError');
  assert.is(abortError(dom), dom);
  const said = abortError('the dataset was disposed');
  assert.ok(said instanceof Error);
  assert.is(said.name, 'AbortError');
  assert.is(said.message, 'the dataset was disposed');
  assert.is(abortError().name, 'AbortError');
  assert.is(abortError({ message: 'gone' }).message, 'gone');
});

test('truncated gzip rejects', async () => {
  let e = await rejects(() => fetchIdx(`${base}/truncated.gz`), Error, /truncated\.gz: corrupt or truncated gzip data/);
  assert.is(e.code, 'NN_ERR_GZIP');
  e = await rejects(() => fetchIdx(`${base}/tail-cut.gz`), Error, /corrupt or truncated gzip/);
  assert.is(e.code, 'NN_ERR_GZIP', 'a cut in the gzip trailer alone is caught too');
});

test('truncated raw data rejects with the C parser code', async () => {
  const e = await rejects(
    () => fetchIdx(`${base}/truncated-raw`),
    Error,
    /fetchIdx: .*truncated-raw: data ended early/,
  );
  assert.is(e.code, 'NN_ERR_TRUNCATED');
});

/** The exact message and code a call rejects with. */
async function failure(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected it to reject');
}

test('a web page, JSON or an empty body instead of IDX: "not an IDX file (got ...)"', async () => {
  let e = await failure(() => fetchIdx(`${base}/not-idx`));
  assert.is(
    e.message,
    `fetchIdx: ${base}/not-idx: not an IDX file (got text/html: "<!doctype html><title>hello</tit…")`,
  );
  assert.is(e.code, 'NN_ERR_MAGIC');
  e = await failure(async () => {
    for await (const u of streamIdx(`${base}/json`)) assert.unreachable(`an update: ${u}`);
  });
  assert.is(
    e.message,
    `streamIdx: ${base}/json: not an IDX file (got application/json: "{\\"error\\": \\"rate limited\\"}")`,
  );
  e = await failure(() => fetchIdx(`${base}/empty`));
  assert.is(e.message, `fetchIdx: ${base}/empty: empty (0 bytes), not an IDX file`);
  assert.is(e.code, 'NN_ERR_TRUNCATED');
});

test('500 rejects with the status and the URL', async () => {
  const e = await failure(() => fetchIdx(`${base}/error`));
  assert.is(e.message, `fetchIdx: HTTP 500 Internal Server Error: ${base}/error`);
  assert.is(e.status, 500);
  const s = await failure(() => streamIdx(`${base}/error`).next());
  assert.is(s.message, `streamIdx: HTTP 500 Internal Server Error: ${base}/error`);
});

test('a chunked body cut mid-way: a network error, also from streamIdx after updates', async () => {
  for (const file of ['cut-chunked', 'cut-chunked.gz']) {
    let updates = 0;
    const e = await failure(async () => {
      for await (const u of streamIdx(`${base}/${file}`)) updates += u.ready > u.start;
    });
    assert.match(
      e.message,
      new RegExp(`^streamIdx: ${base}/${file.replace('.', '\\.')}: the download failed after \\d+ bytes: `),
    );
    assert.is(e.code, 'NETWORK', file);
    assert.ok(updates > 0, `${file}: samples arrived before the cut`);
  }
});

test('timeout: a server that never answers, and one that stalls mid-body', async () => {
  const heap = await heapUsed();
  const t0 = Date.now();
  let e = await failure(() => fetchIdx(`${base}/silent`, { timeout: 200 }));
  assert.is(e.message, `fetchIdx: ${base}/silent: no response within 200 ms (the timeout option); gave up`);
  assert.is(e.name, 'TimeoutError');
  assert.is(e.code, 'TIMEOUT');
  assert.ok(Date.now() - t0 < 2000, 'promptly');
  // all 100000 bytes must arrive before the timer runs out: a patient one
  e = await failure(() => fetchIdx(`${base}/stall/raw`, { timeout: PATIENT }));
  assert.is(
    e.message,
    `fetchIdx: ${base}/stall/raw: no data for ${PATIENT} ms after 100000 bytes (the timeout option); gave up`,
  );
  assert.is(e.code, 'TIMEOUT');
  e = await failure(async () => {
    for await (const u of streamIdx(`${base}/stall/raw`, { timeout: 150 })) void u;
  });
  assert.is(e.code, 'TIMEOUT');
  assert.ok(await closedSoon('/silent', '/stall/raw'), 'the connections were closed');
  assert.is(await heapUsed(), heap, 'nothing left in the heap');
});

test('timeout: a slow consumer of streamIdx is not a stalled server', async () => {
  let buf = null,
    pauses = 0;
  // the server sends every 2 ms, the consumer holds two updates for longer than the timeout
  for await (const u of streamIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`, { timeout: PATIENT })) {
    buf ??= new Uint8Array(u.count * u.sampleSize);
    buf.set(u.samples, u.start * u.sampleSize);
    if (pauses < 2 && u.ready > 500 * (pauses + 1)) {
      pauses++;
      await new Promise((ok) => setTimeout(ok, 1.5 * PATIENT));
    }
  }
  assert.is(pauses, 2);
  assert.ok(equalBytes(buf, expected));
});

test('abort before the response, between streamIdx updates, during gunzip, and of a stream source', async () => {
  const heap = await heapUsed();
  // before the response: the server holds the request
  const a = new AbortController();
  setTimeout(() => a.abort(), 50);
  let e = await failure(() => fetchIdx(`${base}/silent`, { signal: a.signal }));
  assert.is(e.name, 'AbortError');
  // between updates: the caller aborts while it holds one
  const b = new AbortController();
  e = await failure(async () => {
    for await (const u of streamIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`, { signal: b.signal })) {
      if (u.ready > 0) {
        b.abort();
        await new Promise((ok) => setTimeout(ok, 20));
      }
    }
  });
  assert.is(e.name, 'AbortError');
  // during gunzip: every compressed byte has arrived (one chunk), gunzip is under way
  const c = new AbortController();
  const reason = new Error('stop');
  e = await failure(() => fetchIdx(new Response(gz), { signal: c.signal, onProgress: () => c.abort(reason) }));
  assert.is(e, reason, "the caller's reason comes through");
  const big = (await import('node:zlib')).gzipSync(raw); // parseIdx too: gunzip of a buffer in memory
  const d = new AbortController();
  const p = parseIdx(big, { signal: d.signal });
  setImmediate(() => d.abort());
  e = await failure(() => p);
  assert.is(e.name, 'AbortError');
  // a ReadableStream of one's own that never delivers
  const f = new AbortController();
  setTimeout(() => f.abort(), 30);
  e = await failure(() =>
    fetchIdx(
      new ReadableStream({
        pull() {
          return new Promise(() => {});
        },
      }),
      { signal: f.signal },
    ),
  );
  assert.is(e.name, 'AbortError');
  await new Promise((ok) => setTimeout(ok, 50));
  assert.is(await heapUsed(), heap, 'nothing left in the heap');
});

test('after every kind of failure, a retry in the same process works', async () => {
  const heap = await heapUsed();
  const good = await fetchIdx(`${base}/flaky`);
  assert.ok(equalBytes(good.data, expected));
  const kinds = {
    reset: /the download failed after \d+ bytes/,
    error: /HTTP 500/,
    html: /not an IDX file \(got text\/html: "<html><body>Please log in<\/body>…"\)/,
    stall: new RegExp(`no data for ${PATIENT} ms`),
    abort: /abort/i,
  };
  for (const [kind, re] of Object.entries(kinds)) {
    flaky = kind === 'abort' ? 'stall' : kind;
    const ctl = new AbortController();
    if (kind === 'abort') setTimeout(() => ctl.abort(), 50);
    // a timeout that the server's answer beats (a short one would beat a
    // reset or an HTTP 500 when the machine is loaded); the stall waits it out
    const e = await failure(() =>
      fetchIdx(`${base}/flaky`, { timeout: kind === 'stall' ? PATIENT : 5000, signal: ctl.signal }),
    );
    assert.match(e.message, re, `${kind}: ${e.message}`);
    flaky = 'good';
    const again = await fetchIdx(`${base}/flaky`, { timeout: 5000 });
    assert.ok(equalBytes(again.data, expected), `${kind}: the retry gives the file`);
    assert.is(await heapUsed(), heap, `${kind}: nothing left in the heap`);
  }
});

test('abort: mid-download and before the start', async () => {
  const ctl = new AbortController();
  let got = 0;
  const p = fetchIdx(`${base}/stall/raw`, {
    signal: ctl.signal,
    onProgress: ({ received }) => {
      got = received;
      if (received > 50000) ctl.abort();
    },
  });
  const e = await rejects(() => p, Error, /abort/i);
  assert.is(e.name, 'AbortError');
  assert.ok(got > 50000);
  const done = new AbortController();
  done.abort();
  assert.is(
    (await rejects(() => fetchIdx(`${base}/gz/t10k-labels-idx1-ubyte.gz`, { signal: done.signal }), Error, /abort/i))
      .name,
    'AbortError',
  );
  // a reason of one's own comes through as it is
  const own = new AbortController();
  const reason = new Error('user pressed stop');
  setTimeout(() => own.abort(reason), 30);
  const r = await rejects(() => fetchIdx(`${base}/stall/raw`, { signal: own.signal }), Error, /user pressed stop/);
  assert.is(r, reason);
});

test('a body handed in under a signal already aborted is cancelled, not left open', async () => {
  const done = new AbortController();
  done.abort();
  const cancelled = [];
  const body = (name) =>
    new ReadableStream({
      pull() {}, // never answers: only a cancel ends it
      cancel: () => cancelled.push(name),
    });
  await rejects(() => fetchIdx(new Response(body('response')), { signal: done.signal }), Error, /abort/i);
  await rejects(() => fetchIdx(body('stream'), { signal: done.signal }), Error, /abort/i);
  const d = await openDataset(
    { images: new Response(body('images')), labels: new Response(body('labels')) },
    { signal: done.signal },
  ).catch((e) => e);
  await (d.done ?? Promise.resolve()).catch(() => {});
  assert.equal(cancelled.sort(), ['images', 'labels', 'response', 'stream']);
});

test('abort while streaming gzip', async () => {
  const ctl = new AbortController();
  const it = streamIdx(`${base}/slow/t10k-images-idx3-ubyte.gz`, { signal: ctl.signal });
  const e = await rejects(
    async () => {
      for await (const u of it) if (u.ready > 100) ctl.abort();
    },
    Error,
    /abort/i,
  );
  assert.is(e.name, 'AbortError');
});

test('file: URLs read from disk in Node, with the file size as total', async () => {
  const seen = [];
  const url = pathToFileURL(path.join(dataDir, 't10k-images-idx3-ubyte.gz'));
  const r = await fetchIdx(url, { onProgress: (p) => seen.push(p) });
  assert.ok(equalBytes(r.data, expected));
  assert.equal(seen[seen.length - 1], { received: gz.length, total: gz.length });
  await rejects(
    () => fetchIdx(pathToFileURL('/nonexistent/file.gz')),
    Error,
    /cannot read \/nonexistent\/file\.gz: no such file/,
  );
});

test('a Response or ReadableStream works as a source', async () => {
  const r = await fetchIdx(new Response(gz));
  assert.ok(equalBytes(r.data, expected));
  const s = await fetchIdx(new Blob([raw]).stream());
  assert.ok(equalBytes(s.data, expected));
});

test.run();
