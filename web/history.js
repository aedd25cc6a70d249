// history.js: watch it learn. The page keeps the inside view's weight
// snapshots of a run (the first layer's weights, the update sizes, the test
// accuracy of the moment) in a bounded history, and a slider under "What
// the first layer learned" scrubs through them. The history holds at most
// HISTORY_BYTES of weights and HISTORY_MAX snapshots: when a new one would
// pass either, every second one is dropped and from then on only every
// second one kept (the first and the newest always stay), so the snapshots
// kept stay evenly spread over the run however long it grows. The article's first layer is 392 KB a snapshot (16 MB:
// about 40 of them); the convnet's first filters 0.8 KB (then the count
// bounds it). A first layer over 8 MB keeps two: the first and the newest.
// A new network starts a new history.

export const HISTORY_BYTES = 16 * 1024 * 1024;
export const HISTORY_MAX = 256;

/**
 * The snapshots of one run, bounded: { steps, weights, layer, updates,
 * accuracy } each. The n-th snapshot of the run is kept on a grid of every
 * stride-th one (stride 1, 2, 4, ...: doubled, with every second one
 * dropped, whenever the limits are passed), and the newest besides, so that
 * the view can follow the run.
 */
export class WeightHistory {
  constructor({ bytes = HISTORY_BYTES, max = HISTORY_MAX } = {}) {
    this.limit = { bytes, max };
    this.clear();
  }

  clear() {
    this.grid = []; // { k, item }: the k-th snapshot of the run, k a multiple of stride
    this.tail = null; // the newest, when it is not on the grid
    this.seen = 0;
    this.stride = 1;
    this.bytes = 0;
  }

  /** The snapshots kept, oldest first. */
  get items() {
    const kept = this.grid.map((e) => e.item);
    return this.tail ? [...kept, this.tail] : kept;
  }

  /** Adds a snapshot (one with fewer steps than the newest starts a new history; the same step replaces it). */
  add(item) {
    const newest = this.tail ?? this.grid.at(-1)?.item;
    if (newest && item.steps < newest.steps) this.clear();
    if (newest && item.steps === newest.steps) {
      this.bytes += item.weights.byteLength - newest.weights.byteLength;
      if (this.tail) this.tail = item;
      else this.grid.at(-1).item = item;
      return item;
    }
    const k = this.seen++;
    if (this.tail) this.bytes -= this.tail.weights.byteLength;
    this.tail = null;
    if (k % this.stride === 0) this.grid.push({ k, item });
    else this.tail = item;
    this.bytes += item.weights.byteLength;
    while (this.grid.length > 1 && (this.bytes > this.limit.bytes || this.items.length > this.limit.max)) this.thin();
    return item;
  }

  /* Doubles the stride: every second snapshot of the grid goes; the newest stays, as the tail if need be. */
  thin() {
    const newest = this.tail ?? this.grid.at(-1).item;
    this.stride *= 2;
    this.grid = this.grid.filter((e) => e.k % this.stride === 0);
    if (!this.tail && this.grid.at(-1).item !== newest) this.tail = newest;
    this.bytes = this.items.reduce((s, x) => s + x.weights.byteLength, 0);
  }
}

const fmtRate = (v) => (v > 0 ? v.toExponential(1) : '0');

/**
 * The slider over a WeightHistory: show(snapshot) draws one (the inside
 * view's setWeights). At its right end it follows the run; moved back, it
 * holds the snapshot chosen while newer ones are kept.
 */
export class HistorySlider {
  constructor(input, text, show) {
    this.input = input;
    this.text = text;
    this.show = show;
    this.history = new WeightHistory();
    input.addEventListener('input', () => this.pick(Number(input.value)));
  }

  get live() {
    return Number(this.input.value) >= this.history.items.length - 1;
  }

  clear() {
    this.history.clear();
    this.sync(0);
    this.text.textContent = 'Train with this view open: each snapshot of the run is kept here to scrub back through.';
  }

  /** A snapshot from the worker, with the test accuracy of the moment (null before the first evaluation). */
  add(snapshot) {
    const live = this.live;
    const before = this.input.value;
    const shown = this.history.items[Number(before)];
    this.history.add(snapshot);
    const items = this.history.items;
    this.sync(live ? items.length - 1 : Math.max(0, items.indexOf(shown)));
    if (live) this.pick(items.length - 1);
  }

  sync(at) {
    const n = this.history.items.length;
    this.input.max = String(Math.max(0, n - 1));
    this.input.value = String(at);
    this.input.disabled = n < 2;
  }

  pick(at) {
    const s = this.history.items[at];
    if (!s) return;
    this.show(s);
    const n = this.history.items.length;
    const acc = s.accuracy === null || s.accuracy === undefined ? '–' : `${(s.accuracy * 100).toFixed(2)}%`;
    const updates = s.updates ? s.updates.map(fmtRate).join(', ') : '–';
    this.text.textContent = `Snapshot ${at + 1} of ${n} (${at === n - 1 ? 'the newest' : 'back in the run'}): step ${s.steps.toLocaleString('en-US')}, test accuracy ${acc}, update size per step of each layer ${updates}.`;
    this.input.setAttribute('aria-valuetext', `step ${s.steps}, test accuracy ${acc}`);
    this.text.dataset.steps = String(s.steps);
  }
}
