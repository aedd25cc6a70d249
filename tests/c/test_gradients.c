/* test_gradients.c: one sample's backpropagation seen from inside
 * (nn_gradients) against a backprop written here from the article's
 * equations, against central finite differences (nn_gradient_check) for
 * every layer kind, activation and input, and against the change one SGD
 * step makes; and neither call changes the network, down to the bits of
 * the steps that follow. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "test.h"

static float urand(rng_t *r, float lo, float hi) { return lo + (hi - lo) * rng_uniform(r); }

/* A network of stack, its weights moved off the initial ones and its
 * biases above 0 (relu units alive), and an image with ink and blanks. */
static nn_net *make(const char *stack, nn_activation act, nn_input input, nn_optimizer opt, uint8_t *image) {
  nn_config cfg;
  nn_config_default(&cfg);
  CHECK_EQ(nn_layers_parse(stack, &cfg, NULL, 0), NN_OK);
  cfg.activation = act;
  cfg.input = input;
  cfg.optimizer = opt;
  cfg.schedule = NN_SCHEDULE_CONSTANT;
  cfg.batch_size = 1;
  cfg.seed = 7;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  if (!net) return NULL;
  rng_t r;
  rng_seed(&r, 11);
  for (int l = 0; l < net->n_layers; l++) {
    for (size_t i = net->w_off[l]; i < net->b_off[l]; i++) net->params[i] += urand(&r, -0.1f, 0.1f);
    for (int o = 0; o < net->layer[l].units; o++) net->params[net->b_off[l] + o] = urand(&r, 0.0f, 0.2f);
  }
  net->derived_fresh = 0;
  for (int i = 0; i < cfg.sizes[0]; i++) image[i] = (i % 7 < 3) ? 0 : (uint8_t)rng_below(&r, 256);
  return net;
}

static size_t outputs(const nn_net *net) {
  size_t n = 0;
  for (int l = 1; l < net->cfg.n_sizes; l++) n += (size_t)net->cfg.sizes[l];
  return n;
}

/* max |a - b| over max |b|: a relative error over a whole array */
static double rel_diff(const float *a, const double *b, size_t n) {
  double d = 0, m = 0;
  for (size_t i = 0; i < n; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    m = fmax(m, fabs(b[i]));
  }
  return m > 0 ? d / m : d;
}

/* The article's equations for a dense sigmoid network on raw pixels, in
 * double: z = W a + b, a = sigma(z), softmax output; delta_L = p - y,
 * delta_l = sigma'(z_l) * W_{l+1}^T delta_{l+1}; dW = delta a_prev^T,
 * db = delta. Checked against nn_gradients layer by layer. */
