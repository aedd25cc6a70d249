// The package as users get it: npm pack ships exactly the API, the built
// module, the command, README, the docs pages, LICENSE and CHANGELOG, and nothing else (no
// tests, data or C); the tarball installs into an empty folder with no
// network, and there it imports by name, trains and predicts, and its
// command runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, run } from './helpers/common.js';

let tmp;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// No registry, no audit: everything comes from the tarball.
const quiet = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

test.before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mnist-wasm-pack-'));
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

// What npm pack must ship, exactly: the tracked files of web/lib/ and bin/
// and the docs' pages (so an untracked stray file there fails; the README
// links to the pages, not their pictures), the built module, and the four
// files a package has at its top. A new file in web/lib/ joins once committed.
function expectedFiles() {
  const tracked = run('git', ['ls-files', '--', 'web/lib', 'bin', 'docs/*.md'], { cwd: root });
  assert.is(tracked.status, 0, `git ls-files: ${tracked.stderr}`);
  const lib = tracked.stdout.split('\n').filter(Boolean);
  assert.ok(
    lib.includes('web/lib/index.js') && lib.includes('bin/mnist-wasm.js'),
    `git ls-files found ${lib.join(', ')}`,
  );
  return [
    ...lib,
    'web/build/mnist.js',
    'web/build/mnist.wasm',
    'web/build/mnist-threads.js',
    'web/build/mnist-threads.wasm',
    'web/build/mnist-threads.worker.js',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'package.json',
  ].sort();
}

test('npm pack --dry-run: exactly web/lib, the built module, bin, README, docs, LICENSE, CHANGELOG, package.json', () => {
  const r = run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env: quiet });
  assert.is(r.status, 0, r.stderr);
  const files = JSON.parse(r.stdout)[0]
    .files.map((f) => f.path)
    .sort();
  const expected = expectedFiles();
  const extra = files.filter((f) => !expected.includes(f));
  const absent = expected.filter((f) => !files.includes(f));
  assert.equal(
    files,
    expected,
    `shipped but not expected: ${extra.join(', ') || 'none'}; expected but not shipped: ${absent.join(', ') || 'none'}`,
  );
});

test('the tarball installs offline into an empty folder and works there', () => {
  const packed = run(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: root, env: quiet });
  assert.is(packed.status, 0, `npm pack: ${packed.stderr}`);
  // prepack (the build) prints to the same stdout first; the JSON comes last
  const tgz = path.join(tmp, JSON.parse(packed.stdout.slice(packed.stdout.lastIndexOf('[\n  {')))[0].filename);
  assert.ok(readdirSync(tmp).includes(path.basename(tgz)));

  const app = path.join(tmp, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const inst = run(npm, ['install', '--offline', '--no-audit', '--no-fund', tgz], { cwd: app, env: quiet });
  assert.is(inst.status, 0, `npm install: ${inst.stderr}`);

  writeFileSync(
    path.join(app, 'main.js'),
    `
    import { createNetwork, loadNetwork, parseIdx } from 'mnist-wasm';
    const net = await createNetwork({ layers: [784, 16, 10], batchSize: 4, seed: 3 });
    const images = new Uint8Array(8 * 784).map((_, i) => (i * 37) % 256);
    const labels = Uint8Array.from({ length: 8 }, (_, i) => i % 10);
    const losses = [];
    for (let i = 0; i < 5; i++) losses.push(net.step(images, labels));
    const r = net.train(images, labels, { epochs: 2 });
    const copy = await loadNetwork(net.save());
    const p = copy.predict(images.subarray(0, 784));
    const idx = await parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]));
    const threaded = await loadNetwork(net.save(), { threads: 2 });
    const threads = threaded.options.threads;
    threaded.dispose();
    console.log(JSON.stringify({ losses, samples: r.samples, steps: net.steps, probs: p.length, sum: p.reduce((a, b) => a + b, 0), idx, threads }));
  `,
  );
  const r = run(process.execPath, ['main.js'], { cwd: app });
  assert.is(r.status, 0, `running the installed package: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.is(out.losses.length, 5);
  assert.ok(out.losses[4] < out.losses[0], `the loss falls: ${out.losses}`);
  assert.is(out.samples, 16);
  assert.is(out.steps, 5 + 4);
  assert.is(out.probs, 10);
  assert.ok(Math.abs(out.sum - 1) < 1e-5);
  assert.equal(out.idx, { dims: [2], data: { 0: 7, 1: 9 } });
  assert.is(out.threads, 2, 'the threaded module ships and runs');

  const cli = run(path.join(app, 'node_modules/.bin/mnist-wasm'), ['--help'], { cwd: app });
  assert.is(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /^usage: mnist-wasm \[train\] --data DIR/);
});

test.run();
