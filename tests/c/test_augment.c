/* test_augment.c: the distortions of augment.h and the learning-rate
 * schedules: an identity transform returns the image; a shift moves the
 * centre of mass by that amount; no transform reads outside the image (run
 * under ASan with the image at the end of its allocation); the same draws
 * give the same bits; sin/cos against libm; the schedule factors; and
 * augmented training that splits into calls gives the bits of one call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "nn.h"
#include "test.h"
#include "train.h"

enum { SIDE = 28, PX = SIDE * SIDE };

/* A digit-like blob: a ring of ink off the centre. */
static void make_image(float *img) {
  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++) {
      const float d = sqrtf((float)((x - 12) * (x - 12) + (y - 14) * (y - 14)));
      img[y * SIDE + x] = d > 4.0f && d < 7.0f ? 1.0f - fabsf(d - 5.5f) / 1.5f : 0.0f;
    }
}

static void centre_of_mass(const float *img, double *cx, double *cy) {
  double m = 0, sx = 0, sy = 0;
  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++) {
      m += img[y * SIDE + x];
      sx += x * (double)img[y * SIDE + x];
      sy += y * (double)img[y * SIDE + x];
    }
  *cx = sx / m;
  *cy = sy / m;
}

static void test_identity(void) {
  float img[PX], out[PX];
  make_image(img);
  const float id[4] = {1, 0, 0, 1};
  augment_warp(img, SIDE, SIDE, id, 0, 0, NULL, out);
  CHECK(memcmp(img, out, sizeof img) == 0, "the identity transform returns the image bit for bit");
  float zero_grid[2 * AUGMENT_GRID * AUGMENT_GRID] = {0};
  augment_warp(img, SIDE, SIDE, id, 0, 0, zero_grid, out);
  CHECK(memcmp(img, out, sizeof img) == 0, "a zero elastic field changes nothing");
  nn_augment none = {0};
  rng_t r;
  rng_seed(&r, 1);
  CHECK(!augment_enabled(&none), "all zero: off");
  augment_image(&none, &r, img, SIDE, SIDE, out);
  CHECK(memcmp(img, out, sizeof img) == 0, "all-zero settings: the image itself");
}

static void test_shift(void) {
  float img[PX], out[PX];
  make_image(img);
  double cx0, cy0;
  centre_of_mass(img, &cx0, &cy0);
  const float id[4] = {1, 0, 0, 1};
  const float shifts[][2] = {{2, 0}, {0, -3}, {1.5f, 2.5f}, {-2.25f, 0.75f}};
  for (int i = 0; i < 4; i++) {
    augment_warp(img, SIDE, SIDE, id, shifts[i][0], shifts[i][1], NULL, out);
    double cx, cy;
    centre_of_mass(out, &cx, &cy);
    CHECK(fabs(cx - cx0 - shifts[i][0]) < 1e-3 && fabs(cy - cy0 - shifts[i][1]) < 1e-3,
          "shift (%g, %g) moved the centre of mass by (%.4f, %.4f)", shifts[i][0], shifts[i][1], cx - cx0, cy - cy0);
  }
  /* an integer shift moves the pixels exactly */
  augment_warp(img, SIDE, SIDE, id, 3, 1, NULL, out);
  int exact = 1;
  for (int y = 1; y < SIDE; y++)
    for (int x = 3; x < SIDE; x++) exact &= out[y * SIDE + x] == img[(y - 1) * SIDE + x - 3];
  CHECK(exact, "a shift of (3, 1) moves every pixel by (3, 1)");
}

/* Every setting at its largest, other sizes and hostile transforms: the
 * source sits at the very end of its allocation (ASan sees any read past
 * it), and every output is finite and in 0..1. */
