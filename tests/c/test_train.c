/* test_train.c: the trainer (csrc/train.c) on the real digits of the
 * default data set. Every budget gives the bits of the plain loop
 * `nn_shuffle; nn_train` per epoch; the counters say what was trained; a
 * data set that is still arriving is trained a pass at a time over the rows
 * there at its start; a diverged step is undone alone and the trainer stays
 * at it. Also nn_evaluate_rows summed over ranges. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data.h"
#include "nn.h"
#include "test.h"
#include "train.h"

/* ---- real digits --------------------------------------------------------- */

/* A gzipped IDX file of NN_DATA_DIR, whole (header included), or NULL. */
static uint8_t *read_gz_all(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", NN_DATA_DIR, name);
  gzFile f = gzopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 20, n = 0;
  uint8_t *b = malloc(cap);
  int got;
  while (b && (got = gzread(f, b + n, (unsigned)(cap - n))) > 0)
    if ((n += (size_t)got) == cap) {
      uint8_t *bigger = realloc(b, cap *= 2);
      if (!bigger) free(b);
      b = bigger;
    }
  gzclose(f);
  *len = n;
  return b;
}

typedef struct {
  uint8_t *img_file, *lab_file; /* the IDX files as they are */
  size_t img_len, lab_len;
  const uint8_t *x, *y; /* their bodies */
  int n;
} digits;

static int load_digits(const char *prefix, digits *d) {
  char img[64], lab[64];
  snprintf(img, sizeof img, "%s-images-idx3-ubyte.gz", prefix);
  snprintf(lab, sizeof lab, "%s-labels-idx1-ubyte.gz", prefix);
  d->img_file = read_gz_all(img, &d->img_len);
  d->lab_file = read_gz_all(lab, &d->lab_len);
  if (!d->img_file || !d->lab_file || d->img_len < 16 || d->lab_len < 8) return 0;
  d->n = (int)((uint32_t)d->img_file[4] << 24 | (uint32_t)d->img_file[5] << 16 | (uint32_t)d->img_file[6] << 8 |
               d->img_file[7]);
  d->x = d->img_file + 16;
  d->y = d->lab_file + 8;
  return d->img_len == 16 + (size_t)d->n * 784 && d->lab_len == 8 + (size_t)d->n;
}

/* 601 rows: a partial last batch for every batch size tried but 1. */
enum { N_TRAIN = 601 };

/* NN_TEST_QUICK=1 (scripts/valgrind.sh): a 784-32-10 network, the same
 * loops on an eighth of the arithmetic */
static int quick(void) {
  const char *q = getenv("NN_TEST_QUICK");
  return q && *q && *q != '0';
}

static nn_net *make_net(nn_optimizer opt, int batch, nn_activation act) {
  nn_config cfg;
  nn_config_default(&cfg);
  if (quick()) {
    cfg.n_sizes = 3;
    cfg.sizes[1] = 32;
    cfg.sizes[2] = 10;
  }
  cfg.optimizer = opt;
  cfg.activation = act;
  cfg.learning_rate = opt == NN_ADAM ? 0.002f : opt == NN_MOMENTUM ? 0.05f : 0.5f;
  if (act == NN_RELU) cfg.learning_rate = opt == NN_ADAM ? 0.001f : 0.05f;
  cfg.seed = 5;
  cfg.batch_size = batch;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  return net;
}

static nn_trainer *make_trainer(void) {
  nn_trainer *t = NULL;
  CHECK_EQ(trainer_create(&t), NN_OK);
  return t;
}

static int same_weights(nn_net *a, nn_net *b) {
  size_t na, nb;
  const float *pa = nn_params_const(a, &na), *pb = nn_params_const(b, &nb);
  return na == nb && memcmp(pa, pb, na * sizeof *pa) == 0 && nn_steps(a) == nn_steps(b);
}

static const char *opt_name(int o) { return nn_optimizer_name((nn_optimizer)o); }

/* ---- (a) budgets against the plain loop ---------------------------------- */

