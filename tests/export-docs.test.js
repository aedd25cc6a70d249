// docs/export.md as written: its commands (npx mnist-wasm, run as
// bin/mnist-wasm.js), then its NumPy, onnxruntime-web and TensorFlow.js
// examples, each run from a folder with the files the commands wrote, must
// print the digits the package reads in the first ten test images.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNetwork, parseIdx } from 'mnist-wasm';
import { bin, root, run } from './helpers/common.js';

// inside the package, so that the examples' imports resolve as a user's would
const dir = path.join(root, 'build/export-docs');
const doc = readFileSync(path.join(root, 'docs/export.md'), 'utf8');
const blocks = [...doc.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));
const require = createRequire(import.meta.url);
let digits;

/** Runs one file of example code in dir; its last line of output. */
function example(name, code, cmd) {
  writeFileSync(path.join(dir, name), code);
  const r = run(cmd, [name], { cwd: dir });
  assert.is(r.status, 0, `${name}: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop();
}

test.before(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(path.join(root, 'web'), path.join(dir, 'web'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the commands train a network and export it in the three formats', async () => {
  const sh = blocks.find((b) => b.lang === 'sh');
  assert.ok(sh, 'a sh block');
  for (const line of sh.code.trim().split('\n')) {
    assert.match(line, /^npx mnist-wasm /);
    const r = run(process.execPath, [bin, ...line.split(/\s+/).slice(2)], { cwd: dir });
    assert.is(r.status, 0, `${line}: ${r.stderr}`);
  }
  const net = await loadNetwork(readFileSync(path.join(dir, 'model.mnwm')));
  const images = (await parseIdx(readFileSync(path.join(root, 'web/data/t10k-images-idx3-ubyte.gz')))).data;
  const probs = net.predict(images.subarray(0, 10 * 784));
  net.dispose();
  digits = Array.from({ length: 10 }, (_, i) => {
    const p = probs.subarray(i * 10, i * 10 + 10);
    return p.indexOf(Math.max(...p));
  }).join(' ');
});

test('the NumPy example prints the package’s digits', () => {
  const py = blocks.find((b) => b.lang === 'python');
  assert.is(example('example.py', py.code, '/usr/bin/python3'), digits);
});

test('the onnxruntime-web and TensorFlow.js examples print the package’s digits', () => {
  const js = blocks.filter((b) => b.lang === 'js');
  assert.is(js.length, 2, 'two js examples');
  js.forEach((b, i) => {
    // the consumers' packages where require finds them (NODE_PATH too), the rest as written
    const code = b.code.replace(
      /from '(onnxruntime-web|@tensorflow\/tfjs)'/g,
      (_, name) => `from '${pathToFileURL(require.resolve(name)).href}'`,
    );
    assert.is(example(`example-${i}.mjs`, code, process.execPath), digits, `example ${i + 1}`);
  });
});

test.run();
