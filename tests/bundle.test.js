// A web app takes the package through a bundler: tests/fixtures/bundle-app,
// which imports 'mnist-wasm' by name, bundled by esbuild for the browser
// with no warning and no reference to a Node module (the exports map's
// "default" entry, web/lib/index.js), then served with the package's .wasm
// and the small split and run in headless Chromium, in the page and in a
// module worker. Both must compute what the same code computes unbundled in
// Node (web/lib/node.js: fs and node:zlib): the same losses, probabilities
// and evaluation, to the bit. esbuild and Chromium load inside the tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { root, dataDir } from './helpers/common.js';

const APP = path.join(root, 'tests/fixtures/bundle-app');
const FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];
const dir = mkdtempSync(path.join(tmpdir(), 'mnist-wasm-bundle-'));
let built = null;

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('esbuild bundles an app that imports mnist-wasm for the browser: no warning, no node: module', async () => {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [path.join(APP, 'main.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: path.join(dir, 'main.js'),
    metafile: true,
    logLevel: 'silent',
  });
  const said = (list) => list.map((m) => m.text).join('; ');
  assert.equal(r.errors.length, 0, said(r.errors));
  assert.equal(r.warnings.length, 0, `warnings: ${said(r.warnings)}`);
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(
    inputs.includes('web/lib/index.js'),
    `the package's default entry is bundled; inputs: ${inputs.join(', ')}`,
  );
  assert.not.ok(inputs.includes('web/lib/node.js'), 'the Node entry stays out');
  const out = readFileSync(path.join(dir, 'main.js'), 'utf8');
  const node = out.match(/.{0,40}\bnode:.{0,40}/);
  assert.is(node, null, `the bundle names a Node module: …${node?.[0]}…`);
  built = out;
});

test('the bundle trains, predicts and evaluates in a page and a module worker as Node does', async () => {
  assert.ok(built, 'the bundle was built');
  copyFileSync(path.join(APP, 'index.html'), path.join(dir, 'index.html'));
  copyFileSync(fileURLToPath(import.meta.resolve('mnist-wasm/mnist.wasm')), path.join(dir, 'mnist.wasm'));
  mkdirSync(path.join(dir, 'data'));
  for (const f of FILES) copyFileSync(path.join(dataDir, f), path.join(dir, 'data', f));

  const { compute } = await import('./fixtures/bundle-app/compute.js');
  const inNode = await compute(pathToFileURL(`${dataDir}/`));
  assert.is(inNode.trained, 8000, 'trained on the small split');
  assert.ok(
    inNode.evaluation.samples === 2000 && inNode.evaluation.accuracy >= 0.725, // it reaches 73.05%
    `20 steps learn something: ${JSON.stringify(inNode.evaluation)}`,
  );

  const [{ launch }, { serve, staticHandler }] = await Promise.all([
    import('./browser/helpers.js'),
    import('../scripts/serve.js'),
  ]);
  const { server, url } = await serve({ port: 0, handler: staticHandler(dir) });
  const browser = await launch();
  try {
    await browser.page.goto(url);
    const got = await browser.page.evaluate(() => window.bundleResults);
    for (const where of ['page', 'worker']) {
      assert.not.ok(got[where].error, `${where}: ${got[where].error}`);
      assert.equal(got[where], inNode, `the bundle in a ${where} computes what Node does`);
    }
    assert.equal(browser.problems.pageErrors, [], 'no page errors');
  } finally {
    await browser.close();
    server.closeAllConnections?.();
    server.close();
  }
});

test.run();
