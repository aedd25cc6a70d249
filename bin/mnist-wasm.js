#!/usr/bin/env node
// mnist-wasm: the package's command line, the Node twin of the native
// build/native/mnist-train and as thin a shell. Its options, help, output
// lines and messages are C's (csrc/cli/options.h, called through the wasm
// module), so a run moves from one command to the other unchanged, prints
// the same lines and fails with the same words and exit status:
//
//   mnist-wasm [train] --data DIR_OR_URL [--epochs N] [--batch N] [--lr X] [--optimizer NAME]
//                      [--layers A,B,...] [--activation NAME] [--input NAME] [--seed N] [--save FILE] [--load FILE]
//   mnist-wasm evaluate --data DIR_OR_URL --load FILE
//   mnist-wasm predict  --load FILE (--data DIR_OR_URL --index N | --image FILE [--invert])
//   mnist-wasm export   --load FILE --format npz|onnx|tfjs --out PATH
//   mnist-wasm explain  --load FILE --data DIR_OR_URL --index N
//   any of them with --json: one JSON object per line (cli_*_json) instead of text
//
// What is its own: reading --data through the package (openMnist: a folder
// or a base URL, NAME.gz else NAME, straight into data sets in the heap),
// one updating progress line (download: bytes, total, rate; training: the
// epoch's samples) when stdout is a terminal and the output is text, the
// idle timeout of downloads (MNIST_WASM_TIMEOUT), and decoding image files
// for predict.
import { readFile, writeFile, stat, access, mkdir } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createNetwork, loadNetwork, openMnist, Trainer } from '../web/lib/node.js';
import { init } from '../web/lib/wasm.js';

const w = await init();
const CLI = w.facts.cli;
const M = w.M;

/** A failure: C's exit status and its one line. */
class Exit extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---- the C side (csrc/cli/options.h) -------------------------------------------

const cstr = (s) => w.cstringIn(s);
/** Calls fn(...args, buf, cap) of options.h, strings copied in, and returns [result, text]. */
const withText = (fn, args, cap = CLI.messageMax) => w.callText(fn, args, cap);

/** A line that options.h formats (cli_epoch_line, ...). */
const line = (fn, ...args) => withText(fn, args)[1];

/** Throws C's message if a check of options.h fails (status != 0). */
function check(fn, ...args) {
  const [status, text] = withText(fn, args);
  if (status) throw new Exit(status, text);
}

/** Parses argv in C: the cli_args (kept in the heap, with argv) and their JSON. */
function parse(argv) {
  const strings = ['mnist-wasm', ...argv].map(cstr);
  const array = w.malloc(4 * strings.length, 'argv');
  w.u32.set(strings, array >> 2);
  const ptr = w.malloc(CLI.argsSize, 'the options');
  check(M._cli_parse, strings.length, array, CLI.node, ptr);
  const size = M._cli_args_json(ptr, 0, 0) + 1;
  const [, json] = withText((buf, cap) => M._cli_args_json(ptr, buf, cap), [], size);
  return { ...JSON.parse(json), ptr }; // argv stays in the heap: the options point into it
}

const given = (a, name) => a.given.includes(name);

// ---- progress on a terminal, and the garbage of streaming -------------------------

// One line, redrawn at most every 100 ms and erased before any other output,
// on stdout while it is a terminal and the output is text (not --json):
// whoever reads the lines from a pipe or a file gets nothing extra.
let live = false; // set by main once the command line is read
let shown = false; // a progress line is on the terminal now
let lastDraw = 0;
function progress(text, force = false) {
  if (!live) return;
  const t = Date.now();
  if (!force && t - lastDraw < 100) return;
  lastDraw = t;
  shown = true;
  process.stdout.write(`\r\x1b[K${text}`);
}
function clearProgress() {
  if (shown) process.stdout.write('\r\x1b[K');
  shown = false;
}
const mb = (n) => (n / 1e6).toFixed(1);

/** "reading DATA  1.2 of 9.7 MB (12%)  3.4 MB/s": the bytes so far, the total where known, the rate. */
function downloadText(data, received, total, seconds) {
  const of = total ? ` of ${mb(total)} MB (${Math.floor((100 * received) / total)}%)` : ' MB';
  const rate = seconds >= 0.1 ? `  ${mb(received / seconds)} MB/s` : '';
  return `reading ${data}  ${mb(received)}${of}${rate}`;
}

