/* make_corpus.c: writes the fuzzers' seed corpus, small valid and
 * near-valid files, into DIR/idx and DIR/model. Run once and commit the
 * files; rerun only to change the seeds:
 *
 *   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_make_corpus
 *   build/fuzz/fuzz_make_corpus tests/fuzz/corpus
 *
 * Every file is deterministic (fixed seeds, no clock). Each IDX seed is one
 * file or an image file followed by its label file, which fuzz_idx reads as
 * a pair. Each near-valid model has its CRC fixed up so that the field it
 * breaks, not the checksum, is what the loader sees. The .npz seeds in
 * DIR/npz are exports of such models; the ones NumPy wrote are committed
 * beside them. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export.h"
#include "idx.h"
#include "model.h"
#include "nn.h"
#include "rng.h"

static const char *dir;
static int failed;

static void write_file(const char *sub, const char *name, const uint8_t *b, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "make_corpus: %s: %s\n", path, strerror(errno));
    failed = 1;
  }
}

/* ---- IDX ---------------------------------------------------------------- */

/* Appends an IDX header and body (NULL body: a pattern of ink strokes). */
static size_t idx(uint8_t *out, uint8_t type, int ndims, const uint32_t *dims, const uint8_t *body, size_t n) {
  size_t at = 0;
  out[at++] = 0;
  out[at++] = 0;
  out[at++] = type;
  out[at++] = (uint8_t)ndims;
  for (int i = 0; i < ndims; i++)
    for (int s = 24; s >= 0; s -= 8) out[at++] = (uint8_t)(dims[i] >> s);
  for (size_t i = 0; i < n; i++) out[at++] = body ? body[i] : (i % 7 < 3 ? (uint8_t)(255 - i % 251) : 0);
  return at;
}

static void idx_seeds(void) {
  static uint8_t b[8192];
  static const uint8_t labels[] = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
  size_t n;
  const uint32_t img[3] = {4, 3, 2}, lab[1] = {4};

  n = idx(b, 8, 3, img, NULL, 24);
  n += idx(b + n, 8, 1, lab, labels, 4);
  write_file("idx", "pair-4x3x2", b, n);

  const uint32_t mnist[3] = {2, 28, 28}, lab2[1] = {2};
  n = idx(b, 8, 3, mnist, NULL, 2 * 784);
  n += idx(b + n, 8, 1, lab2, labels, 2);
  write_file("idx", "pair-2x28x28", b, n);

  const uint32_t ten[1] = {10};
  write_file("idx", "labels-10", b, idx(b, 8, 1, ten, labels, 10));

  const uint32_t four[4] = {2, 2, 2, 2};
  write_file("idx", "four-dims", b, idx(b, 8, 4, four, NULL, 16));

  const uint32_t wide[2] = {3, 5};
  write_file("idx", "two-dims", b, idx(b, 8, 2, wide, NULL, 15));

  /* near-valid: each breaks one thing */
  n = idx(b, 8, 3, img, NULL, 24);
  b[1] = 8;
  write_file("idx", "bad-magic", b, n);
  n = idx(b, 0x0D, 3, img, NULL, 24); /* float elements */
  write_file("idx", "bad-type-float", b, n);
  n = idx(b, 8, 3, img, NULL, 24);
  b[3] = 0;
  write_file("idx", "ndims-0", b, n);
  b[3] = 5;
  write_file("idx", "ndims-5", b, n);
  const uint32_t zero[3] = {4, 0, 2};
  write_file("idx", "dim-0", b, idx(b, 8, 3, zero, NULL, 0));
  const uint32_t huge[3] = {60000, 28, 28 * 1000}; /* 1.3 GB claimed */
  write_file("idx", "over-limit", b, idx(b, 8, 3, huge, NULL, 8));
  const uint32_t edge[1] = {IDX_MAX_BYTES}; /* exactly the limit, then nothing */
  write_file("idx", "limit-header-only", b, idx(b, 8, 1, edge, NULL, 3));
  n = idx(b, 8, 3, img, NULL, 24);
  write_file("idx", "truncated-body", b, n - 5);
  write_file("idx", "truncated-header", b, 10);
  n = idx(b, 8, 1, lab, labels, 4);
  b[n++] = 0xAA;
  write_file("idx", "trailing-byte", b, n);

  const uint32_t lab5[1] = {5};
  n = idx(b, 8, 3, img, NULL, 24);
  n += idx(b + n, 8, 1, lab5, labels, 5);
  write_file("idx", "pair-count-mismatch", b, n);
  static const uint8_t big_labels[] = {3, 10, 200, 1};
  n = idx(b, 8, 3, img, NULL, 24);
  n += idx(b + n, 8, 1, lab, big_labels, 4);
  write_file("idx", "pair-label-out-of-range", b, n);
  n = idx(b, 8, 3, img, NULL, 24);
  n += idx(b + n, 8, 1, lab, labels, 2);
  write_file("idx", "pair-labels-truncated", b, n);
}

