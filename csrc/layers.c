/* layers.c: the stack's shape arithmetic, in one place, and its grammar.
 * Items, comma separated: the input first, N (flat) or RxC or RxCxCh (an
 * image); then N a dense layer of N units (the last one is the classes),
 * convKxF a KxK convolution with F filters (stride 1, no padding), poolP
 * PxP max pooling (stride P). "784,128,64,10" is the seed's network. */
#include <string.h>

#include "nn_internal.h"
#include "text.h"

/* One layer as the grammar writes it ("128", "conv5x8", "pool2"). */
static void put_item(nn_text *t, const nn_config *cfg, int l) {
  const nn_layer *y = &cfg->layers[l];
  switch (y->kind) {
    case NN_LAYER_CONV: text_put(t, "conv%dx%d", y->kernel, y->units); break;
    case NN_LAYER_POOL: text_put(t, "pool%d", y->kernel); break;
    default: text_put(t, "%d", cfg->sizes[l + 1]); break;
  }
}

static void put_shape(nn_text *t, nn_shape s, int image) {
  if (!image) text_put(t, "%d", s.channels);
  else text_put(t, "%dx%dx%d", s.rows, s.cols, s.channels);
}

/* The floats of a shape, in 64 bits so that no product wraps. */
static int64_t floats_of(nn_shape s) { return (int64_t)s.rows * s.cols * s.channels; }

/* Walks the stack: shapes[l] for l = 0..n_sizes-1 and each layer's output
 * size as its shape gives it into derived[l + 1] (dense: its units);
 * NN_OK, or the first item that does not fit with a line in t. */
static nn_status walk(const nn_config *cfg, nn_shape *shapes, int *derived, nn_text *t) {
  const int n = cfg->n_sizes;
  if (n < 2) {
    text_put(t, "a stack needs an input and at least one layer");
    return NN_ERR_ARG;
  }
  if (n > NN_MAX_LAYERS + 1) {
    text_put(t, "at most %d layers after the input, got %d", NN_MAX_LAYERS, n - 1);
    return NN_ERR_LIMIT;
  }
  int image = cfg->in_rows != 0 || cfg->in_cols != 0 || cfg->in_channels != 0;
  nn_shape s = {1, 1, cfg->sizes[0]};
  if (image) {
    s = (nn_shape){cfg->in_rows, cfg->in_cols, cfg->in_channels};
    if (s.rows < 1 || s.cols < 1 || s.channels < 1) {
      text_put(t, "the input %dx%dx%d has an empty side", s.rows, s.cols, s.channels);
      return NN_ERR_ARG;
    }
    if (floats_of(s) > NN_MAX_MAP) {
      text_put(t, "the input %dx%dx%d is over %d values", s.rows, s.cols, s.channels, NN_MAX_MAP);
      return NN_ERR_LIMIT;
    }
  } else if (s.channels < 1 || s.channels > NN_MAX_UNITS) {
    text_put(t, "the input needs 1..%d values, got %d", NN_MAX_UNITS, s.channels);
    return s.channels < 1 ? NN_ERR_ARG : NN_ERR_LIMIT;
  }
  shapes[0] = s;
  derived[0] = (int)floats_of(s);
  for (int l = 0; l + 1 < n; l++) {
    const nn_layer *y = &cfg->layers[l];
    char name[48];
    nn_text item = text_of(name, sizeof name);
    put_item(&item, cfg, l);
    nn_shape out;
    if ((unsigned)y->kind >= NN_LAYER_KIND_COUNT) {
      text_put(t, "layer %d: unknown kind %d", l + 1, (int)y->kind);
      return NN_ERR_ARG;
    }
    /* one way to write each layer: no filters or kernel where the kind has none */
    if ((y->kind == NN_LAYER_DENSE && (y->units != 0 || y->kernel != 0)) ||
        (y->kind == NN_LAYER_POOL && y->units != 0)) {
      text_put(t, "layer %d (%s): filters or a kernel set where the layer has none", l + 1, name);
      return NN_ERR_ARG;
    }
    if (y->kind == NN_LAYER_DENSE) {
      const int units = cfg->sizes[l + 1];
      if (units < 1 || units > NN_MAX_UNITS) {
        text_put(t, "'%s': a dense layer needs 1..%d units", name, NN_MAX_UNITS);
        return units < 1 ? NN_ERR_ARG : NN_ERR_LIMIT;
      }
      out = (nn_shape){1, 1, units};
      image = 0;
    } else {
      if (!image) {
        text_put(t, "'%s': %s needs an image, but its input is flat (", name,
                 y->kind == NN_LAYER_CONV ? "a convolution" : "pooling");
        put_shape(t, s, 0);
        text_put(t, " values): start the stack with an image such as 28x28");
        return NN_ERR_ARG;
      }
      const int k = y->kernel;
      if (k < 1 || k > NN_MAX_KERNEL) {
        text_put(t, "'%s': the window's side must be 1..%d", name, NN_MAX_KERNEL);
        return k < 1 ? NN_ERR_ARG : NN_ERR_LIMIT;
      }
      if (y->kind == NN_LAYER_CONV) {
        if (y->units < 1 || y->units > NN_MAX_UNITS) {
          text_put(t, "'%s': a convolution needs 1..%d filters", name, NN_MAX_UNITS);
          return y->units < 1 ? NN_ERR_ARG : NN_ERR_LIMIT;
        }
        if (k > s.rows || k > s.cols) {
          text_put(t, "'%s': the %dx%d kernel is larger than its input ", name, k, k);
          put_shape(t, s, 1);
          return NN_ERR_ARG;
        }
        out = (nn_shape){s.rows - k + 1, s.cols - k + 1, y->units};
      } else {
        if (k > s.rows || k > s.cols) {
          text_put(t, "'%s': %dx%d pooling leaves nothing of its input ", name, k, k);
          put_shape(t, s, 1);
          return NN_ERR_ARG;
        }
        out = (nn_shape){s.rows / k, s.cols / k, s.channels};
      }
      if (floats_of(out) > NN_MAX_MAP) {
        text_put(t, "'%s': its output ", name);
        put_shape(t, out, 1);
        text_put(t, " is over %d values", NN_MAX_MAP);
        return NN_ERR_LIMIT;
      }
    }
    shapes[l + 1] = out;
    derived[l + 1] = (int)floats_of(out);
    s = out;
  }
  if (cfg->layers[n - 2].kind != NN_LAYER_DENSE) {
    text_put(t, "the last layer must be dense, one unit per class (such as 10)");
    return NN_ERR_ARG;
  }
  if (cfg->sizes[n - 1] < 2) {
    text_put(t, "the last layer needs at least 2 units (one per class)");
    return NN_ERR_ARG;
  }
  return NN_OK;
}

