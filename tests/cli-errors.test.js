// The bad-input table of the Node command (bin/mnist-wasm.js): each bad
// command line, option value, model file, data folder or data URL ends in
// exactly one stderr line `mnist-wasm: <message>` (the message exact) and
// exit status 2 (the command line) or 1 (anything else), with nothing on
// stdout and no model file written. The JS API's table is errors.test.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, openSync, closeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { createNetwork } from 'mnist-wasm';
import { bin, dataDir, defaultData, idx, loopbackServer, runAsync } from './helpers/common.js';

let tmp, srv;
const T = (...p) => path.join(tmp, ...p);
const results = new Map();

const cli = (args, env = {}) => runAsync(process.execPath, [bin, ...args], env);

/** Writes the four MNIST files of a data folder; `change` replaces some of them. */
function dataFolder(name, d, change = {}) {
  const dir = T(name);
  mkdirSync(dir, { recursive: true });
  const files = {
    'train-images-idx3-ubyte': idx(8, [50, 28, 28], d.trainImages.subarray(0, 50 * 784)),
    'train-labels-idx1-ubyte': idx(8, [50], d.trainLabels.subarray(0, 50)),
    't10k-images-idx3-ubyte': idx(8, [20, 28, 28], d.testImages.subarray(0, 20 * 784)),
    't10k-labels-idx1-ubyte': idx(8, [20], d.testLabels.subarray(0, 20)),
    ...change,
  };
  for (const [file, bytes] of Object.entries(files)) writeFileSync(path.join(dir, file), bytes);
  return dir;
}

const LIMIT = 'over the limit of 536870912 bytes (512 MiB)';
const TRAIN = 'train-images-idx3-ubyte';

