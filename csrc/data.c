/* data.c: the data set of data.h: two IDX parsers (images, labels) whose
 * bodies are the data, and the checks that pair them. The pixels are kept
 * exactly as the parser stores them; nothing is copied out. */
#include "data.h"

#include <stdlib.h>

struct nn_dataset {
  idx_parser *file[2]; /* DATA_IMAGES, DATA_LABELS */
  int finished[2];
  int n_classes;
  uint32_t labels_checked; /* labels [0, labels_checked) are < n_classes */
  int max_label;           /* the largest of them, -1 if none */
  nn_status err;           /* sticky */
};

nn_status data_create(int n_classes, nn_dataset **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (n_classes < 2 || n_classes > DATA_MAX_CLASSES) return NN_ERR_ARG;
  nn_dataset *ds = calloc(1, sizeof *ds);
  if (!ds) return NN_ERR_NOMEM;
  ds->n_classes = n_classes;
  ds->max_label = -1;
  if (idx_create(&ds->file[DATA_IMAGES]) != NN_OK || idx_create(&ds->file[DATA_LABELS]) != NN_OK) {
    data_free(ds);
    return NN_ERR_NOMEM;
  }
  *out = ds;
  return NN_OK;
}

void data_free(nn_dataset *ds) {
  if (!ds) return;
  idx_free(ds->file[DATA_IMAGES]);
  idx_free(ds->file[DATA_LABELS]);
  free(ds);
}

/* Shapes as soon as a header is whole, counts once both are, labels as they come. */
static nn_status check(nn_dataset *ds) {
  const idx_parser *im = ds->file[DATA_IMAGES], *lb = ds->file[DATA_LABELS];
  if (idx_header_done(im) && idx_ndims(im) != 3) return NN_ERR_DIMS;
  if (idx_header_done(lb) && idx_ndims(lb) != 1) return NN_ERR_DIMS;
  if (idx_header_done(im) && idx_header_done(lb) && idx_count(im) != idx_count(lb)) return NN_ERR_COUNT;
  const uint32_t ready = idx_ready(lb);
  const uint8_t *labels = idx_data(lb);
  for (uint32_t i = ds->labels_checked; i < ready; i++) {
    if (labels[i] >= ds->n_classes) return NN_ERR_LABEL;
    if (labels[i] > ds->max_label) ds->max_label = labels[i];
  }
  ds->labels_checked = ready;
  return NN_OK;
}

static int known_file(data_file f) { return f == DATA_IMAGES || f == DATA_LABELS; }

nn_status data_push(nn_dataset *ds, data_file file, const uint8_t *bytes, size_t len) {
  if (!ds || !known_file(file)) return NN_ERR_ARG;
  if (ds->err) return ds->err;
  if (ds->finished[file]) return len ? (ds->err = NN_ERR_TRAILING) : NN_OK;
  nn_status st = idx_push(ds->file[file], bytes, len);
  if (st == NN_ERR_ARG) return st; /* the caller's mistake (NULL bytes): not sticky */
  if (st == NN_OK) st = check(ds);
  return ds->err = st;
}

nn_status data_finish(nn_dataset *ds, data_file file) {
  if (!ds || !known_file(file)) return NN_ERR_ARG;
  if (ds->err) return ds->err;
  nn_status st = idx_finish(ds->file[file]);
  if (st == NN_OK) ds->finished[file] = 1;
  return ds->err = st;
}

nn_status data_error(const nn_dataset *ds) { return ds ? ds->err : NN_ERR_ARG; }
int data_complete(const nn_dataset *ds) {
  return ds && !ds->err && ds->finished[DATA_IMAGES] && ds->finished[DATA_LABELS];
}

uint32_t data_count(const nn_dataset *ds) {
  if (!ds) return 0;
  uint32_t n = idx_count(ds->file[DATA_IMAGES]);
  return n ? n : idx_count(ds->file[DATA_LABELS]);
}

uint32_t data_ready(const nn_dataset *ds) {
  if (!ds || ds->err || idx_ndims(ds->file[DATA_IMAGES]) != 3) return 0;
  uint32_t images = idx_ready(ds->file[DATA_IMAGES]);
  return images < ds->labels_checked ? images : ds->labels_checked;
}

int data_rows(const nn_dataset *ds) { return ds ? (int)idx_dim(ds->file[DATA_IMAGES], 1) : 0; }
int data_cols(const nn_dataset *ds) { return ds ? (int)idx_dim(ds->file[DATA_IMAGES], 2) : 0; }
int data_classes(const nn_dataset *ds) { return ds ? ds->n_classes : 0; }

int data_max_label(const nn_dataset *ds) {
  if (!ds || ds->err) return -1;
  uint32_t ready = data_ready(ds);
  if (ready == ds->labels_checked) return ds->max_label;
  int m = -1; /* fewer images than labels have arrived: the ready rows only */
  const uint8_t *labels = idx_data(ds->file[DATA_LABELS]);
  for (uint32_t i = 0; i < ready; i++)
    if (labels[i] > m) m = labels[i];
  return m;
}

const idx_parser *data_parser(const nn_dataset *ds, data_file file) {
  return ds && known_file(file) ? ds->file[file] : NULL;
}

nn_status data_view(const nn_dataset *ds, nn_data *out) {
  if (!ds || !out) return NN_ERR_ARG;
  if (ds->err) return ds->err;
  if (idx_ndims(ds->file[DATA_IMAGES]) != 3) return NN_ERR_STATE;
  out->u8 = idx_data(ds->file[DATA_IMAGES]);
  out->f32 = NULL;
  out->labels = idx_data(ds->file[DATA_LABELS]);
  out->n = (int)data_ready(ds);
  out->rows = data_rows(ds);
  out->cols = data_cols(ds);
  out->extra = NULL;
  return NN_OK;
}

const uint8_t *data_image(const nn_dataset *ds, uint32_t i) {
  if (i >= data_ready(ds)) return NULL;
  return idx_data(ds->file[DATA_IMAGES]) + (size_t)i * idx_sample_size(ds->file[DATA_IMAGES]);
}

int data_label(const nn_dataset *ds, uint32_t i) {
  return i < data_ready(ds) ? idx_data(ds->file[DATA_LABELS])[i] : -1;
}

const char *data_mnist_name(int set, data_file file) {
  static const char *const names[2][2] = {
    {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
    {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
  };
  return (set == 0 || set == 1) && known_file(file) ? names[set][file] : NULL;
}

const char *data_file_suffix(int i) {
  static const char *const suffixes[] = {".gz", ""};
  return i >= 0 && i < 2 ? suffixes[i] : NULL;
}
