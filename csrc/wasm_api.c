/* wasm_api.c: the functions the WebAssembly module exports to JavaScript
 * (web/lib/ wraps them). Each one is thin: it re-checks its pointers and
 * sizes, calls the core and returns an nn_status. It holds no state and
 * never allocates on the caller's behalf except through the create/load
 * out-pointers; JavaScript mallocs and frees its own buffers.
 *
 * The export list lives in one place, EXPORTED_FUNCTIONS in cmake/wasm.cmake,
 * which also exports the streaming IDX parser (idx.h) as it is: those
 * functions take a parser pointer and check their own arguments.
 *
 * Configuration crosses the boundary as a double[CFG_LEN] in the layout
 * below, not as an nn_config, so JavaScript never depends on C struct
 * layout. In create(), a NaN entry (or n_sizes 0) means "the default from
 * nn_config_default". Doubles carry every int and float32 exactly; the seed
 * travels as two 32-bit halves. */
#include <malloc.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "nn.h"

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
  CFG_SIZES,                               /* NN_MAX_LAYERS + 1 entries */
  CFG_LEN = CFG_SIZES + NN_MAX_LAYERS + 1  /* 20 */
};

int config_len(void) { return CFG_LEN; }

/* An int in [lo, hi] from a double, or -1 (with *bad set) if it is not one. */
static int to_int(double v, int lo, int hi, int *bad) {
  if (!(v >= lo && v <= hi) || v != floor(v)) { *bad = 1; return -1; }
  return (int)v;
}

static nn_status read_config(const double *in, nn_config *cfg) {
  int bad = 0;
  nn_config_default(cfg);
  if (!isnan(in[CFG_ACTIVATION])) cfg->activation = (nn_activation)to_int(in[CFG_ACTIVATION], 0, NN_ACTIVATION_COUNT - 1, &bad);
  if (!isnan(in[CFG_OPTIMIZER])) cfg->optimizer = (nn_optimizer)to_int(in[CFG_OPTIMIZER], 0, NN_OPTIMIZER_COUNT - 1, &bad);
  if (!isnan(in[CFG_LEARNING_RATE])) cfg->learning_rate = (float)in[CFG_LEARNING_RATE];
  if (!isnan(in[CFG_MOMENTUM])) cfg->momentum = (float)in[CFG_MOMENTUM];
  if (!isnan(in[CFG_BETA1])) cfg->beta1 = (float)in[CFG_BETA1];
  if (!isnan(in[CFG_BETA2])) cfg->beta2 = (float)in[CFG_BETA2];
  if (!isnan(in[CFG_EPSILON])) cfg->epsilon = (float)in[CFG_EPSILON];
  if (!isnan(in[CFG_BATCH_SIZE])) cfg->batch_size = to_int(in[CFG_BATCH_SIZE], 1, NN_MAX_BATCH, &bad);
  if (!isnan(in[CFG_SEED_LO]) || !isnan(in[CFG_SEED_HI])) {
    double lo = isnan(in[CFG_SEED_LO]) ? 0 : in[CFG_SEED_LO];
    double hi = isnan(in[CFG_SEED_HI]) ? 0 : in[CFG_SEED_HI];
    if (!(lo >= 0 && lo <= 4294967295.0 && lo == floor(lo)) ||
        !(hi >= 0 && hi <= 4294967295.0 && hi == floor(hi))) return NN_ERR_ARG;
    cfg->seed = ((uint64_t)hi << 32) | (uint64_t)lo;
  }
  if (!isnan(in[CFG_N_SIZES]) && in[CFG_N_SIZES] != 0) {
    cfg->n_sizes = to_int(in[CFG_N_SIZES], 2, NN_MAX_LAYERS + 1, &bad);
    for (int i = 0; !bad && i < cfg->n_sizes; i++)
      cfg->sizes[i] = to_int(in[CFG_SIZES + i], 1, NN_MAX_UNITS, &bad);
  }
  return bad ? NN_ERR_ARG : nn_config_check(cfg);
}

static void write_config(const nn_config *cfg, double *out) {
  for (int i = 0; i < CFG_LEN; i++) out[i] = 0;
  out[CFG_ACTIVATION] = cfg->activation;
  out[CFG_OPTIMIZER] = cfg->optimizer;
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
}

/* ---- status ----------------------------------------------------------- */

/* Named strerror because the JS contract names it so. It replaces libc's
 * (same signature, hence char *): nothing in this module uses libc's
 * (no filesystem, nothing prints), and this definition, linked before libc,
 * is the only one. */
