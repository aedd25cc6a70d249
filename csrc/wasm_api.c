/* wasm_api.c: the functions the WebAssembly module exports to JavaScript
 * (web/lib/ wraps them). Each one is thin: it re-checks its pointers and
 * sizes, calls the core and returns an nn_status. It holds no state but the
 * facts string, and never allocates on the caller's behalf except through
 * create/load-style out-pointers; JavaScript mallocs and frees its own
 * buffers.
 *
 * The export list lives in one place, NN_WASM_EXPORTS in cmake/wasm.cmake,
 * which also exports parts of the core as they are (nn_strerror,
 * nn_status_name, the IDX parser of idx.h, the data set of data.h, the
 * command lines' parser and messages of cli/options.h): those functions
 * check their own arguments.
 *
 * Configuration crosses the boundary as a double[CFG_LEN] in the layout of
 * wasm_layout.h, not as an nn_config, so JavaScript never depends on C
 * struct layout; facts() (wasm_layout.c) tells JavaScript the layout, the
 * limits, the status table and the names. In create(), a NaN entry (or
 * n_sizes 0) means "the default from nn_config_default". Doubles carry
 * every int and float32 exactly; the seed travels as two 32-bit halves. */
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "data.h"
#include "export.h"
#include "model.h"
#include "nn.h"
#include "options.h"
#include "pool.h"
#include "text.h"
#include "train.h"
#include "wasm_layout.h"

/* Bytes of heap in use (malloc'd and not freed), for leak tests. */
/* NOLINTNEXTLINE(concurrency-mt-unsafe): the tests read it between calls, not during one */
double heap_used(void) { return (double)mallinfo().uordblks; }

/* ---- network ---------------------------------------------------------- */

/* in is double[CFG_LEN] (NaN: default); *out gets the network or NULL. */
nn_status create(const double *in, nn_net **out) {
  nn_config cfg;
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (!in) return NN_ERR_ARG;
  nn_status s = wasm_read_config(in, &cfg);
  return s != NN_OK ? s : nn_create(&cfg, out);
}

void destroy(nn_net *net) { nn_free(net); }

/* The network's configuration into out (double[CFG_LEN]). */
nn_status config(const nn_net *net, double *out) {
  if (!net || !out) return NN_ERR_ARG;
  wasm_write_config(nn_get_config(net), out);
  return NN_OK;
}

double steps(const nn_net *net) { return net ? (double)nn_steps(net) : 0; }

nn_status set_learning_rate(nn_net *net, double lr) {
  if (!net || !isfinite(lr) || !(lr > 0)) return NN_ERR_ARG;
  return nn_set_learning_rate(net, (float)lr);
}

/* The training options of in (double[CFG_LEN], NaN: unchanged): schedule,
 * weight decay, augmentation; all or nothing. */
nn_status set_training(nn_net *net, const double *in) {
  if (!net || !in) return NN_ERR_ARG;
  nn_config cfg = *nn_get_config(net);
  int bad = 0;
  wasm_read_training(in, &cfg, &bad);
  if (bad) return NN_ERR_ARG;
  return nn_set_training(net, cfg.schedule, cfg.weight_decay, &cfg.augment);
}

nn_status set_batch_size(nn_net *net, int batch_size) {
  if (!net || batch_size < 1 || batch_size > NN_MAX_BATCH) return NN_ERR_ARG;
  return nn_set_batch_size(net, batch_size);
}

/* *out gets a copy of net with another optimizer: weights, options and
 * counters carried over, optimizer state fresh (as after a load). */
nn_status with_optimizer(nn_net *net, int optimizer, nn_net **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (!net || optimizer < 0 || optimizer >= NN_OPTIMIZER_COUNT) return NN_ERR_ARG;
  nn_config cfg = *nn_get_config(net);
  cfg.optimizer = (nn_optimizer)optimizer;
  nn_net *fresh = NULL;
  nn_status s = nn_create(&cfg, &fresh);
  if (s != NN_OK) return s;
  size_t n_old = 0, n_new = 0;
  const float *src = nn_params_const(net, &n_old);
  float *dst = nn_params(fresh, &n_new);
  if (n_old != n_new) {
    nn_free(fresh);
    return NN_ERR_STATE;
  }
  memcpy(dst, src, n_old * sizeof *dst);
  nn_restore_counters(fresh, nn_steps(net), nn_rng_state(net));
  nn_move_threads(fresh, net); /* the same threads: none to start (a page cannot wait for new ones) */
  *out = fresh;
  return NN_OK;
}

