// trainer.js: C's training loop (csrc/train.h) for JavaScript: the Trainer
// class that the page's worker slices by time, and train()'s epochs over
// it (trainEpochs). Networks reach it through the trainerAccess door, so
// a Trainer takes nothing that merely looks like a network.

import { loadedWasm } from './wasm.js';
import { optionsObject, integer, boolean, describe } from './checks.js';
import { Dataset } from './dataset.js';

/** Network's door for Trainer only: net[trainerAccess](fn, dataset) -> its C pointer, checked live. */
export const trainerAccess = Symbol('trainerAccess');

// Samples per trainer call inside train(), rounded by C to whole
// mini-batches (the same bits as one call per epoch); onProgress runs after each.
const PROGRESS_SAMPLES = 1024;

/** Milliseconds from a monotonic clock where there is one. */
const now = () => globalThis.performance?.now() ?? Date.now();

/**
 * Samples that train() copied into the heap, for its own Trainer: C
 * pointers, so only this package can make one (an object that merely looks
 * like it is refused by Trainer.run rather than read as addresses).
 */
export class HeapRows {
  constructor(u8, f32, y, n) {
    Object.assign(this, { u8, f32, y, n });
    Object.freeze(this);
  }
}

/** train's options: { epochs, onProgress, shuffle } with their defaults. */
export function trainOptions(options, w) {
  const o = optionsObject(options, 'train', ['epochs', 'onProgress', 'shuffle']);
  const epochs = o.epochs === undefined ? 1 : integer(o.epochs, 'epochs', 1, w.facts.limits.maxEpochs);
  boolean(o.shuffle, 'shuffle', 'train');
  return { epochs, onProgress: o.onProgress, shuffle: o.shuffle ?? true };
}

/**
 * "train: training diverged at step 151 in epoch 2 (...); lower the
 * learning rate", in C's words (csrc/explain.h), for net (a pointer) just
 * after the step that diverged.
 */
export function divergedError(fn, net, epoch) {
  const w = loadedWasm();
  const e = w.error(w.DIVERGED, fn, w.callText(w.M._diverged_explain, [net, epoch ?? 0])[1]);
  e.step = Number(w.M._steps(net)) + 1;
  if (epoch) e.epoch = epoch;
  return e;
}

/**
 * The loop of Network.train: o.epochs passes of C's trainer over data (a
 * Dataset or HeapRows of n samples), calling o.onProgress after every
 * PROGRESS_SAMPLES; live() throws if the network was disposed meanwhile.
 */
export function trainEpochs(net, data, n, o, live) {
  const t0 = now();
  const trainer = new Trainer({ shuffle: o.shuffle });
  trainer.plan(o.epochs); // the schedule decays over this call's epochs
  try {
    let samples = 0;
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      let p;
      do {
        live(); // onProgress may have disposed it
        p = trainer.run(net, data, PROGRESS_SAMPLES, epoch);
        samples += p.trained;
        const done = p.passes >= epoch;
        const seen = done ? n : p.position;
        o.onProgress?.({
          epoch,
          epochs: o.epochs,
          seen,
          total: n,
          samples,
          loss: done ? p.lastLoss : p.passLoss / seen,
          seconds: (now() - t0) / 1000,
        });
      } while (p.passes < epoch);
    }
    return { loss: trainer.progress.lastLoss, samples, seconds: (now() - t0) / 1000 };
  } finally {
    trainer.dispose();
  }
}

const trainerRegistry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ w, ptr, state }) => {
        w.M._trainer_free(ptr);
        w.free(state);
      })
    : null;

/**
 * C's training loop (csrc/train.h) for callers that slice training by time,
 * as the page's worker does: each run() trains about `budget` samples
 * (whole mini-batches, never past a pass's end) of a network on a Dataset's
 * ready samples, each pass in a fresh order from the network's RNG. Only
 * passes over a whole data set count as epochs. The network may change
 * between calls (a reset or a load): the trainer keeps its place.
 */
