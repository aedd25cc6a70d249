/* nn.c: the network. Forward and backward passes over mini-batches, create
 * and free, then step, train, predict and evaluate. The matrix products live
 * in kernels_*.c and the update rules in optim.c (plain SGD is fused into the
 * gradient kernel, with the same bits); file formats are elsewhere (idx.c,
 * model.c). Nothing here prints, exits or aborts. */
#include "nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "optim.h"
#include "pool.h"
#include "rng.h"

struct nn_net {
  nn_config cfg;
  int n_layers;                /* weight layers: cfg.n_sizes - 1 */
  size_t count;                /* floats in params (weights and biases) */
  size_t w_off[NN_MAX_LAYERS]; /* layer l: W (sizes[l+1], sizes[l]) at w_off[l] */
  size_t b_off[NN_MAX_LAYERS]; /*          bias (sizes[l+1]) at b_off[l] */
  float *params;               /* the one flat buffer, (count) */
  float *grads;                /* same layout, (count) */
  float *backup;               /* params at the start of nn_step / nn_train, (count) */
  optim_state opt;
  optim_state opt_backup; /* opt at the same moment (m, v: count floats each) */
  uint64_t steps;
  rng_t rng;              /* weight init, shuffle, augmentation */
  rng_t rng_backup;       /* rng at the same moment */
  float lr_factor;        /* the schedule's, on cfg.learning_rate */
  int augmenting;         /* nn_train with augmentation: rows are distorted as they load */
  int aug_rows, aug_cols; /* the image shape for it */
  /* scratch, sized for cap rows */
  int cap;
  float *scratch; /* one block holding everything below */
  float *act[NN_MAX_LAYERS +
             1]; /* act[0] is the input (cap, sizes[0]); act[l] is (cap, sizes[l]); the last holds probabilities */
  float *dz[NN_MAX_LAYERS]; /* layer l's output delta, (cap, sizes[l+1]) */
  float *loss;              /* per-sample loss, (cap) */
  uint8_t *labels;          /* (cap) */
  /* centred input, through the first layer's weights (centre_z) */
  float *row_mean; /* each row's mean pixel, (cap) */
  float *w0_sums;  /* the row sums of layer 0's W as the next forward uses it, (sizes[1]) */
  float mean_next; /* x_next's mean pixel */
  /* batch 1 under sgd (nn_train): the next sample rides along with the
   * last layer-0 update, so that W0 is read once per step for both, not
   * twice (centred input adds a pass for its row sums) */
  float *x_next;          /* the next sample's input, (sizes[0]) */
  float *x_aug;           /* a sample before augmentation, one a thread: (POOL_MAX_THREADS, sizes[0]) */
  const float *lookahead; /* x_next while a step may use it, else NULL */
  int primed;             /* act[1] already holds layer 0's z for act[0] */
  /* threads (nn_set_threads): a step splits its rows, then its outputs */
  nn_pool *pool; /* NULL: one thread */
};

/* ---- names ------------------------------------------------------------- */

static const char *const activation_names[NN_ACTIVATION_COUNT] = {"sigmoid", "relu", "tanh"};
static const char *const optimizer_names[NN_OPTIMIZER_COUNT] = {"sgd", "momentum", "adam"};
static const char *const schedule_names[NN_SCHEDULE_COUNT] = {"constant", "cosine", "step"};
static const char *const input_names[NN_INPUT_COUNT] = {"raw", "centred"};

