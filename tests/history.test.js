// Watch it learn's history (web/history.js): bounded by bytes and by count,
// thinned by dropping every second snapshot so that those kept stay evenly
// spread over the run, the first and the newest always kept; a network
// with fewer steps starts a new history.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WeightHistory, HISTORY_BYTES, HISTORY_MAX } from '../web/history.js';

const snap = (steps, floats = 100) => ({ steps, weights: new Float32Array(floats), layer: null, updates: null });

test('the limits: 16 MB of weights, 256 snapshots', () => {
  assert.is(HISTORY_BYTES, 16 * 1024 * 1024);
  assert.is(HISTORY_MAX, 256);
});

test('bounded by count: a long run keeps at most max, evenly spread, first and newest kept', () => {
  const h = new WeightHistory({ max: 16 });
  for (let s = 1; s <= 1000; s++) {
    h.add(snap(s));
    assert.ok(h.items.length <= 16, `${h.items.length} kept at step ${s}`);
  }
  const steps = h.items.map((x) => x.steps);
  assert.is(steps[0], 1);
  assert.is(steps.at(-1), 1000);
  const gaps = steps.slice(1, -1).map((s, i) => s - steps[i]);
  assert.ok(
    gaps.every((g) => g === gaps[0]),
    `even spacing but the newest: ${steps.join(',')}`,
  );
  assert.ok(steps.length >= 8, `${steps.length} kept`);
});

test('bounded by bytes: the weights kept never pass the budget', () => {
  const floats = 128 * 784; // the article's first layer
  const h = new WeightHistory({ bytes: 16 * 1024 * 1024 });
  for (let s = 1; s <= 500; s++) {
    h.add(snap(s * 10, floats));
    assert.ok(h.bytes <= 16 * 1024 * 1024, `${h.bytes} bytes at snapshot ${s}`);
    assert.is(
      h.bytes,
      h.items.reduce((n, x) => n + x.weights.byteLength, 0),
    );
  }
  assert.ok(h.items.length >= 20, `${h.items.length} of the article's snapshots kept`);
});

test('snapshots over half the budget: the first and the newest', () => {
  const h = new WeightHistory({ bytes: 1000 });
  for (let s = 1; s <= 9; s++) h.add(snap(s, 200)); // 800 bytes each
  assert.equal(
    h.items.map((x) => x.steps),
    [1, 9],
  );
});

test('a new network (fewer steps) starts again; the same step replaces the last', () => {
  const h = new WeightHistory();
  h.add(snap(10));
  h.add(snap(20));
  h.add(snap(20));
  assert.equal(
    h.items.map((x) => x.steps),
    [10, 20],
  );
  h.add(snap(5));
  assert.equal(
    h.items.map((x) => x.steps),
    [5],
  );
  assert.is(h.bytes, 400);
});

test.run();
