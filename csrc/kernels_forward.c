/* kernels_forward.c: the fast forward product y = x W^T + bias, register
 * blocked, with rows taken in groups that share each block of W while it
 * sits in L1, and the 4-chunks of x that are zero skipped. Per output it
 * does the float operations of kern_forward_ref in the same order. Built
 * only with vector extensions (kernels_simd.h); otherwise kernels_ref.c
 * supplies kern_forward. The backward and gradient products are in
 * kernels_backward.c and kernels_gradient.c. */
#include "kernels.h"

#include "kernels_simd.h"

#if KERN_SIMD
/* ---- forward: y = x W^T + bias ------------------------------------------ */

/* x[i..i+3] in each of the G quarters of a vector */
INLINE vf fwd_x(const float *p) {
#if G == 2
  v4 a = ld4(p);
  return __builtin_shufflevector(a, a, 0, 1, 2, 3, 0, 1, 2, 3);
#else
  return ldv(p);
#endif
}

/* The last n_in % 4 values at p, then zeros: a row's tail, which the
 * documented order adds to lanes 0.. after the whole chunks (a product
 * with a zero adds +0, which leaves a lane sum as it is). */
INLINE v4 ld4_tail(const float *p, int n) {
  v4 a = {0};
  for (int j = 0; j < n; j++) a[j] = p[j];
  return a;
}

INLINE vf fwd_x_tail(const float *p, int n) {
#if G == 2
  v4 a = ld4_tail(p, n);
  return __builtin_shufflevector(a, a, 0, 1, 2, 3, 0, 1, 2, 3);
#else
  return ld4_tail(p, n);
#endif
}

INLINE vf fwd_w_tail(const float *p, int n_in, int n) {
#if G == 2
  return __builtin_shufflevector(ld4_tail(p, n), ld4_tail(p + n_in, n), 0, 1, 2, 3, 4, 5, 6, 7);
#else
  (void)n_in;
  return ld4_tail(p, n);
#endif
}

/* W[o+g][i..i+3] in quarter g */
INLINE vf fwd_w(const float *p, int n_in) {
#if G == 2
  return __builtin_shufflevector(ld4(p), ld4(p + n_in), 0, 1, 2, 3, 4, 5, 6, 7);
#else
  (void)n_in;
  return ldv(p);
#endif
}

/* rb rows of x against ro*G rows of W. idx lists the whole 4-chunks to
 * visit (an i each), or is NULL for all of them; the tail of n_in % 4 is
 * always visited, last. */
INLINE void fwd_block(float *y, const float *x, const float *W, const float *bias, int n_in, int n_out, int rb, int ro,
                      const int *idx, int n_idx) {
  vf acc[FWD_RB][FWD_MAXRO];
  for (int r = 0; r < rb; r++)
    for (int c = 0; c < ro; c++) acc[r][c] = (vf){0};
  const int n = idx ? n_idx : n_in / 4;
  for (int k = 0; k < n; k++) {
    const int i = idx ? idx[k] : 4 * k;
    vf xv[FWD_RB];
    for (int r = 0; r < rb; r++) xv[r] = fwd_x(x + (size_t)r * n_in + i);
    for (int c = 0; c < ro; c++) {
      const vf w = fwd_w(W + (size_t)c * G * n_in + i, n_in);
      for (int r = 0; r < rb; r++) acc[r][c] += xv[r] * w;
    }
  }
  const int whole = n_in & ~3, tail = n_in & 3;
  if (tail) {
    vf xv[FWD_RB];
    for (int r = 0; r < rb; r++) xv[r] = fwd_x_tail(x + (size_t)r * n_in + whole, tail);
    for (int c = 0; c < ro; c++) {
      const vf w = fwd_w_tail(W + (size_t)c * G * n_in + whole, n_in, tail);
      for (int r = 0; r < rb; r++) acc[r][c] += xv[r] * w;
    }
  }
  for (int r = 0; r < rb; r++)
    for (int c = 0; c < ro; c++)
      for (int g = 0; g < G; g++) {
        const vf a = acc[r][c];
        const int o = c * G + g;
        y[(size_t)r * n_out + o] = bias[o] + ((a[4 * g] + a[4 * g + 2]) + (a[4 * g + 1] + a[4 * g + 3]));
      }
}

