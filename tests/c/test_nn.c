/* test_nn.c: the network core. Kernels against their reference, exp/log
 * accuracy, gradients against finite differences for every activation,
 * optimizer updates against their formulas, determinism, bad input, and the
 * loss falling on real digits. Reaches the scratch and the gradient buffer
 * through nn_internal.h. */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digits.h"
#include "test.h"

static float urand(rng_t *r, float lo, float hi) { return lo + (hi - lo) * rng_uniform(r); }

/* ---- kernels ------------------------------------------------------------- */

/* Zeroes runs of x the way blank background does in a digit (whole
 * chunks, whole rows, single pixels, and some -0), so that the kernels'
 * skipping of zeros is exercised. */
static void sparsify(rng_t *r, float *x, int B, int n_in) {
  for (int b = 0; b < B; b++) {
    float *row = x + (size_t)b * n_in;
    if (rng_below(r, 8) == 0) { /* a blank row */
      for (int i = 0; i < n_in; i++) row[i] = rng_below(r, 4) ? 0.0f : -0.0f;
      continue;
    }
    for (int i = 0; i < n_in;) {
      int run = 1 + (int)rng_below(r, 24);
      if (rng_below(r, 3))
        for (int k = i; k < i + run && k < n_in; k++) row[k] = rng_below(r, 5) ? 0.0f : -0.0f;
      i += run + (int)rng_below(r, 12);
    }
  }
}

static void check_kernels(rng_t *r, int B, int n_in, int n_out, int sparse) {
  float *x = malloc(sizeof(float) * B * n_in), *W = malloc(sizeof(float) * n_out * n_in);
  float *bias = malloc(sizeof(float) * n_out), *dz = malloc(sizeof(float) * B * n_out);
  float *y1 = malloc(sizeof(float) * B * n_out), *y2 = malloc(sizeof(float) * B * n_out);
  float *dx1 = malloc(sizeof(float) * B * n_in), *dx2 = malloc(sizeof(float) * B * n_in);
  float *g1 = malloc(sizeof(float) * n_out * n_in), *g2 = malloc(sizeof(float) * n_out * n_in);
  float *gb1 = malloc(sizeof(float) * n_out), *gb2 = malloc(sizeof(float) * n_out);
  float *W3 = malloc(sizeof(float) * n_out * n_in), *b3 = malloc(sizeof(float) * n_out);
  float *gb3 = malloc(sizeof(float) * n_out);
  for (int i = 0; i < B * n_in; i++) x[i] = urand(r, -1, 1);
  if (sparse) sparsify(r, x, B, n_in);
  for (int i = 0; i < n_out * n_in; i++) W[i] = urand(r, -1, 1);
  for (int i = 0; i < n_out; i++) bias[i] = urand(r, -1, 1);
  for (int i = 0; i < B * n_out; i++) dz[i] = urand(r, -1, 1);
  kern_forward(y1, x, W, bias, B, n_in, n_out);
  kern_forward_ref(y2, x, W, bias, B, n_in, n_out);
  kern_backward(dx1, dz, W, B, n_in, n_out);
  kern_backward_ref(dx2, dz, W, B, n_in, n_out);
  kern_gradient(g1, gb1, dz, x, B, n_in, n_out);
  kern_gradient_ref(g2, gb2, dz, x, B, n_in, n_out);
  const char *kind = sparse ? "sparse" : "dense";
  CHECK(memcmp(y1, y2, sizeof(float) * B * n_out) == 0, "forward %dx%dx%d %s differs from reference", B, n_in, n_out,
        kind);
  CHECK(memcmp(dx1, dx2, sizeof(float) * B * n_in) == 0, "backward %dx%dx%d %s differs from reference", B, n_in, n_out,
        kind);
  CHECK(memcmp(g1, g2, sizeof(float) * n_out * n_in) == 0 && memcmp(gb1, gb2, sizeof(float) * n_out) == 0,
        "gradient %dx%dx%d %s differs from reference", B, n_in, n_out, kind);
  /* the fused gradient + sgd step is backward + optim_update's sgd, bit for bit */
  const float lr = 0.37f;
  memcpy(W3, W, sizeof(float) * n_out * n_in);
  memcpy(b3, bias, sizeof(float) * n_out);
  CHECK_EQ(kern_gradient_sgd(W3, b3, gb3, dz, x, B, n_in, n_out, lr), 0);
  int same = memcmp(gb3, gb2, sizeof(float) * n_out) == 0;
  for (int i = 0; i < n_out * n_in; i++) {
    float want = W[i];
    want -= lr * g2[i];
    same &= memcmp(&want, &W3[i], sizeof want) == 0;
  }
  for (int o = 0; o < n_out; o++) {
    float want = bias[o];
    want -= lr * gb2[o];
    same &= memcmp(&want, &b3[o], sizeof want) == 0;
  }
  CHECK(same, "fused gradient + sgd %dx%dx%d %s differs from gradient then sgd", B, n_in, n_out, kind);
  if (B == 2 && n_out >= 2) {
    /* one row under sgd fused with the next row's forward: the same bits as
     * kern_gradient_sgd on the first row, then kern_forward on the second */
    float *W4 = malloc(sizeof(float) * n_out * n_in), *b4 = malloc(sizeof(float) * n_out);
    float *gb4 = malloc(sizeof(float) * n_out), *y4 = malloc(sizeof(float) * n_out);
    memcpy(W3, W, sizeof(float) * n_out * n_in);
    memcpy(b3, bias, sizeof(float) * n_out);
    memcpy(W4, W, sizeof(float) * n_out * n_in);
    memcpy(b4, bias, sizeof(float) * n_out);
    CHECK_EQ(kern_gradient_sgd(W3, b3, gb3, dz, x, 1, n_in, n_out, lr), 0);
    kern_forward(y1, x + n_in, W3, b3, 1, n_in, n_out);
    CHECK_EQ(kern_sgd_forward_one(W4, b4, gb4, dz, x, x + n_in, y4, n_in, n_out, lr), 0);
    CHECK(memcmp(W3, W4, sizeof(float) * n_out * n_in) == 0 && memcmp(b3, b4, sizeof(float) * n_out) == 0 &&
            memcmp(gb3, gb4, sizeof(float) * n_out) == 0 && memcmp(y1, y4, sizeof(float) * n_out) == 0,
          "sgd + next forward %dx%d %s differs from sgd then forward", n_in, n_out, kind);
    W4[(size_t)(n_out - 1) * n_in + n_in / 3] = 3.4e38f; /* an overflow, in a row's last block */
    float *ones = malloc(sizeof(float) * n_in);
    for (int i = 0; i < n_in; i++) ones[i] = 1.0f;
    float *dzb = malloc(sizeof(float) * n_out);
    for (int o = 0; o < n_out; o++) dzb[o] = o == n_out - 1 ? -1e37f : 0.0f;
    CHECK_EQ(kern_sgd_forward_one(W4, b4, gb4, dzb, ones, x, y4, n_in, n_out, 1.0f), 1);
    free(W4);
    free(b4);
    free(gb4);
    free(y4);
    free(ones);
    free(dzb);
  }
  W3[n_in / 2] = 3.4e38f; /* an update that overflows is reported */
  for (int i = 0; i < B * n_out; i++) dz[i] = -1e37f;
  for (int i = 0; i < B * n_in; i++) x[i] = 1.0f;
  CHECK_EQ(kern_gradient_sgd(W3, b3, gb3, dz, x, B, n_in, n_out, 1.0f), 1);
  /* and the reference is a true product: compare one element in double */
  double want = bias[n_out - 1];
  for (int i = 0; i < n_in; i++) want += (double)x[(size_t)(B - 1) * n_in + i] * W[(size_t)(n_out - 1) * n_in + i];
  kern_forward_ref(y2, x, W, bias, B, n_in, n_out);
  CHECK(fabs(y2[(size_t)B * n_out - 1] - want) < 1e-4 * (1 + fabs(want)), "forward value %g vs %g", y2[B * n_out - 1],
        want);
  free(x);
  free(W);
  free(bias);
  free(dz);
  free(y1);
  free(y2);
  free(dx1);
  free(dx2);
  free(g1);
  free(g2);
  free(gb1);
  free(gb2);
  free(W3);
  free(b3);
  free(gb3);
}

