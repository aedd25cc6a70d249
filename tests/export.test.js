// net.export against the programs that read the files (docs/export.md):
// NumPy (tests/helpers/numpy_forward.py, the article's forward pass with a
// NumPy convolution and max pooling), onnxruntime-web and python3-onnx's
// checker, and TensorFlow.js's loadLayersModel. The seed's network and the
// convnet, each trained briefly on MNIST, must give the package's arg-max
// on all 10,000 test digits and its probabilities within 1e-5 in each (and
// so do a dense tanh network and a convnet on raw input); both
// command lines must write the same bytes as the package; and a network
// trained by the article's NumPy code, saved with np.savez, must load and
// predict what NumPy predicts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNetwork, loadNetwork, parseIdx } from 'mnist-wasm';
import { bin, fullDataDir, requireNative, root, run } from './helpers/common.js';

const PYTHON = '/usr/bin/python3'; // Debian's, with python3-numpy and python3-onnx (scripts/setup.sh)
const helper = path.join(root, 'tests/helpers/numpy_forward.py');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-export-'));
const file = (name) => path.join(tmp, name);
const idxFile = (name) => path.join(fullDataDir, `${name}.gz`);

let test10k, labels10k, pixels10k;
const nets = {};
/** The networks of the tests, made in test.before: their input, a flat one or an image. */
const NETS = { seed: 'dense', convnet: 'image', 'tanh-raw': 'dense', 'convnet-raw': 'image' };

/** The consumers' packages by name, resolved as require does (NODE_PATH included), loaded as modules. */
const require = createRequire(import.meta.url);
const load = (name) => import(pathToFileURL(require.resolve(name)).href);

