// The bad-.npz table (csrc/export_npy.c, export_npz.c): a truncated or
// altered zip, a CRC that does not match, a wrong shape or dtype, pickled
// objects, a missing array, a stack that does not fit the arrays, and the
// rest are refused with one message naming the array or the byte offset,
// the same words in loadNetwork, mnist-train and mnist-wasm (which exit 1
// with one stderr line and write nothing); nothing is loaded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNetwork, loadNetwork, heapUsed } from 'mnist-wasm';
import { bin, requireNative } from './helpers/common.js';
import { SEED, badNpzCases, seed } from './helpers/bad-npz.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-export-errors-'));
let real; // an exported .npz of the seed's network
const cases = badNpzCases(() => real);

test.before(async () => {
  const net = await createNetwork({ layers: SEED, seed: 3 });
  real = Buffer.from(net.export('npz'));
  net.dispose();
  assert.ok((await loadNetwork(seed())).dispose() === undefined, 'the table starts from an .npz that loads');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

for (const [name, bytes, message] of cases) {
  test(`loadNetwork refuses ${name}, and loads nothing`, async () => {
    const before = await heapUsed();
    let err = null;
    try {
      (await loadNetwork(bytes())).dispose();
    } catch (e) {
      err = e;
    }
    assert.ok(err, `${name}: loaded`);
    assert.is(err.message, `loadNetwork: ${message()}`);
    assert.ok(/^NN_ERR_/.test(err.code), `code ${err.code}`);
    assert.is(await heapUsed(), before, 'heap in use after a refusal');
  });

  test(`mnist-train and mnist-wasm refuse ${name} with the same line`, () => {
    const { train } = requireNative();
    const file = path.join(tmp, `${name.replace(/\W+/g, '-')}.npz`);
    const out = `${file}.onnx`;
    writeFileSync(file, bytes());
    for (const [program, cmd, pre] of [
      ['mnist-train', train, []],
      ['mnist-wasm', process.execPath, [bin]],
    ]) {
      const r = spawnSync(cmd, [...pre, 'export', '--load', file, '--format', 'onnx', '--out', out], {
        encoding: 'utf8',
      });
      assert.is(r.stderr, `${program}: ${file}: ${message()}\n`);
      assert.is(r.status, 1, `${program} exit status`);
      assert.is(r.stdout, '', `${program} printed`);
      assert.not.ok(existsSync(out), `${program} wrote ${out}`);
    }
  });
}

test.run();
