/* options.c: the option table and the parser of options.h (--help is
 * help.c's, the output lines and messages lines.c's). The table is the one
 * place that says which options exist, what values they take, which
 * commands they apply to and what --help says about them; the defaults
 * and ranges come from nn.h. It is compiled into
 * the native CLI and into the wasm module; it does not print, read files
 * or exit. */
#include "options.h"
#include "options_shared.h"

#include "explain.h"
#include "export.h"

#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN (1u << CLI_TRAIN)
#define EVALUATE (1u << CLI_EVALUATE)
#define PREDICT (1u << CLI_PREDICT)
#define EXPORT (1u << CLI_EXPORT)
#define EXPLAIN (1u << CLI_EXPLAIN)
#define READ_DATA (TRAIN | EVALUATE | PREDICT | EXPLAIN)
#define ALL_COMMANDS CLI_ALL_COMMANDS

const option_row cli_table[CLI_OPTION_COUNT] = {
  [CLI_DATA] = {"data", "DIR", K_TEXT, READ_DATA, 0, 0, 0, "folder (mnist-wasm: or base URL) holding $F"},
  [CLI_EPOCHS] = {"epochs", "N", K_INT, TRAIN, 0, 0, CLI_MAX_EPOCHS,
                  "passes over the training set, $R (default $D); 0 with --load only evaluates"},
  [CLI_BATCH] = {"batch", "N", K_INT, TRAIN | EVALUATE, 0, 1, NN_MAX_BATCH,
                 "mini-batch size, $R (default $D; 32 with a convolution in --layers)"},
  [CLI_LR] = {"lr", "X", K_REAL, TRAIN, 0, 0, 0,
              "learning rate, $R (default $D with sgd, 0.05 with momentum, 0.001 with adam; with a "
              "convolution in --layers 0.1, 0.03 and 0.003)"},
  [CLI_SCHEDULE] = {"schedule", "NAME", K_SCHEDULE, TRAIN, 0, 0, 0,
                    "the learning rate over the epochs: $R (default $D); cosine falls from --lr "
                    "towards 0 along half a cosine, step divides it by 10 at half and again at "
                    "three quarters of the run"},
  [CLI_WEIGHT_DECAY] = {"weight-decay", "X", K_DECAY, TRAIN, 0, 0, 0,
                        "each step shrinks the weights by lr * X of themselves, $R (default $D; "
                        "with a convolution in --layers 0.0005 with sgd, 0.005 with momentum, 0.03 "
                        "with adam)"},
  [CLI_AUGMENT] = {"augment", "[=LIST]", K_AUGMENT, TRAIN, 0, 0, 0,
                   "distort each training image afresh each epoch (default off): alone, with "
                   "$D; or with a list such as --augment=shift=2,rotate=10 (the others 0), each in "
                   "$R"},
  [CLI_OPTIMIZER] = {"optimizer", "NAME", K_OPTIMIZER, TRAIN, 0, 0, 0,
                     "$R (default $D; momentum with a convolution in --layers)"},
  [CLI_LAYERS] = {"layers", "A,B,...", K_LAYERS, TRAIN, 0, 1, NN_MAX_UNITS,
                  "the network, input first, output last (default $D): $R. The input is the "
                  "images' pixels, 784, or the image, 28x28; then N is a dense layer of N units, "
                  "convKxF a KxK convolution of F filters, poolP PxP max pooling; the last layer "
                  "needs a unit for each label. A convnet: 28x28,conv5x8,pool2,conv5x16,pool2,128,10"},
  [CLI_ACTIVATION] = {"activation", "NAME", K_ACTIVATION, TRAIN, 0, 0, 0,
                      "hidden units: $R (default $D; relu with a convolution in --layers)"},
  [CLI_INPUT] = {"input", "NAME", K_INPUT, TRAIN, 0, 0, 0,
                 "what the first layer sees: $R (default $D); centred takes each image's mean pixel "
                 "from its pixels, raw gives them as they are (0..1)"},
  [CLI_SEED] = {"seed", "N", K_SEED, TRAIN, 0, 0, 0, "seed of the weights and the shuffle, $R (default $D)"},
  [CLI_EXTRA] = {"extra", "DIR", K_TEXT, TRAIN, 0, 0, 0,
                 "a folder of a person's own digits (the page's export: its training files, named "
                 "as --data's) mixed into every pass, each --repeat times"},
  [CLI_REPEAT] = {"repeat", "N", K_INT, TRAIN, 0, 1, CLI_MAX_REPEAT,
                  "times each --extra digit is in a pass, $R (default $D)"},
  [CLI_SAVE] = {"save", "FILE", K_TEXT, TRAIN, 0, 0, 0, "write the trained model to FILE at the end"},
  [CLI_LOAD] = {"load", "FILE", K_TEXT, ALL_COMMANDS, 0, 0, 0,
                "a saved model (or a NumPy .npz of W1..Wn, b1..bn, layers, activation and input) to train on, "
                "evaluate, predict with or export; its layers, activation and input "
                "are kept (--layers, --activation and --input must match if given), --lr, --batch, "
                "--optimizer, --schedule, --weight-decay and --augment override the saved ones"},
  [CLI_INDEX] = {"index", "N", K_INT, PREDICT | EXPLAIN, 0, 0, CLI_MAX_INDEX,
                 "the test image of --data to read or explain, from 0"},
  [CLI_IMAGE] = {"image", "FILE", K_TEXT, PREDICT, 1, 0, 0,
                 "an image to read: PNG, PGM or 784 raw bytes, white ink on black as in MNIST"},
  [CLI_INVERT] = {"invert", NULL, K_FLAG, PREDICT, 1, 0, 0, "the image has dark ink on a light background"},
  [CLI_JSON] = {"json", NULL, K_FLAG, READ_DATA, 0, 0, 0,
                "print one JSON object per line instead of text, for scripts: train one per epoch "
                "(type \"epoch\": epoch, loss, accuracy, samples, seconds, samplesPerSecond), evaluate "
                "its result (type \"evaluate\": loss, accuracy, samples), predict its digit (type "
                "\"predict\": index and label or image, predicted, probabilities), explain its "
                "backpropagation (type \"explain\", csrc/cli/options.h); errors stay one "
                "line of text on stderr"},
  [CLI_THREADS] = {"threads", "N", K_INT, TRAIN | EVALUATE, 0, 1, NN_MAX_THREADS,
                   "threads to train and evaluate with, $R (default $D): the same model bits with any "
                   "number; more than the machine's cores only slows it down"},
  [CLI_FORMAT] = {"format", "NAME", K_FORMAT, EXPORT, 0, 0, 0,
                  "the format to export: $R (npz: NumPy arrays W1..Wn, b1..bn; onnx: opset 13; tfjs: a "
                  "TensorFlow.js layers model, model.json and " EXPORT_TFJS_WEIGHTS ")"},
  [CLI_OUT] = {"out", "PATH", K_TEXT, EXPORT, 0, 0, 0, "the file to write (tfjs: the folder)"},
  [CLI_HELP] = {"help", NULL, K_FLAG, ALL_COMMANDS, 0, 0, 0, "show this help and exit"},
};