static void test_kernels_match_reference(void) {
  static const int shapes[][3] = {{1, 784, 128}, {5, 13, 7},    {64, 784, 128}, {65, 784, 128}, {3, 128, 64},
                                  {7, 64, 10},   {1, 64, 10},   {33, 128, 64},  {2, 9, 1},      {4, 16, 3},
                                  {2, 12, 5},    {2, 784, 128}, {2, 13, 7},     {1100, 16, 5},  {13, 784, 130}};
  rng_t r;
  rng_seed(&r, 7);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int sparse = 0; sparse < 2; sparse++) check_kernels(&r, shapes[s][0], shapes[s][1], shapes[s][2], sparse);

  /* the vector activations and the byte conversion against the scalar formulas */
  enum { N = 1037 };
  float a[N], s1[N], s2[N], t1[N], t2[N], u1[N], u2[N];
  uint8_t px[N];
  for (int i = 0; i < N; i++) a[i] = i < 8 ? (float)(i - 4) * 40.0f : urand(&r, -20, 20);
  for (int i = 0; i < N; i++) px[i] = (uint8_t)(i * 37 + 11);
  memcpy(s1, a, sizeof a);
  memcpy(t1, a, sizeof a);
  kern_sigmoid(s1, N);
  kern_tanh(t1, N);
  kern_bytes_to_unit(u1, px, N);
  float e1[N], e2[N];
  memcpy(e1, a, sizeof a);
  e1[5] = -200.0f;
  e1[6] = 200.0f;
  memcpy(e2, e1, sizeof e1);
  kern_exp_array(e1, N);
  for (int i = 0; i < N; i++) e2[i] = kern_exp(e2[i]);
  CHECK(memcmp(e1, e2, sizeof e1) == 0, "kern_exp_array differs from kern_exp");
  for (int i = 0; i < N; i++) {
    s2[i] = 1.0f / (1.0f + kern_exp(-a[i]));
    t2[i] = 1.0f - 2.0f / (kern_exp(2.0f * a[i]) + 1.0f);
    u2[i] = (float)px[i] * (1.0f / 255.0f);
  }
  CHECK(memcmp(s1, s2, sizeof s1) == 0, "kern_sigmoid differs from 1/(1+kern_exp(-a))");
  CHECK(memcmp(t1, t2, sizeof t1) == 0, "kern_tanh differs from 1-2/(kern_exp(2a)+1)");
  CHECK(memcmp(u1, u2, sizeof u1) == 0, "kern_bytes_to_unit differs from byte/255");
}

static void test_exp_log(void) {
  double worst_exp = 0, worst_log = 0;
  for (float v = -87.0f; v <= 88.0f; v += 0.0137f) {
    double e = exp((double)v), rel = fabs(kern_exp(v) - e) / e;
    if (rel > worst_exp) worst_exp = rel;
  }
  for (float v = 1e-30f; v < 1e30f; v *= 1.37f) {
    double l = log((double)v), err = fabs(kern_log(v) - l) / fmax(1.0, fabs(l));
    if (err > worst_log) worst_log = err;
  }
  CHECK(worst_exp < 4e-7, "exp worst relative error %g", worst_exp);
  CHECK(worst_log < 4e-7, "log worst error %g", worst_log);
  CHECK(isnan(kern_exp(NAN)), "exp(NaN) is NaN");
  CHECK(kern_exp(1000.0f) > 1e38f && isfinite(kern_exp(1000.0f)), "exp saturates");
  CHECK(kern_exp(-1000.0f) >= 0.0f && kern_exp(-1000.0f) < 1e-37f, "exp(-1000) ~ 0");
  CHECK(kern_exp(0.0f) == 1.0f && kern_log(1.0f) == 0.0f, "exp(0), log(1) exact");
  CHECK(isinf(kern_log(0.0f)) && isnan(kern_log(-1.0f)), "log(0) = -inf, log(-1) = NaN");
}

