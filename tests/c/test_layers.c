/* test_layers.c: the layer stack. The grammar (what parses, what it
 * derives, what it refuses and the words it uses), each layer's backward
 * pass against finite differences for every activation and input, in a
 * few shapes with odd sizes and several channels; pooling's ties; the same
 * bits with 1, 2 and 3 threads, with the work really split; and a small
 * convnet learning real digits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digits.h"
#include "kernels.h"
#include "nn_internal.h"
#include "test.h"

static float urand(rng_t *r, float lo, float hi) { return lo + (hi - lo) * rng_uniform(r); }

/* ---- the grammar --------------------------------------------------------- */

static void check_parses(const char *text, const char *formatted, int n_sizes, const int *sizes, uint64_t params) {
  nn_config cfg;
  nn_config_default(&cfg);
  char msg[256] = "", back[256];
  CHECK_EQ(nn_layers_parse(text, &cfg, msg, sizeof msg), NN_OK);
  CHECK(msg[0] == '\0', "%s: a message on success: %s", text, msg);
  nn_layers_format(&cfg, back, sizeof back);
  CHECK(strcmp(back, formatted) == 0, "%s formats as %s, want %s", text, back, formatted);
  CHECK_EQ(cfg.n_sizes, n_sizes);
  for (int i = 0; i < n_sizes && i < cfg.n_sizes; i++)
    CHECK(cfg.sizes[i] == sizes[i], "%s: sizes[%d] %d, want %d", text, i, cfg.sizes[i], sizes[i]);
  CHECK(nn_param_count(&cfg) == params, "%s: %llu parameters, want %llu", text,
        (unsigned long long)nn_param_count(&cfg), (unsigned long long)params);
  CHECK_EQ(nn_config_check(&cfg), NN_OK);
  CHECK_EQ(cfg.batch_size, 8); /* the rest of the config untouched */
}

static void check_refuses(const char *text, nn_status want, const char *words) {
  nn_config cfg, before;
  nn_config_default(&cfg);
  before = cfg;
  char msg[256] = "";
  CHECK_EQ(nn_layers_parse(text, &cfg, msg, sizeof msg), want);
  CHECK(strstr(msg, words) != NULL, "'%s': message '%s' lacks '%s'", text, msg, words);
  CHECK(memcmp(&cfg, &before, sizeof cfg) == 0, "'%s': a refused stack changed the config", text);
}