function python(args) {
  const r = run(PYTHON, args);
  assert.is(r.status, 0, `${PYTHON} ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** Same arg-max for every image and every probability within 1e-5 of the package's. */
function agrees(got, want, who) {
  assert.is(got.length, want.length, `${who}: ${got.length} probabilities for ${want.length}`);
  let worst = 0,
    flips = 0;
  for (let i = 0; i < want.length; i += 10) {
    let a = 0,
      b = 0;
    for (let k = 0; k < 10; k++) {
      worst = Math.max(worst, Math.abs(got[i + k] - want[i + k]));
      if (got[i + k] > got[i + a]) a = k;
      if (want[i + k] > want[i + b]) b = k;
    }
    flips += a !== b;
  }
  assert.is(flips, 0, `${who}: ${flips} images with another arg-max`);
  assert.ok(worst <= 1e-5, `${who}: a probability ${worst} away from the package's`);
}

test.before(async () => {
  const images = await parseIdx(readFileSync(idxFile('t10k-images-idx3-ubyte')));
  test10k = images.data;
  labels10k = (await parseIdx(readFileSync(idxFile('t10k-labels-idx1-ubyte')))).data;
  pixels10k = Float32Array.from(test10k, (v) => v / 255);
  const train = (await parseIdx(readFileSync(idxFile('train-images-idx3-ubyte')))).data;
  const trainLabels = (await parseIdx(readFileSync(idxFile('train-labels-idx1-ubyte')))).data;
  // a few hundred steps each: enough for weights that mean something
  const brief = async (layers, samples, options = {}) => {
    const net = await createNetwork({ layers, seed: 7, ...options });
    net.train(train.subarray(0, samples * 784), trainLabels.subarray(0, samples), { epochs: 1 });
    return net;
  };
  nets.seed = await brief('784,128,64,10', 3200);
  nets.convnet = await brief('28x28,conv5x8,pool2,conv5x16,pool2,128,10', 6400);
  // the other paths of each format: raw input (no centring nodes or weights), tanh, relu before a dense layer
  nets['tanh-raw'] = await brief('784,64,10', 3200, { activation: 'tanh', input: 'raw' });
  nets['convnet-raw'] = await brief('28x28,conv3x4,pool2,32,10', 3200, { input: 'raw' });
  for (const net of Object.values(nets)) {
    const probs = net.predict(test10k);
    let right = 0;
    for (let i = 0; i < 10000; i++)
      right +=
        probs.subarray(i * 10, i * 10 + 10).indexOf(Math.max(...probs.subarray(i * 10, i * 10 + 10))) === labels10k[i];
    assert.ok(right > 6000, `a briefly trained network reads ${right} of 10,000 digits`);
    net.probs = probs;
  }
});

test.after(() => {
  for (const net of Object.values(nets)) net.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

for (const name of Object.keys(NETS)) {
  test(`${name}: NumPy's forward pass over the .npz gives the package's predictions`, () => {
    const net = nets[name];
    writeFileSync(file(`${name}.npz`), net.export('npz'));
    python([helper, 'predict', file(`${name}.npz`), idxFile('t10k-images-idx3-ubyte'), file(`${name}.f32`)]);
    const bytes = readFileSync(file(`${name}.f32`));
    agrees(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), net.probs, 'NumPy');
  });

  test(`${name}: onnxruntime-web runs the .onnx with the package's predictions, and onnx's checker accepts it`, async () => {
    const net = nets[name];
    const onnx = net.export('onnx');
    writeFileSync(file(`${name}.onnx`), onnx);
    python([
      '-c',
      'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
      file(`${name}.onnx`),
    ]);
    const ort = await load('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    const session = await ort.InferenceSession.create(onnx);
    const dims = NETS[name] === 'dense' ? [10000, 784] : [10000, 1, 28, 28];
    const out = await session.run({ image: new ort.Tensor('float32', pixels10k, dims) });
    assert.equal(out.probabilities.dims, [10000, 10]);
    agrees(out.probabilities.data, net.probs, 'onnxruntime-web');
    await session.release();
  });

  test(`${name}: TensorFlow.js loads the layers model as it is, with the package's predictions`, async () => {
    const net = nets[name];
    const files = net.export('tfjs');
    assert.equal(Object.keys(files), ['model.json', 'model.weights.bin']);
    const tf = await load('@tensorflow/tfjs');
    const wasm = await load('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    await tf.setBackend('wasm');
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    const weights = files['model.weights.bin'];
    // the two files as a server would give them: model.json, and the weights file its manifest names
    const handler = {
      load: () =>
        tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          assert.equal(manifest[0].paths, ['model.weights.bin']);
          return [manifest[0].weights, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length)];
        }),
    };
    const model = await tf.loadLayersModel(handler);
    const shape = NETS[name] === 'dense' ? [10000, 784] : [10000, 28, 28, 1];
    const x = tf.tensor(pixels10k, shape);
    const y = model.predict(x);
    agrees(await y.data(), net.probs, 'TensorFlow.js');
    tf.dispose([x, y]);
    model.dispose();
  });

  test(`${name}: both command lines export the package's bytes`, () => {
    const { train } = requireNative();
    const net = nets[name];
    writeFileSync(file(`${name}.mnwm`), net.save());
    for (const format of ['npz', 'onnx', 'tfjs']) {
      const want = format === 'tfjs' ? net.export(format) : { file: net.export(format) };
      for (const [who, cmd, pre] of [
        ['mnist-train', train, []],
        ['mnist-wasm', process.execPath, [bin]],
      ]) {
        const out = file(`${who}-${name}.${format}`);
        const r = run(cmd, [...pre, 'export', '--load', file(`${name}.mnwm`), '--format', format, '--out', out]);
        assert.is(r.status, 0, `${who} export --format ${format}: ${r.stderr}`);
        for (const [base, bytes] of Object.entries(want)) {
          const written = readFileSync(format === 'tfjs' ? path.join(out, base) : out);
          assert.ok(Buffer.from(bytes).equals(written), `${who} --format ${format}: ${base} differs from net.export`);
          assert.match(r.stdout, `wrote ${format === 'tfjs' ? `${out}/${base}` : out} (${bytes.length} bytes)`);
        }
      }
    }
  });
}

test("the article's network, trained in NumPy and saved with np.savez, loads and predicts what NumPy does", async () => {
  const npz = file('article.npz');
  python([helper, 'train', idxFile('train-images-idx3-ubyte'), idxFile('train-labels-idx1-ubyte'), npz, '3000']);
  python([helper, 'predict', npz, idxFile('t10k-images-idx3-ubyte'), file('article.f32')]);
  const net = await loadNetwork(readFileSync(npz));
  try {
    assert.is(net.options.activation, 'sigmoid');
    assert.is(net.options.input, 'raw');
    assert.equal(net.options.layers, [784, 128, 64, 10]);
    const bytes = readFileSync(file('article.f32'));
    const probs = net.predict(test10k);
    agrees(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), probs, 'NumPy (article)');
    let right = 0;
    for (let i = 0; i < 10000; i++)
      right +=
        probs.subarray(i * 10, i * 10 + 10).indexOf(Math.max(...probs.subarray(i * 10, i * 10 + 10))) === labels10k[i];
    assert.ok(right > 8000, `the article's network reads ${right} of 10,000 digits`);
  } finally {
    net.dispose();
  }
});

test.run();
