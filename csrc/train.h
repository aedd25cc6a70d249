/* train.h: the one training loop, behind the page's worker, the Node command
 * and the native CLI alike. A trainer walks a network through passes over a
 * data set: each pass in a fresh order drawn from the network's seeded RNG
 * (nn_shuffle, so the bits match nn_train over a shuffled epoch), a budget
 * of samples per call so that a caller can slice by time, and counters.
 * The data set may still be arriving: a pass covers the rows there at its
 * start, and only passes over the whole set count as epochs.
 * It holds no network: each call names the one to train, so a caller may
 * replace it (load, new optimizer) and keep its place. It does not print. */
#ifndef TRAIN_H
#define TRAIN_H

#include <stdint.h>

#include "nn.h"

typedef struct nn_trainer nn_trainer;

typedef struct nn_progress {
  uint64_t epochs;   /* passes completed that covered the whole data set */
  uint64_t passes;   /* passes completed, those over part of a data set included */
  uint64_t samples;  /* samples trained through this trainer */
  int position;      /* samples done in the current pass */
  int pass_rows;     /* samples in the current pass; 0 until one starts */
  int pass_whole;    /* 1 if the current pass covers the whole data set */
  double pass_loss;  /* sum of per-sample losses in the current pass so far */
  double last_loss;  /* mean loss of the last completed pass; NaN before one */
  double total_loss; /* sum of per-sample losses over all samples trained */
} nn_progress;

nn_status trainer_create(nn_trainer **out);           /* *out NULL on failure */
void trainer_free(nn_trainer *t);                     /* NULL-safe */
void trainer_set_shuffle(nn_trainer *t, int shuffle); /* 0: passes from the next on in stored order; default 1 */
void trainer_restart(nn_trainer *t);                  /* drop the current pass; counters stay */
/* Plans a run of `epochs` epochs from the next whole pass on, for the
 * network's learning-rate schedule (nn_schedule_factor): epoch e of the run
 * trains at that factor. 0: no plan (factor 1). Passes over part of a data
 * set train at factor 1. A plan spans at most TRAIN_MAX_PLAN epochs. */
#define TRAIN_MAX_PLAN 1000000000
void trainer_plan(nn_trainer *t, uint64_t epochs);
/* Mixed passes: where the data have extra samples (nn_data.extra, a
 * person's own digits), each pass holds every extra sample `repeat` times
 * (1..TRAIN_MAX_REPEAT, default 1) among the data's own, shuffled together. */
#define TRAIN_MAX_REPEAT 10000
nn_status trainer_set_repeat(nn_trainer *t, int repeat);
const nn_progress *trainer_progress(const nn_trainer *t);

/* Trains net on data (whole: 1 if data->n is final) for about budget
 * samples, rounded up to whole mini-batches, and never past the end of the
 * current pass; a new pass starts when the last one is done. *trained (may
 * be NULL) gets the samples trained. Nothing to train (data->n 0) is NN_OK
 * with 0 trained. On NN_ERR_DIVERGED the step that diverged is undone and
 * the trainer stays at it (nn_train), so nn_steps(net) + 1 names it. */
nn_status trainer_run(nn_trainer *t, nn_net *net, const nn_data *data, int whole, int budget, int *trained);

#endif