/* ---- gradients ----------------------------------------------------------- */

/* Mean loss of the batch already in act[0] / labels, in float as training sees it. */
static double batch_loss(nn_net *net, int B) {
  net->derived_fresh = 0; /* the probes change the weights behind the API's back */
  net_forward(net, B, net->labels);
  double s = 0;
  for (int b = 0; b < B; b++) s += net->loss[b];
  return s / B;
}

static void check_gradients(nn_activation act, nn_input input, const int *sizes, int n_sizes, int B) {
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.input = input;
  cfg.n_sizes = n_sizes;
  memcpy(cfg.sizes, sizes, sizeof(int) * n_sizes);
  cfg.activation = act;
  cfg.batch_size = B;
  cfg.seed = 11;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  if (!net) return;
  rng_t r;
  rng_seed(&r, 3);
  for (size_t i = 0; i < net->count; i++) net->params[i] += urand(&r, -0.3f, 0.3f); /* biases too */
  for (int i = 0; i < B * sizes[0]; i++) net->act[0][i] = urand(&r, -1, 1);
  for (int b = 0; b < B; b++) net->row_mean[b] = kern_mean(net->act[0] + (size_t)b * sizes[0], (size_t)sizes[0]);
  for (int b = 0; b < B; b++) net->labels[b] = (uint8_t)rng_below(&r, (uint32_t)sizes[n_sizes - 1]);
  /* act[0] is overwritten by nothing in forward, so keep a copy for the probes */
  batch_loss(net, B);
  net_backward(net, B, 0, 0.0f);
  /* relu: a small step, so that few probes straddle a kink */
  const float h = act == NN_RELU ? 1e-3f : 1e-2f;
  double err2 = 0, norm2 = 0, max_abs = 0;
  for (size_t i = 0; i < net->count; i++) {
    float keep = net->params[i];
    net->params[i] = keep + h;
    double up = batch_loss(net, B);
    net->params[i] = keep - h;
    double down = batch_loss(net, B);
    net->params[i] = keep;
    double numeric = (up - down) / (2.0 * h), analytic = net->grads[i];
    err2 += (numeric - analytic) * (numeric - analytic);
    norm2 += analytic * analytic;
    if (fabs(analytic) > max_abs) max_abs = fabs(analytic);
  }
  double rel = sqrt(err2) / (sqrt(norm2) + 1e-12);
  CHECK(max_abs > 1e-3, "%s %s %d layers batch %d: gradient is all ~0 (max %g)", nn_activation_name(act),
        nn_input_name(input), n_sizes, B, max_abs);
  CHECK(rel < 2e-2, "%s %s sizes[0]=%d layers=%d batch %d: analytic vs finite-difference relative error %g",
        nn_activation_name(act), nn_input_name(input), sizes[0], n_sizes, B, rel);
  nn_free(net);
}

static void test_gradients(void) {
  static const int small[] = {6, 5, 4};
  static const int deep[] = {9, 7, 6, 5, 3};
  static const int wide[] = {17, 12, 10};
  static const int batches[] = {1, 3, 8};
  for (int in = 0; in < NN_INPUT_COUNT; in++) /* centred: the centred gradient of layer 0 (centre_gradient) */
    for (int a = 0; a < NN_ACTIVATION_COUNT; a++)
      for (int bi = 0; bi < 3; bi++) {
        check_gradients((nn_activation)a, (nn_input)in, small, 3, batches[bi]);
        check_gradients((nn_activation)a, (nn_input)in, deep, 5, batches[bi]);
        check_gradients((nn_activation)a, (nn_input)in, wide, 3, batches[bi]);
      }
}

/* Centred input. kern_mean and kern_row_sums against sums in double. A
 * centred network, which centres through its first layer's weights, gives
 * the outputs of a raw one (the same weights) fed the centred pixels; it
 * reads an image and the same image brighter by a constant alike, a raw one
 * does not; and trained, it follows the raw one fed centred pixels, on
 * every optimizer: plain SGD steps on the stored pixels' gradient, which
 * differs only along each row's mean, and the others on the centred one
 * (of those, only Adam's path would show the difference: check_gradients
 * holds both to the centred gradient). */
static double most_apart(const float *a, const float *b, int n) {
  double most = 0;
  for (int i = 0; i < n; i++) most = fmax(most, fabs((double)a[i] - b[i]));
  return most;
}

/* Centred input derives its row sums once per change of the weights:
 * predictions in a row reuse them, and a change through nn_params, a step
 * or a rollback is seen by the next forward (the same outputs as a network
 * built with those weights). */
static void test_centring_sums_follow_the_weights(void) {
  nn_config cfg;
  nn_config_default(&cfg);
  nn_net *a = NULL, *b = NULL;
  CHECK_EQ(nn_create(&cfg, &a), NN_OK);
  CHECK_EQ(nn_create(&cfg, &b), NN_OK);
  if (!a || !b) return;
  float x[784], p1[10], p2[10], pb[10];
  rng_t r;
  rng_seed(&r, 4);
  for (int i = 0; i < 784; i++) x[i] = rng_uniform(&r) < 0.3f ? rng_uniform(&r) : 0.0f;
  nn_data d = {NULL, x, NULL, 1, 0, 0, NULL};
  CHECK_EQ(nn_predict(a, &d, p1), NN_OK);
  CHECK(a->derived_fresh == 1, "a predict leaves the sums derived");
  size_t n;
  float *w = nn_params(a, &n);
  for (size_t i = 0; i < 784 * 128; i += 7) w[i] += 0.05f;
  CHECK_EQ(nn_predict(a, &d, p2), NN_OK);
  memcpy(nn_params(b, NULL), w, n * sizeof *w);
  CHECK_EQ(nn_predict(b, &d, pb), NN_OK);
  CHECK(memcmp(p1, p2, sizeof p1) != 0, "the change of the weights changed the outputs");
  CHECK(memcmp(p2, pb, sizeof p2) == 0, "and they are a fresh network's with those weights");
  uint8_t y = 3;
  nn_data one = {NULL, x, &y, 1, 0, 0, NULL};
  CHECK_EQ(nn_step(a, &one, NULL), NN_OK); /* a step: the next predict sees its weights */
  CHECK_EQ(nn_predict(a, &d, p2), NN_OK);
  memcpy(nn_params(b, NULL), nn_params_const(a, NULL), n * sizeof *w);
  CHECK_EQ(nn_predict(b, &d, pb), NN_OK);
  CHECK(memcmp(p2, pb, sizeof p2) == 0, "after a step, a fresh network's outputs");
  nn_free(a);
  nn_free(b);
}

