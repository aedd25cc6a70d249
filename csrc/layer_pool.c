/* layer_pool.c: PxP max pooling, stride P, of maps rows x cols x channels.
 * Forward keeps, for each output, the index of the input it took (the
 * first of equal maxima in row-major window order); backward sends each
 * output's delta to that input alone. Rows and columns past the last whole
 * window (odd sizes) are never taken and get a zero delta. */
#include <string.h>

#include "nn_internal.h"

void pool_forward(nn_net *net, int l, int b0, int b1) {
  const net_layer *y = &net->layer[l];
  const int *s = net->cfg.sizes, p = y->k, C = y->in.channels, ow = y->out.cols;
  const size_t row = (size_t)y->in.cols * C; /* floats of an input row */
  for (int b = b0; b < b1; b++) {
    const float *in = net->act[l] + (size_t)b * s[l];
    for (int oy = 0; oy < y->out.rows; oy++) {
      float *out = net->act[l + 1] + (size_t)b * s[l + 1] + (size_t)oy * ow * C;
      int32_t *arg = y->argmax + (size_t)b * s[l + 1] + (size_t)oy * ow * C;
      /* each window's first pixel, then the others in row-major order: a
       * later one takes over only if it is larger, so the first of equal
       * maxima wins; the channels, contiguous, go side by side */
      for (int ky = 0; ky < p; ky++)
        for (int kx = 0; kx < p; kx++)
          for (int ox = 0; ox < ow; ox++) {
            const size_t at = (size_t)(oy * p + ky) * row + (size_t)(ox * p + kx) * C;
            const float *px = in + at;
            float *o = out + (size_t)ox * C;
            int32_t *a = arg + (size_t)ox * C;
            if (ky == 0 && kx == 0) {
              for (int c = 0; c < C; c++) {
                o[c] = px[c];
                a[c] = (int32_t)(at + (size_t)c);
              }
            } else {
              for (int c = 0; c < C; c++)
                if (px[c] > o[c]) {
                  o[c] = px[c];
                  a[c] = (int32_t)(at + (size_t)c);
                }
            }
          }
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