static void test_budgets_match_plain_loop(const digits *d) {
  enum { EPOCHS = 3 };
  const int n = 301; /* partial last batches of 8 and 32 too; small, as 42 runs train here */
  nn_data data = {d->x, NULL, d->y, n};
  int32_t *order = malloc(sizeof(int32_t) * n);
  static const int batches[] = {1, 8, 32};
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++)
    for (int bi = 0; bi < 3; bi++) {
      const int B = batches[bi];
      nn_net *ref = make_net((nn_optimizer)o, B, NN_SIGMOID);
      if (!ref) continue;
      double ref_loss[EPOCHS];
      for (int e = 0; e < EPOCHS; e++) {
        double sum = 0;
        CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
        CHECK_EQ(nn_train(ref, &data, order, 0, n, &sum, NULL), NN_OK);
        ref_loss[e] = sum / n;
      }
      const int budgets[] = {1, 7, B, 1000, INT_MAX}; /* 1000 > n: a pass per call */
      for (size_t k = 0; k < sizeof budgets / sizeof budgets[0]; k++) {
        const int budget = budgets[k];
        if (k == 2 && B == 1) continue; /* budget 1 again */
        nn_net *net = make_net((nn_optimizer)o, B, NN_SIGMOID);
        nn_trainer *t = make_trainer();
        if (!net || !t) {
          nn_free(net);
          trainer_free(t);
          continue;
        }
        const nn_progress *p = trainer_progress(t);
        int calls = 0, counts_ok = 1;
        nn_status st = NN_OK;
        while (p->passes < EPOCHS && st == NN_OK && calls++ < 10 * EPOCHS * n) {
          /* what this call should train: the budget in whole batches, not past the pass */
          const int left = p->pass_rows ? p->pass_rows - p->position : n;
          const long long want_ll = ((long long)budget + B - 1) / B * B;
          const int want = want_ll < left ? (int)want_ll : left;
          int trained = -1;
          st = trainer_run(t, net, &data, 1, budget, &trained);
          counts_ok &= trained == want;
        }
        const char *on = opt_name(o);
        CHECK(st == NN_OK && counts_ok, "%s batch %d budget %d: %s, trained counts %s", on, B, budget,
              nn_status_name(st), counts_ok ? "right" : "wrong");
        CHECK(same_weights(net, ref), "%s batch %d budget %d: weights differ from nn_shuffle + nn_train per epoch", on,
              B, budget);
        CHECK(p->epochs == EPOCHS && p->passes == EPOCHS && p->samples == (uint64_t)EPOCHS * n && p->position == 0,
              "%s batch %d budget %d: epochs %llu passes %llu samples %llu position %d", on, B, budget,
              (unsigned long long)p->epochs, (unsigned long long)p->passes, (unsigned long long)p->samples,
              p->position);
        /* one call per pass sums the losses in the same order as the loop; a
         * pass split into calls adds the same float step losses in other
         * groupings, exact in double in practice, so allow the last bits */
        if (budget >= n)
          CHECK(p->last_loss == ref_loss[EPOCHS - 1], "%s batch %d budget %d: last_loss %.17g, loop %.17g", on, B,
                budget, p->last_loss, ref_loss[EPOCHS - 1]);
        else
          CHECK(fabs(p->last_loss - ref_loss[EPOCHS - 1]) <= 1e-12 * ref_loss[EPOCHS - 1],
                "%s batch %d budget %d: last_loss %.17g, loop %.17g", on, B, budget, p->last_loss,
                ref_loss[EPOCHS - 1]);
        CHECK(nn_rng_state(net) == nn_rng_state(ref), "%s batch %d budget %d: the RNG drew other numbers", on, B,
              budget);
        trainer_free(t);
        nn_free(net);
      }
      nn_free(ref);
    }
  free(order);
}

/* ---- (b) no shuffle ------------------------------------------------------- */

static void test_no_shuffle(const digits *d) {
  const int n = N_TRAIN;
  nn_data data = {d->x, NULL, d->y, n};
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++) {
    nn_net *ref = make_net((nn_optimizer)o, 8, NN_SIGMOID), *net = make_net((nn_optimizer)o, 8, NN_SIGMOID);
    nn_trainer *t = make_trainer();
    if (!ref || !net || !t) {
      nn_free(ref);
      nn_free(net);
      trainer_free(t);
      continue;
    }
    trainer_set_shuffle(t, 0);
    double sum = 0;
    for (int e = 0; e < 2; e++) CHECK_EQ(nn_train(ref, &data, NULL, 0, n, &sum, NULL), NN_OK);
    int calls = 0;
    nn_status st = NN_OK;
    while (trainer_progress(t)->passes < 2 && st == NN_OK && calls++ < 2 * n)
      st = trainer_run(t, net, &data, 1, 7, NULL);
    CHECK_EQ(st, NN_OK);
    CHECK(same_weights(net, ref), "%s: shuffle off differs from nn_train with order NULL", opt_name(o));
    CHECK(nn_rng_state(net) == nn_rng_state(ref), "%s: shuffle off still drew from the RNG", opt_name(o));
    CHECK(fabs(trainer_progress(t)->last_loss - sum / n) <= 1e-12 * (sum / n), "%s: last_loss %.17g, want %.17g",
          opt_name(o), trainer_progress(t)->last_loss, sum / n);
    /* and back on: the next pass is shuffled again, as the loop would */
    trainer_set_shuffle(t, 1);
    int32_t *order = malloc(sizeof(int32_t) * n);
    CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
    CHECK_EQ(nn_train(ref, &data, order, 0, n, NULL, NULL), NN_OK);
    CHECK_EQ(trainer_run(t, net, &data, 1, n, NULL), NN_OK);
    CHECK(same_weights(net, ref), "%s: shuffle back on differs from nn_shuffle + nn_train", opt_name(o));
    free(order);
    trainer_free(t);
    nn_free(ref);
    nn_free(net);
  }
}

/* A pass keeps the order it was drawn with ("the order of a pass is drawn
 * when the pass starts", train.c): trainer_set_shuffle mid-pass takes
 * effect from the next pass.
 * BUG (train.c:80, trainer_run): the order is chosen per call from the
 * current flag, `t->shuffle ? t->order : NULL`, not per pass. Turned off
 * mid-pass, the rest of a shuffled pass runs in stored order (rows seen
 * twice, others never); turned on mid-pass of a stored-order pass, it runs
 * in the stale permutation of an earlier pass, and if that pass was
 * smaller than this one (t->cap < pass_rows) nn_train reads t->order past
 * its end: a heap-buffer-overflow under ASan (pass of 16 shuffled, shuffle
 * off, 200 of a pass of 400, shuffle on, one more call). The checks below
 * fail until it is fixed; the stale order here is big enough to be read
 * safely, so that the rest of this executable still runs under ASan. */
