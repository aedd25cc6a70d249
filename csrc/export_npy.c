/* export_npy.c: the .npy arrays of an .npz (export.h): their header,
 * written as NumPy writes it and read back with every field checked (the
 * dtype, fortran_order, the shape against the bytes there are), and a
 * network made from the arrays, each matched to the stack it must fit.
 * Pickled objects are never read: their dtype is refused by name. */
#include <string.h>

#include "export_internal.h"
#include "text.h"

#define NPY_MAX_RANK 4

void npy_put_header(ex_bytes *b, const char *descr, const int *dims, int rank) {
  char h[192];
  nn_text t = text_of(h, sizeof h);
  text_put(&t, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < rank; i++) text_put(&t, "%s%d", i ? ", " : "", dims[i]);
  text_put(&t, "%s), }", rank == 1 ? "," : "");
  const size_t pad = (64 - (10 + t.at + 1) % 64) % 64; /* magic to data a multiple of 64 bytes */
  ex_put(b, "\x93NUMPY\x01\x00", 8);
  ex_u16(b, (uint32_t)(t.at + pad + 1));
  ex_put(b, h, t.at);
  for (size_t i = 0; i < pad; i++) ex_put(b, " ", 1);
  ex_put(b, "\n", 1);
}

/* ---- reading one array ----------------------------------------------------------- */

typedef struct {
  char type; /* 'f' float, 'U' unicode (UCS-4), 'S' bytes */
  int big;   /* big-endian */
  size_t item;
  int rank;
  int64_t dims[NPY_MAX_RANK];
  const uint8_t *data;
  size_t count;
} npy_array;

/* The header's Python dict, read with a cursor. */
typedef struct {
  const char *p, *end;
} cursor;

static void skip(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\n')) c->p++;
}
static int eat(cursor *c, char ch) {
  skip(c);
  if (c->p >= c->end || *c->p != ch) return 0;
  c->p++;
  return 1;
}
/* A quoted string into out (cap bytes); 0 if there is none or it is too long. */
static int quoted(cursor *c, char *out, size_t cap) {
  skip(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  const char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (n + 1 >= cap) return 0;
    out[n++] = *c->p++;
  }
  out[n] = '\0';
  return eat(c, q);
}
static int word(cursor *c, const char *w) {
  skip(c);
  const size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || strncmp(c->p, w, n) != 0) return 0;
  c->p += n;
  return 1;
}
static int integer(cursor *c, int64_t *v) {
  skip(c);
  int digits = 0;
  *v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 12) *v = *v * 10 + (*c->p++ - '0'), digits++;
  return digits > 0 && digits < 12;
}

/* descr: '<f4', '<f8' (either byte order), '<U7', '|S7'; anything else refused by name. */
static nn_status parse_descr(const char *name, const char *d, npy_array *a, char *msg, size_t cap) {
  const char order = d[0], type = order ? d[1] : 0;
  int64_t size = 0;
  cursor c = {d + (order ? 2 : 0), d + strlen(d)};
  const int sized = type && integer(&c, &size) && c.p == c.end && size > 0 && size < 100000;
  if (type == 'O')
    return text_fail(NN_ERR_FORMAT, msg, cap,
                     "%s.npy: dtype '%s' is pickled Python objects, which are never loaded; save float arrays", name,
                     d);
  a->type = type;
  a->big = order == '>';
  a->item = (size_t)size * (type == 'U' ? 4u : 1u);
  if (sized && (order == '<' || order == '>') && type == 'f' && (size == 4 || size == 8)) return NN_OK;
  if (sized && (order == '<' || order == '>') && type == 'U') return NN_OK;
  if (sized && order == '|' && type == 'S') return NN_OK;
  return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: dtype '%s': expected float32 or float64 ('<f4', '<f8') or text",
                   name, d);
}

