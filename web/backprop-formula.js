// backprop-formula.js: a unit's formula with its numbers, for the
// backpropagation panel (backprop.js): on a forward stage z = Σ w·a + b
// with its largest terms and a = f(z); on a backward stage δ = p − y at the
// output, δ = f′(z) Σ w·δ′ under a dense layer, δ = f′(z) × ∂loss/∂a under
// a convolution or pooling. d is the worker's answer (backprop-worker.js).

/** A number as the panel writes it. */
export const fmt = (v) =>
  v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toFixed(3) : v.toExponential(2);

/* The activation's derivative from its output a (and z for relu). */
function derivative(activation, a, z) {
  if (activation === 'relu') return z > 0 ? 1 : 0;
  if (activation === 'tanh') return 1 - a * a;
  return a * (1 - a);
}

/** The largest terms of a sum, as "(w × a) + …". */
function terms(list, keep = 3) {
  const sorted = list.slice().sort((p, q) => Math.abs(q[0] * q[1]) - Math.abs(p[0] * p[1]));
  const shown = sorted.slice(0, keep).map(([w, a]) => `(${fmt(w)} × ${fmt(a)})`);
  return `${shown.join(' + ')}${sorted.length > keep ? ` + … ${sorted.length - keep} more` : ''}`;
}

/** The layer's input as layer l sees it (the first layer: the image, less its mean pixel if centred). */
function inputOf(d, l) {
  if (l > 0) return d.gradients.layers[l - 1].activations;
  const x = d.image;
  if (d.input !== 'centred' || !d.layers[0].weights) return x;
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  return Float32Array.from(x, (v) => v - m);
}

/* The index of a layer's parameters among the parameterised layers. */
const paramsOf = (d, l) => d.parameters[d.layers.slice(0, l).filter((y) => y.weights).length];

/** The formula of value j of stage st ({ kind: 'forward' | 'backward', l }). */
export function unitFormula(d, st, j) {
  const y = d.layers[st.l],
    gl = d.gradients.layers[st.l],
    L = d.layers.length;
  const where =
    y.type === 'dense'
      ? `unit ${j + 1}`
      : `map ${(j % y.output.channels) + 1} at row ${Math.floor(j / y.output.channels / y.output.cols) + 1}, column ${(Math.floor(j / y.output.channels) % y.output.cols) + 1}`;
  if (st.kind === 'forward') {
    if (y.type === 'pool') return `${where}: the largest of its ${y.kernel}×${y.kernel} window = ${fmt(gl.z[j])}`;
    const { weights: W, biases: b } = paramsOf(d, st.l);
    const a = inputOf(d, st.l);
    const list = [];
    let f = j;
    if (y.type === 'dense') for (let i = 0; i < y.fanIn; i++) list.push([W[j * y.fanIn + i], a[i]]);
    else {
      const C = y.input.channels,
        k = y.kernel,
        p = Math.floor(j / y.units),
        oy = Math.floor(p / y.output.cols),
        ox = p % y.output.cols;
      f = j % y.units;
      for (let c = 0; c < C; c++)
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++)
            list.push([W[f * y.fanIn + (c * k + ky) * k + kx], a[((oy + ky) * y.input.cols + ox + kx) * C + c]]);
    }
    const out = st.l === L - 1 ? `p = softmax(z) = ${fmt(gl.activations[j])}` : `a = f(z) = ${fmt(gl.activations[j])}`;
    return `${where}: z = Σ w·a + b = ${terms(list)} + b (${fmt(b[f])}) = ${fmt(gl.z[j])}; ${out}`;
  }
  if (st.l === L - 1) {
    const p = gl.activations[j],
      t = j === d.label ? 1 : 0;
    return `${where}: δ = p − y = ${fmt(p)} − ${t} = ${fmt(gl.delta[j])}`;
  }
  const next = d.layers[st.l + 1];
  const activated = y.type !== 'pool';
  const fp = activated ? derivative(d.activation, gl.activations[j], gl.z[j]) : 1;
  if (next.type === 'dense') {
    const { weights: W } = paramsOf(d, st.l + 1);
    const dn = d.gradients.layers[st.l + 1].delta;
    const list = [];
    for (let k = 0; k < next.units; k++) list.push([W[k * next.fanIn + j], dn[k]]);
    return activated
      ? `${where}: δ = f′(z) Σ w·δ′ = ${fmt(fp)} × [${terms(list)}] = ${fmt(gl.delta[j])}`
      : `${where}: δ = Σ w·δ′ = ${terms(list)} = ${fmt(gl.delta[j])}`;
  }
  const back = fp ? gl.delta[j] / fp : 0;
  return activated
    ? `${where}: δ = f′(z) × ∂loss/∂a = ${fmt(fp)} × ${fmt(back)} = ${fmt(gl.delta[j])} (∂loss/∂a from the ${next.type === 'conv' ? 'convolution' : 'pooling'} above)`
    : `${where}: δ = ∂loss/∂(its output), from the layer above = ${fmt(gl.delta[j])}`;
}
