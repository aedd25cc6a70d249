// The browser bench's driver, for scripts/bench-browser.js: the
// bench server, headless Chromium (the browser tests' launcher) with the
// bench page open twice, cross-origin isolated and not, and the settings to
// compare. run(setting) trains one setting in a fresh worker of its page.
import { createNetwork } from 'mnist-wasm';
import { launch } from '../../tests/browser/helpers.js';
import { startBenchServer, PAGE, DATA_URLS, TRAINER_URLS } from './server.js';

/** The settings compared, each a library and the threads it is asked for; cores: the page's navigator.hardwareConcurrency. */
export function settings(cores) {
  return [
    { name: 'mnist-wasm, 1 thread', lib: 'mnist-wasm', threads: 1, isolated: true },
    { name: `mnist-wasm, ${cores} threads`, lib: 'mnist-wasm', threads: cores, isolated: true },
    { name: 'tfjs wasm SIMD, 1 thread', lib: 'tfjs', threads: 1, isolated: true },
    { name: `tfjs wasm threaded SIMD, ${cores} threads`, lib: 'tfjs', threads: cores, isolated: true },
    { name: 'jax-js wasm, 1 thread (page not isolated)', lib: 'jax', threads: 1, isolated: false },
    { name: `jax-js wasm, ${cores} workers`, lib: 'jax', threads: cores, isolated: true },
  ];
}

/** The package's default network (layers, activation, learning rate): every library trains this one. */
async function defaultNetwork() {
  const net = await createNetwork();
  const { layers, activation, learningRate } = net.options;
  net.dispose();
  return { layers, activation, learningRate };
}

export async function openBench({ digits = 8192, seed = 1 } = {}) {
  const network = await defaultNetwork();
  const server = await startBenchServer({ digits });
  let browser;
  try {
    browser = await launch();
    const isolated = browser.page;
    const plain = await browser.context.newPage();
    await isolated.goto(new URL(PAGE, server.url).href);
    await plain.goto(new URL(`${PAGE}?isolated=0`, server.url).href);
    const facts = await isolated.evaluate(() => ({
      cores: navigator.hardwareConcurrency,
      isolated: crossOriginIsolated,
      userAgent: navigator.userAgent,
    }));
    if (!facts.isolated) throw new Error('the bench page is not cross-origin isolated: threads cannot run');
    if (await plain.evaluate(() => crossOriginIsolated))
      throw new Error('the page asked for without isolation is isolated');
    return {
      ...facts,
      network,
      digits,
      chromium: browser.context.browser()?.version() ?? facts.userAgent,
      problems: browser.problems,
      /** Trains one setting at each batch size: { crossOriginIsolated, runs }. */
      async run(setting, { batches, samples, warmupSeconds }) {
        const message = {
          trainer: TRAINER_URLS[setting.lib],
          threads: setting.threads,
          urls: DATA_URLS,
          network,
          seed,
          batches,
          samples,
          warmupSeconds,
        };
        const result = await (setting.isolated ? isolated : plain).evaluate((m) => window.runSetting(m), message);
        if (result.crossOriginIsolated !== setting.isolated)
          throw new Error(
            `${setting.name}: the worker is ${result.crossOriginIsolated ? '' : 'not '}cross-origin isolated`,
          );
        return result;
      },
      async close() {
        await browser.close();
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}
