// mnist-wasm: a from-scratch neural network in C, compiled to WebAssembly.
// Works in Node 20+, pages and module workers. All networks and IDX parsers
// share one wasm instance, loaded on first use (or by init()).

export type Activation = 'sigmoid' | 'relu' | 'tanh';
export type Optimizer = 'sgd' | 'momentum' | 'adam';
/** What the first layer sees of an image: 'centred', its pixels minus their mean; 'raw', the pixels (0..1). */
export type Input = 'centred' | 'raw';

/**
 * Network options; anything left out takes the C default
 * (nn_config_default): 784-128-64-10, sigmoid, centred input, sgd,
 * learningRate 0.5, batchSize 8, seed 1, cosine schedule, momentum 0.9, beta1 0.9, beta2 0.999, epsilon 1e-8.
 * Unknown names throw a TypeError; out-of-range values a RangeError.
 */
export interface NetworkOptions {
  /**
   * The stack, input first, output (classes, >= 2) last, as text or an array
   * of its items: the input N values (784) or an image ('28x28'); then N a
   * dense layer of N units (1..4096), 'convKxF' a KxK convolution of F
   * filters, 'poolP' PxP max pooling; up to 8 layers after the input.
   * Example: '28x28,conv5x8,pool2,conv5x16,pool2,128,10'.
   */
  layers?: string | Array<number | string>;
  /** Hidden units; the output layer is always softmax. */
  activation?: Activation;
  /** Default 'centred' (Fashion-MNIST 89.3% in 10 epochs against 88.6% raw); files saved before it load as 'raw'. */
  input?: Input;
  optimizer?: Optimizer;
  /** 1e-12..100 */
  learningRate?: number;
  /** Velocity decay of the momentum optimizer, 0..0.999999. */
  momentum?: number;
  /** Adam, 0..0.999999 */
  beta1?: number;
  /** Adam, 0..0.999999 */
  beta2?: number;
  /** Adam, 1e-30..1 */
  epsilon?: number;
  /** Mini-batch size of train(), 1..4096. */
  batchSize?: number;
  /** Weight init, shuffle and augmentation seed: an integer in 0..2^53-1 or a BigInt below 2^64. */
  seed?: number | bigint;
  /** The learning rate over a run of train()'s epochs (or a Trainer's plan): default 'cosine'. */
  schedule?: Schedule;
  /** Decoupled weight decay, 0..0.1: each step w -= lr * weightDecay * w (weights, not biases). Default 0. */
  weightDecay?: number;
  /** Distort each training sample afresh each epoch: true for the defaults, false (default) for none. */
  augment?: boolean | Augment;
  /**
   * Threads of training and evaluation, 1..64 (default 1): the same bits with
   * any number. Where the threaded module cannot run (no SharedArrayBuffer: a
   * page that is not cross-origin isolated) the network keeps 1, and
   * options.threadsReason says why.
   */
  threads?: number;
}

/** cosine: (1 + cos(pi e / E)) / 2 of the rate in epoch e of E; step: /10 from half the run, /100 from three quarters. */
export type Schedule = 'constant' | 'cosine' | 'step';

/** Distortions, each drawn uniformly up to its value; the ones left out are 0. */
export interface Augment {
  /** Pixels, 0..8 (default with `true`: 2). */
  shift?: number;
  /** Degrees, 0..45 (10). */
  rotate?: number;
  /** Zoom in 1 ± scale, 0..0.5 (0.1). */
  scale?: number;
  /** Horizontal shear factor, 0..0.5 (0.15). */
  shear?: number;
  /** Largest elastic displacement in pixels, 0..8 (1.5). */
  elastic?: number;
}

/** A shape: rows x cols x channels, flattened with the channel fastest; a flat one is 1 x 1 x n. */
export interface Shape {
  rows: number;
  cols: number;
  channels: number;
}

/** Where a layer's weights or biases sit in parameters(). */
export interface ParameterRange {
  offset: number;
  length: number;
}

/** A layer after the input (net.layers). */
export interface LayerInfo {
  type: 'dense' | 'conv' | 'pool';
  input: Shape;
  output: Shape;
  /** A convolution's or pooling window's side; 0 for a dense layer. */
  kernel: number;
  /** Units or filters; 0 for pooling. */
  units: number;
  /** The inputs a unit weighs: a dense layer's inputs, a convolution's channels x kernel x kernel. */
  fanIn: number;
  /** units x fanIn: dense [unit][input], convolution [filter][channel][row][col]; null for pooling. */
  weights: ParameterRange | null;
  biases: ParameterRange | null;
}