char *strerror(int code) {
  return (char *)nn_strerror(code >= 0 && code < NN_STATUS_COUNT ? (nn_status)code : NN_STATUS_COUNT);
}

static const char *const status_names[] = {
  "NN_OK", "NN_ERR_ARG", "NN_ERR_NOMEM", "NN_ERR_STATE", "NN_ERR_LIMIT", "NN_ERR_MAGIC",
  "NN_ERR_TYPE", "NN_ERR_DIMS", "NN_ERR_TRUNCATED", "NN_ERR_TRAILING", "NN_ERR_COUNT",
  "NN_ERR_CHECKSUM", "NN_ERR_VERSION", "NN_ERR_FORMAT", "NN_ERR_DIVERGED",
};
_Static_assert(sizeof status_names / sizeof *status_names == NN_STATUS_COUNT,
               "status_names must list every nn_status");

/* "NN_ERR_ARG" etc., the `code` of a thrown JS Error; "NN_ERR_UNKNOWN" if out of range. */
const char *status_name(int code) {
  return code >= 0 && code < NN_STATUS_COUNT ? status_names[code] : "NN_ERR_UNKNOWN";
}

/* Bytes of heap in use (malloc'd and not freed), for leak tests. */
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

nn_status set_batch_size(nn_net *net, int batch_size) {
  if (!net || batch_size < 1 || batch_size > NN_MAX_BATCH) return NN_ERR_ARG;
  return nn_set_batch_size(net, batch_size);
}

/* *out gets a copy of net with another optimizer: weights, options and
 * counters carried over, optimizer state fresh (as after a load). */
nn_status with_optimizer(const nn_net *net, int optimizer, nn_net **out) {
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
  *out = fresh;
  return NN_OK;
}

/* The flat parameter buffer and its length in floats (*count), or NULL. */
float *params(nn_net *net, size_t *count) {
  if (!net || !count) return NULL;
  return nn_params(net, count);
}

/* n samples as bytes (u8) or floats (f32): exactly one of them non-NULL.
 * labels may be NULL only where want_labels is 0. */
static nn_status make_data(const uint8_t *u8, const float *f32, const uint8_t *labels,
                           int n, int want_labels, nn_data *d) {
  if (n < 1 || (u8 == NULL) == (f32 == NULL) || (want_labels && !labels)) return NN_ERR_ARG;
  d->u8 = u8;
  d->f32 = f32;
  d->labels = labels;
  d->n = n;
  return NN_OK;
}

/* One update on exactly these n samples; *loss (may be NULL) the mean loss. */
nn_status step(nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *labels,
               int n, float *loss) {
  nn_data d;
  if (!net || n > NN_MAX_BATCH) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, labels, n, 1, &d);
  return s != NN_OK ? s : nn_step(net, &d, loss);
}

/* order (n entries) gets a permutation from the network's RNG. */
nn_status shuffle(nn_net *net, int32_t *order, int n) {
  if (!net || !order || n < 1) return NN_ERR_ARG;
  return nn_shuffle(net, order, n);
}

/* Mini-batches over order[start .. start+count) (order may be NULL: identity);
 * *loss_sum (may be NULL) gets the sum of per-sample losses. */
nn_status train(nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *labels,
                int n, const int32_t *order, int start, int count, double *loss_sum) {
  nn_data d;
  if (!net || start < 0 || count < 1 || start > n - count) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, labels, n, 1, &d);
  return s != NN_OK ? s : nn_train(net, &d, order, start, count, loss_sum);
}

/* probs is (n, n_out). */
nn_status predict(nn_net *net, const uint8_t *u8, const float *f32, int n, float *probs) {
  nn_data d;
  if (!net || !probs) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, NULL, n, 0, &d);
  return s != NN_OK ? s : nn_predict(net, &d, probs);
}

/* *correct, *loss_sum and confusion (n_out * n_out, zeroed by the caller)
 * may each be NULL. */
nn_status evaluate(nn_net *net, const uint8_t *u8, const float *f32, const uint8_t *labels,
                   int n, int *correct, double *loss_sum, uint32_t *confusion) {
  nn_data d;
  if (!net) return NN_ERR_ARG;
  nn_status s = make_data(u8, f32, labels, n, 1, &d);
  return s != NN_OK ? s : nn_evaluate(net, &d, correct, loss_sum, confusion);
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