static void test_against_the_article(void) {
  uint8_t image[784];
  nn_net *net = make("784,30,20,10", NN_SIGMOID, NN_INPUT_RAW, NN_SGD, image);
  if (!net) return;
  const int L = net->n_layers, *s = net->cfg.sizes, label = 3;
  double a[4][784], z[4][784], d[4][784];
  for (int i = 0; i < 784; i++) a[0][i] = image[i] / 255.0;
  for (int l = 0; l < L; l++) {
    const float *W = net->params + net->w_off[l], *b = net->params + net->b_off[l];
    for (int o = 0; o < s[l + 1]; o++) {
      double sum = b[o];
      for (int i = 0; i < s[l]; i++) sum += (double)W[(size_t)o * s[l] + i] * a[l][i];
      z[l + 1][o] = sum;
      a[l + 1][o] = 1 / (1 + exp(-sum));
    }
  }
  double max = z[L][0], total = 0;
  for (int j = 0; j < 10; j++) max = fmax(max, z[L][j]);
  for (int j = 0; j < 10; j++) total += exp(z[L][j] - max);
  for (int j = 0; j < 10; j++) a[L][j] = exp(z[L][j] - max) / total;
  const double loss = -log(a[L][label]);
  for (int j = 0; j < 10; j++) d[L][j] = a[L][j] - (j == label);
  for (int l = L - 1; l >= 1; l--) {
    const float *W = net->params + net->w_off[l];
    for (int i = 0; i < s[l]; i++) {
      double sum = 0;
      for (int o = 0; o < s[l + 1]; o++) sum += (double)W[(size_t)o * s[l] + i] * d[l + 1][o];
      d[l][i] = a[l][i] * (1 - a[l][i]) * sum;
    }
  }
  const size_t total_out = outputs(net);
  float *zs = malloc(3 * total_out * sizeof *zs), *grads = malloc(net->count * sizeof *grads), f_loss = 0;
  const uint8_t lab = (uint8_t)label;
  nn_data one = {.u8 = image, .labels = &lab, .n = 1};
  CHECK_EQ(nn_gradients(net, &one, zs, zs + total_out, zs + 2 * total_out, grads, &f_loss), NN_OK);
  CHECK(fabs(f_loss - loss) < 1e-5 * loss, "loss %g, the article's %g", f_loss, loss);
  size_t at = 0;
  for (int l = 0; l < L; l++) {
    const int n = s[l + 1];
    CHECK(rel_diff(zs + at, z[l + 1], n) < 1e-5, "layer %d z", l);
    CHECK(rel_diff(zs + total_out + at, a[l + 1], n) < 1e-5, "layer %d activations", l);
    CHECK(rel_diff(zs + 2 * total_out + at, d[l + 1], n) < 1e-5, "layer %d delta: %g", l,
          rel_diff(zs + 2 * total_out + at, d[l + 1], n));
    double *dW = malloc((size_t)n * s[l] * sizeof *dW);
    for (int o = 0; o < n; o++)
      for (int i = 0; i < s[l]; i++) dW[(size_t)o * s[l] + i] = d[l + 1][o] * a[l][i];
    CHECK(rel_diff(grads + net->w_off[l], dW, (size_t)n * s[l]) < 1e-5, "layer %d dW: %g", l,
          rel_diff(grads + net->w_off[l], dW, (size_t)n * s[l]));
    CHECK(rel_diff(grads + net->b_off[l], d[l + 1], n) < 1e-5, "layer %d db", l);
    free(dW);
    at += n;
  }
  free(zs);
  free(grads);
  nn_free(net);
}

static void check_one(const char *stack, nn_activation act, nn_input input) {
  uint8_t image[28 * 28 * 2];
  nn_net *net = make(stack, act, input, NN_SGD, image);
  if (!net) return;
  const uint8_t label = 1;
  nn_data one = {.u8 = image, .labels = &label, .n = 1};
  nn_check_layer layers[NN_MAX_LAYERS];
  double worst = 1;
  CHECK_EQ(nn_gradient_check(net, &one, 12, layers, &worst), NN_OK);
  int checked = 0;
  for (int l = 0; l < net->n_layers; l++) {
    checked += layers[l].checked;
    if (net->layer[l].units > 0)
      CHECK(layers[l].checked + layers[l].at_kinks >= 1, "%s %s: layer %d has no parameter probed", stack,
            nn_activation_name(act), l);
    if (act != NN_RELU && nn_is_dense_stack(&net->cfg))
      CHECK(layers[l].at_kinks == 0, "%s %s: layer %d: %d kinks without relu", stack, nn_activation_name(act), l,
            layers[l].at_kinks);
  }
  CHECK(checked >= net->n_layers, "%s %s: %d parameters checked", stack, nn_activation_name(act), checked);
  CHECK(worst < 1e-4, "%s %s %s: largest relative error %g", stack, nn_activation_name(act), nn_input_name(input),
        worst);
  nn_free(net);
}

