/* nn_config.c: the names of the options, the learning-rate schedule, the
 * default configuration and its checks. */
#include <string.h>

#include "augment.h"
#include "nn_internal.h"

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

int nn_has_convolution(const nn_config *cfg) {
  for (int l = 0; l + 1 < cfg->n_sizes && l < NN_MAX_LAYERS; l++)
    if (cfg->layers[l].kind == NN_LAYER_CONV) return 1;
  return 0;
}

/* The learning rate and weight decay that train, by optimizer, for dense
 * stacks (sigmoid, no decay) and for stacks with a convolution (relu),
 * measured in docs/accuracy.md: momentum's velocity is about 1 / (1 - 0.9)
 * steps, so it takes a tenth to a third of SGD's rate; Adam's steps are
 * about the rate itself. A convnet overfits by its fifth epoch without decay
 * (train loss 0.006, test 99.06% after 10 with SGD); with momentum at 0.03
 * and decay 0.005 it reaches 99.31% on MNIST and 91.2% on Fashion-MNIST,
 * SGD's best there being 90.9%, so a convnet trains with momentum. */
static const struct {
  float rate, decay;
} stack_defaults[2][NN_OPTIMIZER_COUNT] = {
  {{0.5f, 0.0f}, {0.05f, 0.0f}, {0.001f, 0.0f}},
  {{0.1f, 0.0005f}, {0.03f, 0.005f}, {0.003f, 0.03f}},
};

void nn_config_fit_defaults(nn_config *cfg, unsigned given) {
  const int conv = nn_has_convolution(cfg);
  if (!(given & NN_GIVEN_OPTIMIZER)) cfg->optimizer = conv ? NN_MOMENTUM : NN_SGD;
  if (!(given & NN_GIVEN_ACTIVATION)) cfg->activation = conv ? NN_RELU : NN_SIGMOID;
  if (!(given & NN_GIVEN_BATCH)) cfg->batch_size = conv ? 32 : 8;
  if ((unsigned)cfg->optimizer >= NN_OPTIMIZER_COUNT) return;
  if (!(given & NN_GIVEN_WEIGHT_DECAY)) cfg->weight_decay = stack_defaults[conv][cfg->optimizer].decay;
  if (!(given & NN_GIVEN_LEARNING_RATE)) cfg->learning_rate = stack_defaults[conv][cfg->optimizer].rate;
}

nn_status nn_config_check(const nn_config *cfg) {
  if (!cfg) return NN_ERR_ARG;
  nn_shape shapes[NN_MAX_LAYERS + 1];
  nn_status st = nn_stack_shapes(cfg, shapes, NULL, 0);
  if (st != NN_OK) return st;
  if ((unsigned)cfg->activation >= NN_ACTIVATION_COUNT) return NN_ERR_ARG;
  if ((unsigned)cfg->input >= NN_INPUT_COUNT) return NN_ERR_ARG;
  if ((unsigned)cfg->optimizer >= NN_OPTIMIZER_COUNT) return NN_ERR_ARG;
  if (!nn_finite_in(cfg->learning_rate, NN_LR_MIN, NN_LR_MAX)) return NN_ERR_ARG;
  if (!nn_finite_in(cfg->momentum, 0.0f, NN_DECAY_MAX)) return NN_ERR_ARG;
  if (!nn_finite_in(cfg->beta1, 0.0f, NN_DECAY_MAX) || !nn_finite_in(cfg->beta2, 0.0f, NN_DECAY_MAX)) return NN_ERR_ARG;
  if (!nn_finite_in(cfg->epsilon, NN_EPSILON_MIN, NN_EPSILON_MAX)) return NN_ERR_ARG;
  if ((unsigned)cfg->schedule >= NN_SCHEDULE_COUNT) return NN_ERR_ARG;
  if (!nn_finite_in(cfg->weight_decay, 0.0f, NN_MAX_WEIGHT_DECAY)) return NN_ERR_ARG;
  if (augment_check(&cfg->augment) != NN_OK) return NN_ERR_ARG;
  if (cfg->batch_size < 1) return NN_ERR_ARG;
  if (cfg->batch_size > NN_MAX_BATCH) return NN_ERR_LIMIT;
  if (nn_param_count(cfg) > NN_MAX_PARAMS) return NN_ERR_LIMIT;
  net_layer layer[NN_MAX_LAYERS];
  net_layers_of(cfg, layer);
  if (net_row_bytes(layer, cfg->n_sizes - 1) * (uint64_t)cfg->batch_size > NN_MAX_SCRATCH) return NN_ERR_LIMIT;
  return NN_OK;
}
