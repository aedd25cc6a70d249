// Memory of the Node command: one epoch of 60,000 images (Fashion-MNIST,
// Debian's dataset-fashion-mnist) peaks at no more than 145 MB resident,
// because the data live once, in the wasm heap (issue 9): a second copy of
// them would add 47 MB. The peak comes as the data load, while the engine
// also compiles the module: 138-141 MB here. Prints the figure (and
// mnist-train's, where /usr/bin/time can measure it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, nativeTrain, root, run } from './helpers/common.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const LIMIT_MB = 145;

test('mnist-wasm train: one epoch of Fashion-MNIST within 145 MB resident', () => {
  if (!existsSync(path.join(FASHION, 'train-images-idx3-ubyte.gz')))
    assert.unreachable(`${FASHION} is missing: apt-get install dataset-fashion-mnist (scripts/setup.sh does)`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-cli-memory-'));
  try {
    const file = path.join(tmp, 'peak');
    const args = ['train', '--data', FASHION, '--epochs', '1'];
    const r = run(process.execPath, ['--require', path.join(root, 'tests/helpers/peak-rss.cjs'), bin, ...args], {
      env: { ...process.env, PEAK_RSS_FILE: file },
      timeout: 60000,
    });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^epoch 1  loss \d\.\d{4}  test \d+\.\d{2}%/);
    const mb = (Number(readFileSync(file, 'utf8')) * 1024) / 1e6; // kB (KiB) -> MB, the stricter reading of 145 MB
    assert.ok(mb > 0, 'VmHWM read');
    let nativeMb = null;
    if (existsSync('/usr/bin/time') && existsSync(nativeTrain)) {
      const n = run('/usr/bin/time', ['-f', '%M', nativeTrain, ...args.slice(1)]);
      if (n.status === 0) nativeMb = (Number(n.stderr.trim().split('\n').pop()) * 1024) / 1e6;
    }
    console.log(
      `\n  peak resident, one epoch of Fashion-MNIST: mnist-wasm ${mb.toFixed(1)} MB` +
        (nativeMb === null ? '' : `, mnist-train ${nativeMb.toFixed(1)} MB`) +
        ` (limit ${LIMIT_MB} MB)`,
    );
    assert.ok(mb <= LIMIT_MB, `mnist-wasm peaked at ${mb.toFixed(1)} MB, over ${LIMIT_MB} MB`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
