/* nn_eval.c: forward-only work: predict, evaluate and the inside view's
 * activations. */
#include <string.h>

#include "nn_internal.h"

/* Forward-only passes go EVAL_ROWS rows at a time where they have that
 * many, whatever the batch size: the kernels are faster on blocks of rows.
 * The scratch grows once; if it cannot, the rows it has will do. */
enum { EVAL_ROWS = 64 };
static void wide_rows(nn_net *net, int n) {
  const int want = EVAL_ROWS * nn_threads(net); /* a block for each thread */
  (void)net_reserve_rows(net, n < want ? n : want);
}

nn_status nn_predict(nn_net *net, const nn_data *data, float *probs) {
  nn_status st = net_check_data(net, data, 0);
  if (st != NN_OK || !probs) return NN_ERR_ARG;
  nn_data in = *data;
  in.labels = NULL;
  if ((st = net_check_rows(net, &in, NULL, 0, in.n)) != NN_OK) return st;
  const int k = net->cfg.sizes[net->n_layers];
  wide_rows(net, in.n);
  for (int at = 0; at < in.n; at += net->cap) {
    const int rows = in.n - at < net->cap ? in.n - at : net->cap;
    net_gather(net, NULL, &in, NULL, at, rows);
    net_forward_any(net, rows, NULL);
    /* finite weights can still overflow the logits: say so, never return NaN */
    if (!net_all_finite(net->act[net->n_layers], (size_t)rows * k)) return NN_ERR_DIVERGED;
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
  nn_status st = net_check_data(net, data, 1);
  if (st != NN_OK || !acc) return NN_ERR_ARG;
  if (start < 0 || count < 0 || (int64_t)start + count > data->n) return NN_ERR_ARG;
  if ((st = net_check_rows(net, data, NULL, start, count)) != NN_OK) return st;
  const int k = net->cfg.sizes[net->n_layers];
  wide_rows(net, count);
  for (int at = start; at < start + count; at += net->cap) {
    const int rows = start + count - at < net->cap ? start + count - at : net->cap;
    net_gather(net, NULL, data, NULL, at, rows);
    net_forward_any(net, rows, net->labels);
    if (!net_all_finite(net->act[net->n_layers], (size_t)rows * k) || !net_all_finite(net->loss, (size_t)rows))
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
  nn_status st = net_check_data(net, data, 0);
  if (st != NN_OK || !out || data->n < 1) return NN_ERR_ARG;
  nn_data one = *data;
  one.n = 1;
  one.labels = NULL;
  one.extra = NULL;
  if ((st = net_check_rows(net, &one, NULL, 0, 1)) != NN_OK) return st;
  net_gather(net, NULL, &one, NULL, 0, 1);
  net_forward(net, 1, NULL);
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
