/* export_onnx.c: the network as an ONNX model (opset 13), written as
 * protocol buffers by hand: a few wire types are all a model needs. Input
 * `image` (pixels in 0..1: [N, inputs] for a dense stack, [N, channels,
 * rows, cols] for an image), output `probabilities` [N, classes]. Centred
 * input is two nodes of the graph (ReduceMean, Sub), so the file gives the
 * package's predictions on plain pixels. Weights are initializers in
 * NumPy's order (export_internal.h's channels first); a dense layer after
 * an image reads it through Flatten, whose order is channel, row, column.
 * A message's length precedes it, so each is first written to a counting
 * sink: only lengths are counted twice, never the weights copied. */
#include <stdio.h>
#include <string.h>

#include "export_internal.h"

#define ONNX_IR_VERSION 7 /* the IR of opset 13's release (ONNX 1.8) */
#define ONNX_OPSET 13
#define ONNX_FLOAT 1 /* TensorProto.DataType */
enum { ATTR_INT = 2, ATTR_INTS = 7 };

/* ---- protocol buffers -------------------------------------------------------------- */

static void varint(ex_bytes *b, uint64_t v) {
  uint8_t x[10];
  size_t n = 0;
  do {
    x[n] = (uint8_t)(v & 0x7Fu) | (v > 0x7Fu ? 0x80u : 0u);
    v >>= 7;
    n++;
  } while (v);
  ex_put(b, x, n);
}
static void key(ex_bytes *b, int field, int wire) { varint(b, (uint64_t)field << 3 | (uint64_t)wire); }
static void put_int(ex_bytes *b, int field, int64_t v) {
  key(b, field, 0);
  varint(b, (uint64_t)v);
}
static void put_string(ex_bytes *b, int field, const char *s) {
  key(b, field, 2);
  varint(b, strlen(s));
  ex_str(b, s);
}
/* A sub-message: its body written by fn, after its length (counted first). */
typedef void (*body_fn)(ex_bytes *b, const void *ctx);
static void put_message(ex_bytes *b, int field, body_fn fn, const void *ctx) {
  ex_bytes count = {NULL, 0};
  fn(&count, ctx);
  key(b, field, 2);
  varint(b, count.at);
  fn(b, ctx);
}

/* ---- the graph ------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  int type, count;
  int64_t v[4];
} attr;

typedef struct {
  const char *op;
  char in[3][16], out[16];
  attr at[2];
} node;

typedef struct {
  const nn_net *net;
  const float *params;
  nn_layer_info info[NN_MAX_LAYERS];
  int n_weighted;
  node nodes[2 + 3 * NN_MAX_LAYERS];
  int n_nodes;
  int64_t in_dims[4], out_dims[2];
  int in_rank;
} graph;

typedef struct {
  const graph *g;
  int k;      /* weight layer k (0-based) */
  int biases; /* its biases, else its weights */
} tensor_ref;

typedef struct {
  const char *name;
  const int64_t *dims;
  int rank;
} value_ref;

static void attr_body(ex_bytes *b, const void *ctx) {
  const attr *a = ctx;
  put_string(b, 1, a->name);
  if (a->type == ATTR_INT) put_int(b, 3, a->v[0]);
  for (int i = 0; a->type == ATTR_INTS && i < a->count; i++) put_int(b, 8, a->v[i]);
  put_int(b, 20, a->type);
}

static void node_body(ex_bytes *b, const void *ctx) {
  const node *n = ctx;
  for (int i = 0; i < 3 && n->in[i][0]; i++) put_string(b, 1, n->in[i]);
  put_string(b, 2, n->out);
  put_string(b, 3, n->out);
  put_string(b, 4, n->op);
  for (int i = 0; i < 2 && n->at[i].name; i++) put_message(b, 5, attr_body, &n->at[i]);
}

static void tensor_body(ex_bytes *b, const void *ctx) {
  const tensor_ref *t = ctx;
  const nn_layer_info *L = &t->g->info[t->k];
  int dims[4] = {L->units}, rank = 1;
  if (!t->biases) rank = ex_weight_dims(L, EX_CHANNELS_FIRST, dims);
  for (int i = 0; i < rank; i++) put_int(b, 1, dims[i]);
  put_int(b, 2, ONNX_FLOAT);
  char name[16];
  snprintf(name, sizeof name, "%c%d", t->biases ? 'b' : 'W', t->k + 1);
  put_string(b, 8, name);
  key(b, 9, 2); /* raw_data: little-endian float32 */
  if (t->biases) {
    varint(b, 4u * (uint64_t)L->units);
    for (int u = 0; u < L->units; u++) ex_f32(b, t->g->params[L->biases + (size_t)u]);
  } else {
    varint(b, 4u * (uint64_t)L->units * (uint64_t)L->fan_in);
    ex_put_weights(b, t->g->params, L, EX_CHANNELS_FIRST);
  }
}

static void dim_body(ex_bytes *b, const void *ctx) {
  const int64_t *d = ctx;
  if (*d < 0) put_string(b, 2, "N"); /* the batch: any size */
  else put_int(b, 1, *d);
}
static void shape_body(ex_bytes *b, const void *ctx) {
  const value_ref *v = ctx;
  for (int i = 0; i < v->rank; i++) put_message(b, 1, dim_body, &v->dims[i]);
}
static void tensor_type_body(ex_bytes *b, const void *ctx) {
  put_int(b, 1, ONNX_FLOAT);
  put_message(b, 2, shape_body, ctx);
}
static void type_body(ex_bytes *b, const void *ctx) { put_message(b, 1, tensor_type_body, ctx); }
static void value_body(ex_bytes *b, const void *ctx) {
  const value_ref *v = ctx;
  put_string(b, 1, v->name);
  put_message(b, 2, type_body, v);
}