static void test_bounds(void) {
  const int shapes[][2] = {{28, 28}, {1, 1}, {1, 7}, {5, 3}, {64, 64}, {17, 30}};
  nn_augment big = {AUGMENT_MAX_SHIFT, AUGMENT_MAX_ROTATE, AUGMENT_MAX_SCALE, AUGMENT_MAX_SHEAR, AUGMENT_MAX_ELASTIC};
  CHECK_EQ(augment_check(&big), NN_OK);
  rng_t r;
  rng_seed(&r, 7);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
    float *src = malloc(sizeof(float) * (size_t)n), *dst = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) src[i] = (float)((i * 37) % 11) / 10.0f;
    int ok = 1;
    for (int k = 0; k < 200; k++) {
      augment_image(&big, &r, src, rows, cols, dst);
      for (int i = 0; i < n; i++) ok &= dst[i] >= 0.0f && dst[i] <= 1.0f;
    }
    const float wild[][4] = {{1e30f, 0, 0, 1e30f}, {NAN, 0, 0, 1}, {INFINITY, -INFINITY, 1, 0}, {0, 0, 0, 0}};
    for (int k = 0; k < 4; k++) {
      augment_warp(src, rows, cols, wild[k], k == 3 ? NAN : 1e20f, -1e20f, NULL, dst);
      for (int i = 0; i < n; i++) ok &= dst[i] >= 0.0f && dst[i] <= 1.0f;
    }
    CHECK(ok, "%dx%d: every output finite and in 0..1", rows, cols);
    free(src);
    free(dst);
  }
  nn_augment bad = big;
  bad.rotate = 46.0f;
  CHECK_EQ(augment_check(&bad), NN_ERR_ARG);
  bad = big;
  bad.elastic = NAN;
  CHECK_EQ(augment_check(&bad), NN_ERR_ARG);
  bad = big;
  bad.shift = -1.0f;
  CHECK_EQ(augment_check(&bad), NN_ERR_ARG);
}

static void test_draws(void) {
  float img[PX], a[PX], b[PX];
  make_image(img);
  nn_augment aug;
  augment_default(&aug);
  CHECK(augment_enabled(&aug) && augment_check(&aug) == NN_OK, "the defaults are valid");
  rng_t r1, r2;
  rng_seed(&r1, 42);
  rng_seed(&r2, 42);
  augment_image(&aug, &r1, img, SIDE, SIDE, a);
  augment_image(&aug, &r2, img, SIDE, SIDE, b);
  CHECK(memcmp(a, b, sizeof a) == 0 && r1.state == r2.state, "the same draws give the same bits");
  augment_image(&aug, &r1, img, SIDE, SIDE, b);
  CHECK(memcmp(a, b, sizeof a) != 0, "the next draw distorts otherwise");
  /* a fixed count of draws, whatever the pixels or settings */
  nn_augment small = {0.5f, 0, 0, 0, 0};
  rng_seed(&r1, 3);
  rng_seed(&r2, 3);
  float blank[PX] = {0};
  augment_image(&aug, &r1, img, SIDE, SIDE, a);
  augment_image(&small, &r2, blank, SIDE, SIDE, b);
  CHECK(r1.state == r2.state, "the draws do not depend on the pixels or the settings");
  /* and that count is AUGMENT_DRAWS, which rng_skip jumps over (a thread's share of a batch starts so) */
  rng_seed(&r2, 3);
  rng_skip(&r2, AUGMENT_DRAWS);
  CHECK(r1.state == r2.state, "one image draws AUGMENT_DRAWS numbers");
  rng_seed(&r2, 3);
  for (int i = 0; i < AUGMENT_DRAWS; i++) (void)rng_next(&r2);
  CHECK(r1.state == r2.state, "rng_skip(n) is n calls of rng_next");
}

static void test_sincos(void) {
  double worst = 0;
  for (int i = -2000; i <= 2000; i++) {
    const float x = 3.14159265f * (float)i / 2000.0f;
    float s, c;
    augment_sincos(x, &s, &c);
    const double es = fabs(s - sin((double)x)), ec = fabs(c - cos((double)x));
    worst = es > worst ? es : ec > worst ? ec : worst;
  }
  CHECK(worst < 3e-7, "sin and cos within 3e-7 of libm on [-pi, pi], worst %.3g", worst);
}

