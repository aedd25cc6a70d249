/* wasm_layout.c: the config layout of wasm_layout.h read and written, the
 * layers grammar into it, facts() (every limit, name, default and layout
 * that JavaScript must agree with C on) and the command lines' arguments as
 * JSON for bin/mnist-wasm.js. */
#include <math.h>
#include <stdint.h>
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

/* An int in [lo, hi] from a double, or -1 (with *bad set) if it is not one. */
static int to_int(double v, int lo, int hi, int *bad) {
  if (!(v >= lo && v <= hi) || v != floor(v)) {
    *bad = 1;
    return -1;
  }
  return (int)v;
}

/* The training options of a config layout into cfg (NaN: keep cfg's). */
void wasm_read_training(const double *in, nn_config *cfg, int *bad) {
  if (!isnan(in[CFG_SCHEDULE])) cfg->schedule = (nn_schedule)to_int(in[CFG_SCHEDULE], 0, NN_SCHEDULE_COUNT - 1, bad);
  if (!isnan(in[CFG_WEIGHT_DECAY])) cfg->weight_decay = (float)in[CFG_WEIGHT_DECAY];
  float *aug[5] = {&cfg->augment.shift, &cfg->augment.rotate, &cfg->augment.scale, &cfg->augment.shear,
                   &cfg->augment.elastic};
  for (int i = 0; i < 5; i++)
    if (!isnan(in[CFG_AUGMENT + i])) *aug[i] = (float)in[CFG_AUGMENT + i];
}

nn_status wasm_read_config(const double *in, nn_config *cfg) {
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
  if (!isnan(in[CFG_N_SIZES]) && in[CFG_N_SIZES] != 0) { /* the stack (layers_config writes it) */
    cfg->n_sizes = to_int(in[CFG_N_SIZES], 2, NN_MAX_LAYERS + 1, &bad);
    for (int i = 0; !bad && i < cfg->n_sizes; i++) cfg->sizes[i] = to_int(in[CFG_SIZES + i], 1, NN_MAX_MAP, &bad);
    int *shape[3] = {&cfg->in_rows, &cfg->in_cols, &cfg->in_channels};
    for (int i = 0; i < 3; i++)
      *shape[i] = isnan(in[CFG_IN_SHAPE + i]) ? 0 : to_int(in[CFG_IN_SHAPE + i], 0, NN_MAX_MAP, &bad);
    for (int l = 0; !bad && l + 1 < cfg->n_sizes; l++) {
      const double k = in[CFG_LAYER_KINDS + l], u = in[CFG_LAYER_UNITS + l], w = in[CFG_LAYER_KERNELS + l];
      cfg->layers[l].kind = (nn_layer_kind)(isnan(k) ? 0 : to_int(k, 0, NN_LAYER_KIND_COUNT - 1, &bad));
      cfg->layers[l].units = isnan(u) ? 0 : to_int(u, 0, NN_MAX_UNITS, &bad);
      cfg->layers[l].kernel = isnan(w) ? 0 : to_int(w, 0, NN_MAX_KERNEL, &bad);
    }
  }
  wasm_read_training(in, cfg, &bad);
  /* the stack's and the optimizer's defaults, for what is not given */
  nn_config_fit_defaults(cfg, (isnan(in[CFG_ACTIVATION]) ? 0u : NN_GIVEN_ACTIVATION) |
                                (isnan(in[CFG_LEARNING_RATE]) ? 0u : NN_GIVEN_LEARNING_RATE) |
                                (isnan(in[CFG_BATCH_SIZE]) ? 0u : NN_GIVEN_BATCH) |
                                (isnan(in[CFG_WEIGHT_DECAY]) ? 0u : NN_GIVEN_WEIGHT_DECAY) |
                                (isnan(in[CFG_OPTIMIZER]) ? 0u : NN_GIVEN_OPTIMIZER));
  return bad ? NN_ERR_ARG : nn_config_check(cfg);
}

