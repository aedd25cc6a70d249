// pad.js: the drawing pad (pointer events: mouse, pen, touch) and the MNIST
// preprocessing of what is drawn. It does not talk to the network: app.js
// passes the 28x28 input on. preprocess() is a pure function, usable in Node.

export const SIDE = 28;   // MNIST image side
export const BOX = 20;    // MNIST fits each digit's bounding box into 20x20
const INK_MIN = 1 / 255;  // a pixel with any ink counts for the bounding box

/**
 * MNIST preprocessing of a drawing: crop to the ink's bounding box, scale it
 * to fit 20x20 keeping the aspect ratio (area-averaged, so anti-aliased), put
 * it in 28x28 and shift it so that its centre of mass is the image centre.
 * ink: w*h intensities in 0..1 (row-major). Returns a Float32Array(784) in
 * 0..1, or null when there is no ink.
 */
export function preprocess(ink, w, h) {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (ink[row + x] >= INK_MIN) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.min(BOX, Math.round(bw * scale)));
  const th = Math.max(1, Math.min(BOX, Math.round(bh * scale)));

  // Separable area resampling of the box (x0..x1, y0..y1) to tw x th.
  const cols = resampleAxis(x0, bw, tw);
  const rows = resampleAxis(y0, bh, th);
  const tmp = new Float32Array(tw * bh);          // (bh, tw): horizontal pass
  for (let y = 0; y < bh; y++) {
    const src = (y0 + y) * w;
    for (let tx = 0; tx < tw; tx++) {
      const { start, weights } = cols[tx];
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += ink[src + start + k] * weights[k];
      tmp[y * tw + tx] = s;
    }
  }
  const small = new Float32Array(tw * th);        // (th, tw): vertical pass
  for (let ty = 0; ty < th; ty++) {
    const { start, weights } = rows[ty];
    for (let tx = 0; tx < tw; tx++) {
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += tmp[(start - y0 + k) * tw + tx] * weights[k];
      small[ty * tw + tx] = Math.min(1, s);
    }
  }

  // Centre of mass of the scaled digit, then the shift that puts it at the
  // centre of 28x28 (MNIST's centre of mass sits at (14, 14) in pixel indices).
  const ox = (SIDE - tw) >> 1, oy = (SIDE - th) >> 1;
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v; mx += v * (x + ox); my += v * (y + oy);
    }
  }
  let dx = 0, dy = 0;
  if (mass > 0) {
    dx = Math.round(SIDE / 2 - mx / mass);
    dy = Math.round(SIDE / 2 - my / mass);
    // Keep the whole digit inside the image.
    dx = Math.max(-ox, Math.min(SIDE - tw - ox, dx));
    dy = Math.max(-oy, Math.min(SIDE - th - oy, dy));
  }
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(y + oy + dy) * SIDE + (x + ox + dx)] = small[y * tw + x];
  }
  return out;
}

/* For each of n target cells over a source span [start, start+len): the
 * first source index and the weight of each source pixel it covers (the
 * weights of one cell sum to 1: an average over the area). */
function resampleAxis(start, len, n) {
  const step = len / n;
  const cells = [];
  for (let i = 0; i < n; i++) {
    const a = i * step, b = (i + 1) * step;
    const first = Math.floor(a), last = Math.min(len - 1, Math.ceil(b) - 1);
    const weights = new Float32Array(last - first + 1);
    for (let k = first; k <= last; k++) {
      weights[k - first] = (Math.min(b, k + 1) - Math.max(a, k)) / step;
    }
    cells.push({ start: start + first, weights });
  }
  return cells;
}

/** Ink intensities (0..1) from RGBA pixels: the alpha channel. */
export function inkFromRGBA(rgba, w, h) {
  const ink = new Float32Array(w * h);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4 + 3] / 255;
  return ink;
}

/**
 * The pad: draws strokes with round caps on a transparent canvas (the page
 * shows it on white), so the alpha channel is the anti-aliased ink.
 * onInput(kind) is called with 'start', 'move' and 'end' as a stroke goes,
 * and with 'clear'.
 */
export class Pad {
  constructor(canvas, { onInput = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.onInput = onInput;
    this.pointer = null;   // id of the pointer that draws
    this.last = null;      // last point, in canvas pixels
    this.empty = true;
    this.lineWidth = Math.round(canvas.width / 14);  // about MNIST's stroke width once scaled to 20x20
    this.#listen();
  }

  isEmpty() { return this.empty; }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.empty = true;
    this.pointer = null;
    this.last = null;
    this.onInput('clear');
  }

  /** The 28x28 network input (Float32Array, 0..1), or null for an empty pad. */
  read() {
    if (this.empty) return null;
    const { width: w, height: h } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, w, h).data;
    return preprocess(inkFromRGBA(rgba, w, h), w, h);
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    // The border is part of the box; the drawing surface is the content box.
    const bx = this.canvas.clientLeft, by = this.canvas.clientTop;
    const cw = this.canvas.clientWidth || r.width, ch = this.canvas.clientHeight || r.height;
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
      if (this.pointer !== null) return;                     // one pointer draws at a time
      if (e.pointerType === 'mouse' && e.button !== 0) return;
      e.preventDefault();
      this.pointer = e.pointerId;
      try { c.setPointerCapture(e.pointerId); } catch { /* synthetic pointers may not capture */ }
      this.last = this.#point(e);
      this.#dot(this.last);
      this.empty = false;
      this.onInput('start');
    });
    c.addEventListener('pointermove', (e) => {
      if (e.pointerId !== this.pointer) return;
      e.preventDefault();
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const ev of events.length ? events : [e]) {
        const p = this.#point(ev);
        this.#segment(this.last, p);
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