/* ---- models ------------------------------------------------------------- */

static void put32(uint8_t *b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}
static void putf(uint8_t *b, size_t off, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  put32(b, off, v);
}
static void fix_crc(uint8_t *b, size_t n) { put32(b, n - 4, model_crc32(b, n - 4)); }

/* A network of this stack (the layers grammar) and options, trained for a
 * few steps on a fixed random batch so that steps and RNG state are not the
 * initial ones; saved into buf (returns the length, 0 on failure). */
static size_t model(uint8_t *buf, size_t cap, const char *layers, nn_activation act, nn_optimizer opt, int steps) {
  nn_config cfg;
  nn_config_default(&cfg);
  if (nn_layers_parse(layers, &cfg, NULL, 0) != NN_OK || cfg.sizes[0] > 64) return 0;
  const int *sizes = cfg.sizes, n_sizes = cfg.n_sizes;
  cfg.activation = act;
  cfg.optimizer = opt;
  cfg.learning_rate = opt == NN_ADAM ? 0.01f : 0.1f;
  cfg.batch_size = 4;
  cfg.seed = 2024;
  nn_net *net = NULL;
  if (nn_create(&cfg, &net) != NN_OK) return 0;
  rng_t r;
  rng_seed(&r, 7);
  float x[4 * 64];
  uint8_t y[4];
  for (int i = 0; i < 4 * sizes[0]; i++) x[i] = rng_uniform(&r);
  for (int i = 0; i < 4; i++) y[i] = (uint8_t)rng_below(&r, (uint32_t)sizes[n_sizes - 1]);
  nn_data d = {.f32 = x, .labels = y, .n = 4};
  for (int s = 0; s < steps; s++) nn_step(net, &d, NULL);
  size_t written = 0;
  nn_status st = model_save(net, buf, cap, &written);
  nn_free(net);
  return st == NN_OK ? written : 0;
}

