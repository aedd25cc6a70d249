/* kernels_backward.c: the fast backward product dx = dz W, register blocked,
 * its vectors running along a row of W so that every lane is an output of
 * its own, each summed over o in the order of kern_backward_ref. Built only
 * with vector extensions (kernels_simd.h); otherwise kernels_ref.c supplies
 * kern_backward. The weight gradient is kernels_gradient.c. */
#include "kernels.h"

#include "kernels_simd.h"

#if KERN_SIMD
/* ---- backward: dx = dz W ------------------------------------------------ */

/* rb rows of dx, cv vectors across, summed over o = 0.. in order. */
INLINE void bwd_block(float *dx, const float *dz, const float *W, int n_in, int n_out, int rb, int cv) {
  vf acc[BWD_RB][BWD_CV];
  for (int r = 0; r < rb; r++)
    for (int c = 0; c < cv; c++) acc[r][c] = (vf){0};
  const float *w = W;
  for (int o = 0; o < n_out; o++, w += n_in) {
    vf wv[BWD_CV];
    for (int c = 0; c < cv; c++) wv[c] = ldv(w + c * VW);
    for (int r = 0; r < rb; r++) {
      const vf d = splat(dz[(size_t)r * n_out + o]);
      for (int c = 0; c < cv; c++) acc[r][c] += d * wv[c];
    }
  }
  for (int r = 0; r < rb; r++)
    for (int c = 0; c < cv; c++) stv(dx + (size_t)r * n_in + c * VW, acc[r][c]);
}

/* Columns i0.. of rb rows, one at a time. */
NOINLINE void bwd_rest(float *dx, const float *dz, const float *W, int rb, int n_in, int n_out, int i0) {
  for (int r = 0; r < rb; r++)
    for (int i = i0; i < n_in; i++) {
      float s = 0.0f;
      for (int o = 0; o < n_out; o++) s += dz[(size_t)r * n_out + o] * W[(size_t)o * n_in + i];
      dx[(size_t)r * n_in + i] = s;
    }
}

INLINE void bwd_rows(float *dx, const float *dz, const float *W, int n_in, int n_out, int rb) {
  int i = 0;
  for (; i + BWD_CV * VW <= n_in; i += BWD_CV * VW) bwd_block(dx + i, dz, W + i, n_in, n_out, rb, BWD_CV);
  if (i < n_in) bwd_rest(dx, dz, W, rb, n_in, n_out, i);
}

void kern_backward(float *dx, const float *dz, const float *W, int B, int n_in, int n_out) {
  int b = 0;
  for (; b + BWD_RB <= B; b += BWD_RB) bwd_rows(dx + (size_t)b * n_in, dz + (size_t)b * n_out, W, n_in, n_out, BWD_RB);
  for (; b < B; b++) bwd_rows(dx + (size_t)b * n_in, dz + (size_t)b * n_out, W, n_in, n_out, 1);
}
#endif
