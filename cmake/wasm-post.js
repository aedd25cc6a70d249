// Appended to the Emscripten glue (--post-js, see cmake/wasm.cmake): getters
// that return the current heap views, which are replaced when memory grows.
// web/lib/ never keeps a view across a call that can allocate.
Module['heapU8'] = () => HEAPU8;
Module['heapI32'] = () => HEAP32;
Module['heapU32'] = () => HEAPU32;
Module['heapF32'] = () => HEAPF32;
Module['heapF64'] = () => HEAPF64;
