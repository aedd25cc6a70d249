// The browser bench's page: runs one library setting in a fresh Web Worker
// (worker.js) and hands back what it measured; the worker ends with the run,
// so no library's threads outlive its setting.
window.runSetting = (message) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const end = (settle, value) => {
      worker.terminate();
      settle(value);
    };
    worker.onmessage = ({ data }) => {
      if (data.type === 'done') end(resolve, data.result);
      else end(reject, Object.assign(new Error(data.error.message), { name: data.error.name }));
    };
    worker.onerror = (e) => end(reject, new Error(`worker failed: ${e.message || 'it did not load'}`));
    worker.postMessage(message);
  });
