// io.js: the little I/O that differs between Node and everything else: file:
// URLs, gunzip and workers. The defaults here are the browser's and the worker's (no
// files; gunzip through DecompressionStream) and import nothing, so that a
// bundle for the web has no reference to Node's modules. web/lib/node.js, the
// package's entry under the "node" export condition, installs Node's: fs for
// file: URLs and node:zlib for gunzip (see gunzip there for why not
// DecompressionStream).

/**
 * The I/O in use. Node's entry replaces the members with its own (installIo);
 * nothing else writes them.
 *   files                  true where file: URLs can be read (Node)
 *   readFile(url, opts)    -> Promise<Uint8Array>, the whole file; opts.signal
 *   openFile(url, opts)    -> Promise<{ stream: ReadableStream, size }>; rejects like fs.stat
 *   fileExists(url)        -> Promise<boolean>
 *   gunzip(size)           -> a new { writable, readable } pair (a TransformStream)
 *                             that gunzips, in chunks of about size bytes
 *   Worker                 the class that starts the threaded module's threads:
 *                             the platform's Worker, or Node's over worker_threads
 */
export const io = {
  files: false,
  readFile: noFiles,
  openFile: noFiles,
  fileExists: noFiles,
  gunzip: gunzipWeb,
  Worker: globalThis.Worker,
};

/** Installs Node's I/O (called once, by web/lib/node.js). */
export function installIo(nodeIo) {
  Object.assign(io, nodeIo, { files: true });
}

async function noFiles(url) {
  throw new Error(`cannot read ${url}: file: URLs are read only in Node (serve the files over HTTP here)`);
}

/** Gunzip as the web has it: DecompressionStream('gzip'). */
function gunzipWeb() {
  return new DecompressionStream('gzip');
}
