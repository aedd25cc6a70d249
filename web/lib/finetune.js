// finetune.js: the arithmetic of teaching a network a person's digits and of
// watching it learn, for a caller that slices the work by time (the page's
// worker, web/worker.js and web/training.js): how often each of the
// person's digits comes in a pass (LEARN, extraRepeat), a fine-tune at its
// own learning rate (FineTune), a Dataset of 28x28 digits as plain arrays
// (digitsOf), and the first layer's weights with each layer's update size
// since the last look (weightSnapshot). Not part of index.js's API: imported
// by path.

import { Trainer } from './index.js';

/**
 * Learn my handwriting: one pass over the training set with each of the
 * person's digits `repeat` times among it, at `rate` times the network's
 * learning rate. Measured (tests/helpers/tune-personal.js: the page's
 * default network, ten jittered drawings of a mirrored 2, 3 or 7 taught, 40
 * new ones read): repeat 40 at 0.1x (0.05 for SGD at 0.5) reads 36-40 of 40
 * new ones (0 before) with MNIST test accuracy -0.06 to -0.04 points; a
 * quarter pass reads as many but moves MNIST more (up to -0.29), repeat 10
 * reads fewer (31-37). The person's share of a pass stays at most
 * extraShare, so a large set gets a smaller repeat and MNIST keeps most of
 * the pass.
 */
export const LEARN = { repeat: 40, rate: 0.1, passes: 1, extraShare: 1 / 15 };

/** How many times each of n extra digits comes in a pass over count training digits: up to
 *  LEARN.repeat, and together at most LEARN.extraShare of the pass. */
export function extraRepeat(count, n) {
  return Math.max(1, Math.min(LEARN.repeat, Math.floor((count * LEARN.extraShare) / n)));
}

/**
 * A fine-tune of net on extra (a Dataset of the person's digits) mixed
 * into LEARN.passes passes over a training set of trainCount digits, at
 * LEARN.rate times baseRate: C's loop (Trainer.mix), run a budget of
 * samples at a time. dispose() gives the network its rate back.
 */
export class FineTune {
  #net;
  #baseRate;
  #trainer = new Trainer();
  /** The trainer's progress after the last run (null before). */
  progress = null;

  constructor(net, extra, trainCount, baseRate) {
    this.#net = net;
    this.#baseRate = baseRate;
    this.repeat = extraRepeat(trainCount, extra.count);
    this.learningRate = baseRate * LEARN.rate;
    try {
      this.#trainer.mix(extra, this.repeat);
      this.#trainer.plan(LEARN.passes); // the schedule's first epoch: the rate as set
      net.setOptions({ learningRate: this.learningRate });
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Trains up to budget samples of train; the trainer's progress. */
  run(train, budget) {
    this.progress = this.#trainer.run(this.#net, train, budget);
    return this.progress;
  }

  get finished() {
    return (this.progress?.passes ?? 0) >= LEARN.passes;
  }

  /** The share of the fine-tune done, 0 to 1. */
  get done() {
    const p = this.progress;
    if (!p) return 0;
    return this.finished ? 1 : (p.passes + p.position / p.passRows) / LEARN.passes;
  }

  /** Ends the fine-tune: the network takes learningRate (by default the one it had). */
  dispose(learningRate = this.#baseRate) {
    try {
      this.#net.setOptions({ learningRate });
    } catch {
      /* the network was disposed meanwhile */
    }
    this.#trainer.dispose();
  }
}

/** A Dataset of 28x28 digits as { images (784 bytes each), labels }; a RangeError for another size. */
export function digitsOf(set) {
  if (set.rows !== 28 || set.cols !== 28) throw new RangeError(`the images are ${set.rows}x${set.cols}, not 28x28`);
  const n = set.count;
  const images = new Uint8Array(n * 784),
    labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    images.set(set.image(i), i * 784);
    labels[i] = set.label(i);
  }
  return { images, labels };
}

/* Each row of w (rows of n) less its mean: with centred input what a unit
 * gives each pixel, since it never sees its weights' mean (plain SGD moves
 * that mean freely). */
function centreRows(w, n) {
  for (let at = 0; at < w.length; at += n) {
    let sum = 0;
    for (let i = at; i < at + n; i++) sum += w[i];
    const mean = sum / n;
    for (let i = at; i < at + n; i++) w[i] -= mean;
  }
}

/**
 * The first layer with weights of net (layers: its net.layers), its
 * weights for drawing as images (a dense layer: a row of its inputs per
 * unit; a convolution: a KxK window per filter and input channel,
 * [filter][channel][row][col]) and, per layer with weights, the update size
 * since last (the previous snapshot's `next`, or null): mean |W - W_last| /
 * mean |W| / steps between them (weights only, not biases). With centred
 * input a dense first layer's rows less their means. null for a network
 * without weights. next: what the following snapshot measures from.
 */
export function weightSnapshot(net, layers, { centred = false, last = null } = {}) {
  const weighted = layers.filter((y) => y.weights);
  const first = weighted[0];
  if (!first) return null;
  const params = net.parameters(); // a copy
  const steps = net.steps;
  const { offset, length } = first.weights;
  if (centred && first === layers[0] && first.type === 'dense')
    centreRows(params.subarray(offset, offset + length), first.fanIn);
  const updates = [];
  if (last && steps > last.steps) {
    for (const { weights: y } of weighted) {
      let d = 0,
        m = 0;
      for (let i = y.offset; i < y.offset + y.length; i++) {
        d += Math.abs(params[i] - last.params[i]);
        m += Math.abs(params[i]);
      }
      updates.push(m > 0 ? d / m / (steps - last.steps) : 0);
    }
  }
  return {
    steps,
    layer: first,
    weights: params.slice(offset, offset + length),
    updates: updates.length ? updates : null,
    next: !last || steps !== last.steps ? { params, steps } : last,
  };
}
