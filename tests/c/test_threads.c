/* test_threads.c: threads change no bit. Networks trained with 2, 3 and 4
 * threads on real digits are byte-identical to one trained with 1, for
 * every optimizer and activation, with weight decay and augmentation, at
 * batch sizes that split evenly, unevenly and not at all; their
 * evaluations agree too, and the pool's own threads ran jobs wherever the
 * batch is large enough to split (and none where it is not). Pools survive create/free cycles and leave no
 * thread running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digits.h"
#include "nn.h"
#include "pool.h"
#include "test.h"

/* NN_TEST_QUICK (valgrind): shorter runs. */
static int quick(void) {
  const char *q = getenv("NN_TEST_QUICK");
  return q && *q && *q != '0';
}

/* Trains a fresh network of cfg with `threads` on the first n digits for
 * one shuffled pass and returns it (NULL on failure). */
static nn_net *trained(const nn_config *cfg, int threads, const nn_data *data, int n) {
  nn_net *net = NULL;
  if (nn_create(cfg, &net) != NN_OK) return NULL;
  if (nn_set_threads(net, threads) != NN_OK) {
    nn_free(net);
    return NULL;
  }
  int32_t *order = malloc(sizeof *order * (size_t)n);
  nn_shuffle(net, order, n);
  const nn_status st = nn_train(net, data, order, 0, n, NULL, NULL);
  free(order);
  if (st != NN_OK) {
    nn_free(net);
    return NULL;
  }
  return net;
}

static int same_params(const nn_net *a, const nn_net *b) {
  size_t n, m;
  const float *pa = nn_params_const(a, &n), *pb = nn_params_const(b, &m);
  return n == m && memcmp(pa, pb, n * sizeof *pa) == 0;
}

static void test_same_bits(const nn_data *train, const nn_data *test) {
  static const int batches[] = {64, 37, 16, 8, 1};
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++)
    for (int a = 0; a < NN_ACTIVATION_COUNT; a++)
      for (int k = 0; k < (int)(sizeof batches / sizeof *batches); k++) {
        nn_config cfg;
        nn_config_default(&cfg);
        cfg.optimizer = (nn_optimizer)o;
        cfg.activation = (nn_activation)a;
        cfg.learning_rate = o == NN_ADAM ? 0.002f : 0.1f;
        cfg.batch_size = batches[k];
        cfg.weight_decay = k == 1 ? 0.001f : 0.0f;
        /* augmented at 64 (every thread count splits it) and 16 (only 2 threads do) */
        if (k == 0 || k == 2) cfg.augment = (nn_augment){.shift = 2, .rotate = 10, .scale = 0.1f, .elastic = 1};
        const int n = quick() ? (batches[k] == 1 ? 40 : 160) : batches[k] == 1 ? 300 : 1200;
        nn_net *one = trained(&cfg, 1, train, n);
        CHECK(one != NULL, "%s %s batch %d: one thread failed", nn_optimizer_name(cfg.optimizer),
              nn_activation_name(cfg.activation), cfg.batch_size);
        if (!one) continue;
        nn_eval e1 = {0};
        uint32_t c1[100] = {0};
        e1.confusion = c1;
        CHECK_EQ(nn_evaluate_rows(one, test, 0, test->n, &e1), NN_OK);
        for (int t = 2; t <= 4; t++) {
          nn_net *many = trained(&cfg, t, train, n);
          CHECK(many && same_params(one, many), "%s %s batch %d: %d threads give other weights",
                nn_optimizer_name(cfg.optimizer), nn_activation_name(cfg.activation), cfg.batch_size, t);
          if (!many) continue;
          CHECK_EQ(nn_threads(many), t);
          /* the split is real: a step splits from t * NN_SPLIT_MIN_ROWS rows, and only then */
          const int splits = cfg.batch_size >= t * NN_SPLIT_MIN_ROWS;
          CHECK(splits == (nn_thread_jobs(many) > 0), "batch %d on %d threads: %s", cfg.batch_size, t,
                splits ? "no job ran on a pool thread" : "split, under the split size");
          uint32_t c2[100] = {0};
          nn_eval e3 = {0};
          e3.confusion = c2;
          CHECK_EQ(nn_evaluate_rows(many, test, 0, test->n, &e3), NN_OK);
          CHECK(e3.correct == e1.correct && e3.loss_sum == e1.loss_sum && memcmp(c1, c2, sizeof c1) == 0,
                "%d threads: evaluation differs (%llu vs %llu correct)", t, (unsigned long long)e3.correct,
                (unsigned long long)e1.correct);
          nn_free(many);
        }
        nn_free(one);
      }
}