static void graph_body(ex_bytes *b, const void *ctx) {
  const graph *g = ctx;
  for (int i = 0; i < g->n_nodes; i++) put_message(b, 1, node_body, &g->nodes[i]);
  put_string(b, 2, "mnist_wasm");
  for (int k = 0; k < g->n_weighted; k++)
    for (int biases = 0; biases < 2; biases++) {
      const tensor_ref t = {g, k, biases};
      put_message(b, 5, tensor_body, &t);
    }
  const value_ref in = {"image", g->in_dims, g->in_rank}, out = {"probabilities", g->out_dims, 2};
  put_message(b, 11, value_body, &in);
  put_message(b, 12, value_body, &out);
}

static void opset_body(ex_bytes *b, const void *ctx) {
  (void)ctx;
  put_int(b, 2, ONNX_OPSET);
}

static void model_body(ex_bytes *b, const void *ctx) {
  put_int(b, 1, ONNX_IR_VERSION);
  put_string(b, 2, "mnist-wasm");
  put_message(b, 7, graph_body, ctx);
  put_message(b, 8, opset_body, NULL);
}

/* Appends node op(in...) -> out; returns it for its attributes. */
static node *add(graph *g, const char *op, const char *in0, const char *in1, const char *in2, const char *out) {
  node *n = &g->nodes[g->n_nodes++];
  memset(n, 0, sizeof *n);
  n->op = op;
  const char *in[3] = {in0, in1, in2};
  for (int i = 0; i < 3; i++)
    if (in[i]) snprintf(n->in[i], sizeof n->in[i], "%s", in[i]);
  snprintf(n->out, sizeof n->out, "%s", out);
  return n;
}

static void build(const nn_net *net, graph *g) {
  memset(g, 0, sizeof *g);
  g->net = net;
  g->params = nn_params_const(net, NULL);
  g->n_weighted = ex_weight_layers(net, g->info);
  const nn_config *cfg = nn_get_config(net);
  const int image = !nn_is_dense_stack(cfg);
  g->in_rank = image ? 4 : 2;
  const int64_t dims[4] = {-1, image ? cfg->in_channels : cfg->sizes[0], cfg->in_rows, cfg->in_cols};
  memcpy(g->in_dims, dims, sizeof dims);
  g->out_dims[0] = -1;
  g->out_dims[1] = cfg->sizes[cfg->n_sizes - 1];
  char x[16] = "image"; /* the tensor the next node reads */
  if (cfg->input == NN_INPUT_CENTRED) {
    node *m = add(g, "ReduceMean", x, NULL, NULL, "mean");
    m->at[0] = (attr){"axes", ATTR_INTS, image ? 3 : 1, {1, 2, 3}};
    m->at[1] = (attr){"keepdims", ATTR_INT, 1, {1}};
    add(g, "Sub", x, "mean", NULL, "centred");
    snprintf(x, sizeof x, "centred");
  }
  static const char *const act_op[NN_ACTIVATION_COUNT] = {"Sigmoid", "Relu", "Tanh"};
  const char *act = (unsigned)cfg->activation < NN_ACTIVATION_COUNT ? act_op[cfg->activation] : "Sigmoid";
  int k = 0, flat = !image;
  for (int l = 0; l + 1 < cfg->n_sizes; l++) {
    const nn_layer *y = &cfg->layers[l];
    char out[16], w[16], bias[16];
    snprintf(w, sizeof w, "W%d", k + 1);
    snprintf(bias, sizeof bias, "b%d", k + 1);
    if (y->kind == NN_LAYER_POOL) {
      snprintf(out, sizeof out, "pool%d", l + 1);
      node *p = add(g, "MaxPool", x, NULL, NULL, out);
      p->at[0] = (attr){"kernel_shape", ATTR_INTS, 2, {y->kernel, y->kernel}};
      p->at[1] = (attr){"strides", ATTR_INTS, 2, {y->kernel, y->kernel}};
    } else {
      if (y->kind == NN_LAYER_DENSE && !flat) {
        snprintf(out, sizeof out, "flat%d", l + 1);
        add(g, "Flatten", x, NULL, NULL, out)->at[0] = (attr){"axis", ATTR_INT, 1, {1}};
        snprintf(x, sizeof x, "%s", out);
        flat = 1;
      }
      snprintf(out, sizeof out, "z%d", l + 1);
      if (y->kind == NN_LAYER_CONV)
        add(g, "Conv", x, w, bias, out)->at[0] = (attr){"kernel_shape", ATTR_INTS, 2, {y->kernel, y->kernel}};
      else add(g, "Gemm", x, w, bias, out)->at[0] = (attr){"transB", ATTR_INT, 1, {1}};
      k++;
      snprintf(x, sizeof x, "%s", out);
      if (l + 2 < cfg->n_sizes) snprintf(out, sizeof out, "a%d", l + 1), add(g, act, x, NULL, NULL, out);
      else add(g, "Softmax", x, NULL, NULL, "probabilities")->at[0] = (attr){"axis", ATTR_INT, 1, {1}};
    }
    snprintf(x, sizeof x, "%s", out);
  }
}

void onnx_write(const nn_net *net, ex_bytes *b) {
  graph g;
  build(net, &g);
  model_body(b, &g);
}
