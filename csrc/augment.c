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
#include <stdint.h>
#include <string.h>

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
  if (!in_range(a->shift, AUGMENT_MAX_SHIFT) || !in_range(a->rotate, AUGMENT_MAX_ROTATE) ||
      !in_range(a->scale, AUGMENT_MAX_SCALE) || !in_range(a->shear, AUGMENT_MAX_SHEAR) ||
      !in_range(a->elastic, AUGMENT_MAX_ELASTIC))
    return NN_ERR_ARG;
  return NN_OK;
}

/* Taylor series on [-pi/2, pi/2] (errors below 6e-8 there), and sin(pi - x)
 * = sin x, cos(pi - x) = -cos x beyond. */
void augment_sincos(float x, float *s, float *c) {
  float sign = 1.0f;
  if (x > 0.5f * PI_F) {
    x = PI_F - x;
    sign = -1.0f;
  } else if (x < -0.5f * PI_F) {
    x = -PI_F - x;
    sign = -1.0f;
  }
  const float x2 = x * x;
  *s = x * (1.0f + x2 * (-1.0f / 6 +
                         x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 + x2 * (-1.0f / 39916800))))));
  *c =
    sign *
    (1.0f +
     x2 * (-0.5f + x2 * (1.0f / 24 +
                         x2 * (-1.0f / 720 + x2 * (1.0f / 40320 + x2 * (-1.0f / 3628800 + x2 * (1.0f / 479001600)))))));
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

/* The source is copied into a frame with a border of zeros (PAD before,
 * PAD + 1 after), so that a sample point clamped into [-1, side] reads
 * zeros outside the image with no test per neighbour: the values of
 * "0 outside" without a branch. */
#define PAD 1
#define FRAME (AUGMENT_MAX_SIDE + 2 * PAD + 1)
#define FRAME_SLACK 2 /* floats past the frame that a 4-float load at its last pair reads */

/* Four lanes at a time with GCC/clang vector extensions (wasm SIMD, SSE):
 * each lane does the scalar float operations in the same order, so the bits
 * do not depend on the vector width. */
typedef float v4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16)));
static inline v4 splat(float x) { return (v4){x, x, x, x}; }
static inline v4 pick(i4 mask, v4 a, v4 b) { /* mask ? a : b, lane by lane */
  i4 ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  const i4 r = (ia & mask) | (ib & ~mask);
  v4 out;
  memcpy(&out, &r, sizeof out);
  return out;
}

static inline v4 load4(const float *p) {
  v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}
/* left = (a[0], b[0], c[0], d[0]), right = (a[1], b[1], c[1], d[1]): whole
 * vector loads and shuffles, as wasm SIMD has no gather (and 8-byte loads
 * of two floats would be split into scalar ones) */
static inline void pairs(const float *a, const float *b, const float *c, const float *d, v4 *left, v4 *right) {
  const v4 ab = __builtin_shufflevector(load4(a), load4(b), 0, 1, 4, 5);
  const v4 cd = __builtin_shufflevector(load4(c), load4(d), 0, 1, 4, 5);
  *left = __builtin_shufflevector(ab, cd, 0, 2, 4, 6);
  *right = __builtin_shufflevector(ab, cd, 1, 3, 5, 7);
}

