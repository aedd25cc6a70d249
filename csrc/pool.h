/* pool.h: a pool of threads started once and reused for every job, with a
 * barrier that spins briefly and then sleeps. The caller of pool_run is
 * thread 0 and takes part in the job, so a pool of n runs n - 1 threads of
 * its own. Built with POSIX threads (natively, and in the threaded wasm
 * module through Emscripten's pthreads); without them (NN_NO_THREADS, the
 * single-threaded module) a pool holds one thread, the caller. */
#ifndef POOL_H
#define POOL_H

#include "nn.h"

#ifdef NN_NO_THREADS
#define POOL_MAX_THREADS 1
#else
#define POOL_MAX_THREADS NN_MAX_THREADS
#endif

typedef struct nn_pool nn_pool;

/* job(ctx, index, count) runs on every thread of the pool at once, index 0..count-1. */
typedef void (*pool_job)(void *ctx, int index, int count);

nn_status pool_create(int threads, nn_pool **out);     /* 1..POOL_MAX_THREADS (else NN_ERR_ARG); *out NULL on failure */
void pool_free(nn_pool *pool);                         /* NULL-safe; stops and joins its threads */
int pool_size(const nn_pool *pool);                    /* threads, the caller included; 1 for NULL */
void pool_run(nn_pool *pool, pool_job job, void *ctx); /* returns when every thread has finished the job */
void pool_sync(nn_pool *pool);                         /* inside a job: waits until every thread has reached it */
int pool_threads_alive(void);                          /* threads started by pools and not yet joined, process-wide */
long pool_jobs_on_threads(const nn_pool *pool);        /* jobs its own threads (not the caller) have run; 0 for NULL */

#endif
