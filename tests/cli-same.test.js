// The two command lines are one: the native build/native/mnist-train and
// the Node command bin/mnist-wasm.js parse, print and fail through the same
// C (csrc/cli/options.h). Each bad command line, model or data folder below
// gives both the same one stderr line (after "mnist-train: " / "mnist-wasm: ")
// and the same exit status; --help is the same text; the same run prints
// the same lines and saves the same bytes; both look for NAME.gz first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { createNetwork } from 'mnist-wasm';
import { bin, dataDir, defaultData, idx, requireNative, bothCommands, runAsync } from './helpers/common.js';

let tmp, native;
const T = (...p) => path.join(tmp, ...p);
const TRAIN = 'train-images-idx3-ubyte';

const both = bothCommands;

function dataFolder(name, d, change = {}, remove = []) {
  const dir = T(name);
  mkdirSync(dir, { recursive: true });
  const files = {
    [TRAIN]: idx(8, [50, 28, 28], d.trainImages.subarray(0, 50 * 784)),
    'train-labels-idx1-ubyte': idx(8, [50], d.trainLabels.subarray(0, 50)),
    't10k-images-idx3-ubyte': idx(8, [20, 28, 28], d.testImages.subarray(0, 20 * 784)),
    't10k-labels-idx1-ubyte': idx(8, [20], d.testLabels.subarray(0, 20)),
    ...change,
  };
  for (const [file, bytes] of Object.entries(files))
    if (!remove.includes(file)) writeFileSync(path.join(dir, file), bytes);
  return dir;
}

