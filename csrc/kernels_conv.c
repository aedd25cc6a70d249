/* kernels_conv.c: a convolution's three products computed directly on the
 * maps (no patch matrix), in the orders kernels.h gives, and max pooling. Each vector holds
 * outputs of their own (filters in the forward, a patch row's values in the
 * gradients), so any vector width gives the same bits, and so does the
 * plain-C build. A product with an exact zero adds nothing to a sum that
 * starts at +0 (kernels_simd.h), so zero pixels (most of a digit) and zero
 * deltas (max pooling passes one in four back, relu about half of those)
 * are skipped with the very same bits, given finite weights. */
#include "kernels.h"

#include <stdint.h>
#include <string.h>

#include "kernels_simd.h"

#if !KERN_SIMD
#define VW 1
typedef float vf;
static inline vf ldv(const float *p) { return *p; }
static inline void stv(float *p, vf v) { *p = v; }
static inline vf splat(float s) { return s; }
#define INLINE static inline
#define NOINLINE static __attribute__((noinline))
#endif

#define CONV_FV 4 /* forward: vectors of filters summed at once (16 registers in wasm) */
#define CONV_PX 8 /* forward: output pixels summed at once, at most */

void kern_conv_orders(float *wt, float *wp, const float *W, kern_conv g) {
  const int K = g.k, C = g.channels, F = g.filters, KKC = K * K * C, FP = KERN_CONV_PAD(F);
  for (int j = 0; j < KKC; j++)
    for (int f = F; f < FP; f++) wt[(size_t)j * FP + f] = 0.0f;
  for (int f = 0; f < F; f++)
    for (int c = 0; c < C; c++)
      for (int ky = 0; ky < K; ky++)
        for (int kx = 0; kx < K; kx++) {
          const int j = (ky * K + kx) * C + c;
          const float v = W[(((size_t)f * C + c) * K + ky) * K + kx];
          wp[(size_t)f * KKC + j] = v;
          wt[(size_t)j * FP + f] = v;
        }
}

/* Output pixels (oy, ox .. ox + PX), filters f0 .. f0 + NV*VW: PX x NV
 * vectors of sums in registers, each weight vector loaded once for the PX
 * pixels; a tap that is zero in all of them is skipped. The patch rows are
 * K*C values, contiguous in x. */
INLINE void fwd_block(float *z, const float *x, const float *wt, const float *bias, kern_conv g, int oy, int ox, int f0,
                      int PX, int NV, int SKIP) {
  const int K = g.k, C = g.channels, KC = K * C, F = g.filters, FP = KERN_CONV_PAD(F);
  vf acc[CONV_PX][CONV_FV];
  for (int i = 0; i < PX; i++)
    for (int q = 0; q < NV; q++) acc[i][q] = splat(0.0f);
  for (int ky = 0; ky < K; ky++) {
    const float *row = x + ((size_t)(oy + ky) * g.cols + ox) * C;
    const float *w = wt + (size_t)ky * KC * FP + f0;
    for (int t = 0; t < KC; t++, w += FP) {
      float v[CONV_PX];
      int any = 0;
      for (int i = 0; i < PX; i++) {
        v[i] = row[i * C + t];
        any |= v[i] != 0.0f;
      }
      if (SKIP && !any) continue;
      vf s[CONV_PX];
      for (int i = 0; i < PX; i++) s[i] = splat(v[i]);
      for (int q = 0; q < NV; q++) {
        const vf wq = ldv(w + q * VW);
        for (int i = 0; i < PX; i++) acc[i][q] += s[i] * wq;
      }
    }
  }
  for (int i = 0; i < PX; i++) {
    float *out = z + ((size_t)oy * (g.cols - K + 1) + ox + i) * F + f0;
    for (int q = 0; q < NV; q++) {
      const int f = f0 + q * VW;
      if (f + VW <= F) {
        stv(out + q * VW, ldv(bias + f) + acc[i][q]);
      } else {
        float lanes[VW];
        stv(lanes, acc[i][q]);
        for (int j = 0; f + j < F; j++) out[q * VW + j] = bias[f + j] + lanes[j];
      }
    }
  }
}

/* An output row's pixels PX at a time, with constant counts, so that the
 * sums stay in registers: PX * NV <= 8 vectors of them. */
