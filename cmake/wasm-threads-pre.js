// Prepended to the threaded module's glue (--pre-js, see cmake/wasm.cmake):
// the Worker class that starts its pthreads. Pages and workers have one;
// Node has none, so web/lib/node.js hands in one made of worker_threads.
/* exported Worker */ // read by the glue that follows
var Worker = Module['Worker'] || globalThis.Worker;