static void test_shuffle_toggled_mid_pass(const digits *d) {
  const int n = 301, B = 8;
  nn_data data = {d->x, NULL, d->y, n};
  int32_t *order = malloc(sizeof(int32_t) * n);
  nn_net *ref = make_net(NN_SGD, B, NN_SIGMOID), *net = make_net(NN_SGD, B, NN_SIGMOID);
  nn_trainer *t = make_trainer();
  if (!ref || !net || !t) goto out;
  /* on -> off during a shuffled pass: the pass stays shuffled */
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &data, order, 0, n, NULL, NULL), NN_OK);
  CHECK_EQ(trainer_run(t, net, &data, 1, 200, NULL), NN_OK);
  trainer_set_shuffle(t, 0);
  CHECK_EQ(trainer_run(t, net, &data, 1, INT_MAX, NULL), NN_OK);
  CHECK_EQ(trainer_progress(t)->passes, 1);
  CHECK(same_weights(net, ref), "shuffle turned off mid-pass: the rest of the pass left its order (train.c:80)");
  /* off -> on during a stored-order pass: the pass stays in stored order */
  nn_free(ref);
  nn_free(net);
  ref = make_net(NN_SGD, B, NN_SIGMOID), net = make_net(NN_SGD, B, NN_SIGMOID);
  if (!ref || !net) goto out;
  trainer_set_shuffle(t, 1);
  CHECK_EQ(trainer_run(t, net, &data, 1, INT_MAX, NULL), NN_OK); /* a shuffled pass: t->order holds n */
  trainer_set_shuffle(t, 0);
  CHECK_EQ(trainer_run(t, net, &data, 1, 200, NULL), NN_OK);
  trainer_set_shuffle(t, 1);
  CHECK_EQ(trainer_run(t, net, &data, 1, INT_MAX, NULL), NN_OK);
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &data, order, 0, n, NULL, NULL), NN_OK);
  CHECK_EQ(nn_train(ref, &data, NULL, 0, n, NULL, NULL), NN_OK);
  CHECK_EQ(trainer_progress(t)->passes, 3);
  CHECK(same_weights(net, ref), "shuffle turned on mid-pass: the rest ran in the last pass's stale order (train.c:80)");
out:
  free(order);
  trainer_free(t);
  nn_free(ref);
  nn_free(net);
}

/* ---- (c) counters --------------------------------------------------------- */

static void test_counters(const digits *d) {
  const int part = 300, n = N_TRAIN, B = 8;
  nn_data partial = {d->x, NULL, d->y, part}, whole = {d->x, NULL, d->y, n};
  nn_net *ref = make_net(NN_MOMENTUM, B, NN_SIGMOID), *net = make_net(NN_MOMENTUM, B, NN_SIGMOID);
  nn_trainer *t = make_trainer();
  int32_t *order = malloc(sizeof(int32_t) * n);
  if (!ref || !net || !t) goto out;
  const nn_progress *p = trainer_progress(t);
  CHECK(
    p->epochs == 0 && p->passes == 0 && p->samples == 0 && p->position == 0 && p->pass_rows == 0 && isnan(p->last_loss),
    "fresh trainer: last_loss %g", p->last_loss);
  /* a pass over part of the set (whole = 0), in calls of 20 (rounded to 24) */
  double ref_sum = 0, sum = 0;
  CHECK_EQ(nn_shuffle(ref, order, part), NN_OK);
  int trained = -1;
  CHECK_EQ(trainer_run(t, net, &partial, 0, 20, &trained), NN_OK);
  CHECK_EQ(trained, 24);
  CHECK_EQ(nn_train(ref, &partial, order, 0, 24, &sum, NULL), NN_OK);
  ref_sum += sum;
  CHECK(p->position == 24 && p->pass_rows == part && p->pass_whole == 0 && p->samples == 24 && p->passes == 0,
        "mid pass: position %d rows %d whole %d samples %llu passes %llu", p->position, p->pass_rows, p->pass_whole,
        (unsigned long long)p->samples, (unsigned long long)p->passes);
  CHECK(p->pass_loss == sum, "pass_loss %.17g after the first call, loop %.17g", p->pass_loss, sum);
  CHECK(isnan(p->last_loss), "last_loss before a pass is done: %g", p->last_loss);
  CHECK_EQ(trainer_run(t, net, &partial, 0, 1000, &trained), NN_OK);
  CHECK_EQ(trained, part - 24);
  CHECK_EQ(nn_train(ref, &partial, order, 24, part - 24, &sum, NULL), NN_OK);
  ref_sum += sum;
  CHECK(p->passes == 1 && p->epochs == 0 && p->samples == (uint64_t)part && p->position == 0 && p->pass_rows == 0,
        "after a partial pass: passes %llu epochs %llu samples %llu position %d rows %d", (unsigned long long)p->passes,
        (unsigned long long)p->epochs, (unsigned long long)p->samples, p->position, p->pass_rows);
  CHECK(p->last_loss == ref_sum / part, "partial pass last_loss %.17g, loop %.17g", p->last_loss, ref_sum / part);
  CHECK(same_weights(net, ref), "after the partial pass: weights differ");
  /* a pass over the whole set, in one call */
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &whole, order, 0, n, &sum, NULL), NN_OK);
  CHECK_EQ(trainer_run(t, net, &whole, 1, INT_MAX, &trained), NN_OK);
  CHECK_EQ(trained, n);
  CHECK(p->passes == 2 && p->epochs == 1 && p->samples == (uint64_t)(part + n) && p->position == 0,
        "after a whole pass: passes %llu epochs %llu samples %llu", (unsigned long long)p->passes,
        (unsigned long long)p->epochs, (unsigned long long)p->samples);
  CHECK(p->last_loss == sum / n, "whole pass last_loss %.17g, loop %.17g", p->last_loss, sum / n);
  /* whole as given at a pass's start decides: starts whole, then fed whole = 0 */
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &whole, order, 0, n, NULL, NULL), NN_OK);
  CHECK_EQ(trainer_run(t, net, &whole, 1, 100, NULL), NN_OK);
  CHECK_EQ(p->pass_whole, 1);
  CHECK_EQ(trainer_run(t, net, &whole, 0, INT_MAX, NULL), NN_OK);
  CHECK(p->passes == 3 && p->epochs == 2, "pass started whole: passes %llu epochs %llu", (unsigned long long)p->passes,
        (unsigned long long)p->epochs);
  /* and the other way round: started over a partial set, not an epoch */
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &whole, order, 0, n, NULL, NULL), NN_OK);
  CHECK_EQ(trainer_run(t, net, &whole, 0, 100, NULL), NN_OK);
  CHECK_EQ(trainer_run(t, net, &whole, 1, INT_MAX, NULL), NN_OK);
  CHECK(p->passes == 4 && p->epochs == 2, "pass started partial: passes %llu epochs %llu",
        (unsigned long long)p->passes, (unsigned long long)p->epochs);
  CHECK(same_weights(net, ref), "after four passes: weights differ");
  /* trainer_restart drops the pass (a new order next), keeps the counters */
  CHECK_EQ(trainer_run(t, net, &whole, 1, 50, &trained), NN_OK);
  CHECK_EQ(trainer_progress(t)->position, 56);
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &whole, order, 0, 56, NULL, NULL), NN_OK);
  trainer_restart(t);
  CHECK(p->position == 0 && p->pass_rows == 0 && p->pass_loss == 0 && p->passes == 4 && p->epochs == 2 &&
          p->samples == (uint64_t)(part + 3 * n + 56),
        "after restart: position %d passes %llu samples %llu", p->position, (unsigned long long)p->passes,
        (unsigned long long)p->samples);
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &whole, order, 0, n, NULL, NULL), NN_OK);
  CHECK_EQ(trainer_run(t, net, &whole, 1, INT_MAX, &trained), NN_OK);
  CHECK_EQ(trained, n);
  CHECK(same_weights(net, ref), "restart: a fresh pass in a fresh order");
  CHECK(p->passes == 5 && p->epochs == 3, "restart: passes %llu epochs %llu", (unsigned long long)p->passes,
        (unsigned long long)p->epochs);