static const char *const command_names[CLI_COMMAND_COUNT] = {"train", "evaluate", "predict", "export", "explain"};

const char *cli_program(cli_shell shell) { return shell == CLI_NODE ? "mnist-wasm" : "mnist-train"; }

const char *cli_command_name(cli_command c) { return (unsigned)c < CLI_COMMAND_COUNT ? command_names[c] : NULL; }

const char *cli_option_name(cli_option o) { return (unsigned)o < CLI_OPTION_COUNT ? cli_table[o].name : NULL; }

/* ---- text buffers ------------------------------------------------------- */

/* "sgd, momentum or adam" from a name function. */
static void put_choices(nn_text *t, const char *(*name)(int), int count) {
  for (int i = 0; i < count; i++) text_put(t, "%s%s", i == 0 ? "" : i + 1 == count ? " or " : ", ", name(i));
}
static const char *activation_at(int i) { return nn_activation_name((nn_activation)i); }
static const char *schedule_at(int i) { return nn_schedule_name((nn_schedule)i); }
static const char *input_at(int i) { return nn_input_name((nn_input)i); }
static const char *const augment_names[5] = {"shift", "rotate", "scale", "shear", "elastic"};
static float *augment_field(nn_augment *a, int i) {
  float *f[5] = {&a->shift, &a->rotate, &a->scale, &a->shear, &a->elastic};
  return f[i];
}
static const float augment_max[5] = {AUGMENT_MAX_SHIFT, AUGMENT_MAX_ROTATE, AUGMENT_MAX_SCALE, AUGMENT_MAX_SHEAR,
                                     AUGMENT_MAX_ELASTIC};

/* "shift=2,rotate=10,scale=0.1,shear=0.15,elastic=1.5" */
void cli_put_augment(nn_text *t, const nn_augment *a) {
  for (int i = 0; i < 5; i++)
    text_put(t, "%s%s=%g", i ? "," : "", augment_names[i], (double)*augment_field((nn_augment *)a, i));
}
static const char *optimizer_at(int i) { return nn_optimizer_name((nn_optimizer)i); }
static const char *format_at(int i) { return export_format_name((export_format)i); }

