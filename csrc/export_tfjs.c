/* export_tfjs.c: the network as a TensorFlow.js layers model, model.json
 * and one weights file, which tf.loadLayersModel reads as they are: a
 * Sequential model, channels last as the engine is (Conv2D kernels (rows,
 * cols, channels, filters), Dense kernels (in, out), Flatten in row,
 * column, channel order, so no weight is permuted but transposed).
 *
 * Centred input (x less its mean pixel m = sum(x) / n) is linear in x, so
 * it becomes weights: where the first layer is dense, W (x - m 1) = (W -
 * rowsum(W) 1^T / n) x folds it into the layer exactly; before a
 * convolution, a Dense layer of n units with the kernel I - 1/n (no bias)
 * and a Reshape back to the image compute x - m. The second costs n^2
 * floats (2.4 MB for 28x28) but keeps the model a plain Sequential of
 * standard layers, which every TF.js release loads; a functional graph
 * with a mean and a broadcast subtraction would be smaller but leans on
 * merge layers' broadcasting. */
#include <stdio.h>
#include <string.h>

#include "export_internal.h"
#include "text.h"

/* One layer of the Sequential model and the weights it carries. */
typedef enum { TF_CENTRE, TF_FLATTEN, TF_RESHAPE, TF_DENSE, TF_CONV, TF_POOL } tf_kind;
typedef struct {
  tf_kind kind;
  int l;      /* the engine's layer (dense, conv, pool) */
  int folded; /* a dense first layer with the centring folded in */
} tf_layer;

/* The model's layers in order; returns how many. */
static int plan(const nn_config *cfg, tf_layer *out) {
  int n = 0, image = !nn_is_dense_stack(cfg);
  const int centred = cfg->input == NN_INPUT_CENTRED, fold = centred && cfg->layers[0].kind == NN_LAYER_DENSE;
  if (centred && !fold) {
    if (image) out[n++] = (tf_layer){TF_FLATTEN, -1, 0};
    out[n++] = (tf_layer){TF_CENTRE, -1, 0};
    if (image) out[n++] = (tf_layer){TF_RESHAPE, -1, 0};
  }
  for (int l = 0; l + 1 < cfg->n_sizes; l++) {
    const nn_layer_kind k = cfg->layers[l].kind;
    if (k == NN_LAYER_DENSE && image) {
      out[n++] = (tf_layer){TF_FLATTEN, -1, 0};
      image = 0;
    }
    out[n++] = (tf_layer){k == NN_LAYER_DENSE ? TF_DENSE : k == NN_LAYER_CONV ? TF_CONV : TF_POOL, l, fold && l == 0};
  }
  return n;
}

static void put_ints(nn_text *t, const int *v, int n) {
  text_put(t, "[");
  for (int i = 0; i < n; i++) text_put(t, "%s%d", i ? "," : "", v[i]);
  text_put(t, "]");
}

static void put_weight(nn_text *t, int *first, const char *layer, const char *what, const int *dims, int rank) {
  text_put(t, "%s{\"name\":\"%s/%s\",\"shape\":", *first ? "" : ",", layer, what);
  put_ints(t, dims, rank);
  text_put(t, ",\"dtype\":\"float32\"}");
  *first = 0;
}