static void test_grammar(void) {
  static const int seed[] = {784, 128, 64, 10};
  check_parses("784,128,64,10", "784,128,64,10", 4, seed, 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  nn_config dflt;
  nn_config_default(&dflt);
  CHECK(nn_is_dense_stack(&dflt), "the default is a dense stack");
  static const int convnet[] = {784, 24 * 24 * 8, 12 * 12 * 8, 8 * 8 * 16, 4 * 4 * 16, 128, 10};
  check_parses("28x28,conv5x8,pool2,conv5x16,pool2,128,10", "28x28,conv5x8,pool2,conv5x16,pool2,128,10", 7, convnet,
               (8 * 25 + 8) + (16 * 8 * 25 + 16) + (256 * 128 + 128) + (128 * 10 + 10));
  static const int rgb[] = {5 * 7 * 3, 3 * 5 * 2, 1 * 2 * 2, 4};
  check_parses("5x7x3, conv3x2 ,pool2,4", "5x7x3,conv3x2,pool2,4", 4, rgb, (2 * 3 * 9 + 2) + 0 + (4 * 4 + 4));
  static const int flat_image[] = {784, 10};
  check_parses("28x28x1,10", "28x28,10", 2, flat_image, 7850);

  check_refuses("", NN_ERR_ARG, "unknown item ''");
  check_refuses("784,12a,10", NN_ERR_ARG, "unknown item '12a'");
  check_refuses("784,dense5,10", NN_ERR_ARG, "expected N (dense), convKxF");
  check_refuses("784,conv5x8,10", NN_ERR_ARG, "'conv5x8': a convolution needs an image, but its input is flat (784");
  check_refuses("28x28,128,pool2,10", NN_ERR_ARG, "'pool2': pooling needs an image, but its input is flat (128");
  check_refuses("28x28,conv5x8,pool2,conv5x16,pool2,conv5x4,10", NN_ERR_ARG,
                "'conv5x4': the 5x5 kernel is larger than its input 4x4x16");
  check_refuses("3x3,pool4,10", NN_ERR_ARG, "'pool4': 4x4 pooling leaves nothing of its input 3x3x1");
  check_refuses("28x28,conv5x0,10", NN_ERR_ARG, "'conv5x0': a convolution needs 1..4096 filters");
  check_refuses("28x28,conv0x4,10", NN_ERR_ARG, "'conv0x4': the window's side must be 1..32");
  check_refuses("28x28,conv3x8", NN_ERR_ARG, "the last layer must be dense");
  check_refuses("784,128,1", NN_ERR_ARG, "the last layer needs at least 2 units");
  check_refuses("784,5000,10", NN_ERR_LIMIT, "'5000': a dense layer needs 1..4096 units");
  check_refuses("784", NN_ERR_ARG, "a stack needs an input and at least one layer");
  check_refuses("784,1,2,3,4,5,6,7,8,9", NN_ERR_LIMIT, "at most 8 layers");
  check_refuses("300x300,10", NN_ERR_LIMIT, "the input 300x300x1 is over 65536 values");
  check_refuses("28x28,conv3x200,10", NN_ERR_LIMIT, "'conv3x200': its output 26x26x200 is over 65536 values");
  check_refuses("99999999999,10", NN_ERR_ARG, "unknown item '99999999999'");

  /* a stack over the parameter limit is refused */
  nn_config big;
  nn_config_default(&big);
  CHECK_EQ(nn_layers_parse("128x128x4,conv1x4096,4096,10", &big, NULL, 0), NN_ERR_LIMIT); /* its map is too big */
  check_refuses("4096,4096,4096,4096,4096,10", NN_ERR_LIMIT, "67166218 weights and biases, over the limit of 67108864");
  big.n_sizes = 6; /* and the check refuses it where the sizes are set by hand */
  for (int i = 0; i < 5; i++) big.sizes[i] = 4096;
  big.sizes[5] = 10;
  memset(big.layers, 0, sizeof big.layers);
  big.in_rows = big.in_cols = big.in_channels = 0;
  CHECK_EQ(nn_config_check(&big), NN_ERR_LIMIT);
  /* the maps of a big batch are over the scratch limit: refused before anything is allocated */
  nn_config wide;
  nn_config_default(&wide);
  CHECK_EQ(nn_layers_parse("28x28,conv3x64,10", &wide, NULL, 0), NN_OK); /* 43,264 floats of maps a digit */
  wide.batch_size = 1024;
  CHECK_EQ(nn_config_check(&wide), NN_ERR_LIMIT);
  nn_net *net = (nn_net *)&wide;
  CHECK_EQ(nn_create(&wide, &net), NN_ERR_LIMIT);
  CHECK(net == NULL, "nn_create sets NULL on failure");
  /* sizes that disagree with the shapes are refused */
  nn_config odd;
  nn_config_default(&odd);
  CHECK_EQ(nn_layers_parse("8x8,conv3x2,10", &odd, NULL, 0), NN_OK);
  odd.sizes[1]++;
  char msg[160];
  CHECK_EQ(nn_stack_shapes(&odd, (nn_shape[NN_MAX_LAYERS + 1]){{0}}, msg, sizeof msg), NN_ERR_ARG);
  CHECK(strstr(msg, "layer 1 gives 72 values, but sizes[1] is 73") != NULL, "message: %s", msg);
  CHECK_EQ(nn_config_check(&odd), NN_ERR_ARG);
}

/* The defaults that follow the stack and the optimizer, for what is not given. */
static void test_fit_defaults(void) {
  nn_config c, d;
  nn_config_default(&d);
  c = d;
  nn_config_fit_defaults(&c, 0);
  CHECK(memcmp(&c, &d, sizeof c) == 0, "the seed's dense stack with sgd keeps nn_config_default's");
  CHECK_EQ(nn_layers_parse(NN_CONVNET, &c, NULL, 0), NN_OK);
  nn_config_fit_defaults(&c, 0);
  CHECK(c.optimizer == NN_MOMENTUM && c.activation == NN_RELU && c.batch_size == 32 && c.learning_rate == 0.03f &&
          c.weight_decay == 0.005f,
        "a convnet: momentum, relu, 32, 0.03, weight decay 0.005");
  c.optimizer = NN_ADAM;
  c.activation = NN_TANH;
  c.batch_size = 5;
  nn_config_fit_defaults(&c, NN_GIVEN_ACTIVATION | NN_GIVEN_BATCH | NN_GIVEN_OPTIMIZER);
  CHECK(c.optimizer == NN_ADAM && c.activation == NN_TANH && c.batch_size == 5 && c.learning_rate == 0.003f &&
          c.weight_decay == 0.03f,
        "given ones kept; adam's rate and decay for a convnet");
  c.optimizer = NN_SGD;
  nn_config_fit_defaults(&c, NN_GIVEN_OPTIMIZER);
  CHECK(c.learning_rate == 0.1f && c.weight_decay == 0.0005f, "sgd's for a convnet");
  c.learning_rate = 0.3f;
  c.weight_decay = 0.002f;
  nn_config_fit_defaults(&c, NN_GIVEN_LEARNING_RATE | NN_GIVEN_WEIGHT_DECAY);
  CHECK(c.learning_rate == 0.3f && c.weight_decay == 0.002f && c.activation == NN_RELU && c.optimizer == NN_MOMENTUM,
        "a given rate and decay kept; the optimizer not given is the stack's");
  nn_config_default(&d);
  d.optimizer = NN_MOMENTUM;
  nn_config_fit_defaults(&d, NN_GIVEN_OPTIMIZER);
  CHECK(d.learning_rate == 0.05f && d.weight_decay == 0.0f && d.activation == NN_SIGMOID && d.batch_size == 8,
        "momentum on the dense stack: 0.05, no decay");
  d.optimizer = NN_ADAM;
  nn_config_fit_defaults(&d, 0);
  CHECK(d.optimizer == NN_SGD && d.learning_rate == 0.5f, "the dense stack's optimizer, not given, is sgd");
}

/* ---- gradients ----------------------------------------------------------- */

static double batch_loss(nn_net *net, int B) {
  net->derived_fresh = 0; /* the probes change the weights behind the API's back */
  net_forward(net, B, net->labels);
  double s = 0;
  for (int b = 0; b < B; b++) s += net->loss[b];
  return s / B;
}

/* Every parameter's gradient against central differences of the loss. */
static void check_gradients(const char *stack, nn_activation act, nn_input input, int B) {
  nn_config cfg;
  nn_config_default(&cfg);
  CHECK_EQ(nn_layers_parse(stack, &cfg, NULL, 0), NN_OK);
  cfg.input = input;
  cfg.activation = act;
  cfg.batch_size = B;
  cfg.seed = 5;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  if (!net) return;
  rng_t r;
  rng_seed(&r, 9);
  const int n_in = cfg.sizes[0], k = cfg.sizes[cfg.n_sizes - 1];
  for (int l = 0; l < net->n_layers; l++) { /* biases above 0: relu units alive */
    for (size_t i = net->w_off[l]; i < net->b_off[l]; i++) net->params[i] += urand(&r, -0.3f, 0.3f);
    for (int o = 0; o < net->layer[l].units; o++) net->params[net->b_off[l] + o] = urand(&r, 0.0f, 0.3f);
  }
  for (int i = 0; i < B * n_in; i++) net->act[0][i] = urand(&r, 0, 1);
  for (int b = 0; b < B; b++) net->row_mean[b] = kern_mean(net->act[0] + (size_t)b * n_in, (size_t)n_in);
  for (int b = 0; b < B; b++) net->labels[b] = (uint8_t)rng_below(&r, (uint32_t)k);
  batch_loss(net, B);
  net_backward(net, B, 0, 0.0f);
  const float h = 1e-3f;
  double err2 = 0, norm2 = 0;
  double layer_max[NN_MAX_LAYERS] = {0};
  for (size_t i = 0; i < net->count; i++) {
    const float keep = net->params[i];
    net->params[i] = keep + h;
    const double up = batch_loss(net, B);
    net->params[i] = keep - h;
    const double down = batch_loss(net, B);
    net->params[i] = keep;
    const double numeric = (up - down) / (2.0 * h), analytic = net->grads[i];
    err2 += (numeric - analytic) * (numeric - analytic);
    norm2 += analytic * analytic;
    int l = 0;
    while (l + 1 < net->n_layers && i >= net->w_off[l + 1]) l++;
    if (fabs(analytic) > layer_max[l]) layer_max[l] = fabs(analytic);
  }
  const double rel = sqrt(err2) / (sqrt(norm2) + 1e-12);
  for (int l = 0; l < net->n_layers; l++) /* (one sample can leave every relu of a small layer at 0) */
    if (net->layer[l].units > 0 && (B > 1 || act != NN_RELU))
      CHECK(layer_max[l] > 1e-4, "%s %s %s batch %d: layer %d's gradient is all ~0 (max %g)", stack,
            nn_activation_name(act), nn_input_name(input), B, l, layer_max[l]);
  CHECK(rel < 2e-2, "%s %s %s batch %d: analytic vs finite-difference relative error %g", stack,
        nn_activation_name(act), nn_input_name(input), B, rel);
  nn_free(net);
}

/* NN_TEST_QUICK (valgrind.sh): one activation a stack, and fewer digits */
static int quick(void) {
  const char *q = getenv("NN_TEST_QUICK");
  return q && *q && strcmp(q, "0") != 0;
}

static void test_gradients(void) {
  static const char *const stacks[] = {
    "6x6,conv3x2,5",                 /* a convolution alone */
    "7x5,conv2x3,pool2,4",           /* odd sizes: pooling drops a row */
    "6x6x2,conv3x3,conv2x2,pool2,3", /* channels in, a convolution after a convolution */
    "9x9,conv2x2,pool2,conv3x4,6,3", /* convolution after pooling, then two dense layers */
    "6x6,pool3,4",                   /* pooling straight on the input */
  };
  for (int in = 0; in < NN_INPUT_COUNT; in++)
    for (int a = 0; a < NN_ACTIVATION_COUNT; a++)
      for (size_t s = 0; s < sizeof stacks / sizeof *stacks; s++)
        for (int B = 1; B <= 3; B += 2)
          if (!quick() || (int)(s + (size_t)B) % NN_ACTIVATION_COUNT == a)
            check_gradients(stacks[s], (nn_activation)a, (nn_input)in, B);
}

/* The convolution kernels against their reference loops, bit for bit, on
 * maps and deltas with zeros in them (which the kernels skip), for odd
 * shapes, filter counts off the vector width, and the filters' gradient
 * in two ranges as two threads would take it. */
static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static void test_conv_kernels(void) {
  static const kern_conv shapes[] = {
    {28, 28, 1, 5, 8}, {12, 12, 8, 5, 16}, {7, 5, 3, 3, 5}, {6, 9, 2, 1, 20}, {5, 5, 1, 5, 3}, {9, 8, 4, 2, 9},
  };
  rng_t r;
  rng_seed(&r, 11);
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
    const kern_conv g = shapes[k];
    const int S = 3, KKC = g.k * g.k * g.channels, F = g.filters;
    const size_t in = (size_t)g.rows * g.cols * g.channels, out = (size_t)(g.rows - g.k + 1) * (g.cols - g.k + 1) * F;
    float *x = malloc(S * in * sizeof *x), *dz = malloc(S * out * sizeof *dz), *W = malloc((size_t)F * KKC * sizeof *W);
    float *bias = malloc(F * sizeof *bias), *wt = malloc((size_t)KERN_CONV_PAD(F) * KKC * sizeof *wt);
    float *wp = malloc((size_t)F * KKC * sizeof *wp), *gp = malloc((size_t)F * KERN_CONV_GP_STRIDE(KKC) * sizeof *gp);
    float *z = malloc(out * sizeof *z), *z_ref = malloc(out * sizeof *z);
    float *dx = malloc(in * sizeof *dx), *dx_ref = malloc(in * sizeof *dx);
    float *gW = malloc((size_t)F * KKC * sizeof *gW), *gW_ref = malloc((size_t)F * KKC * sizeof *gW);
    float *gb = malloc(F * sizeof *gb), *gb_ref = malloc(F * sizeof *gb);
    for (size_t i = 0; i < S * in; i++) x[i] = rng_uniform(&r) < 0.5f ? 0.0f : urand(&r, -1, 1);
    for (size_t i = 0; i < S * out; i++) dz[i] = rng_uniform(&r) < 0.7f ? 0.0f : urand(&r, -1, 1);
    for (int i = 0; i < F * KKC; i++) W[i] = urand(&r, -1, 1);
    for (int f = 0; f < F; f++) bias[f] = urand(&r, -1, 1);
    kern_conv_orders(wt, wp, W, g);
    int ok = 1;
    for (int s = 0; s < S; s++) {
      kern_conv_forward(z, x + s * in, wt, bias, g);
      kern_conv_forward_ref(z_ref, x + s * in, W, bias, g);
      ok &= same_bits(z, z_ref, out);
      kern_conv_backward(dx, dz + s * out, wp, g);
      kern_conv_backward_ref(dx_ref, dz + s * out, W, g);
      ok &= same_bits(dx, dx_ref, in);
    }
    CHECK(ok, "shape %zu: forward and backward have the reference's bits", k);
    kern_conv_gradient(gW, gb, gp, dz, x, S, g, 0, F / 2);
    kern_conv_gradient(gW, gb, gp, dz, x, S, g, F / 2, F);
    kern_conv_gradient_ref(gW_ref, gb_ref, dz, x, S, g);
    CHECK(same_bits(gW, gW_ref, (size_t)F * KKC) && same_bits(gb, gb_ref, F),
          "shape %zu: the filters' gradient has the reference's bits", k);
    free(x), free(dz), free(W), free(bias), free(wt), free(wp), free(gp), free(z), free(z_ref);
    free(dx), free(dx_ref), free(gW), free(gW_ref), free(gb), free(gb_ref);
  }
}

