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
 * Configuration crosses the boundary as a double[CFG_LEN] in the layout
 * below, not as an nn_config, so JavaScript never depends on C struct
 * layout; facts() tells JavaScript the layout, the limits, the status table
 * and the names. In create(), a NaN entry (or n_sizes 0) means "the default
 * from nn_config_default". Doubles carry every int and float32 exactly; the
 * seed travels as two 32-bit halves. */
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "data.h"
#include "model.h"
#include "nn.h"
#include "options.h"
#include "pool.h"
#include "text.h"
#include "train.h"

enum {
  CFG_ACTIVATION = 0,
  CFG_OPTIMIZER,
  CFG_LEARNING_RATE,
  CFG_MOMENTUM,
  CFG_BETA1,
  CFG_BETA2,
  CFG_EPSILON,
  CFG_BATCH_SIZE,
  CFG_SEED_LO,
  CFG_SEED_HI,
  CFG_N_SIZES,
  CFG_SIZES, /* NN_MAX_LAYERS + 1 entries */
  CFG_SCHEDULE = CFG_SIZES + NN_MAX_LAYERS + 1,
  CFG_WEIGHT_DECAY,
  CFG_AUGMENT, /* shift, rotate, scale, shear, elastic */
  CFG_INPUT = CFG_AUGMENT + 5,
  CFG_LEN /* 28 */
};

/* The layout of trainer_state()'s double[PROGRESS_LEN]. */
enum {
  PROGRESS_EPOCHS = 0,
  PROGRESS_PASSES,
  PROGRESS_SAMPLES,
  PROGRESS_POSITION,
  PROGRESS_PASS_ROWS,
  PROGRESS_PASS_WHOLE,
  PROGRESS_PASS_LOSS,
  PROGRESS_LAST_LOSS,
  PROGRESS_TOTAL_LOSS,
  PROGRESS_LEN
};

/* An int in [lo, hi] from a double, or -1 (with *bad set) if it is not one. */
static int to_int(double v, int lo, int hi, int *bad) {
  if (!(v >= lo && v <= hi) || v != floor(v)) {
    *bad = 1;
    return -1;
  }
  return (int)v;
}

/* The training options of a config layout into cfg (NaN: keep cfg's). */
static void read_training(const double *in, nn_config *cfg, int *bad) {
  if (!isnan(in[CFG_SCHEDULE])) cfg->schedule = (nn_schedule)to_int(in[CFG_SCHEDULE], 0, NN_SCHEDULE_COUNT - 1, bad);
  if (!isnan(in[CFG_WEIGHT_DECAY])) cfg->weight_decay = (float)in[CFG_WEIGHT_DECAY];
  float *aug[5] = {&cfg->augment.shift, &cfg->augment.rotate, &cfg->augment.scale, &cfg->augment.shear,
                   &cfg->augment.elastic};
  for (int i = 0; i < 5; i++)
    if (!isnan(in[CFG_AUGMENT + i])) *aug[i] = (float)in[CFG_AUGMENT + i];
}

static nn_status read_config(const double *in, nn_config *cfg) {
  int bad = 0;
  nn_config_default(cfg);
  if (!isnan(in[CFG_ACTIVATION]))
    cfg->activation = (nn_activation)to_int(in[CFG_ACTIVATION], 0, NN_ACTIVATION_COUNT - 1, &bad);
  if (!isnan(in[CFG_OPTIMIZER]))
    cfg->optimizer = (nn_optimizer)to_int(in[CFG_OPTIMIZER], 0, NN_OPTIMIZER_COUNT - 1, &bad);
  if (!isnan(in[CFG_INPUT])) cfg->input = (nn_input)to_int(in[CFG_INPUT], 0, NN_INPUT_COUNT - 1, &bad);
  if (!isnan(in[CFG_LEARNING_RATE])) cfg->learning_rate = (float)in[CFG_LEARNING_RATE];
  if (!isnan(in[CFG_MOMENTUM])) cfg->momentum = (float)in[CFG_MOMENTUM];
  if (!isnan(in[CFG_BETA1])) cfg->beta1 = (float)in[CFG_BETA1];
  if (!isnan(in[CFG_BETA2])) cfg->beta2 = (float)in[CFG_BETA2];
  if (!isnan(in[CFG_EPSILON])) cfg->epsilon = (float)in[CFG_EPSILON];
  if (!isnan(in[CFG_BATCH_SIZE])) cfg->batch_size = to_int(in[CFG_BATCH_SIZE], 1, NN_MAX_BATCH, &bad);
  if (!isnan(in[CFG_SEED_LO]) || !isnan(in[CFG_SEED_HI])) {
    double lo = isnan(in[CFG_SEED_LO]) ? 0 : in[CFG_SEED_LO];
    double hi = isnan(in[CFG_SEED_HI]) ? 0 : in[CFG_SEED_HI];
    if (!(lo >= 0 && lo <= 4294967295.0 && lo == floor(lo)) || !(hi >= 0 && hi <= 4294967295.0 && hi == floor(hi)))
      return NN_ERR_ARG;
    cfg->seed = ((uint64_t)hi << 32) | (uint64_t)lo;
  }
  if (!isnan(in[CFG_N_SIZES]) && in[CFG_N_SIZES] != 0) {
    cfg->n_sizes = to_int(in[CFG_N_SIZES], 2, NN_MAX_LAYERS + 1, &bad);
    for (int i = 0; !bad && i < cfg->n_sizes; i++) cfg->sizes[i] = to_int(in[CFG_SIZES + i], 1, NN_MAX_UNITS, &bad);
  }
  read_training(in, cfg, &bad);
  return bad ? NN_ERR_ARG : nn_config_check(cfg);
}