void cli_put_layers(nn_text *t, const nn_config *c) {
  char buf[256];
  nn_layers_format(c, buf, sizeof buf);
  text_put(t, "%s", buf);
}

/* ---- the number grammar --------------------------------------------------- */

/* A whole decimal integer (optional sign, digits, nothing else) in lo..hi. */
static int parse_int(const char *s, long lo, long hi, long *out) {
  const char *p = s + (*s == '+' || *s == '-');
  if (*p < '0' || *p > '9') return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end || errno == ERANGE || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

/* A whole unsigned decimal integer below 2^64. */
static int parse_u64(const char *s, uint64_t *out) {
  if (*s < '0' || *s > '9') return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno == ERANGE) return 0;
  *out = (uint64_t)v;
  return 1;
}

/* A whole finite decimal number (strtod's syntax, no leading space). */
static int parse_real(const char *s, double *out) {
  if (!*s || *s == ' ' || (*s >= '\t' && *s <= '\r')) return 0;
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

/* ---- parsing ------------------------------------------------------------------ */

static int find_option(const char *name, size_t len) {
  for (int i = 0; i < CLI_OPTION_COUNT; i++)
    if (strlen(cli_table[i].name) == len && strncmp(cli_table[i].name, name, len) == 0) return i;
  return -1;
}

/* A bad command line. */
#define usage(msg, cap, ...) text_fail(CLI_EXIT_USAGE, msg, cap, __VA_ARGS__)

/* The layers grammar of nn_layers_parse (layers.c). */
static int parse_layers(const char *s, nn_config *cfg, char *msg, size_t cap) {
  char why[256];
  if (nn_layers_parse(s, cfg, why, sizeof why) != NN_OK) return usage(msg, cap, "--layers %s: %s", s, why);
  return 0;
}

/* --augment's list, "shift=2,rotate=10": the distortions named, the others 0. */
static int parse_augment(const char *s, nn_augment *out, char *msg, size_t cap) {
  nn_augment a = {0};
  for (const char *p = s;;) {
    size_t len = strcspn(p, ",");
    char part[48];
    int ok = len > 0 && len < sizeof part;
    if (ok) {
      memcpy(part, p, len);
      part[len] = '\0';
      char *eq = strchr(part, '=');
      int k = -1;
      if (eq) {
        *eq = '\0';
        for (int i = 0; i < 5; i++)
          if (!strcmp(part, augment_names[i])) k = i;
      }
      double x;
      ok = k >= 0 && parse_real(eq + 1, &x) && x >= 0 && x <= (double)augment_max[k];
      if (ok) *augment_field(&a, k) = (float)x;
    }
    if (!ok)
      return usage(msg, cap,
                   "--augment: expected a list of shift=0..%g, rotate=0..%g, scale=0..%g, shear=0..%g, elastic=0..%g "
                   "separated by commas, got '%s'",
                   (double)AUGMENT_MAX_SHIFT, (double)AUGMENT_MAX_ROTATE, (double)AUGMENT_MAX_SCALE,
                   (double)AUGMENT_MAX_SHEAR, (double)AUGMENT_MAX_ELASTIC, s);
    if (!p[len]) break;
    p += len + 1;
  }
  *out = a;
  return 0;
}

/* Reads one option's value into a. */
static int parse_value(cli_option id, const char *val, cli_args *a, char *msg, size_t cap) {
  const option_row *o = &cli_table[id];
  long v;
  switch (id) {
    case CLI_DATA: a->data = val; return 0;
    case CLI_SAVE: a->save = val; return 0;
    case CLI_EXTRA: a->extra = val; return 0;
    case CLI_LOAD: a->load = val; return 0;
    case CLI_IMAGE: a->image = val; return 0;
    case CLI_OUT: a->out = val; return 0;
    case CLI_EPOCHS:
    case CLI_BATCH:
    case CLI_INDEX:
    case CLI_REPEAT:
    case CLI_THREADS:
      if (!parse_int(val, o->lo, o->hi, &v))
        return usage(msg, cap, "--%s: expected an integer in %ld..%ld, got '%s'", o->name, o->lo, o->hi, val);
      if (id == CLI_EPOCHS) a->epochs = v;
      else if (id == CLI_INDEX) a->index = v;
      else if (id == CLI_REPEAT) a->repeat = v;
      else if (id == CLI_THREADS) a->threads = v;
      else a->cfg.batch_size = (int)v;
      return 0;
    case CLI_LR: {
      double x;
      if (!parse_real(val, &x) || !(x > 0)) return usage(msg, cap, "--lr: expected a finite number > 0, got '%s'", val);
      float f = (float)x; /* the precision the network keeps */
      if (!(f >= NN_LR_MIN && f <= NN_LR_MAX))
        return usage(msg, cap, "--lr: expected a number in %g..%g, got '%s'", (double)NN_LR_MIN, (double)NN_LR_MAX,
                     val);
      a->cfg.learning_rate = f;
      return 0;
    }
    case CLI_OPTIMIZER:
    case CLI_ACTIVATION:
    case CLI_INPUT:
    case CLI_FORMAT:
    case CLI_SCHEDULE: {
      const int k = id == CLI_FORMAT       ? export_format_parse(val)
                    : id == CLI_OPTIMIZER  ? nn_optimizer_parse(val)
                    : id == CLI_ACTIVATION ? nn_activation_parse(val)
                    : id == CLI_INPUT      ? nn_input_parse(val)
                                           : nn_schedule_parse(val);
      if (k < 0) {
        char names[128];
        nn_text t = text_of(names, sizeof names);
        cli_put_range(&t, id);
        return usage(msg, cap, "--%s: expected %s, got '%s'", o->name, names, val);
      }
      if (id == CLI_FORMAT) a->format = k;
      else if (id == CLI_OPTIMIZER) a->cfg.optimizer = (nn_optimizer)k;
      else if (id == CLI_ACTIVATION) a->cfg.activation = (nn_activation)k;
      else if (id == CLI_INPUT) a->cfg.input = (nn_input)k;
      else a->cfg.schedule = (nn_schedule)k;
      return 0;
    }
    case CLI_SEED:
      if (!parse_u64(val, &a->cfg.seed)) return usage(msg, cap, "--seed: expected an unsigned integer, got '%s'", val);
      return 0;
    case CLI_LAYERS: return parse_layers(val, &a->cfg, msg, cap);
    case CLI_WEIGHT_DECAY: {
      double x;
      if (!parse_real(val, &x) || !(x >= 0 && x <= (double)NN_MAX_WEIGHT_DECAY))
        return usage(msg, cap, "--weight-decay: expected a number in 0..%g, got '%s'", (double)NN_MAX_WEIGHT_DECAY,
                     val);
      a->cfg.weight_decay = (float)x;
      return 0;
    }
    case CLI_AUGMENT: return parse_augment(val, &a->cfg.augment, msg, cap);
    default: return 0;
  }
}

/* What each command needs once the whole line is read. */
static int check_needs(const cli_args *a, char *msg, size_t cap) {
  const char *data = cli_table[CLI_DATA].meta, *file = cli_table[CLI_LOAD].meta;
  if (a->command == CLI_EXPORT && (!a->load || !a->out || a->format < 0))
    return usage(msg, cap, "export needs --load %s, --format NAME and --out PATH (try --help)", file);
  if (a->command != CLI_PREDICT && a->command != CLI_EXPORT && !a->data)
    return usage(msg, cap, "--data %s is required (try --help)", data);
  if (a->command != CLI_TRAIN && !a->load) return usage(msg, cap, "--load %s is required (try --help)", file);
  if (GIVEN(a, CLI_REPEAT) && !a->extra) return usage(msg, cap, "--repeat applies to --extra only");
  if (a->command == CLI_TRAIN && a->load && GIVEN(a, CLI_SEED))
    return usage(msg, cap, "--seed cannot be used with --load (the model carries its generator state)");
  if (a->command == CLI_PREDICT) {
    if (GIVEN(a, CLI_IMAGE) == GIVEN(a, CLI_INDEX))
      return usage(msg, cap, "predict needs exactly one of --image %s or --index N (try --help)",
                   cli_table[CLI_IMAGE].meta);
    if (GIVEN(a, CLI_INDEX) && !a->data) return usage(msg, cap, "--index needs --data %s (try --help)", data);
    if (a->invert && !a->image) return usage(msg, cap, "--invert applies to --image only");
  }
  if (a->command == CLI_EXPLAIN && !GIVEN(a, CLI_INDEX)) return usage(msg, cap, "explain needs --index N (try --help)");
  if (!a->load && nn_config_check(&a->cfg) != NN_OK)
    return usage(msg, cap, "the options: %s", nn_strerror(nn_config_check(&a->cfg)));
  return 0;
}

int cli_parse(int argc, const char *const *argv, cli_shell shell, cli_args *a, char *msg, size_t cap) {
  if (msg && cap) msg[0] = '\0';
  if (!a) return usage(msg, cap, "internal error: no place for the options");
  memset(a, 0, sizeof *a);
  nn_config_default(&a->cfg);
  a->command = CLI_TRAIN;
  a->epochs = CLI_DEFAULT_EPOCHS;
  a->repeat = CLI_DEFAULT_REPEAT;
  a->threads = 1;
  a->index = -1;
  a->format = -1;
  if (argc < 1 || !argv) return check_needs(a, msg, cap);
  int i = 1;
  if (i < argc && argv[i][0] != '-') { /* the command word */
    int c = -1;
    for (int k = 0; k < CLI_COMMAND_COUNT; k++)
      if (!strcmp(argv[i], command_names[k])) c = k;
    if (c < 0)
      return usage(msg, cap, "unknown command '%s': expected train, evaluate, predict, export or explain (try --help)",
                   argv[i]);
    a->command = (cli_command)c;
    i++;
  }
  for (; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      a->help = 1;
      return 0;
    }
    if (strncmp(arg, "--", 2) != 0) return usage(msg, cap, "unexpected argument '%s' (try --help)", arg);
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    int id = find_option(arg + 2, len - 2);
    if (id < 0) return usage(msg, cap, "unknown option '%.*s' (try --help)", (int)len, arg);
    const option_row *o = &cli_table[id];
    if (!(o->commands & (1u << a->command)))
      return usage(msg, cap, "--%s does not apply to %s (try --help)", o->name, command_names[a->command]);
    if (o->node_only && shell != CLI_NODE)
      return usage(msg, cap, "--%s: only mnist-wasm reads image files (npx mnist-wasm predict --image FILE)", o->name);
    a->given |= 1u << id;
    if (o->kind == K_FLAG) {
      if (eq) return usage(msg, cap, "--%s takes no value", o->name);
      if (id == CLI_INVERT) a->invert = 1;
      if (id == CLI_JSON) a->json = 1;
      continue;
    }
    if (o->kind == K_AUGMENT && !eq) { /* the defaults; a list only after '=' */
      augment_default(&a->cfg.augment);
      continue;
    }
    const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
    if (!val || !*val) return usage(msg, cap, "--%s needs a value (try --help)", o->name);
    int st = parse_value((cli_option)id, val, a, msg, cap);
    if (st) return st;
  }
  if (!a->load) /* the stack's and the optimizer's defaults, for what is not given */
    nn_config_fit_defaults(&a->cfg, (GIVEN(a, CLI_ACTIVATION) ? NN_GIVEN_ACTIVATION : 0u) |
                                      (GIVEN(a, CLI_LR) ? NN_GIVEN_LEARNING_RATE : 0u) |
                                      (GIVEN(a, CLI_BATCH) ? NN_GIVEN_BATCH : 0u) |
                                      (GIVEN(a, CLI_WEIGHT_DECAY) ? NN_GIVEN_WEIGHT_DECAY : 0u) |
                                      (GIVEN(a, CLI_OPTIMIZER) ? NN_GIVEN_OPTIMIZER : 0u));
  return check_needs(a, msg, cap);
}