nn_status nn_stack_shapes(const nn_config *cfg, nn_shape *shapes, char *msg, size_t cap) {
  nn_text t = text_of(msg, cap);
  if (!cfg || !shapes) return NN_ERR_ARG;
  int derived[NN_MAX_LAYERS + 1];
  nn_status st = walk(cfg, shapes, derived, &t);
  if (st != NN_OK) return st;
  for (int l = 0; l < cfg->n_sizes; l++)
    if (cfg->sizes[l] != derived[l]) {
      text_put(&t, "layer %d gives %d values, but sizes[%d] is %d", l, derived[l], l, cfg->sizes[l]);
      return NN_ERR_ARG;
    }
  return NN_OK;
}

int nn_is_dense_stack(const nn_config *cfg) {
  if (cfg->in_rows || cfg->in_cols || cfg->in_channels) return 0;
  for (int l = 0; l + 1 < cfg->n_sizes && l < NN_MAX_LAYERS; l++)
    if (cfg->layers[l].kind != NN_LAYER_DENSE) return 0;
  return 1;
}

/* A layer's weights (units, fan_in) from its kind and input shape. */
static void weights_of(const nn_config *cfg, int l, nn_shape in, int *units, int *fan_in) {
  const nn_layer *y = &cfg->layers[l];
  *units = y->kind == NN_LAYER_DENSE ? cfg->sizes[l + 1] : y->kind == NN_LAYER_CONV ? y->units : 0;
  *fan_in = y->kind == NN_LAYER_DENSE  ? (int)floats_of(in)
            : y->kind == NN_LAYER_CONV ? in.channels * y->kernel * y->kernel
                                       : 0;
}

/* Weights and biases of every layer; a stack that does not fit counts as
 * the dense stack of its sizes (whose checks then refuse it). */
uint64_t nn_param_count(const nn_config *cfg) {
  nn_shape shapes[NN_MAX_LAYERS + 1];
  int derived[NN_MAX_LAYERS + 1];
  nn_text none = text_of(NULL, 0);
  const int fits = walk(cfg, shapes, derived, &none) == NN_OK;
  uint64_t n = 0;
  for (int l = 0; l + 1 < cfg->n_sizes && l < NN_MAX_LAYERS; l++) {
    if (!fits) {
      n += (uint64_t)cfg->sizes[l] * (uint64_t)cfg->sizes[l + 1] + (uint64_t)cfg->sizes[l + 1];
      continue;
    }
    int units, fan_in;
    weights_of(cfg, l, shapes[l], &units, &fan_in);
    n += (uint64_t)units * (uint64_t)fan_in + (uint64_t)units;
  }
  return n;
}

void net_layers_of(const nn_config *cfg, net_layer *layer) {
  nn_shape shapes[NN_MAX_LAYERS + 1];
  int derived[NN_MAX_LAYERS + 1];
  nn_text none = text_of(NULL, 0);
  memset(layer, 0, sizeof(net_layer) * NN_MAX_LAYERS);
  if (walk(cfg, shapes, derived, &none) != NN_OK) return;
  const int n_layers = cfg->n_sizes - 1;
  for (int l = 0; l < n_layers; l++) {
    net_layer *y = &layer[l];
    y->kind = cfg->layers[l].kind;
    y->in = shapes[l];
    y->out = shapes[l + 1];
    y->k = cfg->layers[l].kernel;
    weights_of(cfg, l, shapes[l], &y->units, &y->fan_in);
    y->positions = y->kind == NN_LAYER_CONV ? y->out.rows * y->out.cols : 1;
    y->activated = y->kind != NN_LAYER_POOL && l + 1 < n_layers;
  }
}

