// The browser bench's worker: one library in one setting, as the page trains
// (in a Web Worker). It loads the bench's digits (the package's IDX reader),
// then for each batch size makes a fresh trainer, warms it up and times it.
//
// A trainer (trainers/NAME.js) is what each library needs to train the same
// network on the same digits with plain SGD:
//   createTrainer({ data: { images, labels, n, urls }, batch, threads, network, seed })
//     -> { used, train(steps) -> Promise<mean loss of those mini-batches>, dispose() }
// `used` says what the library reports it runs on (backend, threads, build);
// train() walks the digits in their stored order, mini-batch after
// mini-batch, and has finished every update when it resolves.
//
// message in:  { trainer (its URL), threads, urls, network, seed, batches, samples, warmupSeconds }
// message out: { type: 'done', result: { crossOriginIsolated, runs: [{ batch, used, samples, seconds, rate, loss, firstLoss }] } }
//              { type: 'error', error: { name, message } }
import { fetchIdx } from '../../web/lib/index.js';

const now = () => performance.now() / 1000;

async function run({ trainer: url, threads, urls, network, seed, batches, samples, warmupSeconds }) {
  const { createTrainer } = await import(new URL(url, self.location.href).href);
  const [images, labels] = await Promise.all([fetchIdx(urls.images), fetchIdx(urls.labels)]);
  const data = { images: images.data, labels: labels.data, n: labels.dims[0], urls };
  const runs = [];
  for (const batch of batches) {
    const trainer = await createTrainer({ data, batch, threads, network, seed });
    try {
      // warm-up: the engines compile their hot code on first use
      const firstLoss = await trainer.train(2);
      for (const t0 = now(); now() - t0 < warmupSeconds;) await trainer.train(2);
      const steps = Math.max(1, Math.round(samples / batch));
      const t0 = now();
      const loss = await trainer.train(steps);
      const seconds = now() - t0;
      runs.push({
        batch,
        used: trainer.used,
        samples: steps * batch,
        seconds,
        rate: (steps * batch) / seconds,
        loss,
        firstLoss,
      });
    } finally {
      trainer.dispose();
    }
  }
  return { crossOriginIsolated: self.crossOriginIsolated, runs };
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ type: 'done', result: await run(data) });
  } catch (e) {
    self.postMessage({ type: 'error', error: { name: e?.name ?? 'Error', message: e?.message ?? String(e) } });
  }
};