static void write_config(const nn_config *cfg, double *out) {
  for (int i = 0; i < CFG_LEN; i++) out[i] = 0;
  out[CFG_ACTIVATION] = cfg->activation;
  out[CFG_OPTIMIZER] = cfg->optimizer;
  out[CFG_INPUT] = cfg->input;
  out[CFG_LEARNING_RATE] = cfg->learning_rate;
  out[CFG_MOMENTUM] = cfg->momentum;
  out[CFG_BETA1] = cfg->beta1;
  out[CFG_BETA2] = cfg->beta2;
  out[CFG_EPSILON] = cfg->epsilon;
  out[CFG_BATCH_SIZE] = cfg->batch_size;
  out[CFG_SEED_LO] = (double)(uint32_t)cfg->seed;
  out[CFG_SEED_HI] = (double)(uint32_t)(cfg->seed >> 32);
  out[CFG_N_SIZES] = cfg->n_sizes;
  for (int i = 0; i < cfg->n_sizes && i <= NN_MAX_LAYERS; i++) out[CFG_SIZES + i] = cfg->sizes[i];
  out[CFG_SCHEDULE] = cfg->schedule;
  out[CFG_WEIGHT_DECAY] = cfg->weight_decay;
  const float aug[5] = {cfg->augment.shift, cfg->augment.rotate, cfg->augment.scale, cfg->augment.shear,
                        cfg->augment.elastic};
  for (int i = 0; i < 5; i++) out[CFG_AUGMENT + i] = aug[i];
}

/* ---- facts ------------------------------------------------------------ */

/* Everything JavaScript must agree with C on, as one JSON object: limits,
 * the status table, option names, defaults, the config and progress
 * layouts and the data file names. Built once. Messages hold no quotes or
 * backslashes (status.h), so they need no escaping. */
