// evaluation.js: Network.evaluate and Network.evaluator over C's evaluation
// (csrc/wasm_api.c evaluation_*): accuracy, mean loss, the confusion matrix
// and the first misclassified samples, read out of the heap. network.js
// checks the network and the samples; this file runs C and reads results.

import { optionsObject, integer } from './checks.js';

// Misclassified samples that evaluate() lists, and at most this many of one true label (0: any).
const WRONG_CAP = 64;
const WRONG_PER_LABEL = 0;

/** evaluate's options: { wrong, wrongPerLabel } with their defaults. */
export function evaluateOptions(options, w) {
  const o = optionsObject(options, 'evaluate', ['wrong', 'wrongPerLabel']);
  const max = w.facts.limits.maxWrong;
  return {
    wrong: o.wrong === undefined ? WRONG_CAP : integer(o.wrong, 'wrong', 0, max),
    wrongPerLabel: o.wrongPerLabel === undefined ? WRONG_PER_LABEL : integer(o.wrongPerLabel, 'wrongPerLabel', 0, max),
  };
}

/** predict / evaluate: finite weights whose outputs overflow for these inputs. */
export function overflowError(fn) {
  const e = new Error(
    `${fn}: the network's outputs are NaN or infinite for these images (pixels far outside 0..1, or weights too large)`,
  );
  e.code = 'NN_ERR_DIVERGED';
  return e;
}

/** A new C evaluation for `classes` outputs; the caller frees it. */
function newEvaluation(w, classes, o, fn) {
  const ev = w.M._evaluation_new(classes, o.wrong, o.wrongPerLabel);
  if (!ev) throw w.error(w.status.NN_ERR_NOMEM, `${fn}: allocating the evaluation`);
  return ev;
}

/** Throws the status of an evaluation call unless it is NN_OK. */
function checkStatus(w, status) {
  if (status === w.DIVERGED) throw overflowError('evaluate');
  w.check(status, 'evaluate');
}

/** Runs one C evaluation (run(ev) fills it and returns its status) and reads the result out. */
export function evaluation(w, classes, o, run, labelOf) {
  const ev = newEvaluation(w, classes, o, 'evaluate');
  try {
    checkStatus(w, run(ev));
    return results(w, ev, classes, labelOf);
  } finally {
    w.M._evaluation_free(ev);
  }
}

/** An evaluation's numbers, read out of C. */
function results(w, ev, k, labelOf) {
  const out = w.malloc(32 + 12, 'the evaluation results');
  try {
    w.check(w.M._evaluation_results(ev, out, out + 32, out + 36, out + 40), 'evaluate');
    const [samples, correct, lossSum, wrongCount] = w.f64.slice(out >> 3, (out >> 3) + 4);
    const [conf, wrong, pred] = w.u32.slice((out + 32) >> 2, (out + 44) >> 2);
    const c = w.u32.slice(conf >> 2, (conf >> 2) + k * k);
    const idx = w.i32.slice(wrong >> 2, (wrong >> 2) + wrongCount);
    const prd = w.i32.slice(pred >> 2, (pred >> 2) + wrongCount);
    return {
      accuracy: correct / samples,
      loss: lossSum / samples,
      samples,
      confusion: Array.from({ length: k }, (_, i) => Array.from(c.subarray(i * k, i * k + k))),
      wrong: Array.from(idx, (index, j) => ({ index, label: labelOf(index), predicted: prd[j] })),
    };
  } finally {
    w.free(out);
  }
}

/**
 * Network.evaluator: the dataset's n ready samples in slices. livePtr()
 * is the network's C pointer, checked live at each step (setOptions may
 * replace it between steps).
 */
export function evaluator(w, classes, dataset, o, livePtr) {
  const n = dataset.ready;
  if (n === 0) throw new RangeError('evaluator: no samples of the dataset have arrived yet');
  const ev = newEvaluation(w, classes, o, 'evaluator');
  let at = 0,
    freed = false;
  const dispose = () => {
    if (!freed) {
      freed = true;
      w.M._evaluation_free(ev);
    }
  };
  return {
    total: n,
    get done() {
      return at >= n;
    },
    step: (count) => {
      if (freed) throw new Error('evaluator: disposed');
      integer(count, 'count', 1, 2 ** 31 - 1);
      const ptr = livePtr();
      const c = Math.min(n - at, count);
      checkStatus(w, w.M._evaluate_dataset(ev, ptr, dataset.pointer, at, c));
      at += c;
      return at >= n;
    },
    result: () => {
      if (freed) throw new Error('evaluator: disposed (result() frees it)');
      try {
        return results(w, ev, classes, (i) => dataset.label(i));
      } finally {
        dispose();
      }
    },
    dispose,
  };
}