static void test_input_centring(void) {
  rng_t r;
  rng_seed(&r, 11);
  enum { N = 1037, RS = 5 };
  float x[N];
  double sum = 0;
  for (int i = 0; i < N; i++) sum += x[i] = urand(&r, 0, 1);
  CHECK(fabs(kern_mean(x, N) - sum / N) < 1e-6, "kern_mean: %g, not %g", (double)kern_mean(x, N), sum / N);
  CHECK(kern_mean(x, 1) == x[0] && kern_mean(NULL, 0) == 0.0f, "kern_mean of one value, of none");
  float huge[N];
  for (int i = 0; i < N; i++) huge[i] = 3e38f;
  CHECK(fabsf(kern_mean(huge, N) - 3e38f) < 1e33f, "kern_mean of 3e38s: %g (the sum overflowed)",
        (double)kern_mean(huge, N));
  float sums[RS];
  kern_row_sums(sums, x, N / RS, RS);
  for (int o = 0; o < RS; o++) {
    double want = 0;
    for (int i = 0; i < N / RS; i++) want += x[o * (N / RS) + i];
    CHECK(fabs(sums[o] - want) < 1e-4, "kern_row_sums row %d: %g, not %g", o, (double)sums[o], want);
  }

  enum { IN = 20, ROWS = 6, OUT = 4 };
  float img[ROWS * IN], brighter[ROWS * IN], centred[ROWS * IN], p1[ROWS * OUT], p2[ROWS * OUT];
  uint8_t labels[ROWS];
  for (int b = 0; b < ROWS; b++) {
    double m = 0;
    for (int i = 0; i < IN; i++) {
      const int at = b * IN + i; /* sparse, like digits: the kernels skip zeros */
      img[at] = i % 3 ? 0.0f : urand(&r, 0, 0.7f);
      brighter[at] = img[at] + 0.25f;
      m += img[at] / IN;
    }
    for (int i = 0; i < IN; i++) centred[b * IN + i] = (float)(img[b * IN + i] - m);
    labels[b] = (uint8_t)rng_below(&r, OUT);
  }
  const nn_data as_stored = {.f32 = img, .labels = labels, .n = ROWS}, lit = {.f32 = brighter, .n = ROWS},
                as_centred = {.f32 = centred, .labels = labels, .n = ROWS};
  static const struct {
    nn_optimizer optimizer;
    int batch;
    float lr, decay;
  } runs[] = {{NN_SGD, 1, 0.5f, 0}, {NN_SGD, 4, 0.5f, 0.01f}, {NN_MOMENTUM, 3, 0.1f, 0}, {NN_ADAM, 2, 0.01f, 0}};
  for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
    nn_net *net[NN_INPUT_COUNT] = {NULL};
    for (int input = 0; input < NN_INPUT_COUNT; input++) {
      nn_config cfg;
      nn_config_default(&cfg);
      cfg.n_sizes = 3, cfg.sizes[0] = IN, cfg.sizes[1] = 12, cfg.sizes[2] = OUT;
      cfg.input = (nn_input)input;
      cfg.optimizer = runs[k].optimizer, cfg.batch_size = runs[k].batch, cfg.learning_rate = runs[k].lr;
      cfg.weight_decay = runs[k].decay;
      CHECK_EQ(nn_create(&cfg, &net[input]), NN_OK);
    }
    nn_net *raw = net[NN_INPUT_RAW], *cen = net[NN_INPUT_CENTRED];
    if (!raw || !cen) continue;
    const char *name = nn_optimizer_name(runs[k].optimizer);
    for (int epoch = 0; epoch <= 30; epoch++) {
      CHECK_EQ(nn_predict(cen, &as_stored, p1), NN_OK);
      CHECK_EQ(nn_predict(raw, &as_centred, p2), NN_OK);
      const double apart = most_apart(p1, p2, ROWS * OUT);
      if (epoch == 0 || epoch == 30 || apart >= 1e-4)
        CHECK(apart < 1e-4, "%s batch %d, epoch %d: centred input and centred pixels %g apart", name, runs[k].batch,
              epoch, apart);
      if (apart >= 1e-4 || epoch == 30) break;
      CHECK_EQ(nn_train(cen, &as_stored, NULL, 0, ROWS, NULL, NULL), NN_OK);
      CHECK_EQ(nn_train(raw, &as_centred, NULL, 0, ROWS, NULL, NULL), NN_OK);
    }
    CHECK_EQ(nn_predict(cen, &lit, p2), NN_OK);
    CHECK(most_apart(p1, p2, ROWS * OUT) < 1e-5, "%s centred: brighter by 0.25 moves a probability by %g", name,
          most_apart(p1, p2, ROWS * OUT));
    CHECK_EQ(nn_predict(raw, &as_stored, p1), NN_OK);
    CHECK_EQ(nn_predict(raw, &lit, p2), NN_OK);
    CHECK(most_apart(p1, p2, ROWS * OUT) > 1e-3, "%s raw: brighter by 0.25 moves no probability (%g)", name,
          most_apart(p1, p2, ROWS * OUT));
    nn_free(raw);
    nn_free(cen);
  }
}