/**
 * One layer of net.gradients(): its output in net.layers[l].output's shape
 * (rows x cols x channels flattened, the channel fastest).
 */
export interface LayerGradients {
  type: 'dense' | 'conv' | 'pool';
  /** Pre-activation (a pooling layer's output; the output layer's logits). */
  z: Float32Array;
  /** Output after the activation (the probabilities for the output layer). */
  activations: Float32Array;
  /** dloss/dz. */
  delta: Float32Array;
  /** dloss/dW in the weights' layout: dense [unit][input], convolution [filter][channel][row][col]; absent for pooling. */
  weights?: Float32Array;
  /** dloss/db; absent for pooling. */
  biases?: Float32Array;
}

/** net.gradients(image, label). */
export interface Gradients {
  /** Cross-entropy of the one sample, -ln p[label]. */
  loss: number;
  probabilities: Float32Array;
  /** One per layer after the input. */
  layers: LayerGradients[];
}

/** net.gradientCheck(image, label, options). */
export interface GradientCheck {
  /** The largest over the layers. */
  maxRelativeError: number;
  /** One per layer after the input (pooling: nothing checked). */
  layers: Array<{
    /** Largest |g - fd| / max(|g|, |fd|, 1e-6) of the parameters checked. */
    maxRelativeError: number;
    checked: number;
    /** Parameters passed over because their +-h crossed a kink (relu's 0, a pooling window's choice). */
    atKinks: number;
  }>;
}

/** The options a network has, defaults filled in (floats as float32 keeps them). */
export interface ResolvedOptions {
  /** The stack's items: numbers for dense layers and a flat input ([784, 128, 64, 10]), else strings. */
  layers: Array<number | string>;
  activation: Activation;
  input: Input;
  optimizer: Optimizer;
  learningRate: number;
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  batchSize: number;
  /** A number when it fits in 2^53, else a BigInt. */
  seed: number | bigint;
  schedule: Schedule;
  weightDecay: number;
  augment: Required<Augment>;
  /** Threads in use. */
  threads: number;
  /** Why fewer threads run than were asked for; absent when they all run. */
  threadsReason?: string;
}

/**
 * Images: n * inputs values per call, either raw pixels (Uint8Array or
 * Uint8ClampedArray, 0..255, scaled by 1/255 as MNIST stores them) or
 * Float32Array (expected 0..1; every value must be finite).
 */
export type Images = Uint8Array | Uint8ClampedArray | Float32Array;
/** One label per image, each below the network's output size. */
export type Labels = Uint8Array;

export interface TrainProgress {
  /** 1-based epoch of `epochs`. */
  epoch: number;
  epochs: number;
  /** Samples done in this epoch, of `total`. */
  seen: number;
  total: number;
  /** Samples done in this call, over all epochs. */
  samples: number;
  /** Mean loss of this epoch so far. */
  loss: number;
  /** Since the call began. */
  seconds: number;
}

export interface TrainOptions {
  /** Passes over the samples, >= 1 (default 1). */
  epochs?: number;
  /** Called after every ~1024 samples (whole mini-batches) and at each epoch's end. */
  onProgress?: (progress: TrainProgress) => void;
  /** Draw a fresh order each epoch from the network's RNG (default true); false keeps the given order. */
  shuffle?: boolean;
}

export interface TrainResult {
  /** Mean per-sample loss of the last epoch. */
  loss: number;
  /** Samples trained, n * epochs. */
  samples: number;
  seconds: number;
}

export interface Evaluation {
  /** Fraction correct, 0..1. */
  accuracy: number;
  /** Mean cross-entropy loss. */
  loss: number;
  /** Samples evaluated. */
  samples: number;
  /** confusion[label][predicted]: counts, classes x classes. */
  confusion: number[][];
  /** The first misclassified samples, in index order (see EvaluateOptions). */
  wrong: { index: number; label: number; predicted: number }[];
}

