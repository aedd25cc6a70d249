// Every function the wasm module exports has a caller in the package's
// JavaScript (web/lib, bin), and every export that JavaScript calls is in
// the one list of exports (cmake/wasm.cmake) and in the built module: no
// dead export, none missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { init } from 'mnist-wasm';
import { root } from './helpers/common.js';

const cmake = readFileSync(path.join(root, 'cmake/wasm.cmake'), 'utf8');
const listed = cmake
  .match(/set\(NN_WASM_EXPORTS([\s\S]*?)\)/)[1]
  .split(/\s+/)
  .filter(Boolean);
const js = ['web/lib', 'bin']
  .flatMap((dir) =>
    readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(path.join(root, dir, f), 'utf8')),
  )
  .join('\n');
// M._name(...) calls (and the glue's own _malloc/_free through them)
const called = new Set([...js.matchAll(/\bM\._([a-z][a-z0-9_]*)\b/g)].map((m) => m[1]));

test('every listed export has a caller in the JavaScript', () => {
  assert.ok(listed.length > 50, `read ${listed.length} exports from cmake/wasm.cmake`);
  const dead = listed.filter((name) => !new RegExp(`\\b_${name}\\b`).test(js));
  assert.equal(dead, [], `exported with no caller: ${dead.join(', ')}`);
});

test('every export the JavaScript calls is listed and built', async () => {
  assert.ok(called.size > 50, `found ${called.size} calls`);
  const unlisted = [...called].filter((name) => !listed.includes(name));
  assert.equal(unlisted, [], `called but not exported: ${unlisted.join(', ')}`);
  const { M } = await init();
  const missing = [...called].filter((name) => typeof M[`_${name}`] !== 'function');
  assert.equal(missing, [], `not in the built module: ${missing.join(', ')}`);
});

test.run();