static void test_schedules(void) {
  CHECK(nn_schedule_factor(NN_SCHEDULE_CONSTANT, 5, 10) == 1.0f, "constant");
  CHECK(nn_schedule_factor(NN_SCHEDULE_COSINE, 3, 0) == 1.0f, "no plan: 1");
  int ok = 1;
  for (int e = 0; e < 10; e++) {
    const double want = 0.5 * (1.0 + cos(3.14159265358979 * e / 10.0));
    ok &= fabs(nn_schedule_factor(NN_SCHEDULE_COSINE, (uint64_t)e, 10) - want) < 1e-6;
  }
  CHECK(ok, "cosine: (1 + cos(pi e / E)) / 2");
  CHECK(nn_schedule_factor(NN_SCHEDULE_COSINE, 0, 10) == 1.0f, "cosine starts at the full rate");
  CHECK(nn_schedule_factor(NN_SCHEDULE_COSINE, 25, 10) == nn_schedule_factor(NN_SCHEDULE_COSINE, 9, 10),
        "past the plan: the last factor");
  CHECK(nn_schedule_factor(NN_SCHEDULE_STEP, 4, 10) == 1.0f && nn_schedule_factor(NN_SCHEDULE_STEP, 5, 10) == 0.1f &&
          nn_schedule_factor(NN_SCHEDULE_STEP, 7, 10) == 0.1f && nn_schedule_factor(NN_SCHEDULE_STEP, 8, 10) == 0.01f,
        "step: /10 from half the run, /100 from three quarters");
  CHECK(nn_schedule_parse("cosine") == NN_SCHEDULE_COSINE && nn_schedule_parse("linear") == -1 &&
          strcmp(nn_schedule_name(NN_SCHEDULE_STEP), "step") == 0,
        "names");
}

/* Augmented, scheduled, decayed training through the trainer: any split
 * into calls gives the bits of whole passes, and the augmentation changes
 * the weights. */
static void test_training(void) {
  enum { N = 96, EPOCHS = 3 };
  uint8_t *x = malloc(N * PX), *y = malloc(N);
  float img[PX];
  make_image(img);
  for (int i = 0; i < N; i++) {
    for (int p = 0; p < PX; p++) x[i * PX + p] = (uint8_t)(img[p] * (float)(80 + i) + (float)((p * i) % 7));
    y[i] = (uint8_t)(i % 10);
  }
  nn_data d = {x, NULL, y, N, 0, 0};
  nn_config cfg;
  nn_config_default(&cfg);
  cfg.sizes[1] = 16;
  cfg.sizes[2] = 12;
  cfg.schedule = NN_SCHEDULE_COSINE;
  cfg.weight_decay = 0.01f;
  augment_default(&cfg.augment);
  nn_net *nets[3] = {NULL, NULL, NULL};
  const int budgets[3] = {N, 7, 1};
  for (int k = 0; k < 3; k++) {
    nn_config c = cfg;
    if (k == 2) memset(&c.augment, 0, sizeof c.augment); /* the same run without augmentation */
    CHECK_EQ(nn_create(&c, &nets[k]), NN_OK);
    nn_trainer *t = NULL;
    CHECK_EQ(trainer_create(&t), NN_OK);
    trainer_plan(t, EPOCHS);
    const int budget = k == 2 ? N : budgets[k];
    while (trainer_progress(t)->epochs < EPOCHS) CHECK_EQ(trainer_run(t, nets[k], &d, 1, budget, NULL), NN_OK);
    trainer_free(t);
  }
  size_t n;
  const float *a = nn_params_const(nets[0], &n), *b = nn_params_const(nets[1], NULL),
              *c = nn_params_const(nets[2], NULL);
  CHECK(memcmp(a, b, n * sizeof *a) == 0 && nn_rng_state(nets[0]) == nn_rng_state(nets[1]),
        "augmented training in calls of 7 samples gives the bits of whole passes");
  CHECK(memcmp(a, c, n * sizeof *a) != 0, "augmentation changes what is learned");
  /* a non-square input cannot be augmented without a shape */
  nn_config odd = cfg;
  odd.sizes[0] = 700;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&odd, &net), NN_OK);
  nn_data flat = {x, NULL, y, 10, 0, 0};
  CHECK_EQ(nn_train(net, &flat, NULL, 0, 10, NULL, NULL), NN_ERR_SHAPE);
  nn_data shaped = {x, NULL, y, 10, 20, 35};
  CHECK_EQ(nn_train(net, &shaped, NULL, 0, 10, NULL, NULL), NN_OK);
  nn_free(net);
  for (int k = 0; k < 3; k++) nn_free(nets[k]);
  free(x);
  free(y);
}

int main(void) {
  test_identity();
  test_shift();
  test_bounds();
  test_draws();
  test_sincos();
  test_schedules();
  test_training();
  return TEST_DONE();
}
