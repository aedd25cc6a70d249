/* nn.h: a fully connected network (any layer sizes, softmax output,
 * cross-entropy loss) trained by mini-batch backpropagation.
 *
 * All weights and biases live in one float32 buffer (nn_params); layer l's
 * weights are W[out][in], row-major, followed by its biases. Nothing here
 * prints, exits or aborts: every function returns an nn_status (or NULL). */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#define NN_MAX_LAYERS 8            /* weight layers; sizes has up to NN_MAX_LAYERS + 1 entries */
#define NN_MAX_UNITS 4096          /* largest layer */
#define NN_MAX_BATCH 4096          /* largest mini-batch */
#define NN_MAX_PARAMS (1u << 26)   /* 64 Mi floats (256 MiB) of weights and biases */

typedef enum {
  NN_OK = 0,
  NN_ERR_ARG,        /* a bad argument: NULL, size, label, non-finite value, option */
  NN_ERR_NOMEM,      /* out of memory */
  NN_ERR_STATE,      /* the call does not fit the object's state */
  NN_ERR_LIMIT,      /* a size over the documented limits */
  NN_ERR_MAGIC,      /* not the expected kind of file (IDX or model magic) */
  NN_ERR_TYPE,       /* IDX element type other than unsigned byte */
  NN_ERR_DIMS,       /* IDX dimension count or a dimension of 0 */
  NN_ERR_TRUNCATED,  /* the data ended early */
  NN_ERR_TRAILING,   /* bytes after the end of the data */
  NN_ERR_COUNT,      /* images and labels disagree in count or shape */
  NN_ERR_CHECKSUM,   /* model file CRC-32 mismatch */
  NN_ERR_VERSION,    /* model file from a newer format version */
  NN_ERR_FORMAT,     /* a malformed field in a model file */
  NN_ERR_DIVERGED,   /* the loss became NaN or infinite; weights kept at the last finite state */
  NN_STATUS_COUNT
} nn_status;

typedef enum { NN_SIGMOID = 0, NN_RELU, NN_TANH, NN_ACTIVATION_COUNT } nn_activation;
typedef enum { NN_SGD = 0, NN_MOMENTUM, NN_ADAM, NN_OPTIMIZER_COUNT } nn_optimizer;

typedef struct nn_config {
  int n_sizes;                     /* layer sizes, input first, output last: 2..NN_MAX_LAYERS+1 */
  int sizes[NN_MAX_LAYERS + 1];
  nn_activation activation;        /* hidden layers; the output layer is always softmax */
  nn_optimizer optimizer;
  float learning_rate;
  float momentum;                  /* momentum: velocity decay */
  float beta1, beta2, epsilon;     /* adam */
  int batch_size;                  /* mini-batch of nn_train, 1..NN_MAX_BATCH */
  uint64_t seed;                   /* weight init and shuffle */
} nn_config;

/* Samples: n rows of sizes[0] inputs, as bytes (0..255, scaled by 1/255) or
 * floats; exactly one of u8 and f32 is set. labels (n, < n_out) may be NULL
 * where only outputs are wanted. */
typedef struct nn_data {
  const uint8_t *u8;
  const float *f32;
  const uint8_t *labels;
  int n;
} nn_data;

typedef struct nn_net nn_net;

const char *nn_strerror(nn_status s);                 /* one-line message, never NULL */
void nn_config_default(nn_config *cfg);               /* 784-128-64-10 sigmoid sgd lr 0.5 batch 8 seed 1 */
nn_status nn_config_check(const nn_config *cfg);      /* NN_ERR_ARG / NN_ERR_LIMIT for a bad config */
uint64_t nn_param_count(const nn_config *cfg);        /* weights and biases of cfg's sizes, in 64 bits */
const char *nn_activation_name(nn_activation a);      /* "sigmoid", "relu", "tanh"; NULL if unknown */
const char *nn_optimizer_name(nn_optimizer o);        /* "sgd", "momentum", "adam"; NULL if unknown */
int nn_activation_parse(const char *name);            /* -1 if unknown */
int nn_optimizer_parse(const char *name);             /* -1 if unknown */

nn_status nn_create(const nn_config *cfg, nn_net **out);  /* *out NULL on failure */
void nn_free(nn_net *net);                                 /* NULL-safe */
const nn_config *nn_get_config(const nn_net *net);
nn_status nn_set_learning_rate(nn_net *net, float lr);     /* finite, > 0 */
nn_status nn_set_batch_size(nn_net *net, int batch_size);  /* may grow scratch once */

float *nn_params(nn_net *net, size_t *count);              /* the one flat buffer */
const float *nn_params_const(const nn_net *net, size_t *count);
uint64_t nn_steps(const nn_net *net);                      /* updates made so far */
uint64_t nn_rng_state(const nn_net *net);                  /* for the model file */
void nn_restore_counters(nn_net *net, uint64_t steps, uint64_t rng_state);

/* One update on exactly this mini-batch (1..NN_MAX_BATCH rows); *mean_loss
 * may be NULL. On NN_ERR_DIVERGED the weights are unchanged and the
 * optimizer state starts afresh. */
nn_status nn_step(nn_net *net, const nn_data *batch, float *mean_loss);

/* Fills order[0..n) with a permutation drawn from the net's RNG. */
nn_status nn_shuffle(nn_net *net, int32_t *order, int n);

/* Trains mini-batches of batch_size over samples order[start .. start+count)
 * (order NULL: identity); the last batch may be smaller. Split an epoch into
 * calls at multiples of batch_size and the result is the same as one call.
 * *loss_sum (may be NULL) gets the sum of per-sample losses. On
 * NN_ERR_DIVERGED the weights go back to their state at the call's start. */
nn_status nn_train(nn_net *net, const nn_data *data, const int32_t *order,
                   int start, int count, double *loss_sum);

/* Class probabilities of n samples: probs is (n, n_out). NN_ERR_DIVERGED if
 * the weights overflow the outputs (contents of probs then unspecified). */
nn_status nn_predict(nn_net *net, const nn_data *data, float *probs);

/* Forward only: *correct, *loss_sum (either may be NULL) and, if confusion is
 * not NULL, confusion[label * n_out + predicted] += 1 for each sample.
 * NN_ERR_DIVERGED if an output or a loss is not finite. */
nn_status nn_evaluate(nn_net *net, const nn_data *data, int *correct,
                      double *loss_sum, uint32_t *confusion);

#endif
