/* nn.h: a stack of layers (dense, convolution, max pooling; softmax
 * output, cross-entropy loss) trained by mini-batch backpropagation.
 *
 * All weights and biases live in one float32 buffer (nn_params); layer l's
 * weights are W[out][in], row-major, followed by its biases (a
 * convolution's W[filter][channel][row][col]; pooling has none). An image
 * flows through the stack as rows x cols x channels, the channel fastest.
 * Nothing here prints, exits or aborts: every function returns an
 * nn_status (or NULL). */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#include "augment.h"
#include "status.h"

#define NN_MAX_LAYERS 8                    /* weight layers; sizes has up to NN_MAX_LAYERS + 1 entries */
#define NN_MAX_UNITS 4096                  /* largest dense layer; also the most filters */
#define NN_MAX_MAP (1 << 16)               /* floats of one sample's output of a layer (a convolution's maps) */
#define NN_MAX_KERNEL 32                   /* side of a convolution's kernel or a pooling window */
#define NN_MAX_SCRATCH ((uint64_t)1 << 28) /* bytes of a batch's activations and deltas */
#define NN_MAX_BATCH 4096                  /* largest mini-batch */
#define NN_MAX_THREADS 64                  /* nn_set_threads (1 where built without threads) */
#define NN_SPLIT_MIN_ROWS 8      /* a step or a block of predictions splits over n threads from n * this many rows */
#define NN_MAX_PARAMS (1u << 26) /* 64 Mi floats (256 MiB) of weights and biases */
#define NN_LR_MIN 1e-12f         /* learning rate range */
#define NN_LR_MAX 100.0f
#define NN_DECAY_MAX 0.999999f /* momentum, beta1, beta2: in [0, NN_DECAY_MAX] */
#define NN_EPSILON_MIN 1e-30f  /* adam epsilon range */
#define NN_EPSILON_MAX 1.0f

typedef enum { NN_SIGMOID = 0, NN_RELU, NN_TANH, NN_ACTIVATION_COUNT } nn_activation;
typedef enum { NN_SGD = 0, NN_MOMENTUM, NN_ADAM, NN_OPTIMIZER_COUNT } nn_optimizer;
/* The learning rate over a planned run of epochs (train.h): constant;
 * cosine, lr * (1 + cos(pi e / E)) / 2 in epoch e of E; step, lr, then
 * lr / 10 from half the run and lr / 100 from three quarters. */
typedef enum { NN_SCHEDULE_CONSTANT = 0, NN_SCHEDULE_COSINE, NN_SCHEDULE_STEP, NN_SCHEDULE_COUNT } nn_schedule;
#define NN_MAX_WEIGHT_DECAY 0.1f
/* What the first layer sees of an image: raw, its pixels (0..1); centred,
 * its pixels minus their mean, so that the first layer's inputs are about
 * zero whatever the image's ink (Fashion-MNIST 89.3% in 10 epochs against
 * 88.6% raw, MNIST the same: docs/accuracy.md). Centred input is centred through
 * the first layer's weights, on the pixels as stored (nn.c, centre_z). */
typedef enum { NN_INPUT_RAW = 0, NN_INPUT_CENTRED, NN_INPUT_COUNT } nn_input;

/* A layer of the stack: dense (units: sizes[l + 1]), a convolution of
 * `units` filters, kernel x kernel, stride 1, no padding, or max pooling
 * over kernel x kernel windows, stride kernel. A config whose layers are
 * all zero is a dense stack of its sizes. */
typedef enum { NN_LAYER_DENSE = 0, NN_LAYER_CONV, NN_LAYER_POOL, NN_LAYER_KIND_COUNT } nn_layer_kind;
typedef struct nn_layer {
  nn_layer_kind kind;
  int units;  /* a convolution's filters (dense: sizes[l + 1]; pooling: 0) */
  int kernel; /* a convolution's or a pooling window's side (dense: 0) */
} nn_layer;

