// personal.js: the person's own digits (the personal set) as data: IDX
// bytes for the worker's fine-tune and for export, the four standard file
// names, and picking the pairs out of files a person chose to import. No
// DOM, no storage (store.js), no parsing: the worker reads IDX with C's
// parser.
//
// An item is { label: 0..9, input: Uint8Array(784) }: the 28x28 input the
// network saw, in bytes as MNIST stores its digits (0..255).

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/** The standard MNIST file names (no .gz: the export is raw IDX). */
export const NAMES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Items as a pair of IDX files: { images (idx3, n x 28 x 28), labels (idx1, n) }. */
export function toIdx(items) {
  const n = items.length;
  const images = new Uint8Array(16 + n * PIXELS);
  const labels = new Uint8Array(8 + n);
  const iv = new DataView(images.buffer),
    lv = new DataView(labels.buffer);
  iv.setUint32(0, 0x00000803); // unsigned bytes, 3 dimensions
  iv.setUint32(4, n);
  iv.setUint32(8, SIDE);
  iv.setUint32(12, SIDE);
  lv.setUint32(0, 0x00000801); // unsigned bytes, 1 dimension
  lv.setUint32(4, n);
  items.forEach((it, i) => {
    images.set(it.input, 16 + i * PIXELS);
    labels[8 + i] = it.label;
  });
  return { images, labels };
}

/**
 * The export: the four standard files, the personal set as the training set
 * and again as the test set, so that the folder is a data set that both
 * command lines read as it is (`--data DIR`: they need a test set, and this
 * one reports how well the network reads your own digits).
 */
export function exportFiles(items) {
  const { images, labels } = toIdx(items);
  return [
    { name: NAMES.train.images, bytes: images },
    { name: NAMES.train.labels, bytes: labels },
    { name: NAMES.test.images, bytes: images.slice() },
    { name: NAMES.test.labels, bytes: labels.slice() },
  ];
}

// A standard name, .gz or not, and what a browser makes of a second download
// of it ("train-images-idx3-ubyte (1)", "train-images-idx3-ubyte(1).gz").
const NAME = /^(train|t10k)-(images-idx3|labels-idx1)-ubyte(?:\s*\(\d+\))?(?:\.gz)?(?:\s*\(\d+\))?$/;

/**
 * The pairs among chosen files (objects with a name): { pairs: [{ set:
 * 'train' | 'test', images, labels }], error } where error words what is
 * missing. Files with other names are left out.
 */
export function pairsOf(files) {
  const found = { train: {}, test: {} };
  for (const f of files) {
    const m = NAME.exec(f.name);
    if (!m) continue;
    found[m[1] === 'train' ? 'train' : 'test'][m[2].startsWith('images') ? 'images' : 'labels'] = f;
  }
  const pairs = [];
  const half = [];
  for (const set of ['train', 'test']) {
    const { images, labels } = found[set];
    if (images && labels) pairs.push({ set, images, labels });
    else if (images || labels) half.push(images ? NAMES[set].labels : NAMES[set].images);
  }
  if (pairs.length) return { pairs };
  if (half.length) return { pairs, error: `Choose ${half.join(' and ')} too: images and labels go in pairs.` };
  return {
    pairs,
    error: `Choose the IDX files of a set: ${NAMES.train.images} and ${NAMES.train.labels} (as Export saves them; .gz or not).`,
  };
}

/** A key for an item: the same label and the same 784 bytes are the same digit. */
export function keyOf(label, input) {
  return `${label}:${String.fromCharCode.apply(null, input)}`;
}

/** The bytes of a 0..1 input (what the pad gives): 0..255, rounded. */
export function toBytes(input) {
  return Uint8Array.from(input, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}
