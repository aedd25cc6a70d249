#!/usr/bin/env node
// mnist-wasm: the package's command line, the Node twin of the native
// build/native/mnist-train. Same options, same output lines, so a run moves
// from one to the other unchanged (DESIGN.md, Command lines):
//
//   mnist-wasm train    --data DIR_OR_URL [--epochs N] [--batch N] [--lr X] [--optimizer NAME]
//                       [--layers A,B,...] [--activation NAME] [--seed N] [--save FILE] [--load FILE]
//   mnist-wasm evaluate --data DIR_OR_URL --load FILE
//   mnist-wasm predict  --load FILE (--image FILE [--invert] | --data DIR_OR_URL --index N)
//
// While it downloads and trains it keeps a progress line on stderr (when
// stderr is a terminal). Every failure ends in one stderr line
// `mnist-wasm: <reason>` and exit status 2 (bad command line) or 1.
import { readFile, writeFile, stat, access } from 'node:fs/promises';
import { existsSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { createNetwork, loadNetwork, fetchIdx } from '../web/lib/index.js';

const EXIT_USAGE = 2;
const FILES = { train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'], test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] };

class UsageError extends Error {}

const help = (d) => `usage: mnist-wasm train    --data DIR_OR_URL [options]
       mnist-wasm evaluate --data DIR_OR_URL --load FILE
       mnist-wasm predict  --load FILE (--image FILE [--invert] | --data DIR_OR_URL --index N)

train: trains a fully connected network on MNIST-format data and prints one line
per epoch: epoch, mean training loss, test accuracy, seconds, samples/s.
evaluate: prints the loaded model's loss and accuracy on the test set.
predict: prints the digit a loaded model reads in a 28x28 image (PNG, PGM or 784
raw bytes; white ink on black as in MNIST, --invert for dark ink on white) or in
test image N of --data.

  --data DIR_OR_URL   folder or base URL with train-images-idx3-ubyte, train-labels-idx1-ubyte,
                      t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each plain or .gz)
  --epochs N          passes over the training set (default 10); 0 with --load only evaluates
  --batch N           mini-batch size, 1..4096 (default ${d.batchSize})
  --lr X              learning rate, > 0 (default ${d.learningRate})
  --optimizer NAME    sgd, momentum or adam (default ${d.optimizer})
  --layers A,B,...    layer sizes, input first, output last (default ${d.layers.join(',')})
  --activation NAME   hidden units: sigmoid, relu or tanh (default ${d.activation})
  --seed N            seed for weight init and shuffling (default ${d.seed})
  --save FILE         write the trained model to FILE at the end
  --load FILE         start from a saved model; its layers and activation are kept
                      (--layers/--activation must match if given), and --lr, --batch
                      and --optimizer override the saved ones
  --image FILE        predict: the image to read
  --index N           predict: the test image to read from --data
  --invert            predict: the image has dark ink on a light background
  --help              show this help and exit

Options also take the form --name=value. A download that sends nothing for 60 s
fails (MNIST_WASM_TIMEOUT=ms changes that). Exit status: 0 on success, 2 for a
bad command line, 1 for any other error (one line on stderr).`;

const VALUED = ['--data', '--epochs', '--batch', '--lr', '--optimizer', '--layers', '--activation', '--seed', '--save', '--load', '--image', '--index'];
const FLAGS = ['--invert'];
const ALLOWED = {
  train: ['--data', '--epochs', '--batch', '--lr', '--optimizer', '--layers', '--activation', '--seed', '--save', '--load'],
  evaluate: ['--data', '--load', '--batch'],
  predict: ['--load', '--image', '--index', '--data', '--invert'],
};

function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') return { help: true };
  if (!command) throw new UsageError('a command is required: train, evaluate or predict (try --help)');
  if (!ALLOWED[command]) throw new UsageError(`unknown command '${command}': expected train, evaluate or predict (try --help)`);
  const o = { command };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}' (try --help)`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!VALUED.includes(name) && !FLAGS.includes(name)) throw new UsageError(`unknown option '${name}' (try --help)`);
    if (!ALLOWED[command].includes(name)) throw new UsageError(`${name} does not apply to ${command} (try --help)`);
    if (FLAGS.includes(name)) {
      if (eq >= 0) throw new UsageError(`${name} takes no value`);
      o[name.slice(2)] = true;
      continue;
    }
    let val;
    if (eq >= 0) val = arg.slice(eq + 1);
    else if (i + 1 < rest.length) val = rest[++i];
    else throw new UsageError(`${name} needs a value (try --help)`);
    if (val === '') throw new UsageError(`${name} needs a value (try --help)`);
    o[name.slice(2)] = val;
  }
  return o;
}

