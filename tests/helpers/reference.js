// The page's reference model: the network the page's Train makes with its
// defaults on the full default data set, trained once by the native CLI
// (about 5 s; tests/browser/engine.test.js proves that the page and the CLI
// make the same bytes) and kept in build/reference/ while the CLI and the
// data are unchanged. Tests that need a trained network open this file in
// the page instead of training again. referenceModel('convnet') is the same
// for the convnet the page offers, with the settings it comes with there:
// C's defaults and augmentation (web/network.js networkChoices).
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fullDataDir, nativeTrain, requireNative, root, run } from './common.js';

const DIR = path.join(root, 'build/reference');
const NETWORKS = {
  default: [],
  // one thread: the same bits as two, and the other core stays free for the suite beside it
  convnet: ['--layers', '28x28,conv5x8,pool2,conv5x16,pool2,128,10', '--augment'],
};

/** The newest modification time of the CLI and the default data set. */
function inputsTime() {
  const files = [
    nativeTrain,
    ...['train-images-idx3-ubyte', 't10k-images-idx3-ubyte'].map((n) => `${fullDataDir}/${n}.gz`),
  ];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

/**
 * The reference model's path and the test accuracy the CLI printed for it
 * (0..1), training it first when it is missing or older than its inputs.
 */
export function referenceModel(network = 'default') {
  requireNative();
  if (!NETWORKS[network]) throw new Error(`no reference network ${network}: ${Object.keys(NETWORKS).join(', ')}`);
  const model = path.join(DIR, `${network}.mnwm`);
  const log = path.join(DIR, `${network}.log`);
  if (!existsSync(model) || !existsSync(log) || statSync(model).mtimeMs < inputsTime()) {
    mkdirSync(DIR, { recursive: true });
    // written under names of this process, then renamed: suites may run side by side
    const tmp = `${model}.${process.pid}`;
    const r = run(nativeTrain, ['--data', fullDataDir, ...NETWORKS[network], '--save', tmp]);
    if (r.status !== 0) throw new Error(`mnist-train could not train the reference model: ${r.stderr.trim()}`);
    writeFileSync(`${log}.${process.pid}`, r.stdout);
    renameSync(`${log}.${process.pid}`, log);
    renameSync(tmp, model);
  }
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const m = lines.at(-1).match(/test (\d+\.\d+)%/);
  if (!m) throw new Error(`the reference model's log ends without a test accuracy: ${lines.at(-1)}`);
  return { file: model, bytes: readFileSync(model), accuracy: Number(m[1]) / 100 };
}
