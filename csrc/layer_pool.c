/* layer_pool.c: PxP max pooling, stride P, of maps rows x cols x channels.
 * Forward (kern_max_pool) keeps, for each output, the index of the input it
 * took (the first of equal maxima in row-major window order); backward sends each
 * output's delta to that input alone. Rows and columns past the last whole
 * window (odd sizes) are never taken and get a zero delta. */
#include <string.h>

#include "kernels.h"
#include "nn_internal.h"

void pool_forward(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes;
  for (int b = b0; b < b1; b++)
    kern_max_pool(net->act[l + 1] + (size_t)b * s[l + 1], y->argmax + (size_t)b * s[l + 1],
                  net->act[l] + (size_t)b * s[l], y->in.rows, y->in.cols, y->in.channels, y->k);
}

void pool_backward(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes;
  for (int b = b0; b < b1; b++) {
    float *da = net->dz[l - 1] + (size_t)b * s[l];
    const float *dz = net->dz[l] + (size_t)b * s[l + 1];
    const int32_t *arg = y->argmax + (size_t)b * s[l + 1];
    memset(da, 0, (size_t)s[l] * sizeof *da);
    for (int o = 0; o < s[l + 1]; o++) da[arg[o]] = dz[o]; /* windows do not overlap */
  }
}
