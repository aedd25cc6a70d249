/* kernels_gradient.c: the fast gradient gW = dz^T x, gb = column sums of dz,
 * and the same with plain SGD fused in: the weights are updated as each
 * block of the gradient is done, so gW is never stored. Also the one-row
 * (B = 1) update, alone or fused with the next row's forward. Rows and
 * chunks of x that are zero are skipped; the sums are kern_gradient_ref's.
 * Built only with vector extensions (kernels_simd.h); otherwise
 * kernels_ref.c supplies these. Other optimizers are optim.c's. */
#include "kernels.h"

#include "kernels_simd.h"

#if KERN_SIMD
/* ---- gradient: gW = dz^T x, gb = sum of dz rows ------------------------- */

/* Where the gradient goes: stored in gW, or (sgd) applied at once as
 * W -= lr * g, the very operations of optim.c's sgd, with a running mask of
 * parameters that came out non-finite. */
typedef struct {
  float *out; /* gW, or W for sgd; (n_out, n_in) */
  int sgd;
  float lr;
  vi bad; /* sgd: lanes -1 where a new parameter is not finite */
} grd_sink;

/* ro rows, cv vectors across, of the gradient at out, each summed over the
 * rows b of x in order: all B of them, or the n_rows listed in rows. */
INLINE void grd_block(grd_sink *sink, float *out, const float *dz, const float *x, int B, int n_in, int n_out, int ro,
                      int cv, const int *rows, int n_rows) {
  vf acc[GRD_RO][GRD_CV];
  for (int r = 0; r < ro; r++)
    for (int c = 0; c < cv; c++) acc[r][c] = (vf){0};
  const int n = rows ? n_rows : B;
  const float *xb = x, *db = dz;
  for (int k = 0; k < n; k++) {
    if (rows) {
      xb = x + (size_t)rows[k] * n_in;
      db = dz + (size_t)rows[k] * n_out;
    }
    vf xv[GRD_CV];
    for (int c = 0; c < cv; c++) xv[c] = ldv(xb + c * VW);
    for (int r = 0; r < ro; r++) {
      const vf d = splat(db[r]);
      for (int c = 0; c < cv; c++) acc[r][c] += d * xv[c];
    }
    xb += n_in;
    db += n_out;
  }
  if (sink->sgd) {
    const float lr = sink->lr;
    vi bad = {0};
    for (int r = 0; r < ro; r++)
      for (int c = 0; c < cv; c++) {
        float *dst = out + (size_t)r * n_in + c * VW;
        const vf p = ldv(dst) - acc[r][c] * lr;
        bad |= (vi)(p - p != (vf){0});
        stv(dst, p);
      }
    sink->bad |= bad;
  } else {
    for (int r = 0; r < ro; r++)
      for (int c = 0; c < cv; c++) stv(out + (size_t)r * n_in + c * VW, acc[r][c]);
  }
}

/* One vector (or, n < VW, the first n lanes) of the gradient into dst:
 * stored, or under sgd applied as W -= lr * g, noting non-finite results. */
INLINE void grd_put(grd_sink *sink, float *dst, vf acc, int n, vi *bad) {
  if (n == VW) {
    if (sink->sgd) {
      const vf p = ldv(dst) - acc * sink->lr;
      *bad |= (vi)(p - p != (vf){0});
      stv(dst, p);
    } else {
      stv(dst, acc);
    }
    return;
  }
  for (int j = 0; j < n; j++) {
    if (sink->sgd) {
      dst[j] -= sink->lr * acc[j];
      *bad |= (vi){0} - (dst[j] - dst[j] != 0.0f);
    } else {
      dst[j] = acc[j];
    }
  }
}

/* Rows o0..o1, columns i0..i1 of the gradient, four rows of gW (four
 * independent sums in flight) and a vector (or the last few columns,
 * zero-padded) at a time: what the tiles leave over, such as all of a
 * convolution's few columns over its many rows. Each entry is summed over
 * b in order, as everywhere. */