/* Outputs o0.. of rb rows, one at a time: what the blocks leave over. */
NOINLINE void fwd_rest(float *y, const float *x, const float *W, const float *bias, int rb, int n_in, int n_out,
                       int o0) {
  for (int r = 0; r < rb; r++)
    for (int o = o0; o < n_out; o++) {
      const float *xr = x + (size_t)r * n_in, *w = W + (size_t)o * n_in;
      v4 a = {0};
      int i = 0;
      for (; i + 4 <= n_in; i += 4) a += ld4(xr + i) * ld4(w + i);
      if (i < n_in) a += ld4_tail(xr + i, n_in - i) * ld4_tail(w + i, n_in - i);
      y[(size_t)r * n_out + o] = bias[o] + ((a[0] + a[2]) + (a[1] + a[3]));
    }
}

/* nb blocks of rb rows (FWD_GROUP rows at most), each block with its own
 * list of the chunks where any of its rows is non-zero (-1: visit all;
 * measured in wasm, the list pays as soon as it skips any chunk of two
 * rows, and for one row where SKIP_WORTH says so). The group then meets W
 * one block of outputs at a time, whose few rows of W stay in L1 while
 * every block of rows passes. The sums are the same. */
#ifndef FWD_GROUP
#define FWD_GROUP 8 /* rows */
#endif
enum { FWD_NB = FWD_GROUP / FWD_RB > 0 ? FWD_GROUP / FWD_RB : 1 };
INLINE void fwd_group(float *y, const float *x, const float *W, const float *bias, int n_in, int n_out, int rb, int ro,
                      int nb) {
  int idx[FWD_NB][LIST_MAX], n_idx[FWD_NB];
  const int chunks = n_in / 4;
  for (int p = 0; p < nb; p++) {
    int n = 0;
    for (int k = 0; k < chunks; k++) {
      int any = 0;
      for (int r = 0; r < rb; r++) any |= any_nonzero(x + (size_t)(p * rb + r) * n_in + 4 * k, 4);
      idx[p][n] = 4 * k;
      n += any;
    }
    n_idx[p] = (rb > 1 ? n < chunks : SKIP_WORTH(n, chunks)) ? n : -1;
  }
  int o = 0;
  for (; o + ro * G <= n_out; o += ro * G)
    for (int p = 0; p < nb; p++) {
      float *yp = y + (size_t)p * rb * n_out + o;
      const float *xp = x + (size_t)p * rb * n_in, *Wo = W + (size_t)o * n_in;
      if (n_idx[p] >= 0) fwd_block(yp, xp, Wo, bias + o, n_in, n_out, rb, ro, idx[p], n_idx[p]);
      else fwd_block(yp, xp, Wo, bias + o, n_in, n_out, rb, ro, NULL, 0);
    }
  if (o < n_out) fwd_rest(y, x, W, bias, nb * rb, n_in, n_out, o);
}

void kern_forward(float *y, const float *x, const float *W, const float *bias, int B, int n_in, int n_out) {
  if (n_in / 4 > LIST_MAX) {
    kern_forward_ref(y, x, W, bias, B, n_in, n_out);
    return;
  }
  int b = 0;
  while (B - b >= FWD_RB) {
    const int nb = (B - b) / FWD_RB < FWD_NB ? (B - b) / FWD_RB : FWD_NB;
    fwd_group(y + (size_t)b * n_out, x + (size_t)b * n_in, W, bias, n_in, n_out, FWD_RB, FWD_RO, nb);
    b += nb * FWD_RB;
  }
  for (; b < B; b++) fwd_group(y + (size_t)b * n_out, x + (size_t)b * n_in, W, bias, n_in, n_out, 1, FWD1_RO, 1);
}
#endif
