import { createNetwork, loadMnist } from 'mnist-wasm';
const { train, test } = await loadMnist(new URL('file:///work/main/web/data/'));
for (const o of [{}, { schedule: 'cosine' }, { augment: true }, { augment: true, schedule: 'cosine' }, { weightDecay: 0.001 }]) {
  const net = await createNetwork(o);
  const t0 = performance.now();
  net.train(train, { epochs: 10 });
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify(o), (net.evaluate(test).accuracy * 100).toFixed(2), (80000 / s).toFixed(0), 'samples/s');
  if (!o.augment) continue; console.log(net.options.augment);
  net.dispose();
}