// The data live in the wasm heap, but every chunk read and gunzipped on the
// way there is an ArrayBuffer that V8 counts late: left alone they pile up
// to ~30 MB resident while Fashion-MNIST streams in (measured). A full
// collection of the small JS heap every MB read costs a few ms and keeps
// the command within its 140 MB for one epoch of 60,000 images.
const GC_EVERY = 1 << 20;
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc');

// ---- data -----------------------------------------------------------------------

/** Idle timeout of a download (no byte for this long): MNIST_WASM_TIMEOUT ms or C's default. */
function idleTimeout() {
  const v = process.env.MNIST_WASM_TIMEOUT;
  if (v === undefined || v === '') return CLI.timeoutMs;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 2 ** 31 - 1)
    throw new Exit(CLI.exitUsage, `MNIST_WASM_TIMEOUT: expected milliseconds in 1..${2 ** 31 - 1}, got '${v}'`);
  return Number(v);
}

const isUrl = (s) => /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);
/** DIR/NAME with one slash between, as mnist-train joins them. */
const join = (dir, name) => (dir === '' || dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/**
 * The data sets a command needs (train: both; evaluate, predict: test), whole.
 * Labels may be any byte: cli_check_data compares them to the network.
 */
async function readData(a, data = a.data, which = a.command === 'train' ? ['train', 'test'] : ['test']) {
  const { files } = w.facts;
  const names = ['train', 'test'];
  const url = isUrl(data);
  const base = url ? (data.endsWith('/') ? data : `${data}/`) : pathToFileURL(path.resolve(data) + '/');
  // the package names a local file by its URL's path; the message names it as --data does
  const shown = new Map();
  if (!url)
    for (const set of names)
      for (const name of files[set])
        for (const suffix of files.suffixes)
          shown.set(new URL(name + suffix, base).pathname, join(data, name + suffix));
  const reword = (e) => {
    let m = String(e?.message ?? e)
      .split('\n')[0]
      .replace(/^(openDataset|loadMnist): /, '')
      .replace('(the timeout option)', '(MNIST_WASM_TIMEOUT)');
    for (const [where, as] of shown)
      if (m.includes(where)) {
        m = m.replace(where, as);
        break;
      }
    return new Exit(CLI.exitFailure, m);
  };
  const timeout = idleTimeout();
  const open = new Set();
  const started = performance.now();
  let gcAt = 0;
  const onProgress = (ds) => {
    open.add(ds);
    let received = 0,
      total = 0;
    for (const d of open) {
      received += d.received;
      total = total === null || d.total === null ? null : total + d.total;
    }
    progress(downloadText(data, received, total, (performance.now() - started) / 1000));
    if (received - gcAt >= GC_EVERY) {
      gcAt = received;
      collect();
    }
  };
  let sets;
  try {
    sets = await openMnist(base, { sets: which, classes: w.facts.limits.maxClasses, timeout, onProgress });
  } catch (e) {
    clearProgress();
    if (e.code !== 'NOT_FOUND') throw reword(e);
    const set = names.find((s) => files[s].includes(e.file));
    check(M._cli_not_found, data, names.indexOf(set), files[set].indexOf(e.file));
  }
  // one set after the other, so that the first error named is mnist-train's
  for (const set of which) {
    try {
      await sets[set].done;
    } catch (e) {
      clearProgress();
      const { NN_ERR_COUNT, NN_ERR_DIMS } = w.status;
      const err =
        e.status === NN_ERR_COUNT || e.status === NN_ERR_DIMS
          ? new Exit(
              CLI.exitFailure,
              withText(M._cli_data_error, [data, names.indexOf(set), sets[set].pointer, e.status, e.file ?? 0, 0])[1],
            )
          : reword(e);
      for (const ds of Object.values(sets)) ds.dispose();
      throw err;
    }
  }
  clearProgress();
  collect();
  return sets;
}

// ---- models ---------------------------------------------------------------------

const P = CLI.problems;

async function readModel(file, threads) {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch (e) {
    check(M._cli_file_error, e.code === 'ENOENT' ? P.noSuchFile : P.cannotOpen, file, e.message.replace(/^\w+: /, ''));
  }
  try {
    return await loadNetwork(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), { threads });
  } catch (e) {
    throw new Exit(CLI.exitFailure, `${file}: ${e.message.replace(/^loadNetwork: /, '')}`);
  }
}