static void test_finite_differences(void) {
  static const char *const stacks[] = {
    "784,30,20,10",                  /* the article's shape, smaller */
    "28x28,conv5x4,pool2,16,10",     /* a convolution, pooling, dense */
    "9x9x2,conv2x3,pool2,conv2x4,5", /* channels in, odd sizes, a convolution after pooling */
    "6x6,pool3,4",                   /* pooling straight on the input */
  };
  for (int in = 0; in < NN_INPUT_COUNT; in++)
    for (int a = 0; a < NN_ACTIVATION_COUNT; a++)
      for (size_t s = 0; s < sizeof stacks / sizeof *stacks; s++) check_one(stacks[s], (nn_activation)a, (nn_input)in);
}

/* Relu with zero biases on raw pixels: a convolution's z is exactly 0 on
 * blank patches, so a bias's +-h crosses the kink and is passed over; the
 * parameters away from kinks still agree. */
static void test_kinks(void) {
  uint8_t image[784];
  nn_net *net = make("28x28,conv5x4,pool2,16,10", NN_RELU, NN_INPUT_RAW, NN_SGD, image);
  if (!net) return;
  for (int l = 0; l < net->n_layers; l++)
    for (int o = 0; o < net->layer[l].units; o++) net->params[net->b_off[l] + o] = 0.0f;
  memset(image, 0, 10 * 28); /* blank rows at the top, as in a digit */
  const uint8_t label = 6;
  nn_data one = {.u8 = image, .labels = &label, .n = 1};
  nn_check_layer layers[NN_MAX_LAYERS];
  double worst = 1;
  CHECK_EQ(nn_gradient_check(net, &one, 200, layers, &worst), NN_OK);
  CHECK(layers[0].at_kinks > 0, "no kink found in the first layer");
  CHECK(layers[0].checked >= 52, "%d of 104 checked in the first layer", layers[0].checked);
  CHECK(worst < 1e-4, "relu away from kinks: largest relative error %g", worst);
  nn_free(net);
}

/* Raw input, plain SGD, batch 1, constant rate, no decay: the step moves
 * each parameter by -lr * its gradient, to float rounding. */
static void test_sgd_step(void) {
  static const char *const stacks[] = {"784,30,20,10", "28x28,conv5x4,pool2,16,10"};
  for (size_t s = 0; s < 2; s++) {
    uint8_t image[784];
    nn_net *net = make(stacks[s], s ? NN_RELU : NN_SIGMOID, NN_INPUT_RAW, NN_SGD, image);
    if (!net) continue;
    const uint8_t label = 4;
    nn_data one = {.u8 = image, .labels = &label, .n = 1};
    const size_t total = outputs(net), n = net->count;
    float *outs = malloc(3 * total * sizeof *outs), *g = malloc(n * sizeof *g), *before = malloc(n * sizeof *g);
    CHECK_EQ(nn_gradients(net, &one, outs, outs + total, outs + 2 * total, g, NULL), NN_OK);
    memcpy(before, net->params, n * sizeof *before);
    const float lr = net->cfg.learning_rate;
    CHECK_EQ(nn_step(net, &one, NULL), NN_OK);
    int bad = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
      const float want = before[i] - lr * g[i], got = net->params[i];
      moved += got != before[i];
      /* the step rounds w - lr g once; allow a unit or two in the last place */
      if (fabsf(got - want) > 2.5e-7f * (fabsf(before[i]) + fabsf(lr * g[i])) + 1e-30f) bad++;
    }
    CHECK(bad == 0, "%s: %d of %zu parameters moved other than by -lr * gradient", stacks[s], bad, n);
    CHECK(moved > (int)(n / 20), "%s: only %d parameters moved", stacks[s], moved);
    free(outs);
    free(g);
    free(before);
    nn_free(net);
  }
}

/* Two networks alike; one is looked inside between its steps. Their
 * weights, optimizer state, steps and generator stay the same bits. */
