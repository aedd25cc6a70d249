// node.js: the package's entry in Node (the "node" condition of the exports
// map): the API of index.js, with Node's I/O installed first (io.js): fs for
// file: URLs and node:zlib for gunzip. Browsers, workers and bundles for them
// take index.js, which imports no Node module.

import { readFile } from 'node:fs/promises';
import { createReadStream, readFileSync, promises as fsp } from 'node:fs';
import { Worker as NodeWorker } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { installIo } from './io.js';

/**
 * Gunzip through node:zlib as a TransformStream, fed one input chunk at a
 * time: each write resolves once zlib has given out all it made of that
 * chunk. Node's DecompressionStream reads ahead of its reader and holds
 * tens of MB of output (about 40 MB over the four Fashion-MNIST files,
 * measured), which the Node command's memory budget cannot afford;
 * node:zlib keeps to a chunk's worth.
 */
function gunzip(chunkSize) {
  const z = createGunzip({ chunkSize });
  let failed = null;
  z.on('error', (e) => (failed ??= e));
  let out;
  z.on('data', (b) => {
    try {
      out.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.length));
    } catch {
      z.destroy(); // the reader went away (a cancel, an abort)
    }
  });
  const settle = (ok, fail) => (e) => (e || failed ? fail(e ?? failed) : ok());
  return new TransformStream(
    {
      start(c) {
        out = c;
      },
      transform: (chunk) => new Promise((ok, fail) => z.write(chunk, settle(ok, fail))),
      flush: () =>
        new Promise((ok, fail) => {
          if (failed) return fail(failed);
          z.once('end', ok);
          z.once('error', fail);
          z.end();
        }),
    },
    { highWaterMark: 1 },
    { highWaterMark: 0 },
  );
}

// The threaded module's threads start in Web Workers (cmake/wasm.cmake); in
// Node they are worker_threads that look like one to Emscripten's glue:
// self, postMessage and onmessage, with its worker script run as a script.
const WORKER_BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.on('message', (data) => self.onmessage?.({ data }));
(0, eval)(workerData.source);
`;

class ThreadWorker {
  #worker;
  constructor(url) {
    const source = readFileSync(url, 'utf8');
    this.#worker = new NodeWorker(WORKER_BOOT, { eval: true, workerData: { source } });
    this.#worker.unref(); // an idle thread never keeps the process alive
    this.#worker.on('message', (data) => this.onmessage?.({ data }));
    this.#worker.on('error', (e) => this.onerror?.(e));
  }
  postMessage(message, transfer) {
    this.#worker.postMessage(message, transfer);
  }
  terminate() {
    this.#worker.terminate();
  }
}

installIo({
  Worker: ThreadWorker,
  readFile: async (url, { signal } = {}) => new Uint8Array(await readFile(url, { signal })),
  openFile: async (url, { signal } = {}) => {
    const { size } = await fsp.stat(url);
    // A stream made with an aborted signal and cancelled in the same tick
    // emits its AbortError with no listener left, which kills the process.
    signal?.throwIfAborted();
    return { stream: Readable.toWeb(createReadStream(url, { signal })), size };
  },
  fileExists: (url) =>
    fsp.access(url).then(
      () => true,
      () => false,
    ),
  gunzip,
});

export * from './index.js';