// [what, () => args, exit status, exact message after "mnist-wasm: " (or a RegExp, or () => either), env]
const table = [
  // the command line (exit 2)
  ['no command (train) and no --data', () => [], 2, '--data DIR is required (try --help)'],
  [
    'an unknown command',
    () => ['fit'],
    2,
    "unknown command 'fit': expected train, evaluate, predict, export or explain (try --help)",
  ],
  [
    'an unknown option',
    () => ['train', '--data', T('small'), '--learning-rate', '1'],
    2,
    "unknown option '--learning-rate' (try --help)",
  ],
  ['a stray argument', () => ['train', '--data', T('small'), 'fast'], 2, "unexpected argument 'fast' (try --help)"],
  ['no --data', () => ['train'], 2, '--data DIR is required (try --help)'],
  ['an empty value', () => ['train', '--data='], 2, '--data needs a value (try --help)'],
  ['evaluate without --load', () => ['evaluate', '--data', T('small')], 2, '--load FILE is required (try --help)'],
  [
    'predict --index without --data',
    () => ['predict', '--load', T('model.bin'), '--index', '3'],
    2,
    '--index needs --data DIR (try --help)',
  ],
  [
    '--invert without --image',
    () => ['predict', '--load', T('model.bin'), '--data', T('small'), '--index', '3', '--invert'],
    2,
    '--invert applies to --image only',
  ],
  [
    'an option without its value',
    () => ['train', '--data', T('small'), '--epochs'],
    2,
    '--epochs needs a value (try --help)',
  ],
  [
    'an option of another command',
    () => ['evaluate', '--data', T('small'), '--load', T('model.bin'), '--epochs', '1'],
    2,
    '--epochs does not apply to evaluate (try --help)',
  ],
  [
    'a value for a flag',
    () => ['predict', '--load', T('model.bin'), '--image', T('junk.bin'), '--invert=yes'],
    2,
    '--invert takes no value',
  ],
  [
    '--lr not a number',
    () => ['train', '--data', T('small'), '--lr', 'fast'],
    2,
    "--lr: expected a finite number > 0, got 'fast'",
  ],
  [
    '--lr NaN',
    () => ['train', '--data', T('small'), '--lr', 'NaN'],
    2,
    "--lr: expected a finite number > 0, got 'NaN'",
  ],
  ['--lr 0', () => ['train', '--data', T('small'), '--lr', '0'], 2, "--lr: expected a finite number > 0, got '0'"],
  [
    '--lr negative',
    () => ['train', '--data', T('small'), '--lr=-1'],
    2,
    "--lr: expected a finite number > 0, got '-1'",
  ],
  [
    '--lr overflowing to Infinity',
    () => ['train', '--data', T('small'), '--lr', '1e999'],
    2,
    "--lr: expected a finite number > 0, got '1e999'",
  ],
  [
    '--lr too large',
    () => ['train', '--data', T('small'), '--lr', '1000'],
    2,
    "--lr: expected a number in 1e-12..100, got '1000'",
  ],
  [
    '--lr with a leading space',
    () => ['train', '--data', T('small'), '--lr', ' 0.1'],
    2,
    "--lr: expected a finite number > 0, got ' 0.1'",
  ],
  [
    '--epochs negative',
    () => ['train', '--data', T('small'), '--epochs', '-1'],
    2,
    "--epochs: expected an integer in 0..1000000, got '-1'",
  ],
  [
    '--epochs fractional',
    () => ['train', '--data', T('small'), '--epochs', '1.5'],
    2,
    "--epochs: expected an integer in 0..1000000, got '1.5'",
  ],
  [
    '--batch 0',
    () => ['train', '--data', T('small'), '--batch', '0'],
    2,
    "--batch: expected an integer in 1..4096, got '0'",
  ],
  [
    '--batch over the limit',
    () => ['train', '--data', T('small'), '--batch', '5000'],
    2,
    "--batch: expected an integer in 1..4096, got '5000'",
  ],
  [
    '--batch with a unit',
    () => ['train', '--data', T('small'), '--batch', '8x'],
    2,
    "--batch: expected an integer in 1..4096, got '8x'",
  ],
  [
    'a layer of 0',
    () => ['train', '--data', T('small'), '--layers', '784,0,10'],
    2,
    "--layers 784,0,10: '0': a dense layer needs 1..4096 units",
  ],
  [
    'a negative layer',
    () => ['train', '--data', T('small'), '--layers=784,-5,10'],
    2,
    "--layers 784,-5,10: unknown item '-5' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'a huge layer',
    () => ['train', '--data', T('small'), '--layers', '784,99999,10'],
    2,
    "--layers 784,99999,10: '99999': a dense layer needs 1..4096 units",
  ],
  [
    'one layer size',
    () => ['train', '--data', T('small'), '--layers', '784'],
    2,
    '--layers 784: a stack needs an input and at least one layer',
  ],
  [
    'ten layer sizes',
    () => ['train', '--data', T('small'), '--layers', '784,9,9,9,9,9,9,9,9,10'],
    2,
    '--layers 784,9,9,9,9,9,9,9,9,10: at most 8 layers after the input',
  ],
  [
    'too many weights',
    () => ['train', '--data', T('small'), '--layers', '4096,4096,4096,4096,4096,10'],
    2,
    '--layers 4096,4096,4096,4096,4096,10: 67166218 weights and biases, over the limit of 67108864',
  ],
  [
    'one output',
    () => ['train', '--data', T('small'), '--layers', '784,1'],
    2,
    '--layers 784,1: the last layer needs at least 2 units (one per class)',
  ],
  [
    'an unknown activation',
    () => ['train', '--data', T('small'), '--activation', 'softplus'],
    2,
    "--activation: expected sigmoid, relu or tanh, got 'softplus'",
  ],
  [
    'an unknown input',
    () => ['train', '--data', T('small'), '--input', 'centered'],
    2,
    "--input: expected raw or centred, got 'centered'",
  ],
  [
    'an unknown optimizer',
    () => ['train', '--data', T('small'), '--optimizer', 'rmsprop'],
    2,
    "--optimizer: expected sgd, momentum or adam, got 'rmsprop'",
  ],
  [
    '--seed negative',
    () => ['train', '--data', T('small'), '--seed', '-1'],
    2,
    "--seed: expected an unsigned integer, got '-1'",
  ],
  [
    '--seed of 2^64',
    () => ['train', '--data', T('small'), '--seed', '18446744073709551616'],
    2,
    "--seed: expected an unsigned integer, got '18446744073709551616'",
  ],
  [
    '--seed with --load',
    () => ['train', '--data', T('small'), '--load', T('model.bin'), '--seed', '3'],
    2,
    '--seed cannot be used with --load (the model carries its generator state)',
  ],
  [
    'predict with neither --image nor --index',
    () => ['predict', '--load', T('model.bin')],
    2,
    'predict needs exactly one of --image FILE or --index N (try --help)',
  ],
  [
    'a bad MNIST_WASM_TIMEOUT',
    () => ['train', '--data', T('small'), '--epochs', '1'],
    2,
    "MNIST_WASM_TIMEOUT: expected milliseconds in 1..2147483647, got '5s'",
    { MNIST_WASM_TIMEOUT: '5s' },
  ],

  // model files (exit 1)
  [
    'a missing model',
    () => ['evaluate', '--data', T('small'), '--load', T('missing.bin')],
    1,
    () => `cannot open ${T('missing.bin')}: no such file`,
  ],
  [
    'a text file as the model',
    () => ['evaluate', '--data', T('small'), '--load', T('junk.bin')],
    1,
    () =>
      `${T('junk.bin')}: not a model file (it is text: "junk that is not a model"; a model file starts with "MNWM")`,
  ],
  [
    'an IDX file as the model',
    () => ['evaluate', '--data', T('small'), '--load', T('small', TRAIN)],
    1,
    () => `${T('small', TRAIN)}: not a model file (it looks like an IDX data file; a model file starts with "MNWM")`,
  ],
  [
    'a truncated model',
    () => ['evaluate', '--data', T('small'), '--load', T('truncated.bin')],
    1,
    () => `${T('truncated.bin')}: data ended early (truncated)`,
  ],
  [
    'a corrupt model',
    () => ['evaluate', '--data', T('small'), '--load', T('flipped.bin')],
    1,
    () => `${T('flipped.bin')}: checksum mismatch (corrupt file)`,
  ],
  [
    'a model of another input size',
    () => ['evaluate', '--data', T('small'), '--load', T('other100.bin')],
    1,
    () => `the first layer of ${T('other100.bin')} has 100 inputs but the images are 28x28 = 784 pixels`,
  ],
  [
    'a model of too few outputs',
    () => ['train', '--data', T('small'), '--load', T('out5.bin')],
    1,
    () => `the last layer of ${T('out5.bin')} has 5 outputs but the labels go up to 9 (it needs at least 10)`,
  ],
  [
    'a model of other layers than --layers',
    () => ['train', '--data', T('small'), '--load', T('arch20.bin'), '--layers', '784,128,64,10'],
    1,
    () => `--layers 784,128,64,10 does not match ${T('arch20.bin')} (layers 784,20,10)`,
  ],
  [
    'a model of another activation',
    () => ['train', '--data', T('small'), '--load', T('model.bin'), '--activation', 'tanh'],
    1,
    () => `--activation tanh does not match ${T('model.bin')} (activation sigmoid)`,
  ],
  [
    'a model of another input',
    () => ['train', '--data', T('small'), '--load', T('model.bin'), '--input', 'raw'],
    1,
    () => `--input raw does not match ${T('model.bin')} (input centred)`,
  ],
  [
    '--save into a missing folder (before training)',
    () => ['train', '--data', T('small'), '--epochs', '1', '--save', T('no', 'such', 'm.bin')],
    1,
    () => `cannot create ${T('no', 'such', 'm.bin')}: the folder ${T('no', 'such')} does not exist`,
  ],
  [
    '--save into a file as if a folder',
    () => ['train', '--data', T('small'), '--epochs', '1', '--save', T('junk.bin', 'm.bin')],
    1,
    () => `cannot create ${T('junk.bin', 'm.bin')}: ${T('junk.bin')} is not a folder`,
  ],
  // predict inputs
  [
    '--index past the test set',
    () => ['predict', '--load', T('model.bin'), '--data', T('small'), '--index', '20'],
    1,
    '--index 20: the test set has 20 images (0..19)',
  ],
  [
    'an image that is no image',
    () => ['predict', '--load', T('model.bin'), '--image', T('junk.bin')],
    1,
    () => `${T('junk.bin')}: not a PNG, a PGM or 784 raw bytes`,
  ],
  [
    'an image of the wrong size',
    () => ['predict', '--load', T('model.bin'), '--image', T('small.pgm')],
    1,
    () => `${T('small.pgm')}: the image is 20x20 but the model takes 784 pixels (resize it, e.g. to 28x28)`,
  ],

  // data folders (exit 1)
  [
    'a missing folder',
    () => ['train', '--data', T('nowhere')],
    1,
    () => `cannot find ${TRAIN}.gz or ${TRAIN} in ${T('nowhere')}`,
  ],
  [
    'a missing image',
    () => ['predict', '--load', T('model.bin'), '--image', T('missing.png')],
    1,
    () => `cannot open ${T('missing.png')}: no such file`,
  ],
  [
    'layers that do not fit the images',
    () => ['train', '--data', T('small'), '--layers', '100,10', '--epochs', '1'],
    1,
    'the first layer has 100 inputs but the images are 28x28 = 784 pixels (set --layers 784,...)',
  ],
  [
    'too few outputs for the labels',
    () => ['train', '--data', T('small'), '--layers', '784,5', '--epochs', '1'],
    1,
    'the last layer has 5 outputs but the labels go up to 9 (it needs at least 10)',
  ],
  [
    'a label out of range',
    () => ['train', '--data', T('label12'), '--epochs', '1'],
    1,
    'the last layer has 10 outputs but the labels go up to 12 (it needs at least 13)',
  ],
  [
    'IDX with the wrong magic',
    () => ['train', '--data', T('magic')],
    1,
    () =>
      `${T('magic', TRAIN)}: not an IDX file (it starts with bytes 01 00 08 03; an IDX file of bytes starts with 00 00 08)`,
  ],
  [
    'a web page saved as IDX',
    () => ['train', '--data', T('html')],
    1,
    () => `${T('html', TRAIN)}: not an IDX file (it is text: "<!doctype html><title>MNIST</tit…")`,
  ],
  [
    'an empty file',
    () => ['train', '--data', T('empty')],
    1,
    () => `${T('empty', TRAIN)}: empty (0 bytes), not an IDX file`,
  ],
  [
    'IDX of floats',
    () => ['train', '--data', T('float')],
    1,
    () => `${T('float', TRAIN)}: IDX element type 0x0d (float32) is not supported; only unsigned bytes (0x08)`,
  ],
  [
    'labels with the wrong dims',
    () => ['train', '--data', T('dims')],
    1,
    () => `${T('dims')}: training set: labels must be a list of n, got 50×1`,
  ],
  [
    'more labels than images',
    () => ['train', '--data', T('count')],
    1,
    () => `${T('count')}: training set: the images and labels disagree in count: 50 images but 60 labels`,
  ],
  [
    'a header over the size limit',
    () => ['train', '--data', T('limit')],
    1,
    () => `${T('limit', TRAIN)}: the header claims 700000 x 28 x 28 = 548800000 bytes, ${LIMIT}`,
  ],
  [
    'truncated IDX',
    () => ['train', '--data', T('truncated')],
    1,
    () => `${T('truncated', TRAIN)}: data ended early (truncated)`,
  ],
  [
    'truncated gzip',
    () => ['train', '--data', T('gzcut')],
    1,
    () => `${T('gzcut', TRAIN)}.gz: corrupt or truncated gzip data (unexpected end of file)`,
  ],
  [
    'test images of another size',
    () => ['train', '--data', T('size20')],
    1,
    () => `${T('size20')}: training images are 28x28 but test images 20x20`,
  ],

  // data URLs, a loopback server (exit 1)
  [
    'a server error',
    () => ['train', '--data', `${srv.base}/500`],
    1,
    () => `${srv.base}/500/${TRAIN}.gz: HTTP 500 Internal Server Error`,
  ],
  [
    'a web page instead of IDX',
    () => ['train', '--data', `${srv.base}/html/`],
    1,
    () => `${srv.base}/html/${TRAIN}.gz: not an IDX file (got text/html: "<!doctype html><title>Sign in</t…")`,
  ],
  [
    'files missing on the server',
    () => ['train', '--data', `${srv.base}/missing`],
    1,
    () => `cannot find ${TRAIN}.gz or ${TRAIN} in ${srv.base}/missing`,
  ],
  [
    'a server that stalls',
    () => ['train', '--data', `${srv.base}/stall`],
    1,
    () =>
      new RegExp(
        `^${srv.base}/stall/${TRAIN}\\.gz: no data for 5000 ms after \\d+ bytes \\(MNIST_WASM_TIMEOUT\\); gave up$`,
      ),
    // the server answers at once, but the command must read the answer before
    // the timer runs out: on a loaded machine, with two more commands running
    // beside it, a second and a half was not always enough
    { MNIST_WASM_TIMEOUT: '5000' },
  ],
  [
    'a server that never answers',
    () => ['train', '--data', `${srv.base}/silent`],
    1,
    () => `${srv.base}/silent/${TRAIN}.gz: no response within 1000 ms (MNIST_WASM_TIMEOUT); gave up`,
    { MNIST_WASM_TIMEOUT: '1000' },
  ],
  [
    'a server that is not there',
    () => ['train', '--data', `http://127.0.0.1:${srv.closedPort}/data`],
    1,
    () => `cannot fetch http://127.0.0.1:${srv.closedPort}/data/${TRAIN}.gz: fetch failed (ECONNREFUSED)`,
  ],

  // training that diverges (real digits, a learning rate far too large)
  [
    'a diverging loss',
    () => [
      'train',
      '--data',
      dataDir,
      '--layers',
      '784,128,128,128,10',
      '--activation',
      'relu',
      '--lr',
      '100',
      '--batch',
      '1',
      '--epochs',
      '2',
      '--save',
      T('diverged.bin'),
    ],
    1,
    /^epoch 1: training diverged at step \d+ \(the loss became NaN or infinite\); lower the learning rate \(--lr is 100\)$/,
  ],
];

