/* pool.c: the thread pool of pool.h. Threads wait for a job by watching a
 * generation counter; the barrier is a counter of arrivals and a phase.
 * Every wait spins a while first (a training step lasts a
 * fraction of a millisecond, so the next job or the other threads usually
 * arrive while spinning) and then sleeps on a condition variable. */
#include "pool.h"

#include <stdlib.h>

#ifdef NN_NO_THREADS

struct nn_pool {
  int unused;
};

nn_status pool_create(int threads, nn_pool **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (threads != 1) return NN_ERR_ARG;
  *out = calloc(1, sizeof **out);
  return *out ? NN_OK : NN_ERR_NOMEM;
}
void pool_free(nn_pool *pool) { free(pool); }
int pool_size(const nn_pool *pool) {
  (void)pool;
  return 1;
}
void pool_run(nn_pool *pool, pool_job job, void *ctx) {
  (void)pool;
  job(ctx, 0, 1);
}
void pool_sync(nn_pool *pool) { (void)pool; }
int pool_threads_alive(void) { return 0; }
long pool_jobs_on_threads(const nn_pool *pool) {
  (void)pool;
  return 0;
}

#else

#include <pthread.h>
#include <stdatomic.h>

/* Polls before sleeping: a few hundred microseconds, longer than the gap
 * between two calls of a training loop (nn_train returning to a caller that
 * reports progress and calls again), far shorter than a scheduler's time
 * slice. A sleep costs a futex wake-up (in wasm, Atomics.notify to a
 * worker) that takes longer than a whole step of a small batch. */
enum { SPINS = 1 << 18 };

struct nn_pool {
  int n;              /* threads, the caller included */
  pthread_t *threads; /* (n - 1) */
  int started;        /* of them */
  pthread_mutex_t lock;
  pthread_cond_t wake;
  atomic_int sleepers;    /* threads asleep (or about to be) on wake */
  atomic_uint generation; /* bumped by each pool_run and by pool_free */
  atomic_int arrived;     /* at the barrier in this phase */
  atomic_uint phase;      /* bumped as the last thread arrives */
  atomic_uint ready;      /* threads that have started running */
  atomic_long jobs;       /* jobs run by the pool's own threads: proof that work was split */
  pool_job job;
  void *ctx;
  int stop;
};

typedef struct {
  nn_pool *pool;
  int index;
} worker_arg;

static atomic_int alive;

/* Waits until *word differs from old: spins, then sleeps. */
static void wait_change(nn_pool *p, atomic_uint *word, unsigned old) {
  for (int i = 0; i < SPINS; i++)
    if (atomic_load_explicit(word, memory_order_acquire) != old) return;
  pthread_mutex_lock(&p->lock);
  atomic_fetch_add(&p->sleepers, 1);
  while (atomic_load(word) == old) pthread_cond_wait(&p->wake, &p->lock);
  atomic_fetch_sub(&p->sleepers, 1);
  pthread_mutex_unlock(&p->lock);
}

/* After a change to a watched word: wakes the sleepers, if any. (A thread
 * that counted itself a sleeper re-reads the word under the lock, and the
 * broadcast takes the lock, so no wake-up is lost.) */
static void wake_all(nn_pool *p) {
  if (atomic_load(&p->sleepers) == 0) return;
  pthread_mutex_lock(&p->lock);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
}

void pool_sync(nn_pool *p) {
  if (!p || p->n == 1) return;
  const unsigned phase = atomic_load(&p->phase);
  if (atomic_fetch_add(&p->arrived, 1) == p->n - 1) {
    atomic_store(&p->arrived, 0);
    atomic_store(&p->phase, phase + 1);
    wake_all(p);
  } else {
    wait_change(p, &p->phase, phase);
  }
}

static void *worker_main(void *arg) {
  worker_arg *a = arg;
  nn_pool *p = a->pool;
  const int index = a->index;
  free(a);
  atomic_fetch_add(&p->ready, 1);
  wake_all(p);
  unsigned seen = 0;
  for (;;) {
    wait_change(p, &p->generation, seen);
    seen = atomic_load(&p->generation);
    if (p->stop) break;
    p->job(p->ctx, index, p->n);
    atomic_fetch_add_explicit(&p->jobs, 1, memory_order_relaxed);
    pool_sync(p);
  }
  atomic_fetch_sub(&alive, 1);
  return NULL;
}

void pool_run(nn_pool *p, pool_job job, void *ctx) {
  if (!p || p->n == 1) {
    job(ctx, 0, 1);
    return;
  }
  p->job = job;
  p->ctx = ctx;
  atomic_fetch_add(&p->generation, 1);
  wake_all(p);
  job(ctx, 0, p->n);
  pool_sync(p);
}

void pool_free(nn_pool *p) {
  if (!p) return;
  if (p->started > 0) {
    p->stop = 1;
    atomic_fetch_add(&p->generation, 1);
    wake_all(p);
    for (int i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
  }
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p->threads);
  free(p);
}

nn_status pool_create(int threads, nn_pool **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (threads < 1 || threads > POOL_MAX_THREADS) return NN_ERR_ARG;
  nn_pool *p = calloc(1, sizeof *p);
  if (!p) return NN_ERR_NOMEM;
  p->n = threads;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  p->threads = calloc((size_t)threads, sizeof *p->threads);
  if (!p->threads) {
    pool_free(p);
    return NN_ERR_NOMEM;
  }
  for (int i = 1; i < threads; i++) {
    worker_arg *a = malloc(sizeof *a);
    if (a) *a = (worker_arg){p, i};
    atomic_fetch_add(&alive, 1);
    if (!a || pthread_create(&p->threads[p->started], NULL, worker_main, a) != 0) {
      atomic_fetch_sub(&alive, 1);
      free(a);
      pool_free(p);
      return NN_ERR_NOMEM;
    }
    p->started++;
  }
  /* Returns once every thread runs: whatever a thread allocates as it
   * starts (its thread-local storage in wasm) is then allocated, so the
   * heap in use is the same before and after any later call. */
  for (unsigned r; (r = atomic_load(&p->ready)) != (unsigned)p->started;) wait_change(p, &p->ready, r);
  *out = p;
  return NN_OK;
}

int pool_size(const nn_pool *p) { return p ? p->n : 1; }
int pool_threads_alive(void) { return atomic_load(&alive); }
long pool_jobs_on_threads(const nn_pool *p) { return p ? atomic_load(&p->jobs) : 0; }

#endif
