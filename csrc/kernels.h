/* kernels.h: the hot loops of a training step, as small GEMMs on row-major
 * matrices, plus a deterministic exp and log.
 *
 * Every output element is summed in one fixed order, written out in plain C
 * with no reassociation left to the compiler, so the native build (with
 * -ffp-contract=off) and the wasm build give bit-identical results however
 * each vectorises the loops. The orders:
 *   forward  y[b][o] = bias[o] + dot(x[b], W[o]): dot keeps 4 lane sums, lane
 *            k adding x[i] * w[i] for i = k mod 4 in increasing i, from +0,
 *            then (l0 + l2) + (l1 + l3);
 *   backward dx[b][i] = sum over o = 0.. of dz[b][o] * W[o][i], from +0;
 *   gradient gW[o][i] = sum over b = 0.. of dz[b][o] * x[b][i], from +0;
 *            gb[o] = sum over b = 0.. of dz[b][o], from +0.
 * Sums that start at +0 never become -0, so a product with an exact zero
 * changes nothing: the fast kernels skip runs of zeros in x (the blank
 * background of a digit) and still match the reference bit for bit, given
 * finite W and dz (as in training, where a non-finite step is undone; a
 * non-finite weight on an input that is always 0 is never read).
 * No FMA anywhere: wasm has none without relaxed SIMD, and a fused
 * multiply-add rounds once where this order rounds twice. */
#ifndef KERNELS_H
#define KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* y (B, n_out) = x (B, n_in) . W^T + bias;  W is (n_out, n_in) */
void kern_forward(float *y, const float *x, const float *W, const float *bias, int B, int n_in, int n_out);

/* dx (B, n_in) = dz (B, n_out) . W;  W is (n_out, n_in) */
void kern_backward(float *dx, const float *dz, const float *W, int B, int n_in, int n_out);

/* gW (n_out, n_in) = dz^T . x,  gb (n_out) = column sums of dz;  dz is (B, n_out), x (B, n_in) */
void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out);

/* kern_gradient fused with SGD: W -= lr * gW and bias -= lr * gb, exactly as
 * optim.c's sgd would, without storing gW (gb is filled). Returns 1 if any
 * new W or bias is not finite, else 0. */
int kern_gradient_sgd(float *W, float *bias, float *gb, const float *dz, const float *x, int B, int n_in, int n_out,
                      float lr);

/* Rows o0..o1 of kern_gradient and kern_gradient_sgd (the arrays are the
 * whole ones): each entry has the same bits whatever the range, so threads
 * that split the outputs get one thread's result. */
void kern_gradient_part(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out, int o0,
                        int o1);
int kern_gradient_sgd_part(float *W, float *bias, float *gb, const float *dz, const float *x, int B, int n_in,
                           int n_out, int o0, int o1, float lr);

/* One row (B = 1) under SGD, fused with the next row's forward: W and bias
 * updated exactly as kern_gradient_sgd(..., B = 1, ...) does (gb = dz),
 * then y_next (n_out) = x_next (n_in) . W^T + bias with the new W and bias,
 * exactly as kern_forward: each weight is read and written once for both.
 * Returns kern_gradient_sgd's flag. */
int kern_sgd_forward_one(float *W, float *bias, float *gb, const float *dz, const float *x, const float *x_next,
                         float *y_next, int n_in, int n_out, float lr);

/* The same three products, element by element in the documented order:
 * the reference that tests hold the fast kernels to. */
void kern_forward_ref(float *y, const float *x, const float *W, const float *bias, int B, int n_in, int n_out);
void kern_backward_ref(float *dx, const float *dz, const float *W, int B, int n_in, int n_out);
void kern_gradient_ref(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out);

