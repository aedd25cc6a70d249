// reading.js: the pad and its reading: the drawing read by the worker as
// it is drawn (one forward pass whose layers feed both the prediction and
// the inside view's forward pass), stale answers dropped.

import { els } from './ui.js';
import { setTeach } from './view-personal.js';
import { setInputView, setPrediction } from './view-prediction.js';
import { Pad } from './pad.js';
import { call } from './worker-link.js';
import { app, report } from './page-state.js';

/**
 * Makes the pad and reads what is drawn on it. forward: the inside view's
 * forward pass (js ForwardView); backprop: the backpropagation panel
 * (backprop.js), given each drawing. Returns { pad, repredictSoon(delay) }:
 * repredictSoon reads the drawing again after delay ms (the network changed).
 */
export function readPad({ forward, backprop }) {
  let pad = null;
  let predictSeq = 0; // bumps on every new request; stale answers are dropped
  let inFlight = false;
  let again = false;

  /* Reads the drawing: one forward pass in the worker whose layers feed both
   * the prediction (the last layer) and the inside view. */
  async function predictNow() {
    if (inFlight) {
      again = true;
      return;
    }
    const input = pad.read();
    setInputView(input);
    backprop.setDrawing(input);
    const seq = ++predictSeq;
    if (!input || !app.hasNet) {
      setPrediction(null);
      forward.set(null);
      return;
    }
    inFlight = true;
    const shown = input.slice();
    try {
      const { layers } = await call('inspect', { image: input }, [input.buffer]);
      if (seq === predictSeq) {
        const probs = layers[layers.length - 1];
        setPrediction(probs);
        forward.set([shown, ...layers]);
        setTeach({ enabled: !pad.isEmpty(), predicted: probs.indexOf(Math.max(...probs)) });
      }
    } catch (e) {
      report(e, `Could not read the drawing: ${e.message}`);
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        predictNow();
      }
    }
  }

  let moveTimer = 0;
  let repredictTimer = 0;
  function repredictSoon(delay = 400) {
    if (pad.isEmpty() || repredictTimer) return;
    repredictTimer = setTimeout(() => {
      repredictTimer = 0;
      predictNow();
    }, delay);
  }

  pad = new Pad(els.pad, {
    onInput(kind) {
      if (kind !== 'clear') app.touched = true;
      if (kind === 'clear') {
        predictSeq++;
        again = false;
        setPrediction(null);
        setInputView(null);
        forward.set(null);
        setTeach({ enabled: false });
      } else if (kind === 'end') {
        clearTimeout(moveTimer);
        moveTimer = 0;
        predictNow();
      } else if (!moveTimer) {
        // live reading while drawing, every 60 ms
        moveTimer = setTimeout(() => {
          moveTimer = 0;
          predictNow();
        }, 60);
      }
    },
  });
  els.clear.addEventListener('click', () => pad.clear());
  return { pad, repredictSoon };
}