/* kern_max_pool against the plain loop, values and indices, on maps full of
 * ties (values from a few levels, zeros as relu leaves them, a NaN), with
 * channel counts that fill vectors (8, 16) and that do not (3), odd sizes. */
static void test_max_pool_kernel(void) {
  static const int shapes[][4] = {{24, 24, 8, 2}, {8, 8, 16, 2}, {7, 9, 3, 2}, {9, 9, 8, 3}};
  rng_t r;
  rng_seed(&r, 5);
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
    const int R = shapes[k][0], Cc = shapes[k][1], C = shapes[k][2], P = shapes[k][3];
    const size_t n_in = (size_t)R * Cc * C, n_out = (size_t)(R / P) * (Cc / P) * C;
    float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
    int32_t *arg = malloc(n_out * sizeof *arg);
    for (size_t i = 0; i < n_in; i++) in[i] = (float)rng_below(&r, 3); /* 0, 1, 2: ties everywhere */
    in[n_in / 2] = NAN;
    kern_max_pool(out, arg, in, R, Cc, C, P);
    int ok = 1;
    for (int oy = 0; oy < R / P; oy++)
      for (int ox = 0; ox < Cc / P; ox++)
        for (int c = 0; c < C; c++) {
          size_t best = ((size_t)oy * P * Cc + (size_t)ox * P) * C + c;
          for (int ky = 0; ky < P; ky++)
            for (int kx = 0; kx < P; kx++) {
              const size_t i = ((size_t)(oy * P + ky) * Cc + (size_t)(ox * P + kx)) * C + c;
              if (in[i] > in[best]) best = i;
            }
          const size_t o = ((size_t)oy * (Cc / P) + ox) * C + c;
          ok &= arg[o] == (int32_t)best && memcmp(&out[o], &in[best], sizeof *out) == 0;
        }
    CHECK(ok, "max pool shape %zu: the plain loop's maxima and indices", k);
    free(in), free(out), free(arg);
  }
}