/** The network: fresh from the options, or loaded with the command line's overrides. */
async function makeNetwork(a) {
  const o = a.options;
  if (!a.load) return createNetwork({ ...o, seed: BigInt(o.seed) });
  const net = await readModel(a.load, o.threads);
  if (a.command === 'train') check(M._cli_check_model, a.ptr, net.pointer);
  const set = {};
  if (given(a, 'optimizer')) set.optimizer = o.optimizer;
  if (given(a, 'lr')) set.learningRate = o.learningRate;
  if (given(a, 'batch')) set.batchSize = o.batchSize;
  if (given(a, 'schedule')) set.schedule = o.schedule;
  if (given(a, 'weight-decay')) set.weightDecay = o.weightDecay;
  if (given(a, 'augment')) set.augment = o.augment;
  net.setOptions(set);
  return net;
}

/** Fails before any training if --save FILE cannot be written. */
async function checkSavable(file) {
  const dir = path.dirname(file);
  let problem = 0;
  try {
    if (!(await stat(dir)).isDirectory()) problem = P.notFolder;
    else await access(dir, fsConstants.W_OK);
  } catch (e) {
    problem = {
      ENOENT: P.noFolder,
      ENOTDIR: P.notFolder,
      EACCES: P.notWritable,
      EPERM: P.notWritable,
      EROFS: P.notWritable,
    }[e.code];
    if (problem === undefined) check(M._cli_file_error, P.cannotCreate, file, e.message.replace(/^\w+: /, ''));
  }
  if (problem) check(M._cli_file_error, problem, file, dir);
}

async function save(net, file) {
  try {
    await writeFile(file, net.save());
  } catch (e) {
    check(M._cli_file_error, P.cannotCreate, file, e.message.replace(/^\w+: /, ''));
  }
}

// ---- images for predict --image --------------------------------------------------

/** 28x28 grey pixels from a PNG (8-bit, non-interlaced), a PGM (P2/P5) or 784 raw bytes. */
function decodeImage(bytes, file, invert) {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) return decodePng(bytes, file, invert);
  if (bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x32)) return decodePgm(bytes, file);
  if (bytes.length === 784) return { width: 28, height: 28, grey: new Uint8Array(bytes) };
  throw new Error(`${file}: not a PNG, a PGM or 784 raw bytes`);
}

function decodePgm(bytes, file) {
  const text = bytes.toString('latin1');
  const re = /\s*(?:#[^\n]*\n\s*)*(\S+)/y;
  re.lastIndex = 2;
  const field = () => {
    const m = re.exec(text);
    if (!m) throw new Error(`${file}: malformed PGM header`);
    return Number(m[1]);
  };
  const width = field(),
    height = field(),
    max = field();
  if (!(width > 0 && height > 0 && max > 0 && max < 256)) throw new Error(`${file}: only 8-bit PGM is supported`);
  const grey = new Uint8Array(width * height);
  if (bytes[1] === 0x35) {
    const at = re.lastIndex + 1;
    if (bytes.length < at + grey.length) throw new Error(`${file}: PGM data ended early`);
    grey.set(bytes.subarray(at, at + grey.length));
  } else {
    for (let i = 0; i < grey.length; i++) grey[i] = field();
  }
  if (max !== 255) for (let i = 0; i < grey.length; i++) grey[i] = Math.round((grey[i] * 255) / max);
  return { width, height, grey };
}

function decodePng(bytes, file, invert) {
  let at = 8,
    width = 0,
    height = 0,
    depth = 0,
    color = 0,
    interlace = 0;
  const idat = [];
  while (at + 8 <= bytes.length) {
    const len = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8];
      color = body[9];
      interlace = body[12];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[color];
  if (depth !== 8 || !channels || interlace)
    throw new Error(`${file}: only 8-bit, non-interlaced grey, grey+alpha, RGB or RGBA PNG is supported`);
  let raw;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new Error(`${file}: corrupt PNG data (${e.message})`);
  }
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error(`${file}: PNG data ended early`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = px.subarray(y * stride, (y + 1) * stride);
    const up = y ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0,
        b = up[x],
        c = x >= channels ? up[x - channels] : 0;
      let p;
      switch (filter) {
        case 0:
          p = 0;
          break;
        case 1:
          p = a;
          break;
        case 2:
          p = b;
          break;
        case 3:
          p = (a + b) >> 1;
          break;
        case 4: {
          const pa = Math.abs(b - c),
            pb = Math.abs(a - c),
            pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`${file}: bad PNG filter ${filter}`);
      }
      row[x] = (src[x] + p) & 255;
    }
  }
  const alpha = channels === 2 || channels === 4;
  const background = invert ? 255 : 0; // transparent pixels are paper: black, or white under --invert
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const q = px.subarray(i * channels, i * channels + channels);
    const v = channels >= 3 ? 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2] : q[0];
    const a = alpha ? q[channels - 1] / 255 : 1;
    grey[i] = Math.round(v * a + background * (1 - a));
  }
  return { width, height, grey };
}