out:
  free(order);
  trainer_free(t);
  nn_free(ref);
  nn_free(net);
}

/* ---- (d) a data set that grows -------------------------------------------- */

/* The first m digits as an IDX pair, pushed into a data set bit by bit. */
static void put_be32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

/* Stages: rows 100 ready, a call; rows 250, the rest of the first pass (100
 * rows); a pass of 250; then the whole set finished, an epoch. */
static void test_growing_staged(const digits *d) {
  const int n = N_TRAIN, B = 8;
  uint8_t *img = malloc(16 + (size_t)n * 784), lab[8 + N_TRAIN];
  memcpy(img, d->img_file, 16);
  put_be32(img + 4, (uint32_t)n);
  memcpy(img + 16, d->x, (size_t)n * 784);
  memcpy(lab, d->lab_file, 8);
  put_be32(lab + 4, (uint32_t)n);
  memcpy(lab + 8, d->y, (size_t)n);
  nn_dataset *ds = NULL;
  CHECK_EQ(data_create(10, &ds), NN_OK);
  nn_net *ref = make_net(NN_ADAM, B, NN_SIGMOID), *net = make_net(NN_ADAM, B, NN_SIGMOID);
  nn_trainer *t = make_trainer();
  int32_t *order = malloc(sizeof(int32_t) * n);
  nn_data v = {0}, all = {d->x, NULL, d->y, n};
  int trained = -1;
  if (!ds || !ref || !net || !t) goto out;
  const nn_progress *p = trainer_progress(t);
  /* nothing ready: nothing to do */
  CHECK_EQ(data_push(ds, DATA_IMAGES, img, 16 + 50 * 784 + 17), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK_EQ(trainer_run(t, net, &v, data_complete(ds), 100, &trained), NN_OK);
  CHECK(trained == 0 && p->pass_rows == 0 && nn_steps(net) == 0, "no rows ready: trained %d", trained);
  /* 100 rows */
  CHECK_EQ(data_push(ds, DATA_IMAGES, img + 16 + 50 * 784 + 17, 50 * 784 - 17 + 300), NN_OK);
  CHECK_EQ(data_push(ds, DATA_LABELS, lab, 8 + 130), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK_EQ(v.n, 100);
  CHECK_EQ(trainer_run(t, net, &v, data_complete(ds), 16, &trained), NN_OK);
  CHECK(trained == 16 && p->pass_rows == 100 && p->pass_whole == 0, "first call: trained %d rows %d", trained,
        p->pass_rows);
  /* 250 rows: the pass still covers its 100 */
  CHECK_EQ(data_push(ds, DATA_IMAGES, img + 16 + 100 * 784 + 300, 150 * 784 - 300), NN_OK);
  CHECK_EQ(data_push(ds, DATA_LABELS, lab + 8 + 130, 120), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK_EQ(v.n, 250);
  CHECK_EQ(trainer_run(t, net, &v, data_complete(ds), 1000, &trained), NN_OK);
  CHECK(trained == 84 && p->passes == 1 && p->epochs == 0 && p->pass_rows == 0,
        "the first pass ends at its 100 rows: trained %d passes %llu epochs %llu", trained,
        (unsigned long long)p->passes, (unsigned long long)p->epochs);
  CHECK_EQ(trainer_run(t, net, &v, data_complete(ds), 1000, &trained), NN_OK);
  CHECK(trained == 250 && p->passes == 2 && p->epochs == 0, "a pass over 250: trained %d passes %llu", trained,
        (unsigned long long)p->passes);
  /* the rest, finished: a whole pass, in calls of 40 */
  CHECK_EQ(data_push(ds, DATA_IMAGES, img + 16 + 250 * 784, (size_t)(n - 250) * 784), NN_OK);
  CHECK_EQ(data_push(ds, DATA_LABELS, lab + 8 + 250, (size_t)(n - 250)), NN_OK);
  CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_OK);
  CHECK_EQ(data_finish(ds, DATA_LABELS), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK(v.n == n && data_complete(ds), "complete: n %d", v.n);
  int calls = 0;
  while (p->passes < 3 && calls++ < n) CHECK_EQ(trainer_run(t, net, &v, data_complete(ds), 40, NULL), NN_OK);
  CHECK(p->passes == 3 && p->epochs == 1 && p->samples == (uint64_t)(100 + 250 + n),
        "passes %llu epochs %llu samples %llu", (unsigned long long)p->passes, (unsigned long long)p->epochs,
        (unsigned long long)p->samples);
  /* the loop: a pass over 100, one over 250, one over all */
  static const int rows[3] = {100, 250, N_TRAIN};
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(nn_shuffle(ref, order, rows[i]), NN_OK);
    CHECK_EQ(nn_train(ref, &all, order, 0, rows[i], NULL, NULL), NN_OK);
  }
  CHECK(same_weights(net, ref), "growing set: weights differ from passes over 100, 250, %d rows", n);
  /* another, smaller data set mid-pass: its pass starts again over its rows */
  CHECK_EQ(trainer_run(t, net, &v, 1, 64, &trained), NN_OK);
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK);
  CHECK_EQ(nn_train(ref, &all, order, 0, 64, NULL, NULL), NN_OK);
  nn_data small = {d->x, NULL, d->y, 60};
  CHECK_EQ(trainer_run(t, net, &small, 1, 1000, &trained), NN_OK);
  CHECK(trained == 60 && p->passes == 4, "a smaller set restarts the pass: trained %d passes %llu", trained,
        (unsigned long long)p->passes);
  CHECK_EQ(nn_shuffle(ref, order, 60), NN_OK);
  CHECK_EQ(nn_train(ref, &small, order, 0, 60, NULL, NULL), NN_OK);
  CHECK(same_weights(net, ref), "a smaller set mid-pass: weights differ");
out:
  free(img);
  free(order);
  data_free(ds);
  trainer_free(t);
  nn_free(ref);
  nn_free(net);
}

/* Streaming: small chunks of both files, a call of one batch after each
 * push. Each pass's rows are what was ready when it started; the loop
 * replays those passes. */
static void test_growing_streamed(const digits *d) {
  const int n = N_TRAIN, B = 4;
  uint8_t *img = malloc(16 + (size_t)n * 784), lab[8 + N_TRAIN];
  memcpy(img, d->img_file, 16);
  put_be32(img + 4, (uint32_t)n);
  memcpy(img + 16, d->x, (size_t)n * 784);
  memcpy(lab, d->lab_file, 8);
  put_be32(lab + 4, (uint32_t)n);
  memcpy(lab + 8, d->y, (size_t)n);
  nn_dataset *ds = NULL;
  CHECK_EQ(data_create(10, &ds), NN_OK);
  nn_net *ref = make_net(NN_SGD, B, NN_SIGMOID), *net = make_net(NN_SGD, B, NN_SIGMOID);
  nn_trainer *t = make_trainer();
  int32_t *order = malloc(sizeof(int32_t) * n);
  int pass_rows[64], n_passes = 0, ok = 1;
  size_t at[2] = {0, 0};
  const size_t len[2] = {16 + (size_t)n * 784, 8 + (size_t)n}, chunk[2] = {3001, 5};
  const uint8_t *src[2] = {img, lab};
  if (!ds || !ref || !net || !t) goto out;
  const nn_progress *p = trainer_progress(t);
  for (int turn = 0; at[0] < len[0] || at[1] < len[1]; turn ^= 1) {
    if (at[turn] < len[turn]) { /* a file already finished gets no more pushes */
      size_t c = len[turn] - at[turn] < chunk[turn] ? len[turn] - at[turn] : chunk[turn];
      ok &= data_push(ds, (data_file)turn, src[turn] + at[turn], c) == NN_OK;
      at[turn] += c;
      if (at[turn] == len[turn]) ok &= data_finish(ds, (data_file)turn) == NN_OK;
    }
    nn_data v;
    if (at[0] < 16) continue; /* no image header yet: no view */
    ok &= data_view(ds, &v) == NN_OK;
    if (p->pass_rows == 0 && v.n > 0 && n_passes < 64) pass_rows[n_passes++] = v.n;
    int trained = -1;
    ok &= trainer_run(t, net, &v, data_complete(ds), 1, &trained) == NN_OK;
    ok &= trained == (v.n > 0 ? B : 0) || p->position == 0; /* a batch, or the end of a pass */
  }
  CHECK(ok && data_complete(ds), "streaming: a push, view or call failed");
  CHECK(n_passes >= 2 && n_passes < 64 && pass_rows[0] < pass_rows[n_passes - 1],
        "streaming: %d passes over growing rows", n_passes);
  /* the loop: every pass whole but the last, which stopped at position */
  const int done = (int)p->passes;
  CHECK(done == n_passes || done == n_passes - 1, "passes %d, started %d", done, n_passes);
  for (int i = 0; i < n_passes; i++) {
    CHECK_EQ(nn_shuffle(ref, order, pass_rows[i]), NN_OK);
    const int count = i < done ? pass_rows[i] : p->position;
    nn_data all = {d->x, NULL, d->y, n};
    CHECK_EQ(nn_train(ref, &all, order, 0, count, NULL, NULL), NN_OK);
  }
  CHECK(same_weights(net, ref), "streaming: weights differ from passes over the rows ready at their starts");
  CHECK_EQ(p->epochs, 0); /* no pass began over the finished set */
out:
  free(img);
  free(order);
  data_free(ds);
  trainer_free(t);
  nn_free(ref);
  nn_free(net);
}

/* ---- (e) divergence -------------------------------------------------------- */

/* Poisons the row that the pass takes at position pos (huge finite pixels,
 * relu: the activations overflow and the loss is NaN), so that step
 * k = pos / B + 1 diverges. The trainer reports it with k - 1 steps made,
 * the weights of a net that trained those, and stays there: with the row
 * fixed it trains on to the bits of the loop. */
static void check_divergence(const digits *d, nn_optimizer o, int B, int pos, int budget) {
  const int n = N_TRAIN, k = pos / B + 1;
  float *fx = malloc(sizeof(float) * 784 * n);
  int32_t *order = malloc(sizeof(int32_t) * n);
  for (int i = 0; i < 784 * n; i++) fx[i] = d->x[i] / 255.0f;
  nn_data data = {NULL, fx, d->y, n};
  nn_net *ref = make_net(o, B, NN_RELU), *net = make_net(o, B, NN_RELU);
  nn_trainer *t = make_trainer();
  if (!ref || !net || !t) goto out;
  CHECK_EQ(nn_shuffle(ref, order, n), NN_OK); /* the order the trainer will draw */
  const int row = order[pos];
  for (int i = 0; i < 784; i++)
    fx[(size_t)row * 784 + i] = i % 2 ? -3e38f : 3e38f; /* both signs: centring keeps them */
  const char *on = opt_name(o);
  double ref_sum = 0, sum = 0;
  CHECK_EQ(nn_train(ref, &data, order, 0, (k - 1) * B, &ref_sum, NULL), NN_OK);
  int total = 0, calls = 0, trained = -1;
  nn_status st = NN_OK;
  while (st == NN_OK && calls++ < n) {
    st = trainer_run(t, net, &data, 1, budget, &trained);
    total += trained;
  }
  const nn_progress *p = trainer_progress(t);
  CHECK(st == NN_ERR_DIVERGED, "%s batch %d budget %d, step %d poisoned: %s", on, B, budget, k, nn_status_name(st));
  CHECK(nn_steps(net) == (uint64_t)(k - 1) && total == (k - 1) * B,
        "%s batch %d budget %d: diverged at step %d, steps %llu, trained %d", on, B, budget, k,
        (unsigned long long)nn_steps(net), total);
  CHECK(same_weights(net, ref), "%s batch %d budget %d: weights are not those of the %d steps before", on, B, budget,
        k - 1);
  CHECK(p->position == (k - 1) * B && p->samples == (uint64_t)(k - 1) * B && p->passes == 0 && p->pass_rows == n,
        "%s batch %d: position %d samples %llu passes %llu", on, B, p->position, (unsigned long long)p->samples,
        (unsigned long long)p->passes);
  /* it stays at the step: again diverged, nothing trained */
  CHECK_EQ(trainer_run(t, net, &data, 1, budget, &trained), NN_ERR_DIVERGED);
  CHECK(trained == 0 && nn_steps(net) == (uint64_t)(k - 1) && p->position == (k - 1) * B,
        "%s batch %d: a second call moved: trained %d", on, B, trained);
  /* with the row fixed, on to the end of the pass: the loop's bits */
  for (int i = 0; i < 784; i++) fx[(size_t)row * 784 + i] = d->x[(size_t)row * 784 + i] / 255.0f;
  CHECK_EQ(nn_train(ref, &data, order, (k - 1) * B, n - (k - 1) * B, &sum, NULL), NN_OK);
  calls = 0;
  st = NN_OK;
  while (p->passes == 0 && st == NN_OK && calls++ < n) st = trainer_run(t, net, &data, 1, budget, NULL);
  CHECK(st == NN_OK && p->passes == 1 && p->epochs == 1, "%s batch %d: the pass did not finish: %s", on, B,
        nn_status_name(st));
  CHECK(same_weights(net, ref), "%s batch %d budget %d: after the undone step, training on differs from the loop", on,
        B, budget);
  CHECK(fabs(p->last_loss - (ref_sum + sum) / n) <= 1e-12 * fabs((ref_sum + sum) / n),
        "%s batch %d: last_loss %.17g, loop %.17g", on, B, p->last_loss, (ref_sum + sum) / n);
out:
  free(fx);
  free(order);
  trainer_free(t);
  nn_free(ref);
  nn_free(net);
}

static void test_divergence(const digits *d) {
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++) {
    check_divergence(d, (nn_optimizer)o, 8, 5 * 8 + 3, 7);       /* step 6 of a run in small calls */
    check_divergence(d, (nn_optimizer)o, 8, 5 * 8 + 3, INT_MAX); /* and in one call */
    check_divergence(d, (nn_optimizer)o, 1, 9, 3);               /* batch 1: step 10 */
    check_divergence(d, (nn_optimizer)o, 16, 4, INT_MAX);        /* the first step: nothing trained */
  }
}

