/* fuzz_data.c: libFuzzer target for the data set (csrc/data.c) and the
 * trainer and augmentation that read it (csrc/train.c, csrc/augment.c).
 *
 * The input is two files and a schedule: byte 0 picks the class count,
 * bytes 1..2 where the images file ends, the rest is images then labels.
 * They are pushed interleaved in chunks whose sizes and order come from a
 * generator seeded by a hash of the input. After every push the data set
 * may only move forward (ready never falls, an error is sticky and then
 * ready is 0), every ready label is below the class count, and the view
 * holds exactly the ready rows. When the shape fits a small network, a
 * trainer (augmenting, with a schedule) runs a few budgets over the ready
 * rows between pushes: it must return NN_OK or NN_ERR_DIVERGED, never read
 * outside the rows (ASan), and count what it trained.
 *
 * Any broken invariant prints what broke and aborts (require.h). Not a unit
 * test: tests/c/test_data.c and test_train.c have the exact cases. */
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "explain.h"
#include "rng.h"
#include "train.h"

#include "require.h"

static uint64_t hash(const uint8_t *b, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* A 1-hidden-layer network for rows x cols images, or NULL if it does not fit. */
static nn_net *small_net(int inputs, int classes) {
  if (inputs < 1 || inputs > 4096 || classes < 2) return NULL;
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.n_sizes = 3;
  cfg.sizes[0] = inputs;
  cfg.sizes[1] = 4;
  cfg.sizes[2] = classes;
  cfg.batch_size = 3;
  augment_default(&cfg.augment);
  nn_net *net = NULL;
  return nn_create(&cfg, &net) == NN_OK ? net : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  const int classes = 2 + data[0] % 20;
  size_t split = (size_t)data[1] << 8 | data[2];
  const uint8_t *body = data + 3;
  const size_t len = size - 3;
  if (split > len) split = len;
  const uint8_t *file[2] = {body, body + split};
  const size_t file_len[2] = {split, len - split};

  nn_dataset *ds = NULL;
  REQUIRE(data_create(classes, &ds) == NN_OK && ds, "data_create(%d)", classes);
  nn_trainer *t = NULL;
  REQUIRE(trainer_create(&t) == NN_OK, "trainer_create");
  trainer_plan(t, 3);
  nn_net *net = NULL;

  rng_t r;
  rng_seed(&r, hash(data, size));
  size_t at[2] = {0, 0};
  uint32_t last_ready = 0;
  nn_status err = NN_OK;
  while (at[0] < file_len[0] || at[1] < file_len[1]) {
    int f = at[0] == file_len[0] ? 1 : at[1] == file_len[1] ? 0 : (int)rng_below(&r, 2);
    size_t want = 1 + rng_below(&r, 64), left = file_len[f] - at[f], n = want < left ? want : left;
    nn_status st = data_push(ds, (data_file)f, file[f] + at[f], n);
    at[f] += n;
    if (err) REQUIRE(st == err, "a sticky error %d became %d", err, st);
    err = st;
    const uint32_t ready = data_ready(ds);
    if (err) {
      REQUIRE(ready == 0 && data_error(ds) == err, "after error %d: ready %u", err, ready);
      continue;
    }
    REQUIRE(ready >= last_ready, "ready fell from %u to %u", last_ready, ready);
    REQUIRE(data_count(ds) == 0 || ready <= data_count(ds), "ready %u over count %u", ready, data_count(ds));
    for (uint32_t i = last_ready; i < ready; i++)
      REQUIRE(data_label(ds, i) >= 0 && data_label(ds, i) < classes, "label %u", i);
    last_ready = ready;
    nn_data view;
    if (data_view(ds, &view) != NN_OK) continue;
    REQUIRE(view.n == (int)ready && view.rows == data_rows(ds) && view.cols == data_cols(ds), "view of %d rows",
            view.n);
    if (ready == 0 || rng_below(&r, 32) != 0) continue; /* train after about one push in 32 */
    if (!net) net = small_net(data_rows(ds) * data_cols(ds), classes);
    if (!net) continue;
    const int budget = (int)rng_below(&r, 5);
    int trained = -1;
    st = trainer_run(t, net, &view, 0, budget, &trained);
    /* augmentation refuses images it cannot distort (a side over AUGMENT_MAX_SIDE) */
    const int too_big = data_rows(ds) > AUGMENT_MAX_SIDE || data_cols(ds) > AUGMENT_MAX_SIDE;
    REQUIRE(st == NN_OK || st == NN_ERR_DIVERGED || (st == NN_ERR_SHAPE && too_big), "trainer_run gave %d (%dx%d)", st,
            data_rows(ds), data_cols(ds));
    REQUIRE(trained >= 0 && trained <= view.n && (budget > 0 || trained == 0), "trained %d of budget %d", trained,
            budget);
  }
  nn_status a = data_finish(ds, DATA_IMAGES), b = data_finish(ds, DATA_LABELS);
  if (err) REQUIRE(a == err && b == err, "finish after error %d gave %d, %d", err, a, b);
  REQUIRE(data_complete(ds) == (a == NN_OK && b == NN_OK), "complete %d after %d, %d", data_complete(ds), a, b);
  for (int f = 0; f < 2; f++) {
    const nn_status st_f = f ? b : a;
    if (st_f == NN_OK) continue;
#define EXPLAIN(buf, cap) data_explain(ds, st_f, (data_file)f, NULL, buf, cap)
    REQUIRE_MESSAGE(EXPLAIN);
#undef EXPLAIN
  }
  nn_free(net);
  trainer_free(t);
  data_free(ds);
  return 0;
}
