/* train.c: the trainer of train.h. The order of a pass is drawn when the
 * pass starts, then the pass is trained in calls to nn_train at multiples
 * of the batch size, which gives the same bits as one call per epoch. */
#include "train.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

struct nn_trainer {
  nn_progress p;
  int shuffle;      /* for the passes to come */
  int repeat;       /* times each extra sample appears in a pass */
  int pass_ordered; /* the current pass is in order[] (else stored order) */
  int32_t *order;   /* (cap): the current pass's order */
  int cap;
  uint64_t plan_start, plan_epochs; /* the run: epochs counted from plan_start */
  float lr_factor;                  /* the current pass's */
};

nn_status trainer_create(nn_trainer **out) {
  if (!out) return NN_ERR_ARG;
  nn_trainer *t = calloc(1, sizeof *t);
  *out = t;
  if (!t) return NN_ERR_NOMEM;
  t->shuffle = 1;
  t->repeat = 1;
  t->p.last_loss = NAN;
  t->lr_factor = 1.0f;
  return NN_OK;
}

void trainer_free(nn_trainer *t) {
  if (!t) return;
  free(t->order);
  free(t);
}

void trainer_set_shuffle(nn_trainer *t, int shuffle) {
  if (t) t->shuffle = shuffle != 0;
}

void trainer_restart(nn_trainer *t) {
  if (!t) return;
  t->p.position = t->p.pass_rows = t->p.pass_whole = 0;
  t->p.pass_loss = 0.0;
}

const nn_progress *trainer_progress(const nn_trainer *t) { return t ? &t->p : NULL; }

nn_status trainer_set_repeat(nn_trainer *t, int repeat) {
  if (!t || repeat < 1 || repeat > TRAIN_MAX_REPEAT) return NN_ERR_ARG;
  t->repeat = repeat;
  return NN_OK;
}

/* Rows in a pass over data: its own, and its extra ones `repeat` times. */
static int64_t pass_size(const nn_trainer *t, const nn_data *data) {
  return (int64_t)data->n + (data->extra ? (int64_t)t->repeat * data->extra->n : 0);
}

void trainer_plan(nn_trainer *t, uint64_t epochs) {
  if (!t) return;
  t->plan_start = t->p.epochs;
  t->plan_epochs = epochs;
}

/* Starts a pass over data (n rows, with its extra ones): its order, from
 * the net's RNG. Without extra rows the order is the permutation nn_shuffle
 * draws, so the bits are those of nn_shuffle + nn_train per epoch. */
static nn_status start_pass(nn_trainer *t, nn_net *net, const nn_data *data, int n, int whole) {
  const int own = data->n, extra = data->extra ? data->extra->n : 0;
  t->pass_ordered = 0;
  if (t->shuffle || n > own) {
    if (n > t->cap) {
      int32_t *order = realloc(t->order, (size_t)n * sizeof *order);
      if (!order) return NN_ERR_NOMEM;
      t->order = order;
      t->cap = n;
    }
    if (t->shuffle) {
      nn_status st = nn_shuffle(net, t->order, n);
      if (st != NN_OK) return st;
    } else {
      for (int i = 0; i < n; i++) t->order[i] = i;
    }
    /* entries past the data's own stand for the extra rows, each repeat times */
    for (int i = 0; extra > 0 && i < n; i++)
      if (t->order[i] >= own) t->order[i] = own + (t->order[i] - own) % extra;
    t->pass_ordered = 1;
  }
  t->p.position = 0;
  t->p.pass_rows = n;
  t->p.pass_whole = whole;
  t->p.pass_loss = 0.0;
  t->lr_factor =
    whole ? nn_schedule_factor(nn_get_config(net)->schedule, t->p.epochs - t->plan_start, t->plan_epochs) : 1.0f;
  return NN_OK;
}

nn_status trainer_run(nn_trainer *t, nn_net *net, const nn_data *data, int whole, int budget, int *trained) {
  if (trained) *trained = 0;
  if (!t || !net || !data || budget < 0 || data->n < 0) return NN_ERR_ARG;
  if (data->n == 0 || budget == 0) return NN_OK;
  const int64_t size = pass_size(t, data);
  if (size > INT32_MAX) return NN_ERR_LIMIT;
  /* a pass whose rows are no longer all there (another data set) starts again */
  if (t->p.pass_rows > size) trainer_restart(t);
  if (t->p.pass_rows == 0) {
    nn_status st = start_pass(t, net, data, (int)size, whole);
    if (st != NN_OK) return st;
  }
  const int B = nn_get_config(net)->batch_size;
  const int64_t want = ((int64_t)budget + B - 1) / B * B;
  const int left = t->p.pass_rows - t->p.position;
  const int count = want < left ? (int)want : left;
  double loss = 0.0;
  int done = 0;
  nn_status st =
    nn_train_scaled(net, t->lr_factor, data, t->pass_ordered ? t->order : NULL, t->p.position, count, &loss, &done);
  t->p.position += done;
  t->p.pass_loss += loss;
  t->p.total_loss += loss;
  t->p.samples += (uint64_t)done;
  if (trained) *trained = done;
  if (st == NN_OK && t->p.position == t->p.pass_rows) {
    t->p.last_loss = t->p.pass_loss / t->p.pass_rows;
    t->p.passes++;
    t->p.epochs += (uint64_t)t->p.pass_whole;
    trainer_restart(t);
  }
  return st;
}