typedef struct nn_config {
  int n_sizes; /* input, then each layer's output, in floats a sample: 2..NN_MAX_LAYERS+1 */
  int sizes[NN_MAX_LAYERS + 1];
  int in_rows, in_cols, in_channels; /* the input as an image (sizes[0] = their product); 0: flat */
  nn_layer layers[NN_MAX_LAYERS];    /* layer l maps sizes[l] to sizes[l + 1] */
  nn_activation activation;          /* hidden layers; the output layer is always softmax */
  nn_input input;                    /* what the first layer sees of each sample */
  nn_optimizer optimizer;
  float learning_rate;
  float momentum;              /* momentum: velocity decay */
  float beta1, beta2, epsilon; /* adam */
  int batch_size;              /* mini-batch of nn_train, 1..NN_MAX_BATCH */
  uint64_t seed;               /* weight init, shuffle and augmentation */
  nn_schedule schedule;        /* of the learning rate over a planned run */
  float weight_decay;          /* decoupled: w -= lr * weight_decay * w each step (weights, not
                                  biases); 0..NN_MAX_WEIGHT_DECAY */
  nn_augment augment;          /* distortions of nn_train's samples (all 0: none) */
} nn_config;

/* Samples: n rows of sizes[0] inputs, as bytes (0..255, scaled by 1/255) or
 * floats (either way centred by the first layer if cfg.input says so);
 * exactly one of u8 and f32 is set. labels (n, < n_out) may be NULL
 * where only outputs are wanted. rows x cols is the image shape that
 * augmentation needs (0: a square of sizes[0] pixels). */
typedef struct nn_data {
  const uint8_t *u8;
  const float *f32;
  const uint8_t *labels;
  int n;
  int rows, cols;
  /* more samples of the same shape (a person's own digits): row n + k of
   * an order is row k of extra (nn_train, train.h's mixed passes); NULL: none */
  const struct nn_data *extra;
} nn_data;

typedef struct nn_net nn_net;

/* The shape of a layer's output (or the input's): rows x cols x channels;
 * a flat one is 1 x 1 x n. */
typedef struct nn_shape {
  int rows, cols, channels;
} nn_shape;

/* The stack's shapes, shapes[0] the input's (n_sizes of them), checked
 * item by item: NN_ERR_ARG or NN_ERR_LIMIT with one line in msg (cap
 * bytes; NULL: none) naming the layer and the shapes. */
nn_status nn_stack_shapes(const nn_config *cfg, nn_shape *shapes, char *msg, size_t cap);
/* A stack in the layers grammar (layers.c): "784,128,64,10",
 * "28x28,conv5x8,pool2,conv5x16,pool2,128,10". Sets n_sizes, sizes, the
 * input shape and layers of cfg (the rest untouched); on a bad stack (its
 * shapes, or over NN_MAX_PARAMS) cfg is unchanged and msg says why. */
nn_status nn_layers_parse(const char *text, nn_config *cfg, char *msg, size_t cap);
/* cfg's stack in that grammar into buf (cap bytes); returns the length the
 * whole text needs (snprintf's rule). */
size_t nn_layers_format(const nn_config *cfg, char *buf, size_t cap);
int nn_is_dense_stack(const nn_config *cfg); /* flat input and dense layers only */

void nn_config_default(nn_config *cfg); /* 784-128-64-10 sigmoid centred sgd lr 0.5 batch 8 seed 1, cosine */
/* The defaults that depend on the stack and the optimizer, for the options
 * a caller did not give (NN_GIVEN_* bits): a stack with a convolution
 * trains with momentum, relu and batch 32; the learning rate and weight
 * decay are the optimizer's for the stack (nn_config.c's table, measured in
 * docs/accuracy.md). For the seed's dense stack these are
 * nn_config_default's. */
enum {
  NN_GIVEN_ACTIVATION = 1u,
  NN_GIVEN_LEARNING_RATE = 2u,
  NN_GIVEN_BATCH = 4u,
  NN_GIVEN_WEIGHT_DECAY = 8u,
  NN_GIVEN_OPTIMIZER = 16u
};
#define NN_CONVNET "28x28,conv5x8,pool2,conv5x16,pool2,128,10" /* the convnet the page offers */
void nn_config_fit_defaults(nn_config *cfg, unsigned given);
int nn_has_convolution(const nn_config *cfg);
nn_status nn_config_check(const nn_config *cfg); /* NN_ERR_ARG / NN_ERR_LIMIT for a bad config */
uint64_t nn_param_count(const nn_config *cfg);   /* weights and biases of cfg's sizes, in 64 bits */
const char *nn_activation_name(nn_activation a); /* "sigmoid", "relu", "tanh"; NULL if unknown */
const char *nn_optimizer_name(nn_optimizer o);   /* "sgd", "momentum", "adam"; NULL if unknown */
int nn_activation_parse(const char *name);       /* -1 if unknown */
int nn_optimizer_parse(const char *name);        /* -1 if unknown */
const char *nn_schedule_name(nn_schedule s);     /* "constant", "cosine", "step"; NULL if unknown */
int nn_schedule_parse(const char *name);         /* -1 if unknown */
const char *nn_input_name(nn_input i);           /* "raw", "centred"; NULL if unknown */
int nn_input_parse(const char *name);            /* -1 if unknown */
/* The learning-rate factor of epoch e (0-based) of a run of `epochs`
 * (0: not planned, 1); epochs past the plan keep the last factor. */