/* ---- optimizers ---------------------------------------------------------- */

static void test_optimizers(void) {
  enum { N = 37 };
  float p[N], g[N], m[N] = {0}, v[N] = {0};
  double pd[N], md[N] = {0}, vd[N] = {0};
  rng_t r;
  rng_seed(&r, 5);
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++) {
    nn_config cfg;
    nn_config_default(&cfg);
    cfg.optimizer = (nn_optimizer)o;
    cfg.learning_rate = o == NN_ADAM ? 0.01f : 0.1f;
    optim_state st = {m, v, 1.0f, 1.0f};
    optim_reset(&st, N);
    for (int i = 0; i < N; i++) {
      pd[i] = p[i] = urand(&r, -1, 1);
      md[i] = vd[i] = 0;
    }
    double b1t = 1, b2t = 1;
    for (int t = 0; t < 3; t++) {
      for (int i = 0; i < N; i++) g[i] = urand(&r, -1, 1);
      CHECK_EQ(optim_update(&cfg, cfg.learning_rate, &st, p, g, N), 0);
      b1t *= cfg.beta1;
      b2t *= cfg.beta2;
      for (int i = 0; i < N; i++) {
        if (o == NN_SGD) pd[i] -= cfg.learning_rate * g[i];
        if (o == NN_MOMENTUM) {
          md[i] = cfg.momentum * md[i] + g[i];
          pd[i] -= cfg.learning_rate * md[i];
        }
        if (o == NN_ADAM) {
          md[i] = cfg.beta1 * md[i] + (1 - cfg.beta1) * g[i];
          vd[i] = cfg.beta2 * vd[i] + (1 - cfg.beta2) * g[i] * g[i];
          pd[i] -= cfg.learning_rate * (md[i] / (1 - b1t)) / (sqrt(vd[i] / (1 - b2t)) + cfg.epsilon);
        }
      }
    }
    double worst = 0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(p[i] - pd[i]));
    CHECK(worst < 1e-5, "%s update differs from its formula by %g", nn_optimizer_name((nn_optimizer)o), worst);
  }
  float bad[2] = {1e38f, 0}, huge[2] = {-1e38f, 0};
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.learning_rate = 100.0f;
  optim_state st = {NULL, NULL, 1, 1};
  CHECK_EQ(optim_update(&cfg, cfg.learning_rate, &st, bad, huge, 2), 1); /* overflow to inf is reported */
}

/* ---- training on real digits -------------------------------------------- */

static nn_net *make_net(nn_optimizer opt, uint64_t seed, int batch) {
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.optimizer = opt;
  cfg.learning_rate = opt == NN_ADAM ? 0.002f : opt == NN_MOMENTUM ? 0.05f : 0.5f;
  cfg.seed = seed;
  cfg.batch_size = batch;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  return net;
}

static double accuracy(nn_net *net, const digits *d) {
  nn_data data = {d->x, NULL, d->y, d->n};
  int correct = 0;
  uint32_t confusion[100] = {0};
  CHECK_EQ(nn_evaluate(net, &data, &correct, NULL, confusion), NN_OK);
  uint32_t total = 0, diag = 0;
  for (int i = 0; i < 100; i++) total += confusion[i];
  for (int i = 0; i < 10; i++) diag += confusion[i * 11];
  CHECK(total == (uint32_t)d->n && diag == (uint32_t)correct, "confusion sums %u/%u vs %d/%d", total, diag, d->n,
        correct);
  return (double)correct / d->n;
}

/* NN_TEST_QUICK=1 (scripts/valgrind.sh) shrinks the training runs below,
 * which dominate the run time, so that the tests stay fast under valgrind. */
static int quick(void) {
  const char *q = getenv("NN_TEST_QUICK");
  return q && *q && strcmp(q, "0") != 0;
}

static void test_learns_real_digits(const digits *full_train, const digits *test) {
  digits train = *full_train; /* quick: half the samples */
  if (quick() && train.n > 4000) train.n = 4000;
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++) {
    nn_net *net = make_net((nn_optimizer)o, 1, 8);
    if (!net) return;
    nn_data data = {train.x, NULL, train.y, train.n};
    int32_t *order = malloc(sizeof(int32_t) * train.n);
    double first = 0, last = 0;
    double acc0 = accuracy(net, test);
    for (int epoch = 0; epoch < 2; epoch++) {
      CHECK_EQ(nn_shuffle(net, order, train.n), NN_OK);
      double sum = 0;
      CHECK_EQ(nn_train(net, &data, order, 0, train.n, &sum, NULL), NN_OK);
      if (epoch == 0) first = sum / train.n;
      else last = sum / train.n;
    }
    double acc = accuracy(net, test);
    CHECK(last < first && last < 0.5, "%s: loss %g -> %g should fall below 0.5", nn_optimizer_name((nn_optimizer)o),
          first, last);
    CHECK(acc > 0.85 && acc0 < 0.3, "%s: accuracy %.3f -> %.3f after 2 epochs", nn_optimizer_name((nn_optimizer)o),
          acc0, acc);
    free(order);
    nn_free(net);
  }
}

/* Same seed: identical weights, also when an epoch is split into calls;
 * another seed: different. */
