/* fuzz_model.c: libFuzzer target for the model loader (csrc/model.c).
 *
 * model_load gets the raw input. A rejection must leave *out NULL and use
 * one of the codes model.h documents (a foreign magic is always
 * NN_ERR_MAGIC). A file that loads must describe a network nn_config_check
 * accepts; saving it again must give the same bytes, byte for byte; a zero
 * image (as floats and as bytes) must predict finite probabilities that sum
 * to 1, and evaluate to the same argmax and a finite loss; one training
 * step must either succeed with finite weights or report NN_ERR_DIVERGED
 * with the weights untouched; one zero image's backpropagation and gradient
 * check must give a finite loss or NN_ERR_DIVERGED and leave the model's
 * bytes as they were; and the model saved after that step must load and
 * save identically too.
 *
 * Byte mutations almost always break the CRC, which would hide every later
 * check from the fuzzer, so an input rejected for its checksum is loaded a
 * second time with the CRC recomputed. Any broken invariant prints what
 * broke and aborts, which libFuzzer reports as a crash and saves the input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "model.h"
#include "nn.h"

#include "require.h"

static int documented_error(nn_status st) {
  return st == NN_ERR_TRUNCATED || st == NN_ERR_MAGIC || st == NN_ERR_VERSION || st == NN_ERR_CHECKSUM ||
         st == NN_ERR_FORMAT || st == NN_ERR_LIMIT || st == NN_ERR_NOMEM;
}

/* Saves net and returns the bytes (caller frees); checks the size it
 * promised and that a buffer one byte short is refused. */
static uint8_t *save(const nn_net *net, size_t *len) {
  size_t size = model_size(net), written = 1;
  REQUIRE(size > 0, "model_size 0");
  uint8_t *buf = malloc(size);
  REQUIRE(buf, "out of memory");
  REQUIRE(model_save(net, buf, size - 1, &written) == NN_ERR_ARG && written == 0, "short buffer accepted");
  REQUIRE(model_save(net, buf, size, &written) == NN_OK, "model_save failed");
  REQUIRE(written == size, "wrote %zu of model_size %zu", written, size);
  *len = size;
  return buf;
}

/* Predicts a zero image, given as floats and as bytes: the same finite
 * probabilities in [0, 1] that sum to 1. Finite weights can still overflow
 * the logits (a weight of 3e38); that must be reported, as NN_ERR_DIVERGED,
 * never returned as NaN probabilities with NN_OK. */
static void check_predict(nn_net *net) {
  const nn_config *cfg = nn_get_config(net);
  int n_in = cfg->sizes[0], k = cfg->sizes[cfg->n_sizes - 1];
  float *x = calloc((size_t)n_in, sizeof *x), *p = malloc(sizeof *p * (size_t)k), *q = malloc(sizeof *q * (size_t)k);
  uint8_t *u = calloc((size_t)n_in, 1);
  REQUIRE(x && p && q && u, "out of memory");
  nn_data f = {.f32 = x, .n = 1}, b = {.u8 = u, .n = 1};
  nn_status st = nn_predict(net, &f, p), su = nn_predict(net, &b, q);
  REQUIRE(st == NN_OK || st == NN_ERR_DIVERGED, "predict (floats) gave %d", st);
  REQUIRE(su == st, "predict gave %d for floats but %d for bytes", st, su);
  if (st == NN_OK) {
    double sum = 0;
    for (int j = 0; j < k; j++) {
      REQUIRE(isfinite(p[j]) && p[j] >= 0.0f && p[j] <= 1.0f, "probability %d is %g", j, p[j]);
      sum += p[j];
    }
    REQUIRE(fabs(sum - 1.0) < 1e-5 + 1e-6 * k, "probabilities sum to %.9g", sum);
    REQUIRE(memcmp(p, q, sizeof *p * (size_t)k) == 0, "zero image as floats and as bytes predicts differently");
  }
  /* evaluate runs the same forward pass: the same argmax and a finite loss,
   * or NN_ERR_DIVERGED (which it must give where predict did, and may give
   * where only the loss overflows: logits 6e38 apart) */
  uint8_t y = 0;
  int correct = -1;
  double loss = -1;
  uint32_t *confusion = calloc((size_t)k * (size_t)k, sizeof *confusion);
  REQUIRE(confusion, "out of memory");
  b.labels = &y;
  nn_status se = nn_evaluate(net, &b, &correct, &loss, confusion);
  REQUIRE(se == NN_OK || se == NN_ERR_DIVERGED, "evaluate gave %d", se);
  REQUIRE(st == NN_OK || se == st, "evaluate gave %d where predict gave %d", se, st);
  if (se == NN_OK) {
    int best = 0;
    for (int j = 1; j < k; j++) best = p[j] > p[best] ? j : best;
    REQUIRE(correct == (best == 0), "evaluate: correct %d, argmax %d", correct, best);
    REQUIRE(isfinite(loss) && loss >= 0.0, "evaluate: loss %g", loss);
    REQUIRE(confusion[best] == 1, "evaluate: confusion[0][%d] is %u", best, confusion[best]);
  }
  free(confusion);
  free(x);
  free(p);
  free(q);
  free(u);
}