INLINE void fwd_row_of(float *z, const float *x, const float *wt, const float *bias, kern_conv g, int oy, int f0,
                       int NV, int SKIP) {
  const int ocols = g.cols - g.k + 1, PX = NV > 2 ? 2 : NV > 1 ? 4 : CONV_PX;
  int ox = 0;
  for (; ox + PX <= ocols; ox += PX) fwd_block(z, x, wt, bias, g, oy, ox, f0, PX, NV, SKIP);
  for (; ox < ocols; ox++) fwd_block(z, x, wt, bias, g, oy, ox, f0, 1, NV, SKIP);
}

/* The same, with the loops over a 5x5 one-channel patch unrolled where the
 * map is sparse: a digit's first convolution (its taps cost more in loop
 * overhead than in products). */
INLINE void fwd_row(float *z, const float *x, const float *wt, const float *bias, kern_conv g, int oy, int f0, int NV,
                    int SKIP) {
  if (SKIP && g.k == 5 && g.channels == 1) {
    kern_conv c = g;
    c.k = 5;
    c.channels = 1;
    fwd_row_of(z, x, wt, bias, c, oy, f0, NV, SKIP);
  } else {
    fwd_row_of(z, x, wt, bias, g, oy, f0, NV, SKIP);
  }
}

/* One function for each count of filter vectors, zeros skipped or not:
 * small functions, which wasm engines compile in little memory. */
typedef void fwd_rows_fn(float *z, const float *x, const float *wt, const float *bias, kern_conv g, int f0);
#define FWD_ROWS(NV, SKIP)                                                                                        \
  NOINLINE void fwd_rows_##NV##_##SKIP(float *z, const float *x, const float *wt, const float *bias, kern_conv g, \
                                       int f0) {                                                                  \
    for (int oy = 0; oy < g.rows - g.k + 1; oy++) fwd_row(z, x, wt, bias, g, oy, f0, NV, SKIP);                   \
  }
FWD_ROWS(1, 0)
FWD_ROWS(1, 1)
FWD_ROWS(2, 0)
FWD_ROWS(2, 1)
FWD_ROWS(3, 0)
FWD_ROWS(3, 1)
FWD_ROWS(4, 0)
FWD_ROWS(4, 1)
static fwd_rows_fn *const fwd_rows[CONV_FV][2] = {{fwd_rows_1_0, fwd_rows_1_1},
                                                  {fwd_rows_2_0, fwd_rows_2_1},
                                                  {fwd_rows_3_0, fwd_rows_3_1},
                                                  {fwd_rows_4_0, fwd_rows_4_1}};

/* Taps that are zero in all of a block's pixels are skipped where the map
 * is mostly zeros (a digit's pixels); elsewhere the test costs more than
 * it saves. Either way the bits are the same. */
void kern_conv_forward(float *z, const float *x, const float *wt, const float *bias, kern_conv g) {
  const size_t n = (size_t)g.rows * g.cols * g.channels;
  size_t zeros = 0;
  for (size_t i = 0; i < n; i++) zeros += x[i] == 0.0f;
  const int sparse = zeros * 2 > n, vectors = KERN_CONV_PAD(g.filters) / VW;
  for (int v0 = 0; v0 < vectors; v0 += CONV_FV) {
    const int nv = vectors - v0 < CONV_FV ? vectors - v0 : CONV_FV;
    fwd_rows[nv - 1][sparse](z, x, wt, bias, g, v0 * VW);
  }
}

/* dst (n) += d * src (n), a vector at a time: every lane its own sum. */
INLINE void add_scaled(float *dst, const float *src, float d, int n) {
  const vf s = splat(d);
  int t = 0;
  for (; t + VW <= n; t += VW) stv(dst + t, ldv(dst + t) + s * ldv(src + t));
  for (; t < n; t++) dst[t] += d * src[t];
}

/* K rows of n values: dst row ky (stride ds) += d * src row ky (stride ss). */
INLINE void patch_add(float *dst, size_t ds, const float *src, size_t ss, float d, int K, int n) {
  for (int ky = 0; ky < K; ky++) add_scaled(dst + ky * ds, src + ky * ss, d, n);
}