NOINLINE void grd_rest(grd_sink *sink, const float *dz, const float *x, int B, int n_in, int n_out, int o0, int o1,
                       int i0, int i1) {
  vi bad = {0};
  for (int i = i0; i < i1; i += VW) {
    const int n = i1 - i < VW ? i1 - i : VW;
    int o = o0;
    for (; o + 4 <= o1; o += 4) {
      vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
      for (int b = 0; b < B; b++) {
        vf xv = {0};
        if (n == VW) xv = ldv(x + (size_t)b * n_in + i);
        else
          for (int j = 0; j < n; j++) xv[j] = x[(size_t)b * n_in + i + j];
        const float *d = dz + (size_t)b * n_out + o;
        a0 += splat(d[0]) * xv;
        a1 += splat(d[1]) * xv;
        a2 += splat(d[2]) * xv;
        a3 += splat(d[3]) * xv;
      }
      grd_put(sink, sink->out + (size_t)o * n_in + i, a0, n, &bad);
      grd_put(sink, sink->out + (size_t)(o + 1) * n_in + i, a1, n, &bad);
      grd_put(sink, sink->out + (size_t)(o + 2) * n_in + i, a2, n, &bad);
      grd_put(sink, sink->out + (size_t)(o + 3) * n_in + i, a3, n, &bad);
    }
    for (; o < o1; o++) {
      vf acc = {0};
      for (int b = 0; b < B; b++) {
        vf xv = {0};
        if (n == VW) xv = ldv(x + (size_t)b * n_in + i);
        else
          for (int j = 0; j < n; j++) xv[j] = x[(size_t)b * n_in + i + j];
        acc += splat(dz[(size_t)b * n_out + o]) * xv;
      }
      grd_put(sink, sink->out + (size_t)o * n_in + i, acc, n, &bad);
    }
  }
  sink->bad |= bad;
}

/* Columns i .. i + GRD_CV*VW for all rows: the rows of x that are non-zero
 * there (unless rows is NULL), then the products. Under sgd a tile with no
 * such row is left alone: its gradient is +0, and W - lr * +0 is W bit for
 * bit. */
INLINE void grd_tile(grd_sink *sink, const float *dz, const float *x, int B, int n_in, int n_out, int o0, int o1, int i,
                     int *rows) {
  enum { T = GRD_CV * VW };
  int n_rows = B;
  if (rows) {
    n_rows = 0;
    for (int b = 0; b < B; b++) {
      rows[n_rows] = b;
      n_rows += any_nonzero(x + (size_t)b * n_in + i, T);
    }
    if (sink->sgd && n_rows == 0) return;
  }
  const int sparse = rows && SKIP_WORTH(n_rows, B);
  int o = o0;
  for (; o + GRD_RO <= o1; o += GRD_RO) {
    float *out = sink->out + (size_t)o * n_in + i;
    if (sparse) grd_block(sink, out, dz + o, x + i, B, n_in, n_out, GRD_RO, GRD_CV, rows, n_rows);
    else grd_block(sink, out, dz + o, x + i, B, n_in, n_out, GRD_RO, GRD_CV, NULL, 0);
  }
  if (o < o1) grd_rest(sink, dz, x, B, n_in, n_out, o, o1, i, i + T);
}

/* Rows o0..o1 of the gradient (and of gb): each entry is the same whatever
 * the range, so threads that split the rows get one thread's bits. */
static int grd_all(grd_sink *sink, float *gb, const float *dz, const float *x, int B, int n_in, int n_out, int o0,
                   int o1) {
  int list[LIST_MAX], *rows = B <= LIST_MAX ? list : NULL;
  int i = 0;
  for (; i + GRD_CV * VW <= n_in; i += GRD_CV * VW) grd_tile(sink, dz, x, B, n_in, n_out, o0, o1, i, rows);
  if (i < n_in) grd_rest(sink, dz, x, B, n_in, n_out, o0, o1, i, n_in);
  for (int o = o0; o < o1; o++) gb[o] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int o = o0; o < o1; o++) gb[o] += dz[(size_t)b * n_out + o];
  int bad = 0;
  for (int k = 0; k < VW; k++) bad |= sink->bad[k];
  return bad != 0;
}

void kern_gradient_part(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out, int o0,
                        int o1) {
  grd_sink sink = {gW, 0, 0.0f, {0}};
  grd_all(&sink, gb, dz, x, B, n_in, n_out, o0, o1);
}

void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  kern_gradient_part(gW, gb, dz, x, B, n_in, n_out, 0, n_out);
}

/* The 4-chunks where x or (if given) x2 is non-zero. */
static int nonzero_chunks(int *idx, const float *x, const float *x2, int n_in) {
  int n = 0;
  for (int k = 0; k < n_in / 4; k++) {
    idx[n] = 4 * k;
    n += any_nonzero(x + 4 * k, 4) | (x2 && any_nonzero(x2 + 4 * k, 4));
  }
  return n;
}

/* One row (B = 1) under sgd: W[o] -= lr * (+0 + dz[o] * x) over the
 * 4-chunks where x is non-zero; W is left alone where the gradient is +0. */
static int sgd_one_row(float *W, float *gb, const float *dz, const float *x, int n_in, int n_out, float lr) {
  int idx[LIST_MAX];
  const int n = nonzero_chunks(idx, x, NULL, n_in);
  i4 bad = {0};
  float *w = W;
  for (int o = 0; o < n_out; o++, w += n_in) {
    const float d = dz[o];
    const v4 dv = {d, d, d, d};
    for (int k = 0; k < n; k++) {
      const int i = idx[k];
      const v4 p = ld4(w + i) - ((v4){0} + dv * ld4(x + i)) * lr;
      bad |= (i4)(p - p); /* +0 where finite, NaN bits otherwise */
      memcpy(w + i, &p, sizeof p);
    }
    gb[o] = 0.0f + d;
  }
  return (bad[0] | bad[1] | bad[2] | bad[3]) != 0;
}

