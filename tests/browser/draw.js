// Drawing pen paths on the pad as a person does, with real input through
// Chromium: the mouse or a finger (CDP input events, which the page
// receives as pointer events with pointerType 'mouse', 'pen' or 'touch'),
// returning once the page has had each stroke's end; and reading back the
// 28x28 input that the page shows (#input-view).

import { resample } from '../helpers/strokes.js';

/** The content box of the pad in page coordinates. */
export async function padBox(page) {
  return page.locator('#pad').evaluate((c) => {
    const r = c.getBoundingClientRect();
    return { x: r.left + c.clientLeft, y: r.top + c.clientTop, w: c.clientWidth, h: c.clientHeight };
  });
}

/**
 * A pen on the page's pad: strokes go through Chromium's real input
 * pipeline (CDP Input.dispatchMouseEvent / dispatchTouchEvent), so the page
 * gets trusted pointer events with pointerType 'mouse', 'pen' or 'touch'. A
 * stroke's events are sent in one burst, as a fast mouse (or finger) does:
 * Chromium coalesces them into one pointermove per frame and the rest come
 * with getCoalescedEvents(), as on a real screen. (One awaited event per
 * frame, page.mouse's way, costs 17 ms a point.)
 *
 * draw(strokes, { input, gap, whole }): strokes are lists of [x, y] in 0..1
 * of the pad; input 'mouse', 'pen' or 'touch'; points are sent every `gap`
 * page pixels along each stroke, rounded to whole page pixels as a mouse on
 * a screen of one device pixel per CSS pixel gives them (Chromium would pass
 * fractions on, which a hand never draws on such a screen); whole: 'pad'
 * rounds to whole pixels from the pad's corner instead, so that a drawing
 * gives the same input wherever the pad sits (an alert above it moves it by
 * a fraction of a pixel).
 */
export async function pen(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const mouse =
    (pointerType) =>
    (type, [x, y], buttons = 1) =>
      cdp.send('Input.dispatchMouseEvent', {
        type,
        x,
        y,
        button: buttons || type !== 'mouseMoved' ? 'left' : 'none',
        buttons,
        clickCount: 1,
        pointerType,
      });
  const touch = (type, p) =>
    cdp.send('Input.dispatchTouchEvent', {
      type,
      touchPoints: p ? [{ x: p[0], y: p[1], id: 1, radiusX: 1, radiusY: 1, force: 0.5 }] : [],
    });
  return {
    async draw(strokes, { input = 'mouse', gap = 3, whole = 'page' } = {}) {
      const box = await padBox(page);
      const before = await strokeEnds(page);
      for (const stroke of strokes) {
        const pts = resample(
          stroke.map(([x, y]) => [box.x + x * box.w, box.y + y * box.h]),
          gap,
        ).map(([x, y]) =>
          whole === 'pad'
            ? [box.x + Math.round(x - box.x), box.y + Math.round(y - box.y)]
            : [Math.round(x), Math.round(y)],
        );
        const m = mouse(input);
        const sent =
          input === 'touch'
            ? [touch('touchStart', pts[0]), ...pts.slice(1).map((p) => touch('touchMove', p)), touch('touchEnd')]
            : [
                m('mouseMoved', pts[0], 0),
                m('mousePressed', pts[0]),
                ...pts.slice(1).map((p) => m('mouseMoved', p)),
                m('mouseReleased', pts[pts.length - 1], 0),
              ];
        await Promise.all(sent);
      }
      // Chromium acknowledges touch input before the page has handled it:
      // done once every stroke's end has reached the page
      await page.waitForFunction((n) => window.__strokeEnds >= n, before + strokes.length, { timeout: 10_000 });
    },
  };
}

/** How many strokes have ended on the page (pointerup or pointercancel), counted from the first call on this document. */
function strokeEnds(page) {
  return page.evaluate(() => {
    if (window.__strokeEnds === undefined) {
      window.__strokeEnds = 0;
      const count = () => window.__strokeEnds++;
      window.addEventListener('pointerup', count, true);
      window.addEventListener('pointercancel', count, true);
    }
    return window.__strokeEnds;
  });
}

/** The 28x28 input the page shows (#input-view), as 784 numbers in 0..1. */
export function inputView(page) {
  return page.locator('#input-view').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    const out = [];
    for (let i = 0; i < 784; i++) out.push(d[i * 4] / 255);
    return out;
  });
}

/** Pearson correlation of two equal-length arrays. */
export function pearson(a, b) {
  const n = a.length;
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma,
      y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}
