/* nn_gradcheck.c: backpropagation checked against central finite
 * differences of the loss. The differences need a loss far more exact
 * than float's (a float loss moves by its rounding, ~1e-7, as much as a
 * small gradient moves it), so the loss here comes from a forward pass of
 * its own in double, written from the layers' definitions (layers.c's
 * shapes, the weights' layout of nn.h) rather than from the float kernels:
 * the two agree only if backprop is right. A perturbed parameter of layer
 * l changes nothing before it, so each probe runs the layers from l on,
 * from the input the float forward gave layer l. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

#define CHECK_STEP 1e-4  /* h of (L(w + h) - L(w - h)) / 2h */
#define CHECK_FLOOR 1e-6 /* relative errors of smaller gradients are taken against this */
#define CHECK_TRIES 8    /* parameters tried in a place before it is given up to kinks */

typedef struct {
  const nn_net *net;
  double *theta;                    /* the parameters in double, (count) */
  double *base[NN_MAX_LAYERS + 1];  /* each layer's output at theta; [0] the input as layer 0 sees it */
  double *probe[NN_MAX_LAYERS + 1]; /* the same under a perturbed theta */
  int32_t *kinks[3][NN_MAX_LAYERS]; /* at theta, +h, -h: relu z > 0, pooling's input taken; else 0 */
  int label;
} checker;

/* exp and log of its own, of + and * alone (and frexp/ldexp, which are
 * exact), so that the check gives the same bits natively and in wasm,
 * whose C libraries' exp, log and tanh may round differently. About 1e-16
 * relative: the differences of the loss need far less. */
static double exp_d(double x) {
  if (x != x) return x; /* NaN */
  if (x < -700) return 0;
  if (x > 700) x = 700;
  const double ln2 = 0.6931471805599453;
  const int k = (int)floor(x / ln2 + 0.5);
  const double r = x - k * ln2; /* |r| <= ln2 / 2: Taylor to r^17 */
  double sum = 1, term = 1;
  for (int n = 1; n <= 17; n++) {
    term *= r / n;
    sum += term;
  }
  return ldexp(sum, k);
}

static double log_d(double x) { /* x > 0 */
  int k;
  const double m = frexp(x, &k) * 2;              /* x = m 2^(k-1), m in [1, 2) */
  const double t = (m - 1) / (m + 1), t2 = t * t; /* log m = 2 atanh t, t <= 1/3 */
  double sum = 0, power = t;
  for (int n = 1; n <= 41; n += 2) {
    sum += power / n;
    power *= t2;
  }
  return 2 * sum + (k - 1) * 0.6931471805599453;
}

static double activate(nn_activation f, double z) {
  switch (f) {
    case NN_RELU: return z > 0 ? z : 0;
    case NN_TANH: return 1 - 2 / (exp_d(2 * z) + 1);
    default: return 1 / (1 + exp_d(-z));
  }
}

/* Layer l from in (its input shape) to out (its output shape), its kink
 * pattern into kink. */
static void layer_forward(const checker *c, int l, const double *in, double *out, int32_t *kink) {
  const net_layer *y = &c->net->layer[l];
  const double *W = c->theta + c->net->w_off[l], *b = c->theta + c->net->b_off[l];
  const int n_out = c->net->cfg.sizes[l + 1], C = y->in.channels, k = y->k;
  if (y->kind == NN_LAYER_DENSE) {
    for (int o = 0; o < y->units; o++) {
      double z = b[o];
      for (int i = 0; i < y->fan_in; i++) z += W[(size_t)o * y->fan_in + i] * in[i];
      out[o] = z;
    }
  } else if (y->kind == NN_LAYER_CONV) {
    for (int oy = 0; oy < y->out.rows; oy++)
      for (int ox = 0; ox < y->out.cols; ox++)
        for (int f = 0; f < y->units; f++) {
          double z = b[f];
          const double *w = W + (size_t)f * y->fan_in; /* [channel][row][col] */
          for (int ch = 0; ch < C; ch++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                z += w[(ch * k + ky) * k + kx] * in[((size_t)(oy + ky) * y->in.cols + ox + kx) * C + ch];
          out[((size_t)oy * y->out.cols + ox) * y->units + f] = z;
        }
  } else { /* max pooling: the first of equal maxima in row-major window order */
    for (int oy = 0; oy < y->out.rows; oy++)
      for (int ox = 0; ox < y->out.cols; ox++)
        for (int ch = 0; ch < C; ch++) {
          int32_t best = -1;
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              const int32_t at = (int32_t)((((size_t)oy * k + ky) * y->in.cols + (size_t)ox * k + kx) * C + ch);
              if (best < 0 || in[at] > in[best]) best = at;
            }
          const size_t o = ((size_t)oy * y->out.cols + ox) * C + ch;
          out[o] = in[best];
          kink[o] = best;
        }
    return;
  }
  const nn_activation f = c->net->cfg.activation;
  for (int o = 0; o < n_out; o++) {
    kink[o] = y->activated && f == NN_RELU && out[o] > 0;
    if (y->activated) out[o] = activate(f, out[o]);
  }
}

/* The loss with layers from..L-1 run again under theta (out: base or
 * probe), their kink patterns into kinks. */
static double loss_from(checker *c, int from, double **out, int32_t **kinks) {
  const int L = c->net->n_layers, n = c->net->cfg.sizes[L];
  const double *in = c->base[from];
  for (int l = from; l < L; l++) {
    layer_forward(c, l, in, out[l + 1], kinks[l]);
    in = out[l + 1];
  }
  double max = in[0], sum = 0;
  for (int j = 1; j < n; j++) max = in[j] > max ? in[j] : max;
  for (int j = 0; j < n; j++) sum += exp_d(in[j] - max);
  return log_d(sum) - (in[c->label] - max);
}

