/* kernels.h: the hot loops of a training step, as small GEMMs on row-major
 * matrices, plus a deterministic exp and log.
 *
 * Every output element is summed in one fixed order, written out in plain C
 * with no reassociation left to the compiler, so the native build (with
 * -ffp-contract=off) and the wasm build give bit-identical results however
 * each vectorises the loops. The orders:
 *   forward  y[b][o] = bias[o] + dot(x[b], W[o]): dot keeps 8 lane sums, lane
 *            k adding elements i = k mod 8 in increasing i, then
 *            ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7));
 *   backward dx[b][i] = sum over o = 0.. of dz[b][o] * W[o][i];
 *   gradient gW[o][i] = sum over b = 0.. of dz[b][o] * x[b][i], gb[o] likewise. */
#ifndef KERNELS_H
#define KERNELS_H

#include <stddef.h>

/* y (B, n_out) = x (B, n_in) . W^T + bias;  W is (n_out, n_in) */
void kern_forward(float *y, const float *x, const float *W, const float *bias,
                  int B, int n_in, int n_out);

/* dx (B, n_in) = dz (B, n_out) . W;  W is (n_out, n_in) */
void kern_backward(float *dx, const float *dz, const float *W, int B, int n_in, int n_out);

/* gW (n_out, n_in) = dz^T . x,  gb (n_out) = column sums of dz;  dz is (B, n_out), x (B, n_in) */
void kern_gradient(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out);

/* The same three products, element by element in the documented order:
 * the reference that tests hold the fast kernels to. */
void kern_forward_ref(float *y, const float *x, const float *W, const float *bias,
                      int B, int n_in, int n_out);
void kern_backward_ref(float *dx, const float *dz, const float *W, int B, int n_in, int n_out);
void kern_gradient_ref(float *gW, float *gb, const float *dz, const float *x, int B, int n_in, int n_out);

/* e^x within 2 ulp, same bits everywhere; NaN stays NaN, large x saturates. */
float kern_exp(float x);
/* ln x for finite x > 0, same bits everywhere. */
float kern_log(float x);

#endif
