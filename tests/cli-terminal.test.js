// The Node command on a terminal: run under a pseudo-terminal (script(1),
// from util-linux), it shows one updating line while --data downloads (the
// bytes, the total, the rate) and while an epoch trains, erased before each
// result line; when stdout is a pipe or a file, or with --json, the output
// is the result lines alone, and nothing else reaches the terminal, stderr
// included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNetwork } from 'mnist-wasm';
import { bin, dataDir, loopbackServer } from './helpers/common.js';

const ERASE = '\r\x1b[K';
let tmp, model, server, base, url;

// The terminal of the command running now: how many times a line was drawn
// (or erased) on it so far, and a callback for each change.
const terminal = { draws: 0, changed: null };

const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/**
 * Runs `sh -c shell` on a fresh pseudo-terminal (stdin, stdout and stderr
 * all the terminal unless shell redirects them) and resolves with what the
 * terminal received and the exit status.
 */
function onTerminal(shell) {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', shell, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    terminal.draws = 0;
    child.stdout.on('data', (d) => {
      out += d;
      terminal.draws = out.split(ERASE).length - 1;
      terminal.changed?.();
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`script(1) from util-linux is needed: ${e.message}`)));
    child.on('close', (status) => resolve({ status, screen: out, err }));
  });
}
const command = (...args) => [process.execPath, bin, ...args].map(quote).join(' ');
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Resolves once the terminal shows more than n draws, or after ms. */
function drawnPast(n, ms) {
  return new Promise((ok) => {
    const done = () => {
      clearTimeout(timer);
      terminal.changed = null;
      ok();
    };
    const timer = setTimeout(done, ms);
    terminal.changed = () => terminal.draws > n && done();
    terminal.changed();
  });
}

test.before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-terminal-'));
  model = path.join(tmp, 'model.bin');
  const net = await createNetwork({ layers: [784, 16, 10], seed: 3 });
  writeFileSync(model, net.save());
  net.dispose();
  // the small split with Content-Length, sent slowly: 16 KB every 20 ms; or,
  // under /paced/, 64 KB at a time, each once the terminal shows the piece
  // before drawn and 150 ms more have passed, so that every piece reaches
  // the command over 100 ms after its last draw and is drawn too, however
  // the machine's load delays the command (at a fixed pace, a command held
  // up for a few hundred ms reads several pieces at once, in one draw).
  // After 1 s without a draw the next piece goes anyway: the draw due may
  // have gone to the labels file (the command draws at most every 100 ms).
  ({ server, base } = await loopbackServer((req, res) => {
    const paced = req.url.startsWith('/paced/');
    let body;
    try {
      body = readFileSync(path.join(dataDir, path.basename(req.url)));
    } catch {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    const piece = paced ? 65536 : 16384;
    (async () => {
      for (let at = 0; !res.destroyed;) {
        const drawn = terminal.draws;
        res.write(body.subarray(at, at + piece));
        at += piece;
        if (at >= body.length) return res.end();
        if (paced) {
          await drawnPast(drawn, 1000);
          await sleep(150);
        } else await sleep(20);
      }
    })();
  }));
  url = `${base}/small`;
});

test.after(async () => {
  server?.closeAllConnections?.();
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const EVALUATE = /^evaluate  loss \d+\.\d{4}  test \d+\.\d{2}%  2000 samples$/;
const DRAW = /^reading (\S+)  (\d+\.\d)( of (\d+\.\d) MB \((\d+)%\))?( MB)?(  (\d+\.\d) MB\/s)?$/;

test('a download on a terminal: one line redrawn with bytes, total and rate, then erased', async () => {
  const paced = `${base}/paced/small`;
  const r = await onTerminal(command('evaluate', '--data', paced, '--load', model));
  assert.is(r.status, 0, r.screen);
  const screen = r.screen.replaceAll('\r\n', '\n'); // the terminal's newlines
  const parts = screen.split(ERASE);
  assert.ok(parts.length >= 4, `several redraws, got ${JSON.stringify(screen)}`);
  assert.is(parts[0], '', 'each draw starts by erasing the line');
  const draws = parts.slice(1, -1);
  for (const d of draws) {
    const m = DRAW.exec(d);
    assert.ok(m, `a progress line, got ${JSON.stringify(d)}`);
    assert.is(m[1], paced, 'names --data');
  }
  const full = draws.map((d) => DRAW.exec(d)).filter((m) => m[4] && m[8]);
  assert.ok(full.length >= 2, `at least two draws with total and rate: ${JSON.stringify(draws)}`);
  const pct = full.map((m) => Number(m[5]));
  assert.ok(pct.every((p, i) => i === 0 || p >= pct[i - 1]) && pct.at(-1) > pct[0], `the share grows: ${pct}`);
  assert.is(full[0][4], (318057 / 1e6 + 57 / 1e6).toFixed(1), "the total is both files' Content-Length");
  assert.ok(Number(full.at(-1)[8]) > 0, 'a rate');
  assert.match(parts.at(-1).replace(/\n$/, ''), EVALUATE, 'the line erased, then the result alone');
  assert.is(r.err, '');
});

test("training on a terminal: the epoch's progress, erased before its line", async () => {
  const r = await onTerminal(command('train', '--data', dataDir, '--epochs', '1', '--layers', '784,16,10'));
  assert.is(r.status, 0, r.screen);
  const parts = r.screen.replaceAll('\r\n', '\n').split(ERASE);
  assert.ok(
    parts.some((p) => /^epoch 1  8000\/8000  loss \d+\.\d{4}$/.test(p)),
    `the epoch's last draw: ${JSON.stringify(parts)}`,
  );
  assert.match(parts.at(-1), /^epoch 1  loss \d+\.\d{4}  test \d+\.\d{2}%  [\d.]+ s  \d+ samples\/s\n$/);
});

test('stdout piped, stderr the terminal: the result alone, no progress anywhere', async () => {
  const r = await onTerminal(`${command('evaluate', '--data', url, '--load', model)} | cat`);
  assert.is(r.status, 0, r.screen);
  assert.match(r.screen, /^evaluate  loss \d+\.\d{4}  test \d+\.\d{2}%  2000 samples\r\n$/, JSON.stringify(r.screen));
});

test('stdout a file: the file holds the result alone, the terminal gets nothing', async () => {
  const file = path.join(tmp, 'out.txt');
  const r = await onTerminal(`${command('evaluate', '--data', url, '--load', model)} > ${quote(file)}`);
  assert.is(r.status, 0, r.screen);
  assert.is(r.screen, '');
  assert.match(readFileSync(file, 'utf8'), /^evaluate  loss \d+\.\d{4}  test \d+\.\d{2}%  2000 samples\n$/);
});

test('--json on a terminal: the JSON object alone', async () => {
  const r = await onTerminal(command('evaluate', '--data', url, '--load', model, '--json'));
  assert.is(r.status, 0, r.screen);
  assert.not.ok(r.screen.includes('\x1b'), JSON.stringify(r.screen));
  const lines = r.screen.split('\r\n').filter(Boolean);
  assert.is(lines.length, 1, r.screen);
  const o = JSON.parse(lines[0]);
  assert.is(o.type, 'evaluate');
  assert.is(o.samples, 2000);
});

test.run();
