/* fuzz_npz.c: libFuzzer target for the .npz reader (csrc/export_npz.c,
 * export_npy.c), through model_open as every caller reaches it.
 *
 * A refusal must leave *out NULL, say why in a message, and use one of the
 * codes export.h documents. A file that loads must describe a network
 * nn_config_check accepts, predict a zero image (finite probabilities, or
 * NN_ERR_DIVERGED for weights that overflow), and come back from its own
 * export as the same weights, bit for bit, and the same stack.
 *
 * Mutations nearly always break an entry's CRC-32, which would hide the
 * .npy parser and the shapes from the fuzzer, so an input refused for its
 * checksum is read a second time with every CRC its directory can reach
 * recomputed. Seeds: tests/fuzz/corpus/npz, written by make_corpus (this
 * package's exports) and by NumPy's np.savez (zip64 extras, float64, W1..Wn
 * alone). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "model.h"
#include "nn.h"

#include "require.h"

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the CRC of each entry that a plain end record's directory
 * reaches (no zip64, no comment), in its directory and local headers. */
static void fix_crcs(uint8_t *b, size_t n) {
  if (n < 22 || rd32(b + n - 22) != 0x06054b50u) return;
  size_t at = rd32(b + n - 6);
  for (uint32_t i = 0, count = rd16(b + n - 12); i < count && at + 46 <= n - 22; i++) {
    const size_t size = rd32(b + at + 24), local = rd32(b + at + 42);
    const size_t name = rd16(b + at + 28), extra = rd16(b + at + 30), comment = rd16(b + at + 32);
    if (local + 30 <= n) {
      const size_t start = local + 30 + rd16(b + local + 26) + rd16(b + local + 28);
      if (start <= n && size <= n - start) {
        const uint32_t crc = model_crc32(b + start, size);
        wr32(b + at + 16, crc);
        wr32(b + local + 14, crc);
      }
    }
    at += 46 + name + extra + comment;
  }
}

static int documented(nn_status st) {
  return st == NN_ERR_TRUNCATED || st == NN_ERR_CHECKSUM || st == NN_ERR_FORMAT || st == NN_ERR_SHAPE ||
         st == NN_ERR_LIMIT || st == NN_ERR_NOMEM;
}

static void check_loaded(nn_net *net) {
  const nn_config *cfg = nn_get_config(net);
  REQUIRE(nn_config_check(cfg) == NN_OK, "loaded a config that nn_config_check rejects");
  const int n_in = cfg->sizes[0], k = cfg->sizes[cfg->n_sizes - 1];
  float *x = calloc((size_t)n_in, sizeof *x), *p = malloc(sizeof *p * (size_t)k);
  REQUIRE(x && p, "out of memory");
  nn_data d = {.f32 = x, .n = 1};
  nn_status st = nn_predict(net, &d, p);
  REQUIRE(st == NN_OK || st == NN_ERR_DIVERGED, "predict gave %d", st);
  for (int j = 0; st == NN_OK && j < k; j++) REQUIRE(isfinite(p[j]), "probability %d is %g", j, p[j]);
  free(x);
  free(p);
  /* its own export loads as the same network */
  const size_t size = export_write(net, EXPORT_NPZ, 0, NULL, 0);
  uint8_t *again = malloc(size);
  REQUIRE(again && export_write(net, EXPORT_NPZ, 0, again, size) == size, "export_write");
  nn_net *back = NULL;
  char msg[512];
  REQUIRE(npz_load(again, size, &back, msg, sizeof msg) == NN_OK, "its own export is refused: %s", msg);
  size_t n = 0, m = 0;
  const float *a = nn_params_const(net, &n), *b = nn_params_const(back, &m);
  REQUIRE(n == m && memcmp(a, b, n * sizeof *a) == 0, "the weights changed on the way back");
  char s1[256], s2[256];
  nn_layers_format(cfg, s1, sizeof s1);
  nn_layers_format(nn_get_config(back), s2, sizeof s2);
  REQUIRE(!strcmp(s1, s2), "stack %s came back as %s", s1, s2);
  nn_free(back);
  free(again);
}

static nn_status check(const uint8_t *data, size_t size) {
  static char sentinel;
  nn_net *net = (nn_net *)&sentinel;
  char msg[512];
  nn_status st = model_open(data, size, &net, msg, sizeof msg);
  if (st != NN_OK) {
    REQUIRE(net == NULL, "*out not NULL after error %d", st);
    REQUIRE(msg[0] != '\0', "refused (%d) without a message", st);
    if (export_is_npz(data, size)) REQUIRE(documented(st), "undocumented status %d: %s", st, msg);
    return st;
  }
  REQUIRE(net != NULL, "loaded, but *out NULL");
  check_loaded(net);
  nn_free(net);
  return NN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t empty[1];
  if (!data) data = empty;
  if (check(data, size) == NN_ERR_CHECKSUM) {
    uint8_t *fixed = malloc(size);
    REQUIRE(fixed, "out of memory");
    memcpy(fixed, data, size);
    fix_crcs(fixed, size);
    check(fixed, size);
    free(fixed);
  }
  return 0;
}