void augment_warp(const float *src, int rows, int cols, const float m[4], float tx, float ty, const float *grid,
                  float *dst) {
  enum { G = AUGMENT_GRID };
  const int w = cols + 2 * PAD + 1;
  /* the framed source, and the ink's bounding box: a sample point at least
   * a pixel outside it reads only zeros, so four such outputs in a row are
   * 0 without sampling. The box comes from which rows and columns hold any
   * ink, gathered without a branch per pixel (such branches mispredict on
   * the edges of strokes). */
  float frame[FRAME * FRAME + FRAME_SLACK];
  memset(frame, 0, (size_t)PAD * w * sizeof *frame);
  memset(frame + (size_t)(rows + PAD) * w, 0, ((size_t)(PAD + 1) * w + FRAME_SLACK) * sizeof *frame);
  int32_t col_ink[AUGMENT_MAX_SIDE] = {0};
  int y0 = rows, y1 = -1;
  for (int y = 0; y < rows; y++) {
    float *row = frame + (size_t)(y + PAD) * w;
    const float *in = src + (size_t)y * cols;
    for (int x = 0; x < PAD; x++) row[x] = 0.0f;
    for (int x = cols + PAD; x < w; x++) row[x] = 0.0f;
    memcpy(row + PAD, in, (size_t)cols * sizeof *in);
    int32_t any = 0;
    for (int x = 0; x < cols; x++) {
      const int32_t ink = in[x] != 0.0f;
      col_ink[x] |= ink;
      any |= ink;
    }
    if (any) {
      y0 = y < y0 ? y : y0;
      y1 = y;
    }
  }
  int x0 = 0, x1 = cols - 1;
  while (x0 < cols && !col_ink[x0]) x0++;
  while (x1 >= 0 && !col_ink[x1]) x1--;
  if (x1 < 0) x0 = cols; /* no ink: every output is 0 */

  /* the elastic field along each control row, for every column: then a
   * pixel's displacement is one blend of two of these (x and y parts) */
  float ex[G][AUGMENT_MAX_SIDE + 4], ey[G][AUGMENT_MAX_SIDE + 4], wy_of[AUGMENT_MAX_SIDE];
  int row_of[AUGMENT_MAX_SIDE];
  if (grid) {
    int cell[AUGMENT_MAX_SIDE];
    float wx[AUGMENT_MAX_SIDE];
    grid_weights(cols, cell, wx);
    grid_weights(rows, row_of, wy_of);
    for (int j = 0; j < G; j++)
      for (int x = 0; x < cols; x++) {
        const float *gx = grid + j * G + cell[x], *gy = gx + G * G;
        ex[j][x] = gx[0] * (1.0f - wx[x]) + gx[1] * wx[x];
        ey[j][x] = gy[0] * (1.0f - wx[x]) + gy[1] * wx[x];
      }
    for (int j = 0; j < G; j++)
      for (int x = cols; x < cols + 4; x++) ex[j][x] = ey[j][x] = 0.0f; /* read by lanes past the row */
  }

  const v4 ink_lo_x = splat((float)x0 - 1.0f), ink_hi_x = splat((float)x1 + 1.0f);
  const v4 ink_lo_y = splat((float)y0 - 1.0f), ink_hi_y = splat((float)y1 + 1.0f);

  const float cx = (float)(cols - 1) * 0.5f, cy = (float)(rows - 1) * 0.5f;
  const v4 lo = splat(-1.0f), hi_x = splat((float)cols), hi_y = splat((float)rows), one = splat(1.0f);
  const v4 lane = {0.0f, 1.0f, 2.0f, 3.0f};
  for (int y = 0; y < rows; y++) {
    const float py = (float)y - cy;
    const v4 bx = splat(m[1] * py + cx - tx), by = splat(m[3] * py + cy - ty);
    const int j = grid ? row_of[y] : 0;
    const v4 wy = splat(grid ? wy_of[y] : 0.0f);
    for (int x = 0; x < cols; x += 4) {
      /* four outputs at a time; lanes past the row are computed, not stored */
      const v4 px = splat((float)x - cx) + lane;
      v4 sx = splat(m[0]) * px + bx, sy = splat(m[2]) * px + by;
      if (grid) {
        v4 e0, e1, f0, f1;
        memcpy(&e0, &ex[j][x], sizeof e0);
        memcpy(&e1, &ex[j + 1][x], sizeof e1);
        memcpy(&f0, &ey[j][x], sizeof f0);
        memcpy(&f1, &ey[j + 1][x], sizeof f1);
        sx += e0 * (one - wy) + e1 * wy;
        sy += f0 * (one - wy) + f1 * wy;
      }
      v4 out = splat(0.0f);
      const i4 outside = (sx <= ink_lo_x) | (sx >= ink_hi_x) | (sy <= ink_lo_y) | (sy >= ink_hi_y);
      if (!(outside[0] & outside[1] & outside[2] & outside[3])) {
        sx = pick(sx > lo, pick(sx < hi_x, sx, hi_x), lo); /* into [-1, side]; NaN goes to -1 */
        sy = pick(sy > lo, pick(sy < hi_y, sy, hi_y), lo);
        const i4 ix = __builtin_convertvector(sx + one, i4) - 1, iy = __builtin_convertvector(sy + one, i4) - 1;
        const v4 fx = sx - __builtin_convertvector(ix, v4), fy = sy - __builtin_convertvector(iy, v4);
        const i4 at = (iy + PAD) * w + ix + PAD;
        /* each lane's two neighbours in a row are adjacent: one 8-byte
         * load per lane and row, then split into left and right */
        v4 p00, p01, p10, p11;
        pairs(frame + at[0], frame + at[1], frame + at[2], frame + at[3], &p00, &p01);
        pairs(frame + at[0] + w, frame + at[1] + w, frame + at[2] + w, frame + at[3] + w, &p10, &p11);
        const v4 top = p00 * (one - fx) + p01 * fx, bottom = p10 * (one - fx) + p11 * fx;
        out = top * (one - fy) + bottom * fy;
      }
      float *to = dst + (size_t)y * cols + x;
      if (x + 4 <= cols) memcpy(to, &out, sizeof out); /* a fixed size: one vector store, not a call */
      else memcpy(to, &out, (size_t)(cols - x) * sizeof(float));
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
