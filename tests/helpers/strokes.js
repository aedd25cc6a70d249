// strokes.js: a stroke set of our own making, as data in code: 30 hand-made
// digit styles (3 per digit) as pen paths, each drawn in 6 ways (large,
// small, off to the side, tiny in a corner, slanted right, slanted left):
// 180 drawings. A third of them are marked for touch, the rest for the mouse.
//
// A style is a list of strokes; a stroke is a list of [x, y] points in the
// digit's own box, y down, height 1 (0 at the top, 1 at the bottom) and
// about 0.6 wide, the order the pen goes. drawings() places each style on
// the pad: points in 0..1 of the pad's width and height.

/* ---------- building paths (shared with strokes-wide.js) ---------- */

const rad = (deg) => (deg * Math.PI) / 180;

/** Points along an elliptic arc from a0 to a1 degrees (0 = right, 90 = down). */
export function arc(cx, cy, rx, ry, a0, a1, n = Math.max(6, Math.ceil(Math.abs(a1 - a0) / 12))) {
  const pts = [];
  for (let i = 0; i <= n; i++) {
    const a = rad(a0 + ((a1 - a0) * i) / n);
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

/** Points along a straight line. */
export function line(a, b, n = 6) {
  const pts = [];
  for (let i = 0; i <= n; i++) pts.push([a[0] + ((b[0] - a[0]) * i) / n, a[1] + ((b[1] - a[1]) * i) / n]);
  return pts;
}

/** Points along a cubic Bezier curve p0 (c1, c2) p3. */
export function bez(p0, c1, c2, p3, n = 14) {
  const pts = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n,
      u = 1 - t;
    const w = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
    pts.push([0, 1].map((k) => w[0] * p0[k] + w[1] * c1[k] + w[2] * c2[k] + w[3] * p3[k]));
  }
  return pts;
}

/** One stroke from pieces that follow each other (a piece's first point repeats the last). */
export function path(...pieces) {
  const out = [];
  for (const p of pieces) out.push(...(out.length ? p.slice(1) : p));
  return out;
}

/* ---------- the styles ---------- */

export const STYLES = [
  // 0: a closed oval drawn anticlockwise from the top, overlapping a little
  { label: 0, name: 'oval', strokes: [arc(0.3, 0.5, 0.28, 0.48, -90, -90 - 380)] },
  // 0: narrow, leaning, open at the top (the pen stops short)
  {
    label: 0,
    name: 'narrow open',
    strokes: [
      path(
        bez([0.42, 0.06], [0.2, -0.04], [0.0, 0.35], [0.05, 0.7]),
        bez([0.05, 0.7], [0.1, 1.05], [0.45, 1.05], [0.5, 0.65]),
        bez([0.5, 0.65], [0.56, 0.3], [0.5, 0.02], [0.3, 0.04]),
      ),
    ],
  },
  // 0: round, clockwise, with a tail where it closes
  { label: 0, name: 'round clockwise', strokes: [arc(0.32, 0.5, 0.32, 0.45, -110, 270)] },

  // 1: a plain vertical bar
  { label: 1, name: 'bar', strokes: [line([0.3, 0], [0.3, 1])] },
  // 1: with a flag, one stroke
  { label: 1, name: 'flag', strokes: [path(line([0.08, 0.24], [0.36, 0]), line([0.36, 0], [0.36, 1], 10))] },
  // 1: with a flag and a base
  {
    label: 1,
    name: 'flag and base',
    strokes: [path(line([0.12, 0.2], [0.33, 0]), line([0.33, 0], [0.33, 1], 10)), line([0.1, 1], [0.56, 1])],
  },

  // 2: round top, a diagonal, a flat base
  {
    label: 2,
    name: 'classic',
    strokes: [
      path(
        bez([0.04, 0.22], [0.1, -0.06], [0.56, -0.08], [0.56, 0.26]),
        bez([0.56, 0.26], [0.56, 0.5], [0.2, 0.72], [0.02, 0.98]),
        line([0.02, 0.98], [0.62, 0.98]),
      ),
    ],
  },
  // 2: with a loop at the bottom
  {
    label: 2,
    name: 'looped',
    strokes: [
      path(
        bez([0.06, 0.18], [0.16, -0.06], [0.58, -0.04], [0.52, 0.3]),
        bez([0.52, 0.3], [0.46, 0.58], [0.1, 0.8], [0.1, 0.92]),
        bez([0.1, 0.92], [0.1, 1.04], [0.34, 0.98], [0.26, 0.86]),
        bez([0.26, 0.86], [0.2, 0.78], [0.08, 0.92], [0.2, 0.98]),
        line([0.2, 0.98], [0.64, 0.96]),
      ),
    ],
  },
  // 2: angular, like a Z with a rounded shoulder
  {
    label: 2,
    name: 'angular',
    strokes: [
      path(
        bez([0.02, 0.12], [0.2, -0.04], [0.6, -0.04], [0.58, 0.2]),
        line([0.58, 0.2], [0.04, 0.96], 10),
        line([0.04, 0.96], [0.6, 0.94]),
      ),
    ],
  },

  // 3: two arcs in one stroke
  {
    label: 3,
    name: 'two arcs',
    strokes: [path(arc(0.3, 0.25, 0.25, 0.23, -160, 90), arc(0.3, 0.71, 0.29, 0.27, -90, 150))],
  },
  // 3: flat top, a diagonal to the middle, a round belly
  {
    label: 3,
    name: 'flat top',
    strokes: [
      path(
        line([0.04, 0.02], [0.56, 0.02]),
        line([0.56, 0.02], [0.24, 0.42]),
        bez([0.24, 0.42], [0.7, 0.36], [0.72, 0.98], [0.3, 0.98]),
        bez([0.3, 0.98], [0.16, 0.98], [0.06, 0.92], [0.02, 0.84]),
      ),
    ],
  },
  // 3: a small top and a larger belly with a cusp
  {
    label: 3,
    name: 'cusp',
    strokes: [
      path(
        bez([0.06, 0.1], [0.2, -0.04], [0.5, -0.02], [0.48, 0.18]),
        bez([0.48, 0.18], [0.46, 0.36], [0.3, 0.42], [0.16, 0.44]),
        bez([0.16, 0.44], [0.5, 0.42], [0.66, 0.6], [0.6, 0.76]),
        bez([0.6, 0.76], [0.52, 1.02], [0.14, 1.02], [0.02, 0.86]),
      ),
    ],
  },

  // 4: open, two strokes: an L turned and a long stem
  {
    label: 4,
    name: 'open',
    strokes: [path(line([0.08, 0], [0.04, 0.6]), line([0.04, 0.6], [0.62, 0.6])), line([0.46, 0.16], [0.46, 1], 8)],
  },
  // 4: closed: a diagonal, a bar, then the stem
  {
    label: 4,
    name: 'closed',
    strokes: [path(line([0.46, 0], [0.0, 0.64], 8), line([0.0, 0.64], [0.62, 0.64])), line([0.46, 0], [0.46, 1], 8)],
  },
  // 4: closed, one stroke from the bottom of the stem
  {
    label: 4,
    name: 'one stroke',
    strokes: [path(line([0.44, 1], [0.44, 0], 8), line([0.44, 0], [0.02, 0.66], 8), line([0.02, 0.66], [0.62, 0.66]))],
  },

  // 5: down, the belly, then the top bar
  {
    label: 5,
    name: 'bar last',
    strokes: [
      path(
        line([0.1, 0.02], [0.06, 0.44]),
        bez([0.06, 0.44], [0.4, 0.3], [0.68, 0.52], [0.58, 0.78]),
        bez([0.58, 0.78], [0.48, 1.02], [0.14, 1.02], [0.02, 0.88]),
      ),
      line([0.1, 0.02], [0.58, 0.0]),
    ],
  },
  // 5: one stroke: the bar right to left, down, the belly
  {
    label: 5,
    name: 'one stroke',
    strokes: [
      path(
        line([0.58, 0.02], [0.12, 0.02]),
        line([0.12, 0.02], [0.08, 0.46]),
        bez([0.08, 0.46], [0.36, 0.32], [0.64, 0.5], [0.6, 0.72]),
        bez([0.6, 0.72], [0.56, 0.96], [0.2, 1.04], [0.04, 0.9]),
      ),
    ],
  },
  // 5: a deep, round belly and a short, slanted bar
  {
    label: 5,
    name: 'round belly',
    strokes: [
      path(line([0.16, 0.04], [0.1, 0.4]), arc(0.32, 0.68, 0.28, 0.3, -130, 150)),
      line([0.16, 0.05], [0.56, 0.0]),
    ],
  },

  // 6: a curve down from the top right and a loop at the bottom
  {
    label: 6,
    name: 'curved',
    strokes: [
      path(bez([0.52, 0.04], [0.22, 0.06], [0.02, 0.4], [0.04, 0.7]), arc(0.3, 0.72, 0.26, 0.26, 180, 180 + 350)),
    ],
  },
  // 6: a straight back and a small loop
  {
    label: 6,
    name: 'straight back',
    strokes: [path(line([0.5, 0.0], [0.08, 0.7], 8), arc(0.28, 0.8, 0.2, 0.19, 150, 150 + 360))],
  },
  // 6: a large loop that reaches up
  {
    label: 6,
    name: 'big loop',
    strokes: [
      path(
        bez([0.58, 0.1], [0.4, -0.06], [0.04, 0.04], [0.02, 0.6]),
        bez([0.02, 0.6], [0.0, 1.04], [0.58, 1.06], [0.6, 0.7]),
        bez([0.6, 0.7], [0.62, 0.4], [0.2, 0.36], [0.06, 0.58]),
      ),
    ],
  },

  // 7: a bar and a diagonal
  { label: 7, name: 'plain', strokes: [path(line([0.02, 0.02], [0.6, 0.02]), line([0.6, 0.02], [0.22, 1], 10))] },
  // 7: with a bar across
  {
    label: 7,
    name: 'crossed',
    strokes: [path(line([0.02, 0.02], [0.6, 0.02]), line([0.6, 0.02], [0.24, 1], 10)), line([0.18, 0.52], [0.58, 0.5])],
  },
  // 7: a hook at the left, a curved stem
  {
    label: 7,
    name: 'hooked',
    strokes: [
      path(
        line([0.02, 0.16], [0.04, 0.02]),
        line([0.04, 0.02], [0.6, 0.04]),
        bez([0.6, 0.04], [0.44, 0.3], [0.3, 0.6], [0.3, 1]),
      ),
    ],
  },

  // 8: one stroke, an S and back up
  {
    label: 8,
    name: 'one stroke',
    strokes: [
      path(
        bez([0.52, 0.12], [0.4, -0.04], [0.06, 0.0], [0.08, 0.22]),
        bez([0.08, 0.22], [0.1, 0.44], [0.58, 0.5], [0.58, 0.74]),
        bez([0.58, 0.74], [0.58, 1.02], [0.02, 1.02], [0.04, 0.74]),
        bez([0.04, 0.74], [0.06, 0.5], [0.54, 0.44], [0.54, 0.22]),
        bez([0.54, 0.22], [0.54, 0.06], [0.46, 0.04], [0.4, 0.04]),
      ),
    ],
  },
  // 8: two circles, small on a larger one
  {
    label: 8,
    name: 'two circles',
    strokes: [arc(0.3, 0.24, 0.2, 0.22, -90, 275), arc(0.3, 0.7, 0.27, 0.26, -90, 275)],
  },
  // 8: narrow, leaning, the top loop drawn first
  {
    label: 8,
    name: 'narrow',
    strokes: [
      path(
        bez([0.4, 0.04], [0.1, 0.0], [0.1, 0.4], [0.3, 0.48]),
        bez([0.3, 0.48], [0.5, 0.58], [0.5, 0.98], [0.24, 0.98]),
        bez([0.24, 0.98], [0.0, 0.98], [0.06, 0.6], [0.3, 0.48]),
        bez([0.3, 0.48], [0.52, 0.38], [0.54, 0.04], [0.4, 0.04]),
      ),
    ],
  },

  // 9: a loop and a straight stem
  {
    label: 9,
    name: 'straight stem',
    strokes: [path(arc(0.3, 0.26, 0.26, 0.24, 0, -360), line([0.56, 0.26], [0.54, 1], 8))],
  },
  // 9: a loop and a stem curving left at the bottom
  {
    label: 9,
    name: 'curved stem',
    strokes: [path(arc(0.3, 0.28, 0.26, 0.25, -10, -370), bez([0.56, 0.23], [0.6, 0.6], [0.5, 0.96], [0.16, 0.98]))],
  },
  // 9: a small loop and a slanted stem
  {
    label: 9,
    name: 'slanted stem',
    strokes: [path(arc(0.34, 0.22, 0.22, 0.2, 10, -350), line([0.56, 0.26], [0.34, 1], 8))],
  },
];

/* ---------- placing them on the pad ---------- */

/**
 * The six ways each style is drawn: height as a fraction of the pad, centre
 * on the pad, slant (horizontal shift per unit of height above the middle:
 * > 0 leans right).
 */
export const VARIANTS = [
  { group: 'large', height: 0.8, at: [0.5, 0.5], slant: 0 },
  { group: 'small', height: 0.34, at: [0.42, 0.46], slant: 0 },
  { group: 'side', height: 0.5, at: [0.24, 0.55], slant: 0 },
  { group: 'tiny corner', height: 0.13, at: null, slant: 0 }, // alternating corners, see below
  { group: 'slant right', height: 0.62, at: [0.5, 0.5], slant: 0.3 },
  { group: 'slant left', height: 0.62, at: [0.5, 0.5], slant: -0.25 },
];

const CORNERS = [
  [0.13, 0.13],
  [0.87, 0.13],
  [0.87, 0.87],
  [0.13, 0.87],
];

/** The box of a style's points: { x0, y0, x1, y1 }. */
function bounds(strokes) {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const s of strokes)
    for (const [x, y] of s) {
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  return { x0, y0, x1, y1 };
}

/** A 7 in three straight strokes, in 0..1 of the pad: a quick digit for tests and benches. */
export const SEVEN = [
  [
    [0.2, 0.2],
    [0.8, 0.2],
  ],
  [
    [0.8, 0.2],
    [0.45, 0.85],
  ],
  [
    [0.35, 0.5],
    [0.7, 0.5],
  ],
];

/** Points every `gap` units along a polyline (page pixels, for a driver), the ends kept. */
export function resample(points, gap) {
  const out = [points[0]];
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1],
      [bx, by] = points[i];
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / gap));
    for (let k = 1; k <= n; k++) out.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
  }
  return out;
}