/* ---- (f) bad arguments, nothing to do ------------------------------------- */

static void test_bad_args(const digits *d) {
  nn_net *net = make_net(NN_SGD, 8, NN_SIGMOID);
  nn_trainer *t = make_trainer();
  if (!net || !t) goto out;
  nn_data data = {d->x, NULL, d->y, 100}, empty = {d->x, NULL, d->y, 0}, negative = {d->x, NULL, d->y, -1};
  nn_data nothing = {NULL, NULL, NULL, 0};
  int trained = -1;
  CHECK_EQ(trainer_create(NULL), NN_ERR_ARG);
  CHECK_EQ(trainer_run(NULL, net, &data, 1, 10, &trained), NN_ERR_ARG);
  CHECK_EQ(trained, 0);
  trained = -1;
  CHECK_EQ(trainer_run(t, NULL, &data, 1, 10, &trained), NN_ERR_ARG);
  CHECK_EQ(trained, 0);
  CHECK_EQ(trainer_run(t, net, NULL, 1, 10, NULL), NN_ERR_ARG);
  CHECK_EQ(trainer_run(t, net, &data, 1, -1, NULL), NN_ERR_ARG);
  CHECK_EQ(trainer_run(t, net, &data, 1, INT_MIN, NULL), NN_ERR_ARG);
  CHECK_EQ(trainer_run(t, net, &negative, 1, 10, NULL), NN_ERR_ARG);
  const nn_progress *p = trainer_progress(t);
  CHECK(p->pass_rows == 0 && p->samples == 0 && nn_steps(net) == 0, "a refused call started a pass");
  trained = -1;
  CHECK_EQ(trainer_run(t, net, &data, 1, 0, &trained), NN_OK);
  CHECK(trained == 0 && p->pass_rows == 0 && nn_steps(net) == 0, "budget 0 trained %d", trained);
  trained = -1;
  CHECK_EQ(trainer_run(t, net, &empty, 1, 100, &trained), NN_OK);
  CHECK(trained == 0 && p->pass_rows == 0 && p->passes == 0 && nn_steps(net) == 0, "empty data trained %d", trained);
  trained = -1;
  CHECK_EQ(trainer_run(t, net, &nothing, 0, 100, &trained), NN_OK); /* a data_view of nothing yet */
  CHECK_EQ(trained, 0);
  /* a label the net cannot have: refused by nn_train, nothing trained */
  uint8_t y[16];
  memcpy(y, d->y, sizeof y);
  y[3] = 10;
  nn_data bad_label = {d->x, NULL, y, 16};
  trained = -1;
  CHECK_EQ(trainer_run(t, net, &bad_label, 1, 100, &trained), NN_ERR_ARG);
  CHECK(trained == 0 && nn_steps(net) == 0 && p->samples == 0, "bad label trained %d", trained);
  /* NULL-safe helpers */
  trainer_free(NULL);
  trainer_set_shuffle(NULL, 0);
  trainer_restart(NULL);
  CHECK(trainer_progress(NULL) == NULL, "trainer_progress(NULL)");
out:
  trainer_free(t);
  nn_free(net);
}

