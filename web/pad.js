// pad.js: the drawing pad (pointer events: mouse, pen, touch) and the MNIST
// preprocessing of what is drawn. It does not talk to the network: app.js
// passes the 28x28 input on. preprocess() is a pure function, usable in Node.

export const SIDE = 28; // MNIST image side
export const BOX = 20; // MNIST fits each digit's bounding box into 20x20

/*
 * The pen in the 20x20 frame, chosen by measurement against real MNIST
 * digits (the 10,000 of web/data; `node tests/helpers/stroke-stats.js`
 * prints these figures). MNIST, per digit: ink (sum of pixel/255) 102.8 on
 * average; stroke width (ink / skeleton length, the skeleton from thinning
 * the pixels >= 0.5) 2.67 on average (median 2.47, 10-90% 1.73-3.83); of
 * the pixels with any ink, 29% are solid (>= 0.99) and the rest are a soft
 * edge; 150 pixels with ink; the box of those exactly 20; centre of mass at
 * (14.00, 14.00) in pixel indices. Our stroke set (tests/helpers/strokes.js)
 * rendered with PEN 2.6 and EDGE 1.4 gives width 2.68, 31% solid, 147
 * pixels with ink, box 20, ink 95.9 (our digits' paths are a little shorter
 * than MNIST's); an edge of 1.0 px would give 45% solid, 2.0 px 14%.
 * Reading the stroke set with a network trained on the default data is
 * flat from PEN 2.25 to 2.75 (179 of 180) and lower at 1.5 (172) and at 3
 * and 3.5 (177), so PEN sits at MNIST's mean width, in that plateau.
 */
export const PEN = 2.6; // pen width, in 28x28 pixels: ink where the distance to the path < PEN/2
export const EDGE = 1.4; // anti-aliased edge: ink falls from 1 to 0 over EDGE pixels across PEN/2
const CENTRE = SIDE / 2; // where MNIST's centre of mass sits, in pixel indices

/**
 * MNIST preprocessing of a drawing given as its pen path: strokes, each a
 * list of points {x, y} in any one coordinate system (the pad's pixels). The
 * path's bounding box is scaled, keeping its aspect ratio, so that the ink
 * (the path with a round pen PEN wide and its soft EDGE) fits 20x20; the
 * path is drawn at that scale with that pen, anti-aliased (each pixel's ink
 * is a ramp of its centre's distance to the path), and moved so that its
 * centre of mass is the centre of 28x28. The pen is the same whatever the
 * size of the drawing, so a tiny and a huge drawing give the same input.
 * Returns a Float32Array(784) in 0..1, or null when there is no point.
 */
export function preprocess(strokes) {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    n = 0;
  for (const stroke of strokes) {
    for (const p of stroke) {
      if (p.x < x0) x0 = p.x;
      if (p.x > x1) x1 = p.x;
      if (p.y < y0) y0 = p.y;
      if (p.y > y1) y1 = p.y;
    }
    n += Math.max(1, stroke.length - 1);
  }
  if (!(x1 >= x0)) return null;
  const reach = (PEN + EDGE) / 2; // ink reaches this far from the path
  const extent = Math.max(x1 - x0, y1 - y0);
  const scale = extent > 0 ? (BOX - 2 * reach) / extent : 0;
  const cx = (x0 + x1) / 2,
    cy = (y0 + y1) / 2;

  // The path's segments in the frame, centred on the box's centre: (n, 4) as ax, ay, bx, by.
  // A stroke of one point (a tap) is a dot: a segment of length 0.
  const seg = new Float64Array(n * 4);
  let k = 0;
  for (const stroke of strokes) {
    if (!stroke.length) continue;
    let ax = (stroke[0].x - cx) * scale,
      ay = (stroke[0].y - cy) * scale;
    if (stroke.length === 1) {
      seg.set([ax, ay, ax, ay], k);
      k += 4;
    }
    for (let i = 1; i < stroke.length; i++) {
      const bx = (stroke[i].x - cx) * scale,
        by = (stroke[i].y - cy) * scale;
      seg[k++] = ax;
      seg[k++] = ay;
      seg[k++] = bx;
      seg[k++] = by;
      ax = bx;
      ay = by;
    }
  }
  const segments = seg.subarray(0, k);

  // Drawn once with the box's centre at the image's centre, for the centre
  // of mass; then again moved by what puts that at the centre (the path is
  // a vector, so the move is exact, not rounded to pixels), as far as the
  // ink stays inside the image.
  const first = render(segments, CENTRE, CENTRE);
  let mass = 0,
    mx = 0,
    my = 0;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = first[y * SIDE + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  if (!(mass > 0)) return first;
  const room = (w) => Math.max(0, SIDE / 2 - (w * scale) / 2 - reach);
  const clamp = (v, r) => Math.max(-r, Math.min(r, v));
  const dx = clamp(CENTRE - mx / mass, room(x1 - x0));
  const dy = clamp(CENTRE - my / mass, room(y1 - y0));
  return render(segments, CENTRE + dx, CENTRE + dy);
}

/* The segments (frame coordinates, (n, 4)) drawn with the pen, the frame's
 * origin at (ox, oy) in the image (pixel (x, y) has its centre at x + 0.5,
 * y + 0.5). out is (28, 28): for each pixel the distance from its centre to
 * the nearest segment, then the ink of that distance. */
function render(segments, ox, oy) {
  const d2 = new Float32Array(SIDE * SIDE).fill(Infinity);
  const reach = (PEN + EDGE) / 2;
  for (let s = 0; s < segments.length; s += 4) {
    const ax = segments[s] + ox - 0.5,
      ay = segments[s + 1] + oy - 0.5; // in pixel-centre units
    const ux = segments[s + 2] + ox - 0.5 - ax,
      uy = segments[s + 3] + oy - 0.5 - ay;
    const len2 = ux * ux + uy * uy;
    const xa = Math.max(0, Math.ceil(Math.min(ax, ax + ux) - reach));
    const xb = Math.min(SIDE - 1, Math.floor(Math.max(ax, ax + ux) + reach));
    const ya = Math.max(0, Math.ceil(Math.min(ay, ay + uy) - reach));
    const yb = Math.min(SIDE - 1, Math.floor(Math.max(ay, ay + uy) + reach));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const px = x - ax,
          py = y - ay;
        let t = len2 > 0 ? (px * ux + py * uy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - t * ux,
          ey = py - t * uy,
          q = ex * ex + ey * ey;
        if (q < d2[y * SIDE + x]) d2[y * SIDE + x] = q;
      }
    }
  }
  const out = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < out.length; i++) {
    const v = (PEN / 2 - Math.sqrt(d2[i])) / EDGE + 0.5;
    out[i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
  }
  return out;
}

