/* kernels.c: the matrix products of forward, backward and gradient, and a
 * portable exp/log. Each product comes twice: a plain reference loop that
 * spells out the summation order of kernels.h, and a register-blocked fast
 * version written with GCC/clang vector extensions, which clang lowers to
 * wasm SIMD (-msimd128) and GCC to SSE/AVX (-march=native). The fast
 * versions perform the very same float operations per output element, in
 * the same order, only several outputs at a time, skipping stretches of
 * zero input; tests/c/test_nn.c holds them to the reference bit for bit,
 * natively and in wasm. Plain SGD can ride in the gradient kernel (the
 * weights are updated as each block of the gradient is done). This file
 * knows nothing about layers or losses. */
#include "kernels.h"

#include <stdint.h>
#include <string.h>

/* ---- reference: the documented orders, element by element --------------- */

/* Four lane sums of x[i] * w[i], lane k taking i = k mod 4 in increasing i. */
static inline void dot4_lanes(float lane[4], const float *x, const float *w, int n) {
  for (int k = 0; k < 4; k++) lane[k] = 0.0f;
  for (int i = 0; i < n; i++) lane[i & 3] += x[i] * w[i];
}

static inline float reduce4(const float l[4]) { return (l[0] + l[2]) + (l[1] + l[3]); }

void kern_forward_ref(float *y, const float *x, const float *W, const float *bias,
                      int B, int n_in, int n_out) {
  for (int b = 0; b < B; b++)
    for (int o = 0; o < n_out; o++) {
      float lane[4];
      dot4_lanes(lane, x + (size_t)b * n_in, W + (size_t)o * n_in, n_in);
      y[(size_t)b * n_out + o] = bias[o] + reduce4(lane);
    }
}

void kern_backward_ref(float *dx, const float *dz, const float *W, int B, int n_in, int n_out) {
  for (int b = 0; b < B; b++)
    for (int i = 0; i < n_in; i++) {
      float s = 0.0f;
      for (int o = 0; o < n_out; o++) s += dz[(size_t)b * n_out + o] * W[(size_t)o * n_in + i];
      dx[(size_t)b * n_in + i] = s;
    }
}

/* gW[o][i] (x non-NULL) or gb[o] (x NULL), summed over b in increasing order. */
static float gradient_entry(const float *dz, const float *x, int B, int n_in, int n_out, int o, int i) {
  float s = 0.0f;
  for (int b = 0; b < B; b++) s += dz[(size_t)b * n_out + o] * (x ? x[(size_t)b * n_in + i] : 1.0f);
  return s;
}

void kern_gradient_ref(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  for (int o = 0; o < n_out; o++) {
    gb[o] = gradient_entry(dz, NULL, B, n_in, n_out, o, 0);
    for (int i = 0; i < n_in; i++) gW[(size_t)o * n_in + i] = gradient_entry(dz, x, B, n_in, n_out, o, i);
  }
}

/* ---- exp and log -------------------------------------------------------- */

