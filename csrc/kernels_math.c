/* kernels_math.c: a portable exp and log (Cephes polynomials, giving the
 * same bits natively and in wasm, where libm would not), and the
 * element-wise kernels: sigmoid, tanh and exp over arrays, and pixels from
 * bytes to floats. Vectorised with kernels_simd.h, lane by lane the same
 * operations as the scalar code; plain C without vector extensions. No
 * matrix products (kernels_ref.c and the fast kernel files have those). */
#include "kernels.h"

#include <stdint.h>
#include <string.h>

#include "kernels_simd.h"

/* ---- exp and log -------------------------------------------------------- */

static inline float bits_to_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint32_t float_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Cephes expf: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial.
 * n is found by the 1.5*2^23 rounding trick, which needs no float-to-int
 * conversion and so stays defined for NaN. vexp below is the same sequence
 * of operations, lane by lane. */
float kern_exp(float x) {
  if (x > 88.0f) x = 88.0f;
  if (x < -87.0f) x = -87.0f;        /* NaN passes both tests unchanged */
  const float shifter = 12582912.0f; /* 1.5 * 2^23 */
  float t = x * 1.44269504088896341f + shifter;
  float n = t - shifter;          /* round(x / ln2) */
  float r = x - n * 0.693359375f; /* ln2 in two parts: exact n * hi */
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
  if (x > 3.4e38f) return x; /* +inf */
  uint32_t u = float_to_bits(x);
  int e = 0;
  if (u < 0x00800000u) { /* subnormal: scale into the normal range */
    x *= 16777216.0f;
    u = float_to_bits(x);
    e = -24;
  }
  e += (int)(u >> 23) - 126;
  float m = bits_to_float((u & 0x007fffffu) | 0x3f000000u); /* in [0.5, 1) */
  if (m < 0.707106781186547524f) {
    e -= 1;
    m = m + m - 1.0f;
  } else {
    m = m - 1.0f;
  }
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

#if KERN_SIMD
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

#else /* no vector extensions: plain loops */

void kern_sigmoid(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = 1.0f / (1.0f + kern_exp(-a[i]));
}
void kern_bytes_to_unit(float *dst, const unsigned char *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = (float)src[i] * (1.0f / 255.0f);
}
void kern_exp_array(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = kern_exp(a[i]);
}
void kern_tanh(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = 1.0f - 2.0f / (kern_exp(2.0f * a[i]) + 1.0f);
}
#endif

/* Each lane is a sum of its own, so vectors of lanes add no value in
 * another order (clang does not vectorise the plain loop for wasm: 9x
 * slower); the lanes then fold pairwise in a fixed order. */
static float lane_sum(const float *x, size_t n, float scale) {
  float lane[KERN_SUM_LANES] = {0};
  size_t i = 0;
#if KERN_SIMD
  vf acc[KERN_SUM_LANES / VW] = {{0}};
  const vf by = splat(scale);
  for (; i + KERN_SUM_LANES <= n; i += KERN_SUM_LANES)
    for (int j = 0; j < KERN_SUM_LANES / VW; j++) acc[j] += ldv(x + i + VW * j) * by;
  memcpy(lane, acc, sizeof lane);
#endif
  for (; i + KERN_SUM_LANES <= n; i += KERN_SUM_LANES)
    for (int k = 0; k < KERN_SUM_LANES; k++) lane[k] += x[i + k] * scale;
  for (int k = 0; i < n; i++, k++) lane[k] += x[i] * scale;
  for (int w = KERN_SUM_LANES / 2; w > 0; w /= 2)
    for (int k = 0; k < w; k++) lane[k] += lane[k + w];
  return lane[0];
}

float kern_mean(const float *x, size_t n) { return n ? lane_sum(x, n, 1.0f / (float)n) : 0.0f; }

void kern_row_sums(float *s, const float *W, int n_in, int n_out) {
  for (int o = 0; o < n_out; o++) s[o] = lane_sum(W + (size_t)o * n_in, (size_t)n_in, 1.0f);
}
