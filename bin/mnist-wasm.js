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
// for predict (bin/image.js). Errors are worded once, here, from their
// fields (the package's code, reason, url; fs errors' code), never by
// rewriting another message.
import { readFile, writeFile, stat, access, mkdir } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createNetwork, loadNetwork, openMnist, Trainer } from '../web/lib/node.js';
import { init } from '../web/lib/wasm.js';
import { decodeImage } from './image.js';

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
  // an error names a local file by its file: URL; the command names it as --data does
  const shown = new Map();
  if (!url)
    for (const set of names)
      for (const name of files[set])
        for (const suffix of files.suffixes) shown.set(new URL(name + suffix, base).href, join(data, name + suffix));
  const failure = (e) => dataFailure(e, (u) => shown.get(u) ?? u);
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
    if (e.code !== 'NOT_FOUND') throw failure(e);
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
          : failure(e);
      for (const ds of Object.values(sets)) ds.dispose();
      throw err;
    }
  }
  clearProgress();
  collect();
  return sets;
}

/**
 * A data error in the command's words, built from its fields: the file as
 * --data names it (name(url)), C's reason (and the decompressor's detail),
 * MNIST_WASM_TIMEOUT for the package's timeout option; a file that cannot
 * be read in C's words (cli_file_error).
 */
function dataFailure(e, name) {
  const where = name(e?.url);
  if (e?.cause?.syscall) {
    // a local file that cannot be opened, or read (a folder in its place): mnist-train's words
    if (e.code !== 'NETWORK') fileFailure(P.cannotOpen, where, e.cause);
    return new Exit(CLI.exitFailure, `${where}: ${fsReason(e.cause)}`);
  }
  if (e?.code === 'TIMEOUT') return new Exit(CLI.exitFailure, `${where}: ${e.reason} (MNIST_WASM_TIMEOUT); gave up`);
  // no answer at all; a download that broke off later names its file and bytes
  if (e?.code === 'NETWORK' && e.received === undefined)
    return new Exit(CLI.exitFailure, `cannot fetch ${where}: ${e.reason}`);
  if (e?.reason === undefined) return new Exit(CLI.exitFailure, String(e?.message ?? e));
  return new Exit(CLI.exitFailure, `${where}: ${e.reason}${e.detail === undefined ? '' : ` (${e.detail})`}`);
}

// ---- files ----------------------------------------------------------------------

// C's words (glibc's strerror) for the codes of Node's fs errors, so that a
// file that cannot be read or written fails as in mnist-train; Node's own
// messages are libuv's ("illegal operation on a directory, read").
const STRERROR = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
  EFBIG: 'File too large',
  EIO: 'Input/output error',
  EPIPE: 'Broken pipe',
  EBUSY: 'Device or resource busy',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  ENOMEM: 'Cannot allocate memory',
};
const fsReason = (e) => STRERROR[e?.code] ?? e?.code ?? String(e);

const P = CLI.problems;

/** Fails with C's line (cli_file_error) for the fs error e on file. */
const fileFailure = (problem, file, e) => check(M._cli_file_error, problem, file, fsReason(e));
/** A file that cannot be read: missing, or another reason. */
const readFailure = (file, e) => fileFailure(e.code === 'ENOENT' ? P.noSuchFile : P.cannotOpen, file, e);

// ---- models ---------------------------------------------------------------------

async function readModel(file, threads) {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch (e) {
    readFailure(file, e);
  }
  try {
    return await loadNetwork(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), { threads });
  } catch (e) {
    throw new Exit(CLI.exitFailure, `${file}: ${e.reason ?? e.message}`);
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
    if (problem === undefined) fileFailure(P.cannotCreate, file, e);
  }
  if (problem) check(M._cli_file_error, problem, file, dir);
}

async function save(net, file) {
  try {
    await writeFile(file, net.save());
  } catch (e) {
    fileFailure(P.cannotCreate, file, e);
  }
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
        throw new Exit(CLI.exitFailure, `epoch ${e}: ${err.message}`);
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
        if (e.code !== 'EEXIST') fileFailure(P.cannotCreate, a.out, e);
      });
    for (const [file, bytes] of files) {
      try {
        await writeFile(file, bytes);
      } catch (e) {
        fileFailure(P.cannotCreate, file, e);
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
      readFailure(a.image, e);
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
  process.stderr.write(`mnist-wasm: cannot write the output: ${fsReason(e)}\n`);
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
