/* kernels_ref.c: the three products of a training step (forward, backward,
 * gradient) as plain reference loops that spell out the summation order of
 * kernels.h element by element: tests hold the fast kernels to them bit for
 * bit. Without vector extensions (or under NN_SCALAR_KERNELS, so that this
 * path is tested too) these loops are the kernels, and plain SGD is applied
 * entry by entry exactly as optim.c's sgd would. Not fast; the fast
 * versions are kernels_forward.c, kernels_backward.c and kernels_gradient.c,
 * the element-wise kernels are in kernels_math.c. Knows nothing about
 * layers or losses. */
#include "kernels.h"

#include <stddef.h>

#include "kernels_simd.h"

/* ---- reference: the documented orders, element by element --------------- */

/* Four lane sums of x[i] * w[i], lane k taking i = k mod 4 in increasing i. */
static inline void dot4_lanes(float lane[4], const float *x, const float *w, int n) {
  for (int k = 0; k < 4; k++) lane[k] = 0.0f;
  for (int i = 0; i < n; i++) lane[i & 3] += x[i] * w[i];
}

static inline float reduce4(const float l[4]) { return (l[0] + l[2]) + (l[1] + l[3]); }

void kern_forward_ref(float *y, const float *x, const float *W, const float *bias, int B, int n_in, int n_out) {
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

/* A convolution, element by element on W as stored (F, C, K, K), in
 * kernels.h's orders: j runs over ky, then kx, then c. */
static inline size_t conv_w(kern_conv g, int f, int j) {
  const int K = g.k, C = g.channels, c = j % C, kx = j / C % K, ky = j / C / K;
  return (((size_t)f * C + c) * K + ky) * K + kx;
}
static inline size_t conv_x(kern_conv g, int oy, int ox, int j) {
  const int K = g.k, C = g.channels, c = j % C, kx = j / C % K, ky = j / C / K;
  return ((size_t)(oy + ky) * g.cols + ox + kx) * C + c;
}

void kern_conv_forward_ref(float *z, const float *x, const float *W, const float *bias, kern_conv g) {
  const int orows = g.rows - g.k + 1, ocols = g.cols - g.k + 1, KKC = g.k * g.k * g.channels;
  for (int oy = 0; oy < orows; oy++)
    for (int ox = 0; ox < ocols; ox++)
      for (int f = 0; f < g.filters; f++) {
        float acc = 0.0f;
        for (int j = 0; j < KKC; j++) acc += x[conv_x(g, oy, ox, j)] * W[conv_w(g, f, j)];
        z[((size_t)oy * ocols + ox) * g.filters + f] = bias[f] + acc;
      }
}

void kern_conv_backward_ref(float *dx, const float *dz, const float *W, kern_conv g) {
  const int orows = g.rows - g.k + 1, ocols = g.cols - g.k + 1, KKC = g.k * g.k * g.channels;
  for (size_t i = 0; i < (size_t)g.rows * g.cols * g.channels; i++) dx[i] = 0.0f;
  for (int oy = 0; oy < orows; oy++)
    for (int ox = 0; ox < ocols; ox++)
      for (int f = 0; f < g.filters; f++)
        for (int j = 0; j < KKC; j++)
          dx[conv_x(g, oy, ox, j)] += dz[((size_t)oy * ocols + ox) * g.filters + f] * W[conv_w(g, f, j)];
}

void kern_conv_gradient_ref(float *gW, float *gb, const float *dz, const float *x, int samples, kern_conv g) {
  const int orows = g.rows - g.k + 1, ocols = g.cols - g.k + 1, KKC = g.k * g.k * g.channels;
  const size_t in = (size_t)g.rows * g.cols * g.channels, out = (size_t)orows * ocols * g.filters;
  for (int f = 0; f < g.filters; f++) {
    float b = 0.0f;
    for (int s = 0; s < samples; s++)
      for (size_t p = 0; p < (size_t)orows * ocols; p++) b += dz[s * out + p * g.filters + f];
    gb[f] = b;
    for (int j = 0; j < KKC; j++) {
      float acc = 0.0f;
      for (int s = 0; s < samples; s++)
        for (int oy = 0; oy < orows; oy++)
          for (int ox = 0; ox < ocols; ox++)
            acc += dz[s * out + ((size_t)oy * ocols + ox) * g.filters + f] * x[s * in + conv_x(g, oy, ox, j)];
      gW[conv_w(g, f, j)] = acc;
    }
  }
}

#if !KERN_SIMD /* no vector extensions: the reference loops are the kernels */

void kern_forward(float *y, const float *x, const float *W, const float *bias, int B, int n_in, int n_out) {
  kern_forward_ref(y, x, W, bias, B, n_in, n_out);
}
void kern_backward(float *dx, const float *dz, const float *W, int B, int n_in, int n_out) {
  kern_backward_ref(dx, dz, W, B, n_in, n_out);
}
void kern_gradient_part(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out, int o0,
                        int o1) {
  for (int o = o0; o < o1; o++) {
    gb[o] = gradient_entry(dz, NULL, B, n_in, n_out, o, 0);
    for (int i = 0; i < n_in; i++) gW[(size_t)o * n_in + i] = gradient_entry(dz, x, B, n_in, n_out, o, i);
  }
}
void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out) {
  kern_gradient_ref(gW, gb, dz, x, B, n_in, n_out);
}
int kern_gradient_sgd_part(float *W, float *bias, float *gb, const float *dz, const float *x, int B, int n_in,
                           int n_out, int o0, int o1, float lr) {
  int bad = 0;
  for (int o = o0; o < o1; o++) {
    gb[o] = gradient_entry(dz, NULL, B, n_in, n_out, o, 0);
    for (int i = 0; i < n_in; i++) {
      float *p = W + (size_t)o * n_in + i;
      *p -= lr * gradient_entry(dz, x, B, n_in, n_out, o, i);
      bad |= *p - *p != 0.0f;
    }
  }
  for (int o = o0; o < o1; o++) {
    bias[o] -= lr * gb[o];
    bad |= bias[o] - bias[o] != 0.0f;
  }
  return bad;
}
int kern_gradient_sgd(float *W, float *bias, float *gb, const float *dz, const float *x, int B, int n_in, int n_out,
                      float lr) {
  return kern_gradient_sgd_part(W, bias, gb, dz, x, B, n_in, n_out, 0, n_out, lr);
}
int kern_sgd_forward_one(float *W, float *bias, float *gb, const float *dz, const float *x, const float *x_next,
                         float *y_next, int n_in, int n_out, float lr) {
  const int bad = kern_gradient_sgd(W, bias, gb, dz, x, 1, n_in, n_out, lr);
  kern_forward(y_next, x_next, W, bias, 1, n_in, n_out);
  return bad;
}
#endif
