/* nn_internal.h: the network's state and the functions its files share
 * (nn.c, nn_config.c, nn_pass.c, nn_rows.c, nn_threads.c, nn_eval.c,
 * nn_gradients.c, nn_gradcheck.c). Not an API: the tests include it to
 * reach the scratch and the gradients. */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nn.h"
#include "optim.h"
#include "pool.h"
#include "rng.h"

/* A layer as the passes see it (nn_create fills it from the config's
 * shapes). Its weights are a matrix (units, fan_in): a dense layer's
 * (units, inputs), a convolution's (filters, channels * k * k), applied to
 * `positions` patches a sample: 1 for a dense layer, one an output pixel
 * for a convolution. */
typedef struct net_layer {
  nn_layer_kind kind;
  nn_shape in, out;
  int k;               /* kernel or window side */
  int units, fan_in;   /* the weight matrix; 0 for pooling */
  int positions;       /* rows of the products a sample */
  int activated;       /* an activation follows (not pooling, not the output) */
  float *wt, *wp, *gp; /* convolution: W in the kernels' two orders, and the gradient in patch order (kernels.h) */
  int32_t *argmax;     /* pooling: each output's input index in its sample, (cap, out floats) */
} net_layer;

struct nn_net {
  nn_config cfg;
  int n_layers; /* layers: cfg.n_sizes - 1 */
  net_layer layer[NN_MAX_LAYERS];
  size_t count;                /* floats in params (weights and biases) */
  size_t w_off[NN_MAX_LAYERS]; /* layer l: W (units, fan_in) at w_off[l] */
  size_t b_off[NN_MAX_LAYERS]; /*          bias (units) at b_off[l] */
  float *params;               /* the one flat buffer, (count) */
  float *grads;                /* same layout, (count) */
  float *backup;               /* params at the start of nn_step / nn_train, (count) */
  optim_state opt;
  optim_state opt_backup; /* opt at the same moment (m, v: count floats each) */
  uint64_t steps;
  rng_t rng;        /* weight init, shuffle, augmentation */
  rng_t rng_backup; /* rng at the same moment */
  /* scratch, sized for cap rows */
  int cap;
  float *scratch; /* one block holding everything below */
  float *act[NN_MAX_LAYERS +
             1]; /* act[0] is the input (cap, sizes[0]); act[l] is (cap, sizes[l]); the last holds probabilities */
  float *dz[NN_MAX_LAYERS]; /* layer l's output delta, (cap, sizes[l+1]) */
  float *loss;              /* per-sample loss, (cap) */
  uint8_t *labels;          /* (cap) */
  /* centred input, through the first layer's weights (centre_z) */
  float *row_mean;   /* each row's mean pixel, (cap) */
  float *w0_sums;    /* the row sums of layer 0's W as the next forward uses it, (layer[0].units) */
  int derived_fresh; /* w0_sums and the convolutions' wt, wp are those of the weights as they are (net_derive):
                        a change of the weights clears it */
  float *x_next;     /* batch 1 under sgd: the next sample, which rides along with an update (nn.c), (sizes[0]) */
  float *x_aug;      /* a sample before augmentation, one a thread: (POOL_MAX_THREADS, sizes[0]) */
  /* threads (nn_set_threads): a step splits its rows, then its outputs */
  nn_pool *pool; /* NULL: one thread */
};

/* One call's settings (nn_step, nn_train): they travel down the call and
 * nothing of them stays in the net, which keeps only the model, the
 * optimizer's state and scratch between calls. */
typedef struct net_call {
  float lr;               /* the learning rate of the call's steps: cfg's times the schedule's factor */
  int augment;            /* rows are distorted as they load (nn_train with cfg.augment) */
  int aug_rows, aug_cols; /* the image shape to distort */
} net_call;

static inline int nn_finite_in(float x, float lo, float hi) { return x >= lo && x <= hi; } /* false for NaN */

