// Type-checked, never run: `tsc --noEmit -p tests/types`, the "types" suite
// of npm test. It imports every export of 'mnist-wasm' by the package's name
// (so the exports map's "types" entry is what resolves) and uses every
// declared function, method, property and option of web/lib/index.d.ts. The
// lines marked ts-expect-error prove that wrong uses are refused.
// tests/types.test.js checks that each name index.d.ts declares appears in
// the code here: when the API grows, add a use of the new names below.
import {
  Network,
  createNetwork,
  loadNetwork,
  parseIdx,
  fetchIdx,
  streamIdx,
  init,
  threadsUnavailable,
  defaultWasmUrl,
  heapUsed,
  Dataset,
  openDataset,
  loadDataset,
  openMnist,
  loadMnist,
  Trainer,
  memoryBytes,
  findMnistFile,
  abortError,
} from 'mnist-wasm';
import type {
  Activation,
  Input,
  Optimizer,
  NetworkOptions,
  ResolvedOptions,
  LayerInfo,
  Gradients,
  GradientCheck,
  LayerGradients,
  ParameterRange,
  Shape,
  Images,
  Labels,
  TrainProgress,
  TrainOptions,
  TrainResult,
  Evaluation,
  Idx,
  IdxProgress,
  FetchIdxOptions,
  IdxUpdate,
  IdxSource,
  InitOptions,
  EvaluateOptions,
  DatasetSource,
  DatasetOptions,
  Evaluator,
  TrainerProgress,
  Schedule,
  Augment,
  MnistSet,
  MnistOptions,
} from 'mnist-wasm';

// ---- loading the module: init() and its options --------------------------

const wasmUrl: URL = defaultWasmUrl();
const initOptions: InitOptions = { wasmUrl };
const loaded: unknown = await init(initOptions);
await init({ wasmUrl: wasmUrl.href });
await init({ wasmBinary: new Uint8Array(8) });
await init({ wasmBinary: new ArrayBuffer(8) });
await init();
// @ts-expect-error init takes no other options
await init({ wasmPath: 'mnist.wasm' });

// ---- networks: every option of createNetwork ------------------------------

const activation: Activation = 'relu';
const input: Input = 'raw';
const optimizer: Optimizer = 'adam';
const convnet: NetworkOptions = { layers: '28x28,conv5x8,pool2,conv5x16,pool2,128,10' };
const convItems: NetworkOptions = { layers: ['28x28', 'conv5x8', 'pool2', 128, 10] };
// @ts-expect-error an item is a number or a string
const badItem: NetworkOptions = { layers: [784, true, 10] };
void [convnet, convItems, badItem];
const options: NetworkOptions = {
  layers: [784, 128, 64, 10],
  activation,
  input,
  optimizer,
  learningRate: 0.01,
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  batchSize: 32,
  seed: 1,
  threads: 2,
};
const net: Network = await createNetwork(options);
const bigSeed: Network = await createNetwork({ seed: 2n ** 63n, activation: 'tanh', optimizer: 'momentum' });
const defaults: Network = await createNetwork();
// @ts-expect-error not an activation
await createNetwork({ activation: 'softplus' });
// @ts-expect-error not an optimizer
await createNetwork({ optimizer: 'rmsprop' });
// @ts-expect-error option names are camelCase
await createNetwork({ learning_rate: 0.1 });
// @ts-expect-error only createNetwork() and loadNetwork() make networks
new Network();

// ---- what a network tells: properties and resolved options ----------------

const inputs: number = net.inputs;
const classes: number = net.classes;
const steps: number = net.steps;
const disposed: boolean = net.disposed;
const resolved: ResolvedOptions = net.options;
const layerInfo: LayerInfo[] = net.layers;
const firstOut: Shape = layerInfo[0].output;
const firstWeights: ParameterRange | null = layerInfo[0].weights;
const kinds: Array<'dense' | 'conv' | 'pool'> = layerInfo.map((l) => l.type);
const mapFloats: number = firstOut.rows * firstOut.cols * firstOut.channels;
const weightSpan: number = firstWeights ? firstWeights.offset + firstWeights.length : 0;
void [mapFloats, weightSpan];
void [
  firstOut,
  firstWeights,
  kinds,
  layerInfo[0].input,
  layerInfo[0].kernel,
  layerInfo[0].units,
  layerInfo[0].fanIn,
  layerInfo[0].biases,
];
const layers: Array<number | string> = resolved.layers;
const usedActivation: Activation = resolved.activation;
const usedInput: Input = resolved.input;
const usedOptimizer: Optimizer = resolved.optimizer;
const rates: number[] = [resolved.learningRate, resolved.momentum, resolved.beta1, resolved.beta2, resolved.epsilon];
const batchSize: number = resolved.batchSize;
const seed: number | bigint = resolved.seed;
const threadsUsed: number = resolved.threads;
const splitJobs: number = net.threadJobs;
const threadsReason: string | undefined = resolved.threadsReason;
const whyNoThreads: string = threadsUnavailable();
const stopped: Error = abortError('stopped');
const threadedCopy: Network = await loadNetwork(net.save(), { threads: 4 });
// @ts-expect-error threads is a number
await createNetwork({ threads: '2' });
// @ts-expect-error read-only
net.steps = 0;