/* One step on a zero image: trains with finite weights, or diverges and
 * leaves the weights and step count as they were. */
static void check_step(nn_net *net, uint8_t label) {
  const nn_config *cfg = nn_get_config(net);
  int n_in = cfg->sizes[0], k = cfg->sizes[cfg->n_sizes - 1];
  size_t count = 0;
  float *params = nn_params(net, &count);
  float *before = malloc(sizeof *before * count), *x = calloc((size_t)n_in, sizeof *x);
  REQUIRE(before && x, "out of memory");
  memcpy(before, params, sizeof *before * count);
  uint64_t steps = nn_steps(net);
  uint8_t y = (uint8_t)(label % k);
  nn_data d = {.f32 = x, .labels = &y, .n = 1};
  float loss = -1.0f;
  nn_status st = nn_step(net, &d, &loss);
  REQUIRE(st == NN_OK || st == NN_ERR_DIVERGED, "nn_step gave %d", st);
  if (st == NN_OK) {
    REQUIRE(isfinite(loss) && loss >= 0.0f, "loss %g", loss);
    REQUIRE(nn_steps(net) == steps + 1, "steps %llu after %llu", (unsigned long long)nn_steps(net),
            (unsigned long long)steps);
    for (size_t i = 0; i < count; i++) REQUIRE(isfinite(params[i]), "param %zu is %g after a good step", i, params[i]);
  } else {
    REQUIRE(memcmp(before, params, sizeof *before * count) == 0, "a diverged step changed the weights");
    REQUIRE(nn_steps(net) == steps, "a diverged step counted");
  }
  uint8_t bad = (uint8_t)k; /* a label out of range changes nothing */
  d.labels = &bad;
  memcpy(before, params, sizeof *before * count);
  REQUIRE(k > 255 || nn_step(net, &d, NULL) == NN_ERR_ARG, "label %d of %d classes accepted", bad, k);
  REQUIRE(memcmp(before, params, sizeof *before * count) == 0, "a rejected step changed the weights");
  free(before);
  free(x);
}

/* One zero image's backpropagation and its gradient check: NN_OK (a
 * finite loss) or NN_ERR_DIVERGED, and the model's bytes as they were. */
static void check_gradients(nn_net *net, uint8_t label) {
  const nn_config *cfg = nn_get_config(net);
  const int n_in = cfg->sizes[0], k = cfg->sizes[cfg->n_sizes - 1];
  size_t outs = 0, count = 0, before_len = 0, after_len = 0;
  for (int l = 1; l < cfg->n_sizes; l++) outs += (size_t)cfg->sizes[l];
  (void)nn_params_const(net, &count);
  float *x = calloc((size_t)n_in, sizeof *x), *buf = malloc((3 * outs + count) * sizeof *buf), loss = -1.0f;
  REQUIRE(x && buf, "out of memory");
  uint8_t *before = save(net, &before_len), y = (uint8_t)(label % k);
  nn_data d = {.f32 = x, .labels = &y, .n = 1};
  nn_status st = nn_gradients(net, &d, buf, buf + outs, buf + 2 * outs, buf + 3 * outs, &loss);
  REQUIRE(st == NN_OK || st == NN_ERR_DIVERGED, "nn_gradients gave %d", st);
  if (st == NN_OK) REQUIRE(isfinite(loss) && loss >= 0.0f, "gradients: loss %g", loss);
  nn_check_layer layers[NN_MAX_LAYERS];
  double worst = -1;
  nn_status sc = nn_gradient_check(net, &d, 2, layers, &worst);
  REQUIRE(sc == st, "nn_gradient_check gave %d where nn_gradients gave %d", sc, st);
  uint8_t *after = save(net, &after_len);
  REQUIRE(after_len == before_len && memcmp(before, after, before_len) == 0, "gradients changed the model");
  free(before);
  free(after);
  free(x);
  free(buf);
}