static void model_seeds(void) {
  static uint8_t b[16384], c[16384];
  size_t n;
  if (!(n = model(b, sizeof b, "3,4,2", NN_SIGMOID, NN_SGD, 3))) goto fail;
  write_file("model", "3-4-2-sigmoid-sgd", b, n);
  size_t n2 = model(c, sizeof c, "2,2", NN_RELU, NN_MOMENTUM, 2);
  if (!n2) goto fail;
  write_file("model", "2-2-relu-momentum", c, n2);
  if (!(n2 = model(c, sizeof c, "5,4,3,2", NN_TANH, NN_ADAM, 5))) goto fail;
  write_file("model", "5-4-3-2-tanh-adam", c, n2);
  if (!(n2 = model(c, sizeof c, "16,8,10", NN_SIGMOID, NN_ADAM, 1))) goto fail;
  write_file("model", "16-8-10-sigmoid-adam", c, n2);
  if (!(n2 = model(c, sizeof c, "3,4,2", NN_SIGMOID, NN_SGD, 0))) goto fail;
  write_file("model", "3-4-2-untrained", c, n2);
  /* stacks of format version 4 */
  if (!(n2 = model(c, sizeof c, "6x6,conv3x2,pool2,3", NN_RELU, NN_SGD, 2))) goto fail;
  write_file("model", "6x6-conv3x2-pool2-3-relu", c, n2);
  if (!(n2 = model(c, sizeof c, "5x5x2,conv2x2,pool2,2", NN_TANH, NN_MOMENTUM, 2))) goto fail;
  write_file("model", "5x5x2-conv2x2-pool2-2-tanh", c, n2);

  /* near-valid, from the 3-4-2 model: offsets as in model.h */
  enum {
    VERSION = 4,
    LENGTH = 8,
    NSIZES = 12,
    SIZES = 16,
    ACT = 28,
    LR = 36,
    BETA1 = 44,
    BATCH = 56,
    INPUT = 88,
    COUNT = 116,
    PARAMS = 120
  }; /* format 3 */
#define VARIANT(name, change, crc)     \
  do {                                 \
    memcpy(c, b, n);                   \
    size_t len = n;                    \
    change;                            \
    if (crc) fix_crc(c, len);          \
    write_file("model", name, c, len); \
  } while (0)
  VARIANT("truncated-half", len = n / 2, 0);
  VARIANT("truncated-crc", len = n - 2, 0);
  VARIANT("bad-magic", c[3] = 'X', 1);
  VARIANT("version-next", put32(c, VERSION, MODEL_VERSION + 1), 1);
  VARIANT("version-0", put32(c, VERSION, 0), 1);
  VARIANT("bad-crc", c[PARAMS + 5] ^= 0x40, 0);
  VARIANT("length-too-big", put32(c, LENGTH, (uint32_t)n + 4), 1);
  VARIANT("length-too-small", put32(c, LENGTH, (uint32_t)n - 4), 1);
  VARIANT("n-sizes-1", put32(c, NSIZES, 1), 1);
  VARIANT("n-sizes-10", put32(c, NSIZES, 10), 1);
  VARIANT("size-0", put32(c, SIZES + 4, 0), 1);
  VARIANT("size-over-limit", put32(c, SIZES + 4, NN_MAX_UNITS + 1), 1);
  VARIANT("activation-9", put32(c, ACT, 9), 1);
  VARIANT("input-2", put32(c, INPUT, 2), 1);
  VARIANT("lr-nan", putf(c, LR, NAN), 1);
  VARIANT("lr-negative", putf(c, LR, -0.1f), 1);
  VARIANT("beta1-one", putf(c, BETA1, 1.0f), 1);
  VARIANT("batch-0", put32(c, BATCH, 0), 1);
  VARIANT("count-mismatch", put32(c, COUNT, 25), 1);
  VARIANT("weight-inf", putf(c, PARAMS + 8, INFINITY), 1);
  VARIANT("weight-huge", putf(c, PARAMS + 8, 3e38f), 1);
  VARIANT("lr-100", putf(c, LR, 100.0f), 1);
#undef VARIANT
  write_file("model", "magic-only", (const uint8_t *)MODEL_MAGIC, 4);
  return;
fail:
  fprintf(stderr, "make_corpus: could not build a model\n");
  failed = 1;
}

/* The .npz export of the model file of a few stacks. */
static void npz_seeds(void) {
  static uint8_t b[16384], z[32768];
  static const struct {
    const char *layers, *name;
    nn_activation act;
  } nets[] = {{"3,4,2", "3-4-2-sigmoid", NN_SIGMOID},
              {"6x6,conv3x2,pool2,3", "6x6-conv3x2-pool2-3-relu", NN_RELU},
              {"5x5x2,conv2x2,pool2,2", "5x5x2-conv2x2-pool2-2-tanh", NN_TANH}};
  for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
    nn_net *net = NULL;
    const size_t n = model(b, sizeof b, nets[i].layers, nets[i].act, NN_SGD, 2);
    const size_t len = n && model_load(b, n, &net) == NN_OK ? export_write(net, EXPORT_NPZ, 0, z, sizeof z) : 0;
    nn_free(net);
    if (!len || len > sizeof z) {
      fprintf(stderr, "make_corpus: the npz of %s failed\n", nets[i].layers);
      failed = 1;
      continue;
    }
    write_file("npz", nets[i].name, z, len);
  }
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  char path[1024];
  static const char *const subs[] = {"", "/idx", "/model", "/npz"};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s%s", dir, subs[i]);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "make_corpus: %s: %s\n", path, strerror(errno));
      return 1;
    }
  }
  idx_seeds();
  model_seeds();
  npz_seeds();
  return failed;
}