// ---- training, predicting, evaluating -------------------------------------

const n = 16;
const images: Images = new Uint8Array(n * inputs);
const floats: Images = new Float32Array(n * inputs);
const clamped: Images = new Uint8ClampedArray(n * inputs);
const labels: Labels = new Uint8Array(n);

const trainOptions: TrainOptions = {
  epochs: 2,
  shuffle: false,
  onProgress(p: TrainProgress) {
    const counts: number[] = [p.epoch, p.epochs, p.seen, p.total, p.samples];
    const meanLoss: number = p.loss;
    const elapsed: number = p.seconds;
    void [counts, meanLoss, elapsed];
  },
};
const result: TrainResult = net.train(images, labels, trainOptions);
const trained: [number, number, number] = [result.loss, result.samples, result.seconds];
net.train(floats, labels);
const stepLoss: number = net.step(clamped, labels);
// @ts-expect-error labels are bytes
net.step(images, new Float32Array(n));
// @ts-expect-error images are typed arrays, not plain arrays
net.predict([0, 0, 0]);

const probs: Float32Array = net.predict(images.subarray(0, inputs));
const evaluation: Evaluation = net.evaluate(images, labels);
const accuracy: number = evaluation.accuracy;
const evalLoss: number = evaluation.loss;
const confusion: number[][] = evaluation.confusion;
const evaluateOptions: EvaluateOptions = { wrong: 24, wrongPerLabel: 3 };
const firstWrong: { index: number; label: number; predicted: number } | undefined = net.evaluate(
  images,
  labels,
  evaluateOptions,
).wrong[0];
const evaluated: number = evaluation.samples;

net.setOptions({ learningRate: 0.1, batchSize: 16, optimizer: 'sgd' });
net.setOptions({});
// @ts-expect-error setOptions cannot change the layers
net.setOptions({ layers: [784, 10] });
const params: Float32Array = net.parameters();

// ---- model files ----------------------------------------------------------

const bytes: Uint8Array = net.save();
const copy: Network = await loadNetwork(bytes);
const fromBuffer: Network = await loadNetwork(new ArrayBuffer(bytes.byteLength));
// @ts-expect-error model bytes, not a file name
await loadNetwork('model.bin');
const npz: Uint8Array = net.export('npz');
const onnx: Uint8Array = net.export('onnx');
const tfjs: { 'model.json': Uint8Array; 'model.weights.bin': Uint8Array } = net.export('tfjs');
const fromNpz: Network = await loadNetwork(npz);
fromNpz.dispose();
void [onnx, tfjs];
// @ts-expect-error the formats are npz, onnx and tfjs
net.export('keras');
// @ts-expect-error tfjs gives two files by name, not bytes
const oneFile: Uint8Array = net.export('tfjs');
for (const m of [net, bigSeed, defaults, copy, fromBuffer]) m.dispose();

// ---- IDX files: parse, fetch, stream --------------------------------------

const controller = new AbortController();
const whole: Idx = await parseIdx(bytes, { signal: controller.signal });
const dims: number[] = whole.dims;
const pixels: Uint8Array = whole.data;
await parseIdx(new ArrayBuffer(0));

const fetchOptions: FetchIdxOptions = {
  signal: controller.signal,
  timeout: 30_000,
  onProgress(p: IdxProgress) {
    const received: number = p.received;
    const total: number | null = p.total;
    void [received, total];
  },
};
const sources: IdxSource[] = [
  'https://example.org/mnist/train-images-idx3-ubyte.gz',
  new URL('file:///data/train-labels-idx1-ubyte'),
  new Response(new Uint8Array(0)),
  new ReadableStream<Uint8Array>(),
];
for (const source of sources) await fetchIdx(source, fetchOptions);
await fetchIdx(sources[0]);
// @ts-expect-error the timeout is in ms, a number
await fetchIdx(sources[0], { timeout: '30s' });

let buf: Uint8Array | undefined;
for await (const u of streamIdx(sources[0], { timeout: Infinity })) {
  const update: IdxUpdate = u;
  buf ??= new Uint8Array(update.count * update.sampleSize);
  buf.set(update.samples, update.start * update.sampleSize);
  const progress: [number[], number, number, number | null] = [
    update.dims,
    update.ready,
    update.received,
    update.total,
  ];
  void progress;
}
const stream: AsyncGenerator<IdxUpdate, void, void> = streamIdx(sources[1]);
await stream.return();

// ---- data sets in the heap -------------------------------------------------