/**
 * The pad: keeps the pen's path (strokes of points in canvas pixels, every
 * coalesced pointer event's point) and shows it with a round pen on a
 * transparent canvas (the page shows it on white). The network's input is
 * made from the path, not from these pixels. onInput(kind) is called with
 * 'start', 'move' and 'end' as a stroke goes, and with 'clear'.
 */
export class Pad {
  constructor(canvas, { onInput = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onInput = onInput;
    this.pointer = null; // id of the pointer that draws
    this.last = null; // last point, in canvas pixels
    this.strokes = []; // the path: strokes of {x, y} in canvas pixels
    this.lineWidth = Math.round(canvas.width / 14); // what the person sees; the input uses PEN
    this.#listen();
  }

  isEmpty() {
    return this.strokes.length === 0;
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = [];
    this.pointer = null;
    this.last = null;
    this.onInput('clear');
  }

  /** The 28x28 network input (Float32Array, 0..1), or null for an empty pad. */
  read() {
    return preprocess(this.strokes);
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    // The border is part of the box; the drawing surface is the content box.
    const bx = this.canvas.clientLeft,
      by = this.canvas.clientTop;
    const cw = this.canvas.clientWidth || r.width,
      ch = this.canvas.clientHeight || r.height;
    return {
      x: ((e.clientX - r.left - bx) / cw) * this.canvas.width,
      y: ((e.clientY - r.top - by) / ch) * this.canvas.height,
    };
  }

  #dot(p) {
    const { ctx } = this;
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.arc(p.x, p.y, this.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
  }

  #segment(a, b) {
    const { ctx } = this;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = this.lineWidth;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  #listen() {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => {
      if (this.pointer !== null) return; // one pointer draws at a time
      if (e.pointerType === 'mouse' && e.button !== 0) return;
      e.preventDefault();
      this.pointer = e.pointerId;
      try {
        c.setPointerCapture(e.pointerId);
      } catch {
        /* synthetic pointers may not capture */
      }
      this.last = this.#point(e);
      this.#dot(this.last);
      this.strokes.push([this.last]);
      this.onInput('start');
    });
    c.addEventListener('pointermove', (e) => {
      if (e.pointerId !== this.pointer) return;
      e.preventDefault();
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const ev of events.length ? events : [e]) {
        const p = this.#point(ev);
        this.#segment(this.last, p);
        this.strokes[this.strokes.length - 1].push(p);
        this.last = p;
      }
      this.onInput('move');
    });
    const end = (e) => {
      if (e.pointerId !== this.pointer) return;
      this.pointer = null;
      this.last = null;
      this.onInput('end');
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('lostpointercapture', end);
    // No context menu or text selection from a long press while drawing.
    c.addEventListener('contextmenu', (e) => e.preventDefault());
  }
}