/* The header of entry e and where its data are, checked against its size. */
static nn_status parse_array(const npz_entry *e, npy_array *a, char *msg, size_t cap) {
  memset(a, 0, sizeof *a);
  if (e->size < 10 || memcmp(e->data, "\x93NUMPY", 6) != 0)
    return text_fail(e->size < 10 ? NN_ERR_TRUNCATED : NN_ERR_FORMAT, msg, cap, "%s.npy: not an .npy array (bad magic)",
                     e->name);
  const int major = e->data[6];
  if (major < 1 || major > 3)
    return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: .npy format version %d.%d", e->name, major, e->data[7]);
  const size_t head = major == 1 ? 10 : 12;
  if (e->size < head) return text_fail(NN_ERR_TRUNCATED, msg, cap, "%s.npy: its header ends early", e->name);
  const size_t hlen =
    major == 1 ? (size_t)(e->data[8] | e->data[9] << 8)
               : (size_t)e->data[8] | (size_t)e->data[9] << 8 | (size_t)e->data[10] << 16 | (size_t)e->data[11] << 24;
  if (hlen > e->size - head)
    return text_fail(NN_ERR_TRUNCATED, msg, cap, "%s.npy: a header of %zu bytes in %zu", e->name, hlen, e->size);
  cursor c = {(const char *)e->data + head, (const char *)e->data + head + hlen};
  int seen = 0, fortran = 0;
  char key[32], descr[32];
  if (!eat(&c, '{')) return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: its header is not a dict", e->name);
  while (!eat(&c, '}')) {
    if (!quoted(&c, key, sizeof key) || !eat(&c, ':'))
      return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: a malformed header at byte %zu", e->name,
                       (size_t)(c.p - (const char *)e->data));
    int ok = 1;
    if (!strcmp(key, "descr")) {
      skip(&c);
      if (c.p < c.end && *c.p == '[')
        return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: a structured dtype; expected float arrays", e->name);
      ok = quoted(&c, descr, sizeof descr);
      seen |= 1;
    } else if (!strcmp(key, "fortran_order")) {
      fortran = word(&c, "True");
      ok = fortran || word(&c, "False");
      seen |= 2;
    } else if (!strcmp(key, "shape")) {
      ok = eat(&c, '(');
      while (ok && !eat(&c, ')')) {
        if (a->rank == NPY_MAX_RANK)
          return text_fail(NN_ERR_SHAPE, msg, cap, "%s.npy: over %d dimensions; a weight array has at most %d", e->name,
                           NPY_MAX_RANK, NPY_MAX_RANK);
        ok = integer(&c, &a->dims[a->rank++]);
        if (ok && !eat(&c, ',')) { /* the last one needs no comma */
          ok = eat(&c, ')');
          break;
        }
      }
      seen |= 4;
    } else ok = 0;
    if (!ok) return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: a malformed header at '%s'", e->name, key);
    if (!eat(&c, ',') && !(skip(&c), c.p < c.end && *c.p == '}'))
      return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: a malformed header after '%s'", e->name, key);
  }
  if (seen != 7)
    return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: its header lacks descr, fortran_order or shape", e->name);
  nn_status st = parse_descr(e->name, descr, a, msg, cap);
  if (st) return st;
  if (fortran)
    return text_fail(NN_ERR_FORMAT, msg, cap,
                     "%s.npy: fortran_order is True; save C-ordered arrays (np.ascontiguousarray)", e->name);
  const size_t bytes = e->size - head - hlen, room = bytes / a->item;
  int zero = 0, more = 0;
  for (int i = 0; i < a->rank; i++) zero |= a->dims[i] == 0;
  a->count = zero ? 0 : 1;
  for (int i = 0; i < a->rank && a->count; i++) {
    if ((uint64_t)a->dims[i] > room / a->count) {
      more = 1;
      break;
    }
    a->count *= (size_t)a->dims[i];
  }
  if (more || a->count * a->item != bytes)
    return text_fail(more || a->count * a->item > bytes ? NN_ERR_TRUNCATED : NN_ERR_FORMAT, msg, cap,
                     "%s.npy: its shape and dtype '%s' need %s than the %zu bytes of data it holds", e->name, descr,
                     more || a->count * a->item > bytes ? "more" : "fewer", bytes);
  a->data = e->data + head + hlen;
  return NN_OK;
}

