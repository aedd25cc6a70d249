// strokes-wide.js: a second stroke set, written apart from the first
// (strokes.js) and never tuned on what a network reads: 30 more digit styles
// (3 per digit), the handwriting the first set lacks (narrow and slashed
// zeros, a European 1, an 8 with a large lower loop, a 4 drawn as a U with a
// stem, a 9 with a curled tail...). The same path helpers, the same box
// (y down, height 1) and the same 6 placements: drawings(WIDE_STYLES) gives
// its 180 drawings, a third by touch.
import { arc, bez, line, path } from './strokes.js';

export const WIDE_STYLES = [
  // 0: narrow and tall, clockwise from the top
  { label: 0, name: 'narrow', strokes: [arc(0.15, 0.5, 0.13, 0.48, -90, 280)] },
  // 0: an oval with a slash through it
  {
    label: 0,
    name: 'slashed',
    strokes: [arc(0.3, 0.5, 0.26, 0.46, -90, -90 - 365), line([0.56, 0.08], [0.04, 0.92], 10)],
  },
  // 0: a box with rounded corners, anticlockwise from the top
  {
    label: 0,
    name: 'rounded box',
    strokes: [
      path(
        line([0.3, 0.02], [0.16, 0.02], 3),
        arc(0.16, 0.14, 0.12, 0.12, -90, -180),
        line([0.04, 0.14], [0.04, 0.86], 8),
        arc(0.16, 0.86, 0.12, 0.12, 180, 90),
        line([0.16, 0.98], [0.44, 0.98], 4),
        arc(0.44, 0.86, 0.12, 0.12, 90, 0),
        line([0.56, 0.86], [0.56, 0.14], 8),
        arc(0.44, 0.14, 0.12, 0.12, 0, -90),
        line([0.44, 0.02], [0.3, 0.02], 3),
      ),
    ],
  },

  // 1: a stem on a base, no flag
  { label: 1, name: 'base only', strokes: [line([0.3, 0], [0.3, 1], 10), line([0.12, 1], [0.48, 1])] },
  // 1: European, a long flag from well down the left
  { label: 1, name: 'long flag', strokes: [path(line([0.0, 0.42], [0.36, 0], 8), line([0.36, 0], [0.36, 1], 10))] },
  // 1: one bowed stroke with a little hook at the top
  { label: 1, name: 'bowed', strokes: [bez([0.2, 0.06], [0.34, -0.02], [0.36, 0.5], [0.28, 1])] },

  // 2: starts with a curl inside, a straight neck, a flat base
  {
    label: 2,
    name: 'curl start',
    strokes: [
      path(
        bez([0.16, 0.3], [0.04, 0.3], [0.02, 0.14], [0.14, 0.06]),
        bez([0.14, 0.06], [0.3, -0.04], [0.6, 0.02], [0.54, 0.3]),
        line([0.54, 0.3], [0.04, 0.96], 10),
        line([0.04, 0.96], [0.6, 0.96]),
      ),
    ],
  },
  // 2: a curved neck and a wavy base rising at the right
  {
    label: 2,
    name: 'wavy base',
    strokes: [
      path(
        bez([0.04, 0.2], [0.12, -0.04], [0.56, -0.06], [0.54, 0.24]),
        bez([0.54, 0.24], [0.52, 0.5], [0.14, 0.7], [0.04, 0.94]),
        bez([0.04, 0.94], [0.2, 0.82], [0.36, 1.02], [0.6, 0.86]),
      ),
    ],
  },
  // 2: tall and narrow
  {
    label: 2,
    name: 'narrow',
    strokes: [
      path(
        bez([0.02, 0.14], [0.08, -0.04], [0.34, -0.04], [0.32, 0.22]),
        bez([0.32, 0.22], [0.3, 0.48], [0.06, 0.76], [0.02, 0.98]),
        line([0.02, 0.98], [0.36, 0.98]),
      ),
    ],
  },

  // 3: two arcs, narrow
  {
    label: 3,
    name: 'narrow',
    strokes: [path(arc(0.14, 0.25, 0.13, 0.23, -160, 90), arc(0.14, 0.71, 0.15, 0.27, -90, 150))],
  },
  // 3: two arcs as two strokes, the pen lifted in the middle
  {
    label: 3,
    name: 'two strokes',
    strokes: [arc(0.28, 0.24, 0.24, 0.22, -170, 100), arc(0.26, 0.7, 0.3, 0.28, -100, 155)],
  },
  // 3: a little loop in the middle, as in joined-up writing
  {
    label: 3,
    name: 'middle loop',
    strokes: [
      path(
        arc(0.3, 0.24, 0.24, 0.22, -160, 60),
        bez([0.42, 0.43], [0.3, 0.56], [0.1, 0.5], [0.2, 0.44]),
        bez([0.2, 0.44], [0.3, 0.38], [0.64, 0.5], [0.58, 0.74]),
        bez([0.58, 0.74], [0.52, 1.0], [0.12, 1.02], [0.02, 0.84]),
      ),
    ],
  },

  // 4: open, a long left stroke, the bar low
  {
    label: 4,
    name: 'low bar',
    strokes: [path(line([0.06, 0], [0.02, 0.72], 8), line([0.02, 0.72], [0.6, 0.72])), line([0.44, 0], [0.44, 1], 8)],
  },
  // 4: open, the left stroke slanting in, the stem leaning
  {
    label: 4,
    name: 'slanted open',
    strokes: [path(line([0.22, 0], [0.0, 0.55], 8), line([0.0, 0.55], [0.58, 0.55])), line([0.42, 0.1], [0.38, 1], 8)],
  },
  // 4: a U and a stem down its right side
  {
    label: 4,
    name: 'rounded',
    strokes: [
      path(line([0.04, 0], [0.04, 0.4], 5), bez([0.04, 0.4], [0.04, 0.66], [0.5, 0.66], [0.5, 0.44])),
      line([0.5, 0], [0.5, 1], 10),
    ],
  },

  // 5: angular, the belly as three straight sides, the bar last
  {
    label: 5,
    name: 'square belly',
    strokes: [
      path(
        line([0.12, 0.02], [0.08, 0.44]),
        line([0.08, 0.44], [0.5, 0.42]),
        line([0.5, 0.42], [0.56, 0.9]),
        line([0.56, 0.9], [0.04, 0.94]),
      ),
      line([0.12, 0.02], [0.56, 0.02]),
    ],
  },
  // 5: a long neck and a small belly, the bar last
  {
    label: 5,
    name: 'long neck',
    strokes: [
      path(
        line([0.14, 0], [0.1, 0.58], 8),
        bez([0.1, 0.58], [0.4, 0.48], [0.62, 0.66], [0.54, 0.84]),
        bez([0.54, 0.84], [0.46, 1.0], [0.16, 1.0], [0.04, 0.9]),
      ),
      line([0.14, 0], [0.6, 0.02]),
    ],
  },
  // 5: one stroke, the belly ending in a curl
  {
    label: 5,
    name: 'curled belly',
    strokes: [
      path(
        line([0.56, 0.02], [0.14, 0.02]),
        line([0.14, 0.02], [0.1, 0.4]),
        bez([0.1, 0.4], [0.5, 0.3], [0.66, 0.62], [0.52, 0.86]),
        bez([0.52, 0.86], [0.4, 1.02], [0.04, 0.98], [0.06, 0.84]),
        bez([0.06, 0.84], [0.08, 0.74], [0.2, 0.76], [0.22, 0.84]),
      ),
    ],
  },

  // 6: the loop left open, the pen stopping short of the back
  {
    label: 6,
    name: 'open loop',
    strokes: [
      path(
        bez([0.5, 0.02], [0.2, 0.06], [0.02, 0.4], [0.04, 0.72]),
        bez([0.04, 0.72], [0.06, 1.02], [0.54, 1.02], [0.54, 0.74]),
        bez([0.54, 0.74], [0.54, 0.5], [0.26, 0.48], [0.14, 0.6]),
      ),
    ],
  },
  // 6: the loop curling on inside itself
  {
    label: 6,
    name: 'spiral',
    strokes: [
      path(
        bez([0.5, 0.02], [0.2, 0.06], [0.02, 0.4], [0.04, 0.72]),
        bez([0.04, 0.72], [0.06, 1.02], [0.54, 1.02], [0.54, 0.74]),
        bez([0.54, 0.74], [0.54, 0.48], [0.12, 0.5], [0.1, 0.7]),
        bez([0.1, 0.7], [0.1, 0.84], [0.3, 0.84], [0.32, 0.74]),
      ),
    ],
  },
  // 6: tall and narrow
  {
    label: 6,
    name: 'narrow',
    strokes: [path(bez([0.32, 0], [0.1, 0.1], [0.0, 0.44], [0.02, 0.72]), arc(0.16, 0.76, 0.15, 0.23, 180, 180 + 355))],
  },

  // 7: a wavy top bar
  {
    label: 7,
    name: 'wavy bar',
    strokes: [path(bez([0.0, 0.08], [0.16, -0.06], [0.38, 0.12], [0.6, 0.0]), line([0.6, 0], [0.26, 1], 10))],
  },
  // 7: a short bar and a steep stem
  { label: 7, name: 'steep', strokes: [path(line([0.04, 0.02], [0.52, 0.02]), line([0.52, 0.02], [0.36, 1], 10))] },
  // 7: the stem bending to straight down halfway
  {
    label: 7,
    name: 'bent stem',
    strokes: [path(line([0.02, 0.04], [0.58, 0.02]), line([0.58, 0.02], [0.34, 0.5]), line([0.34, 0.5], [0.3, 1]))],
  },

  // 8: one stroke, a small upper loop on a large lower one
  {
    label: 8,
    name: 'large lower loop',
    strokes: [
      path(
        bez([0.44, 0.08], [0.36, -0.02], [0.16, 0], [0.18, 0.14]),
        bez([0.18, 0.14], [0.2, 0.28], [0.6, 0.36], [0.6, 0.66]),
        bez([0.6, 0.66], [0.6, 1.02], [0, 1.02], [0.02, 0.66]),
        bez([0.02, 0.66], [0.04, 0.4], [0.44, 0.3], [0.44, 0.14]),
        bez([0.44, 0.14], [0.44, 0.06], [0.42, 0.04], [0.38, 0.04]),
      ),
    ],
  },
  // 8: one stroke from the middle, leaning: the upper loop right of the lower
  {
    label: 8,
    name: 'from the middle',
    strokes: [path(arc(0.38, 0.22, 0.17, 0.2, 90, 450), arc(0.3, 0.7, 0.24, 0.28, -90, -450))],
  },
  // 8: the upper loop left open
  {
    label: 8,
    name: 'open top',
    strokes: [
      path(
        bez([0.5, 0.06], [0.36, -0.04], [0.08, 0], [0.1, 0.2]),
        bez([0.1, 0.2], [0.12, 0.42], [0.56, 0.48], [0.56, 0.72]),
        bez([0.56, 0.72], [0.56, 1], [0.04, 1], [0.06, 0.72]),
        bez([0.06, 0.72], [0.08, 0.5], [0.48, 0.42], [0.52, 0.2]),
      ),
    ],
  },

  // 9: a big head on a short stem
  { label: 9, name: 'big head', strokes: [path(arc(0.3, 0.32, 0.28, 0.3, 0, -360), line([0.58, 0.32], [0.56, 1], 6))] },
  // 9: the tail curling back up at the left
  {
    label: 9,
    name: 'curled tail',
    strokes: [
      path(
        arc(0.3, 0.24, 0.24, 0.22, -10, -370),
        bez([0.54, 0.2], [0.56, 0.6], [0.52, 0.92], [0.32, 0.98]),
        bez([0.32, 0.98], [0.14, 1.02], [0.06, 0.9], [0.14, 0.82]),
      ),
    ],
  },
  // 9: the head, then the stem as a stroke of its own from the top
  {
    label: 9,
    name: 'two strokes',
    strokes: [arc(0.28, 0.24, 0.24, 0.22, -30, -390), line([0.54, 0.04], [0.5, 1], 8)],
  },
];
