/* kernels_simd.h: what the fast kernels (kernels_forward.c, kernels_backward.c,
 * kernels_gradient.c, kernels_math.c) share: the vector types, the block
 * sizes, loads and stores, and the test for runs of zeros. The fast kernels
 * are written with GCC/clang vector extensions, which clang lowers to wasm
 * SIMD (-msimd128) and GCC to SSE/AVX (-march=native). They perform the very
 * same float operations per output element as the reference loops
 * (kernels_ref.c), in the same order, only several outputs at a time,
 * skipping stretches of zero input; tests/c/test_nn.c holds them to the
 * reference bit for bit, natively and in wasm. KERN_SIMD says whether they
 * are built; where it is 0, kernels_ref.c and kernels_math.c supply plain C.
 * Internal to csrc/kernels_*.c: not an API (that is kernels.h). */
#ifndef KERNELS_SIMD_H
#define KERNELS_SIMD_H

#include <stdint.h>
#include <string.h>

/* NN_SCALAR_KERNELS builds the plain-C fallback anywhere, so that it is tested too. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(NN_SCALAR_KERNELS)
#define KERN_SIMD 1

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
#ifndef FWD_RB     /* block sizes */
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

INLINE v4 ld4(const float *p) {
  v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}
INLINE vf ldv(const float *p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}
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
#define SKIP_WORTH(kept, total) ((kept)*4 < (total)*3)
#define LIST_MAX 1024 /* longest list: 4-chunks of a row, rows of a batch */

#else /* no vector extensions: kernels_ref.c and kernels_math.c are plain C */
#define KERN_SIMD 0
#endif

#endif