/* Loads buf; returns the status after checking every invariant. When
 * deep, a loaded network is also trained a step and round-tripped again. */
static nn_status check_load(const uint8_t *buf, size_t len, int deep) {
  static char sentinel;
  nn_net *net = (nn_net *)&sentinel; /* must become NULL on failure */
  nn_status st = model_load(buf, len, &net);
  if (st != NN_OK) {
    REQUIRE(documented_error(st), "model_load gave undocumented status %d (%s)", st, nn_strerror(st));
    REQUIRE(net == NULL, "*out not NULL after error %d", st);
#define EXPLAIN(b, cap) model_explain(buf, len, st, b, cap)
    REQUIRE_MESSAGE(EXPLAIN);
#undef EXPLAIN
    if (len >= 4 && memcmp(buf, MODEL_MAGIC, 4) != 0) REQUIRE(st == NN_ERR_MAGIC, "foreign magic gave %d", st);
    if (len < 4) REQUIRE(st == NN_ERR_TRUNCATED || st == NN_ERR_MAGIC, "%zu bytes gave %d", len, st);
    return st;
  }
  REQUIRE(net != NULL, "model_load OK but *out NULL");
  REQUIRE(nn_config_check(nn_get_config(net)) == NN_OK, "loaded a config that nn_config_check rejects");
  size_t n = 0;
  uint8_t *again = save(net, &n);
  const uint32_t version = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
  const uint32_t saved_as =
    (uint32_t)again[4] | (uint32_t)again[5] << 8 | (uint32_t)again[6] << 16 | (uint32_t)again[7] << 24;
  REQUIRE(saved_as == 3 || saved_as == MODEL_VERSION, "saved as version %u", saved_as);
  if (version == saved_as) {
    REQUIRE(n == len, "saved %zu bytes of a %zu byte file", n, len);
    REQUIRE(memcmp(again, buf, len) == 0, "save after load is not byte-identical");
  } else {
    /* an older file is saved in the version that holds its stack today, which loads and saves alike */
    REQUIRE(version < saved_as, "loaded a file of version %u, saved as %u", version, saved_as);
    REQUIRE(check_load(again, n, 0) == NN_OK, "a file of version %u, saved again, does not load", version);
  }
  free(again);
  check_predict(net);
  if (deep) {
    check_gradients(net, buf[len / 3]);
    check_step(net, buf[len / 2]);
    uint8_t *after = save(net, &n);
    REQUIRE(check_load(after, n, 0) == NN_OK, "a model saved after a step does not load");
    free(after);
  }
  nn_free(net);
  return NN_OK;
}

static void null_args_once(void) {
  static int done;
  if (done) return;
  done = 1;
  REQUIRE(model_load((const uint8_t *)"MNWM", 4, NULL) == NN_ERR_ARG, "NULL out");
  nn_net *net = NULL;
  REQUIRE(model_load(NULL, 8, &net) == NN_ERR_ARG && net == NULL, "NULL bytes");
  REQUIRE(model_load(NULL, 0, &net) != NN_OK && net == NULL, "empty input loaded");
  REQUIRE(model_size(NULL) == 0, "model_size(NULL)");
  uint8_t b[4];
  size_t w = 1;
  REQUIRE(model_save(NULL, b, sizeof b, &w) == NN_ERR_ARG && w == 0, "model_save(NULL)");
  REQUIRE(model_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u, "CRC-32 check value");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t empty[1];
  if (!data) data = empty;
  null_args_once();
  nn_status st = check_load(data, size, 1);
  if (st == NN_ERR_CHECKSUM && size >= 4) {
    uint8_t *fixed = malloc(size);
    REQUIRE(fixed, "out of memory");
    memcpy(fixed, data, size);
    uint32_t crc = model_crc32(fixed, size - 4);
    for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    st = check_load(fixed, size, 1);
    REQUIRE(st != NN_ERR_CHECKSUM, "checksum still wrong after fixing it");
    free(fixed);
  }
  return 0;
}