export interface EvaluateOptions {
  /** At most this many misclassified samples in `wrong` (default 64). */
  wrong?: number;
  /** At most this many of one true label (default 0: any number). */
  wrongPerLabel?: number;
}

/**
 * A network in the shared wasm instance. Every method checks its arguments
 * before it changes anything: a TypeError or RangeError names the bad
 * argument and leaves the network as it was. Errors from C carry `code`
 * ("NN_ERR_DIVERGED", ...). After dispose(), methods throw an Error
 * ("network disposed").
 */
export class Network {
  /** Not constructible: use createNetwork() or loadNetwork(). */
  private constructor();
  /** Pixels per image (the first layer's size). */
  readonly inputs: number;
  /** Output size: labels must be below it. */
  readonly classes: number;
  /** Weight updates made so far (saved in the model file). */
  readonly steps: number;
  /**
   * Jobs that threads other than the calling one have run for this network
   * since it was made or loaded: above zero only once a step, prediction or
   * evaluation was really split over its threads.
   */
  readonly threadJobs: number;
  /** The layers after the input, as C lays them out (shapes, and where their parameters sit). */
  readonly layers: LayerInfo[];
  readonly disposed: boolean;
  readonly options: ResolvedOptions;

  /**
   * Trains `epochs` passes over the samples in mini-batches of batchSize.
   * The samples are copied into the wasm heap once per call. Same seed,
   * data and options give bit-identical weights everywhere (also natively).
   * If the loss becomes NaN or infinite, stops with an Error (code
   * NN_ERR_DIVERGED, `step`, `epoch`): "train: training diverged at step N
   * in epoch E (...); lower the learning rate". N counts the network's
   * updates; the weights are those after update N-1, the last finite ones
   * (net.steps is N-1), with the optimizer state of that update.
   */
  train(images: Images, labels: Labels, options?: TrainOptions): TrainResult;
  /** The same over a whole Dataset (its samples are not copied). */
  train(dataset: Dataset, options?: TrainOptions): TrainResult;
  /**
   * One update on exactly this mini-batch (1..4096 samples); returns its
   * mean loss. A diverging update throws as train() does and changes no weight.
   */
  step(images: Images, labels: Labels): number;
  /**
   * Probabilities: Float32Array(classes) for one image, (n * classes) row by
   * row for n. Outputs that overflow throw (code NN_ERR_DIVERGED), never NaN.
   */
  predict(images: Images): Float32Array;
  /** Every layer's outputs for one image: one array per layer after the input, the probabilities last. */
  activations(image: Images): Float32Array[];
  /** One image's backpropagation with its label, seen from inside; the network is not changed. */
  gradients(image: Images, label: number): Gradients;
  /** gradients() against central finite differences in double on `count` (default 10, at most 1000) parameters a layer. */
  gradientCheck(image: Images, label: number, options?: { count?: number }): GradientCheck;
  evaluate(images: Images, labels: Labels, options?: EvaluateOptions): Evaluation;
  /** The samples of a Dataset that have arrived so far. */
  evaluate(dataset: Dataset, options?: EvaluateOptions): Evaluation;
  /**
   * evaluate(dataset) in slices: step(count) until it returns true, then
   * result(). A RangeError if none of the dataset's samples have arrived.
   */
  evaluator(dataset: Dataset, options?: EvaluateOptions): Evaluator;
  /** The model file: magic "MNWM", options, weights, counters, CRC-32. */
  save(): Uint8Array;
  /**
   * The network in another program's format (docs/export.md): 'npz', NumPy
   * arrays W1..Wn (dense (out, in), convolution (filters, channels, rows,
   * cols)), b1..bn, layers, activation and input; 'onnx', an opset 13 model
   * (input `image`, output `probabilities`). A RangeError for another name.
   */
  export(format: 'npz' | 'onnx'): Uint8Array;
  /** 'tfjs': a TensorFlow.js layers model, its two files by name. */
  export(format: 'tfjs'): { 'model.json': Uint8Array; 'model.weights.bin': Uint8Array };
  /**
   * Learning rate, batch size and/or optimizer for later training. A new
   * optimizer starts from fresh state (as after loadNetwork); weights stay.
   */
  setOptions(options: {
    learningRate?: number;
    batchSize?: number;
    optimizer?: Optimizer;
    schedule?: Schedule;
    weightDecay?: number;
    augment?: boolean | Augment;
  }): void;
  /** A copy of all weights and biases, per layer W[out][in] then b[out]. */
  parameters(): Float32Array;
  /** A copy of each parameterised layer's weights and biases, in layer order. */
  layerParameters(): Array<{ weights: Float32Array; biases: Float32Array }>;
  /** Frees the network's wasm memory; safe to call twice. */
  dispose(): void;
}