test.before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-cli-errors-'));
  const d = await defaultData();
  // models
  const save = async (file, opts) => {
    const n = await createNetwork(opts);
    writeFileSync(T(file), n.save());
    const b = n.save();
    n.dispose();
    return b;
  };
  const model = await save('model.bin', { seed: 1 });
  await save('arch20.bin', { layers: [784, 20, 10] });
  await save('other100.bin', { layers: [100, 16, 10] });
  await save('out5.bin', { layers: [784, 16, 5] });
  writeFileSync(T('truncated.bin'), model.subarray(0, 5000));
  const flipped = model.slice();
  flipped[3000] ^= 4;
  writeFileSync(T('flipped.bin'), flipped);
  writeFileSync(T('junk.bin'), 'junk that is not a model');
  writeFileSync(T('small.pgm'), Buffer.concat([Buffer.from('P5\n20 20\n255\n'), Buffer.alloc(400, 128)]));
  // data folders: 50 training and 20 test digits, each with one thing wrong
  dataFolder('small', d);
  const labels12 = d.trainLabels.slice(0, 50);
  labels12[7] = 12;
  dataFolder('label12', d, { 'train-labels-idx1-ubyte': idx(8, [50], labels12) });
  const magic = idx(8, [50, 28, 28], d.trainImages.subarray(0, 50 * 784));
  magic[0] = 1;
  dataFolder('magic', d, { [TRAIN]: magic });
  dataFolder('html', d, { [TRAIN]: new TextEncoder().encode('<!doctype html><title>MNIST</title><p>moved') });
  dataFolder('empty', d, { [TRAIN]: new Uint8Array(0) });
  dataFolder('float', d, { [TRAIN]: idx(0x0d, [50, 28, 28], new Uint8Array(50 * 784 * 4)) });
  dataFolder('dims', d, { 'train-labels-idx1-ubyte': idx(8, [50, 1], d.trainLabels.subarray(0, 50)) });
  dataFolder('count', d, { 'train-labels-idx1-ubyte': idx(8, [60], d.trainLabels.subarray(0, 60)) });
  dataFolder('limit', d, { [TRAIN]: idx(8, [700000, 28, 28], d.trainImages.subarray(0, 784)) });
  dataFolder('truncated', d, { [TRAIN]: idx(8, [50, 28, 28], d.trainImages.subarray(0, 49 * 784)) });
  const gz = gzipSync(idx(8, [50, 28, 28], d.trainImages.subarray(0, 50 * 784)));
  const gzcut = dataFolder('gzcut', d);
  rmSync(path.join(gzcut, TRAIN));
  writeFileSync(path.join(gzcut, `${TRAIN}.gz`), gz.subarray(0, gz.length >> 1));
  dataFolder('size20', d, { 't10k-images-idx3-ubyte': idx(8, [20, 20, 20], new Uint8Array(20 * 400)) });
  // a server on 127.0.0.1 only
  // /MODE/FILE: the training images fail as MODE says, the other files are good
  srv = await loopbackServer((req, res) => {
    const [, mode, file] = req.url.split('/');
    if (!file.startsWith(TRAIN) || mode === 'missing') {
      const body = file.endsWith('.gz') ? null : readFileSync(T('small', file));
      if (!body || file.startsWith(TRAIN)) {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-length': body.length });
      return res.end(body);
    }
    if (mode === 'silent') return undefined; // never answers
    if (mode === '500') {
      res.writeHead(500);
      return res.end();
    }
    if (mode === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<!doctype html><title>Sign in</title><form>…</form>');
    }
    res.writeHead(200); // stall: a little, then nothing
    res.write(gz.subarray(0, 1000));
  });
  const gone = await loopbackServer(() => {});
  srv.closedPort = new URL(gone.base).port;
  await gone.close();
  // every case at once, three processes at a time
  const queue = table.map((row) => row);
  const worker = async () => {
    for (let row; (row = queue.shift());) results.set(row[0], await cli(row[1](), row[4]));
  };
  await Promise.all([worker(), worker(), worker()]);
});