// [what, () => args, exit status, the message after the program's name (string or RegExp)]
const table = [
  // the command line (exit 2)
  [
    'an unknown option',
    () => ['--data', T('small'), '--learning-rate', '1'],
    2,
    "unknown option '--learning-rate' (try --help)",
  ],
  ['a stray argument', () => ['train', '--data', T('small'), 'fast'], 2, "unexpected argument 'fast' (try --help)"],
  [
    'an unknown command',
    () => ['fit', '--data', T('small')],
    2,
    "unknown command 'fit': expected train, evaluate, predict, export or explain (try --help)",
  ],
  ['no --data', () => [], 2, '--data DIR is required (try --help)'],
  ['an option without its value', () => ['--data', T('small'), '--epochs'], 2, '--epochs needs a value (try --help)'],
  ['an empty value', () => ['--data=', '--epochs', '1'], 2, '--data needs a value (try --help)'],
  [
    'an option of another command',
    () => ['evaluate', '--data', T('small'), '--load', T('model.bin'), '--lr', '0.1'],
    2,
    '--lr does not apply to evaluate (try --help)',
  ],
  ['a value for a flag', () => ['--data', T('small'), '--help=yes'], 2, '--help takes no value'],
  [
    '--lr not a number',
    () => ['--data', T('small'), '--lr', 'fast'],
    2,
    "--lr: expected a finite number > 0, got 'fast'",
  ],
  ['--lr NaN', () => ['--data', T('small'), '--lr=NaN'], 2, "--lr: expected a finite number > 0, got 'NaN'"],
  [
    '--lr overflowing',
    () => ['--data', T('small'), '--lr', '1e999'],
    2,
    "--lr: expected a finite number > 0, got '1e999'",
  ],
  [
    '--lr too large',
    () => ['--data', T('small'), '--lr', '1000'],
    2,
    "--lr: expected a number in 1e-12..100, got '1000'",
  ],
  [
    '--lr too small for a float',
    () => ['--data', T('small'), '--lr', '1e-40'],
    2,
    "--lr: expected a number in 1e-12..100, got '1e-40'",
  ],
  [
    '--lr with a leading space',
    () => ['--data', T('small'), '--lr', ' 0.1'],
    2,
    "--lr: expected a finite number > 0, got ' 0.1'",
  ],
  [
    '--epochs fractional',
    () => ['--data', T('small'), '--epochs', '1.5'],
    2,
    "--epochs: expected an integer in 0..1000000, got '1.5'",
  ],
  [
    '--epochs negative',
    () => ['--data', T('small'), '--epochs=-1'],
    2,
    "--epochs: expected an integer in 0..1000000, got '-1'",
  ],
  [
    '--epochs past a long',
    () => ['--data', T('small'), '--epochs', '99999999999999999999'],
    2,
    "--epochs: expected an integer in 0..1000000, got '99999999999999999999'",
  ],
  ['--batch 0', () => ['--data', T('small'), '--batch', '0'], 2, "--batch: expected an integer in 1..4096, got '0'"],
  [
    '--batch with a unit',
    () => ['--data', T('small'), '--batch', '8x'],
    2,
    "--batch: expected an integer in 1..4096, got '8x'",
  ],
  [
    'an empty layer',
    () => ['--data', T('small'), '--layers', '784,,10'],
    2,
    "--layers 784,,10: unknown item '' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'a signed layer',
    () => ['--data', T('small'), '--layers', '784,+16,10'],
    2,
    "--layers 784,+16,10: unknown item '+16' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'one layer size',
    () => ['--data', T('small'), '--layers', '784'],
    2,
    '--layers 784: a stack needs an input and at least one layer',
  ],
  [
    'ten layer sizes',
    () => ['--data', T('small'), '--layers', '784,9,9,9,9,9,9,9,9,10'],
    2,
    '--layers 784,9,9,9,9,9,9,9,9,10: at most 8 layers after the input',
  ],
  [
    'too many weights',
    () => ['--data', T('small'), '--layers', '4096,4096,4096,4096,4096,10'],
    2,
    '--layers 4096,4096,4096,4096,4096,10: 67166218 weights and biases, over the limit of 67108864',
  ],
  [
    'one output',
    () => ['--data', T('small'), '--layers', '784,1'],
    2,
    '--layers 784,1: the last layer needs at least 2 units (one per class)',
  ],
  [
    'a convolution after a flat input',
    () => ['--data', T('small'), '--layers', '784,conv5x8,10'],
    2,
    "--layers 784,conv5x8,10: 'conv5x8': a convolution needs an image, but its input is flat (784 values): start the stack with an image such as 28x28",
  ],
  [
    'a kernel larger than its input',
    () => ['--data', T('small'), '--layers', '28x28,conv5x8,pool2,conv5x16,pool2,conv5x4,10'],
    2,
    "--layers 28x28,conv5x8,pool2,conv5x16,pool2,conv5x4,10: 'conv5x4': the 5x5 kernel is larger than its input 4x4x16",
  ],
  [
    'pooling that leaves nothing',
    () => ['--data', T('small'), '--layers', '28x28,pool29,10'],
    2,
    "--layers 28x28,pool29,10: 'pool29': 29x29 pooling leaves nothing of its input 28x28x1",
  ],
  [
    'zero filters',
    () => ['--data', T('small'), '--layers', '28x28,conv5x0,10'],
    2,
    "--layers 28x28,conv5x0,10: 'conv5x0': a convolution needs 1..4096 filters",
  ],
  [
    'an unknown item',
    () => ['--data', T('small'), '--layers', '28x28,maxpool2,10'],
    2,
    "--layers 28x28,maxpool2,10: unknown item 'maxpool2' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'an unknown activation',
    () => ['--data', T('small'), '--activation', 'softplus'],
    2,
    "--activation: expected sigmoid, relu or tanh, got 'softplus'",
  ],
  [
    'an unknown input',
    () => ['--data', T('small'), '--input', 'centered'],
    2,
    "--input: expected raw or centred, got 'centered'",
  ],
  [
    'an unknown optimizer',
    () => ['--data', T('small'), '--optimizer', 'rmsprop'],
    2,
    "--optimizer: expected sgd, momentum or adam, got 'rmsprop'",
  ],
  [
    '--seed negative',
    () => ['--data', T('small'), '--seed', '-1'],
    2,
    "--seed: expected an unsigned integer, got '-1'",
  ],
  [
    '--seed of 2^64',
    () => ['--data', T('small'), '--seed', '18446744073709551616'],
    2,
    "--seed: expected an unsigned integer, got '18446744073709551616'",
  ],
  [
    '--seed with --load',
    () => ['train', '--data', T('small'), '--load', T('model.bin'), '--seed', '3'],
    2,
    '--seed cannot be used with --load (the model carries its generator state)',
  ],
  ['evaluate without --load', () => ['evaluate', '--data', T('small')], 2, '--load FILE is required (try --help)'],
  [
    'predict with neither --image nor --index',
    () => ['predict', '--load', T('model.bin')],
    2,
    'predict needs exactly one of --image FILE or --index N (try --help)',
  ],
  [
    'predict --index without --data',
    () => ['predict', '--load', T('model.bin'), '--index', '3'],
    2,
    '--index needs --data DIR (try --help)',
  ],
  [
    '--index negative',
    () => ['predict', '--load', T('model.bin'), '--data', T('small'), '--index', '-1'],
    2,
    "--index: expected an integer in 0..2147483647, got '-1'",
  ],

  // models and files (exit 1)
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
    'a data file as the model',
    () => ['evaluate', '--data', T('small'), '--load', T('small', TRAIN)],
    1,
    () => `${T('small', TRAIN)}: not a model file (it looks like an IDX data file; a model file starts with "MNWM")`,
  ],
  [
    'a model from a newer version',
    () => ['evaluate', '--data', T('small'), '--load', T('future.bin')],
    1,
    () =>
      `${T('future.bin')}: the model file is format version 99; this mnist-wasm reads versions 1 to 4 (a newer mnist-wasm wrote it)`,
  ],
  [
    'a model of other layers than --layers',
    () => ['--data', T('small'), '--load', T('arch20.bin'), '--layers', '784,128,64,10'],
    1,
    () => `--layers 784,128,64,10 does not match ${T('arch20.bin')} (layers 784,20,10)`,
  ],
  [
    'a model of another activation',
    () => ['--data', T('small'), '--load', T('model.bin'), '--activation', 'tanh'],
    1,
    () => `--activation tanh does not match ${T('model.bin')} (activation sigmoid)`,
  ],
  [
    'a model of another input',
    () => ['--data', T('small'), '--load', T('model.bin'), '--input', 'raw'],
    1,
    () => `--input raw does not match ${T('model.bin')} (input centred)`,
  ],
  [
    'a model of another input size',
    () => ['evaluate', '--data', T('small'), '--load', T('other100.bin')],
    1,
    () => `the first layer of ${T('other100.bin')} has 100 inputs but the images are 28x28 = 784 pixels`,
  ],
  [
    'a model of too few outputs',
    () => ['--data', T('small'), '--load', T('out5.bin'), '--epochs', '1'],
    1,
    () => `the last layer of ${T('out5.bin')} has 5 outputs but the labels go up to 9 (it needs at least 10)`,
  ],
  [
    '--save into a missing folder',
    () => ['--data', T('small'), '--save', T('no', 'such', 'm.bin')],
    1,
    () => `cannot create ${T('no', 'such', 'm.bin')}: the folder ${T('no', 'such')} does not exist`,
  ],
  [
    '--save into a file as if a folder',
    () => ['--data', T('small'), '--save', T('model.bin', 'm.bin')],
    1,
    () => `cannot create ${T('model.bin', 'm.bin')}: ${T('model.bin')} is not a folder`,
  ],
  // a folder where a file should be: C's words (strerror) in both, not Node's
  [
    'a folder as the model',
    () => ['evaluate', '--data', T('small'), '--load', T('folder')],
    1,
    () => `cannot open ${T('folder')}: Is a directory`,
  ],
  [
    'export onto a folder',
    () => ['export', '--load', T('model.bin'), '--format', 'npz', '--out', T('folder')],
    1,
    () => `cannot create ${T('folder')}: Is a directory`,
  ],
  [
    '--index past the test set',
    () => ['predict', '--load', T('model.bin'), '--data', T('small'), '--index', '20'],
    1,
    '--index 20: the test set has 20 images (0..19)',
  ],

  // data folders (exit 1)
  [
    'a missing folder',
    () => ['--data', T('nowhere')],
    1,
    () => `cannot find ${TRAIN}.gz or ${TRAIN} in ${T('nowhere')}`,
  ],
  [
    'a missing test file',
    () => ['evaluate', '--data', T('notest'), '--load', T('model.bin')],
    1,
    () => `cannot find t10k-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte in ${T('notest')}`,
  ],
  [
    'layers that do not fit the images',
    () => ['--data', T('small'), '--layers', '100,10'],
    1,
    'the first layer has 100 inputs but the images are 28x28 = 784 pixels (set --layers 784,...)',
  ],
  [
    'too few outputs for the labels',
    () => ['--data', T('small'), '--layers', '784,5'],
    1,
    'the last layer has 5 outputs but the labels go up to 9 (it needs at least 10)',
  ],
  [
    'a label out of range',
    () => ['--data', T('label12')],
    1,
    'the last layer has 10 outputs but the labels go up to 12 (it needs at least 13)',
  ],
  [
    'test images of another size',
    () => ['--data', T('size20')],
    1,
    () => `${T('size20')}: training images are 28x28 but test images 20x20`,
  ],
  [
    'more labels than images',
    () => ['--data', T('count')],
    1,
    () => `${T('count')}: training set: the images and labels disagree in count: 50 images but 60 labels`,
  ],
  [
    'labels with the wrong dims',
    () => ['--data', T('dims')],
    1,
    () => `${T('dims')}: training set: labels must be a list of n, got 50×1`,
  ],
  [
    'an HTML page saved as an IDX file',
    () => ['--data', T('html')],
    1,
    () => `${T('html', TRAIN)}: not an IDX file (it is text: "<!doctype html> <html><head><tit…")`,
  ],
  [
    'an IDX file of floats',
    () => ['--data', T('floats')],
    1,
    () => `${T('floats', TRAIN)}: IDX element type 0x0d (float32) is not supported; only unsigned bytes (0x08)`,
  ],
  [
    'an empty IDX file',
    () => ['--data', T('empty')],
    1,
    () => `${T('empty', TRAIN)}: empty (0 bytes), not an IDX file`,
  ],
  [
    'a header that claims too much',
    () => ['--data', T('huge')],
    1,
    () =>
      `${T('huge', TRAIN)}: the header claims 100000 x 100000 x 1 = 10000000000 bytes, over the limit of 536870912 bytes (512 MiB)`,
  ],
  [
    'bytes that are not IDX',
    () => ['--data', T('binary')],
    1,
    () =>
      `${T('binary', TRAIN)}: not an IDX file (it starts with bytes 89 50 4e 47; an IDX file of bytes starts with 00 00 08)`,
  ],
  [
    'truncated IDX',
    () => ['--data', T('truncated')],
    1,
    () => `${T('truncated', TRAIN)}: data ended early (truncated)`,
  ],
  [
    'truncated gzip',
    () => ['--data', T('gzcut')],
    1,
    () => `${T('gzcut', TRAIN)}.gz: corrupt or truncated gzip data (unexpected end of file)`,
  ],
  [
    'NAME.gz before NAME: a broken .gz next to a good file',
    () => ['--data', T('gzfirst')],
    1,
    () => `${T('gzfirst', TRAIN)}.gz: corrupt or truncated gzip data (unexpected end of file)`,
  ],
  [
    'a folder in place of a data file',
    () => ['--data', T('gzfolder')],
    1,
    () => `${T('gzfolder', TRAIN)}.gz: Is a directory`,
  ],

  // training that diverges: the same step in both (real digits, a learning rate far too large)
  [
    'a diverging loss',
    () => [
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

const results = new Map();

test.before(async () => {
  native = requireNative().train;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-cli-same-'));
  const d = await defaultData();
  const save = async (file, opts) => {
    const n = await createNetwork(opts);
    writeFileSync(T(file), n.save());
    n.dispose();
  };
  await save('model.bin', { seed: 1 });
  writeFileSync(T('junk.bin'), 'junk that is not a model');
  const future = readFileSync(T('model.bin'));
  future.writeUInt32LE(99, 4);
  writeFileSync(T('future.bin'), future);
  await save('arch20.bin', { layers: [784, 20, 10] });
  await save('other100.bin', { layers: [100, 16, 10] });
  await save('out5.bin', { layers: [784, 16, 5] });
  dataFolder('small', d);
  mkdirSync(T('folder'));
  mkdirSync(path.join(dataFolder('gzfolder', d), `${TRAIN}.gz`));
  dataFolder('notest', d, {}, ['t10k-labels-idx1-ubyte']);
  const labels12 = d.trainLabels.slice(0, 50);
  labels12[7] = 12;
  dataFolder('label12', d, { 'train-labels-idx1-ubyte': idx(8, [50], labels12) });
  dataFolder('size20', d, { 't10k-images-idx3-ubyte': idx(8, [20, 20, 20], new Uint8Array(20 * 400)) });
  dataFolder('count', d, { 'train-labels-idx1-ubyte': idx(8, [60], d.trainLabels.subarray(0, 60)) });
  dataFolder('dims', d, { 'train-labels-idx1-ubyte': idx(8, [50, 1], d.trainLabels.subarray(0, 50)) });
  dataFolder('html', d, {
    [TRAIN]: new TextEncoder().encode(
      '<!doctype html>\n<html><head><title>Not Found</title></head><body>no such file</body></html>',
    ),
  });
  dataFolder('floats', d, { [TRAIN]: Uint8Array.from([0, 0, 0x0d, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]) });
  dataFolder('empty', d, { [TRAIN]: new Uint8Array(0) });
  dataFolder('huge', d, { [TRAIN]: Uint8Array.from([0, 0, 8, 3, 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 0, 0, 0, 1]) });
  dataFolder('binary', d, { [TRAIN]: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13]) });
  dataFolder('truncated', d, { [TRAIN]: idx(8, [50, 28, 28], d.trainImages.subarray(0, 49 * 784)) });
  const gz = gzipSync(idx(8, [50, 28, 28], d.trainImages.subarray(0, 50 * 784)));
  dataFolder('gzcut', d, { [`${TRAIN}.gz`]: gz.subarray(0, gz.length >> 1) }, [TRAIN]);
  dataFolder('gzfirst', d, { [`${TRAIN}.gz`]: gz.subarray(0, gz.length >> 1) });
  // the other way round: a good .gz next to a broken plain file trains
  dataFolder('gzgood', d, { [`${TRAIN}.gz`]: gz, [TRAIN]: new Uint8Array(10) });
  const queue = [...table];
  const worker = async () => {
    for (let row; (row = queue.shift());) results.set(row[0], await both(row[1]()));
  };
  await Promise.all([worker(), worker(), worker()]);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test(`the table: ${table.length} bad command lines, models and data folders`, () => {
  assert.ok(table.length >= 20, `${table.length} cases`);
  assert.is(new Set(table.map((t) => t[0])).size, table.length, 'each case named once');
});

/** The one stderr line without the program's name. */
function message(r, program) {
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `${program}: one stderr line, got: ${r.stderr}`);
  assert.ok(lines[0].startsWith(`${program}: `), lines[0]);
  return lines[0].slice(program.length + 2);
}

for (const [what, , status, want] of table) {
  test(`both reject ${what} alike`, () => {
    const r = results.get(what);
    const n = message(r.native, 'mnist-train');
    const w = message(r.node, 'mnist-wasm');
    assert.is(w, n, 'the same message');
    assert.is(r.node.status, r.native.status, 'the same exit status');
    assert.is(r.native.status, status, 'exit status');
    const expected = typeof want === 'function' ? want() : want;
    if (typeof expected === 'string') assert.is(n, expected);
    else assert.match(n, expected);
    assert.is(r.native.stdout + r.node.stdout, '', 'nothing on stdout');
  });
}

test('a diverged run saves no model', () => {
  assert.not.ok(existsSync(T('diverged.bin')));
});

test('--help: the same text, but for the program name', async () => {
  const r = await both(['--help']);
  assert.is(r.native.status, 0);
  assert.is(r.node.status, 0);
  assert.is(r.native.stderr + r.node.stderr, '');
  assert.ok(r.native.stdout.length > 1000, r.native.stdout);
  assert.is(
    r.node.stdout.replaceAll('mnist-wasm [train]', 'PROGRAM [train]').replace(/^( +)mnist-wasm /gm, '$1PROGRAM '),
    r.native.stdout.replaceAll('mnist-train [train]', 'PROGRAM [train]').replace(/^( +)mnist-train /gm, '$1PROGRAM '),
  );
  const again = await both(['evaluate', '-h', '--no-such-option']);
  assert.is(again.node.stdout, r.node.stdout, '-h anywhere: help, before later errors');
  assert.is(again.native.stdout, r.native.stdout);
});

/** The lines without seconds and samples/s. */
const strip = (out) => out.replace(/  [\d.]+ s  \d+ samples\/s$/gm, '');

test('a convnet: the same lines and byte-identical models, on 1 and 2 threads', async () => {
  const args = [
    '--data',
    dataDir,
    '--epochs',
    '1',
    '--batch',
    '32',
    '--activation',
    'relu',
    '--lr',
    '0.1',
    '--layers',
    '28x28,conv3x4,pool2,conv3x8,pool2,10',
  ];
  const [n, w, w2] = await Promise.all([
    runAsync(native, ['train', ...args, '--save', T('conv-native.bin')]),
    runAsync(process.execPath, [bin, ...args, '--save', T('conv-node.bin')]),
    runAsync(process.execPath, [bin, ...args, '--threads', '2', '--save', T('conv-node-2.bin')]),
  ]);
  for (const r of [n, w, w2]) assert.is(r.status, 0, r.stderr);
  assert.match(n.stdout, /^epoch 1  loss \d\.\d{4}  test (8[5-9]|9\d)\.\d{2}%/, 'a convnet learns');
  assert.is(strip(w.stdout), strip(n.stdout));
  assert.is(strip(w2.stdout), strip(n.stdout));
  assert.equal(readFileSync(T('conv-node.bin')), readFileSync(T('conv-native.bin')), 'identical model files');
  assert.equal(readFileSync(T('conv-node-2.bin')), readFileSync(T('conv-native.bin')), 'and on 2 threads');
  // the stack travels in the file: evaluate names no --layers, and a different one is refused
  const e = await both(['evaluate', '--data', dataDir, '--load', T('conv-native.bin')]);
  assert.is(e.native.status, 0, e.native.stderr);
  assert.is(e.node.stdout, e.native.stdout);
  const bad = await both(['--data', dataDir, '--load', T('conv-native.bin'), '--layers', '784,10']);
  assert.is(
    bad.native.stderr,
    `mnist-train: --layers 784,10 does not match ${T('conv-native.bin')} (layers 28x28,conv3x4,pool2,conv3x8,pool2,10)\n`,
  );
  assert.is(bad.node.stderr.replace('mnist-wasm', 'mnist-train'), bad.native.stderr);
});

test('the same run: the same lines and byte-identical models, with or without the command word', async () => {
  const args = [
    '--data',
    dataDir,
    '--epochs',
    '2',
    '--seed',
    '5',
    '--batch',
    '16',
    '--lr',
    '0.2',
    '--optimizer',
    'momentum',
    '--layers',
    '784,32,10',
  ];
  const [n, w] = await Promise.all([
    runAsync(native, ['train', ...args, '--save', T('same-native.bin')]),
    runAsync(process.execPath, [bin, ...args, '--save', T('same-node.bin')]),
  ]);
  assert.is(n.status, 0, n.stderr);
  assert.is(w.status, 0, w.stderr);
  assert.match(n.stdout, /^epoch 1  loss \d\.\d{4}  test \d+\.\d{2}%  \d+\.\d{2} s  \d+ samples\/s\nepoch 2 /);
  assert.is(strip(w.stdout), strip(n.stdout));
  assert.equal(readFileSync(T('same-node.bin')), readFileSync(T('same-native.bin')), 'identical model files');

  // on from the model: adam, another batch; then evaluate and predict
  const on = [
    '--data',
    dataDir,
    '--load',
    T('same-native.bin'),
    '--epochs',
    '1',
    '--optimizer',
    'adam',
    '--lr',
    '0.001',
    '--batch',
    '64',
  ];
  const r = await both([...on]);
  assert.is(r.native.status, 0, r.native.stderr);
  assert.is(strip(r.node.stdout), strip(r.native.stdout));
  const ev = await both(['evaluate', '--data', dataDir, '--load', T('same-native.bin')]);
  assert.match(ev.native.stdout, /^evaluate  loss \d\.\d{4}  test \d+\.\d{2}%  2000 samples\n$/);
  assert.is(ev.node.stdout, ev.native.stdout);
  const zero = await both(['--data', dataDir, '--load', T('same-native.bin'), '--epochs', '0']);
  assert.is(zero.native.stdout, ev.native.stdout, '--epochs 0 with --load evaluates');
  assert.is(zero.node.stdout, ev.native.stdout);
  const p = await both(['predict', '--data', dataDir, '--load', T('same-native.bin'), '--index', '1234']);
  assert.match(
    p.native.stdout,
    /^index 1234  label \d  predicted \d  p [01]\.\d{4}\n0:[01]\.\d{4} 1:.* 9:[01]\.\d{4}\n$/,
  );
  assert.is(p.node.stdout, p.native.stdout);
});

test("--extra: a person's digits mixed in, the same model from both, and another than without", async () => {
  const d = await defaultData();
  const extra = dataFolder('extra', d); // its training files: 50 digits
  const args = ['--data', dataDir, '--epochs', '1', '--layers', '784,16,10', '--extra', extra, '--repeat', '3'];
  const [n, w] = await Promise.all([
    runAsync(native, [...args, '--save', T('extra-native.bin')]),
    runAsync(process.execPath, [bin, ...args, '--save', T('extra-node.bin')]),
  ]);
  assert.is(n.status, 0, n.stderr);
  assert.is(w.status, 0, w.stderr);
  assert.is(strip(w.stdout), strip(n.stdout));
  assert.equal(readFileSync(T('extra-node.bin')), readFileSync(T('extra-native.bin')), 'identical model files');
  const plain = await runAsync(native, [
    '--data',
    dataDir,
    '--epochs',
    '1',
    '--layers',
    '784,16,10',
    '--save',
    T('plain.bin'),
  ]);
  assert.is(plain.status, 0, plain.stderr);
  assert.not.equal(
    readFileSync(T('plain.bin')),
    readFileSync(T('extra-native.bin')),
    'the extra digits change the model',
  );
  const bad = await both(['--data', dataDir, '--repeat', '3']);
  assert.is(bad.native.status, 2);
  assert.is(bad.native.stderr.replace('mnist-train', 'mnist-wasm'), bad.node.stderr);
  assert.match(bad.native.stderr, /--repeat applies to --extra only/);
});

test('--json: the same objects from both, but for seconds and samplesPerSecond', async () => {
  const model = T('json.bin');
  const train = await both([
    '--data',
    dataDir,
    '--epochs',
    '2',
    '--seed',
    '9',
    '--batch',
    '32',
    '--lr',
    '0.3',
    '--layers',
    '784,20,10',
    '--save',
    model,
    '--json',
  ]);
  assert.is(train.native.status, 0, train.native.stderr);
  assert.is(train.node.status, 0, train.node.stderr);
  const objects = (out) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const timeless = (out) =>
    objects(out).map(({ seconds, samplesPerSecond, ...o }) => {
      assert.ok(seconds > 0 && samplesPerSecond > 0, JSON.stringify({ seconds, samplesPerSecond }));
      return o;
    });
  assert.is(objects(train.native.stdout).length, 2);
  assert.equal(timeless(train.node.stdout), timeless(train.native.stdout));
  for (const args of [
    ['evaluate', '--data', dataDir, '--load', model],
    ['--data', dataDir, '--load', model, '--epochs', '0'],
    ['predict', '--data', dataDir, '--load', model, '--index', '42'],
  ]) {
    const r = await both([...args, '--json']);
    assert.is(r.native.status, 0, r.native.stderr);
    assert.ok(JSON.parse(r.native.stdout), r.native.stdout);
    assert.is(r.node.stdout, r.native.stdout, args.join(' '));
  }
});

test('NAME.gz before NAME: a good .gz next to a broken plain file trains in both', async () => {
  const r = await both(['--data', T('gzgood'), '--epochs', '1', '--layers', '784,16,10', '--seed', '2']);
  assert.is(r.native.status, 0, r.native.stderr);
  assert.is(r.node.status, 0, r.node.stderr);
  assert.match(r.native.stdout, /^epoch 1  loss /);
  assert.is(strip(r.node.stdout), strip(r.native.stdout));
});

test.run();
