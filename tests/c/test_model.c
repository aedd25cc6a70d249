/* test_model.c: the model file (csrc/model.c). Round trips must be exact
 * (same bytes, same predictions, same training afterwards); every damaged
 * file must be rejected with the status of the first check it fails; and
 * a hostile header must not make the loader allocate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "nn.h"
#include "rng.h"
#include "test.h"

static void put32at(uint8_t *b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32at(const uint8_t *b, size_t off) {
  return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}
static void putfat(uint8_t *b, size_t off, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  put32at(b, off, v);
}
/* Recomputes the trailing CRC so that a field check, not the CRC, fires. */
static void refix(uint8_t *b, size_t len) { put32at(b, len - 4, model_crc32(b, len - 4)); }

/* Layout of the small test model (sizes 3,4,2): offsets from model.h. */
enum {
  OFF_VERSION = 4,
  OFF_LENGTH = 8,
  OFF_NSIZES = 12,
  OFF_SIZES = 16,
  OFF_ACT = 28,
  OFF_OPT = 32,
  OFF_LR = 36,
  OFF_MOM = 40,
  OFF_BETA1 = 44,
  OFF_BETA2 = 48,
  OFF_EPS = 52,
  OFF_BATCH = 56,
  OFF_SCHEDULE = 60,
  OFF_DECAY = 64,
  OFF_AUGMENT = 68,
  OFF_INPUT = 88,
  OFF_SEED = 92,
  OFF_STEPS = 100,
  OFF_RNG = 108,
  OFF_COUNT = 116,
  OFF_PARAMS = 120,
  SMALL_PARAMS = 4 * 3 + 4 + 2 * 4 + 2,
  SMALL_LEN = OFF_PARAMS + 4 * SMALL_PARAMS + 4
};

static void random_batch(rng_t *r, float *x, uint8_t *y, int n, int n_in, int n_out) {
  for (int i = 0; i < n * n_in; i++) x[i] = rng_uniform(r);
  for (int i = 0; i < n; i++) y[i] = (uint8_t)rng_below(r, (uint32_t)n_out);
}

/* A net that has trained a little, so steps and rng state are not initial. */
static nn_net *trained_net(const nn_config *cfg, int n) {
  nn_net *net = NULL;
  if (nn_create(cfg, &net) != NN_OK) return NULL;
  int n_in = cfg->sizes[0], n_out = cfg->sizes[cfg->n_sizes - 1];
  float *x = malloc(sizeof(float) * (size_t)n * n_in);
  uint8_t *y = malloc((size_t)n);
  int32_t *order = malloc(sizeof(int32_t) * (size_t)n);
  rng_t r;
  rng_seed(&r, 99);
  random_batch(&r, x, y, n, n_in, n_out);
  nn_data d = {.f32 = x, .labels = y, .n = n};
  CHECK_EQ(nn_shuffle(net, order, n), NN_OK);
  CHECK_EQ(nn_train(net, &d, order, 0, n, NULL, NULL), NN_OK);
  free(x);
  free(y);
  free(order);
  return net;
}

static nn_config small_config(void) {
  nn_config c;
  nn_config_default(&c);
  c.n_sizes = 3;
  c.sizes[0] = 3;
  c.sizes[1] = 4;
  c.sizes[2] = 2;
  c.activation = NN_TANH;
  c.optimizer = NN_MOMENTUM;
  c.learning_rate = 0.05f;
  c.batch_size = 7;
  c.seed = 0x123456789abcdefull;
  return c;
}

/* 8x8 -> conv3x4 (6x6x4) -> pool2 (3x3x4) -> 5 classes */
static nn_config small_conv_config(void) {
  nn_config c = small_config();
  CHECK_EQ(nn_layers_parse("8x8,conv3x4,pool2,5", &c, NULL, 0), NN_OK);
  return c;
}

/* Saves net into a fresh buffer; *len gets its size. */
static uint8_t *save(const nn_net *net, size_t *len) {
  *len = model_size(net);
  uint8_t *b = malloc(*len);
  size_t written = 0;
  CHECK_EQ(model_save(net, b, *len, &written), NN_OK);
  CHECK_EQ(written, *len);
  return b;
}