export interface Evaluator {
  /** Samples to evaluate: the dataset's ready ones when the evaluator was made. */
  readonly total: number;
  readonly done: boolean;
  /** Evaluates the next count samples (an integer >= 1); true once all are done. */
  step(count: number): boolean;
  /** The Evaluation (frees the evaluator). */
  result(): Evaluation;
  dispose(): void;
}

export interface TrainerProgress {
  /** Passes completed over a whole data set. */
  epochs: number;
  /** Passes completed, those over a data set still arriving included. */
  passes: number;
  /** Samples trained through this trainer. */
  samples: number;
  /** Samples done in the current pass, of passRows (0 before a pass starts). */
  position: number;
  passRows: number;
  /** Whether the current pass covers the whole data set. */
  passWhole: boolean;
  /** Summed loss of the current pass so far; mean loss of the last pass (NaN before one). */
  passLoss: number;
  lastLoss: number;
  /** Summed loss over every sample this trainer trained. */
  totalLoss: number;
}

/**
 * C's training loop for callers that slice training by time (the page's
 * worker): each run() trains about `budget` samples, in whole mini-batches.
 * Made after the module has loaded (after createNetwork or init).
 */
export class Trainer {
  constructor(options?: { shuffle?: boolean });
  readonly progress: TrainerProgress;
  /** Throws as Network.train does on divergence (the step undone). */
  run(net: Network, data: Dataset, budget: number): TrainerProgress & { trained: number };
  /** Mixes extra samples (a person's digits) into later passes, each `repeat` times (1..10000); null stops. */
  mix(extra: Dataset | null, repeat?: number): void;
  /** A run of `epochs` epochs from the next whole pass, for the network's schedule (0: none). */
  plan(epochs: number): void;
  /** Starts a new pass at the next run. */
  restart(): void;
  dispose(): void;
}

/** Bytes of wasm memory in use by the module's heap (it grows, never shrinks). */
export function memoryBytes(): Promise<number>;

/** Rejects with a TypeError/RangeError for bad options, before loading anything. */
export function createNetwork(options?: NetworkOptions): Promise<Network>;

/**
 * A network from save() bytes or `mnist-train --save`, or from a NumPy
 * .npz (export('npz'), or np.savez of W1..Wn: a sigmoid network on raw
 * input with zero biases), told apart by their first bytes. Corrupt or
 * foreign bytes reject with an Error whose code is NN_ERR_MAGIC,
 * NN_ERR_CHECKSUM, NN_ERR_TRUNCATED, NN_ERR_VERSION, NN_ERR_FORMAT,
 * NN_ERR_SHAPE or NN_ERR_LIMIT, and whose message names the array or the
 * byte offset of an .npz's problem.
 */
export function loadNetwork(bytes: Uint8Array | ArrayBuffer, options?: { threads?: number }): Promise<Network>;

import type { Dataset } from './data.js';
export * from './data.js';

export interface InitOptions {
  /** Where to fetch the .wasm from (default: defaultWasmUrl()). */
  wasmUrl?: string | URL;
  /** The .wasm bytes themselves. */
  wasmBinary?: Uint8Array | ArrayBuffer;
}

/**
 * Loads the wasm module; every other function calls it. The promise is
 * memoised; a failure clears it so that a retry (say with another wasmUrl)
 * works. Options count only on the call that starts the load.
 */
export function init(options?: InitOptions): Promise<unknown>;

/**
 * Why this environment cannot run threads ('' where it can): no
 * SharedArrayBuffer (a page that is not cross-origin isolated), or no
 * Worker. Networks asked for more threads then keep 1.
 */
export function threadsUnavailable(): string;

/** new URL('../build/mnist.wasm', import.meta.url) of web/lib/index.js. */
export function defaultWasmUrl(): URL;

/** Bytes of wasm heap malloc'd and not freed: for leak checks. */
export function heapUsed(): Promise<number>;
