/* kernels.c: the matrix products of forward, backward and gradient, and a
 * portable exp/log. Plain C that the compiler vectorises (-msimd128 in wasm,
 * -march=native natively) without changing any sum's order; see kernels.h.
 * This file knows nothing about layers, losses or optimizers. */
#include "kernels.h"

#include <stdint.h>
#include <string.h>

/* ---- forward: y = x W^T + bias ------------------------------------------ */

/* Eight lane sums of x[i] * w[i], lane k taking i = k mod 8. */
static inline void dot8_lanes(float lane[8], const float *x, const float *w, int n) {
  for (int k = 0; k < 8; k++) lane[k] = 0.0f;
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) lane[k] += x[i + k] * w[i + k];
  for (int k = 0; i < n; i++, k++) lane[k] += x[i] * w[i];
}

static inline float reduce8(const float l[8]) {
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

void kern_forward_ref(float *y, const float *x, const float *W, const float *bias,
                      int B, int n_in, int n_out) {
  for (int b = 0; b < B; b++)
    for (int o = 0; o < n_out; o++) {
      float lane[8];
      dot8_lanes(lane, x + (size_t)b * n_in, W + (size_t)o * n_in, n_in);
      y[(size_t)b * n_out + o] = bias[o] + reduce8(lane);
    }
}

/* Four outputs of one row at a time: each x load feeds four weight rows. */
void kern_forward(float *y, const float *x, const float *W, const float *bias,
                  int B, int n_in, int n_out) {
  for (int b = 0; b < B; b++) {
    const float *xb = x + (size_t)b * n_in;
    float *yb = y + (size_t)b * n_out;
    int o = 0;
    for (; o + 4 <= n_out; o += 4) {
      const float *w0 = W + (size_t)o * n_in, *w1 = w0 + n_in, *w2 = w1 + n_in, *w3 = w2 + n_in;
      float l0[8] = {0}, l1[8] = {0}, l2[8] = {0}, l3[8] = {0};
      int i = 0;
      for (; i + 8 <= n_in; i += 8)
        for (int k = 0; k < 8; k++) {
          float xv = xb[i + k];
          l0[k] += xv * w0[i + k];
          l1[k] += xv * w1[i + k];
          l2[k] += xv * w2[i + k];
          l3[k] += xv * w3[i + k];
        }
      for (int k = 0; i < n_in; i++, k++) {
        l0[k] += xb[i] * w0[i];
        l1[k] += xb[i] * w1[i];
        l2[k] += xb[i] * w2[i];
        l3[k] += xb[i] * w3[i];
      }
      yb[o] = bias[o] + reduce8(l0);
      yb[o + 1] = bias[o + 1] + reduce8(l1);
      yb[o + 2] = bias[o + 2] + reduce8(l2);
      yb[o + 3] = bias[o + 3] + reduce8(l3);
    }
    for (; o < n_out; o++) {
      float lane[8];
      dot8_lanes(lane, xb, W + (size_t)o * n_in, n_in);
      yb[o] = bias[o] + reduce8(lane);
    }
  }
}

/* ---- backward: dx = dz W ------------------------------------------------ */

void kern_backward_ref(float *dx, const float *dz, const float *W, int B, int n_in, int n_out) {
  for (int b = 0; b < B; b++)
    for (int i = 0; i < n_in; i++) {
      float s = 0.0f;
      for (int o = 0; o < n_out; o++) s += dz[(size_t)b * n_out + o] * W[(size_t)o * n_in + i];
      dx[(size_t)b * n_in + i] = s;
    }
}

void kern_backward(float *dx, const float *dz, const float *W, int B, int n_in, int n_out) {
  for (int b = 0; b < B; b++) {
    float *restrict dxb = dx + (size_t)b * n_in;
    const float *dzb = dz + (size_t)b * n_out;
    memset(dxb, 0, (size_t)n_in * sizeof *dxb);
    for (int o = 0; o < n_out; o++) {
      const float g = dzb[o];
      const float *restrict w = W + (size_t)o * n_in;
      for (int i = 0; i < n_in; i++) dxb[i] += g * w[i];
    }
  }
}

/* ---- gradient: gW = dz^T x, gb = sum of dz rows ------------------------- */

void kern_gradient_ref(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  for (int o = 0; o < n_out; o++) {
    float sb = 0.0f;
    for (int b = 0; b < B; b++) sb += dz[(size_t)b * n_out + o];
    gb[o] = sb;
    for (int i = 0; i < n_in; i++) {
      float s = 0.0f;
      for (int b = 0; b < B; b++) s += dz[(size_t)b * n_out + o] * x[(size_t)b * n_in + i];
      gW[(size_t)o * n_in + i] = s;
    }
  }
}

/* One gradient row stays in L1 while the batch streams past it. */
void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  for (int o = 0; o < n_out; o++) {
    float *restrict g = gW + (size_t)o * n_in;
    float sb = 0.0f;
    memset(g, 0, (size_t)n_in * sizeof *g);
    for (int b = 0; b < B; b++) {
      const float d = dz[(size_t)b * n_out + o];
      const float *restrict xb = x + (size_t)b * n_in;
      sb += d;
      for (int i = 0; i < n_in; i++) g[i] += d * xb[i];
    }
    gb[o] = sb;
  }
}

/* ---- exp and log -------------------------------------------------------- */

static inline float bits_to_float(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline uint32_t float_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

/* Cephes expf: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial.
 * n is found by the 1.5*2^23 rounding trick, which needs no float-to-int
 * conversion and so stays defined for NaN. */
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
