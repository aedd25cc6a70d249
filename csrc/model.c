/* model.c: the model file of model.h, written and read byte by byte in
 * little-endian order so a file moves between any hosts (native, wasm, big
 * endian). It is not a general serialiser: it stores exactly one nn_net's
 * config, counters and parameters, with a CRC-32 over the lot. Loading
 * trusts nothing: every length, enum and float is checked before it is used,
 * and sizes are checked against the limits before anything is allocated.
 * Nothing here prints, exits or aborts. */
#include "model.h"

#include <math.h>
#include <string.h>

/* Fixed bytes besides sizes[] and params[]: magic, version, length,
 * n_sizes (16), activation, optimizer (8), five floats (20), batch (4),
 * seed, steps, rng_state (24), param_count (4), CRC (4); version 2 adds
 * the schedule, weight decay and five augmentation floats (28); version 3
 * the input (4); version 4 the input's image shape (12) and, besides the
 * sizes, each layer's kind, units and kernel (12 a layer). */
#define MODEL_FIXED_V1 80u
#define MODEL_FIXED_V2 (MODEL_FIXED_V1 + 28u)
#define MODEL_FIXED_V3 (MODEL_FIXED_V2 + 4u)
/* A lower bound on any model file: 2 sizes and 2 params (a 1-1 network;
 * nn_config_check is stricter). Below it, nothing can be read safely. */
#define MODEL_MIN_SIZE (MODEL_FIXED_V1 + 4u * 2u + 4u * 2u)

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), four bits at a
 * time from a constant 16-entry table: 4x the bitwise loop's speed with no
 * table to initialise (no hidden global state). */
uint32_t model_crc32(const uint8_t *buf, size_t len) {
  static const uint32_t nibble[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
                                      0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                      0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    c ^= buf[i];
    c = (c >> 4) ^ nibble[c & 15u];
    c = (c >> 4) ^ nibble[c & 15u];
  }
  return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t **p, uint32_t v) {
  for (int i = 0; i < 4; i++) *(*p)++ = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t **p, uint64_t v) {
  for (int i = 0; i < 8; i++) *(*p)++ = (uint8_t)(v >> (8 * i));
}
static void putf(uint8_t **p, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  put32(p, v);
}
static uint32_t get32(const uint8_t **p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)(*p)[i] << (8 * i);
  *p += 4;
  return v;
}
static uint64_t get64(const uint8_t **p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)(*p)[i] << (8 * i);
  *p += 8;
  return v;
}
static float getf(const uint8_t **p) {
  uint32_t v = get32(p);
  float f;
  memcpy(&f, &v, 4);
  return f;
}

/* Bytes of a file with n_sizes sizes and count params; 64-bit so that a
 * hostile count cannot wrap. */
static uint64_t model_bytes(uint32_t version, uint64_t n_sizes, uint64_t count) {
  const uint32_t fixed = version >= 3 ? MODEL_FIXED_V3 : version == 2 ? MODEL_FIXED_V2 : MODEL_FIXED_V1;
  const uint64_t stack = version >= 4 ? 12u + 12u * (n_sizes - 1) : 0;
  return fixed + 4u * n_sizes + stack + 4u * count;
}

/* The oldest version that holds the network: a dense stack on flat input
 * is written as version 3, byte for byte as before the layer stack, so
 * that older releases read it. */
static uint32_t version_for(const nn_config *cfg) { return nn_is_dense_stack(cfg) ? 3u : MODEL_VERSION; }

size_t model_size(const nn_net *net) {
  if (!net) return 0;
  size_t count = 0;
  nn_params_const(net, &count);
  const nn_config *cfg = nn_get_config(net);
  return (size_t)model_bytes(version_for(cfg), (uint64_t)cfg->n_sizes, count);
}