float nn_schedule_factor(nn_schedule s, uint64_t e, uint64_t epochs);

nn_status nn_create(const nn_config *cfg, nn_net **out); /* *out NULL on failure */
void nn_free(nn_net *net);                               /* NULL-safe */
const nn_config *nn_get_config(const nn_net *net);
nn_status nn_set_learning_rate(nn_net *net, float lr);    /* finite, > 0 */
nn_status nn_set_batch_size(nn_net *net, int batch_size); /* may grow scratch once */
nn_status nn_set_training(nn_net *net, nn_schedule s, float weight_decay, const nn_augment *augment);

/* Threads for later steps, predictions and evaluations, 1..NN_MAX_THREADS
 * (1 where built without threads; else NN_ERR_ARG); a pool started here and kept
 * until the next call or nn_free. The results are the same bits with any
 * number; blocks of fewer than NN_SPLIT_MIN_ROWS rows a thread stay on one.
 * nn_create sets 1. */
nn_status nn_set_threads(nn_net *net, int threads);
int nn_threads(const nn_net *net);
/* Jobs that the pool's threads other than the caller have run since the
 * last nn_set_threads: above zero only once work was really split. */
long nn_thread_jobs(const nn_net *net);
/* Moves from's threads to net (whose own stop); from is left with 1. */
void nn_move_threads(nn_net *net, nn_net *from);

/* Layer l of a network (0-based, after the input): its kind, the shapes of
 * its input and output, its window, and where its weights (units x fan_in:
 * dense [unit][input], convolution [filter][channel][row][col]) and biases
 * (units) sit in nn_params' buffer; pooling has none (units 0). */
typedef struct nn_layer_info {
  nn_layer_kind kind;
  nn_shape in, out;
  int kernel, units, fan_in;
  size_t weights, biases; /* offsets into the parameter buffer */
} nn_layer_info;
nn_status nn_get_layer(const nn_net *net, int l, nn_layer_info *out); /* NN_ERR_ARG for no such layer */

float *nn_params(nn_net *net, size_t *count); /* the one flat buffer */
const float *nn_params_const(const nn_net *net, size_t *count);
uint64_t nn_steps(const nn_net *net);     /* updates made so far */
uint64_t nn_rng_state(const nn_net *net); /* for the model file */
void nn_restore_counters(nn_net *net, uint64_t steps, uint64_t rng_state);

/* One update on exactly this mini-batch (1..NN_MAX_BATCH rows); *mean_loss
 * may be NULL. On NN_ERR_DIVERGED nothing has changed: weights, optimizer
 * state and step count are as before the call. */
nn_status nn_step(nn_net *net, const nn_data *batch, float *mean_loss);

/* Fills order[0..n) with a permutation drawn from the net's RNG. */
nn_status nn_shuffle(nn_net *net, int32_t *order, int n);

/* Trains mini-batches of batch_size over samples order[start .. start+count)
 * (order NULL: identity; entries from data->n on are data->extra's rows);
 * the last batch may be smaller. Split an epoch into
 * calls at multiples of batch_size and the result is the same as one call.
 * *loss_sum gets the sum of per-sample losses and *trained the samples of
 * the steps made (either may be NULL). On NN_ERR_DIVERGED only the step that
 * diverged is undone: weights, optimizer state and step count are those
 * after the last finite step, which *trained counts up to. */
nn_status nn_train(nn_net *net, const nn_data *data, const int32_t *order, int start, int count, double *loss_sum,
                   int *trained);