/* The stack's fields of a config layout. */
static void write_stack(const nn_config *cfg, double *out) {
  out[CFG_N_SIZES] = cfg->n_sizes;
  for (int i = 0; i < cfg->n_sizes && i <= NN_MAX_LAYERS; i++) out[CFG_SIZES + i] = cfg->sizes[i];
  out[CFG_IN_SHAPE] = cfg->in_rows;
  out[CFG_IN_SHAPE + 1] = cfg->in_cols;
  out[CFG_IN_SHAPE + 2] = cfg->in_channels;
  for (int l = 0; l + 1 < cfg->n_sizes && l < NN_MAX_LAYERS; l++) {
    out[CFG_LAYER_KINDS + l] = cfg->layers[l].kind;
    out[CFG_LAYER_UNITS + l] = cfg->layers[l].units;
    out[CFG_LAYER_KERNELS + l] = cfg->layers[l].kernel;
  }
}

void wasm_write_config(const nn_config *cfg, double *out) {
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
  write_stack(cfg, out);
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
           "\"splitMinRows\":%d,\"maxMap\":%d,\"maxKernel\":%d,\"maxCheckCount\":%d,\"maxEpochs\":%d,"
           "\"maxPlanEpochs\":%d,\"maxRepeat\":%d,\"maxWrong\":%d},",
           NN_MAX_LAYERS, NN_MAX_UNITS, NN_MAX_BATCH, (unsigned)NN_MAX_PARAMS, (unsigned)IDX_MAX_BYTES, IDX_MAX_DIMS,
           DATA_MAX_CLASSES, NN_MAX_THREADS, POOL_MAX_THREADS, NN_SPLIT_MIN_ROWS, NN_MAX_MAP, NN_MAX_KERNEL,
           NN_CHECK_MAX_COUNT, CLI_MAX_EPOCHS, TRAIN_MAX_PLAN, TRAIN_MAX_REPEAT, NN_EVAL_MAX_WRONG);
  /* %.9g: every float32 exactly */
  text_put(&t, "\"ranges\":{\"learningRate\":[%.9g,%.9g],\"decay\":[0,%.9g],\"epsilon\":[%.9g,%.9g]},",
           (double)NN_LR_MIN, (double)NN_LR_MAX, (double)NN_DECAY_MAX, (double)NN_EPSILON_MIN, (double)NN_EPSILON_MAX);
  text_put(&t, "\"defaults\":{\"layers\":[");
  for (int i = 0; i < d.n_sizes; i++) text_put(&t, "%s%d", i ? "," : "", d.sizes[i]);
  text_put(&t,
           "],\"activation\":\"%s\",\"input\":\"%s\",\"optimizer\":\"%s\",\"learningRate\":%.9g,\"batchSize\":%d,"
           "\"seed\":%llu,\"checkCount\":%d,",
           nn_activation_name(d.activation), nn_input_name(d.input), nn_optimizer_name(d.optimizer),
           (double)d.learning_rate, d.batch_size, (unsigned long long)d.seed, CLI_CHECK_COUNT);
  /* the convnet the page offers, with the defaults a stack with a convolution gets */
  nn_config conv;
  nn_config_default(&conv);
  nn_layers_parse(NN_CONVNET, &conv, NULL, 0);
  nn_config_fit_defaults(&conv, 0);
  text_put(&t,
           "\"convnet\":{\"layers\":\"%s\",\"activation\":\"%s\",\"optimizer\":\"%s\",\"learningRate\":", NN_CONVNET,
           nn_activation_name(conv.activation), nn_optimizer_name(conv.optimizer));
  text_json_float(&t, conv.learning_rate);
  text_put(&t, ",\"batchSize\":%d,\"weightDecay\":", conv.batch_size);
  text_json_float(&t, conv.weight_decay);
  text_put(&t, "},");
  /* by optimizer, for a dense stack and for one with a convolution */
  static const char *const what[2] = {"learningRates", "weightDecays"};
  for (int w = 0; w < 2; w++) {
    text_put(&t, "%s\"%s\":{", w ? "," : "", what[w]);
    for (int c = 0; c < 2; c++) {
      nn_config x = c ? conv : d;
      text_put(&t, "%s\"%s\":{", c ? "," : "", c ? "convnet" : "dense");
      for (int o = 0; o < NN_OPTIMIZER_COUNT; o++) {
        x.optimizer = (nn_optimizer)o;
        nn_config_fit_defaults(&x, NN_GIVEN_ACTIVATION | NN_GIVEN_BATCH | NN_GIVEN_OPTIMIZER);
        text_put(&t, "%s\"%s\":", o ? "," : "", nn_optimizer_name((nn_optimizer)o));
        text_json_float(&t, w ? x.weight_decay : x.learning_rate);
      }
      text_put(&t, "}");
    }
    text_put(&t, "}");
  }
  text_put(&t, "},"); /* the defaults */
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
           "\"input\":%d,\"inShape\":%d,\"layerKinds\":%d,\"layerUnits\":%d,\"layerKernels\":%d,\"length\":%d},",
           CFG_ACTIVATION, CFG_OPTIMIZER, CFG_LEARNING_RATE, CFG_MOMENTUM, CFG_BETA1, CFG_BETA2, CFG_EPSILON,
           CFG_BATCH_SIZE, CFG_SEED_LO, CFG_SEED_HI, CFG_N_SIZES, CFG_SIZES, CFG_SCHEDULE, CFG_WEIGHT_DECAY,
           CFG_AUGMENT, CFG_INPUT, CFG_IN_SHAPE, CFG_LAYER_KINDS, CFG_LAYER_UNITS, CFG_LAYER_KERNELS, CFG_LEN);
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

