// gradients.js: one image's backpropagation seen from inside, for
// Network.gradients, gradientCheck and layerParameters (network.js checks
// the arguments and calls these). C computes everything
// (csrc/nn_gradients.c, nn_gradcheck.c); this file moves the numbers in
// and out of the heap and cuts them into layers, each as net.layers
// describes it: a layer's z, activations and delta are its output shape
// (rows x cols x channels, the channel fastest), its weights dense
// [unit][input] or convolution [filter][channel][row][col].

import { optionsObject } from './checks.js';

/** The label as C takes it, or a RangeError naming fn. */
export function checkLabel(label, classes, fn) {
  if (!Number.isInteger(label) || label < 0 || label >= classes)
    throw new RangeError(`${fn}: label must be an integer 0..${classes - 1}, got ${label}`);
}

/** The gradient-check options: { count } (1..maxCheckCount, default C's checkCount: mnist-train explain's). */
export function checkCount(options, { limits, defaults }, fn) {
  const max = limits.maxCheckCount;
  const count = optionsObject(options, fn, ['count']).count ?? defaults.checkCount;
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw new RangeError(`${fn}: count must be an integer 1..${max} (parameters checked a layer), got ${count}`);
  return count;
}

/** Image and label into one heap block with room for `extra` more bytes; returns pointers. */
function heapSample(w, image, float, label, extra, what) {
  const bytes = image.length * (float ? 4 : 1);
  const at = (bytes + 1 + 7) & ~7; // the label after the image, the rest 8-aligned
  const block = w.malloc(at + extra, what);
  if (float) w.f32.set(image, block >> 2);
  else w.u8.set(image, block);
  w.u8[block + bytes] = label;
  return { block, u8: float ? 0 : block, f32: float ? block : 0, label: block + bytes, rest: block + at };
}

/** Network.gradients: { loss, probabilities, layers: [{ type, z, activations, delta, weights?, biases? }] }. */
export function sampleGradients(w, ptr, layers, paramCount, image, float, label) {
  const total = layers.reduce((a, y) => a + y.output.rows * y.output.cols * y.output.channels, 0);
  const floats = 3 * total + paramCount + 1;
  const s = heapSample(w, image, float, label, floats * 4, 'the gradients');
  try {
    const z = s.rest,
      act = z + total * 4,
      delta = act + total * 4,
      grads = delta + total * 4,
      loss = grads + paramCount * 4;
    w.check(w.M._gradients(ptr, s.u8, s.f32, s.label, z, act, delta, grads, loss), 'gradients');
    const all = w.f32.slice(z >> 2, (z >> 2) + floats);
    let at = 0;
    const out = layers.map((y) => {
      const n = y.output.rows * y.output.cols * y.output.channels;
      const layer = {
        type: y.type,
        z: all.subarray(at, at + n),
        activations: all.subarray(total + at, total + at + n),
        delta: all.subarray(2 * total + at, 2 * total + at + n),
      };
      at += n;
      if (y.weights) {
        const g = 3 * total;
        layer.weights = all.subarray(g + y.weights.offset, g + y.weights.offset + y.weights.length);
        layer.biases = all.subarray(g + y.biases.offset, g + y.biases.offset + y.biases.length);
      }
      return layer;
    });
    const last = out[out.length - 1];
    return { loss: all[floats - 1], probabilities: last.activations, layers: out };
  } finally {
    w.free(s.block);
  }
}

/** Network.gradientCheck: { maxRelativeError, layers: [{ maxRelativeError, checked, atKinks }] }. */
export function checkGradients(w, ptr, nLayers, image, float, label, count) {
  const s = heapSample(w, image, float, label, (1 + 3 * nLayers) * 8, 'the gradient check');
  try {
    w.check(w.M._gradient_check(ptr, s.u8, s.f32, s.label, count, s.rest), 'gradientCheck');
    const r = w.f64.slice(s.rest >> 3, (s.rest >> 3) + 1 + 3 * nLayers);
    return {
      maxRelativeError: r[0],
      layers: Array.from({ length: nLayers }, (_, l) => ({
        maxRelativeError: r[1 + 3 * l],
        checked: r[2 + 3 * l],
        atKinks: r[3 + 3 * l],
      })),
    };
  } finally {
    w.free(s.block);
  }
}

/** Network.layerParameters: a copy of { weights, biases } of each layer that has them, in layer order. */
export function layerParameters(params, layers) {
  return layers
    .filter((y) => y.weights)
    .map((y) => ({
      weights: params.slice(y.weights.offset, y.weights.offset + y.weights.length),
      biases: params.slice(y.biases.offset, y.biases.offset + y.biases.length),
    }));
}