test.after(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test(`the command's bad-input table: ${table.length} cases, one stderr line and the exit status each`, () => {
  assert.ok(table.length >= 64, `${table.length} cases`);
  assert.is(new Set(table.map((t) => t[0])).size, table.length, 'each case named once');
});

for (const [what, , status, message] of table) {
  test(`mnist-wasm rejects ${what}`, () => {
    const r = results.get(what);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.is(lines.length, 1, `one stderr line, got: ${r.stderr}`);
    assert.ok(lines[0].startsWith('mnist-wasm: '), lines[0]);
    const got = lines[0].slice('mnist-wasm: '.length);
    const want = typeof message === 'function' ? message() : message;
    if (typeof want === 'string') assert.is(got, want);
    else assert.match(got, want, got);
    assert.is(r.status, status, 'exit status');
    assert.not.match(r.stdout, /^epoch /m, 'no epoch line on stdout');
  });
}

test('a diverged run saves no model', () => {
  assert.not.ok(existsSync(T('diverged.bin')));
});

test('output that cannot be written (a full disk) is one stderr line and exit 1, as in mnist-train', async () => {
  if (!existsSync('/dev/full')) return;
  const full = openSync('/dev/full', 'w');
  const r = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '--help'], { stdio: ['ignore', full, 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
  closeSync(full);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^mnist-wasm: cannot write the output: [^\n]+\n$/);
});

test.run();