/* nn_train at the learning rate times lr_factor, in (0, 1]: the schedule's
 * for this part of a run (train.h). Nothing of it stays for later calls. */
nn_status nn_train_scaled(nn_net *net, float lr_factor, const nn_data *data, const int32_t *order, int start, int count,
                          double *loss_sum, int *trained);

/* Class probabilities of n samples: probs is (n, n_out). NN_ERR_DIVERGED if
 * the weights overflow the outputs (contents of probs then unspecified). */
nn_status nn_predict(nn_net *net, const nn_data *data, float *probs);

/* An evaluation summed over calls (zero it, point its arrays, then call
 * nn_evaluate_rows on ranges): counts, loss, confusion[label * n_out +
 * predicted] (NULL: not kept) and the first misclassified samples, at most
 * wrong_per_label (0: any number) of each true label, wrong_cap in all
 * (at most NN_EVAL_MAX_WRONG). */
#define NN_EVAL_MAX_WRONG (1 << 20)
typedef struct nn_eval {
  uint64_t samples, correct;
  double loss_sum;
  uint32_t *confusion;         /* (n_out, n_out) or NULL */
  int32_t *wrong, *wrong_pred; /* (wrong_cap): sample index, predicted class; or NULL */
  int wrong_cap, wrong_per_label, wrong_count;
} nn_eval;

/* The outputs of every layer for the first sample of data: out gets
 * sizes[1] + ... + sizes[n_sizes-1] floats, the hidden layers' activations
 * in order and then the probabilities. */
nn_status nn_activations(nn_net *net, const nn_data *data, float *out);

/* One sample's backpropagation, seen from inside (nn_gradients.c). For
 * the first row of sample and its label: z, act and delta (each sizes[1] +
 * ... + sizes[n_sizes-1] floats, layer after layer, a layer's output in its
 * nn_get_layer out shape, rows x cols x channels, the channel fastest) get
 * each layer's pre-activation z, its output (the probabilities last; a
 * pooling layer's z is its output) and dloss/dz; grads (the count of
 * nn_params) dloss/dW and dloss/db in the parameters' layout; *loss the
 * cross-entropy -ln p[label]. With centred input the first layer's dloss/dW
 * is that of the centred pixels, dz (x - mean); plain SGD steps on dz x
 * (nn_pass.c, net_centre_gradient). The network is not changed: weights,
 * optimizer state, steps, generator and cached row sums are as before.
 * NN_ERR_DIVERGED if the outputs are not finite. */
nn_status nn_gradients(nn_net *net, const nn_data *sample, float *z, float *act, float *delta, float *grads,
                       float *loss);
/* A copy of layer l's weights (units x fan_in) and biases (units). */
nn_status nn_layer_parameters(const nn_net *net, int l, float *weights, float *biases);

/* nn_gradients' dloss/dW and dloss/db against central finite differences
 * of the loss, computed in double (nn_gradcheck.c), on `count` parameters
 * of each layer spread evenly over its weights and biases. A parameter
 * whose +-h crosses a kink (a relu's z changes sign, or a pooling window
 * picks another input) is not compared: the next one is tried in its
 * place, and at_kinks counts those passed over. The relative error of one
 * parameter is |g - fd| / max(|g|, |fd|, 1e-6). */
#define NN_CHECK_MAX_COUNT 1000 /* parameters a layer */
typedef struct nn_check_layer {
  double max_relative_error;
  int checked, at_kinks;
} nn_check_layer;
nn_status nn_gradient_check(nn_net *net, const nn_data *sample, int count, nn_check_layer *layers,
                            double *max_relative_error);

/* Forward only over samples [start, start+count), added into *acc.
 * NN_ERR_DIVERGED if an output or a loss is not finite (acc then partial). */
nn_status nn_evaluate_rows(nn_net *net, const nn_data *data, int start, int count, nn_eval *acc);

/* Forward only: *correct, *loss_sum (either may be NULL) and, if confusion is
 * not NULL, confusion[label * n_out + predicted] += 1 for each sample.
 * NN_ERR_DIVERGED if an output or a loss is not finite. */
nn_status nn_evaluate(nn_net *net, const nn_data *data, int *correct, double *loss_sum, uint32_t *confusion);

#endif