static void model_json(const nn_net *net, ex_bytes *b) {
  static const char *const act_name[NN_ACTIVATION_COUNT] = {"sigmoid", "relu", "tanh"};
  const nn_config *cfg = nn_get_config(net);
  tf_layer plan_[3 * NN_MAX_LAYERS + 4];
  const int n = plan(cfg, plan_);
  nn_shape shapes[NN_MAX_LAYERS + 1];
  nn_stack_shapes(cfg, shapes, NULL, 0);
  const int n_in = cfg->sizes[0], image = !nn_is_dense_stack(cfg);
  const int in_shape[3] = {cfg->in_rows, cfg->in_cols, cfg->in_channels};
  /* two passes over the plan: the layers, then the weights' manifest */
  char layers[16384], weights[4096];
  nn_text t = text_of(layers, sizeof layers), w = text_of(weights, sizeof weights);
  int first_weight = 1;
  for (int i = 0; i < n; i++) {
    const tf_layer *y = &plan_[i];
    const nn_layer *e = &cfg->layers[y->l >= 0 ? y->l : 0]; /* (unused by the layers of no engine layer) */
    char name[24];
    static const char *const cls[] = {"Dense", "Flatten", "Reshape", "Dense", "Conv2D", "MaxPooling2D"};
    snprintf(name, sizeof name, "%s_%d",
             y->kind == TF_CENTRE    ? "centre"
             : y->kind == TF_DENSE   ? "dense"
             : y->kind == TF_CONV    ? "conv2d"
             : y->kind == TF_POOL    ? "max_pooling2d"
             : y->kind == TF_FLATTEN ? "flatten"
                                     : "reshape",
             i + 1);
    text_put(&t, "%s{\"class_name\":\"%s\",\"config\":{\"name\":\"%s\"", i ? "," : "", cls[y->kind], name);
    if (i == 0) {
      text_put(&t, ",\"batch_input_shape\":[null,");
      if (image) text_put(&t, "%d,%d,%d]", in_shape[0], in_shape[1], in_shape[2]);
      else text_put(&t, "%d]", n_in);
    }
    const int last = y->l == cfg->n_sizes - 2;
    switch (y->kind) {
      case TF_CENTRE: {
        text_put(&t, ",\"units\":%d,\"activation\":\"linear\",\"use_bias\":false", n_in);
        put_weight(&w, &first_weight, name, "kernel", (int[2]){n_in, n_in}, 2);
        break;
      }
      case TF_FLATTEN: text_put(&t, ",\"data_format\":\"channels_last\""); break;
      case TF_RESHAPE:
        text_put(&t, ",\"target_shape\":");
        put_ints(&t, in_shape, 3);
        break;
      case TF_DENSE:
      case TF_CONV: {
        const int units = y->kind == TF_DENSE ? cfg->sizes[y->l + 1] : e->units;
        if (y->kind == TF_DENSE) text_put(&t, ",\"units\":%d", units);
        else
          text_put(&t,
                   ",\"filters\":%d,\"kernel_size\":[%d,%d],\"strides\":[1,1],\"padding\":\"valid\","
                   "\"data_format\":\"channels_last\",\"dilation_rate\":[1,1]",
                   units, e->kernel, e->kernel);
        text_put(&t, ",\"activation\":\"%s\",\"use_bias\":true", last ? "softmax" : act_name[cfg->activation]);
        const nn_shape in = shapes[y->l];
        const int fan = (int)((int64_t)in.rows * in.cols * in.channels);
        if (y->kind == TF_DENSE) put_weight(&w, &first_weight, name, "kernel", (int[2]){fan, units}, 2);
        else put_weight(&w, &first_weight, name, "kernel", (int[4]){e->kernel, e->kernel, in.channels, units}, 4);
        put_weight(&w, &first_weight, name, "bias", &units, 1);
        break;
      }
      case TF_POOL:
        text_put(&t,
                 ",\"pool_size\":[%d,%d],\"strides\":[%d,%d],\"padding\":\"valid\",\"data_format\":\"channels_last\"",
                 e->kernel, e->kernel, e->kernel, e->kernel);
        break;
    }
    text_put(&t, "}}");
  }
  ex_str(b, "{\"format\":\"layers-model\",\"generatedBy\":\"mnist-wasm\",\"convertedBy\":null,");
  ex_str(b, "\"modelTopology\":{\"class_name\":\"Sequential\",\"config\":{\"name\":\"mnist_wasm\",\"layers\":[");
  ex_str(b, layers);
  ex_str(b, "]},\"backend\":\"tensor_flow.js\"},\"weightsManifest\":[{\"paths\":[\"" EXPORT_TFJS_WEIGHTS
            "\"],\"weights\":[");
  ex_str(b, weights);
  ex_str(b, "]}]}\n");
}

/* The weights file: each layer's kernel, then its bias, in the plan's order. */
static void weights_file(const nn_net *net, ex_bytes *b) {
  const nn_config *cfg = nn_get_config(net);
  const float *params = nn_params_const(net, NULL);
  tf_layer plan_[3 * NN_MAX_LAYERS + 4];
  const int n = plan(cfg, plan_), n_in = cfg->sizes[0];
  for (int i = 0; i < n; i++) {
    const tf_layer *y = &plan_[i];
    if (y->kind == TF_CENTRE) { /* I - 1/n */
      const float off = -1.0f / (float)n_in, diag = 1.0f - 1.0f / (float)n_in;
      if (!b->buf) b->at += 4u * (size_t)n_in * (size_t)n_in;
      for (int r = 0; b->buf && r < n_in; r++)
        for (int c = 0; c < n_in; c++) ex_f32(b, r == c ? diag : off);
    }
    if (y->kind != TF_DENSE && y->kind != TF_CONV) continue;
    nn_layer_info L;
    nn_get_layer(net, y->l, &L);
    if (y->folded) { /* kernel (in, out): W[o][j] - rowsum(W[o]) / n */
      double sums[NN_MAX_UNITS];
      for (int o = 0; o < L.units; o++) {
        double s = 0;
        for (int j = 0; j < L.fan_in; j++) s += params[L.weights + (size_t)o * (size_t)L.fan_in + (size_t)j];
        sums[o] = s / L.fan_in;
      }
      if (!b->buf) b->at += 4u * (size_t)L.units * (size_t)L.fan_in;
      for (int j = 0; b->buf && j < L.fan_in; j++)
        for (int o = 0; o < L.units; o++)
          ex_f32(b, (float)(params[L.weights + (size_t)o * (size_t)L.fan_in + (size_t)j] - sums[o]));
    } else ex_put_weights(b, params, &L, EX_CHANNELS_LAST);
    for (int u = 0; u < L.units; u++) ex_f32(b, params[L.biases + (size_t)u]);
  }
}

void tfjs_write(const nn_net *net, int file, ex_bytes *b) {
  if (file == 0) model_json(net, b);
  else weights_file(net, b);
}