static float element(const npy_array *a, size_t i) {
  const uint8_t *p = a->data + i * a->item;
  uint64_t v = 0;
  for (size_t k = 0; k < a->item; k++) v |= (uint64_t)p[a->big ? a->item - 1 - k : k] << (8 * k);
  if (a->item == 4) {
    const uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
  double d;
  memcpy(&d, &v, 8);
  return (float)d;
}

/* A 0-d text array's ASCII into out (cap bytes); 0 if it is not one. */
static int text_of_array(const npy_array *a, char *out, size_t cap) {
  if (a->type == 'f' || a->rank != 0) return 0;
  const size_t step = a->type == 'U' ? 4 : 1, n = a->item / step;
  size_t k = 0;
  for (; k < n; k++) {
    uint32_t ch = 0;
    for (size_t b = 0; b < step; b++) ch |= (uint32_t)a->data[k * step + (a->big ? step - 1 - b : b)] << (8 * b);
    if (ch == 0) break; /* NumPy pads with NULs */
    if (ch > 126 || ch < 32 || k + 1 >= cap) return 0;
    out[k] = (char)ch;
  }
  out[k] = '\0';
  return 1;
}

/* ---- the network ------------------------------------------------------------------ */

static void put_dims(nn_text *t, const int64_t *d, int rank) {
  text_put(t, "(");
  for (int i = 0; i < rank; i++) text_put(t, "%s%lld", i ? ", " : "", (long long)d[i]);
  text_put(t, "%s)", rank == 1 ? "," : "");
}

/* Wk or bk: its k (1..NN_MAX_LAYERS), else 0 (another name, or k out of range: -1). */
static int layer_number(const char *name, char letter) {
  if (name[0] != letter || name[1] < '1' || name[1] > '9') return 0;
  int k = 0;
  for (const char *p = name + 1; *p; p++) {
    if (*p < '0' || *p > '9' || k > 1000) return 0;
    k = k * 10 + (*p - '0');
  }
  return k <= NN_MAX_LAYERS ? k : -1;
}

/* The stack from W1..Wn alone: a dense one, the inputs of each the outputs of the one before. */
static nn_status dense_stack(const npy_array *const *W, nn_config *cfg, char *msg, size_t cap) {
  int n = 0;
  while (n < NN_MAX_LAYERS && W[n + 1]) n++;
  if (n == 0) return text_fail(NN_ERR_FORMAT, msg, cap, "missing array W1 (an .npz of a network holds W1..Wn)");
  for (int k = 1; k <= n; k++) {
    const npy_array *w = W[k];
    char got[64];
    nn_text t = text_of(got, sizeof got);
    put_dims(&t, w->dims, w->rank);
    if (w->type != 'f' || w->rank != 2 || w->dims[0] < 1 || w->dims[1] < 1)
      return text_fail(NN_ERR_SHAPE, msg, cap,
                       "W%d.npy: shape %s; without `layers` each Wk is a float matrix (out, in)", k, got);
    if (w->dims[0] > NN_MAX_UNITS || w->dims[1] > NN_MAX_UNITS)
      return text_fail(NN_ERR_LIMIT, msg, cap, "W%d.npy: shape %s; a dense layer has at most %d units", k, got,
                       NN_MAX_UNITS);
    if (k > 1 && w->dims[1] != cfg->sizes[k - 1])
      return text_fail(NN_ERR_SHAPE, msg, cap, "W%d.npy: shape %s, but W%d has %d outputs: expected (%lld, %d)", k, got,
                       k - 1, cfg->sizes[k - 1], (long long)w->dims[0], cfg->sizes[k - 1]);
    if (k == 1) cfg->sizes[0] = (int)w->dims[1];
    cfg->sizes[k] = (int)w->dims[0];
  }
  cfg->n_sizes = n + 1;
  return NN_OK;
}

/* Checks that every Wk and bk fits layer k of net, then copies them in. */
static nn_status fill(nn_net *net, const npy_array *const *W, const npy_array *const *B, const char *layers, char *msg,
                      size_t cap) {
  nn_layer_info info[NN_MAX_LAYERS];
  const int n = ex_weight_layers(net, info);
  for (int k = 1; k <= NN_MAX_LAYERS; k++) {
    const npy_array *arr[2] = {W[k], B[k]};
    for (int which = 0; which < 2; which++) {
      const npy_array *a = arr[which];
      const char letter = which ? 'b' : 'W';
      if (!a && (which || k > n)) continue; /* a missing bias is zero */
      if (!a)
        return text_fail(NN_ERR_SHAPE, msg, cap, "missing array W%d (the stack %s has %d layers with weights)", k,
                         layers, n);
      if (k > n)
        return text_fail(NN_ERR_SHAPE, msg, cap, "%c%d.npy: the stack %s has only %d layers with weights", letter, k,
                         layers, n);
      int dims[4];
      const int rank = which ? 1 : ex_weight_dims(&info[k - 1], EX_CHANNELS_FIRST, dims);
      if (which) dims[0] = info[k - 1].units;
      int same = a->type == 'f' && a->rank == rank;
      for (int i = 0; same && i < rank; i++) same = a->dims[i] == dims[i];
      if (!same) {
        char got[64], want[64];
        nn_text g = text_of(got, sizeof got), w = text_of(want, sizeof want);
        int64_t d64[4];
        for (int i = 0; i < rank; i++) d64[i] = dims[i];
        put_dims(&g, a->dims, a->rank);
        put_dims(&w, d64, rank);
        return text_fail(NN_ERR_SHAPE, msg, cap, "%c%d.npy: shape %s%s, but the stack %s needs %s", letter, k, got,
                         a->type == 'f' ? "" : " of text", layers, want);
      }
    }
  }
  float *params = nn_params(net, NULL);
  for (int k = 1; k <= n; k++) {
    const nn_layer_info *L = &info[k - 1];
    for (size_t i = 0; i < W[k]->count; i++) {
      const float f = element(W[k], i);
      if (f - f != 0.0f)
        return text_fail(NN_ERR_FORMAT, msg, cap, "W%d.npy: element %zu is not a finite float32", k, i);
      params[L->weights + ex_weight_index(L, EX_CHANNELS_FIRST, i)] = f;
    }
    for (size_t i = 0; B[k] && i < B[k]->count; i++) {
      const float f = element(B[k], i);
      if (f - f != 0.0f)
        return text_fail(NN_ERR_FORMAT, msg, cap, "b%d.npy: element %zu is not a finite float32", k, i);
      params[L->biases + i] = f;
    }
    if (!B[k]) memset(params + L->biases, 0, sizeof(float) * (size_t)L->units);
  }
  return NN_OK;
}

/* A 0-d text array named name, or NULL: *text gets its ASCII. */
static nn_status text_named(const npz_entry *e, const npy_array *a, int n, const char *name, char *text, size_t size,
                            int *found, char *msg, size_t cap) {
  *found = 0;
  for (int i = 0; i < n; i++)
    if (!strcmp(e[i].name, name)) {
      if (!text_of_array(&a[i], text, size))
        return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: expected a 0-d text array such as np.array('%s')", name,
                         !strcmp(name, "layers")  ? "784,128,64,10"
                         : !strcmp(name, "input") ? "raw"
                                                  : "sigmoid");
      *found = 1;
    }
  return NN_OK;
}