// ---- commands -------------------------------------------------------------------

const print = (text) => process.stdout.write(`${text}\n`);

/** What a command prints, as options.h formats it: text, or with --json one JSON object. */
const RESULTS = {
  epoch: [M._cli_epoch_line, M._cli_epoch_json],
  evaluate: [M._cli_evaluate_line, M._cli_evaluate_json],
  predict: [M._cli_predict_lines, M._cli_predict_json],
};
const result = (a, what, ...args) => line(RESULTS[what][a.json ? 1 : 0], ...args);

function evaluateLine(a, net, test) {
  const ev = net.evaluate(test, { wrong: 0 });
  print(result(a, 'evaluate', ev.loss, ev.accuracy, ev.samples));
}

const PROGRESS_SAMPLES = 1024; // samples per trainer call: the progress line's step

async function train(a, net, sets) {
  const { train: data, test } = sets;
  if (a.epochs === 0) evaluateLine(a, net, test);
  // C's loop, as mnist-train runs it: one trainer for the run, which the
  // schedule spreads over; calls of PROGRESS_SAMPLES for the progress line
  const trainer = new Trainer();
  trainer.plan(a.epochs);
  if (sets.extra) trainer.mix(sets.extra, a.repeat);
  const pass = data.ready + (sets.extra ? a.repeat * sets.extra.ready : 0); // samples in an epoch
  try {
    for (let e = 1; e <= a.epochs; e++) {
      const t0 = performance.now();
      let p,
        samples = 0;
      try {
        do {
          p = trainer.run(net, data, PROGRESS_SAMPLES);
          samples += p.trained;
          const seen = p.passes >= e ? pass : p.position;
          progress(
            `epoch ${e}  ${seen}/${pass}  loss ${(p.passes >= e ? p.lastLoss : p.passLoss / seen).toFixed(4)}`,
            seen === pass,
          );
        } while (p.passes < e);
      } catch (err) {
        clearProgress();
        // the weights are the last finite ones, but a diverged run is not saved
        if (err.status !== undefined) check(M._cli_train_error, net.pointer, e, err.status);
        throw new Exit(CLI.exitFailure, `epoch ${e}: ${err.message.replace(/^train: /, '')}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      clearProgress();
      const ev = net.evaluate(test, { wrong: 0 });
      print(result(a, 'epoch', e, p.lastLoss, ev.accuracy, seconds, samples));
    }
  } finally {
    trainer.dispose();
  }
  if (a.save) await save(net, a.save);
}

/** export: the model in --format at --out (tfjs: its files in the folder --out, made if missing), as mnist-train writes them. */
async function exportModel(a) {
  if (a.format !== 'tfjs') await checkSavable(a.out);
  const net = await readModel(a.load, 1);
  try {
    const made = net.export(a.format);
    const files = a.format === 'tfjs' ? Object.entries(made).map(([n, b]) => [join(a.out, n), b]) : [[a.out, made]];
    if (a.format === 'tfjs')
      await mkdir(a.out).catch((e) => {
        if (e.code !== 'EEXIST') check(M._cli_file_error, P.cannotCreate, a.out, e.message.replace(/^\w+: /, ''));
      });
    for (const [file, bytes] of files) {
      try {
        await writeFile(file, bytes);
      } catch (e) {
        check(M._cli_file_error, P.cannotCreate, file, e.message.replace(/^\w+: /, ''));
      }
      print(line(M._cli_export_line, file, bytes.length));
    }
  } finally {
    net.dispose();
  }
}

async function predict(a, net, sets) {
  let pixels,
    label = -1;
  if (a.image !== null) {
    let bytes;
    try {
      bytes = await readFile(a.image);
    } catch (e) {
      check(
        M._cli_file_error,
        e.code === 'ENOENT' ? P.noSuchFile : P.cannotOpen,
        a.image,
        e.message.replace(/^\w+: /, ''),
      );
    }
    const img = decodeImage(bytes, a.image, a.invert);
    if (img.width * img.height !== net.inputs)
      throw new Exit(
        CLI.exitFailure,
        `${a.image}: the image is ${img.width}x${img.height} but the model takes ${net.inputs} pixels (resize it, e.g. to 28x28)`,
      );
    pixels = a.invert ? img.grey.map((v) => 255 - v) : img.grey;
  } else {
    pixels = sets.test.image(a.index);
    label = sets.test.label(a.index);
  }
  const probs = net.predict(pixels);
  const p = w.malloc(probs.length * 4, 'the probabilities');
  try {
    w.f32.set(probs, p >> 2);
    print(result(a, 'predict', a.image ?? 0, a.index, label, p, probs.length));
  } finally {
    w.free(p);
  }
}

/** explain --index N: C's lines for the test image's backpropagation (options.h, cli_explain). */
function explain(a, net, test) {
  const image = w.copyIn(test.image(a.index), 'the image');
  try {
    const [status, text] = withText(M._cli_explain, [net.pointer, image, test.label(a.index), a.index, a.json ? 1 : 0]);
    if (status) throw new Exit(status, text);
    print(text);
  } finally {
    w.free(image);
  }
}

async function main(argv) {
  const a = parse(argv);
  if (a.help) {
    const size = M._cli_help(CLI.node, 0, 0) + 1;
    process.stdout.write(withText((buf, cap) => M._cli_help(CLI.node, buf, cap), [], size)[1]);
    return;
  }
  idleTimeout(); // checked with the command line, before anything is read
  live = !!process.stdout.isTTY && !a.json;
  // cheap checks first, as mnist-train: the save folder and the model before a slow load
  if (a.save) await checkSavable(a.save);
  if (a.command === 'export') return exportModel(a);
  const net = await makeNetwork(a);
  const needData = a.command !== 'predict' || a.index >= 0;
  const sets = needData ? await readData(a) : {};
  try {
    if (needData) check(M._cli_check_data, a.ptr, net.pointer, sets.train?.pointer ?? 0, sets.test.pointer);
    if (a.extra !== null) {
      // a person's digits: the training files of --extra, mixed in
      sets.extra = (await readData(a, a.extra, ['train'])).train;
      check(M._cli_check_data, a.ptr, net.pointer, sets.extra.pointer, sets.test.pointer);
    }
    if (a.command === 'train') await train(a, net, sets);
    else if (a.command === 'evaluate') evaluateLine(a, net, sets.test);
    else if (a.command === 'explain') explain(a, net, sets.test);
    else await predict(a, net, sets);
  } finally {
    for (const ds of Object.values(sets)) ds.dispose();
    net.dispose();
  }
}

// Output that cannot be written (a full disk) fails with one line, as in mnist-train.
process.stdout.on('error', (e) => {
  process.stderr.write(`mnist-wasm: cannot write the output: ${e.message}\n`);
  process.exit(CLI.exitFailure);
});

try {
  await main(process.argv.slice(2));
} catch (e) {
  clearProgress();
  const message = String(e?.message ?? e).split('\n')[0];
  process.stderr.write(`mnist-wasm: ${message}\n`);
  process.exitCode = e instanceof Exit ? e.status : CLI.exitFailure;
}
