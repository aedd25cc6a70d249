// The Node command (package bin): train, evaluate and predict take the
// native CLI's options and print its lines, with the same numbers. Its
// errors (one stderr line, exit 2 or 1) are the table in cli-errors.test.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { loadNetwork } from 'mnist-wasm';
import { bin, dataDir, defaultData, equalBytes, requireNative, run } from './helpers/common.js';

let tmp, data;
const cli = (...args) => run(process.execPath, [bin, ...args]);
const EPOCH = /^epoch (\d+)  loss (\d+\.\d{4})  test (\d+\.\d{2})%  \d+\.\d{2} s  \d+ samples\/s$/;

test.before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-cli-'));
  data = await defaultData();
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('train prints one line per epoch and saves a model', () => {
  const model = path.join(tmp, 'a.bin');
  const r = cli(
    'train',
    '--data',
    dataDir,
    '--epochs',
    '2',
    '--seed',
    '4',
    '--batch',
    '16',
    '--lr=0.3',
    '--save',
    model,
  );
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 2, r.stdout);
  lines.forEach((l, i) => {
    const m = EPOCH.exec(l);
    assert.ok(m, `line "${l}"`);
    assert.is(Number(m[1]), i + 1);
  });
  assert.is(
    r.stderr,
    '',
    'no progress line when the output is not a terminal (tests/cli-terminal.test.js: when it is)',
  );
  assert.equal(String.fromCharCode(...readFileSync(model).subarray(0, 4)), 'MNWM');
});

test('the same command as the native CLI: same numbers, same model file', () => {
  const native = requireNative();
  const args = [
    '--data',
    dataDir,
    '--epochs',
    '2',
    '--seed',
    '8',
    '--batch',
    '20',
    '--lr',
    '0.4',
    '--activation',
    'tanh',
  ];
  const n = run(native.train, [...args, '--save', path.join(tmp, 'native.bin')]);
  const w = cli('train', ...args, '--save', path.join(tmp, 'wasm.bin'));
  assert.is(n.status, 0, n.stderr);
  assert.is(w.status, 0, w.stderr);
  const strip = (out) =>
    out
      .trim()
      .split('\n')
      .map((l) => l.replace(/  [\d.]+ s  \d+ samples\/s$/, ''));
  assert.equal(strip(w.stdout), strip(n.stdout));
  assert.ok(
    equalBytes(readFileSync(path.join(tmp, 'native.bin')), readFileSync(path.join(tmp, 'wasm.bin'))),
    'identical model files',
  );
  // evaluate a model: the Node command and the native --epochs 0 --load agree
  const ev = cli('evaluate', '--data', dataDir, '--load', path.join(tmp, 'native.bin'));
  const nev = run(native.train, ['--data', dataDir, '--epochs', '0', '--load', path.join(tmp, 'native.bin')]);
  assert.is(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /^evaluate  loss \d+\.\d{4}  test \d+\.\d{2}%  2000 samples\n$/);
  assert.is(ev.stdout, nev.stdout);
});

test('train --load continues from a model; --epochs 0 only evaluates', () => {
  const model = path.join(tmp, 'a.bin');
  const r = cli(
    'train',
    '--data',
    dataDir,
    '--load',
    model,
    '--epochs',
    '1',
    '--lr',
    '0.1',
    '--optimizer',
    'momentum',
    '--save',
    path.join(tmp, 'b.bin'),
  );
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^epoch 1  loss/);
  const e = cli('train', '--data', dataDir, '--load', model, '--epochs', '0');
  assert.match(e.stdout, /^evaluate  loss/);
});

test('predict: a test image by index, and image files (PGM, PNG, raw)', async () => {
  const model = path.join(tmp, 'a.bin');
  const net = await loadNetwork(new Uint8Array(readFileSync(model)));
  const argmax = (p) => p.indexOf(Math.max(...p));
  const r = cli('predict', '--data', dataDir, '--load', model, '--index', '7');
  assert.is(r.status, 0, r.stderr);
  const pixels = data.testImages.subarray(7 * 784, 8 * 784);
  const want = argmax(Array.from(net.predict(pixels)));
  assert.match(r.stdout, new RegExp(`^index 7  label ${data.testLabels[7]}  predicted ${want}  p [01]\\.\\d{4}\\n0:`));

  const pgm = path.join(tmp, 'digit.pgm');
  writeFileSync(pgm, Buffer.concat([Buffer.from('P5\n# a test digit\n28 28\n255\n'), pixels]));
  const png = path.join(tmp, 'digit.png');
  writeFileSync(
    png,
    pngGrey(
      28,
      28,
      pixels.map((v) => 255 - v),
    ),
  ); // dark ink on white
  const rawFile = path.join(tmp, 'digit.raw');
  writeFileSync(rawFile, pixels);
  for (const args of [
    ['--image', pgm],
    ['--image', png, '--invert'],
    ['--image', rawFile],
  ]) {
    const p = cli('predict', '--load', model, ...args);
    assert.is(p.status, 0, p.stderr);
    assert.match(p.stdout, new RegExp(`^${args[1].replace(/[.\\/]/g, '\\$&')}  predicted ${want}  `), args.join(' '));
  }
  net.dispose();
});

