/* nn_pass.c: the forward and backward passes over the rows in the scratch,
 * softmax and the loss, and centred input (centred through the first
 * layer's weights). The matrix products live in kernels_*.c; plain SGD is
 * fused into the gradient kernel, with the same bits as backward +
 * optim_update. */
#include <string.h>

#include "kernels.h"
#include "nn_internal.h"

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
void net_activate_backward(nn_activation f, float *restrict delta, const float *restrict a, size_t n) {
  switch (f) {
    case NN_RELU:
      for (size_t i = 0; i < n; i++) { /* both read first: a select, which vectorises, not a branch */
        const float d = delta[i];
        const int keep = a[i] > 0.0f;
        delta[i] = keep ? d : 0.0f;
      }
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
 * (centring them first would leave none); a convolution's patches are
 * pixels of the same image, so the same holds at each of its positions.
 * z (rows, positions, n_out) -= mean (rows) times sums (n_out);
 * net_derive fills net->w0_sums for the weights as they are now. */
void net_centre_z(float *z, const float *mean, const float *sums, int rows, int positions, int n_out) {
  for (int b = 0; b < rows; b++)
    for (size_t i = (size_t)b * positions; i < (size_t)(b + 1) * positions; i++)
      for (int o = 0; o < n_out; o++) z[i * n_out + o] -= mean[b] * sums[o];
}

/* What the passes derive from the weights (the first layer's row sums for
 * centred input, the convolutions' weight orders), once per change of
 * them: predictions between two steps reuse it (a one-image predict took
 * 1.8x raw input's time without). */
void net_derive(nn_net *net) {
  if (net->derived_fresh) return;
  if (net->cfg.input == NN_INPUT_CENTRED)
    kern_row_sums(net->w0_sums, net->params + net->w_off[0], net->layer[0].fan_in, net->layer[0].units);
  for (int l = 0; l < net->n_layers; l++)
    if (net->layer[l].kind == NN_LAYER_CONV) conv_orders(net, l);
  net->derived_fresh = 1;
}

/* Rows b0..b1 of act[0] (B, sizes[0]) -> act[L] (B, n_out) probabilities,
 * and of loss (B) if labels; primed: act[1] already holds layer 0's z;
 * keep_z not NULL: one row's z of each layer, before its activation, is
 * copied there (nn_gradients.c). Every row is independent of the others;
 * with centred input, w0_sums must be those of the weights (net_derive). */
void net_forward_rows(nn_net *net, int b0, int b1, const uint8_t *labels, int primed, float *keep_z) {
  const int *s = net->cfg.sizes, n = b1 - b0, k = s[net->n_layers];
  float *keep = keep_z;
  for (int l = 0; l < net->n_layers; l++) {
    const net_layer *y = &net->layer[l];
    const float *W = net->params + net->w_off[l], *bias = net->params + net->b_off[l];
    float *z = net->act[l + 1] + (size_t)b0 * s[l + 1];
    if (l == 0 && primed) {
      /* z is there */
    } else if (y->kind == NN_LAYER_DENSE) {
      kern_forward(z, net->act[l] + (size_t)b0 * s[l], W, bias, n, y->fan_in, y->units);
    } else if (y->kind == NN_LAYER_CONV) {
      conv_forward(net, l, b0, b1);
    } else {
      pool_forward(net, l, b0, b1);
    }
    if (l == 0 && !primed && net->cfg.input == NN_INPUT_CENTRED)
      net_centre_z(z, net->row_mean + b0, net->w0_sums, n, y->positions, y->units);
    if (keep) keep = (float *)memcpy(keep, z, (size_t)s[l + 1] * sizeof *z) + s[l + 1];
    if (y->activated) activate(net->cfg.activation, z, (size_t)n * s[l + 1]);
  }
  softmax_loss(net->act[net->n_layers] + (size_t)b0 * k, labels ? labels + b0 : NULL, labels ? net->loss + b0 : NULL, n,
               k);
}

/* act[0] (B, sizes[0]) -> act[L] (B, n_out) probabilities; loss (B) if labels. */
void net_forward(nn_net *net, int B, const uint8_t *labels) {
  net_derive(net);
  net_forward_rows(net, 0, B, labels, 0, NULL);
}

/* softmax + cross-entropy: dz (B, k) = (p - onehot(label)) / B, written as
 * p * (1/B) everywhere (p - 0 is p) and then the label's entry. */
void net_output_delta_rows(nn_net *net, int B, int b0, int b1, float *dz) {
  const int k = net->cfg.sizes[net->n_layers];
  const float inv_b = 1.0f / (float)B, *p = net->act[net->n_layers];
  for (size_t i = (size_t)b0 * k; i < (size_t)b1 * k; i++) dz[i] = p[i] * inv_b;
  for (int b = b0; b < b1; b++) {
    const size_t at = (size_t)b * k + net->labels[b];
    dz[at] = (p[at] - 1.0f) * inv_b;
  }
}

/* Rows b0..b1 of layer l's delta back to its input: dz[l - 1] = the
 * gradient of its input, then through layer l - 1's activation, if any. */
void net_delta_back(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes;
  float *da = net->dz[l - 1] + (size_t)b0 * s[l];
  /* with W as forward saw it */
  if (y->kind == NN_LAYER_DENSE)
    kern_backward(da, net->dz[l] + (size_t)b0 * s[l + 1], net->params + net->w_off[l], b1 - b0, y->fan_in, y->units);
  else if (y->kind == NN_LAYER_CONV) conv_backward_input(net, l, b0, b1);
  else pool_backward(net, l, b0, b1);
  if (net->layer[l - 1].activated)
    net_activate_backward(net->cfg.activation, da, net->act[l] + (size_t)b0 * s[l], (size_t)(b1 - b0) * s[l]);
}

/* Layer 0's gradient for the optimizers that keep one (momentum, adam),
 * rows o0..o1, made the centred input's: dz^T (x - m) = dz^T x - (dz^T m)
 * 1^T. Plain SGD steps on dz^T x, which differs from it only along each
 * row's mean, which centred input never sees: its outputs take the same
 * path up to rounding, and the update keeps the zero runs' sparsity. The
 * row sums then drift (10 epochs of MNIST: at most 76, against 3.9 with
 * the centred gradient), and z = W x + b - m * rowsum loses a bit or two
 * to the cancellation. Adam's per-weight scaling would see the
 * difference; momentum would not, but its update is dense anyway. */
void net_centre_gradient(nn_net *net, int B, int o0, int o1) {
  if (net->cfg.input != NN_INPUT_CENTRED) return;
  enum { RUN = 64 }; /* outputs at a time: the sums run along dz's rows, which vectorises */
  const net_layer *y = &net->layer[0];
  const int n_in = y->fan_in, n_out = y->units, P = y->positions;
  const float *dz = net->dz[0];
  for (int r0 = o0; r0 < o1; r0 += RUN) {
    const int r1 = r0 + RUN < o1 ? r0 + RUN : o1;
    float c[RUN] = {0};
    for (int b = 0; b < B; b++)
      for (size_t i = (size_t)b * P; i < (size_t)(b + 1) * P; i++)
        for (int o = r0; o < r1; o++) c[o - r0] += dz[i * n_out + o] * net->row_mean[b];
    for (int o = r0; o < r1; o++) {
      float *g = net->grads + net->w_off[0] + (size_t)o * n_in;
      for (int i = 0; i < n_in; i++) g[i] -= c[o - r0];
    }
  }
}

/* Outputs o0..o1 of layer l's gradient over the B rows, or with sgd its
 * update (a dense layer's through kern_gradient_sgd: no gradient stored,
 * the same bits as gradient + optim_update); returns 1 if a weight came
 * out non-finite. Pooling has none. */
int net_layer_gradient(nn_net *net, int l, int B, int o0, int o1, int sgd, float lr) {
  const net_layer *y = &net->layer[l];
  if (y->units == 0) return 0;
  float *W = net->params + net->w_off[l], *bias = net->params + net->b_off[l];
  float *gW = net->grads + net->w_off[l], *gb = net->grads + net->b_off[l];
  if (y->kind == NN_LAYER_CONV) {
    conv_gradient(net, l, B, o0, o1);
    if (sgd) {
      const size_t w = net->w_off[l], b = net->b_off[l];
      return optim_update_range(&net->cfg, lr, &net->opt, net->params, net->grads, w + (size_t)o0 * y->fan_in,
                                w + (size_t)o1 * y->fan_in) |
             optim_update_range(&net->cfg, lr, &net->opt, net->params, net->grads, b + o0, b + o1);
    }
  } else {
    const float *x = net->act[l];
    if (sgd && o0 == 0 && o1 == y->units) /* one thread: with kern_gradient_sgd's path for one row */
      return kern_gradient_sgd(W, bias, gb, net->dz[l], x, B, y->fan_in, y->units, lr);
    if (sgd) return kern_gradient_sgd_part(W, bias, gb, net->dz[l], x, B, y->fan_in, y->units, o0, o1, lr);
    kern_gradient_part(gW, gb, net->dz[l], x, B, y->fan_in, y->units, o0, o1);
  }
  if (l == 0) net_centre_gradient(net, B, o0, o1);
  return 0;
}

/* grads = d(mean loss)/d(params) for the B rows that forward just ran,
 * for every layer above the first, and dz[0]: the first layer's delta.
 * With sgd set, each layer's weights are updated at rate lr as soon as the
 * layer's delta has gone through them; returns 1 if a weight came out
 * non-finite. */
int net_backward_above(nn_net *net, int B, int sgd, float lr) {
  const int L = net->n_layers;
  int bad = 0;
  net_output_delta_rows(net, B, 0, B, net->dz[L - 1]);
  for (int l = L - 1; l > 0; l--) {
    net_delta_back(net, l, 0, B); /* with W as forward saw it */
    bad |= net_layer_gradient(net, l, B, 0, net->layer[l].units, sgd, lr);
  }
  return bad;
}

/* The same for every layer. */
int net_backward(nn_net *net, int B, int sgd, float lr) {
  const int bad = net_backward_above(net, B, sgd, lr); /* first: the layers above read the first layer's dz */
  return bad | net_layer_gradient(net, 0, B, 0, net->layer[0].units, sgd, lr);
}

float net_sum_loss(const float *loss, int B) {
  float s = 0.0f;
  for (int b = 0; b < B; b++) s += loss[b];
  return s;
}