/* layers.c, for nn_create: the layers' geometry from a checked config;
 * and the bytes a row of a batch takes in the scratch (its activations and
 * deltas, pooling's indices), which NN_MAX_SCRATCH bounds. */
void net_layers_of(const nn_config *cfg, net_layer *layer);
uint64_t net_row_bytes(const net_layer *layer, int n_layers);

/* layer_conv.c and layer_pool.c: rows b0..b1 of a batch of B */
void conv_orders(nn_net *net, int l);                          /* wt, wp from W */
void conv_forward(nn_net *net, int l, int b0, int b1);         /* act[l] -> act[l+1] (z) */
void conv_backward_input(nn_net *net, int l, int b0, int b1);  /* dz[l] -> dz[l-1] (da) */
void conv_gradient(nn_net *net, int l, int B, int o0, int o1); /* filters o0..o1 of grads */
void pool_forward(nn_net *net, int l, int b0, int b1);
void pool_backward(nn_net *net, int l, int b0, int b1);

/* nn_pass.c: the forward and backward passes over the rows in the scratch */
void net_activate_backward(nn_activation f, float *restrict delta, const float *restrict a, size_t n);
void net_centre_z(float *z, const float *mean, const float *sums, int rows, int positions, int n_out);
void net_derive(nn_net *net);
void net_forward_rows(nn_net *net, int b0, int b1, const uint8_t *labels, int primed, float *keep_z);
void net_forward(nn_net *net, int B, const uint8_t *labels);
void net_output_delta_rows(nn_net *net, int B, int b0, int b1, float *dz);
void net_centre_gradient(nn_net *net, int B, int o0, int o1);
int net_backward_above(nn_net *net, int B, int sgd, float lr);
int net_backward(nn_net *net, int B, int sgd, float lr);
void net_delta_back(nn_net *net, int l, int b0, int b1);
int net_layer_gradient(nn_net *net, int l, int B, int o0, int o1, int sgd, float lr);
float net_sum_loss(const float *loss, int B);

/* nn_rows.c: samples into the scratch */
/* inline, so that a caller (and its analyser) sees that NN_OK means net and d are set */
static inline nn_status net_check_data(const nn_net *net, const nn_data *d, int need_labels) {
  if (!net || !d || d->n < 0 || (!d->u8 == !d->f32)) return NN_ERR_ARG;
  if (need_labels && !d->labels) return NN_ERR_ARG;
  return NN_OK;
}
int net_all_finite(const float *x, size_t n);
nn_status net_check_rows(const nn_net *net, const nn_data *d, const int32_t *order, int start, int count);
void net_load_row(const nn_net *net, const net_call *call, const nn_data *data, size_t row, float *dst, float *mean,
                  rng_t *rng, float *scratch);
int net_image_shape(const nn_net *net, const nn_data *d, int *rows, int *cols);
uint8_t net_label_of(const nn_data *d, size_t r);
void net_gather_rows(nn_net *net, const net_call *call, const nn_data *d, const int32_t *order, int start, int j0,
                     int j1, int t);
void net_gather_done(nn_net *net, const net_call *call, int B);
void net_gather(nn_net *net, const net_call *call, const nn_data *d, const int32_t *order, int start, int B);

/* nn_threads.c: a step, or a block of forwards, split over the pool */
int net_split_over(const nn_net *net, int rows);
nn_status net_step_split(nn_net *net, const net_call *call, const nn_data *data, const int32_t *order, int at, int B,
                         float *loss_sum);
void net_forward_any(nn_net *net, int rows, const uint8_t *labels);

/* nn.c */
nn_status net_reserve_rows(nn_net *net, int rows); /* the scratch for at least rows rows */
nn_status net_step_loaded(nn_net *net, const net_call *call, int B, float *loss_sum); /* a step on the scratch's rows */
nn_status net_step_ahead(nn_net *net, const net_call *call, int primed, const float *next, float *next_mean,
                         float *loss); /* batch 1 under sgd, next riding along (nn.c) */

#endif
