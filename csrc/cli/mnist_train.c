/* mnist_train.c: the native command line `mnist-train`, a thin shell over
 * csrc/. Its options, help, output lines and messages are cli/options.h's,
 * which the Node command (bin/mnist-wasm.js) uses too; its data go through
 * zlib straight into a data set (data.h); its loop is the trainer's
 * (train.h). Unlike csrc/ it prints and exits: every failure ends in one
 * stderr line "mnist-train: <message>" and exit status 2 (a bad command
 * line) or 1 (anything else). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "data.h"
#include "explain.h"
#include "export.h"
#include "model.h"
#include "nn.h"
#include "options.h"
#include "train.h"

/* Everything allocated, so that an early exit frees it (ASan's leak check
 * runs at exit). */
static struct {
  nn_dataset *set[3]; /* training, test, --extra (a person's digits) */
  nn_net *net;
  nn_trainer *trainer;
  uint8_t *model; /* a model file's bytes */
  char *path;
  char *help; /* --help's text */
  gzFile gz;
} g;

static void free_all(void) {
  for (int i = 0; i < 3; i++) data_free(g.set[i]);
  nn_free(g.net);
  trainer_free(g.trainer);
  free(g.model);
  free(g.path);
  free(g.help);
  if (g.gz) gzclose(g.gz);
  memset(&g, 0, sizeof g);
}

static char msg[CLI_MESSAGE_MAX];

/* The one way out on failure: the message of options.h, or one made here. */
static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: ", cli_program(CLI_NATIVE));
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  free_all();
  exit(code);
}
#define dieMsg(code) die((code), "%s", msg)
/* llm.c-style check: a failed call of the core ends the process here, never in csrc/. */
#define nnCheck(call, what)                                                            \
  do {                                                                                 \
    nn_status nn_st_ = (call);                                                         \
    if (nn_st_ != NN_OK) die(CLI_EXIT_FAILURE, "%s: %s", (what), nn_strerror(nn_st_)); \
  } while (0)

static void *mallocCheck(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die(CLI_EXIT_FAILURE, "%s", nn_strerror(NN_ERR_NOMEM));
  return p;
}

/* Writes to stdout at once. Output that cannot be written (a full disk)
 * ends the run with an error, not a quiet exit 0. */
static void print(const char *text) {
  if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
    die(CLI_EXIT_FAILURE, "cannot write the output: %s", strerror(errno));
}

static void print_line(const char *line) {
  print(line);
  print("\n");
}

/* ---- files ----------------------------------------------------------------- */

/* DIR/NAME, one slash between (as the Node command joins them). */
static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir), m = strlen(name);
  char *p = mallocCheck(n + m + 2);
  int slash = n > 0 && dir[n - 1] != '/';
  snprintf(p, n + m + 2, "%s%s%s", dir, slash ? "/" : "", name);
  return p;
}

