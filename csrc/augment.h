/* augment.h: seeded distortions of training images, drawn per sample and
 * per epoch: a random affine transform (shift, rotation, scale, shear) and
 * an elastic distortion (Simard, Steinkraus and Platt, 2003), resampled
 * bilinearly from the stored pixels into the batch. Nothing is stored: each
 * call draws its transform from the caller's generator (AUGMENT_DRAWS
 * numbers, whatever the settings and the image) and writes floats.
 * Plain float arithmetic with our own sin/cos (no libm), so the bits are the
 * same natively and in wasm. Not for test or prediction inputs. */
#ifndef AUGMENT_H
#define AUGMENT_H

#include <stdint.h>

#include "rng.h"
#include "status.h"

#define AUGMENT_MAX_SIDE 64    /* rows and cols of images that can be augmented */
#define AUGMENT_GRID 5         /* elastic control points per side */
#define AUGMENT_MAX_SHIFT 8.0f /* the largest settings */
#define AUGMENT_MAX_ROTATE 45.0f
#define AUGMENT_MAX_SCALE 0.5f
#define AUGMENT_MAX_SHEAR 0.5f
#define AUGMENT_MAX_ELASTIC 8.0f
#define AUGMENT_DRAWS (5 + 2 * AUGMENT_GRID * AUGMENT_GRID) /* numbers each augment_image call draws */

typedef struct nn_augment {
  float shift;   /* pixels: a uniform shift in [-shift, shift] on each axis */
  float rotate;  /* degrees: a uniform rotation in [-rotate, rotate] */
  float scale;   /* a uniform zoom in [1 - scale, 1 + scale] */
  float shear;   /* a uniform horizontal shear factor in [-shear, shear] */
  float elastic; /* pixels: the largest elastic displacement (0: none) */
} nn_augment;

/* The settings that `--augment` means: tuned on MNIST (docs/accuracy.md). */
void augment_default(nn_augment *a);
/* All zero: no augmentation. */
int augment_enabled(const nn_augment *a);
/* NN_ERR_ARG unless every setting is finite and in its range. */
nn_status augment_check(const nn_augment *a);

/* dst (rows * cols) = src (rows * cols, values 0..1) warped by a transform
 * drawn from rng, sampled bilinearly, 0 outside the image. Draws
 * AUGMENT_DRAWS numbers (so the generator's sequence does not depend on the
 * pixels, and a row's draws can be found by rng_skip). rows, cols in 1..AUGMENT_MAX_SIDE, else dst = src. */
void augment_image(const nn_augment *a, rng_t *rng, const float *src, int rows, int cols, float *dst);

/* The same with a given transform instead of a random one, for tests:
 * dst(x, y) = src(M (p - c) + c - t + e(p)), p = (x, y), c the image centre,
 * M = [[m00 m01] [m10 m11]] and t = (tx, ty); e is the elastic field given
 * by its control points (2 * AUGMENT_GRID^2 displacements, x then y; NULL
 * for none). */
void augment_warp(const float *src, int rows, int cols, const float m[4], float tx, float ty, const float *grid,
                  float *dst);

/* sin and cos of x in [-pi, pi] within 2e-7, the same bits everywhere. */
void augment_sincos(float x, float *s, float *c);

#endif