/* Rows o .. o+ro of kern_sgd_forward_one. A non-finite new weight makes
 * its row's lane sums non-finite too (0 * inf and 0 * NaN are NaN), so the
 * rows are checked through their sums, and only a row whose sum is not
 * finite is searched weight by weight: the same flag as checking each. */
INLINE void sgd_fwd_rows(float *w, const float *dz, const float *x, const float *xn, float *yn, const float *bias,
                         const int *idx, int n, int n_in, float lr, int ro, int *bad) {
  enum { R = 4 };
  v4 acc[R];
  for (int r = 0; r < ro; r++) acc[r] = (v4){0};
  for (int k = 0; k < n; k++) {
    /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): nonzero_chunks wrote idx[0..n) */
    const int i = idx[k];
    const v4 xv = ld4(x + i), nv = ld4(xn + i);
    for (int r = 0; r < ro; r++) {
      const float d = dz[r];
      float *wp = w + (size_t)r * n_in + i;
      const v4 p = ld4(wp) - ((v4){0} + (v4){d, d, d, d} * xv) * lr;
      memcpy(wp, &p, sizeof p);
      acc[r] += nv * p;
    }
  }
  for (int r = 0; r < ro; r++) {
    const i4 odd = (i4)(acc[r] - acc[r]); /* +0 where finite, NaN bits otherwise */
    if (odd[0] | odd[1] | odd[2] | odd[3])
      for (int k = 0; k < n; k++)
        for (int j = 0; j < 4; j++) {
          const float v = w[(size_t)r * n_in + idx[k] + j];
          *bad |= v - v != 0.0f;
        }
    yn[r] = bias[r] + ((acc[r][0] + acc[r][2]) + (acc[r][1] + acc[r][3]));
  }
}

int kern_sgd_forward_one(float *W, float *bias, float *gb, const float *dz, const float *x, const float *x_next,
                         float *y_next, int n_in, int n_out, float lr) {
  if (n_in % 4 || n_in / 4 > LIST_MAX) {
    const int bad = kern_gradient_sgd(W, bias, gb, dz, x, 1, n_in, n_out, lr);
    kern_forward(y_next, x_next, W, bias, 1, n_in, n_out);
    return bad;
  }
  /* Over the chunks where either row is non-zero: where x is zero the
   * gradient is +0 and the update leaves W as it is; where x_next is zero
   * the product adds +0 to lanes that are never -0. */
  int idx[LIST_MAX];
  const int n = nonzero_chunks(idx, x, x_next, n_in);
  int bad = 0;
  for (int o = 0; o < n_out; o++) {
    gb[o] = 0.0f + dz[o];
    bias[o] -= lr * gb[o];
    bad |= bias[o] - bias[o] != 0.0f;
  }
  int o = 0;
  for (; o + 4 <= n_out; o += 4)
    sgd_fwd_rows(W + (size_t)o * n_in, dz + o, x, x_next, y_next + o, bias + o, idx, n, n_in, lr, 4, &bad);
  for (; o < n_out; o++)
    sgd_fwd_rows(W + (size_t)o * n_in, dz + o, x, x_next, y_next + o, bias + o, idx, n, n_in, lr, 1, &bad);
  return bad;
}

int kern_gradient_sgd_part(float *W, float *bias, float *gb, const float *dz, const float *x, int B, int n_in,
                           int n_out, int o0, int o1, float lr) {
  grd_sink sink = {W, 1, lr, {0}};
  int bad = grd_all(&sink, gb, dz, x, B, n_in, n_out, o0, o1);
  for (int o = o0; o < o1; o++) {
    bias[o] -= lr * gb[o];
    bad |= bias[o] - bias[o] != 0.0f;
  }
  return bad;
}

int kern_gradient_sgd(float *W, float *bias, float *gb, const float *dz, const float *x, int B, int n_in, int n_out,
                      float lr) {
  if (!(B == 1 && n_in % 4 == 0 && n_in / 4 <= LIST_MAX))
    return kern_gradient_sgd_part(W, bias, gb, dz, x, B, n_in, n_out, 0, n_out, lr);
  int bad = sgd_one_row(W, gb, dz, x, n_in, n_out, lr);
  for (int o = 0; o < n_out; o++) {
    bias[o] -= lr * gb[o];
    bad |= bias[o] - bias[o] != 0.0f;
  }
  return bad;
}
#endif
