/* export.c: the entry points of export.h (names, export_write,
 * model_open) and the pieces its writers share (export_internal.h): a
 * byte sink and the weight arrays in other programs' orders. */
#include <string.h>

#include "explain.h"
#include "export_internal.h"
#include "model.h"

static const char *const format_names[EXPORT_FORMAT_COUNT] = {"npz", "onnx", "tfjs"};

const char *export_format_name(export_format f) { return (unsigned)f < EXPORT_FORMAT_COUNT ? format_names[f] : NULL; }

int export_format_parse(const char *name) {
  for (int f = 0; name && f < EXPORT_FORMAT_COUNT; f++)
    if (!strcmp(name, format_names[f])) return f;
  return -1;
}

int export_file_count(export_format f) { return f == EXPORT_TFJS ? 2 : (unsigned)f < EXPORT_FORMAT_COUNT ? 1 : 0; }

const char *export_file_name(export_format f, int i) {
  if (i < 0 || i >= export_file_count(f)) return NULL;
  if (f == EXPORT_NPZ) return "model.npz";
  if (f == EXPORT_ONNX) return "model.onnx";
  return i == 0 ? "model.json" : EXPORT_TFJS_WEIGHTS;
}

static void write_file(const nn_net *net, export_format f, int i, ex_bytes *b) {
  if (f == EXPORT_NPZ) npz_write(net, b);
  else if (f == EXPORT_ONNX) onnx_write(net, b);
  else tfjs_write(net, i, b);
}

size_t export_write(const nn_net *net, export_format f, int i, uint8_t *buf, size_t cap) {
  if (!net || i < 0 || i >= export_file_count(f)) return 0;
  ex_bytes count = {NULL, 0};
  write_file(net, f, i, &count);
  if (buf && cap >= count.at) {
    ex_bytes out = {buf, 0};
    write_file(net, f, i, &out);
  }
  return count.at;
}

int export_is_npz(const uint8_t *buf, size_t len) {
  return buf && len >= 4 && buf[0] == 'P' && buf[1] == 'K' &&
         ((buf[2] == 3 && buf[3] == 4) || (buf[2] == 5 && buf[3] == 6));
}

nn_status model_open(const uint8_t *buf, size_t len, nn_net **out, char *msg, size_t cap) {
  if (msg && cap) msg[0] = '\0';
  if (export_is_npz(buf, len)) return npz_load(buf, len, out, msg, cap);
  nn_status st = model_load(buf, len, out);
  if (st != NN_OK) model_explain(buf, len, st, msg, cap);
  return st;
}

/* ---- the byte sink ---------------------------------------------------------- */

void ex_put(ex_bytes *b, const void *p, size_t n) {
  if (b->buf && n) memcpy(b->buf + b->at, p, n);
  b->at += n;
}

void ex_u16(ex_bytes *b, uint32_t v) {
  const uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  ex_put(b, x, 2);
}

void ex_u32(ex_bytes *b, uint32_t v) {
  const uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  ex_put(b, x, 4);
}

void ex_f32(ex_bytes *b, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  ex_u32(b, v);
}

void ex_str(ex_bytes *b, const char *s) { ex_put(b, s, strlen(s)); }

void ex_set_u32(ex_bytes *b, size_t at, uint32_t v) {
  if (!b->buf) return;
  for (int i = 0; i < 4; i++) b->buf[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* ---- weights in other programs' orders --------------------------------------------- */

int ex_weight_layers(const nn_net *net, nn_layer_info *info) {
  int n = 0;
  nn_layer_info L;
  for (int l = 0; nn_get_layer(net, l, &L) == NN_OK; l++)
    if (L.units > 0) info[n++] = L;
  return n;
}

int ex_weight_dims(const nn_layer_info *L, ex_layout lay, int *dims) {
  if (L->kind == NN_LAYER_CONV) {
    const int k = L->kernel, c = L->in.channels, f = L->units;
    const int first[4] = {f, c, k, k}, last[4] = {k, k, c, f};
    memcpy(dims, lay == EX_CHANNELS_FIRST ? first : last, sizeof first);
    return 4;
  }
  dims[0] = lay == EX_CHANNELS_FIRST ? L->units : L->fan_in;
  dims[1] = lay == EX_CHANNELS_FIRST ? L->fan_in : L->units;
  return 2;
}

size_t ex_weight_index(const nn_layer_info *L, ex_layout lay, size_t i) {
  const size_t fan_in = (size_t)L->fan_in, units = (size_t)L->units;
  if (L->kind == NN_LAYER_CONV) {
    if (lay == EX_CHANNELS_FIRST) return i; /* the engine's own order */
    const size_t k = (size_t)L->kernel, ch = (size_t)L->in.channels;
    const size_t f = i % units, c = i / units % ch, kx = i / units / ch % k, ky = i / units / ch / k;
    return ((f * ch + c) * k + ky) * k + kx;
  }
  if (lay == EX_CHANNELS_LAST) return i % units * fan_in + i / units; /* (in, out): transposed */
  /* (out, in), in channel, row, column order: input j is the engine's
   * (row, col, channel) = (rest / cols, rest % cols, j / (rows * cols)) */
  const size_t o = i / fan_in, j = i % fan_in, plane = (size_t)L->in.rows * (size_t)L->in.cols;
  return o * fan_in + j % plane * (size_t)L->in.channels + j / plane;
}

void ex_put_weights(ex_bytes *b, const float *params, const nn_layer_info *L, ex_layout lay) {
  const size_t n = (size_t)L->units * (size_t)L->fan_in;
  if (!b->buf) {
    b->at += 4 * n;
    return;
  }
  for (size_t i = 0; i < n; i++) ex_f32(b, params[L->weights + ex_weight_index(L, lay, i)]);
}