/* Threads of later steps and evaluations (nn_set_threads); JavaScript has
 * made sure that the workers they need are loaded. */
nn_status set_threads(nn_net *net, int threads) { return nn_set_threads(net, threads); }
int threads(const nn_net *net) { return nn_threads(net); }
/* Jobs run on the network's pool threads (not the caller): proof of a split. */
long thread_jobs(const nn_net *net) { return nn_thread_jobs(net); }
/* Threads of all pools that run now: 0 once every threaded network is freed. */
int threads_alive(void) { return pool_threads_alive(); }

/* The flat parameter buffer and its length in floats (*count), or NULL. */
/* Layer l's nn_layer_info into out (double[12]): kind, input rows, cols,
 * channels, output rows, cols, channels, kernel, units, fan_in, and the
 * offsets of its weights and biases in the parameter buffer. */
nn_status layer_info(const nn_net *net, int l, double *out) {
  nn_layer_info y;
  if (!out) return NN_ERR_ARG;
  nn_status st = nn_get_layer(net, l, &y);
  if (st != NN_OK) return st;
  const double v[12] = {y.kind,         y.in.rows, y.in.cols, y.in.channels, y.out.rows,        y.out.cols,
                        y.out.channels, y.kernel,  y.units,   y.fan_in,      (double)y.weights, (double)y.biases};
  memcpy(out, v, sizeof v);
  return NN_OK;
}

float *params(nn_net *net, size_t *count) {
  if (!net || !count) return NULL;
  return nn_params(net, count);
}

/* n samples as bytes (u8) or floats (f32): exactly one of them non-NULL.
 * labels may be NULL only where want_labels is 0. */
static nn_status make_data(const uint8_t *u8, const float *f32, const uint8_t *labels, int n, int want_labels,
                           nn_data *d) {
  if (n < 1 || (u8 == NULL) == (f32 == NULL) || (want_labels && !labels)) return NN_ERR_ARG;
  d->u8 = u8;
  d->f32 = f32;
  d->labels = labels;
  d->n = n;
  d->rows = d->cols = 0; /* a square image, if augmented */
  d->extra = NULL;
  return NN_OK;
}

/* One update on exactly these n samples; *loss (may be NULL) the mean loss. */
nn_status step(nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *labels, int n, float *loss) {
  nn_data d;
  if (!net || n > NN_MAX_BATCH) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, labels, n, 1, &d);
  return s != NN_OK ? s : nn_step(net, &d, loss);
}

/* ---- trainer ---------------------------------------------------------- */

/* A run of `epochs` from the trainer's next whole pass, for the schedule. */
void trainer_plan_epochs(nn_trainer *t, double epochs) {
  trainer_plan(t, epochs >= 1 && epochs <= TRAIN_MAX_PLAN ? (uint64_t)epochs : 0);
}

nn_trainer *trainer_new(int shuffle) {
  nn_trainer *t = NULL;
  if (trainer_create(&t) != NN_OK) return NULL;
  trainer_set_shuffle(t, shuffle);
  return t;
}

/* The trainer's counters into out (double[PROGRESS_LEN], layout in facts). */
nn_status trainer_state(const nn_trainer *t, double *out) {
  const nn_progress *p = trainer_progress(t);
  if (!p || !out) return NN_ERR_ARG;
  out[PROGRESS_EPOCHS] = (double)p->epochs;
  out[PROGRESS_PASSES] = (double)p->passes;
  out[PROGRESS_SAMPLES] = (double)p->samples;
  out[PROGRESS_POSITION] = p->position;
  out[PROGRESS_PASS_ROWS] = p->pass_rows;
  out[PROGRESS_PASS_WHOLE] = p->pass_whole;
  out[PROGRESS_PASS_LOSS] = p->pass_loss;
  out[PROGRESS_LAST_LOSS] = p->last_loss;
  out[PROGRESS_TOTAL_LOSS] = p->total_loss;
  return NN_OK;
}