static void test_crc(void) {
  CHECK_EQ(model_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
  CHECK_EQ(model_crc32((const uint8_t *)"", 0), 0);
  CHECK_EQ(model_crc32((const uint8_t *)"a", 1), 0xE8B7BE43u);
  CHECK_EQ(model_crc32((const uint8_t *)"The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

static void test_layout(void) {
  nn_config c = small_config();
  nn_net *net = trained_net(&c, 20);
  size_t len;
  uint8_t *b = save(net, &len);
  CHECK_EQ(len, SMALL_LEN);
  CHECK(memcmp(b, "MNWM", 4) == 0, "magic");
  CHECK_EQ(get32at(b, OFF_VERSION), 3);
  CHECK_EQ(get32at(b, OFF_LENGTH), SMALL_LEN);
  CHECK_EQ(get32at(b, OFF_INPUT), nn_get_config(net)->input);
  CHECK_EQ(get32at(b, OFF_NSIZES), 3);
  CHECK_EQ(get32at(b, OFF_SIZES + 4), 4);
  CHECK_EQ(get32at(b, OFF_ACT), NN_TANH);
  CHECK_EQ(get32at(b, OFF_OPT), NN_MOMENTUM);
  uint32_t lr_bits;
  float lr = 0.05f;
  memcpy(&lr_bits, &lr, 4);
  CHECK_EQ(get32at(b, OFF_LR), lr_bits);
  CHECK_EQ(get32at(b, OFF_BATCH), 7);
  CHECK_EQ(get32at(b, OFF_SEED), 0x89abcdefu); /* little-endian u64: low word first */
  CHECK_EQ(get32at(b, OFF_SEED + 4), 0x01234567u);
  CHECK_EQ(get32at(b, OFF_STEPS), nn_steps(net));
  CHECK(nn_steps(net) == 3, "20 samples in batches of 7: 3 steps, got %llu", (unsigned long long)nn_steps(net));
  CHECK_EQ(get32at(b, OFF_COUNT), SMALL_PARAMS);
  size_t count;
  const float *p = nn_params_const(net, &count);
  uint32_t p0;
  memcpy(&p0, &p[0], 4);
  CHECK_EQ(get32at(b, OFF_PARAMS), p0);
  CHECK_EQ(get32at(b, len - 4), model_crc32(b, len - 4));
  free(b);
  nn_free(net);
}

/* Field by field: sizes past n_sizes and padding are not part of a config. */
static int config_equal(const nn_config *x, const nn_config *y) {
  int eq = x->n_sizes == y->n_sizes && x->activation == y->activation && x->optimizer == y->optimizer &&
           x->batch_size == y->batch_size && x->seed == y->seed;
  for (int i = 0; eq && i < x->n_sizes; i++) eq = x->sizes[i] == y->sizes[i];
  eq = eq && x->in_rows == y->in_rows && x->in_cols == y->in_cols && x->in_channels == y->in_channels;
  for (int i = 0; eq && i + 1 < x->n_sizes; i++)
    eq = x->layers[i].kind == y->layers[i].kind && x->layers[i].units == y->layers[i].units &&
         x->layers[i].kernel == y->layers[i].kernel;
  const float fx[5] = {x->learning_rate, x->momentum, x->beta1, x->beta2, x->epsilon};
  const float fy[5] = {y->learning_rate, y->momentum, y->beta1, y->beta2, y->epsilon};
  return eq && memcmp(fx, fy, sizeof fx) == 0;
}

/* save -> load -> save gives the same bytes; the loaded net predicts the
 * same probabilities and trains on to the same weights (SGD keeps no
 * optimizer state, so this also checks steps and the shuffle RNG). */
static void round_trip(nn_config c, const char *what) {
  nn_net *a = trained_net(&c, 50), *b = NULL;
  CHECK(a != NULL, "%s: create", what);
  if (!a) return;
  size_t len, len2;
  uint8_t *bytes = save(a, &len);
  CHECK_EQ(model_load(bytes, len, &b), NN_OK);
  if (!b) {
    free(bytes);
    nn_free(a);
    return;
  }
  uint8_t *bytes2 = save(b, &len2);
  CHECK(len == len2 && memcmp(bytes, bytes2, len) == 0, "%s: second save identical", what);
  CHECK(nn_steps(a) == nn_steps(b) && nn_rng_state(a) == nn_rng_state(b), "%s: counters", what);
  CHECK(config_equal(nn_get_config(a), nn_get_config(b)), "%s: config", what);

  int n_in = c.sizes[0], n_out = c.sizes[c.n_sizes - 1], n = 40;
  float *x = malloc(sizeof(float) * (size_t)n * n_in);
  float *pa = malloc(sizeof(float) * (size_t)n * n_out), *pb = malloc(sizeof(float) * (size_t)n * n_out);
  uint8_t *y = malloc((size_t)n);
  int32_t *oa = malloc(sizeof(int32_t) * (size_t)n), *ob = malloc(sizeof(int32_t) * (size_t)n);
  rng_t r;
  rng_seed(&r, 3);
  random_batch(&r, x, y, n, n_in, n_out);
  nn_data d = {.f32 = x, .labels = y, .n = n};
  CHECK_EQ(nn_predict(a, &d, pa), NN_OK);
  CHECK_EQ(nn_predict(b, &d, pb), NN_OK);
  CHECK(memcmp(pa, pb, sizeof(float) * (size_t)n * n_out) == 0, "%s: predictions equal", what);
  if (c.optimizer == NN_SGD) {
    nn_shuffle(a, oa, n);
    nn_shuffle(b, ob, n);
    CHECK(memcmp(oa, ob, sizeof(int32_t) * (size_t)n) == 0, "%s: same shuffle", what);
    nn_train(a, &d, oa, 0, n, NULL, NULL);
    nn_train(b, &d, ob, 0, n, NULL, NULL);
    size_t ca, cb;
    const float *wa = nn_params_const(a, &ca), *wb = nn_params_const(b, &cb);
    CHECK(ca == cb && memcmp(wa, wb, ca * sizeof(float)) == 0, "%s: trains on identically", what);
  }
  free(x);
  free(pa);
  free(pb);
  free(y);
  free(oa);
  free(ob);
  free(bytes);
  free(bytes2);
  nn_free(a);
  nn_free(b);
}

static void test_round_trips(void) {
  nn_config c = small_config();
  round_trip(c, "small momentum tanh");
  c.optimizer = NN_SGD;
  round_trip(c, "small sgd");
  nn_config_default(&c);
  round_trip(c, "default 784-128-64-10");
  c.optimizer = NN_ADAM;
  c.activation = NN_RELU;
  round_trip(c, "default adam relu");
  c = small_conv_config();
  round_trip(c, "convnet momentum tanh");
  c.optimizer = NN_SGD;
  round_trip(c, "convnet sgd");
  CHECK_EQ(nn_layers_parse("6x6x2,conv3x3,pool2,conv2x2,4", &c, NULL, 0), NN_OK);
  round_trip(c, "convnet of two channels in");
}

static nn_status load_status(const uint8_t *b, size_t len) {
  nn_net *net = (nn_net *)1; /* must be overwritten with NULL on failure */
  nn_status st = model_load(b, len, &net);
  if (st) CHECK(net == NULL, "*out NULL on failure");
  nn_free(st ? NULL : net);
  return st;
}

/* A convnet is written as version 4 with its stack; every field of the
 * stack is checked, and a stack that does not fit its sizes is refused. */
static void test_stack_file(void) {
  nn_config c = small_conv_config();
  nn_net *net = trained_net(&c, 20);
  size_t len;
  uint8_t *good = save(net, &len), *b = malloc(len);
  CHECK_EQ(get32at(good, OFF_VERSION), 4);
  const size_t n_sizes = 4, stack_at = OFF_INPUT + 4 + 4 * (n_sizes - 3); /* past the two extra sizes */
  CHECK_EQ(get32at(good, stack_at), 8);                                   /* in_rows */
  CHECK_EQ(get32at(good, stack_at + 12), NN_LAYER_CONV);
  CHECK_EQ(get32at(good, stack_at + 16), 4); /* filters */
  CHECK_EQ(get32at(good, stack_at + 20), 3); /* kernel */
  struct {
    size_t off;
    uint32_t v;
    nn_status want;
    const char *what;
  } cases[] = {
    {stack_at, 9, NN_ERR_FORMAT, "input rows disagree with the sizes"},
    {stack_at + 8, 0, NN_ERR_FORMAT, "no channels"},
    {stack_at, NN_MAX_MAP + 1, NN_ERR_FORMAT, "input rows over the limit"},
    {stack_at + 12, NN_LAYER_KIND_COUNT, NN_ERR_FORMAT, "a kind out of range"},
    {stack_at + 12, NN_LAYER_DENSE, NN_ERR_FORMAT, "a convolution called dense"},
    {stack_at + 16, 5, NN_ERR_FORMAT, "filters disagree with the sizes"},
    {stack_at + 20, 4, NN_ERR_FORMAT, "a kernel that disagrees with the sizes"},
    {stack_at + 20, 0xFFFFFFFFu, NN_ERR_FORMAT, "kernel 2^32-1"},
    {stack_at + 24, NN_LAYER_CONV, NN_ERR_FORMAT, "pooling called a convolution"},
    {stack_at + 36 + 8, 3, NN_ERR_FORMAT, "the dense layer given a kernel"},
    {OFF_VERSION, 3, NN_ERR_FORMAT, "a convnet called version 3"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memcpy(b, good, len);
    put32at(b, cases[i].off, cases[i].v);
    refix(b, len);
    nn_status st = load_status(b, len);
    CHECK(st == cases[i].want, "%s: got %s, want %s", cases[i].what, nn_strerror(st), nn_strerror(cases[i].want));
  }
  for (size_t cut = 0; cut < len; cut++) CHECK_EQ(load_status(good, cut), NN_ERR_TRUNCATED);
  free(b);
  free(good);
  nn_free(net);
}

static void test_damage(void) {
  nn_config c = small_config();
  nn_net *net = trained_net(&c, 20);
  size_t len;
  uint8_t *good = save(net, &len);
  uint8_t *b = malloc(len + 8);
  CHECK_EQ(load_status(good, len), NN_OK);

  /* Every truncation. */
  int bad = 0;
  for (size_t cut = 0; cut < len; cut++) bad += load_status(good, cut) != NN_ERR_TRUNCATED;
  CHECK(bad == 0, "%d truncations not reported as NN_ERR_TRUNCATED", bad);
  CHECK_EQ(load_status(NULL, 0), NN_ERR_TRUNCATED);

  /* Trailing bytes: longer than stated. */
  memcpy(b, good, len);
  b[len] = 0;
  CHECK_EQ(load_status(b, len + 1), NN_ERR_FORMAT);

  /* Every single-bit flip, each caught by the first check it can reach. */
  bad = 0;
  for (size_t i = 0; i < len; i++)
    for (int k = 0; k < 8; k++) {
      memcpy(b, good, len);
      b[i] ^= (uint8_t)(1u << k);
      nn_status st = load_status(b, len);
      int ok;
      if (i < 4) ok = st == NN_ERR_MAGIC;
      else if (i < 8) ok = st == NN_ERR_VERSION || st == NN_ERR_CHECKSUM; /* 1 -> 0 passes "> 1" */
      else if (i < 12) ok = st == NN_ERR_TRUNCATED || st == NN_ERR_FORMAT;
      else ok = st == NN_ERR_CHECKSUM;
      if (!ok) {
        bad++;
        fprintf(stderr, "flip byte %zu bit %d: %s\n", i, k, nn_strerror(st));
      }
    }
  CHECK(bad == 0, "%d bit flips got the wrong status", bad);

  /* Foreign files. */
  memcpy(b, good, len);
  memcpy(b, "MNWX", 4);
  CHECK_EQ(load_status(b, len), NN_ERR_MAGIC);
  memset(b, 0, len);
  b[2] = 8, b[3] = 3; /* an IDX header */
  CHECK_EQ(load_status(b, len), NN_ERR_MAGIC);
  memcpy(b, "\x89PNG\r\n\x1a\n", 8);
  CHECK_EQ(load_status(b, len), NN_ERR_MAGIC);
  CHECK_EQ(load_status((const uint8_t *)"hello", 5), NN_ERR_MAGIC); /* short and foreign */
  CHECK_EQ(load_status((const uint8_t *)"MNW", 3), NN_ERR_TRUNCATED);

  /* Fields with a valid CRC: each field check must fire on its own. */
  struct {
    size_t off;
    uint32_t v;
    nn_status want;
    const char *what;
  } cases[] = {
    {OFF_VERSION, MODEL_VERSION + 1, NN_ERR_VERSION, "a version after the newest"},
    {OFF_VERSION, 4, NN_ERR_FORMAT, "a dense file called version 4 (its length disagrees)"},
    {OFF_SCHEDULE, NN_SCHEDULE_COUNT, NN_ERR_FORMAT, "schedule out of range"},
    {OFF_INPUT, NN_INPUT_COUNT, NN_ERR_FORMAT, "input out of range"},
    {OFF_VERSION, 0xFFFFFFFFu, NN_ERR_VERSION, "version 2^32-1"},
    {OFF_VERSION, 0, NN_ERR_FORMAT, "version 0"},
    {OFF_NSIZES, 0, NN_ERR_FORMAT, "n_sizes 0"},
    {OFF_NSIZES, 1, NN_ERR_FORMAT, "n_sizes 1"},
    {OFF_NSIZES, 2, NN_ERR_FORMAT, "n_sizes 2 (fewer than stored)"},
    {OFF_NSIZES, 4, NN_ERR_FORMAT, "n_sizes 4 (more than stored)"},
    {OFF_NSIZES, NN_MAX_LAYERS + 2, NN_ERR_FORMAT, "n_sizes over the limit"},
    {OFF_NSIZES, 0xFFFFFFFFu, NN_ERR_FORMAT, "n_sizes 2^32-1"},
    {OFF_SIZES, 0, NN_ERR_FORMAT, "size 0"},
    {OFF_SIZES + 4, 5, NN_ERR_FORMAT, "sizes disagree with param_count"},
    {OFF_SIZES + 4, NN_MAX_UNITS + 1, NN_ERR_LIMIT, "size over NN_MAX_UNITS"},
    {OFF_SIZES + 8, 0xFFFFFFFFu, NN_ERR_LIMIT, "size 2^32-1"},
    {OFF_ACT, NN_ACTIVATION_COUNT, NN_ERR_FORMAT, "activation out of range"},
    {OFF_OPT, 0x80000000u, NN_ERR_FORMAT, "optimizer out of range"},
    {OFF_BATCH, 0, NN_ERR_FORMAT, "batch 0"},
    {OFF_BATCH, NN_MAX_BATCH + 1, NN_ERR_FORMAT, "batch over the limit"},
    {OFF_COUNT, SMALL_PARAMS - 1, NN_ERR_FORMAT, "param_count one short"},
    {OFF_COUNT, SMALL_PARAMS + 1, NN_ERR_FORMAT, "param_count one over"},
    {OFF_COUNT, 0xFFFFFFFFu, NN_ERR_FORMAT, "param_count 2^32-1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memcpy(b, good, len);
    put32at(b, cases[i].off, cases[i].v);
    refix(b, len);
    nn_status st = load_status(b, len);
    CHECK(st == cases[i].want, "%s: got %s, want %s", cases[i].what, nn_strerror(st), nn_strerror(cases[i].want));
  }

  struct {
    size_t off;
    float v;
    const char *what;
  } floats[] = {
    {OFF_LR, 0.0f, "lr 0"},
    {OFF_LR, -0.1f, "lr < 0"},
    {OFF_LR, NAN, "lr NaN"},
    {OFF_LR, INFINITY, "lr inf"},
    {OFF_BETA1, 1.5f, "beta1 1.5"},
    {OFF_EPS, NAN, "epsilon NaN"},
    {OFF_MOM, -1.0f, "momentum -1"},
    {OFF_DECAY, NAN, "weight decay NaN"},
    {OFF_DECAY, 0.5f, "weight decay 0.5"},
    {OFF_AUGMENT, 9.0f, "shift 9"},
    {OFF_AUGMENT + 4, -1.0f, "rotation -1"},
    {OFF_AUGMENT + 16, NAN, "elastic NaN"},
    {OFF_PARAMS, NAN, "NaN param"},
    {OFF_PARAMS + 4 * (SMALL_PARAMS - 1), INFINITY, "inf param"},
    {OFF_PARAMS + 8, -INFINITY, "-inf param"},
  };
  for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
    memcpy(b, good, len);
    putfat(b, floats[i].off, floats[i].v);
    refix(b, len);
    nn_status st = load_status(b, len);
    CHECK(st == NN_ERR_FORMAT, "%s: got %s", floats[i].what, nn_strerror(st));
  }

  /* A consistent but shorter file: one param fewer, length and CRC fixed. */
  memcpy(b, good, len - 8);
  put32at(b, OFF_LENGTH, (uint32_t)len - 4);
  put32at(b, OFF_COUNT, SMALL_PARAMS - 1);
  refix(b, len - 4);
  CHECK_EQ(load_status(b, len - 4), NN_ERR_FORMAT);

  /* Version 2 files are refused even when everything else is fine. */
  memcpy(b, good, len);
  put32at(b, OFF_VERSION, MODEL_VERSION + 1);
  refix(b, len);
  CHECK_EQ(load_status(b, len), NN_ERR_VERSION);

  free(b);
  free(good);
  nn_free(net);
}

/* A small file whose header claims a network far over NN_MAX_PARAMS: the
 * limit must fire from the header, at once, before any allocation. */
static void test_huge_header(void) {
  uint8_t b[256] = {0};
  size_t n_sizes = NN_MAX_LAYERS + 1;
  size_t len = 80 + 4 * n_sizes + 4 * 8; /* stated length = actual: 8 params present */
  memcpy(b, "MNWM", 4);
  put32at(b, OFF_VERSION, 1);
  put32at(b, OFF_LENGTH, (uint32_t)len);
  put32at(b, OFF_NSIZES, (uint32_t)n_sizes);
  size_t o = OFF_SIZES;
  for (size_t i = 0; i < n_sizes; i++, o += 4) put32at(b, o, NN_MAX_UNITS);
  put32at(b, o, 0);       /* activation */
  put32at(b, o + 4, 0);   /* optimizer */
  putfat(b, o + 8, 0.1f); /* lr, momentum, beta1, beta2, epsilon */
  putfat(b, o + 12, 0.9f);
  putfat(b, o + 16, 0.9f);
  putfat(b, o + 20, 0.999f);
  putfat(b, o + 24, 1e-8f);
  put32at(b, o + 28, 32);    /* batch */
  size_t count_off = o + 56; /* after seed, steps, rng_state */
  put32at(b, count_off, 0xFFFFFFFFu);
  refix(b, len);
  clock_t t0 = clock();
  CHECK_EQ(load_status(b, len), NN_ERR_LIMIT);
  /* Same with sizes that just exceed NN_MAX_UNITS. */
  put32at(b, OFF_SIZES, NN_MAX_UNITS + 1);
  refix(b, len);
  CHECK_EQ(load_status(b, len), NN_ERR_LIMIT);
  /* a hang guard, not a timing: reading 2^32 claimed weights would take minutes */
  CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0, "rejected from the header");
}

/* Random field damage behind a valid CRC, so that the field checks (not
 * the CRC) must hold: any status, no crash under ASan/UBSan, and a net
 * that loads must save back to the same bytes. */
static void fuzz_fields(nn_config c) {
  nn_net *net = trained_net(&c, 20);
  size_t len;
  uint8_t *good = save(net, &len);
  uint8_t *b = malloc(len), *again = malloc(len + 64);
  rng_t r;
  rng_seed(&r, 11);
  int loaded = 0, bad = 0;
  for (int t = 0; t < 20000; t++) {
    memcpy(b, good, len);
    int k = 1 + (int)rng_below(&r, 4);
    for (int i = 0; i < k; i++) {
      size_t at = 12 + rng_below(&r, (uint32_t)(len - 16));
      b[at] = (uint8_t)(t & 1 ? rng_next(&r) : b[at] ^ (1u << rng_below(&r, 8)));
    }
    refix(b, len);
    nn_net *m = NULL;
    if (model_load(b, len, &m) == NN_OK) {
      loaded++;
      size_t w = 0;
      if (model_size(m) != len || model_save(m, again, len + 64, &w) || memcmp(again, b, len)) bad++;
      nn_free(m);
    }
  }
  CHECK(bad == 0, "%d loaded models did not save back to the same bytes", bad);
  CHECK(loaded > 100, "param damage loads fine (%d of 20000)", loaded);
  free(b);
  free(again);
  free(good);
  nn_free(net);
}

static void test_fuzz(void) {
  fuzz_fields(small_config());
  fuzz_fields(small_conv_config());
}

static void test_args(void) {
  nn_config c = small_config();
  nn_net *net = trained_net(&c, 10);
  size_t len = model_size(net), written = 123;
  uint8_t *b = malloc(len);
  CHECK_EQ(model_size(NULL), 0);
  CHECK_EQ(model_save(NULL, b, len, &written), NN_ERR_ARG);
  CHECK_EQ(written, 0);
  CHECK_EQ(model_save(net, NULL, len, &written), NN_ERR_ARG);
  CHECK_EQ(model_save(net, b, len - 1, &written), NN_ERR_ARG);
  CHECK_EQ(written, 0);
  CHECK_EQ(model_save(net, b, len, NULL), NN_OK);
  CHECK_EQ(model_load(b, len, NULL), NN_ERR_ARG);
  nn_net *none = net;
  CHECK_EQ(model_load(NULL, len, &none), NN_ERR_ARG);
  CHECK(none == NULL, "*out NULL on failure");
  free(b);
  nn_free(net);
}

/* Files of format versions 1 (mnist-wasm 0.1.0) and 2, kept in
 * tests/fixtures, load with the options added since off (version 1: no
 * schedule, decay or augmentation; both: raw input, as they were trained),
 * and save as version 3 with the same seed, counters and weights. */
static void test_old_versions(void) {
  static const struct {
    const char *name;
    uint32_t version;
  } files[] = {{"v1-sigmoid-sgd.mnwm", 1},
               {"v1-relu-adam.mnwm", 1},
               {"v2-sigmoid-cosine-augment.mnwm", 2},
               {"v2-tanh-momentum-decay.mnwm", 2}};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    const char *name = files[f].name;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", NN_FIXTURES_DIR, name);
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL, "%s: cannot open", path);
    if (!fp) continue;
    static uint8_t buf[1 << 18];
    size_t len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK_EQ(get32at(buf, OFF_VERSION), files[f].version);
    nn_net *net = NULL;
    nn_status st = model_load(buf, len, &net);
    CHECK(st == NN_OK, "%s: %s", name, nn_strerror(st));
    if (!net) continue;
    const nn_config *c = nn_get_config(net);
    CHECK(c->input == NN_INPUT_RAW, "%s: raw input", name);
    if (files[f].version == 1)
      CHECK(c->schedule == NN_SCHEDULE_CONSTANT && c->weight_decay == 0.0f && !augment_enabled(&c->augment),
            "%s: version 2's options off", name);
    else
      CHECK(c->schedule != NN_SCHEDULE_CONSTANT && (c->weight_decay > 0.0f || augment_enabled(&c->augment)),
            "%s: version 2's options read", name);
    /* the fields that each later version adds, in bytes */
    const size_t added = files[f].version == 1 ? 28 + 4 : 4;
    size_t out_len = 0;
    uint8_t *again = save(net, &out_len);
    CHECK(out_len == len + added && get32at(again, OFF_VERSION) == 3, "%s: saved as version 3", name);
    /* everything from the seed on (but the CRC) is the old file's, added bytes later */
    const size_t seed_at = 48 + (files[f].version == 2 ? 28 : 0) + 4 * (size_t)get32at(buf, OFF_NSIZES);
    CHECK(memcmp(again + seed_at + added, buf + seed_at, len - seed_at - 4) == 0,
          "%s: the same seed, counters and weights", name);
    free(again);
    nn_free(net);
  }
}

int main(void) {
  test_crc();
  test_old_versions();
  test_layout();
  test_round_trips();
  test_stack_file();
  test_damage();
  test_huge_header();
  test_fuzz();
  test_args();
  return TEST_DONE();
}