nn_status model_save(const nn_net *net, uint8_t *buf, size_t cap, size_t *written) {
  if (written) *written = 0;
  if (!net || !buf) return NN_ERR_ARG;
  size_t count = 0;
  const float *params = nn_params_const(net, &count);
  const nn_config *cfg = nn_get_config(net);
  size_t size = model_size(net);
  if (!params || cap < size) return NN_ERR_ARG;

  uint8_t *p = buf;
  /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the magic is 4 bytes, not a string */
  memcpy(p, MODEL_MAGIC, 4);
  p += 4;
  const uint32_t version = version_for(cfg);
  put32(&p, version);
  put32(&p, (uint32_t)size);
  put32(&p, (uint32_t)cfg->n_sizes);
  for (int i = 0; i < cfg->n_sizes; i++) put32(&p, (uint32_t)cfg->sizes[i]);
  put32(&p, (uint32_t)cfg->activation);
  put32(&p, (uint32_t)cfg->optimizer);
  putf(&p, cfg->learning_rate);
  putf(&p, cfg->momentum);
  putf(&p, cfg->beta1);
  putf(&p, cfg->beta2);
  putf(&p, cfg->epsilon);
  put32(&p, (uint32_t)cfg->batch_size);
  put32(&p, (uint32_t)cfg->schedule);
  putf(&p, cfg->weight_decay);
  putf(&p, cfg->augment.shift);
  putf(&p, cfg->augment.rotate);
  putf(&p, cfg->augment.scale);
  putf(&p, cfg->augment.shear);
  putf(&p, cfg->augment.elastic);
  put32(&p, (uint32_t)cfg->input);
  if (version >= 4) {
    put32(&p, (uint32_t)cfg->in_rows);
    put32(&p, (uint32_t)cfg->in_cols);
    put32(&p, (uint32_t)cfg->in_channels);
    for (int l = 0; l + 1 < cfg->n_sizes; l++) {
      put32(&p, (uint32_t)cfg->layers[l].kind);
      put32(&p, (uint32_t)cfg->layers[l].units);
      put32(&p, (uint32_t)cfg->layers[l].kernel);
    }
  }
  put64(&p, cfg->seed);
  put64(&p, nn_steps(net));
  put64(&p, nn_rng_state(net));
  put32(&p, (uint32_t)count);
  for (size_t i = 0; i < count; i++) putf(&p, params[i]);
  put32(&p, model_crc32(buf, (size_t)(p - buf)));
  if (written) *written = size;
  return NN_OK;
}

/* Decodes and checks every field after the CRC has been verified; the CRC
 * only proves the bytes are as written, not that a writer was sane. */