/** A style drawn one way: its strokes in pad fractions (0..1), slanted and placed. */
export function place(style, v, k = 0) {
  const b = bounds(style.strokes);
  const cx = (b.x0 + b.x1) / 2,
    cy = (b.y0 + b.y1) / 2;
  const at = v.at ?? CORNERS[k % CORNERS.length];
  const s = v.height / (b.y1 - b.y0);
  return style.strokes.map((stroke) =>
    stroke.map(([x, y]) => [at[0] + s * (x - cx + v.slant * (cy - y)), at[1] + s * (y - cy)]),
  );
}

/**
 * Every drawing of a set of styles (ours unless given): { label, style,
 * group, input: 'mouse' | 'touch', strokes } with strokes in pad fractions.
 * 30 styles x 6 variants = 180.
 */
export function drawings(styles = STYLES) {
  const out = [];
  styles.forEach((style, i) => {
    VARIANTS.forEach((v, j) => {
      out.push({
        label: style.label,
        style: `${style.label} ${style.name}`,
        group: v.group,
        input: (i + j) % 3 === 0 ? 'touch' : 'mouse',
        strokes: place(style, v, i),
      });
    });
  });
  return out;
}

/* ---------- styles MNIST does not have, drawn with a shaky hand ---------- */

/** A style drawn as its mirror image (a person who writes 3 as ε): x -> 0.6 - x. */
export function mirrored(style) {
  return {
    ...style,
    name: `${style.name} mirrored`,
    strokes: style.strokes.map((s) => s.map(([x, y]) => [0.6 - x, y])),
  };
}