/* An option's range ($R), as help and the messages show it. */
void cli_put_range(nn_text *t, cli_option id) {
  const option_row *o = &cli_table[id];
  switch (o->kind) {
    case K_INT: text_put(t, "%ld..%ld", o->lo, o->hi); break;
    case K_REAL: text_put(t, "%g..%g", (double)NN_LR_MIN, (double)NN_LR_MAX); break;
    case K_SEED: text_put(t, "0..2^64-1"); break;
    case K_LAYERS:
      text_put(t, "up to %d layers after the input, dense ones of %ld..%ld units", NN_MAX_LAYERS, o->lo, o->hi);
      break;
    case K_OPTIMIZER: put_choices(t, optimizer_at, NN_OPTIMIZER_COUNT); break;
    case K_ACTIVATION: put_choices(t, activation_at, NN_ACTIVATION_COUNT); break;
    case K_INPUT: put_choices(t, input_at, NN_INPUT_COUNT); break;
    case K_SCHEDULE: put_choices(t, schedule_at, NN_SCHEDULE_COUNT); break;
    case K_FORMAT: put_choices(t, format_at, EXPORT_FORMAT_COUNT); break;
    case K_DECAY: text_put(t, "0..%g", (double)NN_MAX_WEIGHT_DECAY); break;
    case K_AUGMENT:
      for (int i = 0; i < 5; i++) text_put(t, "%s0..%g", i == 0 ? "" : i == 4 ? " and " : ", ", (double)augment_max[i]);
      break;
    default: break;
  }
}
