// view-charts.js: the page's charts on canvases: the loss and accuracy
// curves by epoch (LineChart) and each layer's update size by step on a log
// axis (LogChart), and the page's three, made for their canvases. They draw
// what they are given; app.js feeds them.

import { els } from './ui.js';

/* A chart's canvas sized to its box at the screen's pixel ratio, cleared,
 * with the charts' font and ink: its context and size in CSS pixels. */
function clearCanvas(c) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(c.clientWidth * dpr)),
    h = Math.max(1, Math.round(c.clientHeight * dpr));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  const ctx = c.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const W = c.clientWidth,
    H = c.clientHeight;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5b6474';
  return { ctx, W, H };
}

// The plot's margins inside the canvas, in CSS pixels (the left one is each chart's).
const MARGIN = { right: 10, top: 10, bottom: 22 };

/* 1, 2, 5, 10, 20, 50, ... at least v. */
function niceStep(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= v);
}

/**
 * What both charts share: the canvas, redrawn on resize and at most once a
 * frame (schedule), the points, and the text shown while there are none.
 */
class CanvasChart {
  constructor(canvas, empty) {
    this.canvas = canvas;
    this.empty = empty;
    this.points = [];
    this.queued = false;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset() {
    this.points = [];
    this.schedule();
  }

  /** Draws at the next frame, once however many times it is asked. */
  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.draw();
    });
  }

  /** The cleared canvas to draw on ({ ctx, W, H }), or null with the empty text drawn if there is nothing to plot. */
  begin(nothing) {
    const { ctx, W, H } = clearCanvas(this.canvas);
    if (!nothing) return { ctx, W, H };
    ctx.textAlign = 'center';
    ctx.fillText(this.empty, W / 2, H / 2);
    return null;
  }
}

/** A small line chart on a canvas: x is epochs (the figure's caption says so), y one series. */
class LineChart extends CanvasChart {
  constructor(canvas, { color = '#2457d6', yFormat = (v) => v.toFixed(2), yRange = 'auto', empty = '' } = {}) {
    super(canvas, empty);
    this.color = color;
    this.yFormat = yFormat;
    this.yRange = yRange;
  }

  push(x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.points.push([x, y]);
    if (this.points.length > 1200) {
      // keep drawing cheap: halve old history
      const p = this.points,
        merged = [];
      for (let i = 0; i + 1 < p.length; i += 2) merged.push([(p[i][0] + p[i + 1][0]) / 2, (p[i][1] + p[i + 1][1]) / 2]);
      if (p.length % 2) merged.push(p[p.length - 1]);
      this.points = merged;
    }
    this.schedule();
  }

  draw() {
    const pts = this.points;
    const canvas = this.begin(!pts.length);
    if (!canvas) return;
    const { ctx, W, H } = canvas;
    const { right, top, bottom } = MARGIN,
      left = 44; // room for the y labels
    const xMax = Math.max(1, Math.ceil(pts[pts.length - 1][0]));
    let yMin, yMax;
    if (this.yRange === 'auto') {
      yMin = 0;
      yMax = Math.max(...pts.map((p) => p[1])) * 1.05 || 1;
    } else if (this.yRange === 'accuracy') {
      const lo = Math.min(...pts.map((p) => p[1]));
      yMin = Math.max(0, Math.floor(lo * 10) / 10);
      yMax = 1;
      if (yMax - yMin < 0.1) yMin = 0.9;
    } else {
      [yMin, yMax] = this.yRange;
    }
    const X = (x) => left + (x / xMax) * (W - left - right);
    const Y = (y) => top + (1 - (y - yMin) / (yMax - yMin || 1)) * (H - top - bottom);

    // grid and labels
    ctx.strokeStyle = '#e6e9ef';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = yMin + ((yMax - yMin) * i) / 4;
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(W - right, y);
      ctx.stroke();
      ctx.fillText(this.yFormat(v), left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const stepX = niceStep(xMax / 6);
    for (let e = 0; e <= xMax; e += stepX) ctx.fillText(String(e), X(e), H - 6);

    // series
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    const [lx, ly] = pts[pts.length - 1];
    ctx.fillStyle = this.color;
    ctx.beginPath();
    ctx.arc(X(lx), Y(ly), 3, 0, Math.PI * 2);
    ctx.fill();
  }
}

// The colours of LogChart's series, in turn.
const SERIES = ['#2457d6', '#1f8a4c', '#c73a2b', '#8a5a00', '#6b3fa0', '#0f7c8c', '#5b6474', '#b0407a'];

/**
 * A chart of several series on a log y axis, x the training step: each
 * layer's update size. push(x, ys) adds one point to each series.
 */
class LogChart extends CanvasChart {
  constructor(canvas, legend, { empty = '' } = {}) {
    super(canvas, empty); // points: [x, [y per series]]
    this.legend = legend;
    this.names = [];
  }

