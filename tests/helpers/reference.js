// The page's reference model: the network the page's Train makes with its
// defaults on the full default data set, trained once by the native CLI
// (about 5 s; tests/browser/engine.test.js proves that the page and the CLI
// make the same bytes) and kept in build/reference/ while the CLI and the
// data are unchanged. Tests that need a trained network open this file in
// the page instead of training again.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fullDataDir, nativeTrain, requireNative, root, run } from './common.js';

const DIR = path.join(root, 'build/reference');
export const REFERENCE_MODEL = path.join(DIR, 'default.mnwm');
const LOG = path.join(DIR, 'default.log');

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
export function referenceModel() {
  requireNative();
  if (!existsSync(REFERENCE_MODEL) || !existsSync(LOG) || statSync(REFERENCE_MODEL).mtimeMs < inputsTime()) {
    mkdirSync(DIR, { recursive: true });
    // written under names of this process, then renamed: suites may run side by side
    const tmp = `${REFERENCE_MODEL}.${process.pid}`;
    const r = run(nativeTrain, ['--data', fullDataDir, '--save', tmp]);
    if (r.status !== 0) throw new Error(`mnist-train could not train the reference model: ${r.stderr.trim()}`);
    writeFileSync(`${LOG}.${process.pid}`, r.stdout);
    renameSync(`${LOG}.${process.pid}`, LOG);
    renameSync(tmp, REFERENCE_MODEL);
  }
  const lines = readFileSync(LOG, 'utf8').trim().split('\n');
  const m = lines.at(-1).match(/test (\d+\.\d+)%/);
  if (!m) throw new Error(`the reference model's log ends without a test accuracy: ${lines.at(-1)}`);
  return { file: REFERENCE_MODEL, bytes: readFileSync(REFERENCE_MODEL), accuracy: Number(m[1]) / 100 };
}