export class Trainer {
  #w;
  #held;
  #extra = null; // a Dataset mixed into the passes, or null
  #repeat = 1;
  constructor(options) {
    const w = loadedWasm();
    if (!w) throw new Error('Trainer: the module is not loaded yet (await init() or createNetwork() first)');
    const o = optionsObject(options, 'Trainer', ['shuffle']);
    boolean(o.shuffle, 'shuffle', 'Trainer');
    this.#w = w;
    const ptr = w.M._trainer_new(o.shuffle === false ? 0 : 1);
    if (!ptr) throw w.error(w.status.NN_ERR_NOMEM, 'Trainer');
    let state = 0;
    try {
      state = w.malloc(w.facts.progress.length * 8, 'the trainer state');
    } catch (e) {
      w.M._trainer_free(ptr);
      throw e;
    }
    this.#held = { w, ptr, state };
    trainerRegistry?.register(this, this.#held, this);
  }

  #live(fn) {
    if (!this.#held.ptr) throw new Error(`${fn}: trainer disposed`);
    return this.#w;
  }

  /** The counters: epochs, passes, samples, position, passRows, passWhole, passLoss, lastLoss, totalLoss. */
  get progress() {
    const w = this.#live('progress');
    const { ptr, state } = this.#held;
    w.check(w.M._trainer_state(ptr, state), 'progress');
    const P = w.facts.progress;
    const v = w.f64.slice(state >> 3, (state >> 3) + P.length);
    return {
      epochs: v[P.epochs],
      passes: v[P.passes],
      samples: v[P.samples],
      position: v[P.position],
      passRows: v[P.passRows],
      passWhole: v[P.passWhole] === 1,
      passLoss: v[P.passLoss],
      lastLoss: v[P.lastLoss],
      totalLoss: v[P.totalLoss],
    };
  }

  /**
   * Trains net on about budget samples of data (a Dataset; Network.train
   * passes its own heap samples); returns progress plus `trained`. A loss
   * that turns NaN throws (code NN_ERR_DIVERGED, `step`) with the step
   * undone; the trainer stays at it.
   */
  run(net, data, budget, epoch) {
    const w = this.#live('run');
    if (typeof net?.[trainerAccess] !== 'function')
      throw new TypeError(`run: net must be a Network, got ${describe(net)}`);
    const ds = data instanceof Dataset ? data : null;
    if (!ds && !(data instanceof HeapRows)) throw new TypeError(`run: data must be a Dataset, got ${describe(data)}`);
    integer(budget, 'budget', 0, 2 ** 31 - 1);
    const p = net[trainerAccess]('run', ds);
    const { ptr } = this.#held;
    if (this.#extra && !ds) throw new TypeError('run: mixing needs a Dataset as data');
    if (this.#extra) net[trainerAccess]('run', this.#extra);
    const status = this.#extra
      ? w.M._train_mixed(ptr, p, ds.pointer, this.#extra.pointer, this.#repeat, budget, w.slots)
      : ds
        ? w.M._train_dataset(ptr, p, ds.pointer, budget, w.slots)
        : w.M._train(ptr, p, data.u8, data.f32, data.y, data.n, 1, budget, w.slots);
    const trained = w.i32[w.slots >> 2];
    if (status === w.DIVERGED) throw divergedError('train', p, epoch);
    w.check(status, epoch ? `train: epoch ${epoch}` : 'train');
    return { ...this.progress, trained };
  }

  /**
   * Plans a run of `epochs` epochs from the next whole pass, which the
   * network's learning-rate schedule spreads its decay over (0: none).
   */
  plan(epochs) {
    const w = this.#live('plan');
    integer(epochs, 'epochs', 0, w.facts.limits.maxPlanEpochs);
    w.M._trainer_plan_epochs(this.#held.ptr, epochs);
  }

  /**
   * Mixes an extra data set (a person's own digits) into the passes that
   * start from now on: each pass holds every extra sample `repeat` times
   * among the data's own, shuffled together; null stops it.
   */
  mix(extra, repeat = 1) {
    const w = this.#live('mix');
    if (extra !== null && !(extra instanceof Dataset))
      throw new TypeError(`mix: extra must be a Dataset or null, got ${describe(extra)}`);
    integer(repeat, 'repeat', 1, w.facts.limits.maxRepeat);
    this.#extra = extra;
    this.#repeat = repeat;
  }

  /** Drops the current pass (the next run starts a new one); the counters stay. */
  restart() {
    this.#live('restart').M._trainer_restart(this.#held.ptr);
  }

  /** Frees the trainer; safe to call twice. */
  dispose() {
    if (!this.#held.ptr) return;
    trainerRegistry?.unregister(this);
    this.#w.M._trainer_free(this.#held.ptr);
    this.#w.free(this.#held.state);
    this.#held.ptr = 0;
  }
}
