/* optim.h: the update rules, each one loop over the flat parameter buffer. */
#ifndef OPTIM_H
#define OPTIM_H

#include <stddef.h>
#include "nn.h"

typedef struct {
  float *m;               /* momentum: velocity; adam: first moment (count floats) */
  float *v;               /* adam: second moment (count floats) */
  float beta1_t, beta2_t; /* adam: beta^t for bias correction, kept as running products */
} optim_state;

/* params -= update(grads) under cfg's optimizer, at learning rate lr (cfg's
 * times the schedule's factor). Returns 0 if every new parameter is finite,
 * 1 otherwise. */
int optim_update(const nn_config *cfg, float lr, optim_state *st, float *params, const float *grads, size_t count);

/* optim_update in parts, for threads that split the buffer: optim_advance
 * once per step (Adam's beta^t), then optim_update_range over disjoint
 * [from, to) that cover count, in any order: the same bits. */
void optim_advance(const nn_config *cfg, optim_state *st);
int optim_update_range(const nn_config *cfg, float lr, const optim_state *st, float *params, const float *grads,
                       size_t from, size_t to);

/* Forget velocity and moments (after a load or a divergence). */
void optim_reset(optim_state *st, size_t count);

/* dst = src: velocity, moments and bias-correction products (to undo a step). */
void optim_copy(optim_state *dst, const optim_state *src, size_t count);

#endif
