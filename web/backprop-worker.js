// backprop-worker.js: the worker's half of the backpropagation panel
// (web/backprop.js): one step of learning on one image, computed where the
// network lives. The numbers are the API's (net.gradients, gradientCheck,
// layerParameters); the step is taken on a copy, so that the network is
// unchanged until the page applies it.
import { loadNetwork } from './lib/index.js';

const CHECK_COUNT = 10; // parameters of each layer the gradient check probes

let pending = null; // { copy, steps }: the last step's copy, until applied or replaced

function dropCopy() {
  pending?.copy.dispose();
  pending = null;
}

/**
 * The panel's numbers for image and label: gradients, parameters, the
 * gradient check, and the probabilities after W <- W - lr dL/dW on a copy
 * (plain SGD, batch 1, no weight decay, at the network's learning rate),
 * with the buffers to transfer.
 */
export async function stepOfLearning(net, image, label) {
  const t0 = performance.now();
  const g = net.gradients(image, label);
  const parameters = net.layerParameters();
  const check = net.gradientCheck(image, label, { count: CHECK_COUNT });
  const { learningRate, input, activation } = net.options;
  const bytes = net.save(); // with the numbers above, before anything awaits: training cannot step between
  const steps = net.steps;
  dropCopy();
  const copy = await loadNetwork(bytes);
  copy.setOptions({ optimizer: 'sgd', batchSize: 1, schedule: 'constant', weightDecay: 0, augment: false });
  copy.step(image, new Uint8Array([label]));
  const after = copy.predict(image);
  pending = { copy, steps };
  const result = {
    gradients: g,
    parameters,
    check,
    layers: net.layers,
    learningRate,
    input,
    activation,
    steps,
    after,
    lossAfter: -Math.log(after[label]),
    ms: performance.now() - t0,
  };
  const buffers = new Set([g.layers[0].z.buffer, after.buffer]);
  for (const p of parameters) buffers.add(p.weights.buffer).add(p.biases.buffer);
  return [result, [...buffers]];
}

/**
 * The network with the copy's step applied: a network loaded from the
 * copy, with net's training options (optimizer, rate, batch, schedule,
 * weight decay, augmentation) given back; null if net has changed since
 * the step was computed (training went on) or there is none.
 */
export async function appliedStep(net, threads) {
  if (!pending || pending.steps !== net.steps) {
    dropCopy();
    return null;
  }
  const { optimizer, learningRate, batchSize, schedule, weightDecay, augment } = net.options;
  const applied = await loadNetwork(pending.copy.save(), { threads });
  applied.setOptions({ optimizer, learningRate, batchSize, schedule, weightDecay, augment });
  dropCopy();
  return applied;
}

/** The panel closed: nothing to apply. */
export function forgetStep() {
  dropCopy();
}