static void test_determinism(const digits *train) {
  enum { MAX_N = 2048 };
  const int N = quick() ? 512 : MAX_N;
  nn_data data = {train->x, NULL, train->y, N};
  int32_t order[MAX_N];
  nn_net *a = make_net(NN_ADAM, 42, 16), *b = make_net(NN_ADAM, 42, 16), *c = make_net(NN_ADAM, 43, 16);
  if (!a || !b || !c) return;
  nn_shuffle(a, order, N);
  CHECK_EQ(nn_train(a, &data, order, 0, N, NULL, NULL), NN_OK);
  nn_shuffle(b, order, N);
  for (int at = 0; at < N; at += 16 * 5) {
    int count = N - at < 80 ? N - at : 80;
    CHECK_EQ(nn_train(b, &data, order, at, count, NULL, NULL), NN_OK);
  }
  nn_shuffle(c, order, N);
  CHECK_EQ(nn_train(c, &data, order, 0, N, NULL, NULL), NN_OK);
  size_t n;
  float *pa = nn_params(a, &n), *pb = nn_params(b, NULL), *pc = nn_params(c, NULL);
  CHECK(memcmp(pa, pb, n * sizeof(float)) == 0, "same seed, split epoch: weights differ");
  CHECK(memcmp(pa, pc, n * sizeof(float)) != 0, "another seed gives the same weights");
  CHECK_EQ(nn_steps(a), N / 16);
  nn_free(a);
  nn_free(b);
  nn_free(c);
}

/* A call's rate factor (nn_train_scaled) is that call's alone: it trains
 * as a net configured at the scaled rate does, and the next call is back
 * at the configured rate; on the batch-1 path and the batched one. A
 * factor outside (0, 1] is refused before anything changes. */