/* A stack in the layers grammar (nn_layers_parse) into the stack's fields
 * of cfg (double[CFG_LEN]; the others untouched); on a bad one, its one
 * line into msg (cap bytes). */
nn_status layers_config(const char *text, double *cfg, char *msg, size_t cap) {
  if (!text || !cfg) return NN_ERR_ARG;
  nn_config c;
  nn_config_default(&c);
  nn_status st = nn_layers_parse(text, &c, msg, cap);
  if (st == NN_OK) write_stack(&c, cfg);
  return st;
}

/* The network's stack in the layers grammar into buf (cap bytes); returns
 * the length it needs. */
double layers_text(const nn_net *net, char *buf, size_t cap) {
  return net ? (double)nn_layers_format(nn_get_config(net), buf, cap) : 0;
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
  text_put(&o, ",\"out\":");
  text_json_string(&o, a->out);
  text_put(&o, ",\"format\":");
  text_json_string(&o, export_format_name((export_format)a->format));
  text_put(&o, ",\"epochs\":%ld,\"index\":%ld,\"invert\":%s,\"json\":%s,\"options\":{\"layers\":", a->epochs, a->index,
           a->invert ? "true" : "false", a->json ? "true" : "false");
  char layers[256];
  nn_layers_format(c, layers, sizeof layers);
  text_json_string(&o, layers);
  /* %.9g: the float32 exactly */
  text_put(&o,
           ",\"activation\":\"%s\",\"input\":\"%s\",\"optimizer\":\"%s\",\"learningRate\":%.9g,\"batchSize\":%d,"
           "\"seed\":\"%llu\",\"schedule\":\"%s\",\"weightDecay\":%.9g,\"augment\":{\"shift\":%.9g,\"rotate\":%.9g,"
           "\"scale\":%.9g,"
           "\"shear\":%.9g,\"elastic\":%.9g},\"threads\":%ld}}",
           nn_activation_name(c->activation), nn_input_name(c->input), nn_optimizer_name(c->optimizer),
           (double)c->learning_rate, c->batch_size, (unsigned long long)c->seed, nn_schedule_name(c->schedule),
           (double)c->weight_decay, (double)c->augment.shift, (double)c->augment.rotate, (double)c->augment.scale,
           (double)c->augment.shear, (double)c->augment.elastic, a->threads);
  return o.at;
}