static void test_changes_nothing(void) {
  for (int opt = 0; opt < NN_OPTIMIZER_COUNT; opt++)
    for (int in = 0; in < NN_INPUT_COUNT; in++) {
      uint8_t image[784], other[784];
      nn_net *a = make("28x28,conv3x2,pool2,12,10", NN_TANH, (nn_input)in, (nn_optimizer)opt, image);
      nn_net *b = make("28x28,conv3x2,pool2,12,10", NN_TANH, (nn_input)in, (nn_optimizer)opt, other);
      if (!a || !b) return;
      const uint8_t label = 2;
      nn_data one = {.u8 = image, .labels = &label, .n = 1};
      const size_t total = outputs(a);
      float *outs = malloc(3 * total * sizeof *outs), *g = malloc(a->count * sizeof *g);
      nn_check_layer layers[NN_MAX_LAYERS];
      for (int k = 0; k < 3; k++) {
        CHECK_EQ(nn_gradients(a, &one, outs, outs + total, outs + 2 * total, g, NULL), NN_OK);
        CHECK_EQ(nn_gradient_check(a, &one, 3, layers, NULL), NN_OK);
        CHECK_EQ(nn_step(a, &one, NULL), NN_OK);
        CHECK_EQ(nn_step(b, &one, NULL), NN_OK);
      }
      CHECK(memcmp(a->params, b->params, a->count * sizeof *a->params) == 0, "%s %s: weights differ",
            nn_optimizer_name((nn_optimizer)opt), nn_input_name((nn_input)in));
      if (opt != NN_SGD) CHECK(memcmp(a->opt.m, b->opt.m, a->count * sizeof *a->opt.m) == 0, "optimizer state differs");
      CHECK(nn_steps(a) == nn_steps(b) && nn_rng_state(a) == nn_rng_state(b), "steps or generator differ");
      float pa[10], pb[10];
      CHECK_EQ(nn_predict(a, &one, pa), NN_OK);
      CHECK_EQ(nn_predict(b, &one, pb), NN_OK);
      CHECK(memcmp(pa, pb, sizeof pa) == 0, "predictions differ");
      free(outs);
      free(g);
      nn_free(a);
      nn_free(b);
    }
}

static void test_refusals(void) {
  uint8_t image[784];
  nn_net *net = make("784,16,10", NN_SIGMOID, NN_INPUT_RAW, NN_SGD, image);
  if (!net) return;
  const uint8_t bad_label = 10, label = 0;
  float buf[96], g[784 * 16 + 16 + 16 * 10 + 10];
  nn_check_layer layers[NN_MAX_LAYERS];
  nn_data one = {.u8 = image, .labels = &bad_label, .n = 1};
  CHECK_EQ(nn_gradients(net, &one, buf, buf + 26, buf + 52, g, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_gradient_check(net, &one, 3, layers, NULL), NN_ERR_ARG);
  one.labels = &label;
  CHECK_EQ(nn_gradient_check(net, &one, 0, layers, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_gradient_check(net, &one, NN_CHECK_MAX_COUNT + 1, layers, NULL), NN_ERR_LIMIT);
  CHECK_EQ(nn_gradients(net, &one, NULL, buf, buf, g, NULL), NN_ERR_ARG);
  one.labels = NULL;
  CHECK_EQ(nn_gradients(net, &one, buf, buf + 26, buf + 52, g, NULL), NN_ERR_ARG);
  float w[784 * 16], b[16];
  CHECK_EQ(nn_layer_parameters(net, 0, w, b), NN_OK);
  CHECK(memcmp(w, net->params, sizeof w) == 0 && memcmp(b, net->params + net->b_off[0], sizeof b) == 0,
        "layer 0's copy");
  CHECK_EQ(nn_layer_parameters(net, 2, w, b), NN_ERR_ARG);
  nn_free(net);
}

int main(void) {
  test_against_the_article();
  test_finite_differences();
  test_kinks();
  test_sgd_step();
  test_changes_nothing();
  test_refusals();
  return TEST_DONE();
}
