// The bad-.npz table that tests/export-errors.test.js (the API and both
// command lines) and tests/browser/export.test.js (the page) run: a zip
// cut or altered, a CRC that does not match, pickled objects, a wrong
// dtype or shape, a missing array, a stack that does not fit the arrays,
// and more, each with the one message the reader gives. The files are
// built here as np.savez writes them (stored .npy entries with CRC-32s).
import { crc32 } from 'node:zlib';

export const SEED = '784,128,64,10';

/** An .npy file: NumPy's header (format 1.0, padded to 64 bytes), then body. */
function npy(descr, shape, body, fortran = false) {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${dims}, }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + h.length);
  head.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, h.length & 255, h.length >> 8]);
  head.set(new TextEncoder().encode(h), 10);
  return Buffer.concat([head, body]);
}
const floats = (shape, value = 0.01) =>
  Buffer.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value).buffer);
const f32 = (shape, value) => npy('<f4', shape, floats(shape, value));
const text = (s) => npy(`<U${s.length}`, [], Buffer.from(new Uint32Array([...s].map((c) => c.charCodeAt(0))).buffer));

/** A stored zip of { name: bytes } as np.savez writes it (method: 8 claims deflate). */
function zip(entries, { method = 0 } = {}) {
  const u16 = (v) => Buffer.from([v & 255, v >> 8]);
  const u32 = (v) => Buffer.from(new Uint32Array([v]).buffer);
  const local = [],
    central = [];
  let at = 0;
  for (const [name, data] of Object.entries(entries)) {
    const n = Buffer.from(name);
    const fields = [
      u16(20),
      u16(0),
      u16(method),
      u16(0),
      u16(0x21),
      u32(crc32(data)),
      u32(data.length),
      u32(data.length),
      u16(n.length),
    ];
    const head = Buffer.concat([u32(0x04034b50), ...fields, u16(0), n]);
    central.push(
      Buffer.concat([u32(0x02014b50), u16(20), ...fields, u16(0), u16(0), u16(0), u16(0), u32(0), u32(at), n]),
    );
    local.push(head, data);
    at += head.length + data.length;
  }
  const dir = Buffer.concat(central);
  const n = central.length;
  return Buffer.concat([...local, dir, u32(0x06054b50), u32(0), u16(n), u16(n), u32(dir.length), u32(at), u16(0)]);
}

/** The seed's network as .npz arrays, some changed (null: left out). */
export function seed(change = {}) {
  const arrays = {
    'W1.npy': f32([128, 784]),
    'W2.npy': f32([64, 128]),
    'W3.npy': f32([10, 64]),
    'b1.npy': f32([128]),
    'b2.npy': f32([64]),
    'b3.npy': f32([10]),
    'layers.npy': text(SEED),
    'activation.npy': text('sigmoid'),
    'input.npy': text('centred'),
    ...change,
  };
  return zip(Object.fromEntries(Object.entries(arrays).filter(([, v]) => v !== null)));
}

const hex = (v) => (v >>> 0).toString(16).padStart(8, '0');
/**
 * The table: [name, bytes(), message()] for each bad .npz, built around
 * real(), an exported .npz of the seed's network (SEED), once the test has made it.
 */
