// checks.js: the argument checks every entry point of the package shares.
// Each throws a TypeError (wrong kind of value) or a RangeError (right
// kind, out of range) whose message names the argument, before anything is
// copied into the heap, so a refused call changes nothing.

/**
 * The one options check: undefined is {}, anything but a plain object is
 * refused, and so is a key not in `known`; the download options among
 * them (signal, onProgress, timeout) are checked here too.
 */
export function optionsObject(options, fn, known) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options))
    if (!known.includes(k)) throw new TypeError(`${fn}: unknown option "${k}" (known: ${known.join(', ')})`);
  const { signal, onProgress, timeout } = options;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean'))
    throw new TypeError(`${fn}: signal must be an AbortSignal, got ${describe(signal)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new TypeError(`${fn}: onProgress must be a function, got ${describe(onProgress)}`);
  if (timeout !== undefined) {
    if (typeof timeout !== 'number')
      throw new TypeError(`${fn}: timeout must be a number of milliseconds, got ${describe(timeout)}`);
    if (!(timeout >= 1 && (timeout <= MAX_TIMEOUT || timeout === Infinity)))
      throw new RangeError(`${fn}: timeout must be in 1..${MAX_TIMEOUT} ms (or Infinity), got ${timeout}`);
  }
  return options;
}

const MAX_TIMEOUT = 2 ** 31 - 1; // setTimeout's limit

/** The type tag of a value, for error messages: "Uint8Array(10)", "number 3", "null". */
export function describe(v) {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${tag(v)}(${v.length ?? v.byteLength})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'object') return tag(v);
  return typeof v;
}

/** The [Symbol.toStringTag] of v ("Uint8Array", ...): works across realms. */
export const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

/** A number in lo..hi, compared as float32 (the precision C keeps). */
export function number(v, name, lo, hi) {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be finite, got ${v}`);
  const f = Math.fround(v);
  if (!(f >= Math.fround(lo) && f <= Math.fround(hi)))
    throw new RangeError(`${name} must be in ${shortFloat(Math.fround(lo))}..${shortFloat(Math.fround(hi))}, got ${v}`);
  return v;
}

/** An integer in lo..hi. */
export function integer(v, name, lo, hi) {
  if (typeof v !== 'number') throw new TypeError(`${name} must be an integer, got ${describe(v)}`);
  if (!Number.isInteger(v)) throw new RangeError(`${name} must be an integer, got ${v}`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be in ${lo}..${hi}, got ${v}`);
  return v;
}

/** One of names; returns its index (C's enum value). */
export function choice(v, name, names) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be one of ${names.join(', ')}, got ${describe(v)}`);
  const i = names.indexOf(v);
  if (i < 0) throw new RangeError(`${name} must be one of ${names.join(', ')}, got "${v}"`);
  return i;
}

/** A boolean or undefined. */
export function boolean(v, name, fn) {
  if (v !== undefined && typeof v !== 'boolean')
    throw new TypeError(`${fn}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** Bytes as a Uint8Array (an ArrayBuffer is viewed, not copied). */
export function bytesArg(bytes, name) {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (tag(bytes) === 'Uint8Array' || tag(bytes) === 'Uint8ClampedArray') return bytes;
  throw new TypeError(`${name} must be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
}

/** The shortest decimal that is the same float32 (0.1, not 0.10000000149011612). */
export function shortFloat(v) {
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

/** Whether a typed array is empty because its buffer was transferred away. */
function detached(view) {
  if (view.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer); // throws for a detached buffer, in every engine
    return false;
  } catch {
    return true;
  }
}

/** Checks images against the input size: { n, float }. */
export function checkImages(images, inputs, fn, max = Infinity) {
  const t = tag(images);
  const float = t === 'Float32Array';
  if (!float && t !== 'Uint8Array' && t !== 'Uint8ClampedArray')
    throw new TypeError(
      `${fn}: images must be a Uint8Array of n*${inputs} pixels (0..255) or a Float32Array (0..1), got ${describe(images)}`,
    );
  const len = images.length;
  if (len === 0 && detached(images))
    throw new TypeError(`${fn}: images is empty because its buffer was transferred (detached), e.g. by postMessage`);
  if (len === 0 || len % inputs !== 0)
    throw new RangeError(
      `${fn}: images.length ${len} is not a positive multiple of ${inputs} (the pixels of one image)`,
    );
  const n = len / inputs;
  if (n > max) throw new RangeError(`${fn}: images holds ${n} images; at most ${max} go in one call`);
  if (float) {
    for (let i = 0; i < len; i++) {
      if (!Number.isFinite(images[i]))
        throw new RangeError(`${fn}: images[${i}] is ${images[i]}; pixels must be finite`);
    }
  }
  return { n, float };
}

/** Checks labels: a Uint8Array of n, each below classes. */
export function checkLabels(labels, n, classes, fn) {
  if (tag(labels) !== 'Uint8Array') throw new TypeError(`${fn}: labels must be a Uint8Array, got ${describe(labels)}`);
  if (labels.length === 0 && detached(labels))
    throw new TypeError(`${fn}: labels is empty because its buffer was transferred (detached), e.g. by postMessage`);
  if (labels.length !== n) throw new RangeError(`${fn}: labels.length ${labels.length} does not match the ${n} images`);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= classes)
      throw new RangeError(`${fn}: labels[${i}] is ${labels[i]}; labels must be below ${classes} (the output size)`);
  }
}