/* About budget samples of the trainer's pass over these n samples (whole: n
 * is final); *trained (may be NULL) the samples trained. */
nn_status train(nn_trainer *t, nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *labels, int n,
                int whole, int budget, int *trained) {
  nn_data d;
  if (trained) *trained = 0;
  if (!t || !net || budget < 0) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, labels, n, 1, &d);
  return s != NN_OK ? s : trainer_run(t, net, &d, whole != 0, budget, trained);
}

/* The same over a data set mixed with an extra one (a person's own
 * digits): each pass holds every extra sample `repeat` times. */
nn_status train_mixed(nn_trainer *t, nn_net *net, const nn_dataset *ds, const nn_dataset *extra, int repeat, int budget,
                      int *trained) {
  nn_data d, e;
  if (trained) *trained = 0;
  if (!t || !net || !ds || !extra || budget < 0) return NN_ERR_ARG;
  nn_status s = trainer_set_repeat(t, repeat);
  if (s == NN_OK) s = data_view(ds, &d);
  if (s == NN_OK) s = data_view(extra, &e);
  if (s == NN_ERR_STATE) return NN_OK; /* a header still to come: nothing to train on yet */
  if (s != NN_OK) return s;
  d.extra = &e;
  return trainer_run(t, net, &d, data_complete(ds) && data_complete(extra), budget, trained);
}

/* The same over the samples of a data set that have arrived so far. */
nn_status train_dataset(nn_trainer *t, nn_net *net, const nn_dataset *ds, int budget, int *trained) {
  nn_data d;
  if (trained) *trained = 0;
  if (!t || !net || !ds || budget < 0) return NN_ERR_ARG;
  nn_status s = data_view(ds, &d);
  if (s == NN_ERR_STATE) return NN_OK; /* no header yet: nothing to train on */
  return s != NN_OK ? s : trainer_run(t, net, &d, data_complete(ds), budget, trained);
}

/* Every layer's outputs for one sample (nn_activations): out holds
 * sizes[1] + ... + sizes[n_sizes-1] floats. */
nn_status activations(nn_net *net, const uint8_t *u8, const float *f32, float *out) {
  nn_data d;
  if (!net || !out) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, NULL, 1, 0, &d);
  return s != NN_OK ? s : nn_activations(net, &d, out);
}

/* One image's backpropagation with its label (nn_gradients): z, act and
 * delta hold sizes[1] + ... + sizes[n_sizes-1] floats each, grads the
 * parameters' count; *loss its cross-entropy. */
nn_status gradients(nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *label, float *z, float *act,
                    float *delta, float *grads, float *loss) {
  nn_data d;
  if (!net) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, label, 1, 1, &d);
  return s != NN_OK ? s : nn_gradients(net, &d, z, act, delta, grads, loss);
}

/* nn_gradient_check on count parameters a layer: out (double[1 + 3 *
 * layers]) gets the largest relative error, then each layer's largest,
 * parameters checked and parameters passed over at kinks. */
nn_status gradient_check(nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *label, int count,
                         double *out) {
  nn_data d;
  nn_check_layer layers[NN_MAX_LAYERS];
  if (!net || !out) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, label, 1, 1, &d);
  if (s == NN_OK) s = nn_gradient_check(net, &d, count, layers, out);
  if (s != NN_OK) return s;
  for (int l = 0; l < nn_get_config(net)->n_sizes - 1; l++) {
    out[1 + 3 * l] = layers[l].max_relative_error;
    out[2 + 3 * l] = layers[l].checked;
    out[3 + 3 * l] = layers[l].at_kinks;
  }
  return NN_OK;
}

/* probs is (n, n_out). */
nn_status predict(nn_net *net, const uint8_t *u8, const float *f32, int n, float *probs) {
  nn_data d;
  if (!net || !probs) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, NULL, n, 0, &d);
  return s != NN_OK ? s : nn_predict(net, &d, probs);
}

/* ---- evaluation ------------------------------------------------------- */

/* An evaluation summed over calls (nn_eval), with its arrays in the same
 * allocation: confusion (n_out * n_out), then wrong and wrong_pred
 * (wrong_cap each). evaluation_results() reads it out. */