function integerArg(name, s, lo, hi) {
  if (!/^[+-]?\d+$/.test(s) || Number(s) < lo || Number(s) > hi) throw new UsageError(`--${name}: expected an integer in ${lo}..${hi}, got '${s}'`);
  return Number(s);
}

/** createNetwork / setOptions options from the command line, checked. */
function networkOptions(o) {
  const opts = {};
  if (o.layers !== undefined) {
    const parts = o.layers.split(',');
    if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 4096))
      throw new UsageError(`--layers: expected sizes in 1..4096 separated by commas, got '${o.layers}'`);
    if (parts.length > 9) throw new UsageError(`--layers: at most 9 sizes, got '${o.layers}'`);
    if (parts.length < 2) throw new UsageError(`--layers: need at least 2 sizes (input and output), got '${o.layers}'`);
    opts.layers = parts.map(Number);
  }
  if (o.batch !== undefined) opts.batchSize = integerArg('batch', o.batch, 1, 4096);
  if (o.lr !== undefined) {
    const v = Number(o.lr);
    if (!/^[\d.eE+-]+$/.test(o.lr) || !Number.isFinite(v) || !(Math.fround(v) > 0)) throw new UsageError(`--lr: expected a finite number > 0, got '${o.lr}'`);
    opts.learningRate = v;
  }
  if (o.optimizer !== undefined) {
    if (!['sgd', 'momentum', 'adam'].includes(o.optimizer)) throw new UsageError(`--optimizer: expected sgd, momentum or adam, got '${o.optimizer}'`);
    opts.optimizer = o.optimizer;
  }
  if (o.activation !== undefined) {
    if (!['sigmoid', 'relu', 'tanh'].includes(o.activation)) throw new UsageError(`--activation: expected sigmoid, relu or tanh, got '${o.activation}'`);
    opts.activation = o.activation;
  }
  if (o.seed !== undefined) {
    if (!/^\d+$/.test(o.seed) || BigInt(o.seed) >= 1n << 64n) throw new UsageError(`--seed: expected an unsigned integer, got '${o.seed}'`);
    opts.seed = BigInt(o.seed);
  }
  return opts;
}

// ---- progress on stderr -------------------------------------------------------

const tty = process.stderr.isTTY;
let lastDraw = 0;
function progress(text, force = false) {
  if (!tty) return;
  const t = Date.now();
  if (!force && t - lastDraw < 100) return;
  lastDraw = t;
  process.stderr.write(`\r\x1b[K${text}`);
}
function clearProgress() {
  if (tty) process.stderr.write('\r\x1b[K');
}
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

// ---- data ----------------------------------------------------------------------

// Every download of this run: aborted as soon as anything fails, so that
// a sibling download cannot keep the process alive after the error line.
const downloads = new AbortController();

/** Idle timeout of a download (no byte for this long), MNIST_WASM_TIMEOUT ms or 60 s. */
function idleTimeout() {
  const v = process.env.MNIST_WASM_TIMEOUT;
  if (v === undefined || v === '') return 60000;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 2 ** 31 - 1) throw new UsageError(`MNIST_WASM_TIMEOUT: expected milliseconds in 1..${2 ** 31 - 1}, got '${v}'`);
  return Number(v);
}

const isUrl = (s) => /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);

/** One IDX file from a folder (plain, else .gz) or a base URL (.gz, else plain). */
async function readIdx(data, name) {
  let sources;
  if (isUrl(data)) {
    const base = data.endsWith('/') ? data : data + '/';
    sources = [new URL(name + '.gz', base), new URL(name, base)];
  } else {
    const plain = path.join(data, name);
    const gz = plain + '.gz';
    if (existsSync(plain)) sources = [pathToFileURL(plain)];
    else if (existsSync(gz)) sources = [pathToFileURL(gz)];
    else throw new Error(`cannot open ${plain} (or ${name}.gz): no such file`);
  }
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i];
    const file = src.protocol === 'file:';
    const label = file ? path.basename(fileURLToPath(src)) : String(src);
    try {
      const r = await fetchIdx(src, {
        signal: downloads.signal,
        timeout: idleTimeout(),
        onProgress: ({ received, total }) =>
          progress(`reading ${label}  ${total ? Math.floor((100 * received) / total) + '%  ' : ''}${mb(received)}`),
      });
      return r;
    } catch (e) {
      if (e.status === 404 && i + 1 < sources.length) continue;
      if (e instanceof UsageError || downloads.signal.aborted) throw e;
      // "fetchIdx: <where>: reason" and "HTTP 500 ...: <url>" name the file once, as label
      const where = file ? src.pathname : String(src);
      let msg = e.message.replace(/^fetchIdx: /, '');
      let named = false;
      if (msg.startsWith(`${where}: `)) msg = msg.slice(where.length + 2);
      else if (msg.endsWith(`: ${where}`)) msg = msg.slice(0, -where.length - 2);
      else named = msg.includes(where);  // "cannot fetch <url>: ..."
      msg = msg.replace('(the timeout option)', '(MNIST_WASM_TIMEOUT)');
      throw new Error(named ? msg : `${label}: ${msg}`);
    } finally {
      clearProgress();
    }
  }
  throw new Error('unreachable');
}