static nn_status model_parse(const uint8_t *buf, size_t len, nn_config *cfg, uint64_t *steps, uint64_t *rng_state,
                             const uint8_t **params) {
  const uint8_t *p = buf + 4;
  uint32_t version = get32(&p);
  if (version == 0) return NN_ERR_FORMAT; /* never written by anyone */
  p += 4;                                 /* length: checked by the caller */
  uint32_t n_sizes = get32(&p);
  if (n_sizes < 2 || n_sizes > NN_MAX_LAYERS + 1) return NN_ERR_FORMAT;
  /* Sizes and the fields after them must fit before the params start. */
  if (model_bytes(version, n_sizes, 0) > len) return NN_ERR_FORMAT;

  /* a version 1 file has none of version 2's options: off (a constant rate,
   * as the release that wrote it trained); files before version 3 were
   * trained on raw input */
  nn_config_default(cfg);
  memset(cfg->sizes, 0, sizeof cfg->sizes);
  cfg->schedule = NN_SCHEDULE_CONSTANT;
  cfg->input = NN_INPUT_RAW;
  cfg->n_sizes = (int)n_sizes;
  for (uint32_t i = 0; i < n_sizes; i++) {
    uint32_t s = get32(&p);
    if (s == 0) return NN_ERR_FORMAT;
    if (s > (version >= 4 ? (uint32_t)NN_MAX_MAP : (uint32_t)NN_MAX_UNITS)) return NN_ERR_LIMIT;
    cfg->sizes[i] = (int)s;
  }
  uint32_t act = get32(&p), opt = get32(&p);
  if (act >= NN_ACTIVATION_COUNT || opt >= NN_OPTIMIZER_COUNT) return NN_ERR_FORMAT;
  cfg->activation = (nn_activation)act;
  cfg->optimizer = (nn_optimizer)opt;
  cfg->learning_rate = getf(&p);
  cfg->momentum = getf(&p);
  cfg->beta1 = getf(&p);
  cfg->beta2 = getf(&p);
  cfg->epsilon = getf(&p);
  if (!isfinite(cfg->learning_rate) || !(cfg->learning_rate > 0.0f)) return NN_ERR_FORMAT;
  uint32_t batch = get32(&p);
  if (batch < 1 || batch > NN_MAX_BATCH) return NN_ERR_FORMAT;
  cfg->batch_size = (int)batch;
  if (version >= 2) {
    uint32_t schedule = get32(&p);
    if (schedule >= NN_SCHEDULE_COUNT) return NN_ERR_FORMAT;
    cfg->schedule = (nn_schedule)schedule;
    cfg->weight_decay = getf(&p);
    cfg->augment.shift = getf(&p);
    cfg->augment.rotate = getf(&p);
    cfg->augment.scale = getf(&p);
    cfg->augment.shear = getf(&p);
    cfg->augment.elastic = getf(&p);
  }
  if (version >= 3) {
    uint32_t input = get32(&p);
    if (input >= NN_INPUT_COUNT) return NN_ERR_FORMAT;
    cfg->input = (nn_input)input;
  }
  if (version >= 4) { /* the stack: its shapes are checked with the rest (nn_config_check) */
    uint32_t shape[3];
    for (int i = 0; i < 3; i++)
      if ((shape[i] = get32(&p)) > NN_MAX_MAP) return NN_ERR_FORMAT;
    cfg->in_rows = (int)shape[0];
    cfg->in_cols = (int)shape[1];
    cfg->in_channels = (int)shape[2];
    for (uint32_t l = 0; l + 1 < n_sizes; l++) {
      const uint32_t kind = get32(&p), units = get32(&p), kernel = get32(&p);
      if (kind >= NN_LAYER_KIND_COUNT || units > NN_MAX_UNITS || kernel > NN_MAX_KERNEL) return NN_ERR_FORMAT;
      cfg->layers[l] = (nn_layer){(nn_layer_kind)kind, (int)units, (int)kernel};
    }
  }
  cfg->seed = get64(&p);
  *steps = get64(&p);
  *rng_state = get64(&p);
  uint32_t count = get32(&p);

  uint64_t want = nn_param_count(cfg);
  if (want > NN_MAX_PARAMS) return NN_ERR_LIMIT;
  if (count != want) return NN_ERR_FORMAT;
  if (model_bytes(version, n_sizes, count) != len) return NN_ERR_FORMAT;
  nn_status st = nn_config_check(cfg);
  if (st == NN_ERR_LIMIT) return NN_ERR_LIMIT;
  if (st) return NN_ERR_FORMAT; /* e.g. beta1 >= 1: a field no writer makes */
  *params = p;
  return NN_OK;
}

nn_status model_load(const uint8_t *buf, size_t len, nn_net **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (!buf && len > 0) return NN_ERR_ARG;
  /* Magic as soon as it can be read, so a short foreign file is called
   * foreign, not truncated; any prefix of a real model is still truncated. */
  if (len >= 4 && memcmp(buf, MODEL_MAGIC, 4) != 0) return NN_ERR_MAGIC;
  if (len < MODEL_MIN_SIZE) return NN_ERR_TRUNCATED;
  const uint8_t *p = buf + 4;
  if (get32(&p) > MODEL_VERSION) return NN_ERR_VERSION;
  uint32_t stated = get32(&p);
  if (len < stated) return NN_ERR_TRUNCATED;
  if (len > stated) return NN_ERR_FORMAT;
  p = buf + len - 4;
  if (get32(&p) != model_crc32(buf, len - 4)) return NN_ERR_CHECKSUM;

  nn_config cfg;
  uint64_t steps = 0, rng_state = 0;
  const uint8_t *pp = NULL;
  nn_status st = model_parse(buf, len, &cfg, &steps, &rng_state, &pp);
  if (st) return st;

  nn_net *net = NULL;
  st = nn_create(&cfg, &net);
  if (st) return st;
  size_t count = 0;
  float *params = nn_params(net, &count);
  if (!params || count != nn_param_count(&cfg)) { /* nn and model disagree */
    nn_free(net);
    return NN_ERR_STATE;
  }
  /* Decoded one float at a time rather than memcpy'd: portable to any
   * host byte order, and a non-finite weight is caught on the way. */
  for (size_t i = 0; i < count; i++) {
    float f = getf(&pp);
    if (!isfinite(f)) {
      nn_free(net);
      return NN_ERR_FORMAT;
    }
    params[i] = f;
  }
  nn_restore_counters(net, steps, rng_state);
  *out = net;
  return NN_OK;
}