/* ---- (g) nn_evaluate_rows --------------------------------------------------- */

static void test_evaluate_rows(const digits *train, const digits *test) {
  nn_net *net = make_net(NN_SGD, 8, NN_SIGMOID);
  nn_trainer *t = make_trainer();
  if (!net || !t) goto out;
  nn_data tr = {train->x, NULL, train->y, 2000}, te = {test->x, NULL, test->y, test->n};
  CHECK_EQ(trainer_run(t, net, &tr, 1, INT_MAX, NULL), NN_OK); /* one pass: some right, some wrong */
  const int n = te.n, k = 10;
  enum { CAP = 25, PER_LABEL = 3 }; /* both bind: 10 labels would give 30 */
  uint32_t conf_all[100] = {0}, conf_parts[100] = {0};
  int32_t wrong_all[CAP], pred_all[CAP], wrong_parts[CAP], pred_parts[CAP];
  nn_eval all = {0}, parts = {0};
  all.confusion = conf_all, all.wrong = wrong_all, all.wrong_pred = pred_all;
  parts.confusion = conf_parts, parts.wrong = wrong_parts, parts.wrong_pred = pred_parts;
  all.wrong_cap = parts.wrong_cap = CAP;
  all.wrong_per_label = parts.wrong_per_label = PER_LABEL;
  CHECK_EQ(nn_evaluate_rows(net, &te, 0, n, &all), NN_OK);
  const int cuts[] = {0, 1, 8, 8, 65, 100, 1000, 1999};
  int at = 0;
  for (size_t i = 0; i <= sizeof cuts / sizeof cuts[0]; i++) {
    int end = i < sizeof cuts / sizeof cuts[0] ? cuts[i] : n;
    if (end > n) end = n;
    if (end < at) continue;
    CHECK_EQ(nn_evaluate_rows(net, &te, at, end - at, &parts), NN_OK);
    at = end;
  }
  CHECK(parts.samples == all.samples && all.samples == (uint64_t)n && parts.correct == all.correct,
        "ranges: samples %llu/%llu correct %llu/%llu", (unsigned long long)parts.samples,
        (unsigned long long)all.samples, (unsigned long long)parts.correct, (unsigned long long)all.correct);
  CHECK(parts.loss_sum == all.loss_sum, "ranges: loss_sum %.17g, one call %.17g", parts.loss_sum, all.loss_sum);
  CHECK(memcmp(conf_all, conf_parts, sizeof conf_all) == 0, "ranges: confusion differs");
  CHECK(parts.wrong_count == all.wrong_count &&
          memcmp(wrong_all, wrong_parts, sizeof(int32_t) * (size_t)all.wrong_count) == 0 &&
          memcmp(pred_all, pred_parts, sizeof(int32_t) * (size_t)all.wrong_count) == 0,
        "ranges: wrong lists differ (%d vs %d)", parts.wrong_count, all.wrong_count);
  uint64_t total = 0, diag = 0;
  for (int i = 0; i < k * k; i++) total += conf_all[i];
  for (int i = 0; i < k; i++) diag += conf_all[i * k + i];
  CHECK(total == (uint64_t)n && diag == all.correct, "confusion sums to %llu (diag %llu), want %d (%llu)",
        (unsigned long long)total, (unsigned long long)diag, n, (unsigned long long)all.correct);
  CHECK(all.correct > (uint64_t)n / 2 && all.correct < (uint64_t)n - 200, "one pass: %llu of %d right",
        (unsigned long long)all.correct, n);
  /* the wrong list against predictions: exactly the first misclassified
   * samples that fit, at most PER_LABEL of a label, CAP in all, in order */
  float *probs = malloc(sizeof(float) * (size_t)n * k);
  CHECK_EQ(nn_predict(net, &te, probs), NN_OK);
  int32_t want[CAP], want_pred[CAP];
  int n_want = 0, per[10] = {0}, n_wrong = 0;
  for (int i = 0; i < n; i++) {
    int best = 0;
    for (int j = 1; j < k; j++) best = probs[(size_t)i * k + j] > probs[(size_t)i * k + best] ? j : best;
    if (best == te.labels[i]) continue;
    n_wrong++;
    if (n_want < CAP && per[te.labels[i]] < PER_LABEL) {
      per[te.labels[i]]++;
      want_pred[n_want] = best;
      want[n_want++] = i;
    }
  }
  CHECK_EQ(n_wrong, n - (int)all.correct);
  CHECK(all.wrong_count == n_want && memcmp(all.wrong, want, sizeof(int32_t) * (size_t)n_want) == 0 &&
          memcmp(all.wrong_pred, want_pred, sizeof(int32_t) * (size_t)n_want) == 0,
        "wrong list: %d entries, want %d (the first misclassified, %d a label)", all.wrong_count, n_want, PER_LABEL);
  int seen[10] = {0}, ordered = 1, really_wrong = 1;
  for (int i = 0; i < all.wrong_count; i++) {
    seen[te.labels[all.wrong[i]]]++;
    ordered &= i == 0 || all.wrong[i] > all.wrong[i - 1];
    really_wrong &= all.wrong_pred[i] != te.labels[all.wrong[i]];
  }
  int over = 0;
  for (int c = 0; c < 10; c++) over |= seen[c] > PER_LABEL;
  CHECK(ordered && really_wrong && !over && all.wrong_count <= CAP, "wrong list: ordered %d, wrong %d, per label ok %d",
        ordered, really_wrong, !over);
  /* no limit per label: the cap alone, all of them if it is big enough */
  nn_eval capped = {0}, everything = {0};
  int32_t few[5];
  int32_t *many = malloc(sizeof(int32_t) * (size_t)n);
  capped.wrong = few, capped.wrong_cap = 5;
  everything.wrong = many, everything.wrong_cap = n;
  CHECK_EQ(nn_evaluate_rows(net, &te, 0, n, &capped), NN_OK);
  CHECK_EQ(nn_evaluate_rows(net, &te, 0, 700, &everything), NN_OK);
  CHECK_EQ(nn_evaluate_rows(net, &te, 700, n - 700, &everything), NN_OK);
  CHECK(capped.wrong_count == 5 && everything.wrong_count == n_wrong, "cap 5: %d, no cap: %d of %d", capped.wrong_count,
        everything.wrong_count, n_wrong);
  CHECK(memcmp(few, many, sizeof few) == 0 && memcmp(few, want, sizeof(int32_t) * 3) == 0,
        "the capped list is the first of the full one");
  free(probs);
  free(many);
out:
  trainer_free(t);
  nn_free(net);
}