async function readSet(data, which) {
  const [imgName, lblName] = FILES[which];
  const [images, labels] = await Promise.all([readIdx(data, imgName), readIdx(data, lblName)]);
  const what = which === 'train' ? 'training set' : 'test set';
  if (images.dims.length !== 3 || labels.dims.length !== 1)
    throw new Error(`${data}: ${what}: images must be (n, rows, cols) and labels (n), got ${images.dims.length} and ${labels.dims.length} dimensions`);
  if (images.dims[0] !== labels.dims[0]) throw new Error(`${data}: ${what}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  return { images: images.data, labels: labels.data, n: images.dims[0], rows: images.dims[1], cols: images.dims[2] };
}

const maxLabel = (labels) => labels.reduce((m, v) => (v > m ? v : m), 0);

function checkShapes(net, ...sets) {
  const { inputs, classes } = net;
  for (const s of sets) {
    if (inputs !== s.rows * s.cols)
      throw new Error(`the first layer has ${inputs} inputs but the images are ${s.rows}x${s.cols} = ${s.rows * s.cols} pixels (set --layers ${s.rows * s.cols},...)`);
  }
  const top = Math.max(...sets.map((s) => maxLabel(s.labels)));
  if (classes < top + 1) throw new Error(`the last layer has ${classes} outputs but the labels go up to ${top} (it needs at least ${top + 1})`);
}

// ---- models ---------------------------------------------------------------------

async function readModel(file) {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new Error(`cannot open ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  try {
    return await loadNetwork(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (e) {
    throw new Error(`${file}: ${e.message.replace(/^loadNetwork: /, '')}`);
  }
}

/** The network for train: fresh, or loaded with the command line's overrides. */
async function makeNetwork(o, opts) {
  if (!o.load) return createNetwork(opts);
  if (o.seed !== undefined) throw new UsageError('--seed cannot be used with --load (the model carries its generator state)');
  const net = await readModel(o.load);
  const have = net.options;
  if (opts.layers && opts.layers.join(',') !== have.layers.join(','))
    throw new Error(`--layers ${opts.layers.join(',')} does not match ${o.load} (layers ${have.layers.join(',')})`);
  if (opts.activation && opts.activation !== have.activation)
    throw new Error(`--activation ${opts.activation} does not match ${o.load} (activation ${have.activation})`);
  const set = {};
  for (const k of ['optimizer', 'learningRate', 'batchSize']) if (opts[k] !== undefined) set[k] = opts[k];
  net.setOptions(set);
  return net;
}

/** Fails before any training if --save FILE cannot be written (its folder is missing or read-only). */
async function checkSavable(file) {
  const dir = path.dirname(path.resolve(file));
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    await access(dir, fsConstants.W_OK);
  } catch (e) {
    const why = { ENOENT: `the folder ${dir} does not exist`, ENOTDIR: `${dir} is not a folder`, EACCES: `the folder ${dir} is not writable` }[e.code] ?? e.message;
    throw new Error(`cannot create ${file}: ${why}`);
  }
}

async function save(net, file) {
  try {
    await writeFile(file, net.save());
  } catch (e) {
    throw new Error(`cannot create ${file}: ${e.code ? e.message.replace(/^\w+: /, '') : e.message}`);
  }
}

// ---- images for predict --------------------------------------------------------

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
  const width = field(), height = field(), max = field();
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
  let at = 8, width = 0, height = 0, depth = 0, color = 0, interlace = 0;
  const idat = [];
  while (at + 8 <= bytes.length) {
    const len = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0); height = body.readUInt32BE(4);
      depth = body[8]; color = body[9]; interlace = body[12];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[color];
  if (depth !== 8 || !channels || interlace) throw new Error(`${file}: only 8-bit, non-interlaced grey, grey+alpha, RGB or RGBA PNG is supported`);
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
      const a = x >= channels ? row[x - channels] : 0, b = up[x], c = x >= channels ? up[x - channels] : 0;
      let p;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`${file}: bad PNG filter ${filter}`);
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

// ---- commands ------------------------------------------------------------------

async function train(o) {
  if (!o.data) throw new UsageError('--data DIR_OR_URL is required (try --help)');
  const epochs = o.epochs === undefined ? 10 : integerArg('epochs', o.epochs, 0, 1000000);
  const opts = networkOptions(o);
  if (o.save) await checkSavable(o.save);
  // The options are checked whole (createNetwork validates them) before any slow download.
  (await createNetwork(opts)).dispose();
  const [tr, te] = await Promise.all([readSet(o.data, 'train'), readSet(o.data, 'test')]);
  if (tr.rows !== te.rows || tr.cols !== te.cols)
    throw new Error(`${o.data}: training images are ${tr.rows}x${tr.cols} but test images ${te.rows}x${te.cols}`);
  const net = await makeNetwork(o, opts);
  checkShapes(net, tr, te);
  if (epochs === 0) evaluateLine(net, te);
  for (let e = 1; e <= epochs; e++) {
    let r;
    try {
      r = net.train(tr.images, tr.labels, {
        onProgress: (p) => progress(`epoch ${e}  ${p.seen}/${p.total}  loss ${p.loss.toFixed(4)}`, p.seen === p.total),
      });
    } catch (err) {
      clearProgress();
      // the weights are the last finite ones, but a diverged run is not saved
      if (err.code === 'NN_ERR_DIVERGED')
        throw new Error(`epoch ${e}: ${err.message.replace(/^train: /, '').replace(/ in epoch \d+/, '')} (--lr is ${net.options.learningRate})`);
      throw new Error(`epoch ${e}: ${err.message.replace(/^train: /, '')}`);
    }
    clearProgress();
    const ev = net.evaluate(te.images, te.labels);
    console.log(`epoch ${e}  loss ${r.loss.toFixed(4)}  test ${(100 * ev.accuracy).toFixed(2)}%  ${r.seconds.toFixed(2)} s  ${(r.seconds > 0 ? tr.n / r.seconds : 0).toFixed(0)} samples/s`);
  }
  if (o.save) await save(net, o.save);
  net.dispose();
}

function evaluateLine(net, te) {
  const ev = net.evaluate(te.images, te.labels);
  console.log(`evaluate  loss ${ev.loss.toFixed(4)}  test ${(100 * ev.accuracy).toFixed(2)}%  ${te.n} samples`);
}

async function evaluate(o) {
  if (!o.data) throw new UsageError('--data DIR_OR_URL is required (try --help)');
  if (!o.load) throw new UsageError('--load FILE is required (try --help)');
  const opts = networkOptions(o);
  const net = await readModel(o.load);
  if (opts.batchSize) net.setOptions({ batchSize: opts.batchSize });
  const te = await readSet(o.data, 'test');
  checkShapes(net, te);
  evaluateLine(net, te);
  net.dispose();
}

async function predict(o) {
  if (!o.load) throw new UsageError('--load FILE is required (try --help)');
  if ((o.image === undefined) === (o.index === undefined)) throw new UsageError('predict needs exactly one of --image FILE or --index N (try --help)');
  if (o.index !== undefined && !o.data) throw new UsageError('--index needs --data DIR_OR_URL (try --help)');
  if (o.image === undefined && o.invert) throw new UsageError('--invert applies to --image only');
  const index = o.index === undefined ? -1 : integerArg('index', o.index, 0, 2 ** 31 - 1);
  const net = await readModel(o.load);
  let pixels, label = -1, what;
  if (o.image !== undefined) {
    let bytes;
    try {
      bytes = await readFile(o.image);
    } catch (e) {
      throw new Error(`cannot open ${o.image}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
    const img = decodeImage(bytes, o.image, o.invert);
    if (img.width * img.height !== net.inputs)
      throw new Error(`${o.image}: the image is ${img.width}x${img.height} but the model takes ${net.inputs} pixels (resize it, e.g. to 28x28)`);
    pixels = o.invert ? img.grey.map((v) => 255 - v) : img.grey;
    what = o.image;
  } else {
    const te = await readSet(o.data, 'test');
    if (index >= te.n) throw new Error(`--index ${index}: the test set has ${te.n} images (0..${te.n - 1})`);
    if (te.rows * te.cols !== net.inputs) checkShapes(net, te);
    pixels = te.images.subarray(index * net.inputs, (index + 1) * net.inputs);
    label = te.labels[index];
    what = `index ${index}`;
  }
  const probs = net.predict(pixels);
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  console.log(`${what}  ${label >= 0 ? `label ${label}  ` : ''}predicted ${best}  p ${probs[best].toFixed(4)}`);
  console.log(Array.from(probs, (p, i) => `${i}:${p.toFixed(4)}`).join(' '));
  net.dispose();
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
    if (o.help) {
      const net = await createNetwork(); // the defaults come from C (nn_config_default)
      console.log(help(net.options));
      net.dispose();
      return 0;
    }
    await { train, evaluate, predict }[o.command](o);
    return 0;
  } catch (e) {
    downloads.abort();
    clearProgress();
    const msg = String(e?.message ?? e).split('\n')[0];
    process.stderr.write(`mnist-wasm: ${msg}\n`);
    return e instanceof UsageError || e instanceof TypeError || e instanceof RangeError ? EXIT_USAGE : 1;
  }
}

process.exitCode = await main();