/* A thread count changed mid-run, and nn_step's own batches, keep the bits. */
static void test_switch_and_step(const nn_data *train) {
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.batch_size = 32;
  nn_net *a = NULL, *b = NULL;
  CHECK_EQ(nn_create(&cfg, &a), NN_OK);
  CHECK_EQ(nn_create(&cfg, &b), NN_OK);
  if (!a || !b) return;
  for (int i = 0; i < 20; i++) {
    CHECK_EQ(nn_set_threads(b, 1 + i % 4), NN_OK);
    nn_data batch = *train;
    batch.u8 += (size_t)i * 32 * 784;
    batch.labels += (size_t)i * 32;
    batch.n = 32;
    float la = 0, lb = 0;
    CHECK_EQ(nn_step(a, &batch, &la), NN_OK);
    CHECK_EQ(nn_step(b, &batch, &lb), NN_OK);
    CHECK(memcmp(&la, &lb, sizeof la) == 0, "step %d: loss %g vs %g", i, la, lb);
  }
  CHECK(same_params(a, b), "steps with changing thread counts give other weights");
  nn_free(a);
  nn_free(b);
}

/* A diverging step under threads is undone exactly as under one. */
static void test_divergence(const nn_data *train) {
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.batch_size = 32;
  cfg.learning_rate = 100.0f;
  cfg.activation = NN_RELU;
  nn_net *a = NULL, *b = NULL;
  CHECK_EQ(nn_create(&cfg, &a), NN_OK);
  CHECK_EQ(nn_create(&cfg, &b), NN_OK);
  if (!a || !b) return;
  CHECK_EQ(nn_set_threads(b, 2), NN_OK);
  int done_a = -1, done_b = -2;
  const int n = quick() ? 640 : 2000;
  const nn_status sa = nn_train(a, train, NULL, 0, n, NULL, &done_a);
  const nn_status sb = nn_train(b, train, NULL, 0, n, NULL, &done_b);
  CHECK_EQ(sa, NN_ERR_DIVERGED);
  CHECK_EQ(sb, sa);
  CHECK_EQ(done_b, done_a);
  CHECK(same_params(a, b), "after a divergence the weights differ");
  CHECK_EQ(nn_steps(b), nn_steps(a));
  nn_free(a);
  nn_free(b);
}

static void test_cycles(void) {
  const int before = pool_threads_alive();
  nn_config cfg;
  nn_config_default(&cfg);
  for (int i = 0; i < (quick() ? 20 : 200); i++) {
    nn_net *net = NULL;
    CHECK_EQ(nn_create(&cfg, &net), NN_OK);
    CHECK_EQ(nn_set_threads(net, 2 + i % 3), NN_OK);
    if (i % 2) CHECK_EQ(nn_set_threads(net, 1 + i % 4), NN_OK);
    nn_free(net);
  }
  CHECK_EQ(pool_threads_alive(), before);
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  CHECK_EQ(nn_set_threads(net, 0), NN_ERR_ARG);
  CHECK_EQ(nn_set_threads(net, POOL_MAX_THREADS + 1), NN_ERR_ARG);
  CHECK_EQ(nn_set_threads(NULL, 2), NN_ERR_ARG);
  CHECK_EQ(nn_threads(net), 1);
  CHECK_EQ(nn_set_threads(net, 3), NN_OK);
  CHECK_EQ(pool_threads_alive(), before + 2);
  nn_free(net);
  CHECK_EQ(pool_threads_alive(), before);
  CHECK_EQ(nn_threads(NULL), 1);
}

int main(void) {
  int n = 0, nl = 0, tn = 0, tl = 0;
  uint8_t *x = read_idx_gz("train-images-idx3-ubyte.gz", 3, &n, 784);
  uint8_t *y = read_idx_gz("train-labels-idx1-ubyte.gz", 1, &nl, 1);
  uint8_t *tx = read_idx_gz("t10k-images-idx3-ubyte.gz", 3, &tn, 784);
  uint8_t *ty = read_idx_gz("t10k-labels-idx1-ubyte.gz", 1, &tl, 1);
  if (!x || !y || !tx || !ty || n != nl || tn != tl || n < 2000) {
    CHECK(0, "data set missing in %s: run `node scripts/make-dataset.js`", NN_DATA_DIR);
  } else {
    const nn_data train = {x, NULL, y, n, 28, 28, NULL}, test = {tx, NULL, ty, tn, 28, 28, NULL};
    test_same_bits(&train, &test);
    test_switch_and_step(&train);
    test_divergence(&train);
  }
  test_cycles();
  free(x);
  free(y);
  free(tx);
  free(ty);
  return TEST_DONE();
}
