/* backprop_lines.c: what the explain command prints (options.h): one test
 * image's backpropagation layer by layer, the sizes (L2 norms) of each
 * layer's delta and gradient, and the gradient check, as text or JSON.
 * The numbers are nn_gradients' and nn_gradient_check's, and both command
 * lines call this one function, so they print the same bytes. (The words
 * for a bad file or run are csrc/explain.c's, another thing.) */
#include <math.h>
#include <stdlib.h>

#include "options.h"
#include "options_shared.h"
#include "text.h"

static const char *const kind_names[NN_LAYER_KIND_COUNT] = {"dense", "conv", "pool"};

static double norm(const float *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return sqrt(s);
}

/* One layer's numbers, as the lines show them. */
typedef struct {
  nn_layer_info info;
  double delta, weights, biases;
} layer_norms;

static void put_text(nn_text *t, long index, int label, const float *probs, int k, float loss, const layer_norms *y,
                     const nn_check_layer *check, int L, double worst) {
  const int best = cli_argmax(probs, k);
  text_put(t, "explain  index %ld  label %d  predicted %d  p %.4f  loss %.4f  (-ln p[%d] = -ln %.4f)\n", index, label,
           best, (double)probs[best], (double)loss, label, (double)probs[label]);
  for (int l = 0; l < L; l++) {
    const nn_shape o = y[l].info.out;
    text_put(t, "layer %d  %-5s %dx%dx%d  |delta| %.3e", l + 1, kind_names[y[l].info.kind], o.rows, o.cols, o.channels,
             y[l].delta);
    if (y[l].info.units > 0) {
      text_put(t, "  |dW| %.3e  |db| %.3e  check %.1e (%d checked", y[l].weights, y[l].biases,
               check[l].max_relative_error, check[l].checked);
      if (check[l].at_kinks > 0) text_put(t, ", %d at kinks passed over", check[l].at_kinks);
      text_put(t, ")");
    }
    text_put(t, "\n");
  }
  text_put(t, "gradient check: largest relative error %.1e (backprop in float against finite differences in double)",
           worst);
}

static void put_json(nn_text *t, long index, int label, const float *probs, int k, float loss, const layer_norms *y,
                     const nn_check_layer *check, int L, double worst) {
  text_put(t, "{\"type\":\"explain\",\"index\":%ld,\"label\":%d,\"predicted\":%d,\"loss\":", index, label,
           cli_argmax(probs, k));
  text_json_float(t, loss);
  text_put(t, ",\"probabilities\":[");
  for (int i = 0; i < k; i++) {
    if (i) text_put(t, ",");
    text_json_float(t, probs[i]);
  }
  text_put(t, "],\"layers\":[");
  for (int l = 0; l < L; l++) {
    const nn_shape o = y[l].info.out;
    text_put(t, "%s{\"type\":\"%s\",\"shape\":[%d,%d,%d],\"deltaNorm\":", l ? "," : "", kind_names[y[l].info.kind],
             o.rows, o.cols, o.channels);
    text_json_number(t, y[l].delta);
    if (y[l].info.units > 0) {
      text_put(t, ",\"weightsNorm\":");
      text_json_number(t, y[l].weights);
      text_put(t, ",\"biasesNorm\":");
      text_json_number(t, y[l].biases);
      text_put(t, ",\"maxRelativeError\":");
      text_json_number(t, check[l].max_relative_error);
    }
    text_put(t, ",\"checked\":%d,\"atKinks\":%d}", check[l].checked, check[l].at_kinks);
  }
  text_put(t, "],\"maxRelativeError\":");
  text_json_number(t, worst);
  text_put(t, "}");
}

int cli_explain(nn_net *net, const uint8_t *image, int label, long index, int json, char *buf, size_t cap) {
  if (!net || !image) return text_fail(CLI_EXIT_FAILURE, buf, cap, "internal error: no network or image to explain");
  const nn_config *c = nn_get_config(net);
  const int L = c->n_sizes - 1, k = c->sizes[L];
  size_t total = 0, count = 0;
  for (int l = 1; l <= L; l++) total += (size_t)c->sizes[l];
  (void)nn_params_const(net, &count);
  float *block = malloc((3 * total + count) * sizeof *block), loss = 0;
  if (!block) return text_fail(CLI_EXIT_FAILURE, buf, cap, "explain: %s", nn_strerror(NN_ERR_NOMEM));
  float *z = block, *act = z + total, *delta = act + total, *grads = delta + total;
  const uint8_t y = (uint8_t)label;
  const nn_data one = {image, NULL, &y, 1, 0, 0, NULL};
  nn_check_layer check[NN_MAX_LAYERS];
  double worst = 0;
  nn_status st = nn_gradients(net, &one, z, act, delta, grads, &loss);
  if (st == NN_OK) st = nn_gradient_check(net, &one, CLI_CHECK_COUNT, check, &worst);
  if (st != NN_OK) {
    free(block);
    return text_fail(CLI_EXIT_FAILURE, buf, cap, "explain: %s", nn_strerror(st));
  }
  layer_norms y_norms[NN_MAX_LAYERS];
  size_t at = 0;
  for (int l = 0; l < L; l++) {
    layer_norms *n = &y_norms[l];
    nn_get_layer(net, l, &n->info);
    n->delta = norm(delta + at, (size_t)c->sizes[l + 1]);
    n->weights = norm(grads + n->info.weights, (size_t)n->info.units * n->info.fan_in);
    n->biases = norm(grads + n->info.biases, (size_t)n->info.units);
    at += (size_t)c->sizes[l + 1];
  }
  nn_text t = text_of(buf, cap);
  (json ? put_json : put_text)(&t, index, label, act + total - k, k, loss, y_norms, check, L, worst);
  free(block);
  return 0;
}