void kern_conv_backward(float *dx, const float *dz, const float *wp, kern_conv g) {
  const int K = g.k, C = g.channels, KC = K * C, F = g.filters;
  const int orows = g.rows - K + 1, ocols = g.cols - K + 1;
  for (size_t i = 0; i < (size_t)g.rows * g.cols * C; i++) dx[i] = 0.0f;
  for (int oy = 0; oy < orows; oy++)
    for (int ox = 0; ox < ocols; ox++) {
      const float *d = dz + ((size_t)oy * ocols + ox) * F;
      for (int f = 0; f < F; f++) {
        if (d[f] == 0.0f) continue;
        patch_add(dx + ((size_t)oy * g.cols + ox) * C, (size_t)g.cols * C, wp + (size_t)f * K * KC, KC, d[f], K, KC);
      }
    }
}

/* The positions in ox0..ox1 of output row oy where one filter's delta is
 * not zero, as offsets of their patches in x (from `base`), and the
 * deltas: gathered without a branch per delta, since which are zero is data
 * a branch predictor does not learn. */
enum { GRAD_RUN = 256 };
INLINE int nonzero_deltas(int *patch_at, float *delta, const float *d, kern_conv g, int base, int oy, int ox0,
                          int ox1) {
  const int ocols = g.cols - g.k + 1;
  int n = 0;
  for (int ox = ox0; ox < ox1; ox++) {
    const float v = d[((size_t)oy * ocols + ox) * g.filters];
    patch_at[n] = base + (oy * g.cols + ox) * g.channels;
    delta[n] = v;
    n += v != 0.0f;
  }
  return n;
}

/* sums (NV vectors) += each delta times the NV vectors at its patch_at in
 * x: the sums stay in registers over the whole run. */
INLINE void add_run(float *sums, const int *patch_at, const float *delta, int n, const float *x, int NV) {
  vf acc[4];
  for (int q = 0; q < NV; q++) acc[q] = ldv(sums + q * VW);
  for (int i = 0; i < n; i++) {
    const vf d = splat(delta[i]);
    const float *p = x + patch_at[i];
    for (int q = 0; q < NV; q++) acc[q] += d * ldv(p + q * VW);
  }
  for (int q = 0; q < NV; q++) stv(sums + q * VW, acc[q]);
}

/* sums (K*K*C in patch order, then the bias's) += each delta times its
 * patch, a patch row at a time, in runs of a few vectors whose sums stay in
 * registers. A 5x5 one-channel filter (a digit's first convolution) keeps
 * all 26 in registers at once. Each sum takes the deltas in order. */
INLINE void add_patches(float *sums, const int *patch_at, const float *delta, int n, const float *x, kern_conv g) {
  const int K = g.k, KC = K * g.channels;
  const size_t row = (size_t)g.cols * g.channels;
  if (K == 5 && KC == 5) {
    float acc[26];
    for (int j = 0; j < 26; j++) acc[j] = sums[j];
    for (int i = 0; i < n; i++) {
      const float *p = x + patch_at[i], d = delta[i];
      for (int ky = 0; ky < 5; ky++)
        for (int kx = 0; kx < 5; kx++) acc[ky * 5 + kx] += d * p[ky * row + kx];
      acc[25] += d;
    }
    for (int j = 0; j < 26; j++) sums[j] = acc[j];
    return;
  }
  float bias = sums[K * KC];
  for (int i = 0; i < n; i++) bias += delta[i];
  sums[K * KC] = bias;
  for (int ky = 0; ky < K; ky++) {
    float *s = sums + (size_t)ky * KC;
    const float *xr = x + ky * row;
    int t = 0;
    for (; t + 4 * VW <= KC; t += 4 * VW) add_run(s + t, patch_at, delta, n, xr + t, 4);
    for (; t + VW <= KC; t += VW) add_run(s + t, patch_at, delta, n, xr + t, 1);
    for (; t < KC; t++) {
      float a = s[t];
      for (int i = 0; i < n; i++) a += delta[i] * xr[patch_at[i] + t];
      s[t] = a;
    }
  }
}

/* The filters' gradient: gp[f] (patch order) += each non-zero dz[p][f]
 * times p's patch, the deltas gathered into runs first; then gp into W's
 * order. Each entry sums over the samples' output pixels in order. Most
 * deltas are zero (max pooling passes one in four back, relu about half of
 * those): 85-88% in the convnet's two convolutions. The bias's sum waits in
 * gp too, after its filter's: with gb's floats side by side, two threads
 * summing neighbouring filters shared a cache line. */
