/* augment.c: the distortions of augment.h. A transform is drawn as five
 * uniforms (rotation, zoom, shear, shift x, shift y) and an elastic field as
 * displacements at AUGMENT_GRID x AUGMENT_GRID control points spread over
 * the image, interpolated with smoothstep weights: a smooth random field,
 * which is what Simard et al. get by smoothing random noise with a Gaussian
 * (their sigma is about the spacing of these points), at a fiftieth of the
 * arithmetic. Each output pixel maps back into the source, where it is
 * sampled bilinearly; a sample outside the image is 0, so nothing is ever
 * read outside it. */
#include "augment.h"

#include <stddef.h>

#define PI_F 3.14159265358979f

void augment_default(nn_augment *a) {
  a->shift = 2.0f;
  a->rotate = 10.0f;
  a->scale = 0.1f;
  a->shear = 0.15f;
  a->elastic = 1.5f;
}

int augment_enabled(const nn_augment *a) {
  return a && (a->shift != 0.0f || a->rotate != 0.0f || a->scale != 0.0f || a->shear != 0.0f || a->elastic != 0.0f);
}

static int in_range(float x, float hi) { return x >= 0.0f && x <= hi; } /* false for NaN */

nn_status augment_check(const nn_augment *a) {
  if (!a) return NN_ERR_ARG;
  if (!in_range(a->shift, 8.0f) || !in_range(a->rotate, 45.0f) || !in_range(a->scale, 0.5f) ||
      !in_range(a->shear, 0.5f) || !in_range(a->elastic, 8.0f))
    return NN_ERR_ARG;
  return NN_OK;
}

/* Taylor series on [-pi/2, pi/2] (errors below 6e-8 there), and sin(pi - x)
 * = sin x, cos(pi - x) = -cos x beyond. */
void augment_sincos(float x, float *s, float *c) {
  float sign = 1.0f;
  if (x > 0.5f * PI_F) { x = PI_F - x; sign = -1.0f; }
  else if (x < -0.5f * PI_F) { x = -PI_F - x; sign = -1.0f; }
  const float x2 = x * x;
  *s = x * (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 + x2 * (-1.0f / 39916800))))));
  *c = sign * (1.0f + x2 * (-0.5f + x2 * (1.0f / 24 + x2 * (-1.0f / 720 + x2 * (1.0f / 40320 + x2 * (-1.0f / 3628800 + x2 * (1.0f / 479001600)))))));
}

/* Pixel (x, y) of src, 0 outside the image. */
static inline float pixel(const float *src, int rows, int cols, int x, int y) {
  return x >= 0 && x < cols && y >= 0 && y < rows ? src[(size_t)y * cols + x] : 0.0f;
}

/* src at (sx, sy), bilinearly; 0 for a point whose 2x2 neighbourhood is
 * wholly outside (and for NaN, which fails every comparison). */
static float sample(const float *src, int rows, int cols, float sx, float sy) {
  if (!(sx > -1.0f && sx < (float)cols && sy > -1.0f && sy < (float)rows)) return 0.0f;
  const int ix = (int)(sx + 1.0f) - 1, iy = (int)(sy + 1.0f) - 1;  /* floor, for values > -1 */
  float fx = sx - (float)ix, fy = sy - (float)iy;
  fx = fx < 0.0f ? 0.0f : fx > 1.0f ? 1.0f : fx;
  fy = fy < 0.0f ? 0.0f : fy > 1.0f ? 1.0f : fy;
  const float top = pixel(src, rows, cols, ix, iy) * (1.0f - fx) + pixel(src, rows, cols, ix + 1, iy) * fx;
  const float bottom = pixel(src, rows, cols, ix, iy + 1) * (1.0f - fx) + pixel(src, rows, cols, ix + 1, iy + 1) * fx;
  return top * (1.0f - fy) + bottom * fy;
}

/* For each of n pixels along a side: its control-point cell and smoothstep
 * weight of the next point. */
static void grid_weights(int n, int *cell, float *w) {
  for (int i = 0; i < n; i++) {
    const float g = n > 1 ? (float)i * (float)(AUGMENT_GRID - 1) / (float)(n - 1) : 0.0f;
    int k = (int)g;
    if (k > AUGMENT_GRID - 2) k = AUGMENT_GRID - 2;
    const float f = g - (float)k;
    cell[i] = k;
    w[i] = f * f * (3.0f - 2.0f * f);
  }
}

void augment_warp(const float *src, int rows, int cols, const float m[4], float tx, float ty,
                  const float *grid, float *dst) {
  int cx_cell[AUGMENT_MAX_SIDE], cy_cell[AUGMENT_MAX_SIDE];
  float cx_w[AUGMENT_MAX_SIDE], cy_w[AUGMENT_MAX_SIDE];
  if (grid) {
    grid_weights(cols, cx_cell, cx_w);
    grid_weights(rows, cy_cell, cy_w);
  }
  const float cx = (float)(cols - 1) * 0.5f, cy = (float)(rows - 1) * 0.5f;
  const int G = AUGMENT_GRID;
  for (int y = 0; y < rows; y++) {
    const float py = (float)y - cy;
    for (int x = 0; x < cols; x++) {
      const float px = (float)x - cx;
      float sx = m[0] * px + m[1] * py + cx - tx;
      float sy = m[2] * px + m[3] * py + cy - ty;
      if (grid) {
        const int i = cx_cell[x], j = cy_cell[y];
        const float wx = cx_w[x], wy = cy_w[y];
        for (int axis = 0; axis < 2; axis++) {
          const float *g = grid + axis * G * G;
          const float top = g[j * G + i] * (1.0f - wx) + g[j * G + i + 1] * wx;
          const float bottom = g[(j + 1) * G + i] * (1.0f - wx) + g[(j + 1) * G + i + 1] * wx;
          const float e = top * (1.0f - wy) + bottom * wy;
          if (axis == 0) sx += e; else sy += e;
        }
      }
      dst[(size_t)y * cols + x] = sample(src, rows, cols, sx, sy);
    }
  }
}

/* A uniform number in [-1, 1). */
static float symmetric(rng_t *r) { return 2.0f * rng_uniform(r) - 1.0f; }

void augment_image(const nn_augment *a, rng_t *rng, const float *src, int rows, int cols, float *dst) {
  /* always the same draws, whatever the settings */
  const float angle = symmetric(rng) * a->rotate * (PI_F / 180.0f);
  const float zoom = 1.0f + symmetric(rng) * a->scale;
  const float shear = symmetric(rng) * a->shear;
  const float tx = symmetric(rng) * a->shift, ty = symmetric(rng) * a->shift;
  float grid[2 * AUGMENT_GRID * AUGMENT_GRID];
  for (int i = 0; i < 2 * AUGMENT_GRID * AUGMENT_GRID; i++) grid[i] = symmetric(rng) * a->elastic;
  if (rows < 1 || cols < 1 || rows > AUGMENT_MAX_SIDE || cols > AUGMENT_MAX_SIDE) {
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++) dst[i] = src[i];
    return;
  }
  /* the source point of an output pixel: rotate, unshear and unzoom it */
  float s, c;
  augment_sincos(angle, &s, &c);
  const float inv = 1.0f / zoom;
  const float m[4] = {c * inv, (c * shear - s) * inv, s * inv, (s * shear + c) * inv};
  augment_warp(src, rows, cols, m, tx, ty, a->elastic != 0.0f ? grid : NULL, dst);
}
