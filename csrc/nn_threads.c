/* nn_threads.c: a step, or a block of forwards, split over the pool, with
 * the same bits as one thread; and the pool's setters. */
#include <math.h>

#include "kernels.h"
#include "nn_internal.h"

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

int net_split_over(const nn_net *net, int rows) {
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
  const net_call *call;
  const nn_data *data; /* the rows: order[at .. at+B) of data */
  const int32_t *order;
  int at, B;
  float lr, keep; /* learning rate; weight decay factor (1: none) */
  int bad[POOL_MAX_THREADS];
} split_step;

static void step_part(void *ctx, int t, int n) {
  split_step *job = ctx;
  nn_net *net = job->net;
  const int L = net->n_layers, B = job->B;
  int b0, b1;
  share(B, t, n, &b0, &b1);
  net_gather_rows(net, job->call, job->data, job->order, job->at, b0, b1, t);
  net_forward_rows(net, b0, b1, net->labels, 0, NULL);
  net_output_delta_rows(net, B, b0, b1, net->dz[L - 1]);
  for (int l = L - 1; l > 0; l--) net_delta_back(net, l, b0, b1);
  pool_sync(net->pool);
  int bad = 0;
  const int sgd = net->cfg.optimizer == NN_SGD;
  for (int l = 0; l < L; l++) {
    const int units = net->layer[l].units, fan_in = net->layer[l].fan_in;
    int o0, o1;
    share(units, t, n, &o0, &o1);
    if (o0 == o1) continue;
    bad |= net_layer_gradient(net, l, B, o0, o1, sgd, job->lr);
    if (!sgd) {
      const size_t w = net->w_off[l], b = net->b_off[l];
      bad |= optim_update_range(&net->cfg, job->lr, &net->opt, net->params, net->grads, w + (size_t)o0 * fan_in,
                                w + (size_t)o1 * fan_in);
      bad |= optim_update_range(&net->cfg, job->lr, &net->opt, net->params, net->grads, b + o0, b + o1);
    }
    if (job->keep != 1.0f) {
      float *W = net->params + net->w_off[l];
      for (size_t i = (size_t)o0 * fan_in; i < (size_t)o1 * fan_in; i++) W[i] *= job->keep;
    }
  }
  job->bad[t] = bad;
}

/* gather and step_loaded over the pool; the loss is checked after the
 * update here, and a non-finite one is NN_ERR_DIVERGED as there (whose
 * callers put the state back). */
nn_status net_step_split(nn_net *net, const net_call *call, const nn_data *data, const int32_t *order, int at, int B,
                         float *loss_sum) {
  split_step job = {net, call, data, order, at, B, call->lr, 1.0f, {0}};
  if (net->cfg.weight_decay > 0.0f) job.keep = 1.0f - job.lr * net->cfg.weight_decay;
  optim_advance(&net->cfg, &net->opt);
  net_derive(net);
  pool_run(net->pool, step_part, &job);
  net->derived_fresh = 0; /* the weights changed */
  net_gather_done(net, call, B);
  int bad = 0;
  for (int t = 0; t < pool_size(net->pool); t++) bad |= job.bad[t];
  const float sum = net_sum_loss(net->loss, B);
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
  net_forward_rows(job->net, b0, b1, job->labels, 0, NULL);
}

/* forward, split by rows where there are enough of them. */
void net_forward_any(nn_net *net, int rows, const uint8_t *labels) {
  if (!net_split_over(net, rows)) {
    net_forward(net, rows, labels);
    return;
  }
  split_forward job = {net, rows, labels};
  net_derive(net);
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