/* ---- mixed passes ------------------------------------------------------------ */

/* Extra rows (data.extra) join each pass `repeat` times: the pass is
 * n + repeat * m long, its bits do not depend on the budgets, the extra
 * rows change what is learned, and bad mixes are refused. */
static void test_mixed(const digits *d) {
  enum { N = 120, M = 7, R = 5 };
  nn_data extra = {d->x + (size_t)N * 784, NULL, d->y + N, M, 0, 0, NULL};
  nn_data data = {d->x, NULL, d->y, N, 0, 0, &extra};
  nn_net *nets[3] = {make_net(NN_SGD, 8, NN_SIGMOID), make_net(NN_SGD, 8, NN_SIGMOID), make_net(NN_SGD, 8, NN_SIGMOID)};
  const int budgets[2] = {N + R * M, 3};
  for (int k = 0; k < 2; k++) {
    nn_trainer *t = make_trainer();
    CHECK_EQ(trainer_set_repeat(t, R), NN_OK);
    int calls = 0;
    while (trainer_progress(t)->passes < 2 && calls++ < 1000)
      CHECK_EQ(trainer_run(t, nets[k], &data, 1, budgets[k], NULL), NN_OK);
    CHECK(trainer_progress(t)->samples == 2 * (uint64_t)(N + R * M),
          "a mixed pass is n + repeat * m: %llu samples in 2 passes", (unsigned long long)trainer_progress(t)->samples);
    trainer_free(t);
  }
  CHECK(same_weights(nets[0], nets[1]), "mixed passes: the same bits in calls of 3 samples as in whole passes");
  nn_data plain = {d->x, NULL, d->y, N, 0, 0, NULL};
  nn_trainer *t = make_trainer();
  while (trainer_progress(t)->passes < 2) CHECK_EQ(trainer_run(t, nets[2], &plain, 1, N, NULL), NN_OK);
  trainer_free(t);
  CHECK(!same_weights(nets[0], nets[2]), "the extra rows change what is learned");
  t = make_trainer();
  CHECK_EQ(trainer_set_repeat(t, 0), NN_ERR_ARG);
  CHECK_EQ(trainer_set_repeat(t, 10001), NN_ERR_ARG);
  nn_data unlabelled = {d->x, NULL, NULL, M, 0, 0, NULL};
  nn_data bad = {d->x, NULL, d->y, N, 0, 0, &unlabelled};
  CHECK_EQ(trainer_run(t, nets[2], &bad, 1, 8, NULL), NN_ERR_ARG);
  nn_data nested = {d->x, NULL, d->y, N, 0, 0, &data};
  CHECK_EQ(trainer_run(t, nets[2], &nested, 1, N + 8, NULL), NN_ERR_ARG);
  trainer_free(t);
  for (int k = 0; k < 3; k++) nn_free(nets[k]);
}

int main(void) {
  digits train = {0}, test = {0};
  if (!load_digits("train", &train) || !load_digits("t10k", &test) || train.n < 2000) {
    CHECK(0, "default data set missing in %s: run `node scripts/make-dataset.js`", NN_DATA_DIR);
  } else {
    test_budgets_match_plain_loop(&train);
    test_no_shuffle(&train);
    test_shuffle_toggled_mid_pass(&train);
    test_counters(&train);
    test_growing_staged(&train);
    test_growing_streamed(&train);
    test_divergence(&train);
    test_bad_args(&train);
    test_evaluate_rows(&train, &test);
    test_mixed(&train);
  }
  free(train.img_file);
  free(train.lab_file);
  free(test.img_file);
  free(test.lab_file);
  return TEST_DONE();
}
