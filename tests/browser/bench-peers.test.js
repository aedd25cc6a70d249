// The browser bench (npm run bench:browser) works: every library setting
// trains in a worker of its page, cross-origin isolated or not as it should
// be, on the backend, build and threads it is meant to, a few mini-batches
// whose loss falls below that of the first ones, at a positive rate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openBench, settings } from '../../scripts/bench-browser/driver.js';
import { once } from './helpers.js';

const BATCH = 64;
const ready = once(() => openBench({ digits: 1024 }));
test.after(async () => {
  if (ready.started()) await (await ready()).close();
});

// 2 mini-batches first, then 12 timed: the loss of these is below the first two's
const RUN = { batches: [BATCH], samples: 12 * BATCH, warmupSeconds: 0 };

/** What each library must say it ran on. */
const expected = {
  'mnist-wasm': (s, used) => {
    if (used.threadsOption === 'accepted')
      assert.ok(used.threads >= 1 && used.threads <= s.threads, `threads used: ${used.threads}`);
    else assert.is(used.threads, 1, 'a build that does not know the threads option runs one');
  },
  tfjs: (s, used) => {
    assert.is(used.backend, 'wasm');
    assert.is(used.simd, true, 'SIMD in Chromium');
    assert.is(used.threads, s.threads, 'getThreadsCount()');
    const build = s.threads === 1 ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm-threaded-simd.wasm';
    assert.is(used.binary, build, 'the .wasm tfjs fetched');
  },
  jax: (s, used) => {
    assert.is(used.device, 'wasm');
    assert.is(used.threads, s.threads, 'its pool: one thread without isolation, one worker per core with it');
  },
};

test('the bench page is cross-origin isolated and the page asked for without isolation is not', async () => {
  const bench = await ready(); // openBench checks both pages
  assert.is(bench.isolated, true);
  assert.ok(bench.cores >= 1);
});

// named before the browser says how many cores it has: N
settings('N').forEach(({ name }, i) => {
  test(`bench: ${name} trains, its loss falls, its rate is positive`, async () => {
    const bench = await ready();
    const setting = settings(bench.cores)[i];
    const {
      runs: [run],
    } = await bench.run(setting, RUN);
    assert.is(run.batch, BATCH);
    assert.is(run.samples, RUN.samples);
    assert.ok(Number.isFinite(run.rate) && run.rate > 0, `samples/s: ${run.rate}`);
    assert.ok(run.loss < run.firstLoss, `mean loss ${run.loss} after ${run.firstLoss} on the first mini-batches`);
    expected[setting.lib](setting, run.used);
    assert.equal(bench.problems.pageErrors, [], 'no page errors');
  });
});

test.run();
