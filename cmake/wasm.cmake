# wasm.cmake: the WebAssembly module, included by CMakeLists.txt when the
# toolchain is Emscripten (emcmake cmake --preset wasm). It links csrc/ with
# the export layer csrc/wasm_api.c into web/build/mnist.js + mnist.wasm:
# one build for Node, pages and workers, wrapped by web/lib/index.js.
# nn_core brings -ffp-contract=off (PUBLIC), so results match the native build.

# Two builds of the same sources: web/build/mnist.{js,wasm}, one thread,
# small; and with NN_WASM_THREADS (the wasm-threads preset)
# web/build/mnist-threads.{js,wasm,worker.js}, Emscripten's pthreads over a
# shared memory, which web/lib loads where SharedArrayBuffer works.
option(NN_WASM_THREADS "build the threaded module (mnist-threads)" OFF)

# -O3: the hot loops are small GEMMs; -msimd128 lets clang vectorise them
# with wasm SIMD (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+).
set(NN_WASM_COPTS -O3 -msimd128)
if(NN_WASM_THREADS)
  set(NN_WASM_NAME mnist-threads)
  # atomics and bulk memory in every object, as a shared memory needs
  list(APPEND NN_WASM_COPTS -pthread)
  target_compile_options(nn_cli PRIVATE -pthread)
else()
  set(NN_WASM_NAME mnist)
  # csrc/pool.c without threads: a pool of one, the caller
  target_compile_definitions(nn_core PUBLIC NN_NO_THREADS)
endif()
target_compile_options(nn_core PRIVATE ${NN_WASM_COPTS})
# The command lines' parser, help and messages (csrc/cli/options.c, help.c, lines.c) are not hot: -Oz
# keeps what they add to the page's download small.
target_compile_options(nn_cli PRIVATE -Oz)

add_executable(${NN_WASM_NAME} csrc/wasm_api.c csrc/wasm_layout.c)
target_link_libraries(${NN_WASM_NAME} PRIVATE nn_cli nn_core)
target_compile_options(${NN_WASM_NAME} PRIVATE ${NN_WASM_COPTS} -Wall -Wextra -Wshadow)

# The one list of exports (no EMSCRIPTEN_KEEPALIVE anywhere): wasm_api.c's
# thin wrappers, parts of the core as their headers declare them (the
# streaming IDX parser, the data set, the command lines' parser
# and messages for bin/mnist-wasm.js), and malloc/free because
# JavaScript allocates the buffers it passes in. Each has a caller in the
# JavaScript (tests/exports.test.js); the status table travels in facts().
set(NN_WASM_EXPORTS
  facts heap_used
  create destroy config layers_config layers_text layer_info steps set_learning_rate set_batch_size set_training with_optimizer params
  set_threads threads thread_jobs threads_alive
  step predict activations gradients gradient_check save_size save load
  export_bytes export_format_parse export_format_name export_file_count export_file_name
  trainer_new trainer_free trainer_restart trainer_plan_epochs trainer_state train train_dataset train_mixed
  evaluation_new evaluation_free evaluation_results evaluate evaluate_dataset
  data_create data_free data_push data_finish data_error data_complete data_count data_ready
  data_rows data_cols data_classes data_max_label data_pixels data_labels
  idx_create idx_free idx_push idx_finish idx_header_done idx_ndims idx_dim
  idx_sample_size idx_ready idx_data
  idx_explain data_explain diverged_explain
  cli_parse cli_args_json cli_help cli_epoch_line cli_evaluate_line cli_predict_lines
  cli_epoch_json cli_evaluate_json cli_predict_json cli_explain
  cli_check_model cli_check_data cli_train_error cli_not_found cli_data_error cli_file_error cli_export_line
  malloc free)
list(TRANSFORM NN_WASM_EXPORTS PREPEND "_")
list(JOIN NN_WASM_EXPORTS "," NN_WASM_EXPORTS_CSV)

set(NN_WASM_POST_JS ${CMAKE_SOURCE_DIR}/cmake/wasm-post.js)

if(NN_WASM_THREADS)
  target_link_options(${NN_WASM_NAME} PRIVATE
    -pthread
    # No workers at start: web/lib loads the ones a network's threads need
    # before it asks C for them (pthread_create on a worker still loading
    # would wait for this thread's event loop, which a step never yields to).
    -sPTHREAD_POOL_SIZE=0
    # A step waits for its threads on whichever thread calls it, the page's
    # main thread included (a few microseconds, spinning).
    -sALLOW_BLOCKING_ON_MAIN_THREAD=1
    # A pool thread runs the kernels, whose deepest frame is a few KB: 256 KB
    # of stack each rather than 2 MB out of the heap.
    -sDEFAULT_PTHREAD_STACK_SIZE=262144
    # Node has no Worker: web/lib/node.js passes one over worker_threads
    # (Module.Worker), which this file makes the glue's Worker.
    "--pre-js=${CMAKE_SOURCE_DIR}/cmake/wasm-threads-pre.js")
endif()

target_link_options(${NN_WASM_NAME} PRIVATE
  # Link-time optimisation of the wasm (binaryen wasm-opt) and minified glue.
  -O3
  # Same SIMD feature flag at link time, so the whole module is validated for it.
  -msimd128
  # A factory function (createModule(opts) -> Promise<Module>) rather than a
  # global Module: several instances may coexist, nothing leaks into the page.
  -sMODULARIZE=1
  -sEXPORT_NAME=createModule
  # Emit an ES module, importable from pages, module workers and Node alike.
  -sEXPORT_ES6=1
  # Glue for web and worker only: 3.1.6's Node glue uses __dirname and
  # require, which do not exist in an ES module. Node works anyway because
  # web/lib passes the .wasm bytes in as wasmBinary (read with fs).
  -sENVIRONMENT=web,worker
  # Training sets live in the heap (Fashion-MNIST is 47 MB as bytes): grow
  # on demand from the 16 MB start. malloc then returns NULL on exhaustion
  # (NN_ERR_NOMEM) instead of aborting the instance.
  -sALLOW_MEMORY_GROWTH=1
  # No files: data arrives as bytes from JavaScript. Drops the FS runtime.
  -sFILESYSTEM=0
  # No eval/new Function in the glue: pages with a strict CSP can load it.
  -sDYNAMIC_EXECUTION=0
  # C code neither sets nor reads errno for us; smaller libc.
  -sSUPPORT_ERRNO=0
  # Keep the exports' C names in the .wasm itself (train, step, predict, ...),
  # not one-letter minified ones, so mnist-wasm/mnist.wasm is usable without
  # the glue. 3.1.6 has no public setting for it; linking its exports.js
  # library (whose API looks exports up by name) turns the minifying off.
  # Costs the bytes of the names (see the README's size figures).
  -lexports.js
  # See NN_WASM_EXPORTS above.
  "-sEXPORTED_FUNCTIONS=${NN_WASM_EXPORTS_CSV}"
  # Fresh typed-array views of the heap (Module.heapU8() etc.): the views
  # change when memory grows, so JavaScript asks for them after each call
  # that can allocate. Works on 3.1.6 and current Emscripten alike.
  "--post-js=${NN_WASM_POST_JS}")

set_target_properties(${NN_WASM_NAME} PROPERTIES
  SUFFIX ".js"
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_SOURCE_DIR}/web/build"
  LINK_DEPENDS "${NN_WASM_POST_JS}")
