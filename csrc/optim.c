/* optim.c: SGD, momentum and Adam as plain loops over one flat buffer of
 * count floats. Knows nothing of layers; nn.c owns the buffers. */
#include "optim.h"

#include <math.h>
#include <string.h>

/* x - x is 0 for finite x and NaN otherwise; an integer OR of the test
 * vectorises along with the update, where a float sum would not. */
#define TRACK_FINITE(acc, x) ((acc) |= ((x) - (x) != 0.0f))

static int sgd(float lr, float *p, const float *g, size_t from, size_t n) {
  int bad = 0;
  for (size_t i = from; i < n; i++) {
    p[i] -= lr * g[i];
    TRACK_FINITE(bad, p[i]);
  }
  return bad;
}

/* Heavy ball: v = mu v + g; p -= lr v. */
static int momentum(float lr, float mu, float *p, const float *g, float *v, size_t from, size_t n) {
  int bad = 0;
  for (size_t i = from; i < n; i++) {
    v[i] = mu * v[i] + g[i];
    p[i] -= lr * v[i];
    TRACK_FINITE(bad, p[i]);
  }
  return bad;
}

/* Adam (Kingma & Ba) with bias correction folded into the step size
 * (beta^t advanced by optim_advance). */
static int adam(const nn_config *c, float lr, const optim_state *st, float *p, const float *g, size_t from, size_t n) {
  const float b1 = c->beta1, b2 = c->beta2;
  const float c1 = 1.0f / (1.0f - st->beta1_t);
  const float c2 = 1.0f / (1.0f - st->beta2_t);
  const float eps = c->epsilon;
  float *m = st->m, *v = st->v;
  int bad = 0;
  for (size_t i = from; i < n; i++) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * (g[i] * g[i]);
    p[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
    TRACK_FINITE(bad, p[i]);
  }
  return bad;
}

void optim_advance(const nn_config *cfg, optim_state *st) {
  if (cfg->optimizer != NN_ADAM) return;
  st->beta1_t *= cfg->beta1;
  st->beta2_t *= cfg->beta2;
}

int optim_update_range(const nn_config *cfg, float lr, const optim_state *st, float *params, const float *grads,
                       size_t from, size_t to) {
  switch (cfg->optimizer) {
    case NN_MOMENTUM: return momentum(lr, cfg->momentum, params, grads, st->m, from, to);
    case NN_ADAM: return adam(cfg, lr, st, params, grads, from, to);
    default: return sgd(lr, params, grads, from, to);
  }
}

int optim_update(const nn_config *cfg, float lr, optim_state *st, float *params, const float *grads, size_t count) {
  optim_advance(cfg, st);
  return optim_update_range(cfg, lr, st, params, grads, 0, count);
}

void optim_reset(optim_state *st, size_t count) {
  if (st->m) memset(st->m, 0, count * sizeof *st->m);
  if (st->v) memset(st->v, 0, count * sizeof *st->v);
  st->beta1_t = 1.0f;
  st->beta2_t = 1.0f;
}

void optim_copy(optim_state *dst, const optim_state *src, size_t count) {
  if (src->m && dst->m) memcpy(dst->m, src->m, count * sizeof *dst->m);
  if (src->v && dst->v) memcpy(dst->v, src->v, count * sizeof *dst->v);
  dst->beta1_t = src->beta1_t;
  dst->beta2_t = src->beta2_t;
}