nn_eval *evaluation_new(int n_out, int wrong_cap, int wrong_per_label) {
  if (n_out < 2 || n_out > NN_MAX_UNITS || wrong_cap < 0 || wrong_cap > NN_EVAL_MAX_WRONG || wrong_per_label < 0)
    return NULL;
  size_t k2 = (size_t)n_out * (size_t)n_out;
  nn_eval *e = calloc(1, sizeof *e + k2 * sizeof(uint32_t) + 2 * (size_t)wrong_cap * sizeof(int32_t));
  if (!e) return NULL;
  e->confusion = (uint32_t *)(e + 1);
  e->wrong = (int32_t *)(e->confusion + k2);
  e->wrong_pred = e->wrong + wrong_cap;
  e->wrong_cap = wrong_cap;
  e->wrong_per_label = wrong_per_label;
  return e;
}

void evaluation_free(nn_eval *e) { free(e); }

/* out: double[4] = samples, correct, loss_sum, wrong_count; *confusion,
 * *wrong, *wrong_pred get the arrays. */
nn_status evaluation_results(const nn_eval *e, double *out, uint32_t **confusion, int32_t **wrong,
                             int32_t **wrong_pred) {
  if (!e || !out || !confusion || !wrong || !wrong_pred) return NN_ERR_ARG;
  out[0] = (double)e->samples;
  out[1] = (double)e->correct;
  out[2] = e->loss_sum;
  out[3] = e->wrong_count;
  *confusion = e->confusion;
  *wrong = e->wrong;
  *wrong_pred = e->wrong_pred;
  return NN_OK;
}

/* Samples [start, start+count) of these n into the evaluation. */
nn_status evaluate(nn_eval *e, nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *labels, int n,
                   int start, int count) {
  nn_data d;
  if (!e || !net) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, labels, n, 1, &d);
  return s != NN_OK ? s : nn_evaluate_rows(net, &d, start, count, e);
}

/* Samples [start, start+count) of a data set's ready samples. */
nn_status evaluate_dataset(nn_eval *e, nn_net *net, const nn_dataset *ds, int start, int count) {
  nn_data d;
  if (!e || !net || !ds) return NN_ERR_ARG;
  nn_status s = data_view(ds, &d);
  return s != NN_OK ? s : nn_evaluate_rows(net, &d, start, count, e);
}

/* ---- data sets ---------------------------------------------------------- */

/* A data set's stored pixels and labels (the ready rows are at the front). */
const uint8_t *data_pixels(const nn_dataset *ds) {
  const idx_parser *p = data_parser(ds, DATA_IMAGES);
  return p ? idx_data(p) : NULL;
}
const uint8_t *data_labels(const nn_dataset *ds) {
  const idx_parser *p = data_parser(ds, DATA_LABELS);
  return p ? idx_data(p) : NULL;
}

/* ---- model file ------------------------------------------------------- */

/* Bytes that save() writes; 0 for NULL. */
double save_size(const nn_net *net) { return net ? (double)model_size(net) : 0; }

nn_status save(const nn_net *net, uint8_t *buf, size_t cap, size_t *written) {
  if (!net || !buf || !written) return NN_ERR_ARG;
  *written = 0;
  return model_save(net, buf, cap, written);
}

/* A model file or an .npz (model_open): *out the network, or NULL and msg
 * (cap bytes) the reason, naming the array or the byte offset. */
nn_status load(const uint8_t *buf, size_t len, nn_net **out, char *msg, size_t cap) {
  if (msg && cap) msg[0] = '\0';
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (!buf && len) return NN_ERR_ARG;
  return model_open(buf, len, out, msg, cap);
}

/* ---- other formats (export.h) ------------------------------------------ */

/* File i of format f for net into buf (cap bytes), written when cap is
 * enough; returns the bytes it needs, 0 for a bad argument. */
double export_bytes(const nn_net *net, int f, int i, uint8_t *buf, size_t cap) {
  if (!net || f < 0 || f >= EXPORT_FORMAT_COUNT) return 0; /* buf NULL: count only */
  return (double)export_write(net, (export_format)f, i, buf, cap);
}