nn_status npy_network(const npz_entry *e, int n, nn_net **out, char *msg, size_t cap) {
  npy_array a[NPZ_MAX_ENTRIES];
  const npy_array *W[NN_MAX_LAYERS + 1] = {0}, *B[NN_MAX_LAYERS + 1] = {0};
  nn_status st;
  for (int i = 0; i < n; i++) {
    if ((st = parse_array(&e[i], &a[i], msg, cap))) return st;
    const int w = layer_number(e[i].name, 'W'), b = layer_number(e[i].name, 'b');
    if (w < 0 || b < 0)
      return text_fail(NN_ERR_LIMIT, msg, cap, "%s.npy: a network has at most %d layers with weights", e[i].name,
                       NN_MAX_LAYERS);
    if (w) W[w] = &a[i];
    if (b) B[b] = &a[i];
  }
  nn_config cfg;
  nn_config_default(&cfg);
  memset(cfg.sizes, 0, sizeof cfg.sizes);
  char layers[256], activation[32], input[32], why[256];
  int has_layers, has_activation, has_input;
  if ((st = text_named(e, a, n, "layers", layers, sizeof layers, &has_layers, msg, cap)) ||
      (st = text_named(e, a, n, "activation", activation, sizeof activation, &has_activation, msg, cap)) ||
      (st = text_named(e, a, n, "input", input, sizeof input, &has_input, msg, cap)))
    return st;
  if (has_layers && (st = nn_layers_parse(layers, &cfg, why, sizeof why)))
    return text_fail(st == NN_ERR_LIMIT ? st : NN_ERR_SHAPE, msg, cap, "layers.npy: '%s': %s", layers, why);
  if (!has_layers) {
    if ((st = dense_stack(W, &cfg, msg, cap))) return st;
    nn_layers_format(&cfg, layers, sizeof layers);
  }
  const int act = has_activation ? nn_activation_parse(activation) : NN_SIGMOID;
  const int in = has_input ? nn_input_parse(input) : NN_INPUT_RAW;
  if (act < 0)
    return text_fail(NN_ERR_FORMAT, msg, cap, "activation.npy: '%s': expected sigmoid, relu or tanh", activation);
  if (in < 0) return text_fail(NN_ERR_FORMAT, msg, cap, "input.npy: '%s': expected raw or centred", input);
  cfg.activation = (nn_activation)act;
  cfg.input = (nn_input)in;
  nn_config_fit_defaults(&cfg, NN_GIVEN_ACTIVATION); /* the stack's training defaults */
  if ((st = nn_stack_shapes(&cfg, (nn_shape[NN_MAX_LAYERS + 1]){{0}}, why, sizeof why)))
    return text_fail(st, msg, cap, "the stack %s: %s", layers, why);
  if ((st = nn_config_check(&cfg))) return text_fail(st, msg, cap, "the stack %s: %s", layers, nn_strerror(st));
  nn_net *net = NULL;
  if ((st = nn_create(&cfg, &net))) return text_fail(st, msg, cap, "the stack %s: %s", layers, nn_strerror(st));
  if ((st = fill(net, W, B, layers, msg, cap))) {
    nn_free(net);
    return st;
  }
  *out = net;
  return NN_OK;
}
