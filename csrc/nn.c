/* nn.c: the network. Create and free, the setters, then step and train
 * (with the rollback of a step that diverges). The passes are in
 * nn_pass.c, data in nn_rows.c, threads in nn_threads.c, forward-only work
 * in nn_eval.c, options in nn_config.c; the update rules in optim.c, file
 * formats elsewhere (idx.c, model.c). Nothing here prints, exits or aborts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "nn_internal.h"

/* Every buffer and every piece of the scratch starts on a cache line:
 * where a buffer happened to start decided how many of the kernels'
 * vector loads straddle two lines, which made one of two identical
 * networks 10% slower than the other in wasm. */
enum { ALIGN_FLOATS = 16 }; /* 64 bytes */
static size_t aligned_floats(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

/* n floats (n > 0), zeroed, on a cache line. */
static float *alloc_floats(size_t n) {
  const size_t bytes = aligned_floats(n) * sizeof(float);
  float *p = aligned_alloc(ALIGN_FLOATS * sizeof(float), bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

/* One allocation of a parameter-shaped buffer: params, grads, backup and the
 * optimizer's state all come from here. count > 0: nn_config_check asks for
 * two layer sizes at least. */
static float *alloc_param_buffer(size_t count) { return alloc_floats(count); }

/* The scratch's pieces, in order, each on a cache line: with carve NULL
 * this counts their floats; else it points them into the block at carve. */
static size_t lay_out_scratch(nn_net *net, int cap, float *carve) {
  const int *s = net->cfg.sizes;
  size_t at = 0;
#define PIECE(ptr, type, n)                  \
  do {                                       \
    if (carve) (ptr) = (type *)(carve + at); \
    at += aligned_floats(n);                 \
  } while (0)
  for (int l = 0; l < net->cfg.n_sizes; l++) PIECE(net->act[l], float, ((size_t)cap * s[l]));
  for (int l = 0; l < net->n_layers; l++) PIECE(net->dz[l], float, ((size_t)cap * s[l + 1]));
  PIECE(net->loss, float, ((size_t)cap));
  PIECE(net->x_next, float, ((size_t)s[0]));
  PIECE(net->x_aug, float, ((size_t)POOL_MAX_THREADS * s[0]));
  PIECE(net->row_mean, float, ((size_t)cap));
  PIECE(net->w0_sums, float, ((size_t)net->layer[0].units));
  for (int l = 0; l < net->n_layers; l++) {
    net_layer *y = &net->layer[l];
    if (carve) y->wt = y->wp = y->gp = NULL, y->argmax = NULL;
    if (y->kind == NN_LAYER_CONV) {
      PIECE(y->wt, float, ((size_t)y->fan_in * KERN_CONV_PAD(y->units)));
      PIECE(y->wp, float, ((size_t)y->fan_in * y->units));
      PIECE(y->gp, float, ((size_t)KERN_CONV_GP_STRIDE(y->fan_in) * y->units));
    }
    if (y->kind == NN_LAYER_POOL) PIECE(y->argmax, int32_t, ((size_t)cap * s[l + 1])); /* int32 is a float's size */
  }
  PIECE(net->labels, uint8_t, (((size_t)cap + sizeof(float) - 1) / sizeof(float)));
#undef PIECE
  return at;
}

/* (Re)allocates the scratch for cap rows: activations, deltas, loss,
 * labels, what the passes derive from the weights, pooling's indices. */
static nn_status alloc_scratch(nn_net *net, int cap) {
  if (net_row_bytes(net->layer, net->n_layers) * (uint64_t)cap > NN_MAX_SCRATCH) return NN_ERR_LIMIT;
  float *block = alloc_floats(lay_out_scratch(net, cap, NULL));
  if (!block) return NN_ERR_NOMEM;
  free(net->scratch);
  net->scratch = block;
  net->cap = cap;
  net->derived_fresh = 0;
  lay_out_scratch(net, cap, block);
  return NN_OK;
}

nn_status net_reserve_rows(nn_net *net, int rows) { return rows <= net->cap ? NN_OK : alloc_scratch(net, rows); }

/* Weights ~ N(0, 1/fan_in) (relu: 2/fan_in, He), biases 0. */
static void init_params(nn_net *net) {
  for (int l = 0; l < net->n_layers; l++) {
    const int n_in = net->layer[l].fan_in, n_out = net->layer[l].units;
    if (n_out == 0) continue; /* pooling */
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
  net_layers_of(cfg, net->layer);
  size_t off = 0;
  for (int l = 0; l < net->n_layers; l++) {
    net->w_off[l] = off;
    off += (size_t)net->layer[l].units * net->layer[l].fan_in;
    net->b_off[l] = off;
    off += (size_t)net->layer[l].units;
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
  if (!net || !nn_finite_in(lr, NN_LR_MIN, NN_LR_MAX)) return NN_ERR_ARG;
  net->cfg.learning_rate = lr;
  return NN_OK;
}

nn_status nn_set_training(nn_net *net, nn_schedule s, float weight_decay, const nn_augment *augment) {
  if (!net || (unsigned)s >= NN_SCHEDULE_COUNT || !nn_finite_in(weight_decay, 0.0f, NN_MAX_WEIGHT_DECAY) ||
      augment_check(augment) != NN_OK)
    return NN_ERR_ARG;
  net->cfg.schedule = s;
  net->cfg.weight_decay = weight_decay;
  net->cfg.augment = *augment;
  return NN_OK;
}

nn_status nn_set_batch_size(nn_net *net, int batch_size) {
  if (!net || batch_size < 1) return NN_ERR_ARG;
  if (batch_size > NN_MAX_BATCH) return NN_ERR_LIMIT;
  nn_status st = net_reserve_rows(net, batch_size);
  if (st == NN_OK) net->cfg.batch_size = batch_size;
  return st;
}

nn_status nn_get_layer(const nn_net *net, int l, nn_layer_info *out) {
  if (!net || !out || l < 0 || l >= net->n_layers) return NN_ERR_ARG;
  const net_layer *y = &net->layer[l];
  *out = (nn_layer_info){y->kind, y->in, y->out, y->k, y->units, y->fan_in, net->w_off[l], net->b_off[l]};
  return NN_OK;
}

float *nn_params(nn_net *net, size_t *count) {
  if (count) *count = net ? net->count : 0;
  if (net) net->derived_fresh = 0; /* the caller may change the weights */
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

/* Decoupled weight decay after an update: W *= 1 - lr * weight_decay, for
 * the weights of every layer but not the biases. */
static void decay_weights(nn_net *net, float lr) {
  const float keep = 1.0f - lr * net->cfg.weight_decay;
  for (int l = 0; l < net->n_layers; l++) {
    float *W = net->params + net->w_off[l];
    const size_t n = (size_t)net->layer[l].units * net->layer[l].fan_in;
    for (size_t i = 0; i < n; i++) W[i] *= keep;
  }
}

/* Forward, backward, update on the B rows already in the scratch. */
nn_status net_step_loaded(nn_net *net, const net_call *call, int B, float *loss_sum) {
  net_forward(net, B, net->labels);
  net->derived_fresh = 0; /* whatever follows changes the weights */
  float s = net_sum_loss(net->loss, B);
  if (!isfinite(s)) return NN_ERR_DIVERGED;
  if (net->cfg.optimizer == NN_SGD) {
    if (net_backward(net, B, 1, call->lr)) return NN_ERR_DIVERGED;
  } else {
    net_backward(net, B, 0, call->lr);
    if (optim_update(&net->cfg, call->lr, &net->opt, net->params, net->grads, net->count)) return NN_ERR_DIVERGED;
  }
  if (net->cfg.weight_decay > 0.0f) decay_weights(net, call->lr); /* finite stays finite: keep is in (0, 1] */
  net->steps++;
  if (loss_sum) *loss_sum = s;
  return NN_OK;
}

/* A step on the one row in the scratch under plain SGD, with the next row
 * riding along: its layer-0 z comes out of the first layer's update
 * (kern_sgd_forward_one), so W0 is read once a step for both rows, not
 * twice (centred input adds a pass for its row sums). primed: act[1]
 * already holds this row's z, made by the last step; next: the next row
 * (sizes[0]) or NULL, whose z this step leaves in act[1] (its mean pixel
 * next_mean makes it the centred input's). The same bits as
 * net_step_loaded row by row, for a dense first layer and no weight
 * decay, which would change W0 after the update. */
nn_status net_step_ahead(nn_net *net, const net_call *call, int primed, const float *next, float *next_mean,
                         float *loss) {
  const int *s = net->cfg.sizes;
  if (!primed) net_derive(net);
  net_forward_rows(net, 0, 1, net->labels, primed, NULL);
  net->derived_fresh = 0; /* whatever follows changes the weights */
  if (!isfinite(net->loss[0])) return NN_ERR_DIVERGED;
  int bad = net_backward_above(net, 1, 1, call->lr);
  if (next) {
    float *W = net->params + net->w_off[0], *bias = net->params + net->b_off[0], *gb = net->grads + net->b_off[0];
    bad |= kern_sgd_forward_one(W, bias, gb, net->dz[0], net->act[0], next, net->act[1], s[0], s[1], call->lr);
    if (net->cfg.input == NN_INPUT_CENTRED) {
      net_derive(net);
      net_centre_z(net->act[1], next_mean, net->w0_sums, 1, 1, s[1]);
    }
  } else {
    bad |= net_layer_gradient(net, 0, 1, 0, net->layer[0].units, 1, call->lr);
  }
  if (bad) return NN_ERR_DIVERGED;
  net->steps++;
  if (loss) *loss = net->loss[0];
  return NN_OK;
}

/* Gathers rows order[at .. at+B) of data (NULL order: rows at .. at+B),
 * then forward, backward, update: over the pool where the batch is big
 * enough to split. */
static nn_status step_rows(nn_net *net, const net_call *call, const nn_data *data, const int32_t *order, int at, int B,
                           float *loss_sum) {
  if (net_split_over(net, B)) return net_step_split(net, call, data, order, at, B, loss_sum);
  net_gather(net, call, data, order, at, B);
  return net_step_loaded(net, call, B, loss_sum);
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
  net->derived_fresh = 0;
  optim_copy(&net->opt, &net->opt_backup, net->count);
  net->rng = net->rng_backup;
  net->steps = steps;
}

nn_status nn_step(nn_net *net, const nn_data *batch, float *mean_loss) {
  nn_status st = net_check_data(net, batch, 1);
  if (st != NN_OK) return st;
  if (batch->n < 1) return NN_ERR_ARG;
  if (batch->n > NN_MAX_BATCH) return NN_ERR_LIMIT;
  if ((st = net_check_rows(net, batch, NULL, 0, batch->n)) != NN_OK) return st;
  if ((st = net_reserve_rows(net, batch->n)) != NN_OK) return st;
  save_state(net);
  const net_call call = {net->cfg.learning_rate, 0, 0, 0}; /* at the configured rate, rows as given */
  float s = 0.0f;
  st = step_rows(net, &call, batch, NULL, 0, batch->n, &s);
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

/* Batch 1 under plain SGD with a dense first layer and no weight decay:
 * each row rides along with the last one's update (net_step_ahead). The
 * next row is loaded (and augmented) before the step, as step_rows would
 * load it after, from the same draws. */
static nn_status train_rows_ahead(nn_net *net, const net_call *call, const nn_data *data, const int32_t *order,
                                  int start, int count, double *total, int *done) {
  const int end = start + count;
  int primed = 0; /* act[1] holds act[0]'s layer-0 z, from the last update */
  for (int at = start; at < end; at++) {
    if (!primed) net_gather(net, call, data, order, at, 1);
    const int ahead = at + 1 < end; /* a row rides along */
    const size_t next = ahead ? (size_t)(order ? order[at + 1] : at + 1) : 0;
    float next_mean = 0.0f, s = 0.0f;
    if (ahead) net_load_row(net, call, data, next, net->x_next, &next_mean, &net->rng, net->x_aug);
    nn_status st = net_step_ahead(net, call, primed, ahead ? net->x_next : NULL, &next_mean, &s);
    if (st != NN_OK) return st;
    primed = ahead;
    if (primed) { /* the next step starts from x_next and its layer-0 z */
      memcpy(net->act[0], net->x_next, (size_t)net->cfg.sizes[0] * sizeof *net->x_next);
      net->row_mean[0] = next_mean;
      net->labels[0] = net_label_of(data, next);
    }
    *total += s;
    *done += 1;
  }
  return NN_OK;
}

/* Mini-batches over order[start .. start+count); stops at the first step
 * that diverges (its update possibly half applied). *done gets the samples
 * of the steps that completed, *total their summed loss. */
static nn_status train_rows(nn_net *net, const net_call *call, const nn_data *data, const int32_t *order, int start,
                            int count, double *total, int *done) {
  const int B = net->cfg.batch_size;
  *total = 0.0;
  *done = 0;
  if (B == 1 && net->cfg.optimizer == NN_SGD && net->cfg.weight_decay == 0.0f && net->layer[0].kind == NN_LAYER_DENSE)
    return train_rows_ahead(net, call, data, order, start, count, total, done);
  for (int at = start; at < start + count; at += B) {
    const int rows = start + count - at < B ? start + count - at : B;
    float s = 0.0f;
    nn_status st = step_rows(net, call, data, order, at, rows, &s);
    if (st != NN_OK) return st;
    *total += s;
    *done += rows;
  }
  return NN_OK;
}

nn_status nn_train_scaled(nn_net *net, float lr_factor, const nn_data *data, const int32_t *order, int start, int count,
                          double *loss_sum, int *trained) {
  nn_status st = net_check_data(net, data, 1);
  if (st != NN_OK) return st;
  if (!(lr_factor > 0.0f && lr_factor <= 1.0f)) return NN_ERR_ARG;
  /* with an order, its entries are checked row by row; without, rows are the data's and its extra ones */
  const int64_t rows = (int64_t)data->n + (data->extra ? data->extra->n : 0);
  if (start < 0 || count < 0 || (!order && (int64_t)start + count > rows)) return NN_ERR_ARG;
  if ((st = net_check_rows(net, data, order, start, count)) != NN_OK) return st;
  net_call call = {net->cfg.learning_rate * lr_factor, augment_enabled(&net->cfg.augment), 0, 0};
  if (call.augment && !net_image_shape(net, data, &call.aug_rows, &call.aug_cols)) return NN_ERR_SHAPE;
  save_state(net);
  const uint64_t steps_before = net->steps;
  double total = 0.0;
  int done = 0;
  st = train_rows(net, &call, data, order, start, count, &total, &done);
  if (st == NN_ERR_DIVERGED) {
    /* Undo the broken step alone: back to the call's start, then the steps
     * before it again, which give the same bits as the first time. */
    restore_state(net, steps_before);
    if (done > 0 && train_rows(net, &call, data, order, start, done, &total, &done) != NN_OK) {
      restore_state(net, steps_before); /* cannot happen: the same steps were finite */
      total = 0.0;
      done = 0;
    }
  }
  if (loss_sum) *loss_sum = total;
  if (trained) *trained = done;
  return st;
}

nn_status nn_train(nn_net *net, const nn_data *data, const int32_t *order, int start, int count, double *loss_sum,
                   int *trained) {
  return nn_train_scaled(net, 1.0f, data, order, start, count, loss_sum, trained);
}
