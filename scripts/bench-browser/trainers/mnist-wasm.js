// This package's trainer for the browser bench: the training set in the wasm
// heap (loadDataset, the package's own path), and C's training loop
// (Trainer.run) over it in the given order, as the page's worker trains.
// The pixels stay bytes; C turns each mini-batch into floats as it goes, so
// that work is inside the timing here (the peers get floats made beforehand).
import { createNetwork, loadDataset, Trainer } from '../../../web/lib/index.js';

/** See worker.js for what a trainer is. */
export async function createTrainer({ data, batch, threads, network, seed }) {
  const ds = await loadDataset(data.urls);
  const options = { ...network, optimizer: 'sgd', schedule: 'constant', batchSize: batch, seed };
  let net,
    threadsOption = 'accepted';
  try {
    net = await createNetwork({ ...options, threads });
  } catch (e) {
    // a build without threads does not know the option: one thread, said so
    if (!(e instanceof TypeError && /unknown option "threads"/.test(e.message))) throw e;
    net = await createNetwork(options);
    threadsOption = 'unknown to this build';
  }
  const trainer = new Trainer({ shuffle: false });
  // threadJobs: jobs run on the pool's threads so far, above 0 once work was really split
  const used = { threads: net.options.threads ?? 1, threadsOption, threadJobs: net.threadJobs ?? null };
  return {
    used,
    /** `steps` mini-batches; resolves with their mean loss. */
    async train(steps) {
      const before = trainer.progress;
      const budget = steps * batch;
      for (let done = 0; done < budget;) {
        const { trained } = trainer.run(net, ds, budget - done);
        if (trained === 0) throw new Error(`the trainer trained nothing with ${budget - done} samples left`);
        done += trained;
      }
      const after = trainer.progress;
      used.threadJobs = net.threadJobs ?? null;
      return (after.totalLoss - before.totalLoss) / (after.samples - before.samples);
    },
    dispose() {
      trainer.dispose();
      net.dispose();
      ds.dispose();
    },
  };
}