test("--json: one object per epoch, then evaluate and predict results, with the text lines' numbers", async () => {
  const args = ['--data', dataDir, '--epochs', '2', '--seed', '6', '--batch', '16', '--layers', '784,24,10'];
  const text = cli('train', ...args, '--save', path.join(tmp, 'j.bin'));
  const json = cli('train', ...args, '--json');
  assert.is(json.status, 0, json.stderr);
  assert.is(json.stderr, '');
  const epochs = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(
    epochs.map((o) => Object.keys(o)),
    Array(2).fill(['type', 'epoch', 'loss', 'accuracy', 'samples', 'seconds', 'samplesPerSecond']),
  );
  text.stdout
    .trim()
    .split('\n')
    .forEach((l, i) => {
      const [, epoch, loss, acc] = EPOCH.exec(l);
      const o = epochs[i];
      assert.ok(o.type === 'epoch' && o.epoch === Number(epoch) && o.samples === 8000, JSON.stringify(o));
      assert.is(o.loss.toFixed(4), loss, 'the loss of the text line');
      assert.is((100 * o.accuracy).toFixed(2), acc, 'the accuracy of the text line');
      assert.ok(
        o.seconds > 0 && Math.abs(o.samplesPerSecond - o.samples / o.seconds) < 1e-6 * o.samplesPerSecond,
        JSON.stringify(o),
      );
    });

  const model = path.join(tmp, 'j.bin');
  const ev = JSON.parse(cli('evaluate', '--data', dataDir, '--load', model, '--json').stdout);
  assert.equal(Object.keys(ev), ['type', 'loss', 'accuracy', 'samples']);
  assert.is(ev.type, 'evaluate');
  assert.is(ev.accuracy, epochs[1].accuracy, 'the saved model evaluates as after its last epoch');
  const net = await loadNetwork(new Uint8Array(readFileSync(model)));
  const data = await defaultData();
  const pixels = data.testImages.subarray(5 * 784, 6 * 784);
  const probs = Array.from(net.predict(pixels));
  net.dispose();
  const byIndex = JSON.parse(cli('predict', '--data', dataDir, '--load', model, '--index', '5', '--json').stdout);
  assert.equal(byIndex, {
    type: 'predict',
    index: 5,
    label: data.testLabels[5],
    predicted: probs.indexOf(Math.max(...probs)),
    probabilities: byIndex.probabilities,
  });
  assert.equal(byIndex.probabilities.map(Math.fround), probs, 'the float32 probabilities, exactly');
  const raw = path.join(tmp, 'five "x".raw');
  writeFileSync(raw, pixels);
  const byFile = JSON.parse(cli('predict', '--load', model, '--image', raw, '--json').stdout);
  assert.equal(byFile, {
    type: 'predict',
    image: raw,
    predicted: byIndex.predicted,
    probabilities: byIndex.probabilities,
  });
});

/** A minimal 8-bit greyscale PNG (filter 0 on every row); CRCs are not checked by the reader. */
function pngGrey(w, h, px) {
  const chunk = (type, body) => {
    const b = Buffer.alloc(12 + body.length);
    b.writeUInt32BE(body.length, 0);
    b.write(type, 4, 'latin1');
    body.copy(b, 8);
    return b;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // depth; color type 0, no interlace
  const rows = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) Buffer.from(px.subarray(y * w, (y + 1) * w)).copy(rows, y * (w + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('--data takes a base URL (local server)', async () => {
  const server = http.createServer((req, res) => {
    try {
      const body = readFileSync(path.join(dataDir, path.basename(req.url)));
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const url = `http://127.0.0.1:${server.address().port}/data`;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [bin, 'evaluate', '--data', url, '--load', path.join(tmp, 'a.bin')]);
    let out = '',
      err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const status = await new Promise((ok) => child.on('close', ok));
    assert.is(status, 0, err);
    assert.match(out, /^evaluate  loss \d+\.\d{4}  test \d+\.\d{2}%  2000 samples$/m);
  } finally {
    server.close();
  }
});

test('--help lists the options with the C defaults', () => {
  const r = cli('--help');
  assert.is(r.status, 0);
  for (const o of [
    '--data',
    '--epochs',
    '--batch',
    '--lr',
    '--optimizer',
    '--layers',
    '--activation',
    '--seed',
    '--save',
    '--load',
    '--image',
    '--index',
  ])
    assert.ok(r.stdout.includes(o), o);
  assert.match(
    r.stdout,
    /--layers A,B,\.\.\. +train: the network, input first, output last\s+\(default 784,128,64,10\)/,
  );
  assert.match(
    r.stdout,
    /--batch N +train, evaluate: mini-batch size, 1\.\.4096 \(default 8; 32\s+with a convolution in --layers\)/,
  );
  assert.match(r.stdout, /--image FILE +predict: .*\s+.*\(mnist-wasm only\)/);
});

test.run();