/* A convolution's products on one sample's maps, stored (rows, cols,
 * channels) with the channel fastest; K x K filters, stride 1, no
 * padding; weights W (F, C, K, K). A patch's value j = (ky * K + kx) * C + c
 * is the order in which the map holds it. The orders:
 *   forward  z[p][f] = bias[f] + sum over j = 0.. of x_p[j] * W[f][j], from +0;
 *   backward dx[i] = sum over output pixels p = 0.., then f = 0.., of
 *            dz[p][f] * W[f][j] for the j at which p's patch holds i, from +0;
 *   gradient gW[f][j] = sum over samples, then p = 0.., of dz[p][f] * x_p[j],
 *            from +0; gb[f] = sum of dz[p][f] in the same order.
 * The kernels take the weights in two orders made by kern_conv_orders: wt
 * (K*K*C, KERN_CONV_PAD(F)) transposed for the forward, wp (F, K*K*C) in
 * patch order for the backward. */
typedef struct {
  int rows, cols, channels; /* the input map */
  int k, filters;
} kern_conv;
#define KERN_CONV_PAD(f) (((f) + 7) / 8 * 8)
/* floats of the gradient's room for each filter: its K*K*C sums and its
 * bias's, rounded up to a 64-byte line, so that two threads summing
 * different filters never write the same line */
#define KERN_CONV_GP_STRIDE(kkc) (((kkc) + 1 + 15) / 16 * 16)
void kern_conv_orders(float *wt, float *wp, const float *W, kern_conv g);
void kern_conv_forward(float *z, const float *x, const float *wt, const float *bias, kern_conv g);
void kern_conv_backward(float *dx, const float *dz, const float *wp, kern_conv g);
/* filters f0..f1 of gW (in W's order) and gb, over `samples` maps x and
 * deltas dz one after the other; gp is room for F*KERN_CONV_GP_STRIDE(K*K*C)
 * floats, on a 64-byte line */
void kern_conv_gradient(float *gW, float *gb, float *gp, const float *dz, const float *x, int samples, kern_conv g,
                        int f0, int f1);
/* Max pooling of one map (rows, cols, channels), p x p windows, stride p:
 * out (rows / p, cols / p, channels) the windows' maxima, arg the index in
 * `in` each was taken from, the first of equal maxima in row-major window
 * order (NaN never); rows and columns past the last whole window unread. */
void kern_max_pool(float *out, int32_t *arg, const float *in, int rows, int cols, int channels, int p);
/* the same in the documented order, element by element, on W as stored: for tests */
void kern_conv_forward_ref(float *z, const float *x, const float *W, const float *bias, kern_conv g);
void kern_conv_backward_ref(float *dx, const float *dz, const float *W, kern_conv g);
void kern_conv_gradient_ref(float *gW, float *gb, const float *dz, const float *x, int samples, kern_conv g);

/* dst (n) = src (n) * (1/255): pixels 0..255 as floats 0..1. */
void kern_bytes_to_unit(float *dst, const unsigned char *src, size_t n);

/* Sums in KERN_SUM_LANES fixed lanes, lane k adding the values i = k mod
 * KERN_SUM_LANES in increasing i from +0, the lanes then folded pairwise
 * (the same bits in every build). kern_mean: the mean of x (n; 0 for n =
 * 0), each value times 1/n as it is added, so finite for finite x.
 * kern_row_sums: s (n_out) = the sums of the rows of W (n_out, n_in). */
#define KERN_SUM_LANES 32
float kern_mean(const float *x, size_t n);
void kern_row_sums(float *s, const float *W, int n_in, int n_out);

/* a (n) = 1 / (1 + e^-a) and 1 - 2 / (e^2a + 1), in place, with kern_exp's bits. */
void kern_sigmoid(float *a, size_t n);
void kern_tanh(float *a, size_t n);

/* a (n) = kern_exp(a), in place. */
void kern_exp_array(float *a, size_t n);

/* e^x within 2 ulp, same bits everywhere; NaN stays NaN, large x saturates. */
float kern_exp(float x);
/* ln x for finite x > 0, same bits everywhere. */
float kern_log(float x);

#endif