static int same_kinks(const checker *c, int from, int a, int b) {
  for (int l = from; l < c->net->n_layers; l++)
    if (memcmp(c->kinks[a][l], c->kinks[b][l], (size_t)c->net->cfg.sizes[l + 1] * sizeof(int32_t)) != 0) return 0;
  return 1;
}

/* Parameter i of layer l: the relative error of g against the central
 * difference, or -1 if +-h crosses a kink. */
static double probe_one(checker *c, int l, size_t i, float g) {
  const double keep = c->theta[i];
  c->theta[i] = keep + CHECK_STEP;
  const double up = loss_from(c, l, c->probe, c->kinks[1]);
  c->theta[i] = keep - CHECK_STEP;
  const double down = loss_from(c, l, c->probe, c->kinks[2]);
  c->theta[i] = keep;
  if (!same_kinks(c, l, 0, 1) || !same_kinks(c, l, 0, 2)) return -1;
  const double fd = (up - down) / (2 * CHECK_STEP), a = fabs(g), b = fabs(fd);
  const double scale = a > b ? a : b;
  return fabs(g - fd) / (scale > CHECK_FLOOR ? scale : CHECK_FLOOR);
}

/* count parameters of layer l, one in each of count equal spans of its
 * weights and biases (the middle of the span, or the next ones if that
 * one sits at a kink). */
static void check_layer(checker *c, int l, int count, const float *grads, nn_check_layer *out) {
  const net_layer *y = &c->net->layer[l];
  const size_t n = (size_t)y->units * y->fan_in + y->units, first = c->net->w_off[l];
  *out = (nn_check_layer){0};
  if (n == 0) return;
  const size_t places = (size_t)count < n ? (size_t)count : n;
  for (size_t k = 0; k < places; k++) {
    const size_t lo = k * n / places, span = (k + 1) * n / places - lo;
    for (size_t t = 0; t < span && t < CHECK_TRIES; t++) {
      const size_t i = first + lo + (span / 2 + t) % span;
      const double err = probe_one(c, l, i, grads[i]);
      if (err < 0) {
        out->at_kinks++;
        continue;
      }
      out->checked++;
      if (err > out->max_relative_error) out->max_relative_error = err;
      break;
    }
  }
}

/* One block for all of it: theta, then each layer's base and probe
 * outputs (doubles), then the three kink patterns (int32). */
static nn_status make_checker(const nn_net *net, checker *c) {
  memset(c, 0, sizeof *c);
  c->net = net;
  const int *s = net->cfg.sizes, L = net->n_layers;
  size_t values = 0;
  for (int l = 0; l <= L; l++) values += (size_t)s[l];
  const size_t bytes = (net->count + 2 * values) * sizeof(double) + 3 * values * sizeof(int32_t);
  double *block = malloc(bytes); /* bytes > 0: count > 0 */
  if (!block) return NN_ERR_NOMEM;
  c->theta = block;
  double *d = block + net->count;
  for (int l = 0; l <= L; l++) {
    c->base[l] = d;
    c->probe[l] = d + s[l];
    d += 2 * (size_t)s[l];
  }
  int32_t *k = (int32_t *)d;
  for (int v = 0; v < 3; v++)
    for (int l = 0; l < L; l++) {
      c->kinks[v][l] = k;
      k += s[l + 1];
    }
  return NN_OK;
}

nn_status nn_gradient_check(nn_net *net, const nn_data *sample, int count, nn_check_layer *layers,
                            double *max_relative_error) {
  if (!net || !layers || count < 1) return NN_ERR_ARG;
  if (count > NN_CHECK_MAX_COUNT) return NN_ERR_LIMIT;
  size_t total = 0;
  for (int l = 1; l < net->cfg.n_sizes; l++) total += (size_t)net->cfg.sizes[l];
  /* count > 0: every network has a dense output layer */
  /* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI) */
  float *grads = malloc((net->count + 3 * total) * sizeof *grads), *outs = grads + net->count;
  if (!grads) return NN_ERR_NOMEM;
  nn_status st = nn_gradients(net, sample, outs, outs + total, outs + 2 * total, grads, NULL);
  checker c;
  if (st == NN_OK) st = make_checker(net, &c);
  if (st != NN_OK) {
    free(grads);
    return st;
  }
  /* Layer l's probes start from the input the float forward gave it (the
   * image nn_gradients just ran, from the scratch's first row, or the
   * previous layer's output): the check then measures backprop, not how
   * float rounded the layers before (a unit whose z is a small difference
   * of large terms carries float's rounding into every weight it feeds). */
  const double mean = net->cfg.input == NN_INPUT_CENTRED && net->layer[0].units > 0 ? net->row_mean[0] : 0.0;
  c.label = net->labels[0];
  for (size_t i = 0; i < net->count; i++) c.theta[i] = net->params[i];
  double worst = 0;
  const float *in = net->act[0];
  const float *act = outs + total;
  for (int l = 0; l < net->n_layers; l++) {
    const int n = net->cfg.sizes[l];
    for (int i = 0; i < n; i++) c.base[l][i] = (double)in[i] - (l == 0 ? mean : 0.0);
    loss_from(&c, l, c.base, c.kinks[0]);
    check_layer(&c, l, count, grads, &layers[l]);
    if (layers[l].max_relative_error > worst) worst = layers[l].max_relative_error;
    in = act;
    act += net->cfg.sizes[l + 1];
  }
  if (max_relative_error) *max_relative_error = worst;
  free(c.theta);
  free(grads);
  return NN_OK;
}