/* Equal maxima: the first in the window takes the output and its delta. */
static void test_pool_ties(void) {
  nn_config cfg;
  nn_config_default(&cfg);
  CHECK_EQ(nn_layers_parse("4x4,conv1x1,pool2,2", &cfg, NULL, 0), NN_OK);
  cfg.input = NN_INPUT_RAW;
  cfg.batch_size = 1;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  if (!net) return;
  net->params[0] = 1.0f; /* the 1x1 convolution passes its pixels on: z = x */
  net->params[1] = 0.0f;
  for (int i = 0; i < 16; i++) net->act[0][i] = 0.5f; /* every window a tie */
  net->act[0][15] = 0.75f;                            /* but the last window's last pixel */
  net->labels[0] = 1;
  net_forward(net, 1, net->labels);
  const int32_t *arg = net->layer[1].argmax;
  CHECK(arg[0] == 0 && arg[1] == 2 && arg[2] == 8 && arg[3] == 15, "argmax %d %d %d %d", arg[0], arg[1], arg[2],
        arg[3]);
  net_output_delta_rows(net, 1, 0, 1, net->dz[2]);
  net_delta_back(net, 2, 0, 1);
  net_delta_back(net, 1, 0, 1); /* pooling's, then the convolution's activation */
  int nonzero = 0;
  for (int i = 0; i < 16; i++) nonzero += net->dz[0][i] != 0.0f;
  CHECK(nonzero == 4, "each output's delta reached one input: %d of 16 non-zero", nonzero);
  CHECK(net->dz[0][0] != 0.0f && net->dz[0][2] != 0.0f && net->dz[0][8] != 0.0f && net->dz[0][15] != 0.0f,
        "the first of each tie, and the larger pixel, get the deltas");
  nn_free(net);
}