uint64_t net_row_bytes(const net_layer *layer, int n_layers) {
  uint64_t bytes = sizeof(float) * (uint64_t)floats_of(layer[0].in);
  for (int l = 0; l < n_layers; l++) {
    const net_layer *y = &layer[l];
    bytes += 2 * sizeof(float) * (uint64_t)floats_of(y->out); /* activation and delta */
    if (y->kind == NN_LAYER_POOL) bytes += sizeof(int32_t) * (uint64_t)floats_of(y->out);
  }
  return bytes;
}

/* ---- the grammar -------------------------------------------------------- */

/* A decimal number at *p of 1..9 digits; -1 if there is none. */
static int number(const char **p) {
  int v = 0, digits = 0;
  while (**p >= '0' && **p <= '9') {
    if (++digits > 9) return -1;
    v = v * 10 + (*(*p)++ - '0');
  }
  return digits ? v : -1;
}

/* "AxB" or "AxBxC" into dims (the third 1 if absent); the count read, 0 if not. */
static int dims(const char **p, int *d) {
  d[2] = 1;
  int n = 0;
  while (n < 3) {
    if ((d[n] = number(p)) < 0) return 0;
    n++;
    if (**p != 'x') break;
    (*p)++;
  }
  return n;
}

nn_status nn_layers_parse(const char *text, nn_config *cfg, char *msg, size_t cap) {
  nn_text t = text_of(msg, cap);
  if (!text || !cfg) return NN_ERR_ARG;
  nn_config c = *cfg;
  memset(c.sizes, 0, sizeof c.sizes);
  memset(c.layers, 0, sizeof c.layers);
  c.in_rows = c.in_cols = c.in_channels = 0;
  c.n_sizes = 0;
  const char *p = text;
  for (;;) {
    while (*p == ' ') p++;
    const char *start = p;
    const int at = c.n_sizes;
    if (at > NN_MAX_LAYERS) {
      text_put(&t, "at most %d layers after the input", NN_MAX_LAYERS);
      return NN_ERR_LIMIT;
    }
    int d[3], ok = 0;
    if (at == 0) {
      const int n = dims(&p, d);
      if (n == 1) c.sizes[0] = d[0], ok = 1;
      else if (n >= 2) {
        c.in_rows = d[0], c.in_cols = d[1], c.in_channels = d[2];
        const int64_t floats = (int64_t)d[0] * d[1] * d[2];
        c.sizes[0] = floats > NN_MAX_MAP ? NN_MAX_MAP + 1 : (int)floats; /* walk names the limit */
        ok = 1;
      }
    } else if (strncmp(p, "conv", 4) == 0) {
      p += 4;
      if (dims(&p, d) == 2) c.layers[at - 1] = (nn_layer){NN_LAYER_CONV, d[1], d[0]}, ok = 1;
    } else if (strncmp(p, "pool", 4) == 0) {
      p += 4;
      if ((d[0] = number(&p)) >= 0) c.layers[at - 1] = (nn_layer){NN_LAYER_POOL, 0, d[0]}, ok = 1;
    } else if ((d[0] = number(&p)) >= 0) {
      c.sizes[at] = d[0];
      ok = 1;
    }
    while (*p == ' ') p++;
    if (!ok || (*p != ',' && *p != '\0')) {
      const char *end = strchr(start, ',');
      const int len = end ? (int)(end - start) : (int)strlen(start);
      text_put(&t, "unknown item '%.*s' (%s)", len > 40 ? 40 : len, start,
               at == 0 ? "the input first: N values, or an image RxC or RxCxChannels"
                       : "expected N (dense), convKxF (a KxK convolution of F filters) or poolP");
      return NN_ERR_ARG;
    }
    c.n_sizes++;
    if (*p == '\0') break;
    p++;
  }
  nn_shape shapes[NN_MAX_LAYERS + 1];
  int derived[NN_MAX_LAYERS + 1];
  nn_status st = walk(&c, shapes, derived, &t);
  if (st != NN_OK) return st;
  memcpy(c.sizes, derived, sizeof derived);
  const uint64_t params = nn_param_count(&c);
  if (params > NN_MAX_PARAMS) {
    text_put(&t, "%llu weights and biases, over the limit of %u", (unsigned long long)params, (unsigned)NN_MAX_PARAMS);
    return NN_ERR_LIMIT;
  }
  *cfg = c;
  return NN_OK;
}

size_t nn_layers_format(const nn_config *cfg, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  if (!cfg) return 0;
  if (cfg->in_rows || cfg->in_cols || cfg->in_channels) {
    text_put(&t, "%dx%d", cfg->in_rows, cfg->in_cols);
    if (cfg->in_channels != 1) text_put(&t, "x%d", cfg->in_channels);
  } else text_put(&t, "%d", cfg->sizes[0]);
  for (int l = 0; l + 1 < cfg->n_sizes && l < NN_MAX_LAYERS; l++) {
    text_put(&t, ",");
    put_item(&t, cfg, l);
  }
  return t.at;
}
