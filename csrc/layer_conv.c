/* layer_conv.c: a KxK convolution of F filters, stride 1, no padding, as
 * matrix products (im2col): each output pixel's patch, channels x K x K
 * values, is a row of the layer's `cols`, so that the forward pass is
 * kern_forward over (rows x positions) patches, the filters' gradient is
 * kern_gradient over the same rows (nn_pass.c), and the input's gradient
 * is kern_backward into patch deltas added back to their pixels (col2im).
 * The kernels fix every sum's order, so the bits are the same natively, in
 * wasm and on any number of threads. Maps are rows x cols x channels, the
 * channel fastest. */
#include <string.h>

#include "kernels.h"
#include "nn_internal.h"

/* Patch of output pixel (oy, ox) of one sample: dst[(c * k + ky) * k + kx]
 * = in[oy + ky][ox + kx][c], the order of a filter's weights. */
static void patch(float *dst, const float *in, nn_shape s, int k, int oy, int ox) {
  const int C = s.channels;
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < k; ky++) {
      const float *px = in + ((size_t)(oy + ky) * s.cols + ox) * C + c;
      float *d = dst + (c * k + ky) * k;
      for (int kx = 0; kx < k; kx++) d[kx] = px[(size_t)kx * C];
    }
}

/* Rows b0..b1: their patches into cols, then z = patches . W^T + bias,
 * (positions, filters) a sample: the output map, channel fastest. */
void conv_forward(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes;
  for (int b = b0; b < b1; b++) {
    const float *in = net->act[l] + (size_t)b * s[l];
    float *cols = y->cols + (size_t)b * y->positions * y->fan_in;
    for (int oy = 0; oy < y->out.rows; oy++)
      for (int ox = 0; ox < y->out.cols; ox++)
        patch(cols + ((size_t)oy * y->out.cols + ox) * y->fan_in, in, y->in, y->k, oy, ox);
  }
  kern_forward(net->act[l + 1] + (size_t)b0 * s[l + 1], y->cols + (size_t)b0 * y->positions * y->fan_in,
               net->params + net->w_off[l], net->params + net->b_off[l], (b1 - b0) * y->positions, y->fan_in, y->units);
}

/* Rows b0..b1: the patches' deltas dz . W, each added back to the pixel it
 * was taken from, in one fixed order, into dz[l - 1] (the input's gradient). */
void conv_backward_input(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes, k = y->k, C = y->in.channels;
  float *dcols = y->dcols + (size_t)b0 * y->positions * y->fan_in;
  kern_backward(dcols, net->dz[l] + (size_t)b0 * s[l + 1], net->params + net->w_off[l], (b1 - b0) * y->positions,
                y->fan_in, y->units);
  for (int b = b0; b < b1; b++) {
    float *da = net->dz[l - 1] + (size_t)b * s[l];
    memset(da, 0, (size_t)s[l] * sizeof *da);
    const float *d = y->dcols + (size_t)b * y->positions * y->fan_in;
    for (int oy = 0; oy < y->out.rows; oy++)
      for (int ox = 0; ox < y->out.cols; ox++, d += y->fan_in)
        for (int c = 0; c < C; c++)
          for (int ky = 0; ky < k; ky++) {
            float *px = da + ((size_t)(oy + ky) * y->in.cols + ox) * C + c;
            const float *dk = d + (c * k + ky) * k;
            for (int kx = 0; kx < k; kx++) px[(size_t)kx * C] += dk[kx];
          }
  }
}
