/* layer_pool.c: PxP max pooling, stride P, of maps rows x cols x channels.
 * Forward keeps, for each output, the index of the input it took (the
 * first of equal maxima in row-major window order); backward sends each
 * output's delta to that input alone. Rows and columns past the last whole
 * window (odd sizes) are never taken and get a zero delta. */
#include <string.h>

#include "nn_internal.h"

void pool_forward(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes, p = y->k, C = y->in.channels;
  for (int b = b0; b < b1; b++) {
    const float *in = net->act[l] + (size_t)b * s[l];
    float *out = net->act[l + 1] + (size_t)b * s[l + 1];
    int32_t *arg = y->argmax + (size_t)b * s[l + 1];
    for (int oy = 0; oy < y->out.rows; oy++)
      for (int ox = 0; ox < y->out.cols; ox++)
        for (int c = 0; c < C; c++) {
          int32_t best = (int32_t)(((size_t)oy * p * y->in.cols + (size_t)ox * p) * C + c);
          for (int ky = 0; ky < p; ky++)
            for (int kx = 0; kx < p; kx++) {
              const int32_t at = (int32_t)((((size_t)oy * p + ky) * y->in.cols + (size_t)ox * p + kx) * C + c);
              if (in[at] > in[best]) best = at;
            }
          const size_t o = ((size_t)oy * y->out.cols + ox) * C + c;
          out[o] = in[best];
          arg[o] = best;
        }
  }
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