const datasetSources: DatasetSource[] = [
  'https://example.org/t10k-images-idx3-ubyte.gz',
  new URL('file:///d/x'),
  new Response(new Uint8Array(0)),
  new ReadableStream<Uint8Array>(),
  new Uint8Array(0),
  new ArrayBuffer(0),
];
const datasetOptions: DatasetOptions = {
  classes: 10,
  signal: controller.signal,
  timeout: 60_000,
  onProgress(d: Dataset) {
    const sizes: [number, number, number | null] = [d.ready, d.received, d.total];
    void sizes;
  },
};
const streaming: Dataset = await openDataset({ images: datasetSources[0], labels: datasetSources[4] }, datasetOptions);
const arrived: Dataset = await streaming.done;
await streaming.changed();
const shape: [number, number, number, number, number, boolean, boolean] = [
  arrived.count,
  arrived.ready,
  arrived.rows,
  arrived.cols,
  arrived.classes,
  arrived.complete,
  arrived.disposed,
];
const firstImage: Uint8Array = arrived.image(0);
const firstLabel: number = arrived.label(0);
const whole2: Dataset = await loadDataset({ images: datasetSources[1], labels: datasetSources[5] });
const mnist: { train: Dataset; test: Dataset } = await openMnist('https://example.org/mnist/', { classes: 10 });
const loadedMnist: { train: Dataset; test: Dataset } = await loadMnist(new URL('file:///data/'));
const mnistOptions: MnistOptions = { sets: ['test'] as MnistSet[], classes: 256 };
const testOnly: { test: Dataset } = await loadMnist('https://example.org/mnist/', { ...mnistOptions, sets: ['test'] });
const topLabel: number = testOnly.test.maxLabel;
// @ts-expect-error only the sets asked for
void testOnly.train;
const onData: TrainResult = defaults.train(mnist.train, { epochs: 1 });
const onTest: Evaluation = defaults.evaluate(mnist.test, { wrong: 8 });
const sliced: Evaluator = defaults.evaluator(mnist.test, { wrong: 24, wrongPerLabel: 3 });
while (!sliced.step(1000)) void sliced.total;
const slicedResult: Evaluation = sliced.done ? sliced.result() : (sliced.dispose(), onTest);
const trainer = new Trainer({ shuffle: true });
const ran: TrainerProgress & { trained: number } = trainer.run(defaults, mnist.train, 256);
const counters: TrainerProgress = trainer.progress;
const passes: [number, number, number, number, number, boolean, number, number] = [
  counters.epochs,
  counters.passes,
  counters.samples,
  counters.position,
  counters.passRows,
  counters.passWhole,
  counters.passLoss,
  counters.lastLoss,
];
const lossSoFar: number = counters.totalLoss;
trainer.plan(10);
trainer.mix(mnist.test, 20);
trainer.mix(null);
const inside: Float32Array[] = defaults.activations(firstImage);
const backprop: Gradients = defaults.gradients(firstImage, 3);
const firstLayer: LayerGradients = backprop.layers[0];
const firstDelta: Float32Array = firstLayer.delta;
const firstZ: Float32Array = firstLayer.z;
const tenProbabilities: Float32Array = backprop.probabilities;
const firstDW: Float32Array | undefined = firstLayer.weights;
const checked: GradientCheck = defaults.gradientCheck(firstImage, 3, { count: 5 });
const worstError: number = checked.layers[0].maxRelativeError + checked.maxRelativeError;
const passedOver: number = checked.layers[0].atKinks;
const perLayer: Float32Array = defaults.layerParameters()[0].weights;
// @ts-expect-error the label is a number
defaults.gradients(firstImage, '3');
trainer.restart();
const schedule: Schedule = 'cosine';
const distortions: Augment = { shift: 2, rotate: 10, scale: 0.1, shear: 0.15, elastic: 1.5 };
const trained2: Network = await createNetwork({ schedule, weightDecay: 0.0005, augment: distortions });
trained2.setOptions({ schedule: 'step', weightDecay: 0, augment: true });
const resolvedTraining: [Schedule, number, number] = [
  trained2.options.schedule,
  trained2.options.weightDecay,
  trained2.options.augment.rotate,
];
trained2.dispose();
// @ts-expect-error not a schedule
await createNetwork({ schedule: 'linear' });
trainer.dispose();
const heapBytes: number = await memoryBytes();
const found: Response | URL = await findMnistFile('https://example.org/mnist/', 'train-images-idx3-ubyte', {
  signal: controller.signal,
  timeout: 1000,
});
// @ts-expect-error a Dataset carries its labels
defaults.train(mnist.train, labels);
for (const d of [streaming, whole2, mnist.train, mnist.test, loadedMnist.train, loadedMnist.test, testOnly.test])
  d.dispose();
void topLabel;

// ---- leak checks ----------------------------------------------------------

const used: number = await heapUsed();

void [
  loaded,
  classes,
  steps,
  disposed,
  layers,
  usedActivation,
  usedOptimizer,
  rates,
  batchSize,
  seed,
  trained,
  stepLoss,
  probs,
  accuracy,
  evalLoss,
  confusion,
  params,
  dims,
  pixels,
  used,
  firstWrong,
  evaluated,
  shape,
  firstImage,
  firstLabel,
  onData,
  onTest,
  slicedResult,
  ran,
  passes,
  heapBytes,
  lossSoFar,
  resolvedTraining,
  found,
  inside,
];