/* names[i] for i below count, else NULL; and the i whose name is name, else -1. */
static const char *name_of(const char *const *names, int count, int i) { return i >= 0 && i < count ? names[i] : NULL; }
static int index_of(const char *const *names, int count, const char *name) {
  for (int i = 0; name && i < count; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

const char *nn_activation_name(nn_activation a) { return name_of(activation_names, NN_ACTIVATION_COUNT, (int)a); }
const char *nn_optimizer_name(nn_optimizer o) { return name_of(optimizer_names, NN_OPTIMIZER_COUNT, (int)o); }
const char *nn_schedule_name(nn_schedule s) { return name_of(schedule_names, NN_SCHEDULE_COUNT, (int)s); }
const char *nn_input_name(nn_input i) { return name_of(input_names, NN_INPUT_COUNT, (int)i); }
int nn_activation_parse(const char *name) { return index_of(activation_names, NN_ACTIVATION_COUNT, name); }
int nn_optimizer_parse(const char *name) { return index_of(optimizer_names, NN_OPTIMIZER_COUNT, name); }
int nn_schedule_parse(const char *name) { return index_of(schedule_names, NN_SCHEDULE_COUNT, name); }
int nn_input_parse(const char *name) { return index_of(input_names, NN_INPUT_COUNT, name); }

float nn_schedule_factor(nn_schedule s, uint64_t e, uint64_t epochs) {
  if (epochs == 0) return 1.0f;
  if (e >= epochs) e = epochs - 1;
  switch (s) {
    case NN_SCHEDULE_COSINE: {
      float sn, cs;
      augment_sincos(3.14159265358979f * (float)e / (float)epochs, &sn, &cs);
      return 0.5f * (1.0f + cs);
    }
    case NN_SCHEDULE_STEP: return 4 * e >= 3 * epochs ? 0.01f : 2 * e >= epochs ? 0.1f : 1.0f;
    default: return 1.0f;
  }
}

/* ---- forward and backward ---------------------------------------------- */

static void activate(nn_activation f, float *a, size_t n) {
  switch (f) {
    case NN_RELU:
      for (size_t i = 0; i < n; i++) a[i] = a[i] > 0.0f ? a[i] : 0.0f;
      break;
    case NN_TANH: /* 1 - 2/(e^2z + 1): saturates cleanly to +-1 */ kern_tanh(a, n); break;
    default: kern_sigmoid(a, n); break;
  }
}

/* delta (n) *= f'(z), written in terms of the activation a = f(z) (n). */
static void activate_backward(nn_activation f, float *delta, const float *a, size_t n) {
  switch (f) {
    case NN_RELU:
      for (size_t i = 0; i < n; i++) delta[i] = a[i] > 0.0f ? delta[i] : 0.0f;
      break;
    case NN_TANH:
      for (size_t i = 0; i < n; i++) delta[i] *= 1.0f - a[i] * a[i];
      break;
    default:
      for (size_t i = 0; i < n; i++) delta[i] *= a[i] * (1.0f - a[i]);
      break;
  }
}

/* z (B, k) -> probabilities in place; loss (B) gets -ln p[label] computed as
 * ln(sum) - (z_label - max), which never takes the log of an underflowed p.
 * The exps go over the whole block at once (kern_exp_array). */
static void softmax_loss(float *z, const uint8_t *labels, float *loss, int B, int k) {
  for (int b = 0; b < B; b++) {
    float *row = z + (size_t)b * k;
    float max = row[0];
    for (int j = 1; j < k; j++) max = row[j] > max ? row[j] : max;
    if (loss) loss[b] = labels ? row[labels[b]] - max : 0.0f;
    for (int j = 0; j < k; j++) row[j] -= max;
  }
  kern_exp_array(z, (size_t)B * k);
  for (int b = 0; b < B; b++) {
    float *row = z + (size_t)b * k;
    float sum = 0.0f;
    for (int j = 0; j < k; j++) sum += row[j];
    for (int j = 0; j < k; j++) row[j] /= sum;
    if (loss && labels) loss[b] = kern_log(sum) - loss[b];
  }
}

/* Centred input is centred through the first layer's weights: its z =
 * W (x - m) + b, m the row's mean pixel, is computed as (W x + b) - m *
 * rowsum(W) on the pixels as stored, whose runs of zeros the kernels skip
 * (centring them first would leave none). z (rows, n_out) -= mean (rows)
 * times sums (n_out); centring_sums fills net->w0_sums for the weights as
 * they are now. */
static void centre_z(float *z, const float *mean, const float *sums, int rows, int n_out) {
  for (int b = 0; b < rows; b++)
    for (int o = 0; o < n_out; o++) z[(size_t)b * n_out + o] -= mean[b] * sums[o];
}

static void centring_sums(nn_net *net) {
  if (net->cfg.input == NN_INPUT_CENTRED)
    kern_row_sums(net->w0_sums, net->params + net->w_off[0], net->cfg.sizes[0], net->cfg.sizes[1]);
}

/* Rows b0..b1 of act[0] (B, sizes[0]) -> act[L] (B, n_out) probabilities,
 * and of loss (B) if labels; primed: act[1] already holds layer 0's z.
 * Every row is independent of the others; with centred input, w0_sums
 * must be those of the weights (centring_sums). */
static void forward_rows(nn_net *net, int b0, int b1, const uint8_t *labels, int primed) {
  const int *s = net->cfg.sizes, n = b1 - b0, k = s[net->n_layers];
  for (int l = 0; l < net->n_layers; l++) {
    const float *W = net->params + net->w_off[l], *bias = net->params + net->b_off[l];
    float *y = net->act[l + 1] + (size_t)b0 * s[l + 1];
    if (l > 0 || !primed) kern_forward(y, net->act[l] + (size_t)b0 * s[l], W, bias, n, s[l], s[l + 1]);
    if (l == 0 && !primed && net->cfg.input == NN_INPUT_CENTRED) centre_z(y, net->row_mean + b0, net->w0_sums, n, s[1]);
    if (l + 1 < net->n_layers) activate(net->cfg.activation, y, (size_t)n * s[l + 1]);
  }
  softmax_loss(net->act[net->n_layers] + (size_t)b0 * k, labels ? labels + b0 : NULL, labels ? net->loss + b0 : NULL, n,
               k);
}

/* act[0] (B, sizes[0]) -> act[L] (B, n_out) probabilities; loss (B) if labels. */
static void forward(nn_net *net, int B, const uint8_t *labels) {
  const int primed = net->primed; /* layer 0 done by the last step's update */
  net->primed = 0;
  if (!primed) centring_sums(net);
  forward_rows(net, 0, B, labels, primed);
}

/* softmax + cross-entropy: dz (B, k) = (p - onehot(label)) / B, written as
 * p * (1/B) everywhere (p - 0 is p) and then the label's entry. */
static void output_delta_rows(nn_net *net, int B, int b0, int b1, float *dz) {
  const int k = net->cfg.sizes[net->n_layers];
  const float inv_b = 1.0f / (float)B, *p = net->act[net->n_layers];
  for (size_t i = (size_t)b0 * k; i < (size_t)b1 * k; i++) dz[i] = p[i] * inv_b;
  for (int b = b0; b < b1; b++) {
    const size_t at = (size_t)b * k + net->labels[b];
    dz[at] = (p[at] - 1.0f) * inv_b;
  }
}

/* The learning rate of the next step: the configured one times the schedule's factor. */
static float lr_now(const nn_net *net) { return net->cfg.learning_rate * net->lr_factor; }

/* Layer 0's gradient for the optimizers that keep one (momentum, adam),
 * rows o0..o1, made the centred input's: dz^T (x - m) = dz^T x - (dz^T m)
 * 1^T. Plain SGD steps on dz^T x, which differs from it only along each
 * row's mean, which centred input never sees: its outputs take the same
 * path up to rounding, and the update keeps the zero runs' sparsity. The
 * row sums then drift (10 epochs of MNIST: at most 76, against 3.9 with
 * the centred gradient), and z = W x + b - m * rowsum loses a bit or two
 * to the cancellation. Adam's per-weight scaling would see the
 * difference; momentum would not, but its update is dense anyway. */
static void centre_gradient(nn_net *net, int B, int o0, int o1) {
  if (net->cfg.input != NN_INPUT_CENTRED) return;
  const int n_in = net->cfg.sizes[0], n_out = net->cfg.sizes[1];
  const float *dz = net->dz[0];
  for (int o = o0; o < o1; o++) {
    float c = 0.0f;
    for (int b = 0; b < B; b++) c += dz[(size_t)b * n_out + o] * net->row_mean[b];
    float *g = net->grads + net->w_off[0] + (size_t)o * n_in;
    for (int i = 0; i < n_in; i++) g[i] -= c;
  }
}

/* grads = d(mean loss)/d(params) for the B rows that forward just ran. With
 * sgd set, each layer's weights are updated as soon as the layer's delta
 * has gone through them (kern_gradient_sgd: no gradient stored, the same
 * bits as backward + optim_update); returns 1 if a weight came out
 * non-finite. */
static int backward(nn_net *net, int B, int sgd) {
  const int *s = net->cfg.sizes;
  const int L = net->n_layers;
  int bad = 0;
  output_delta_rows(net, B, 0, B, net->dz[L - 1]);
  for (int l = L - 1; l >= 0; l--) {
    float *W = net->params + net->w_off[l], *bias = net->params + net->b_off[l];
    float *gW = net->grads + net->w_off[l], *gb = net->grads + net->b_off[l];
    const float *dz = net->dz[l];
    float *da = l > 0 ? net->dz[l - 1] : NULL;
    /* da (B, s[l]) = dz W, with W as forward saw it */
    if (l > 0) kern_backward(da, dz, W, B, s[l], s[l + 1]);
    if (sgd && l == 0 && B == 1 && net->lookahead) {
      /* and act[1] (1, s[1]) = the next sample's layer-0 z, with the new W */
      bad |= kern_sgd_forward_one(W, bias, gb, dz, net->act[0], net->lookahead, net->act[1], s[0], s[1], lr_now(net));
      if (net->cfg.input == NN_INPUT_CENTRED) {
        centring_sums(net);
        centre_z(net->act[1], &net->mean_next, net->w0_sums, 1, s[1]);
      }
      net->primed = 1;
    } else if (sgd) bad |= kern_gradient_sgd(W, bias, gb, dz, net->act[l], B, s[l], s[l + 1], lr_now(net));
    else kern_gradient(gW, gb, dz, net->act[l], B, s[l], s[l + 1]);
    if (!sgd && l == 0) centre_gradient(net, B, 0, s[1]);
    if (l == 0) break;
    /* through the activation to the next dz */
    activate_backward(net->cfg.activation, da, net->act[l], (size_t)B * s[l]);
  }
  return bad;
}

/* ---- configuration, create and free ------------------------------------ */

void nn_config_default(nn_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  static const int sizes[] = {784, 128, 64, 10};
  cfg->n_sizes = 4;
  memcpy(cfg->sizes, sizes, sizeof sizes);
  cfg->activation = NN_SIGMOID;
  cfg->input = NN_INPUT_CENTRED; /* Fashion-MNIST 89.3% against 88.6% raw (docs/accuracy.md) */
  cfg->optimizer = NN_SGD;
  cfg->learning_rate = 0.5f;
  cfg->momentum = 0.9f;
  cfg->beta1 = 0.9f;
  cfg->beta2 = 0.999f;
  cfg->epsilon = 1e-8f;
  cfg->batch_size = 8;
  cfg->seed = 1;
  cfg->schedule = NN_SCHEDULE_COSINE; /* 98.1% on MNIST in 10 epochs, against 97.7% constant (docs/accuracy.md) */
  cfg->weight_decay = 0.0f;
}

static int finite_in(float x, float lo, float hi) { return x >= lo && x <= hi; } /* false for NaN */

uint64_t nn_param_count(const nn_config *cfg) {
  uint64_t n = 0;
  for (int l = 0; l + 1 < cfg->n_sizes; l++)
    n += (uint64_t)cfg->sizes[l] * (uint64_t)cfg->sizes[l + 1] + (uint64_t)cfg->sizes[l + 1];
  return n;
}

nn_status nn_config_check(const nn_config *cfg) {
  if (!cfg) return NN_ERR_ARG;
  if (cfg->n_sizes < 2) return NN_ERR_ARG;
  if (cfg->n_sizes > NN_MAX_LAYERS + 1) return NN_ERR_LIMIT;
  for (int l = 0; l < cfg->n_sizes; l++) {
    if (cfg->sizes[l] < 1) return NN_ERR_ARG;
    if (cfg->sizes[l] > NN_MAX_UNITS) return NN_ERR_LIMIT;
  }
  if (cfg->sizes[cfg->n_sizes - 1] < 2) return NN_ERR_ARG; /* softmax needs two classes */
  if ((unsigned)cfg->activation >= NN_ACTIVATION_COUNT) return NN_ERR_ARG;
  if ((unsigned)cfg->input >= NN_INPUT_COUNT) return NN_ERR_ARG;
  if ((unsigned)cfg->optimizer >= NN_OPTIMIZER_COUNT) return NN_ERR_ARG;
  if (!finite_in(cfg->learning_rate, NN_LR_MIN, NN_LR_MAX)) return NN_ERR_ARG;
  if (!finite_in(cfg->momentum, 0.0f, NN_DECAY_MAX)) return NN_ERR_ARG;
  if (!finite_in(cfg->beta1, 0.0f, NN_DECAY_MAX) || !finite_in(cfg->beta2, 0.0f, NN_DECAY_MAX)) return NN_ERR_ARG;
  if (!finite_in(cfg->epsilon, NN_EPSILON_MIN, NN_EPSILON_MAX)) return NN_ERR_ARG;
  if ((unsigned)cfg->schedule >= NN_SCHEDULE_COUNT) return NN_ERR_ARG;
  if (!finite_in(cfg->weight_decay, 0.0f, NN_MAX_WEIGHT_DECAY)) return NN_ERR_ARG;
  if (augment_check(&cfg->augment) != NN_OK) return NN_ERR_ARG;
  if (cfg->batch_size < 1) return NN_ERR_ARG;
  if (cfg->batch_size > NN_MAX_BATCH) return NN_ERR_LIMIT;
  if (nn_param_count(cfg) > NN_MAX_PARAMS) return NN_ERR_LIMIT;
  return NN_OK;
}

/* One allocation of a parameter-shaped buffer: params, grads, backup and the
 * optimizer's state all come from here. count > 0: nn_config_check asks for
 * two layer sizes at least. */
/* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI): count > 0, as above */
static float *alloc_param_buffer(size_t count) { return calloc(count, sizeof(float)); }

/* (Re)allocates the scratch for cap rows: activations, deltas, loss, labels. */
static nn_status alloc_scratch(nn_net *net, int cap) {
  const int *s = net->cfg.sizes;
  size_t floats = 0;
  for (int l = 0; l < net->cfg.n_sizes; l++) floats += (size_t)cap * s[l];
  for (int l = 1; l < net->cfg.n_sizes; l++) floats += (size_t)cap * s[l]; /* dz of each layer */
  floats += (size_t)cap + (1 + POOL_MAX_THREADS) * (size_t)s[0];           /* loss, x_next, x_aug */
  floats += (size_t)cap + (size_t)s[1];                                    /* row_mean, w0_sums */
  size_t bytes = floats * sizeof(float) + (size_t)cap;                     /* + labels */
  float *block = malloc(bytes);
  if (!block) return NN_ERR_NOMEM;
  free(net->scratch);
  net->scratch = block;
  net->cap = cap;
  float *p = block;
  for (int l = 0; l < net->cfg.n_sizes; l++) {
    net->act[l] = p;
    p += (size_t)cap * s[l];
  }
  for (int l = 0; l < net->n_layers; l++) {
    net->dz[l] = p;
    p += (size_t)cap * s[l + 1];
  }
  net->loss = p;
  p += cap;
  net->x_next = p;
  p += s[0];
  net->x_aug = p;
  p += POOL_MAX_THREADS * (size_t)s[0];
  net->row_mean = p;
  p += cap;
  net->w0_sums = p;
  p += s[1];
  net->labels = (uint8_t *)p;
  return NN_OK;
}

static nn_status reserve_rows(nn_net *net, int rows) { return rows <= net->cap ? NN_OK : alloc_scratch(net, rows); }

/* Weights ~ N(0, 1/fan_in) (relu: 2/fan_in, He), biases 0. */
static void init_params(nn_net *net) {
  for (int l = 0; l < net->n_layers; l++) {
    const int n_in = net->cfg.sizes[l], n_out = net->cfg.sizes[l + 1];
    const float scale = sqrtf((net->cfg.activation == NN_RELU ? 2.0f : 1.0f) / (float)n_in);
    float *W = net->params + net->w_off[l];
    for (size_t i = 0; i < (size_t)n_out * n_in; i++) W[i] = rng_normal(&net->rng) * scale;
  }
}

nn_status nn_create(const nn_config *cfg, nn_net **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  nn_status st = nn_config_check(cfg);
  if (st != NN_OK) return st;
  nn_net *net = calloc(1, sizeof *net);
  if (!net) return NN_ERR_NOMEM;
  net->cfg = *cfg;
  net->n_layers = cfg->n_sizes - 1;
  size_t off = 0;
  for (int l = 0; l < net->n_layers; l++) {
    net->w_off[l] = off;
    off += (size_t)cfg->sizes[l] * cfg->sizes[l + 1];
    net->b_off[l] = off;
    off += (size_t)cfg->sizes[l + 1];
  }
  net->count = off;
  net->params = alloc_param_buffer(off);
  net->grads = alloc_param_buffer(off);
  net->backup = alloc_param_buffer(off);
  if (cfg->optimizer != NN_SGD) {
    net->opt.m = alloc_param_buffer(off);
    net->opt_backup.m = alloc_param_buffer(off);
  }
  if (cfg->optimizer == NN_ADAM) {
    net->opt.v = alloc_param_buffer(off);
    net->opt_backup.v = alloc_param_buffer(off);
  }
  if (!net->params || !net->grads || !net->backup ||
      (cfg->optimizer != NN_SGD && (!net->opt.m || !net->opt_backup.m)) ||
      (cfg->optimizer == NN_ADAM && (!net->opt.v || !net->opt_backup.v)) ||
      alloc_scratch(net, cfg->batch_size) != NN_OK) {
    nn_free(net);
    return NN_ERR_NOMEM;
  }
  optim_reset(&net->opt, net->count);
  net->lr_factor = 1.0f;
  rng_seed(&net->rng, cfg->seed);
  init_params(net);
  *out = net;
  return NN_OK;
}

void nn_free(nn_net *net) {
  if (!net) return;
  free(net->params);
  free(net->grads);
  free(net->backup);
  free(net->opt.m);
  free(net->opt.v);
  free(net->opt_backup.m);
  free(net->opt_backup.v);
  free(net->scratch);
  pool_free(net->pool);
  free(net);
}

const nn_config *nn_get_config(const nn_net *net) { return net ? &net->cfg : NULL; }

nn_status nn_set_learning_rate(nn_net *net, float lr) {
  if (!net || !finite_in(lr, NN_LR_MIN, NN_LR_MAX)) return NN_ERR_ARG;
  net->cfg.learning_rate = lr;
  return NN_OK;
}

nn_status nn_set_training(nn_net *net, nn_schedule s, float weight_decay, const nn_augment *augment) {
  if (!net || (unsigned)s >= NN_SCHEDULE_COUNT || !finite_in(weight_decay, 0.0f, NN_MAX_WEIGHT_DECAY) ||
      augment_check(augment) != NN_OK)
    return NN_ERR_ARG;
  net->cfg.schedule = s;
  net->cfg.weight_decay = weight_decay;
  net->cfg.augment = *augment;
  return NN_OK;
}

nn_status nn_set_lr_factor(nn_net *net, float factor) {
  if (!net || !(factor > 0.0f && factor <= 1.0f)) return NN_ERR_ARG;
  net->lr_factor = factor;
  return NN_OK;
}

nn_status nn_set_batch_size(nn_net *net, int batch_size) {
  if (!net || batch_size < 1) return NN_ERR_ARG;
  if (batch_size > NN_MAX_BATCH) return NN_ERR_LIMIT;
  nn_status st = reserve_rows(net, batch_size);
  if (st == NN_OK) net->cfg.batch_size = batch_size;
  return st;
}

float *nn_params(nn_net *net, size_t *count) {
  if (count) *count = net ? net->count : 0;
  return net ? net->params : NULL;
}
const float *nn_params_const(const nn_net *net, size_t *count) {
  if (count) *count = net ? net->count : 0;
  return net ? net->params : NULL;
}
uint64_t nn_steps(const nn_net *net) { return net ? net->steps : 0; }
uint64_t nn_rng_state(const nn_net *net) { return net ? net->rng.state : 0; }
void nn_restore_counters(nn_net *net, uint64_t steps, uint64_t rng_state) {
  if (!net) return;
  net->steps = steps;
  net->rng.state = rng_state;
}

/* ---- data in ------------------------------------------------------------ */

static nn_status check_data(const nn_net *net, const nn_data *d, int need_labels) {
  if (!net || !d || d->n < 0 || (!d->u8 == !d->f32)) return NN_ERR_ARG;
  if (need_labels && !d->labels) return NN_ERR_ARG;
  return NN_OK;
}

/* x - x is 0 for finite x and NaN otherwise; an integer OR vectorises. */
static int all_finite(const float *x, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) bad |= (x[i] - x[i] != 0.0f);
  return !bad;
}

/* Checks the rows that a call will use before it changes anything: labels
 * below n_out, float pixels finite, order entries in range. */
/* Row r of d's order: d itself below d->n, else row r - n of d->extra
 * (*r adjusted); NULL if there is no such row. */
static const nn_data *row_source(const nn_data *d, int64_t *r) {
  if (*r < 0) return NULL;
  if (*r < d->n) return d;
  if (!d->extra || d->extra->extra || *r - d->n >= d->extra->n) return NULL;
  *r -= d->n;
  return d->extra;
}

static nn_status check_rows(const nn_net *net, const nn_data *d, const int32_t *order, int start, int count) {
  const int n_in = net->cfg.sizes[0], k = net->cfg.sizes[net->n_layers];
  if (d->extra && (!d->extra->u8 == !d->extra->f32 || (d->labels && !d->extra->labels))) return NN_ERR_ARG;
  for (int j = start; j < start + count; j++) {
    int64_t r = order ? order[j] : j;
    const nn_data *src = row_source(d, &r);
    if (!src) return NN_ERR_ARG;
    if (src->labels && src->labels[r] >= k) return NN_ERR_ARG;
    if (src->f32 && !all_finite(src->f32 + (size_t)r * n_in, (size_t)n_in)) return NN_ERR_ARG;
  }
  return NN_OK;
}

/* Row r of the data as floats into dst (sizes[0]), and with centred input
 * its mean pixel into *mean (centre_z); while nn_train augments,
 * distorted by the next draws of rng (the image is distorted, then its
 * mean taken), with scratch (sizes[0]) holding the row as stored. */
static void load_row(const nn_net *net, const nn_data *data, size_t row, float *dst, float *mean, rng_t *rng,
                     float *scratch) {
  const int n_in = net->cfg.sizes[0];
  int64_t at = (int64_t)row;
  const nn_data *d = row_source(data, &at); /* checked by check_rows */
  const size_t r = (size_t)at;
  float *to = net->augmenting ? scratch : dst;
  if (d->u8) kern_bytes_to_unit(to, d->u8 + r * n_in, (size_t)n_in);
  else memcpy(to, d->f32 + r * n_in, (size_t)n_in * sizeof *to);
  if (net->augmenting) augment_image(&net->cfg.augment, rng, to, net->aug_rows, net->aug_cols, dst);
  if (net->cfg.input == NN_INPUT_CENTRED) *mean = kern_mean(dst, (size_t)n_in);
}

/* The image shape of d for augmentation: its own, or the square of
 * sizes[0] pixels; 0 if there is none. */
static int image_shape(const nn_net *net, const nn_data *d, int *rows, int *cols) {
  const int n_in = net->cfg.sizes[0];
  if (d->rows > 0 && d->cols > 0) {
    *rows = d->rows;
    *cols = d->cols;
  } else {
    int side = 1;
    while (side * side < n_in) side++;
    *rows = *cols = side;
  }
  return (int64_t)*rows * *cols == n_in && *rows <= AUGMENT_MAX_SIDE && *cols <= AUGMENT_MAX_SIDE;
}

/* The label of row r of d's order (extra rows included). */
static uint8_t label_of(const nn_data *d, size_t r) {
  int64_t at = (int64_t)r;
  const nn_data *src = row_source(d, &at);
  return src->labels[at];
}

/* Rows j0..j1 of the batch order[start .. start+B) into act[0] (as
 * floats) and labels, with thread t's scratch. While augmenting, row j
 * draws from the net's generator as it stands after j rows (AUGMENT_DRAWS
 * numbers a row), so that any split of a batch over threads gives the bits
 * of one thread; gather then moves the generator past the batch. */
static void gather_rows(nn_net *net, const nn_data *d, const int32_t *order, int start, int j0, int j1, int t) {
  const int n_in = net->cfg.sizes[0];
  rng_t rng = net->rng;
  rng_skip(&rng, (uint64_t)j0 * AUGMENT_DRAWS);
  for (int j = j0; j < j1; j++) {
    const size_t r = (size_t)(order ? order[start + j] : start + j);
    load_row(net, d, r, net->act[0] + (size_t)j * n_in, net->row_mean + j, &rng, net->x_aug + (size_t)t * n_in);
    if (d->labels) net->labels[j] = label_of(d, r);
  }
}

static void gather_done(nn_net *net, int B) {
  if (net->augmenting) rng_skip(&net->rng, (uint64_t)B * AUGMENT_DRAWS);
}

static void gather(nn_net *net, const nn_data *d, const int32_t *order, int start, int B) {
  gather_rows(net, d, order, start, 0, B, 0);
  gather_done(net, B);
}

/* ---- step, train, predict, evaluate ------------------------------------ */

static float sum_loss(const float *loss, int B) {
  float s = 0.0f;
  for (int b = 0; b < B; b++) s += loss[b];
  return s;
}

/* Decoupled weight decay after an update: W *= 1 - lr * weight_decay, for
 * the weights of every layer but not the biases. */
static void decay_weights(nn_net *net) {
  const float keep = 1.0f - lr_now(net) * net->cfg.weight_decay;
  for (int l = 0; l < net->n_layers; l++) {
    float *W = net->params + net->w_off[l];
    const size_t n = (size_t)net->cfg.sizes[l] * net->cfg.sizes[l + 1];
    for (size_t i = 0; i < n; i++) W[i] *= keep;
  }
}

/* ---- the split over threads -------------------------------------------- */

/* Below NN_SPLIT_MIN_ROWS rows a thread the work stays on one thread: a
 * thread then gets at least two of the kernels' 4-row blocks; with fewer, a
 * step's wake-up, barrier and join (microseconds each) would be a large
 * share of the work they split (batch 8 on 2 threads: 0.9x natively).
 * Batch 1 and a single predict never split. */

/* Thread t of n takes items [*lo, *hi) of total: contiguous, in multiples
 * of 4 (the kernels' blocks), the last thread taking the rest. */
static void share(int total, int t, int n, int *lo, int *hi) {
  const int units = (total + 3) / 4;
  const int a = (int)((int64_t)units * t / n) * 4, b = (int)((int64_t)units * (t + 1) / n) * 4;
  *lo = a < total ? a : total;
  *hi = b < total ? b : total;
}

static int split_over(const nn_net *net, int rows) {
  const int n = pool_size(net->pool);
  return n > 1 && rows >= n * NN_SPLIT_MIN_ROWS;
}

/* One step on B rows, split two ways with one barrier between: first by
 * rows (gathering them, forward, the output delta and every layer's
 * backward product, each row on its own), then by the outputs of every
 * layer (gradient, update, decay), once all rows' deltas exist and no
 * thread still reads the old weights. Every float is computed by the very
 * operations of the one-thread path (gather, step_loaded), so the bits are
 * the same. */
typedef struct {
  nn_net *net;
  const nn_data *data; /* the rows: order[at .. at+B) of data */
  const int32_t *order;
  int at, B;
  float lr, keep; /* learning rate; weight decay factor (1: none) */
  int bad[POOL_MAX_THREADS];
} split_step;

static void step_part(void *ctx, int t, int n) {
  split_step *job = ctx;
  nn_net *net = job->net;
  const int *s = net->cfg.sizes, L = net->n_layers, B = job->B;
  int b0, b1;
  share(B, t, n, &b0, &b1);
  gather_rows(net, job->data, job->order, job->at, b0, b1, t);
  forward_rows(net, b0, b1, net->labels, 0);
  output_delta_rows(net, B, b0, b1, net->dz[L - 1]);
  for (int l = L - 1; l > 0; l--) {
    const float *W = net->params + net->w_off[l];
    float *da = net->dz[l - 1] + (size_t)b0 * s[l];
    kern_backward(da, net->dz[l] + (size_t)b0 * s[l + 1], W, b1 - b0, s[l], s[l + 1]);
    activate_backward(net->cfg.activation, da, net->act[l] + (size_t)b0 * s[l], (size_t)(b1 - b0) * s[l]);
  }
  pool_sync(net->pool);
  int bad = 0;
  const int sgd = net->cfg.optimizer == NN_SGD;
  for (int l = 0; l < L; l++) {
    int o0, o1;
    share(s[l + 1], t, n, &o0, &o1);
    if (o0 == o1) continue;
    float *W = net->params + net->w_off[l], *bias = net->params + net->b_off[l];
    float *gW = net->grads + net->w_off[l], *gb = net->grads + net->b_off[l];
    if (sgd) {
      bad |= kern_gradient_sgd_part(W, bias, gb, net->dz[l], net->act[l], B, s[l], s[l + 1], o0, o1, job->lr);
    } else {
      kern_gradient_part(gW, gb, net->dz[l], net->act[l], B, s[l], s[l + 1], o0, o1);
      if (l == 0) centre_gradient(net, B, o0, o1);
      const size_t w = net->w_off[l], b = net->b_off[l];
      bad |= optim_update_range(&net->cfg, job->lr, &net->opt, net->params, net->grads, w + (size_t)o0 * s[l],
                                w + (size_t)o1 * s[l]);
      bad |= optim_update_range(&net->cfg, job->lr, &net->opt, net->params, net->grads, b + o0, b + o1);
    }
    if (job->keep != 1.0f)
      for (size_t i = (size_t)o0 * s[l]; i < (size_t)o1 * s[l]; i++) W[i] *= job->keep;
  }
  job->bad[t] = bad;
}

/* gather and step_loaded over the pool; the loss is checked after the
 * update here, and a non-finite one is NN_ERR_DIVERGED as there (whose
 * callers put the state back). */
static nn_status step_split(nn_net *net, const nn_data *data, const int32_t *order, int at, int B, float *loss_sum) {
  split_step job = {net, data, order, at, B, lr_now(net), 1.0f, {0}};
  if (net->cfg.weight_decay > 0.0f) job.keep = 1.0f - job.lr * net->cfg.weight_decay;
  net->primed = 0;
  optim_advance(&net->cfg, &net->opt);
  centring_sums(net);
  pool_run(net->pool, step_part, &job);
  gather_done(net, B);
  int bad = 0;
  for (int t = 0; t < pool_size(net->pool); t++) bad |= job.bad[t];
  const float sum = sum_loss(net->loss, B);
  if (!isfinite(sum) || bad) return NN_ERR_DIVERGED;
  net->steps++;
  if (loss_sum) *loss_sum = sum;
  return NN_OK;
}

typedef struct {
  nn_net *net;
  int rows;
  const uint8_t *labels;
} split_forward;

static void forward_part(void *ctx, int t, int n) {
  split_forward *job = ctx;
  int b0, b1;
  share(job->rows, t, n, &b0, &b1);
  forward_rows(job->net, b0, b1, job->labels, 0);
}

/* forward, split by rows where there are enough of them. */
static void forward_any(nn_net *net, int rows, const uint8_t *labels) {
  if (!split_over(net, rows)) {
    forward(net, rows, labels);
    return;
  }
  split_forward job = {net, rows, labels};
  net->primed = 0;
  centring_sums(net);
  pool_run(net->pool, forward_part, &job);
}

nn_status nn_set_threads(nn_net *net, int threads) {
  if (!net || threads < 1 || threads > POOL_MAX_THREADS) return NN_ERR_ARG;
  if (threads == nn_threads(net)) return NN_OK;
  nn_pool *pool = NULL;
  if (threads > 1) {
    nn_status st = pool_create(threads, &pool);
    if (st != NN_OK) return st;
  }
  pool_free(net->pool);
  net->pool = pool;
  return NN_OK;
}

int nn_threads(const nn_net *net) { return net ? pool_size(net->pool) : 1; }
long nn_thread_jobs(const nn_net *net) { return net ? pool_jobs_on_threads(net->pool) : 0; }

void nn_move_threads(nn_net *net, nn_net *from) {
  if (!net || !from || net == from) return;
  pool_free(net->pool);
  net->pool = from->pool;
  from->pool = NULL;
}

/* Forward, backward, update on the B rows already in the scratch. */
static nn_status step_loaded(nn_net *net, int B, float *loss_sum) {
  forward(net, B, net->labels);
  float s = sum_loss(net->loss, B);
  if (!isfinite(s)) return NN_ERR_DIVERGED;
  if (net->cfg.optimizer == NN_SGD) {
    if (backward(net, B, 1)) return NN_ERR_DIVERGED;
  } else {
    backward(net, B, 0);
    if (optim_update(&net->cfg, lr_now(net), &net->opt, net->params, net->grads, net->count)) return NN_ERR_DIVERGED;
  }
  if (net->cfg.weight_decay > 0.0f) decay_weights(net); /* finite stays finite: keep is in (0, 1] */
  net->steps++;
  if (loss_sum) *loss_sum = s;
  return NN_OK;
}

/* Gathers rows order[at .. at+B) of data (NULL order: rows at .. at+B),
 * then forward, backward, update: over the pool where the batch is big
 * enough to split. */
static nn_status step_rows(nn_net *net, const nn_data *data, const int32_t *order, int at, int B, float *loss_sum) {
  if (split_over(net, B)) return step_split(net, data, order, at, B, loss_sum);
  gather(net, data, order, at, B);
  return step_loaded(net, B, loss_sum);
}

/* The state an update can break (weights, optimizer state, step count) is
 * saved before a call and put back if a step diverges. */
static void save_state(nn_net *net) {
  memcpy(net->backup, net->params, net->count * sizeof *net->params);
  optim_copy(&net->opt_backup, &net->opt, net->count);
  net->rng_backup = net->rng;
}
static void restore_state(nn_net *net, uint64_t steps) {
  memcpy(net->params, net->backup, net->count * sizeof *net->params);
  optim_copy(&net->opt, &net->opt_backup, net->count);
  net->rng = net->rng_backup;
  net->steps = steps;
}

nn_status nn_step(nn_net *net, const nn_data *batch, float *mean_loss) {
  nn_status st = check_data(net, batch, 1);
  if (st != NN_OK) return st;
  if (batch->n < 1) return NN_ERR_ARG;
  if (batch->n > NN_MAX_BATCH) return NN_ERR_LIMIT;
  if ((st = check_rows(net, batch, NULL, 0, batch->n)) != NN_OK) return st;
  if ((st = reserve_rows(net, batch->n)) != NN_OK) return st;
  save_state(net);
  float s = 0.0f;
  st = step_rows(net, batch, NULL, 0, batch->n, &s);
  if (st == NN_ERR_DIVERGED) {
    restore_state(net, net->steps);
    return st;
  }
  if (mean_loss) *mean_loss = s / (float)batch->n;
  return NN_OK;
}

nn_status nn_shuffle(nn_net *net, int32_t *order, int n) {
  if (!net || (!order && n > 0) || n < 0) return NN_ERR_ARG;
  for (int i = 0; i < n; i++) order[i] = i;
  for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
    int j = (int)rng_below(&net->rng, (uint32_t)i + 1u);
    int32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return NN_OK;
}

/* Mini-batches over order[start .. start+count); stops at the first step
 * that diverges (its update possibly half applied). *done gets the samples
 * of the steps that completed, *total their summed loss. */
static nn_status train_rows(nn_net *net, const nn_data *data, const int32_t *order, int start, int count, double *total,
                            int *done) {
  const int B = net->cfg.batch_size;
  /* not with weight decay, which changes W after the update that primes the next z */
  const int ahead = B == 1 && net->cfg.optimizer == NN_SGD && net->cfg.weight_decay == 0.0f;
  nn_status st = NN_OK;
  *total = 0.0;
  *done = 0;
  net->primed = 0;
  for (int at = start; at < start + count; at += B) {
    const int rows = start + count - at < B ? start + count - at : B;
    float s = 0.0f;
    size_t next = 0;
    if (ahead) { /* the next row rides along with this step's layer-0 update (x_next) */
      if (!net->primed) gather(net, data, order, at, rows);
      net->lookahead = NULL;
      if (at + 1 < start + count) {
        next = (size_t)(order ? order[at + 1] : at + 1);
        load_row(net, data, next, net->x_next, &net->mean_next, &net->rng, net->x_aug);
        net->lookahead = net->x_next;
      }
      st = step_loaded(net, rows, &s);
    } else {
      st = step_rows(net, data, order, at, rows, &s);
    }
    if (st != NN_OK) break;
    if (net->primed) { /* the next step starts from x_next and its layer-0 z */
      memcpy(net->act[0], net->x_next, (size_t)net->cfg.sizes[0] * sizeof *net->x_next);
      net->labels[0] = label_of(data, next);
    }
    *total += s;
    *done += rows;
  }
  net->lookahead = NULL;
  net->primed = 0;
  return st;
}

nn_status nn_train(nn_net *net, const nn_data *data, const int32_t *order, int start, int count, double *loss_sum,
                   int *trained) {
  nn_status st = check_data(net, data, 1);
  if (st != NN_OK) return st;
  /* with an order, its entries are checked row by row; without, rows are the data's and its extra ones */
  const int64_t rows = (int64_t)data->n + (data->extra ? data->extra->n : 0);
  if (start < 0 || count < 0 || (!order && (int64_t)start + count > rows)) return NN_ERR_ARG;
  if ((st = check_rows(net, data, order, start, count)) != NN_OK) return st;
  net->augmenting = augment_enabled(&net->cfg.augment);
  if (net->augmenting && !image_shape(net, data, &net->aug_rows, &net->aug_cols)) {
    net->augmenting = 0;
    return NN_ERR_SHAPE;
  }
  save_state(net);
  const uint64_t steps_before = net->steps;
  double total = 0.0;
  int done = 0;
  st = train_rows(net, data, order, start, count, &total, &done);
  if (st == NN_ERR_DIVERGED) {
    /* Undo the broken step alone: back to the call's start, then the steps
     * before it again, which give the same bits as the first time. */
    restore_state(net, steps_before);
    if (done > 0 && train_rows(net, data, order, start, done, &total, &done) != NN_OK) {
      restore_state(net, steps_before); /* cannot happen: the same steps were finite */
      total = 0.0;
      done = 0;
    }
  }
  net->augmenting = 0;
  if (loss_sum) *loss_sum = total;
  if (trained) *trained = done;
  return st;
}

/* Forward-only passes go EVAL_ROWS rows at a time where they have that
 * many, whatever the batch size: the kernels are faster on blocks of rows.
 * The scratch grows once; if it cannot, the rows it has will do. */
enum { EVAL_ROWS = 64 };
static void wide_rows(nn_net *net, int n) {
  const int want = EVAL_ROWS * nn_threads(net); /* a block for each thread */
  (void)reserve_rows(net, n < want ? n : want);
}

nn_status nn_predict(nn_net *net, const nn_data *data, float *probs) {
  nn_status st = check_data(net, data, 0);
  if (st != NN_OK || !probs) return NN_ERR_ARG;
  nn_data in = *data;
  in.labels = NULL;
  if ((st = check_rows(net, &in, NULL, 0, in.n)) != NN_OK) return st;
  const int k = net->cfg.sizes[net->n_layers];
  wide_rows(net, in.n);
  for (int at = 0; at < in.n; at += net->cap) {
    const int rows = in.n - at < net->cap ? in.n - at : net->cap;
    gather(net, &in, NULL, at, rows);
    forward_any(net, rows, NULL);
    /* finite weights can still overflow the logits: say so, never return NaN */
    if (!all_finite(net->act[net->n_layers], (size_t)rows * k)) return NN_ERR_DIVERGED;
    memcpy(probs + (size_t)at * k, net->act[net->n_layers], (size_t)rows * k * sizeof *probs);
  }
  return NN_OK;
}

/* Records sample r (label y) as misclassified as p, if acc has room for it. */
static void note_wrong(nn_eval *acc, const nn_data *d, int r, int y, int p) {
  if (!acc->wrong || acc->wrong_count >= acc->wrong_cap) return;
  if (acc->wrong_per_label > 0) {
    int same = 0;
    for (int i = 0; i < acc->wrong_count; i++) same += d->labels[acc->wrong[i]] == y;
    if (same >= acc->wrong_per_label) return;
  }
  acc->wrong[acc->wrong_count] = r;
  if (acc->wrong_pred) acc->wrong_pred[acc->wrong_count] = p;
  acc->wrong_count++;
}

nn_status nn_evaluate_rows(nn_net *net, const nn_data *data, int start, int count, nn_eval *acc) {
  nn_status st = check_data(net, data, 1);
  if (st != NN_OK || !acc) return NN_ERR_ARG;
  if (start < 0 || count < 0 || (int64_t)start + count > data->n) return NN_ERR_ARG;
  if ((st = check_rows(net, data, NULL, start, count)) != NN_OK) return st;
  const int k = net->cfg.sizes[net->n_layers];
  wide_rows(net, count);
  for (int at = start; at < start + count; at += net->cap) {
    const int rows = start + count - at < net->cap ? start + count - at : net->cap;
    gather(net, data, NULL, at, rows);
    forward_any(net, rows, net->labels);
    if (!all_finite(net->act[net->n_layers], (size_t)rows * k) || !all_finite(net->loss, (size_t)rows))
      return NN_ERR_DIVERGED;
    for (int b = 0; b < rows; b++) {
      const float *p = net->act[net->n_layers] + (size_t)b * k;
      const int y = net->labels[b];
      int best = 0;
      for (int j = 1; j < k; j++) best = p[j] > p[best] ? j : best;
      acc->correct += best == y;
      acc->loss_sum += net->loss[b];
      if (acc->confusion) acc->confusion[(size_t)y * k + best]++;
      if (best != y) note_wrong(acc, data, at + b, y, best);
    }
    acc->samples += rows;
  }
  return NN_OK;
}

nn_status nn_activations(nn_net *net, const nn_data *data, float *out) {
  nn_status st = check_data(net, data, 0);
  if (st != NN_OK || !out || data->n < 1) return NN_ERR_ARG;
  nn_data one = *data;
  one.n = 1;
  one.labels = NULL;
  one.extra = NULL;
  if ((st = check_rows(net, &one, NULL, 0, 1)) != NN_OK) return st;
  gather(net, &one, NULL, 0, 1);
  forward(net, 1, NULL);
  for (int l = 1; l <= net->n_layers; l++) {
    memcpy(out, net->act[l], (size_t)net->cfg.sizes[l] * sizeof *out);
    out += net->cfg.sizes[l];
  }
  return NN_OK;
}

nn_status nn_evaluate(nn_net *net, const nn_data *data, int *correct, double *loss_sum, uint32_t *confusion) {
  nn_eval acc = {0};
  acc.confusion = confusion;
  nn_status st = nn_evaluate_rows(net, data, 0, data ? data->n : 0, &acc);
  if (st != NN_OK) return st;
  if (correct) *correct = (int)acc.correct;
  if (loss_sum) *loss_sum = acc.loss_sum;
  return NN_OK;
}