/* Fails now, before any training, if --save FILE cannot be created. */
static void check_savable(const char *file) {
  char *copy = mallocCheck(strlen(file) + 1), *slash;
  strcpy(copy, file);
  slash = strrchr(copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  struct stat st;
  int r = stat(dir, &st) != 0      ? (errno == ENOENT    ? CLI_NO_FOLDER
                                      : errno == ENOTDIR ? CLI_NOT_FOLDER
                                                         : -1)
          : !S_ISDIR(st.st_mode)   ? CLI_NOT_FOLDER
          : access(dir, W_OK) != 0 ? CLI_NOT_WRITABLE
                                   : 0;
  if (r < 0) r = cli_file_error(CLI_CANNOT_CREATE, file, strerror(errno), msg, sizeof msg);
  else if (r) cli_file_error((cli_file_problem)r, file, dir, msg, sizeof msg);
  free(copy);
  if (r) dieMsg(CLI_EXIT_FAILURE);
}

/* One file of a data set, NAME.gz or else NAME (data_file_suffix's order),
 * through zlib (gzread reads plain files too) into the data set. */
static void read_file(const char *data, int set, int slot, data_file file) {
  const char *name = data_mnist_name(set, file);
  for (int s = 0; data_file_suffix(s) && !g.gz; s++) {
    char full[256];
    snprintf(full, sizeof full, "%s%s", name, data_file_suffix(s));
    free(g.path);
    g.path = join(data, full);
    errno = 0;
    g.gz = gzopen(g.path, "rb");
    if (!g.gz && errno != ENOENT) {
      cli_file_error(CLI_CANNOT_OPEN, g.path, strerror(errno ? errno : ENOMEM), msg, sizeof msg);
      dieMsg(CLI_EXIT_FAILURE);
    }
  }
  if (!g.gz) {
    cli_not_found(data, set, file, msg, sizeof msg);
    dieMsg(CLI_EXIT_FAILURE);
  }
  static uint8_t buf[1 << 16];
  nn_status st = NN_OK;
  for (int n; st == NN_OK && (n = gzread(g.gz, buf, sizeof buf)) != 0;) {
    if (n < 0) break;
    st = data_push(g.set[slot], file, buf, (size_t)n);
  }
  int zerr = Z_OK;
  const char *why = gzerror(g.gz, &zerr); /* "PATH: reason" */
  size_t plen = strlen(g.path);
  if (strncmp(why, g.path, plen) == 0 && strncmp(why + plen, ": ", 2) == 0) why += plen + 2;
  /* a gzip stream cut short reads as a short file: zlib reports it here */
  if (st == NN_OK && zerr == Z_ERRNO) die(CLI_EXIT_FAILURE, "%s: %s", g.path, strerror(errno));
  if (st == NN_OK && zerr != Z_OK && zerr != Z_STREAM_END)
    die(CLI_EXIT_FAILURE, "%s: %s (%s)", g.path, nn_strerror(NN_ERR_GZIP), why);
  if (st == NN_OK) st = data_finish(g.set[slot], file);
  if (st != NN_OK) {
    cli_data_error(data, set, g.set[slot], st, file, g.path, msg, sizeof msg);
    dieMsg(CLI_EXIT_FAILURE);
  }
  gzclose(g.gz);
  g.gz = NULL;
}

/* The files of set (0 training, 1 test) under data into g.set[slot]. */
static void read_set(const char *data, int set, int slot) {
  /* every byte label passes here: cli_check_data compares them to the network */
  nnCheck(data_create(DATA_MAX_CLASSES, &g.set[slot]), "the data set");
  read_file(data, set, slot, DATA_IMAGES);
  read_file(data, set, slot, DATA_LABELS);
}

static void load_model(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_file_error(errno == ENOENT ? CLI_NO_SUCH_FILE : CLI_CANNOT_OPEN, path, strerror(errno), msg, sizeof msg);
    dieMsg(CLI_EXIT_FAILURE);
  }
  size_t cap = 1 << 16, len = 0, n;
  g.model = mallocCheck(cap);
  while ((n = fread(g.model + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len < cap) continue;
    /* the largest valid model is ~256 MiB (NN_MAX_PARAMS floats) */
    if (cap > (size_t)NN_MAX_PARAMS * 4 + 4096) break;
    uint8_t *m = realloc(g.model, cap * 2);
    if (!m) break;
    g.model = m;
    cap *= 2;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    cli_file_error(CLI_CANNOT_OPEN, path, strerror(errno), msg, sizeof msg);
    dieMsg(CLI_EXIT_FAILURE);
  }
  char why[512];
  if (model_open(g.model, len, &g.net, why, sizeof why) != NN_OK) die(CLI_EXIT_FAILURE, "%s: %s", path, why);
  free(g.model);
  g.model = NULL;
}

static void write_bytes(const char *path, size_t written) {
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(g.model, 1, written, f) == written;
  if (f && fclose(f) != 0) ok = 0;
  if (!ok) {
    cli_file_error(CLI_CANNOT_CREATE, path, strerror(errno), msg, sizeof msg);
    dieMsg(CLI_EXIT_FAILURE);
  }
  free(g.model);
  g.model = NULL;
}

static void save_model(const char *path) {
  size_t size = model_size(g.net), written = 0;
  g.model = mallocCheck(size);
  nnCheck(model_save(g.net, g.model, size, &written), path);
  write_bytes(path, written);
}

/* export: the model in --format, at --out (tfjs: its files in the folder --out, made if missing). */
static void export_model(const cli_args *a) {
  const export_format f = (export_format)a->format;
  if (f == EXPORT_TFJS && mkdir(a->out, 0777) != 0 && errno != EEXIST) {
    cli_file_error(CLI_CANNOT_CREATE, a->out, strerror(errno), msg, sizeof msg);
    dieMsg(CLI_EXIT_FAILURE);
  }
  for (int i = 0; i < export_file_count(f); i++) {
    const size_t size = export_write(g.net, f, i, NULL, 0);
    g.model = mallocCheck(size);
    export_write(g.net, f, i, g.model, size);
    free(g.path);
    g.path = f == EXPORT_TFJS ? join(a->out, export_file_name(f, i)) : join("", a->out);
    write_bytes(g.path, size);
    cli_export_line(g.path, (double)size, msg, sizeof msg);
    print_line(msg);
  }
}

/* ---- the network ------------------------------------------------------------ */

/* A fresh network from the options, or the loaded one with the overrides
 * the command line asks for. */
static void make_net(const cli_args *a) {
  if (!a->load) {
    nnCheck(nn_create(&a->cfg, &g.net), "the network");
    nnCheck(nn_set_threads(g.net, (int)a->threads), "--threads");
    return;
  }
  load_model(a->load);
  if (a->command == CLI_TRAIN && cli_check_model(a, g.net, msg, sizeof msg)) dieMsg(CLI_EXIT_FAILURE);
  nn_config c = *nn_get_config(g.net);
  if ((a->given >> CLI_OPTIMIZER & 1) && a->cfg.optimizer != c.optimizer) {
    /* the file holds no optimizer state: a new network with the weights and counters */
    c.optimizer = a->cfg.optimizer;
    nn_net *fresh = NULL;
    nnCheck(nn_create(&c, &fresh), "the network");
    size_t n_old = 0, n_new = 0;
    const float *src = nn_params_const(g.net, &n_old);
    memcpy(nn_params(fresh, &n_new), src, n_old * sizeof *src);
    nn_restore_counters(fresh, nn_steps(g.net), nn_rng_state(g.net));
    nn_free(g.net);
    g.net = fresh;
  }
  nnCheck(nn_set_threads(g.net, (int)a->threads), "--threads");
  if (a->given >> CLI_LR & 1) nnCheck(nn_set_learning_rate(g.net, a->cfg.learning_rate), "--lr");
  if (a->given >> CLI_BATCH & 1) nnCheck(nn_set_batch_size(g.net, a->cfg.batch_size), "--batch");
  if (a->given & (1u << CLI_SCHEDULE | 1u << CLI_WEIGHT_DECAY | 1u << CLI_AUGMENT)) {
    const nn_config *now = nn_get_config(g.net);
    nnCheck(nn_set_training(g.net, a->given >> CLI_SCHEDULE & 1 ? a->cfg.schedule : now->schedule,
                            a->given >> CLI_WEIGHT_DECAY & 1 ? a->cfg.weight_decay : now->weight_decay,
                            a->given >> CLI_AUGMENT & 1 ? &a->cfg.augment : &now->augment),
            "the training options");
  }
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static nn_data view(int set) {
  nn_data d;
  nnCheck(data_view(g.set[set], &d), "the data set");
  return d;
}

/* Accuracy and mean loss on the test set. */
static void evaluate(double *accuracy, double *loss) {
  nn_data test = view(1);
  int correct = 0;
  double loss_sum = 0;
  nn_status st = nn_evaluate(g.net, &test, &correct, &loss_sum, NULL);
  if (st == NN_ERR_DIVERGED) die(CLI_EXIT_FAILURE, "evaluate: %s", nn_strerror(st));
  nnCheck(st, "evaluate");
  *accuracy = (double)correct / test.n;
  *loss = loss_sum / test.n;
}

static void print_evaluation(const cli_args *a) {
  double accuracy, loss;
  evaluate(&accuracy, &loss);
  (a->json ? cli_evaluate_json : cli_evaluate_line)(loss, accuracy, view(1).n, msg, sizeof msg);
  print_line(msg);
}

static void train(const cli_args *a) {
  nnCheck(trainer_create(&g.trainer), "the trainer");
  trainer_plan(g.trainer, (uint64_t)a->epochs); /* the schedule spreads over the run */
  nn_data data = view(0), extra;
  if (a->extra) { /* a person's digits in every pass, each --repeat times */
    extra = view(2);
    data.extra = &extra;
    nnCheck(trainer_set_repeat(g.trainer, (int)a->repeat), "--repeat");
  }
  if (a->epochs == 0) print_evaluation(a);
  for (long e = 1; e <= a->epochs; e++) {
    double t0 = now_seconds();
    int trained = 0; /* one call is one epoch: the budget is the whole pass */
    nn_status st = trainer_run(g.trainer, g.net, &data, 1, INT32_MAX, &trained);
    if (st != NN_OK) {
      cli_train_error(g.net, e, st, msg, sizeof msg);
      dieMsg(CLI_EXIT_FAILURE);
    }
    double seconds = now_seconds() - t0, accuracy, loss;
    evaluate(&accuracy, &loss);
    (a->json ? cli_epoch_json : cli_epoch_line)(e, trainer_progress(g.trainer)->last_loss, accuracy, seconds, trained,
                                                msg, sizeof msg);
    print_line(msg);
  }
}

static void predict(const cli_args *a) {
  const nn_config *c = nn_get_config(g.net);
  const int k = c->sizes[c->n_sizes - 1];
  float *probs = mallocCheck((size_t)k * sizeof *probs);
  nn_data one = {data_image(g.set[1], (uint32_t)a->index), NULL, NULL, 1, 0, 0, NULL};
  nn_status st = nn_predict(g.net, &one, probs);
  if (st != NN_OK) {
    free(probs);
    die(CLI_EXIT_FAILURE, "predict: %s", nn_strerror(st));
  }
  (a->json ? cli_predict_json : cli_predict_lines)(NULL, a->index, data_label(g.set[1], (uint32_t)a->index), probs, k,
                                                   msg, sizeof msg);
  free(probs);
  print_line(msg);
}

static void explain(const cli_args *a) {
  const uint32_t i = (uint32_t)a->index;
  if (cli_explain(g.net, data_image(g.set[1], i), data_label(g.set[1], i), a->index, a->json, msg, sizeof msg))
    dieMsg(CLI_EXIT_FAILURE);
  print_line(msg);
}

int main(int argc, char **argv) {
  cli_args a;
  int st = cli_parse(argc, (const char *const *)argv, CLI_NATIVE, &a, msg, sizeof msg);
  if (st) dieMsg(st);
  if (a.help) {
    size_t n = cli_help(CLI_NATIVE, NULL, 0);
    g.help = mallocCheck(n + 1);
    cli_help(CLI_NATIVE, g.help, n + 1);
    print(g.help);
    free_all();
    return 0;
  }
  /* cheap checks first: the save folder and the model before a slow load */
  if (a.save) check_savable(a.save);
  if (a.command == CLI_EXPORT) {
    if (a.format != EXPORT_TFJS) check_savable(a.out);
    load_model(a.load);
    export_model(&a);
    free_all();
    return 0;
  }
  make_net(&a);
  if (a.command == CLI_TRAIN) read_set(a.data, 0, 0);
  read_set(a.data, 1, 1);
  if (cli_check_data(&a, g.net, g.set[0], g.set[1], msg, sizeof msg)) dieMsg(CLI_EXIT_FAILURE);
  if (a.extra) {
    read_set(a.extra, 0, 2);
    if (cli_check_data(&a, g.net, g.set[2], g.set[1], msg, sizeof msg)) dieMsg(CLI_EXIT_FAILURE);
  }

  if (a.command == CLI_TRAIN) train(&a);
  else if (a.command == CLI_EVALUATE) print_evaluation(&a);
  else if (a.command == CLI_EXPLAIN) explain(&a);
  else predict(&a);
  if (a.save) save_model(a.save);
  free_all();
  return 0;
}