/** A small seeded generator (mulberry32): numbers in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * n drawings of a style as a person repeats it, each a little different:
 * height 0.45..0.8 of the pad, its centre up to 0.1 off the middle, slant
 * -0.15..0.15, turned up to 8 degrees, 0.85..1.15 as wide, and every point
 * moved up to 1% of the pad (the hand's shake). Strokes in pad fractions;
 * the same seed gives the same drawings.
 */
export function jittered(style, n, seed) {
  const r = rng(seed);
  const u = (a, b) => a + (b - a) * r();
  const out = [];
  for (let k = 0; k < n; k++) {
    const v = { height: u(0.45, 0.8), at: [0.5 + u(-0.1, 0.1), 0.5 + u(-0.1, 0.1)], slant: u(-0.15, 0.15) };
    const turn = rad(u(-8, 8)),
      wide = u(0.85, 1.15),
      shake = 0.01;
    const [cx, cy] = v.at;
    const strokes = place(style, v).map((s) =>
      s.map(([x, y]) => {
        const dx = (x - cx) * wide,
          dy = y - cy;
        return [
          cx + dx * Math.cos(turn) - dy * Math.sin(turn) + u(-shake, shake),
          cy + dx * Math.sin(turn) + dy * Math.cos(turn) + u(-shake, shake),
        ];
      }),
    );
    out.push(strokes);
  }
  return out;
}