static void test_rate_factor_is_per_call(const digits *train) {
  enum { N = 96, M = 64 };
  nn_data first = {train->x, NULL, train->y, N}, then = {train->x + (size_t)N * 784, NULL, train->y + N, M};
  for (int batch = 1; batch <= 8; batch += 7) {
    nn_net *a = make_net(NN_SGD, 3, batch), *b = make_net(NN_SGD, 3, batch), *c = make_net(NN_SGD, 3, batch);
    if (!a || !b || !c) return;
    b->cfg.learning_rate = a->cfg.learning_rate * 0.5f; /* 0.25, exact */
    CHECK_EQ(nn_train_scaled(a, 0.5f, &first, NULL, 0, N, NULL, NULL), NN_OK);
    CHECK_EQ(nn_train(b, &first, NULL, 0, N, NULL, NULL), NN_OK);
    size_t n;
    float *pa = nn_params(a, &n), *pb = nn_params(b, NULL), *pc = nn_params(c, NULL);
    CHECK(memcmp(pa, pb, n * sizeof *pa) == 0, "batch %d: a factor of 0.5 is not half the rate", batch);
    memcpy(pc, pb, n * sizeof *pc); /* c: b's weights at a's configured rate */
    CHECK_EQ(nn_train(a, &then, NULL, 0, M, NULL, NULL), NN_OK);
    CHECK_EQ(nn_train(c, &then, NULL, 0, M, NULL, NULL), NN_OK);
    CHECK(memcmp(nn_params(a, NULL), nn_params(c, NULL), n * sizeof *pa) == 0,
          "batch %d: the factor stayed for the next call", batch);
    const float bad[] = {0.0f, -0.5f, 1.5f, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
      CHECK_EQ(nn_train_scaled(a, bad[i], &then, NULL, 0, M, NULL, NULL), NN_ERR_ARG);
    CHECK(memcmp(nn_params(a, NULL), nn_params(c, NULL), n * sizeof *pa) == 0, "a refused factor changed the net");
    nn_free(a);
    nn_free(b);
    nn_free(c);
  }
}

/* nn_train at batch 1 under SGD takes the next row's first-layer output
 * from each update (kern_sgd_forward_one): the same bits as nn_step row by
 * row, on either input, with weight decay (which changes W after that
 * update) too. */
static void test_batch_one_rides_along(const digits *train) {
  enum { N = 300 };
  for (int input = 0; input < NN_INPUT_COUNT; input++)
    for (int decay = 0; decay < 2; decay++) {
      nn_net *a = make_net(NN_SGD, 7, 1), *b = make_net(NN_SGD, 7, 1);
      if (!a || !b) return;
      const float wd = decay ? 0.01f : 0.0f;
      for (nn_net **n = (nn_net *[]){a, b, NULL}; *n; n++) {
        (*n)->cfg.input = (nn_input)input;
        CHECK_EQ(nn_set_training(*n, NN_SCHEDULE_CONSTANT, wd, &(*n)->cfg.augment), NN_OK);
      }
      nn_data all = {train->x, NULL, train->y, N};
      CHECK_EQ(nn_train(a, &all, NULL, 0, N, NULL, NULL), NN_OK);
      for (int r = 0; r < N; r++) {
        nn_data one = {train->x + (size_t)r * 784, NULL, train->y + r, 1};
        CHECK_EQ(nn_step(b, &one, NULL), NN_OK);
      }
      size_t n;
      const float *pa = nn_params(a, &n), *pb = nn_params(b, NULL);
      CHECK(memcmp(pa, pb, n * sizeof(float)) == 0, "batch 1, %s, weight decay %g: nn_train and nn_step differ",
            nn_input_name((nn_input)input), (double)wd);
      if (!decay) { /* the ride itself: a step with a row ahead leaves that row's z, as a forward computes it */
        const int H = a->cfg.sizes[1];
        nn_data one = {train->x, NULL, train->y, 1};
        const net_call call = {a->cfg.learning_rate, 0, 0, 0};
        float next_mean = 0.0f;
        net_gather(a, NULL, &one, NULL, 0, 1);
        net_load_row(a, NULL, &all, 1, a->x_next, &next_mean, &a->rng, a->x_aug);
        CHECK_EQ(net_step_ahead(a, &call, 0, a->x_next, &next_mean, NULL), NN_OK);
        float primed[NN_MAX_UNITS], z[NN_MAX_UNITS];
        memcpy(primed, a->act[1], (size_t)H * sizeof *primed);
        memcpy(a->act[0], a->x_next, 784 * sizeof(float));
        a->row_mean[0] = next_mean;
        net_derive(a);
        kern_forward(z, a->act[0], a->params + a->w_off[0], a->params + a->b_off[0], 1, 784, H);
        if (a->cfg.input == NN_INPUT_CENTRED) net_centre_z(z, a->row_mean, a->w0_sums, 1, 1, H);
        CHECK(memcmp(primed, z, (size_t)H * sizeof *z) == 0, "%s: the primed z is not the forward's",
              nn_input_name((nn_input)input));
      }
      nn_free(a);
      nn_free(b);
    }
}

/* ---- bad input ----------------------------------------------------------- */

static void test_config_checks(void) {
  nn_config cfg;
  nn_net *net = (nn_net *)&cfg; /* must be set to NULL on failure */
#define BAD_CONFIG(field_change, want)                \
  do {                                                \
    nn_config_default(&cfg);                          \
    field_change;                                     \
    CHECK_EQ(nn_create(&cfg, &net), want);            \
    CHECK(net == NULL, "out not NULL after failure"); \
  } while (0)
  BAD_CONFIG(cfg.n_sizes = 1, NN_ERR_ARG);
  BAD_CONFIG(cfg.n_sizes = NN_MAX_LAYERS + 2, NN_ERR_LIMIT);
  BAD_CONFIG(cfg.sizes[1] = 0, NN_ERR_ARG);
  BAD_CONFIG(cfg.sizes[1] = -5, NN_ERR_ARG);
  BAD_CONFIG(cfg.sizes[1] = NN_MAX_UNITS + 1, NN_ERR_LIMIT);
  BAD_CONFIG(cfg.sizes[3] = 1, NN_ERR_ARG);
  BAD_CONFIG(cfg.activation = (nn_activation)7, NN_ERR_ARG);
  BAD_CONFIG(cfg.optimizer = (nn_optimizer)-1, NN_ERR_ARG);
  BAD_CONFIG(cfg.input = NN_INPUT_COUNT, NN_ERR_ARG);
  BAD_CONFIG(cfg.learning_rate = NAN, NN_ERR_ARG);
  BAD_CONFIG(cfg.learning_rate = 0, NN_ERR_ARG);
  BAD_CONFIG(cfg.learning_rate = INFINITY, NN_ERR_ARG);
  BAD_CONFIG(cfg.batch_size = 0, NN_ERR_ARG);
  BAD_CONFIG(cfg.batch_size = NN_MAX_BATCH + 1, NN_ERR_LIMIT);
  BAD_CONFIG((cfg.n_sizes = 9, cfg.sizes[4] = cfg.sizes[5] = cfg.sizes[6] = cfg.sizes[7] = 4096, cfg.sizes[8] = 10,
              cfg.sizes[1] = cfg.sizes[2] = cfg.sizes[3] = 4096),
             NN_ERR_LIMIT); /* 100M params */
#undef BAD_CONFIG
  CHECK_EQ(nn_create(NULL, &net), NN_ERR_ARG);
  nn_config_default(&cfg);
  CHECK_EQ(nn_create(&cfg, NULL), NN_ERR_ARG);
  nn_free(NULL);
  CHECK(strlen(nn_strerror((nn_status)999)) > 0 && strstr(nn_strerror(NN_ERR_DIVERGED), "learning rate"), "messages");
  CHECK(nn_activation_parse("tanh") == NN_TANH && nn_activation_parse("TANH") == -1 && nn_optimizer_parse(NULL) == -1,
        "names");
  CHECK(nn_input_parse("centred") == NN_INPUT_CENTRED && nn_input_parse("raw") == NN_INPUT_RAW &&
          nn_input_parse("centered") == -1 && strcmp(nn_input_name(NN_INPUT_CENTRED), "centred") == 0,
        "input names");
}

static void test_bad_input_changes_nothing(const digits *train) {
  nn_net *net = make_net(NN_MOMENTUM, 9, 8);
  if (!net) return;
  size_t n;
  float *p = nn_params(net, &n);
  float *before = malloc(n * sizeof(float));
  memcpy(before, p, n * sizeof(float));
  uint8_t labels[8];
  memcpy(labels, train->y, 8);
  labels[5] = 10;
  nn_data bad_label = {train->x, NULL, labels, 8};
  CHECK_EQ(nn_step(net, &bad_label, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_train(net, &bad_label, NULL, 0, 8, NULL, NULL), NN_ERR_ARG);
  float *fx = malloc(sizeof(float) * 784 * 8);
  for (int i = 0; i < 784 * 8; i++) fx[i] = train->x[i] / 255.0f;
  fx[784 * 3 + 100] = NAN;
  nn_data nan_pixel = {NULL, fx, train->y, 8};
  CHECK_EQ(nn_step(net, &nan_pixel, NULL), NN_ERR_ARG);
  fx[784 * 3 + 100] = INFINITY;
  CHECK_EQ(nn_train(net, &nan_pixel, NULL, 0, 8, NULL, NULL), NN_ERR_ARG);
  nn_data both = {train->x, fx, train->y, 8}, none = {NULL, NULL, train->y, 8};
  CHECK_EQ(nn_step(net, &both, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_step(net, &none, NULL), NN_ERR_ARG);
  nn_data empty = {train->x, NULL, train->y, 0}, no_labels = {train->x, NULL, NULL, 8};
  CHECK_EQ(nn_step(net, &empty, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_step(net, &no_labels, NULL), NN_ERR_ARG);
  nn_data ok = {train->x, NULL, train->y, 8};
  int32_t order[8] = {0, 1, 2, 3, 4, 5, 6, 8}; /* 8 is out of range */
  CHECK_EQ(nn_train(net, &ok, order, 0, 8, NULL, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_train(net, &ok, NULL, 4, 5, NULL, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_train(net, &ok, NULL, -1, 2, NULL, NULL), NN_ERR_ARG);
  CHECK_EQ(nn_set_learning_rate(net, NAN), NN_ERR_ARG);
  CHECK_EQ(nn_set_batch_size(net, 0), NN_ERR_ARG);
  CHECK(memcmp(before, p, n * sizeof(float)) == 0 && nn_steps(net) == 0, "a rejected call changed the weights");

  /* the largest batch works, growing the scratch once */
  nn_data big = {train->x, NULL, train->y, 1024};
  float loss = 0;
  CHECK_EQ(nn_step(net, &big, &loss), NN_OK);
  CHECK(loss > 0 && isfinite(loss), "batch 1024 loss %g", loss);
  free(fx);
  free(before);
  nn_free(net);
}

/* A loss that goes NaN stops training with NN_ERR_DIVERGED and leaves the
 * last finite weights. */
static void test_divergence(const digits *train) {
  nn_net *net = make_net(NN_SGD, 3, 16);
  if (!net) return;
  size_t n;
  float *p = nn_params(net, &n);
  nn_data data = {train->x, NULL, train->y, 256};
  float *before = malloc(n * sizeof(float));
  /* a weight that every input reaches (kernels skip blank pixels, and with
   * them any weight on a pixel that is always 0, such as p[5]) */
  const size_t poison = net->w_off[1] + 5;
  p[poison] = NAN;
  memcpy(before, p, n * sizeof(float));
  CHECK_EQ(nn_step(net, &data, NULL), NN_ERR_DIVERGED);
  CHECK(memcmp(before, p, n * sizeof(float)) == 0, "weights changed by a diverged step");
  /* finite weights whose logits overflow: predict and evaluate say so */
  p[poison] = 0.0f;
  for (size_t i = net->w_off[2]; i < net->w_off[2] + 64; i++) p[i] = 3e38f;
  float probs[10 * 4];
  nn_data four = {train->x, NULL, train->y, 4};
  CHECK_EQ(nn_predict(net, &four, probs), NN_ERR_DIVERGED);
  CHECK_EQ(nn_evaluate(net, &four, NULL, NULL, NULL), NN_ERR_DIVERGED);
  nn_free(net);
  /* relu: three good batches, then one whose huge (finite) pixels overflow
   * the activations to inf and the loss to NaN. For every optimizer, only
   * that step is undone: the weights and optimizer state are those of a net
   * that trained on the three good batches alone, and it trains on from
   * there to the same bits. */
  float *fx = malloc(sizeof(float) * 784 * 64);
  for (int i = 0; i < 784 * 64; i++) fx[i] = train->x[i] / 255.0f;
  for (int i = 784 * 50; i < 784 * 51; i++) fx[i] = i % 2 ? -3e38f : 3e38f; /* both signs: centring keeps them */
  nn_data poisoned = {NULL, fx, train->y, 64};
  nn_data good = {NULL, fx, train->y, 48};
  for (int o = 0; o < NN_OPTIMIZER_COUNT; o++) {
    nn_config cfg;
    nn_config_default(&cfg);
    cfg.activation = NN_RELU;
    cfg.batch_size = 16;
    cfg.optimizer = (nn_optimizer)o;
    cfg.learning_rate = o == NN_ADAM ? 0.001f : 0.05f;
    nn_net *ref = NULL;
    CHECK_EQ(nn_create(&cfg, &net), NN_OK);
    CHECK_EQ(nn_create(&cfg, &ref), NN_OK);
    p = nn_params(net, &n);
    double loss = 0, ref_loss = 0;
    int trained = -1;
    CHECK_EQ(nn_train(net, &poisoned, NULL, 0, 64, &loss, &trained), NN_ERR_DIVERGED);
    CHECK_EQ(nn_train(ref, &good, NULL, 0, 48, &ref_loss, NULL), NN_OK);
    CHECK(trained == 48 && nn_steps(net) == 3, "%s: diverged at step 4: trained %d, steps %llu",
          nn_optimizer_name(cfg.optimizer), trained, (unsigned long long)nn_steps(net));
    CHECK(memcmp(nn_params(ref, NULL), p, n * sizeof(float)) == 0 && loss == ref_loss,
          "%s: the weights are those of the last finite step", nn_optimizer_name(cfg.optimizer));
    /* the optimizer state too: one more good step gives the same bits */
    CHECK_EQ(nn_train(net, &good, NULL, 0, 16, NULL, NULL), NN_OK);
    CHECK_EQ(nn_train(ref, &good, NULL, 0, 16, NULL, NULL), NN_OK);
    CHECK(memcmp(nn_params(ref, NULL), p, n * sizeof(float)) == 0, "%s: optimizer state kept across the undone step",
          nn_optimizer_name(cfg.optimizer));
    /* and nn_step: a diverged step changes nothing, then trains on alike */
    nn_data bad_batch = {NULL, fx + 784 * 48, train->y + 48, 16};
    nn_data good_batch = {NULL, fx, train->y, 16};
    CHECK_EQ(nn_step(net, &bad_batch, NULL), NN_ERR_DIVERGED);
    CHECK_EQ(nn_step(net, &good_batch, NULL), NN_OK);
    CHECK_EQ(nn_step(ref, &good_batch, NULL), NN_OK);
    CHECK(memcmp(nn_params(ref, NULL), p, n * sizeof(float)) == 0 && nn_steps(net) == nn_steps(ref),
          "%s: nn_step undoes only the diverged step", nn_optimizer_name(cfg.optimizer));
    nn_free(ref);
    nn_free(net);
  }
  free(fx);
  free(before);
}

int main(void) {
  test_kernels_match_reference();
  test_exp_log();
  test_gradients();
  test_input_centring();
  test_centring_sums_follow_the_weights();
  test_optimizers();
  test_config_checks();
  digits train = {0}, test = {0};
  if (!load_digits("train", &train) || !load_digits("t10k", &test)) {
    CHECK(0, "default data set missing in %s: run `node scripts/make-dataset.js`", NN_DATA_DIR);
  } else {
    test_bad_input_changes_nothing(&train);
    test_determinism(&train);
    test_batch_one_rides_along(&train);
    test_rate_factor_is_per_call(&train);
    test_divergence(&train);
    test_learns_real_digits(&train, &test);
  }
  free(train.x);
  free(train.y);
  free(test.x);
  free(test.y);
  return TEST_DONE();
}