/* ---- real digits ----------------------------------------------------------- */

/* A convnet's model bits with 1, 2 and 3 threads, each run splitting its
 * steps (jobs on the pool's threads); and it learns. */
static void test_threads_and_learning(const digits *train, const digits *test) {
  const int N = quick() ? 600 : 4000;
  uint8_t *first[4] = {0};
  size_t count = 0;
  for (int threads = 1; threads <= 3; threads++) {
    nn_config cfg;
    nn_config_default(&cfg);
    CHECK_EQ(nn_layers_parse("28x28,conv5x8,pool2,conv5x16,pool2,64,10", &cfg, NULL, 0), NN_OK);
    cfg.batch_size = 32;
    cfg.activation = NN_RELU;
    cfg.learning_rate = 0.1f;
    nn_net *net = NULL;
    CHECK_EQ(nn_create(&cfg, &net), NN_OK);
    if (!net) return;
    CHECK_EQ(nn_set_threads(net, threads), NN_OK);
    nn_data data = {train->x, NULL, train->y, N, 28, 28, NULL};
    int32_t *order = malloc(sizeof(int32_t) * N);
    CHECK_EQ(nn_shuffle(net, order, N), NN_OK);
    double loss = 0;
    int done = 0;
    CHECK_EQ(nn_train(net, &data, order, 0, N, &loss, &done), NN_OK);
    CHECK_EQ(done, N);
    free(order);
    if (threads > 1) CHECK(nn_thread_jobs(net) > 0, "%d threads: no work ran on the pool's threads", threads);
    const float *p = nn_params_const(net, &count);
    first[threads] = malloc(count * sizeof(float));
    memcpy(first[threads], p, count * sizeof(float));
    if (threads > 1)
      CHECK(memcmp(first[1], first[threads], count * sizeof(float)) == 0, "%d threads differ from 1", threads);
    if (threads == 1) {
      nn_data t = {test->x, NULL, test->y, test->n, 28, 28, NULL};
      int correct = 0;
      CHECK_EQ(nn_evaluate(net, &t, &correct, NULL, NULL), NN_OK);
      const double acc = (double)correct / test->n;
      printf("convnet, %d digits once: test accuracy %.2f%%, mean loss %.4f\n", N, 100 * acc, loss / N);
      CHECK(acc > (quick() ? 0.3 : 0.85), "a convnet after %d digits: %.2f%%", N, 100 * acc);
    }
    nn_free(net);
  }
  for (int t = 1; t <= 3; t++) free(first[t]);
}

int main(void) {
  test_grammar();
  test_fit_defaults();
  test_gradients();
  test_conv_kernels();
  test_max_pool_kernel();
  test_pool_ties();
  digits train = {0}, test = {0};
  CHECK(load_digits("train", &train) && load_digits("t10k", &test), "the small split in %s", NN_DATA_DIR);
  if (train.x && test.x) test_threads_and_learning(&train, &test);
  free(train.x);
  free(train.y);
  free(test.x);
  free(test.y);
  return TEST_DONE();
}