  /** Series names (e.g. "layer 1 (784→128)"): a new set clears the chart. */
  setSeries(names) {
    if (names.join() !== this.names.join()) {
      this.names = names;
      this.points = [];
      this.legend.textContent = '';
      names.forEach((n, i) => {
        const s = document.createElement('span');
        s.className = 'legend-item';
        s.style.setProperty('--c', SERIES[i % SERIES.length]);
        s.textContent = n;
        this.legend.appendChild(s);
      });
    }
    this.schedule();
  }

  push(x, ys) {
    if (!Number.isFinite(x) || ys.length !== this.names.length) return;
    const last = this.points[this.points.length - 1];
    if (last && x <= last[0]) this.points = this.points.filter((p) => p[0] < x); // a new network: steps from 0
    this.points.push([x, ys.map((y) => (y > 0 && Number.isFinite(y) ? y : NaN))]);
    if (this.points.length > 600)
      this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
    this.canvas.dataset.points = String(this.points.length);
    this.schedule();
  }

  draw() {
    const pts = this.points;
    const ys = pts.flatMap((p) => p[1]).filter(Number.isFinite);
    const canvas = this.begin(!ys.length);
    if (!canvas) return;
    const { ctx, W, H } = canvas;
    const { right, top, bottom } = MARGIN,
      left = 48; // room for the y labels
    const lo = Math.floor(Math.log10(Math.min(...ys))),
      hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...ys))));
    const x0 = pts[0][0],
      x1 = Math.max(pts[pts.length - 1][0], x0 + 1);
    const X = (x) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
    const Y = (y) => top + (1 - (Math.log10(y) - lo) / (hi - lo)) * (H - top - bottom);
    ctx.strokeStyle = '#e6e9ef';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let e = lo; e <= hi; e++) {
      const y = Math.round(Y(10 ** e)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(W - right, y);
      ctx.stroke();
      ctx.fillText(`1e${e}`, left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const fmt = (v) =>
      v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(Math.round(v));
    for (let k = 0; k <= 4; k++) {
      const v = x0 + ((x1 - x0) * k) / 4;
      ctx.fillText(fmt(v), X(v), H - 6);
    }
    this.names.forEach((_, s) => {
      ctx.strokeStyle = SERIES[s % SERIES.length];
      ctx.fillStyle = ctx.strokeStyle;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false;
      for (const [x, v] of pts) {
        const y = v[s];
        if (!Number.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(X(x), Y(y));
        else ctx.moveTo(X(x), Y(y));
        pen = true;
      }
      ctx.stroke();
      if (pts.length === 1 && Number.isFinite(pts[0][1][s])) {
        ctx.beginPath();
        ctx.arc(X(pts[0][0]), Y(pts[0][1][s]), 3, 0, Math.PI * 2);
        ctx.fill();
      }
    });
  }
}

/* ---------- the page's charts ---------- */

export const lossChart = new LineChart(els.lossChart, {
  color: '#2457d6',
  yFormat: (v) => v.toFixed(2),
  empty: 'Loss appears here while training',
});
export const accChart = new LineChart(els.accuracyChart, {
  color: '#1f8a4c',
  yRange: 'accuracy',
  yFormat: (v) => `${Math.round(v * 100)}%`,
  empty: 'Test accuracy appears here',
});
export const updateChart = new LogChart(els.updateChart, els.updateLegend, {
  empty: 'Update sizes appear here while training',
});

/** Empties the three charts (a new network). */
export function clearCharts() {
  lossChart.reset();
  accChart.reset();
  updateChart.reset();
}