const char *facts(void) {
  static char buf[8192];
  if (buf[0]) return buf;
  /* a too small buffer shows as a cut string, which JSON.parse refuses loudly */
  nn_text t = text_of(buf, sizeof buf);
  nn_config d;
  nn_config_default(&d);
  text_put(&t,
           "{\"limits\":{\"maxLayers\":%d,\"maxUnits\":%d,\"maxBatch\":%d,\"maxParams\":%u,"
           "\"idxMaxBytes\":%u,\"idxMaxDims\":%d,\"maxClasses\":%d,\"maxThreads\":%d,\"buildThreads\":%d,"
           "\"splitMinRows\":%d},",
           NN_MAX_LAYERS, NN_MAX_UNITS, NN_MAX_BATCH, (unsigned)NN_MAX_PARAMS, (unsigned)IDX_MAX_BYTES, IDX_MAX_DIMS,
           DATA_MAX_CLASSES, NN_MAX_THREADS, POOL_MAX_THREADS, NN_SPLIT_MIN_ROWS);
  /* %.9g: every float32 exactly */
  text_put(&t, "\"ranges\":{\"learningRate\":[%.9g,%.9g],\"decay\":[0,%.9g],\"epsilon\":[%.9g,%.9g]},",
           (double)NN_LR_MIN, (double)NN_LR_MAX, (double)NN_DECAY_MAX, (double)NN_EPSILON_MIN, (double)NN_EPSILON_MAX);
  text_put(&t, "\"defaults\":{\"layers\":[");
  for (int i = 0; i < d.n_sizes; i++) text_put(&t, "%s%d", i ? "," : "", d.sizes[i]);
  text_put(&t,
           "],\"activation\":\"%s\",\"input\":\"%s\",\"optimizer\":\"%s\",\"learningRate\":%.9g,\"batchSize\":%d,"
           "\"seed\":%llu},",
           nn_activation_name(d.activation), nn_input_name(d.input), nn_optimizer_name(d.optimizer),
           (double)d.learning_rate, d.batch_size, (unsigned long long)d.seed);
  text_put(&t, "\"statuses\":[");
  for (int i = 0; i < NN_STATUS_COUNT; i++)
    text_put(&t, "%s{\"name\":\"%s\",\"message\":\"%s\"}", i ? "," : "", nn_status_name((nn_status)i),
             nn_strerror((nn_status)i));
  text_put(&t, "],\"activations\":[");
  for (int i = 0; i < NN_ACTIVATION_COUNT; i++)
    text_put(&t, "%s\"%s\"", i ? "," : "", nn_activation_name((nn_activation)i));
  text_put(&t, "],\"optimizers\":[");
  for (int i = 0; i < NN_OPTIMIZER_COUNT; i++)
    text_put(&t, "%s\"%s\"", i ? "," : "", nn_optimizer_name((nn_optimizer)i));
  text_put(&t, "],\"inputs\":[");
  for (int i = 0; i < NN_INPUT_COUNT; i++) text_put(&t, "%s\"%s\"", i ? "," : "", nn_input_name((nn_input)i));
  text_put(&t,
           "],\"config\":{\"activation\":%d,\"optimizer\":%d,\"learningRate\":%d,"
           "\"momentum\":%d,\"beta1\":%d,\"beta2\":%d,\"epsilon\":%d,\"batchSize\":%d,\"seedLo\":%d,"
           "\"seedHi\":%d,\"nSizes\":%d,\"sizes\":%d,\"schedule\":%d,\"weightDecay\":%d,\"augment\":%d,"
           "\"input\":%d,\"length\":%d},",
           CFG_ACTIVATION, CFG_OPTIMIZER, CFG_LEARNING_RATE, CFG_MOMENTUM, CFG_BETA1, CFG_BETA2, CFG_EPSILON,
           CFG_BATCH_SIZE, CFG_SEED_LO, CFG_SEED_HI, CFG_N_SIZES, CFG_SIZES, CFG_SCHEDULE, CFG_WEIGHT_DECAY,
           CFG_AUGMENT, CFG_INPUT, CFG_LEN);
  nn_augment aug;
  augment_default(&aug);
  text_put(&t, "\"modelVersion\":%u,", (unsigned)MODEL_VERSION);
  text_put(&t, "\"schedules\":[");
  for (int i = 0; i < NN_SCHEDULE_COUNT; i++) text_put(&t, "%s\"%s\"", i ? "," : "", nn_schedule_name((nn_schedule)i));
  text_put(&t,
           "],\"augment\":{\"names\":[\"shift\",\"rotate\",\"scale\",\"shear\",\"elastic\"],"
           "\"defaults\":[%.9g,%.9g,%.9g,%.9g,%.9g],\"max\":[%.9g,%.9g,%.9g,%.9g,%.9g]},\"maxWeightDecay\":%.9g,",
           (double)aug.shift, (double)aug.rotate, (double)aug.scale, (double)aug.shear, (double)aug.elastic,
           (double)AUGMENT_MAX_SHIFT, (double)AUGMENT_MAX_ROTATE, (double)AUGMENT_MAX_SCALE, (double)AUGMENT_MAX_SHEAR,
           (double)AUGMENT_MAX_ELASTIC, (double)NN_MAX_WEIGHT_DECAY);
  text_put(&t,
           "\"progress\":{\"epochs\":%d,\"passes\":%d,\"samples\":%d,\"position\":%d,"
           "\"passRows\":%d,\"passWhole\":%d,\"passLoss\":%d,\"lastLoss\":%d,\"totalLoss\":%d,\"length\":%d},",
           PROGRESS_EPOCHS, PROGRESS_PASSES, PROGRESS_SAMPLES, PROGRESS_POSITION, PROGRESS_PASS_ROWS,
           PROGRESS_PASS_WHOLE, PROGRESS_PASS_LOSS, PROGRESS_LAST_LOSS, PROGRESS_TOTAL_LOSS, PROGRESS_LEN);
  text_put(&t, "\"files\":{\"train\":[\"%s\",\"%s\"],\"test\":[\"%s\",\"%s\"],\"suffixes\":[\"%s\",\"%s\"]}",
           data_mnist_name(0, DATA_IMAGES), data_mnist_name(0, DATA_LABELS), data_mnist_name(1, DATA_IMAGES),
           data_mnist_name(1, DATA_LABELS), data_file_suffix(0), data_file_suffix(1));
  /* the command lines (cli/options.h), for bin/mnist-wasm.js */
  text_put(
    &t,
    ",\"cli\":{\"argsSize\":%u,\"messageMax\":%d,\"exitUsage\":%d,\"exitFailure\":%d,"
    "\"epochs\":%d,\"timeoutMs\":%d,\"node\":%d,\"problems\":{\"noSuchFile\":%d,\"cannotOpen\":%d,\"cannotCreate\":%d,"
    "\"noFolder\":%d,\"notFolder\":%d,\"notWritable\":%d}}}",
    (unsigned)sizeof(cli_args), CLI_MESSAGE_MAX, CLI_EXIT_USAGE, CLI_EXIT_FAILURE, CLI_DEFAULT_EPOCHS, CLI_TIMEOUT_MS,
    CLI_NODE, CLI_NO_SUCH_FILE, CLI_CANNOT_OPEN, CLI_CANNOT_CREATE, CLI_NO_FOLDER, CLI_NOT_FOLDER, CLI_NOT_WRITABLE);
  return buf;
}

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
  nn_status s = read_config(in, &cfg);
  return s != NN_OK ? s : nn_create(&cfg, out);
}

