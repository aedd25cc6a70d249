/* nn_rows.c: samples into the scratch. Rows are checked before a call
 * changes anything, then loaded as floats (augmented while nn_train
 * augments, with their mean pixel for centred input) with their labels.
 * A NULL call loads rows as stored. */
#include <string.h>

#include "kernels.h"
#include "nn_internal.h"

/* x - x is 0 for finite x and NaN otherwise; an integer OR vectorises. */
int net_all_finite(const float *x, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) bad |= (x[i] - x[i] != 0.0f);
  return !bad;
}

/* Checks the rows that a call will use before it changes anything: labels
 * below n_out, float pixels finite, order entries in range. */
/* Row r of d's order: d itself below d->n, else row r - n of d->extra
 * (*r adjusted); NULL if there is no such row. */
static const nn_data *row_source(const nn_data *d, int64_t *r) {
  if (*r < 0) return NULL;
  if (*r < d->n) return d;
  if (!d->extra || d->extra->extra || *r - d->n >= d->extra->n) return NULL;
  *r -= d->n;
  return d->extra;
}

nn_status net_check_rows(const nn_net *net, const nn_data *d, const int32_t *order, int start, int count) {
  const int n_in = net->cfg.sizes[0], k = net->cfg.sizes[net->n_layers];
  if (d->extra && (!d->extra->u8 == !d->extra->f32 || (d->labels && !d->extra->labels))) return NN_ERR_ARG;
  for (int j = start; j < start + count; j++) {
    int64_t r = order ? order[j] : j;
    const nn_data *src = row_source(d, &r);
    if (!src) return NN_ERR_ARG;
    if (src->labels && src->labels[r] >= k) return NN_ERR_ARG;
    if (src->f32 && !net_all_finite(src->f32 + (size_t)r * n_in, (size_t)n_in)) return NN_ERR_ARG;
  }
  return NN_OK;
}

/* Row r of the data as floats into dst (sizes[0]), and with centred input
 * its mean pixel into *mean (centre_z); where the call augments,
 * distorted by the next draws of rng (the image is distorted, then its
 * mean taken), with scratch (sizes[0]) holding the row as stored. */
void net_load_row(const nn_net *net, const net_call *call, const nn_data *data, size_t row, float *dst, float *mean,
                  rng_t *rng, float *scratch) {
  const int n_in = net->cfg.sizes[0];
  int64_t at = (int64_t)row;
  const nn_data *d = row_source(data, &at); /* checked by check_rows */
  const size_t r = (size_t)at;
  const int augment = call && call->augment;
  float *to = augment ? scratch : dst;
  if (d->u8) kern_bytes_to_unit(to, d->u8 + r * n_in, (size_t)n_in);
  else memcpy(to, d->f32 + r * n_in, (size_t)n_in * sizeof *to);
  if (augment) augment_image(&net->cfg.augment, rng, to, call->aug_rows, call->aug_cols, dst);
  if (net->cfg.input == NN_INPUT_CENTRED) *mean = kern_mean(dst, (size_t)n_in);
}

/* The image shape of d for augmentation: its own, or the square of
 * sizes[0] pixels; 0 if there is none. */
int net_image_shape(const nn_net *net, const nn_data *d, int *rows, int *cols) {
  const int n_in = net->cfg.sizes[0];
  if (d->rows > 0 && d->cols > 0) {
    *rows = d->rows;
    *cols = d->cols;
  } else {
    int side = 1;
    while (side * side < n_in) side++;
    *rows = *cols = side;
  }
  return (int64_t)*rows * *cols == n_in && *rows <= AUGMENT_MAX_SIDE && *cols <= AUGMENT_MAX_SIDE;
}

/* The label of row r of d's order (extra rows included). */
uint8_t net_label_of(const nn_data *d, size_t r) {
  int64_t at = (int64_t)r;
  const nn_data *src = row_source(d, &at);
  return src->labels[at];
}

/* Rows j0..j1 of the batch order[start .. start+B) into act[0] (as
 * floats) and labels, with thread t's scratch. Where the call augments, row j
 * draws from the net's generator as it stands after j rows (AUGMENT_DRAWS
 * numbers a row), so that any split of a batch over threads gives the bits
 * of one thread; gather then moves the generator past the batch. */
void net_gather_rows(nn_net *net, const net_call *call, const nn_data *d, const int32_t *order, int start, int j0,
                     int j1, int t) {
  const int n_in = net->cfg.sizes[0];
  rng_t rng = net->rng;
  rng_skip(&rng, (uint64_t)j0 * AUGMENT_DRAWS);
  for (int j = j0; j < j1; j++) {
    const size_t r = (size_t)(order ? order[start + j] : start + j);
    net_load_row(net, call, d, r, net->act[0] + (size_t)j * n_in, net->row_mean + j, &rng,
                 net->x_aug + (size_t)t * n_in);
    if (d->labels) net->labels[j] = net_label_of(d, r);
  }
}

void net_gather_done(nn_net *net, const net_call *call, int B) {
  if (call && call->augment) rng_skip(&net->rng, (uint64_t)B * AUGMENT_DRAWS);
}

void net_gather(nn_net *net, const net_call *call, const nn_data *d, const int32_t *order, int start, int B) {
  net_gather_rows(net, call, d, order, start, 0, B, 0);
  net_gather_done(net, call, B);
}
