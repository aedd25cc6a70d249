// image.js: the image files that `mnist-wasm predict --image FILE` reads,
// decoded to grey pixels with no dependency: a PNG (8-bit, non-interlaced;
// zlib from Node), a PGM (P2 or P5) or 784 raw bytes. Any other file fails
// with one line that names it.
import { inflateSync } from 'node:zlib';

/** 28x28 grey pixels from a PNG (8-bit, non-interlaced), a PGM (P2/P5) or 784 raw bytes. */
export function decodeImage(bytes, file, invert) {
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
