/* layer_conv.c: a KxK convolution of F filters, stride 1, no padding, on
 * maps stored rows x cols x channels, the channel fastest. The products
 * are kernels_conv.c's, straight on the maps, a sample at a time for the
 * forward and the input's gradient (so a step splits by samples), all
 * samples at once for the filters' gradient (split by filters); their
 * orders are fixed (kernels.h), so the bits are the same natively, in wasm
 * and on any number of threads. The weights are stored (F, C, K, K); the
 * kernels read them in two other orders, derived once per change of the
 * weights (conv_orders). */
#include "kernels.h"
#include "nn_internal.h"

static kern_conv geometry(const net_layer *y) {
  return (kern_conv){y->in.rows, y->in.cols, y->in.channels, y->k, y->units};
}

void conv_orders(nn_net *net, int l) {
  const net_layer *y = &net->layer[l];
  kern_conv_orders(y->wt, y->wp, net->params + net->w_off[l], geometry(y));
}

/* Rows b0..b1: z = the convolution of act[l], plus the bias. */
void conv_forward(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes;
  for (int b = b0; b < b1; b++)
    kern_conv_forward(net->act[l + 1] + (size_t)b * s[l + 1], net->act[l] + (size_t)b * s[l], y->wt,
                      net->params + net->b_off[l], geometry(y));
}

/* Rows b0..b1: dz[l - 1] = the gradient of the input, with W as forward saw it. */
void conv_backward_input(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes;
  for (int b = b0; b < b1; b++)
    kern_conv_backward(net->dz[l - 1] + (size_t)b * s[l], net->dz[l] + (size_t)b * s[l + 1], y->wp, geometry(y));
}

/* Filters o0..o1 of the gradient over the B rows, into net->grads. */
void conv_gradient(nn_net *net, int l, int B, int o0, int o1) {
  const net_layer *y = &net->layer[l];
  kern_conv_gradient(net->grads + net->w_off[l], net->grads + net->b_off[l], y->gp, net->dz[l], net->act[l], B,
                     geometry(y), o0, o1);
}
