/* nn_gradients.c: one sample's backpropagation, seen from inside: every
 * layer's z, output and delta, and the gradient of the loss, from the very
 * passes a step runs (net_forward_rows, net_backward without its fused
 * update), on one row of the scratch. What they derive from the weights
 * (net_derive) is the weights' own, whoever derives it; the gradient goes
 * straight into the caller's buffer. */
#include <string.h>

#include "nn_internal.h"

/* The first row of sample, checked, with its label; NN_OK or why not. */
static nn_status one_row(const nn_net *net, const nn_data *sample, nn_data *one) {
  nn_status st = net_check_data(net, sample, 1);
  if (st != NN_OK) return st;
  if (sample->n < 1) return NN_ERR_ARG;
  *one = *sample;
  one->n = 1;
  one->extra = NULL;
  return net_check_rows(net, one, NULL, 0, 1);
}

nn_status nn_gradients(nn_net *net, const nn_data *sample, float *z, float *act, float *delta, float *grads,
                       float *loss) {
  nn_data one;
  nn_status st = one_row(net, sample, &one);
  if (st != NN_OK) return st;
  if (!z || !act || !delta || !grads) return NN_ERR_ARG;
  const int L = net->n_layers, *s = net->cfg.sizes;

  net_gather(net, NULL, &one, NULL, 0, 1); /* as stored: the generator is not drawn */
  net_derive(net);
  net_forward_rows(net, 0, 1, net->labels, 0, z);
  st = net_all_finite(net->act[L], (size_t)s[L]) && net_all_finite(net->loss, 1) ? NN_OK : NN_ERR_DIVERGED;
  if (st == NN_OK) {
    float *own = net->grads;
    net->grads = grads; /* backward without sgd changes no weight */
    net_backward(net, 1, 0, 0.0f);
    net->grads = own;
    for (int l = 0; l < L; l++) {
      memcpy(act, net->act[l + 1], (size_t)s[l + 1] * sizeof *act);
      memcpy(delta, net->dz[l], (size_t)s[l + 1] * sizeof *delta);
      act += s[l + 1];
      delta += s[l + 1];
    }
    if (loss) *loss = net->loss[0];
  }
  return st;
}

nn_status nn_layer_parameters(const nn_net *net, int l, float *weights, float *biases) {
  if (!net || l < 0 || l >= net->n_layers) return NN_ERR_ARG;
  const net_layer *y = &net->layer[l];
  if (y->units == 0) return NN_OK;
  if (!weights || !biases) return NN_ERR_ARG;
  memcpy(weights, net->params + net->w_off[l], (size_t)y->units * y->fan_in * sizeof *weights);
  memcpy(biases, net->params + net->b_off[l], (size_t)y->units * sizeof *biases);
  return NN_OK;
}