export const badNpzCases = (real) => [
  [
    'a zip cut short',
    () => real().subarray(0, real().length - 10),
    () =>
      `the zip ends early or was altered: no end-of-directory record in its last bytes (${real().length - 10} bytes)`,
  ],
  [
    'half a zip',
    () => real().subarray(0, real().length >> 1),
    () =>
      `the zip ends early or was altered: no end-of-directory record in its last bytes (${real().length >> 1} bytes)`,
  ],
  [
    'a changed weight (CRC mismatch)',
    () => {
      const b = Buffer.from(real());
      b[200] ^= 1;
      return b;
    },
    () => {
      const b = Buffer.from(real());
      const start = 30 + 6;
      const size = b.readUInt32LE(18);
      const good = crc32(b.subarray(start, start + size));
      b[200] ^= 1;
      return `W1.npy: CRC-32 mismatch (the zip says ${hex(good)}, its bytes give ${hex(crc32(b.subarray(start, start + size)))})`;
    },
  ],
  [
    'a directory that points elsewhere',
    () => {
      const b = Buffer.from(real());
      b.writeUInt32LE(b.readUInt32LE(b.length - 6) + 1, b.length - 6);
      return b;
    },
    () => `byte ${real().readUInt32LE(real().length - 6) + 1}: expected a zip directory entry`,
  ],
  [
    'a compressed entry (np.savez_compressed)',
    () => zip({ 'W1.npy': f32([10, 784]) }, { method: 8 }),
    () => 'W1.npy: compressed (zip method 8, as np.savez_compressed writes); save with np.savez, which stores',
  ],
  [
    'pickled objects',
    () => seed({ 'W2.npy': npy('|O', [64, 128], Buffer.alloc(64 * 128 * 8)) }),
    () => "W2.npy: dtype '|O' is pickled Python objects, which are never loaded; save float arrays",
  ],
  [
    'integers',
    () => seed({ 'W1.npy': npy('<i4', [128, 784], Buffer.alloc(128 * 784 * 4)) }),
    () => "W1.npy: dtype '<i4': expected float32 or float64 ('<f4', '<f8') or text",
  ],
  [
    'fortran_order',
    () => seed({ 'W3.npy': npy('<f4', [10, 64], floats([10, 64]), true) }),
    () => 'W3.npy: fortran_order is True; save C-ordered arrays (np.ascontiguousarray)',
  ],
  [
    'fewer bytes than the shape',
    () => seed({ 'b1.npy': npy('<f4', [128], floats([100])) }),
    () => "b1.npy: its shape and dtype '<f4' need more than the 400 bytes of data it holds",
  ],
  [
    'a wrong shape',
    () => seed({ 'W2.npy': f32([64, 100]) }),
    () => `W2.npy: shape (64, 100), but the stack ${SEED} needs (64, 128)`,
  ],
  [
    'a wrong bias shape',
    () => seed({ 'b3.npy': f32([9]) }),
    () => `b3.npy: shape (9,), but the stack ${SEED} needs (10,)`,
  ],
  [
    'a missing array',
    () => seed({ 'W3.npy': null }),
    () => `missing array W3 (the stack ${SEED} has 3 layers with weights)`,
  ],
  [
    'an array past the stack',
    () => seed({ 'W4.npy': f32([10, 10]) }),
    () => `W4.npy: the stack ${SEED} has only 3 layers with weights`,
  ],
  [
    'a stack that does not fit the arrays',
    () => seed({ 'layers.npy': text('784,100,10') }),
    () => 'W1.npy: shape (128, 784), but the stack 784,100,10 needs (100, 784)',
  ],
  [
    'a convnet stack over dense arrays',
    () => seed({ 'layers.npy': text('28x28,conv5x8,pool2,10') }),
    () => 'W1.npy: shape (128, 784), but the stack 28x28,conv5x8,pool2,10 needs (8, 1, 5, 5)',
  ],
  [
    'arrays that do not chain (no layers)',
    () => seed({ 'layers.npy': null, 'W2.npy': f32([64, 100]) }),
    () => 'W2.npy: shape (64, 100), but W1 has 128 outputs: expected (64, 128)',
  ],
  [
    'a stack that does not parse',
    () => seed({ 'layers.npy': text('784,cnv5,10') }),
    () =>
      "layers.npy: '784,cnv5,10': unknown item 'cnv5' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
  ],
  [
    'an unknown activation',
    () => seed({ 'activation.npy': text('softplus') }),
    () => "activation.npy: 'softplus': expected sigmoid, relu or tanh",
  ],
  [
    'layers as numbers',
    () => seed({ 'layers.npy': f32([4]) }),
    () => "layers.npy: expected a 0-d text array such as np.array('784,128,64,10')",
  ],
  [
    'a weight that is not finite',
    () => seed({ 'W1.npy': f32([128, 784], NaN) }),
    () => 'W1.npy: element 0 is not a finite float32',
  ],
  ['no arrays', () => zip({}), () => 'missing array W1 (an .npz of a network holds W1..Wn)'],
  [
    'another file in the zip',
    () => zip({ 'readme.txt': Buffer.from('hi') }),
    () => 'readme.txt: not an .npy array (an .npz holds NAME.npy files)',
  ],
];