void kern_conv_gradient(float *gW, float *gb, float *gp, const float *dz, const float *x, int samples, kern_conv g,
                        int f0, int f1) {
  const int K = g.k, C = g.channels, KKC = K * K * C, GS = KERN_CONV_GP_STRIDE(KKC);
  const int orows = g.rows - K + 1, ocols = g.cols - K + 1;
  const int in = g.rows * g.cols * C;
  const size_t out = (size_t)orows * ocols * g.filters;
  int patch_at[GRAD_RUN] = {0}; /* (the analyzer cannot follow n) */
  float delta[GRAD_RUN] = {0};
  for (int f = f0; f < f1; f++) {
    float *sums = gp + (size_t)f * GS;
    for (int j = 0; j <= KKC; j++) sums[j] = 0.0f;
    int n = 0;
    for (int s = 0; s < samples; s++)
      for (int oy = 0; oy < orows; oy++)
        for (int ox = 0; ox < ocols; ox += GRAD_RUN) {
          const int end = ox + GRAD_RUN < ocols ? ox + GRAD_RUN : ocols;
          if (n + end - ox > GRAD_RUN) {
            add_patches(sums, patch_at, delta, n, x, g);
            n = 0;
          }
          n += nonzero_deltas(patch_at + n, delta + n, dz + s * out + f, g, s * in, oy, ox, end);
        }
    add_patches(sums, patch_at, delta, n, x, g);
  }
  for (int f = f0; f < f1; f++) {
    const float *sums = gp + (size_t)f * GS;
    gb[f] = sums[KKC];
    for (int c = 0; c < C; c++)
      for (int ky = 0; ky < K; ky++)
        for (int kx = 0; kx < K; kx++) gW[(((size_t)f * C + c) * K + ky) * K + kx] = sums[(ky * K + kx) * C + c];
  }
}

/* Max pooling, a vector of channels at a time where they fill vectors:
 * compare and select, not branches (which of two values wins is data, not
 * a pattern a branch predictor learns: a branch cost an eighth of a step).
 * The first of equal maxima keeps its place, and NaN never takes one, as
 * in the plain loop that takes the channels left over. */
void kern_max_pool(float *out, int32_t *arg, const float *in, int rows, int cols, int channels, int p) {
  const int C = channels, orows = rows / p, ocols = cols / p;
  const size_t row = (size_t)cols * C;
#if KERN_SIMD
  const int vectors = C % VW ? 0 : C / VW;
  vi iota;
  for (int c = 0; c < VW; c++) iota[c] = c;
#else
  const int vectors = 0;
#endif
  for (int oy = 0; oy < orows; oy++)
    for (int ox = 0; ox < ocols; ox++) {
      float *o = out + ((size_t)oy * ocols + ox) * C;
      int32_t *a = arg + ((size_t)oy * ocols + ox) * C;
      const size_t first = (size_t)oy * p * row + (size_t)ox * p * C;
#if KERN_SIMD
      for (int q = 0; q < vectors; q++) {
        const size_t at0 = first + (size_t)q * VW;
        vf best = ldv(in + at0);
        vi at = iota + (int32_t)at0;
        for (int ky = 0; ky < p; ky++)
          for (int kx = 0; kx < p; kx++) {
            const size_t i = at0 + (size_t)ky * row + (size_t)kx * C;
            const vf v = ldv(in + i);
            const vi wins = (vi)(v > best);
            best = (vf)(((vi)v & wins) | ((vi)best & ~wins));
            at = ((iota + (int32_t)i) & wins) | (at & ~wins);
          }
        stv(o + q * VW, best);
        memcpy(a + q * VW, &at, sizeof at);
      }
#endif
      for (int c = vectors * VW; c < C; c++) {
        float m = in[first + (size_t)c];
        int32_t w = (int32_t)(first + (size_t)c);
        for (int ky = 0; ky < p; ky++)
          for (int kx = 0; kx < p; kx++) {
            const size_t i = first + (size_t)ky * row + (size_t)kx * C + (size_t)c;
            if (in[i] > m) {
              m = in[i];
              w = (int32_t)i;
            }
          }
        o[c] = m;
        a[c] = w;
      }
    }
}