static inline float bits_to_float(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline uint32_t float_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

/* Cephes expf: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial.
 * n is found by the 1.5*2^23 rounding trick, which needs no float-to-int
 * conversion and so stays defined for NaN. vexp below is the same sequence
 * of operations, lane by lane. */
float kern_exp(float x) {
  if (x > 88.0f) x = 88.0f;
  if (x < -87.0f) x = -87.0f;               /* NaN passes both tests unchanged */
  const float shifter = 12582912.0f;        /* 1.5 * 2^23 */
  float t = x * 1.44269504088896341f + shifter;
  float n = t - shifter;                    /* round(x / ln2) */
  float r = x - n * 0.693359375f;           /* ln2 in two parts: exact n * hi */
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t k = (int32_t)(float_to_bits(t) - float_to_bits(shifter)); /* = n, in -126..127 */
  return p * bits_to_float((uint32_t)(k + 127) << 23);
}

/* Cephes logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m by a
 * polynomial in m - 1. For finite x > 0; returns -inf for 0, NaN below. */
float kern_log(float x) {
  if (!(x > 0.0f)) return x == 0.0f ? -1.0f / 0.0f : 0.0f / 0.0f;
  if (x > 3.4e38f) return x;                /* +inf */
  uint32_t u = float_to_bits(x);
  int e = 0;
  if (u < 0x00800000u) {                    /* subnormal: scale into the normal range */
    x *= 16777216.0f;
    u = float_to_bits(x);
    e = -24;
  }
  e += (int)(u >> 23) - 126;
  float m = bits_to_float((u & 0x007fffffu) | 0x3f000000u);   /* in [0.5, 1) */
  if (m < 0.707106781186547524f) { e -= 1; m = m + m - 1.0f; } else { m = m - 1.0f; }
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  float fe = (float)e;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

/* NN_SCALAR_KERNELS builds the plain-C fallback anywhere, so that it is tested too. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(NN_SCALAR_KERNELS)
/* ---- fast kernels: vector extensions ------------------------------------- */

/* VW: lanes of a vector. Backward and gradient run their vectors along a
 * row (i), where every lane is an output of its own, so any width gives the
 * same bits. The forward keeps each output's 4 lane sums in one v4, or, with
 * AVX, two outputs' in one v8 (x repeated in both halves). Block sizes fit
 * the register file: 16 vector registers in wasm (V8 keeps one for itself),
 * SSE and AVX2; 32 with AVX-512VL (to tune, set all seven with -D). */
#if defined(__AVX__)
#define VW 8
#else
#define VW 4
#endif
#define G (VW / 4) /* forward: outputs per vector */
#ifndef FWD_RB /* block sizes */
#if defined(__AVX512VL__)
#define FWD_RB 4  /* forward: rows of x per block */
#define FWD_RO 4  /*          vectors of outputs per block (G outputs each) */
#define FWD1_RO 8 /*          ... when a block has one row */
#define GRD_RO 4  /* gradient: rows of gW per block */
#define GRD_CV 4  /*           vectors across per block */
#define BWD_RB 4  /* backward: rows of dx per block */
#define BWD_CV 4  /*           vectors across per block */
#else
#define FWD_RB 2
#define FWD_RO 4
#define FWD1_RO 8
#define GRD_RO 4
#define GRD_CV 2
#define BWD_RB 4
#define BWD_CV 2
#endif
#endif
#define FWD_MAXRO (FWD_RO > FWD1_RO ? FWD_RO : FWD1_RO)

typedef float v4 __attribute__((vector_size(16)));
typedef float vf __attribute__((vector_size(VW * 4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));
typedef int32_t i4 __attribute__((vector_size(16)));

#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))

INLINE v4 ld4(const float *p) { v4 v; memcpy(&v, p, sizeof v); return v; }
INLINE vf ldv(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
INLINE void stv(float *p, vf v) { memcpy(p, &v, sizeof v); }
#if VW == 8
INLINE vf splat(float s) { return (vf){s, s, s, s, s, s, s, s}; }
#else
INLINE vf splat(float s) { return (vf){s, s, s, s}; }
#endif

/* Whether any of n floats is non-zero (-0 counts as zero). */
INLINE int any_nonzero(const float *p, int n) {
  uint32_t acc = 0;
  for (int k = 0; k < n; k++) {
    uint32_t u;
    memcpy(&u, p + k, sizeof u);
    acc |= u;
  }
  return (acc & 0x7fffffffu) != 0;
}

/* A product with an exact zero is +-0, and adding +-0 leaves every sum here
 * unchanged: the sums start at +0 and round-to-nearest never makes them -0
 * (-0 only comes from -0 + -0). So the kernels skip the stretches of x that
 * are all zero (blank background in digits), which gives the very same bits
 * as long as the other operand is finite (weights always are: a step that
 * makes one infinite is undone). A stretch list is used where it skips
 * enough to pay for its indirection. */
#define SKIP_WORTH(kept, total) ((kept) * 4 < (total) * 3)
#define LIST_MAX 1024 /* longest list: 4-chunks of a row, rows of a batch */

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

/* W[o+g][i..i+3] in quarter g */
INLINE vf fwd_w(const float *p, int n_in) {
#if G == 2
  return __builtin_shufflevector(ld4(p), ld4(p + n_in), 0, 1, 2, 3, 4, 5, 6, 7);
#else
  (void)n_in;
  return ldv(p);
#endif
}

/* rb rows of x against ro*G rows of W, n_in a multiple of 4. idx lists the
 * 4-chunks to visit (an i each), or is NULL for all of them. */
INLINE void fwd_block(float *y, const float *x, const float *W, const float *bias, int n_in, int n_out,
                      int rb, int ro, const int *idx, int n_idx) {
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
  for (int r = 0; r < rb; r++)
    for (int c = 0; c < ro; c++)
      for (int g = 0; g < G; g++) {
        const vf a = acc[r][c];
        const int o = c * G + g;
        y[(size_t)r * n_out + o] = bias[o] + ((a[4 * g] + a[4 * g + 2]) + (a[4 * g + 1] + a[4 * g + 3]));
      }
}

/* Outputs o0.. of rb rows, one at a time: what the blocks leave over. */
NOINLINE void fwd_rest(float *y, const float *x, const float *W, const float *bias, int rb, int n_in,
                       int n_out, int o0) {
  for (int r = 0; r < rb; r++)
    for (int o = o0; o < n_out; o++) {
      const float *xr = x + (size_t)r * n_in, *w = W + (size_t)o * n_in;
      v4 a = {0};
      for (int i = 0; i < n_in; i += 4) a += ld4(xr + i) * ld4(w + i);
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
INLINE void fwd_group(float *y, const float *x, const float *W, const float *bias, int n_in, int n_out,
                      int rb, int ro, int nb) {
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
      if (n_idx[p] >= 0)
        fwd_block(yp, xp, Wo, bias + o, n_in, n_out, rb, ro, idx[p], n_idx[p]);
      else
        fwd_block(yp, xp, Wo, bias + o, n_in, n_out, rb, ro, NULL, 0);
    }
  if (o < n_out) fwd_rest(y, x, W, bias, nb * rb, n_in, n_out, o);
}

void kern_forward(float *y, const float *x, const float *W, const float *bias,
                  int B, int n_in, int n_out) {
  if (n_in % 4 || n_in / 4 > LIST_MAX) {
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
  for (; b + BWD_RB <= B; b += BWD_RB)
    bwd_rows(dx + (size_t)b * n_in, dz + (size_t)b * n_out, W, n_in, n_out, BWD_RB);
  for (; b < B; b++) bwd_rows(dx + (size_t)b * n_in, dz + (size_t)b * n_out, W, n_in, n_out, 1);
}

/* ---- gradient: gW = dz^T x, gb = sum of dz rows ------------------------- */

/* Where the gradient goes: stored in gW, or (sgd) applied at once as
 * W -= lr * g, the very operations of optim.c's sgd, with a running mask of
 * parameters that came out non-finite. */
typedef struct {
  float *out;  /* gW, or W for sgd; (n_out, n_in) */
  int sgd;
  float lr;
  vi bad;      /* sgd: lanes -1 where a new parameter is not finite */
} grd_sink;

/* ro rows, cv vectors across, of the gradient at out, each summed over the
 * rows b of x in order: all B of them, or the n_rows listed in rows. */
INLINE void grd_block(grd_sink *sink, float *out, const float *dz, const float *x, int B, int n_in,
                      int n_out, int ro, int cv, const int *rows, int n_rows) {
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

/* Rows o0..o1, columns i0..i1 of the gradient, a row and a vector at a time. */
NOINLINE void grd_rest(grd_sink *sink, const float *dz, const float *x, int B, int n_in, int n_out,
                       int o0, int o1, int i0, int i1) {
  vi bad = {0};
  for (int o = o0; o < o1; o++) {
    int i = i0;
    for (; i + VW <= i1; i += VW) {
      vf acc = {0};
      for (int b = 0; b < B; b++) acc += splat(dz[(size_t)b * n_out + o]) * ldv(x + (size_t)b * n_in + i);
      float *dst = sink->out + (size_t)o * n_in + i;
      if (sink->sgd) {
        const vf p = ldv(dst) - acc * sink->lr;
        bad |= (vi)(p - p != (vf){0});
        stv(dst, p);
      } else {
        stv(dst, acc);
      }
    }
    for (; i < i1; i++) {
      float s = 0.0f;
      for (int b = 0; b < B; b++) s += dz[(size_t)b * n_out + o] * x[(size_t)b * n_in + i];
      float *dst = sink->out + (size_t)o * n_in + i;
      if (sink->sgd) {
        *dst -= sink->lr * s;
        bad |= (vi){0} - (*dst - *dst != 0.0f);
      } else {
        *dst = s;
      }
    }
  }
  sink->bad |= bad;
}

/* Columns i .. i + GRD_CV*VW for all rows: the rows of x that are non-zero
 * there (unless rows is NULL), then the products. Under sgd a tile with no
 * such row is left alone: its gradient is +0, and W - lr * +0 is W bit for
 * bit. */
INLINE void grd_tile(grd_sink *sink, const float *dz, const float *x, int B, int n_in, int n_out, int i,
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
  int o = 0;
  for (; o + GRD_RO <= n_out; o += GRD_RO) {
    float *out = sink->out + (size_t)o * n_in + i;
    if (sparse)
      grd_block(sink, out, dz + o, x + i, B, n_in, n_out, GRD_RO, GRD_CV, rows, n_rows);
    else
      grd_block(sink, out, dz + o, x + i, B, n_in, n_out, GRD_RO, GRD_CV, NULL, 0);
  }
  if (o < n_out) grd_rest(sink, dz, x, B, n_in, n_out, o, n_out, i, i + T);
}

static int grd_all(grd_sink *sink, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  int list[LIST_MAX], *rows = B <= LIST_MAX ? list : NULL;
  int i = 0;
  for (; i + GRD_CV * VW <= n_in; i += GRD_CV * VW) grd_tile(sink, dz, x, B, n_in, n_out, i, rows);
  if (i < n_in) grd_rest(sink, dz, x, B, n_in, n_out, 0, n_out, i, n_in);
  for (int o = 0; o < n_out; o++) gb[o] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int o = 0; o < n_out; o++) gb[o] += dz[(size_t)b * n_out + o];
  int bad = 0;
  for (int k = 0; k < VW; k++) bad |= sink->bad[k];
  return bad != 0;
}

void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  grd_sink sink = {gW, 0, 0.0f, {0}};
  grd_all(&sink, gb, dz, x, B, n_in, n_out);
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
      bad |= (i4)(p - p);  /* +0 where finite, NaN bits otherwise */
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
INLINE void sgd_fwd_rows(float *w, const float *dz, const float *x, const float *xn, float *yn,
                         const float *bias, const int *idx, int n, int n_in, float lr, int ro, int *bad) {
  enum { R = 4 };
  v4 acc[R];
  for (int r = 0; r < ro; r++) acc[r] = (v4){0};
  for (int k = 0; k < n; k++) {
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
    const i4 odd = (i4)(acc[r] - acc[r]);  /* +0 where finite, NaN bits otherwise */
    if (odd[0] | odd[1] | odd[2] | odd[3])
      for (int k = 0; k < n; k++)
        for (int j = 0; j < 4; j++) {
          const float v = w[(size_t)r * n_in + idx[k] + j];
          *bad |= v - v != 0.0f;
        }
    yn[r] = bias[r] + ((acc[r][0] + acc[r][2]) + (acc[r][1] + acc[r][3]));
  }
}

int kern_sgd_forward_one(float *W, float *bias, float *gb, const float *dz, const float *x,
                         const float *x_next, float *y_next, int n_in, int n_out, float lr) {
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

int kern_gradient_sgd(float *W, float *bias, float *gb, const float *dz, const float *x,
                      int B, int n_in, int n_out, float lr) {
  grd_sink sink = {W, 1, lr, {0}};
  int bad;
  if (B == 1 && n_in % 4 == 0 && n_in / 4 <= LIST_MAX)
    bad = sgd_one_row(W, gb, dz, x, n_in, n_out, lr);
  else
    bad = grd_all(&sink, gb, dz, x, B, n_in, n_out);
  for (int o = 0; o < n_out; o++) {
    bias[o] -= lr * gb[o];
    bad |= bias[o] - bias[o] != 0.0f;
  }
  return bad;
}

/* ---- input conversion ----------------------------------------------------- */

typedef uint8_t u8x16 __attribute__((vector_size(16)));

/* Both compilers take (float)u8 lane by lane, so: each byte u into the low
 * byte of a 32-bit lane, 2^23 + u as float bits, minus 2^23 is exactly
 * (float)u. */
void kern_bytes_to_unit(float *dst, const unsigned char *src, size_t n) {
  size_t i = 0;
  const u8x16 z = {0};
  const i4 bias = {0x4b000000, 0x4b000000, 0x4b000000, 0x4b000000};
  for (; i + 16 <= n; i += 16) {
    u8x16 b;
    memcpy(&b, src + i, sizeof b);
    const u8x16 q[4] = {__builtin_shufflevector(b, z, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16),
                        __builtin_shufflevector(b, z, 4, 16, 16, 16, 5, 16, 16, 16, 6, 16, 16, 16, 7, 16, 16, 16),
                        __builtin_shufflevector(b, z, 8, 16, 16, 16, 9, 16, 16, 16, 10, 16, 16, 16, 11, 16, 16, 16),
                        __builtin_shufflevector(b, z, 12, 16, 16, 16, 13, 16, 16, 16, 14, 16, 16, 16, 15, 16, 16, 16)};
    for (int k = 0; k < 4; k++) {
      const v4 f = ((v4)((i4)q[k] | bias) - 8388608.0f) * (1.0f / 255.0f);
      memcpy(dst + i + 4 * k, &f, sizeof f);
    }
  }
  for (; i < n; i++) dst[i] = (float)src[i] * (1.0f / 255.0f);
}

/* ---- activations: the scalar exp, VW lanes at a time -------------------- */

INLINE vf vsel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

INLINE vf vexp(vf x) {
  x = vsel(x > splat(88.0f), splat(88.0f), x);
  x = vsel(x < splat(-87.0f), splat(-87.0f), x);
  const vf shifter = splat(12582912.0f);
  vf t = x * 1.44269504088896341f + shifter;
  vf n = t - shifter;
  vf r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  vi k = (vi)t - (vi)shifter;
  return p * (vf)((k + 127) << 23);
}

void kern_sigmoid(float *a, size_t n) {
  size_t i = 0;
  for (; i + VW <= n; i += VW) stv(a + i, splat(1.0f) / (splat(1.0f) + vexp(-ldv(a + i))));
  for (; i < n; i++) a[i] = 1.0f / (1.0f + kern_exp(-a[i]));
}

void kern_exp_array(float *a, size_t n) {
  size_t i = 0;
  for (; i + VW <= n; i += VW) stv(a + i, vexp(ldv(a + i)));
  for (; i < n; i++) a[i] = kern_exp(a[i]);
}

void kern_tanh(float *a, size_t n) {
  size_t i = 0;
  for (; i + VW <= n; i += VW) stv(a + i, splat(1.0f) - splat(2.0f) / (vexp(splat(2.0f) * ldv(a + i)) + 1.0f));
  for (; i < n; i++) a[i] = 1.0f - 2.0f / (kern_exp(2.0f * a[i]) + 1.0f);
}

#else /* no vector extensions: the reference loops are the kernels */

void kern_forward(float *y, const float *x, const float *W, const float *bias, int B, int n_in, int n_out) {
  kern_forward_ref(y, x, W, bias, B, n_in, n_out);
}
void kern_backward(float *dx, const float *dz, const float *W, int B, int n_in, int n_out) {
  kern_backward_ref(dx, dz, W, B, n_in, n_out);
}
void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  kern_gradient_ref(gW, gb, dz, x, B, n_in, n_out);
}
int kern_gradient_sgd(float *W, float *bias, float *gb, const float *dz, const float *x,
                      int B, int n_in, int n_out, float lr) {
  int bad = 0;
  for (int o = 0; o < n_out; o++) {
    gb[o] = gradient_entry(dz, NULL, B, n_in, n_out, o, 0);
    for (int i = 0; i < n_in; i++) {
      float *p = W + (size_t)o * n_in + i;
      *p -= lr * gradient_entry(dz, x, B, n_in, n_out, o, i);
      bad |= *p - *p != 0.0f;
    }
  }
  for (int o = 0; o < n_out; o++) {
    bias[o] -= lr * gb[o];
    bad |= bias[o] - bias[o] != 0.0f;
  }
  return bad;
}
void kern_sigmoid(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = 1.0f / (1.0f + kern_exp(-a[i]));
}
void kern_bytes_to_unit(float *dst, const unsigned char *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = (float)src[i] * (1.0f / 255.0f);
}
void kern_exp_array(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = kern_exp(a[i]);
}
int kern_sgd_forward_one(float *W, float *bias, float *gb, const float *dz, const float *x,
                         const float *x_next, float *y_next, int n_in, int n_out, float lr) {
  const int bad = kern_gradient_sgd(W, bias, gb, dz, x, 1, n_in, n_out, lr);
  kern_forward(y_next, x_next, W, bias, 1, n_in, n_out);
  return bad;
}
void kern_tanh(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = 1.0f - 2.0f / (kern_exp(2.0f * a[i]) + 1.0f);
}
#endif