void destroy(nn_net *net) { nn_free(net); }

/* The network's configuration into out (double[CFG_LEN]). */
nn_status config(const nn_net *net, double *out) {
  if (!net || !out) return NN_ERR_ARG;
  write_config(nn_get_config(net), out);
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
  read_training(in, &cfg, &bad);
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
  trainer_plan(t, epochs >= 1 && epochs <= 1e9 ? (uint64_t)epochs : 0);
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
  if (n_out < 2 || n_out > NN_MAX_UNITS || wrong_cap < 0 || wrong_cap > (1 << 20) || wrong_per_label < 0) return NULL;
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

/* ---- command lines ------------------------------------------------------ */

/* cli_parse's cli_args as JSON for the Node command: the command, the
 * strings, the given options' names, and the network options in
 * createNetwork's shape (the seed as a decimal string: 64 bits). Writes at
 * most cap bytes (NUL included) and returns the length it needed. */
size_t cli_args_json(const cli_args *a, char *buf, size_t cap) {
  nn_text o = text_of(buf, cap);
  if (!a) return 0;
  const nn_config *c = &a->cfg;
  text_put(&o, "{\"command\":\"%s\",\"help\":%s,\"given\":[", cli_command_name(a->command), a->help ? "true" : "false");
  for (int i = 0, first = 1; i < CLI_OPTION_COUNT; i++)
    if (a->given >> i & 1u) text_put(&o, "%s\"%s\"", first ? "" : ",", cli_option_name((cli_option)i)), first = 0;
  text_put(&o, "],\"data\":");
  text_json_string(&o, a->data);
  text_put(&o, ",\"save\":");
  text_json_string(&o, a->save);
  text_put(&o, ",\"extra\":");
  text_json_string(&o, a->extra);
  text_put(&o, ",\"repeat\":%ld", a->repeat);
  text_put(&o, ",\"load\":");
  text_json_string(&o, a->load);
  text_put(&o, ",\"image\":");
  text_json_string(&o, a->image);
  text_put(&o, ",\"epochs\":%ld,\"index\":%ld,\"invert\":%s,\"json\":%s,\"options\":{\"layers\":[", a->epochs, a->index,
           a->invert ? "true" : "false", a->json ? "true" : "false");
  for (int i = 0; i < c->n_sizes; i++) text_put(&o, "%s%d", i ? "," : "", c->sizes[i]);
  /* %.9g: the float32 exactly */
  text_put(&o,
           "],\"activation\":\"%s\",\"input\":\"%s\",\"optimizer\":\"%s\",\"learningRate\":%.9g,\"batchSize\":%d,"
           "\"seed\":\"%llu\",\"schedule\":\"%s\",\"weightDecay\":%.9g,\"augment\":{\"shift\":%.9g,\"rotate\":%.9g,"
           "\"scale\":%.9g,"
           "\"shear\":%.9g,\"elastic\":%.9g},\"threads\":%ld}}",
           nn_activation_name(c->activation), nn_input_name(c->input), nn_optimizer_name(c->optimizer),
           (double)c->learning_rate, c->batch_size, (unsigned long long)c->seed, nn_schedule_name(c->schedule),
           (double)c->weight_decay, (double)c->augment.shift, (double)c->augment.rotate, (double)c->augment.scale,
           (double)c->augment.shear, (double)c->augment.elastic, a->threads);
  return o.at;
}

/* ---- model file ------------------------------------------------------- */

/* Bytes that save() writes; 0 for NULL. */
double save_size(const nn_net *net) { return net ? (double)model_size(net) : 0; }

nn_status save(const nn_net *net, uint8_t *buf, size_t cap, size_t *written) {
  if (!net || !buf || !written) return NN_ERR_ARG;
  *written = 0;
  return model_save(net, buf, cap, written);
}

nn_status load(const uint8_t *buf, size_t len, nn_net **out) {
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (!buf && len) return NN_ERR_ARG;
  return model_load(buf, len, out);
}
