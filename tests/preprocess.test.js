// The pad's preprocessing (web/pad.js preprocess(strokes)) as a pure
// function: nothing drawn gives null, a tap a dot; the stroke set comes out
// drawn like MNIST (stroke width, solid share, box, centre of mass:
// tests/helpers/stroke-stats.js); the same digit at five sizes on whole
// canvas pixels gives nearly the same input; and it is fast.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preprocess, PEN } from '../web/pad.js';
import { drawings, STYLES, VARIANTS, place } from './helpers/strokes.js';
import { measure, summary, mnistDigits } from './helpers/stroke-stats.js';

const pad = 280;
const toPad = (strokes, round = false) =>
  strokes.map((s) =>
    s.map(([x, y]) => (round ? { x: Math.round(x * pad), y: Math.round(y * pad) } : { x: x * pad, y: y * pad })),
  );

function pearson(a, b) {
  const n = a.length;
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

test('nothing drawn gives null; a tap gives a round dot PEN wide at the centre', () => {
  assert.is(preprocess([]), null);
  assert.is(preprocess([[]]), null);
  const dot = preprocess([[{ x: 3, y: 250 }]]);
  assert.ok(dot instanceof Float32Array && dot.length === 784);
  const m = measure(dot);
  assert.ok(Math.abs(m.cx - 14) < 0.01 && Math.abs(m.cy - 14) < 0.01, `centre ${m.cx}, ${m.cy}`);
  assert.ok(Math.abs(m.ink - Math.PI * (PEN / 2) ** 2) < 1, `ink ${m.ink}`);
  assert.ok(dot.every((v) => v >= 0 && v <= 1));
});

test('the stroke set comes out drawn like MNIST: stroke width, solid share, box 20, centre of mass (14, 14)', () => {
  const mnist = summary(mnistDigits(['t10k']));
  const ours = summary(drawings().map((d) => preprocess(toPad(d.strokes))));
  console.log(
    `    stroke width ${ours.width.mean.toFixed(2)} (MNIST ${mnist.width.mean.toFixed(2)}), solid ${ours.solid.mean.toFixed(2)} (MNIST ${mnist.solid.mean.toFixed(2)}), pixels with ink ${ours.pixels.mean.toFixed(0)} (MNIST ${mnist.pixels.mean.toFixed(0)})`,
  );
  assert.ok(Math.abs(ours.width.mean / mnist.width.mean - 1) < 0.1, "stroke width within 10% of MNIST's");
  assert.ok(Math.abs(ours.solid.mean - mnist.solid.mean) < 0.05, "share of solid pixels within 0.05 of MNIST's");
  assert.ok(ours.box.p10 === 20 && ours.box.mean <= 20, 'the ink fits 20x20');
  assert.ok(Math.abs(ours.cx.mean - 14) < 0.05 && Math.abs(ours.cy.mean - 14) < 0.05, 'centre of mass at (14, 14)');
});

test('one digit at five sizes, on whole canvas pixels, gives inputs that correlate above 0.95', () => {
  let worst = 1;
  for (const style of STYLES) {
    const inputs = [0.9, 0.6, 0.35, 0.2, 0.1].map((height, k) =>
      preprocess(toPad(place(style, { height, at: [0.3 + 0.1 * k, 0.6 - 0.05 * k], slant: 0 }), true)),
    );
    for (let i = 0; i < inputs.length; i++)
      for (let j = i + 1; j < inputs.length; j++) worst = Math.min(worst, pearson(inputs[i], inputs[j]));
  }
  console.log(`    lowest correlation over ${STYLES.length} styles: ${worst.toFixed(3)}`);
  assert.ok(worst > 0.95, `correlation ${worst}`);
});

test('fast: well under 10 ms for a drawing of 3,000 points', () => {
  const d = place(STYLES[24], VARIANTS[0]); // 8, one stroke
  const dense = [];
  for (let rep = 0; rep < 10; rep++) {
    // drawn over ten times, densely
    for (const s of d) {
      const out = [];
      for (let i = 1; i < s.length; i++) {
        for (let k = 0; k < 5; k++)
          out.push({
            x: pad * (s[i - 1][0] + ((s[i][0] - s[i - 1][0]) * k) / 5),
            y: pad * (s[i - 1][1] + ((s[i][1] - s[i - 1][1]) * k) / 5),
          });
      }
      dense.push(out);
    }
  }
  const points = dense.reduce((n, s) => n + s.length, 0);
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    preprocess(dense);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`    ${points} points: median ${times[10].toFixed(2)} ms, slowest ${times[19].toFixed(2)} ms`);
  assert.ok(points >= 3000);
  assert.ok(times[10] < 5, `median ${times[10]} ms`);
});

test.run();
