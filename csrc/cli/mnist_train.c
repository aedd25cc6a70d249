/* mnist_train.c: the native CLI `mnist-train`. It reads the four standard
 * MNIST files (plain or .gz, through zlib) into the streaming IDX parser,
 * trains a network from nn.h (or one loaded from a model file), prints one
 * line per epoch and optionally saves the model. It is not a library: unlike
 * csrc/, it prints and exits, and every failure ends in one stderr line
 * `mnist-train: <reason>` and a non-zero exit (2 for a bad command line, 1
 * for anything else). The options match `npx mnist-wasm train` (DESIGN.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "idx.h"
#include "model.h"
#include "nn.h"

#define EXIT_USAGE 2

static void die(int code, const char *fmt, ...) {
  va_list ap;
  fputs("mnist-train: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(code);
}

/* llm.c-style check macros: the one place where a failed call ends the
 * process, so they live here and never in csrc/. */
#define nnCheck(call, ...)                                             \
  do {                                                                 \
    nn_status nn_st_ = (call);                                         \
    if (nn_st_ != NN_OK) die_status(nn_st_, __VA_ARGS__);              \
  } while (0)
#define mallocCheck(size) malloc_check((size), __FILE__, __LINE__)

/* "mnist-train: <context>: <nn_strerror>" */
static void die_status(nn_status st, const char *fmt, ...) {
  va_list ap;
  fputs("mnist-train: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, ": %s\n", nn_strerror(st));
  exit(1);
}

static void *malloc_check(size_t size, const char *file, int line) {
  void *p = malloc(size ? size : 1);
  if (!p) die(1, "out of memory allocating %zu bytes (%s:%d)", size, file, line);
  return p;
}

/* ---- command line ---- */

typedef struct {
  const char *data_dir, *save, *load;
  long epochs;
  nn_config cfg;
  /* Which options were given, so --load can tell an override from a default. */
  int has_layers, has_activation, has_optimizer, has_lr, has_batch, has_seed;
} cli_opts;

static void usage(FILE *f) {
  nn_config d;
  nn_config_default(&d);
  fprintf(f,
          "usage: mnist-train --data DIR [options]\n"
          "\n"
          "Trains a fully connected network on MNIST-format data and prints one line per\n"
          "epoch: epoch, mean training loss, test accuracy, seconds, samples/s.\n"
          "\n"
          "  --data DIR          folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,\n"
          "                      t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each plain or .gz)\n"
          "  --epochs N          passes over the training set (default 10); 0 with --load\n"
          "                      only evaluates the loaded model on the test set\n"
          "  --batch N           mini-batch size, 1..%d (default %d)\n"
          "  --lr X              learning rate, > 0 (default %g)\n"
          "  --optimizer NAME    sgd, momentum or adam (default %s)\n"
          "  --layers A,B,...    layer sizes, input first, output last (default ",
          NN_MAX_BATCH, d.batch_size, (double)d.learning_rate, nn_optimizer_name(d.optimizer));
  for (int i = 0; i < d.n_sizes; i++) fprintf(f, "%s%d", i ? "," : "", d.sizes[i]);
  fprintf(f,
          ");\n"
          "                      2..%d sizes of 1..%d; the first must be rows*cols of the\n"
          "                      images, the last at least the largest label + 1\n"
          "  --activation NAME   hidden units: sigmoid, relu or tanh (default %s)\n"
          "  --seed N            seed for weight init and shuffling (default %llu)\n"
          "  --save FILE         write the trained model to FILE at the end\n"
          "  --load FILE         start from a saved model; its layers and activation are\n"
          "                      kept (--layers/--activation must match if given), and\n"
          "                      --lr, --batch and --optimizer override the saved ones\n"
          "  --help              show this help and exit\n"
          "\n"
          "Options also take the form --name=value. Exit status: 0 on success, 2 for a bad\n"
          "command line, 1 for any other error (one line on stderr).\n",
          NN_MAX_LAYERS + 1, NN_MAX_UNITS, nn_activation_name(d.activation),
          (unsigned long long)d.seed);
}

static long parse_long(const char *opt, const char *s, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi)
    die(EXIT_USAGE, "%s: expected an integer in %ld..%ld, got '%s'", opt, lo, hi, s);
  return v;
}

static void parse_layers(cli_opts *o, const char *s) {
  const char *p = s;
  int n = 0;
  for (;;) {
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || errno || v < 1 || v > NN_MAX_UNITS || (*end && *end != ','))
      die(EXIT_USAGE, "--layers: expected sizes in 1..%d separated by commas, got '%s'",
          NN_MAX_UNITS, s);
    if (n == NN_MAX_LAYERS + 1)
      die(EXIT_USAGE, "--layers: at most %d sizes, got '%s'", NN_MAX_LAYERS + 1, s);
    o->cfg.sizes[n++] = (int)v;
    if (!*end) break;
    p = end + 1;
  }
  if (n < 2) die(EXIT_USAGE, "--layers: need at least 2 sizes (input and output), got '%s'", s);
  o->cfg.n_sizes = n;
}

static void parse_args(int argc, char **argv, cli_opts *o) {
  memset(o, 0, sizeof *o);
  nn_config_default(&o->cfg);
  o->epochs = 10;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      usage(stdout);
      exit(0);
    }
    if (strncmp(arg, "--", 2) != 0) die(EXIT_USAGE, "unexpected argument '%s' (try --help)", arg);
    /* --name value or --name=value */
    char name[32];
    const char *val = NULL;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= sizeof name) die(EXIT_USAGE, "unknown option '%s' (try --help)", arg);
    memcpy(name, arg, len);
    name[len] = '\0';
    static const char *const known[] = {"--data", "--epochs", "--batch", "--lr", "--optimizer",
                                        "--layers", "--activation", "--seed", "--save", "--load"};
    int found = 0;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) found |= !strcmp(name, known[k]);
    if (!found) die(EXIT_USAGE, "unknown option '%s' (try --help)", name);
    if (eq) {
      val = eq + 1;
    } else {
      if (i + 1 >= argc) die(EXIT_USAGE, "%s needs a value (try --help)", name);
      val = argv[++i];
    }
    if (!*val) die(EXIT_USAGE, "%s needs a value (try --help)", name);

    if (!strcmp(name, "--data")) {
      o->data_dir = val;
    } else if (!strcmp(name, "--save")) {
      o->save = val;
    } else if (!strcmp(name, "--load")) {
      o->load = val;
    } else if (!strcmp(name, "--epochs")) {
      o->epochs = parse_long(name, val, 0, 1000000);
    } else if (!strcmp(name, "--batch")) {
      o->cfg.batch_size = (int)parse_long(name, val, 1, NN_MAX_BATCH);
      o->has_batch = 1;
    } else if (!strcmp(name, "--lr")) {
      char *end;
      errno = 0;
      double v = strtod(val, &end);
      if (end == val || *end || errno || !isfinite(v) || !(v > 0) || !isfinite((float)v) ||
          !((float)v > 0))
        die(EXIT_USAGE, "--lr: expected a finite number > 0, got '%s'", val);
      o->cfg.learning_rate = (float)v;
      o->has_lr = 1;
    } else if (!strcmp(name, "--optimizer")) {
      int v = nn_optimizer_parse(val);
      if (v < 0) die(EXIT_USAGE, "--optimizer: expected sgd, momentum or adam, got '%s'", val);
      o->cfg.optimizer = (nn_optimizer)v;
      o->has_optimizer = 1;
    } else if (!strcmp(name, "--activation")) {
      int v = nn_activation_parse(val);
      if (v < 0) die(EXIT_USAGE, "--activation: expected sigmoid, relu or tanh, got '%s'", val);
      o->cfg.activation = (nn_activation)v;
      o->has_activation = 1;
    } else if (!strcmp(name, "--layers")) {
      parse_layers(o, val);
      o->has_layers = 1;
    } else if (!strcmp(name, "--seed")) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(val, &end, 10);
      if (val[0] < '0' || val[0] > '9' || *end || errno)
        die(EXIT_USAGE, "--seed: expected an unsigned integer, got '%s'", val);
      o->cfg.seed = (uint64_t)v;
      o->has_seed = 1;
    }
  }
  if (!o->data_dir) die(EXIT_USAGE, "--data DIR is required (try --help)");
}

/* Names the option at fault when nn_config_check refuses the options: each
 * one given is tried alone on top of the defaults. nn.c owns the ranges. */
static void check_options(const cli_opts *o) {
  nn_config d, t;
  nn_config_default(&d);
  t = d;
  t.learning_rate = o->cfg.learning_rate;
  if (o->has_lr && nn_config_check(&t))
    die(EXIT_USAGE, "--lr %g: outside the range the network accepts", (double)o->cfg.learning_rate);
  t = d;
  t.n_sizes = o->cfg.n_sizes;
  memcpy(t.sizes, o->cfg.sizes, sizeof t.sizes);
  if (o->has_layers && nn_config_check(&t)) {
    uint64_t params = nn_param_count(&t);
    if (t.sizes[t.n_sizes - 1] < 2)
      die(EXIT_USAGE, "--layers: the last layer needs at least 2 units (one per class)");
    if (params > NN_MAX_PARAMS)
      die(EXIT_USAGE, "--layers: %llu weights and biases, over the limit of %u",
          (unsigned long long)params, (unsigned)NN_MAX_PARAMS);
    die(EXIT_USAGE, "--layers: not a network this build accepts");
  }
  if (!o->load) nnCheck(nn_config_check(&o->cfg), "the options");
}

/* ---- data ---- */

/* One IDX file read into a parser. Kept in a global (below) so that memory
 * is still reachable, not leaked, when die() exits early. */
typedef struct {
  idx_parser *images, *labels;
  nn_data data;
  int rows, cols;
} dataset;

static struct {
  dataset train, test;
  nn_net *net;
  int32_t *order;
  uint8_t *model;
} g;

/* Opens DIR/NAME or else DIR/NAME.gz; gzread reads both plain and gzip. */
static idx_parser *read_idx(const char *dir, const char *name) {
  size_t plen = strlen(dir) + strlen(name) + 8;
  char *path = mallocCheck(plen);
  snprintf(path, plen, "%s/%s", dir, name);
  gzFile f = gzopen(path, "rb");
  if (!f) {
    snprintf(path, plen, "%s/%s.gz", dir, name);
    f = gzopen(path, "rb");
  }
  if (!f) die(1, "cannot open %s/%s (or %s.gz): %s", dir, name, name, strerror(errno ? errno : ENOENT));

  idx_parser *p = NULL;
  nnCheck(idx_create(&p), "%s", path);
  static uint8_t buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      die(1, "%s: read error: %s", path, zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    if (n == 0) break;
    nnCheck(idx_push(p, buf, (size_t)n), "%s", path);
  }
  /* A gzip stream cut short reads as a short file; zlib reports it here. */
  int zerr;
  const char *msg = gzerror(f, &zerr);
  if (zerr != Z_OK && zerr != Z_STREAM_END) die(1, "%s: read error: %s", path, msg);
  gzclose(f);
  nnCheck(idx_finish(p), "%s", path);
  free(path);
  return p;
}

static void load_set(dataset *s, const char *dir, const char *prefix, const char *what) {
  char iname[64], lname[64];
  snprintf(iname, sizeof iname, "%s-images-idx3-ubyte", prefix);
  snprintf(lname, sizeof lname, "%s-labels-idx1-ubyte", prefix);
  s->images = read_idx(dir, iname);
  s->labels = read_idx(dir, lname);
  /* 256 classes: every byte label passes here; the network's output size
   * is checked against the largest label once the network exists. */
  nn_status st = idx_check_pair(s->images, s->labels, 256);
  if (st == NN_ERR_DIMS)
    die(1, "%s: %s: images must be (n, rows, cols) and labels (n), got %d and %d dimensions",
        dir, what, idx_ndims(s->images), idx_ndims(s->labels));
  if (st == NN_ERR_COUNT)
    die(1, "%s: %s: %u images but %u labels", dir, what, idx_count(s->images),
        idx_count(s->labels));
  if (st) die_status(st, "%s: %s", dir, what);
  if (idx_count(s->images) > (uint32_t)INT32_MAX) die(1, "%s: %s: too many samples", dir, what);
  s->rows = (int)idx_dim(s->images, 1);
  s->cols = (int)idx_dim(s->images, 2);
  s->data.u8 = idx_data(s->images);
  s->data.labels = idx_data(s->labels);
  s->data.n = (int)idx_count(s->images);
}

static int max_label(const dataset *s) {
  int m = 0;
  for (int i = 0; i < s->data.n; i++)
    if (s->data.labels[i] > m) m = s->data.labels[i];
  return m;
}

/* ---- model files ---- */

static nn_net *load_model(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) die(1, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  g.model = mallocCheck(cap);
  for (;;) {
    if (len == cap) {
      /* The largest valid model is ~256 MiB (NN_MAX_PARAMS floats). */
      if (cap > ((size_t)NN_MAX_PARAMS * 4 + 4096)) die(1, "%s: too large for a model file", path);
      uint8_t *m = realloc(g.model, cap * 2);
      if (!m) die(1, "out of memory reading %s", path);
      g.model = m;
      cap *= 2;
    }
    size_t n = fread(g.model + len, 1, cap - len, f);
    len += n;
    if (n == 0) break;
  }
  if (ferror(f)) die(1, "%s: read error: %s", path, strerror(errno));
  fclose(f);
  nn_net *net = NULL;
  nnCheck(model_load(g.model, len, &net), "%s", path);
  free(g.model);
  g.model = NULL;
  return net;
}

static void save_model(const nn_net *net, const char *path) {
  size_t size = model_size(net), written = 0;
  g.model = mallocCheck(size);
  nnCheck(model_save(net, g.model, size, &written), "%s", path);
  FILE *f = fopen(path, "wb");
  if (!f) die(1, "cannot create %s: %s", path, strerror(errno));
  if (fwrite(g.model, 1, written, f) != written) die(1, "%s: write error: %s", path, strerror(errno));
  if (fclose(f) != 0) die(1, "%s: write error: %s", path, strerror(errno));
  free(g.model);
  g.model = NULL;
}

static void print_layers(char *buf, size_t cap, const nn_config *c) {
  size_t at = 0;
  buf[0] = '\0';
  for (int i = 0; i < c->n_sizes && at < cap; i++)
    at += (size_t)snprintf(buf + at, cap - at, "%s%d", i ? "," : "", c->sizes[i]);
}

/* Builds g.net: fresh from the options, or loaded and then given the
 * overrides the command line asked for. */
static void make_net(const cli_opts *o) {
  if (!o->load) {
    nnCheck(nn_create(&o->cfg, &g.net), "cannot create the network");
    return;
  }
  if (o->has_seed)
    die(EXIT_USAGE, "--seed cannot be used with --load (the model carries its generator state)");
  g.net = load_model(o->load);
  nn_net *net = g.net;
  nn_config c = *nn_get_config(net);
  char want[128], have[128];
  print_layers(have, sizeof have, &c);
  if (o->has_layers) {
    print_layers(want, sizeof want, &o->cfg);
    if (strcmp(want, have) != 0) die(1, "--layers %s does not match %s (layers %s)", want, o->load, have);
  }
  if (o->has_activation && o->cfg.activation != c.activation)
    die(1, "--activation %s does not match %s (activation %s)", nn_activation_name(o->cfg.activation),
        o->load, nn_activation_name(c.activation));
  if (o->has_optimizer && o->cfg.optimizer != c.optimizer) {
    /* Optimizer state is not in the file, so switching loses nothing: make
     * a net with the new optimizer and move weights and counters over. */
    c.optimizer = o->cfg.optimizer;
    nn_net *fresh = NULL;
    nnCheck(nn_create(&c, &fresh), "cannot create the network");
    size_t n_old = 0, n_new = 0;
    const float *src = nn_params_const(net, &n_old);
    float *dst = nn_params(fresh, &n_new);
    if (n_old != n_new) die(1, "internal error: parameter counts differ");
    memcpy(dst, src, n_old * sizeof *dst);
    nn_restore_counters(fresh, nn_steps(net), nn_rng_state(net));
    nn_free(net);
    g.net = net = fresh;
  }
  if (o->has_lr) nnCheck(nn_set_learning_rate(net, o->cfg.learning_rate), "--lr");
  if (o->has_batch) nnCheck(nn_set_batch_size(net, o->cfg.batch_size), "--batch");
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void free_all(void) {
  idx_free(g.train.images);
  idx_free(g.train.labels);
  idx_free(g.test.images);
  idx_free(g.test.labels);
  nn_free(g.net);
  free(g.order);
  free(g.model);
  memset(&g, 0, sizeof g);
}

int main(int argc, char **argv) {
  cli_opts o;
  parse_args(argc, argv, &o);

  /* The command line is checked whole before any file is read, so a typo
   * in --lr is reported before a slow load. */
  check_options(&o);

  load_set(&g.train, o.data_dir, "train", "training set");
  load_set(&g.test, o.data_dir, "t10k", "test set");
  if (g.train.rows != g.test.rows || g.train.cols != g.test.cols)
    die(1, "%s: training images are %dx%d but test images %dx%d", o.data_dir, g.train.rows,
        g.train.cols, g.test.rows, g.test.cols);

  make_net(&o);
  const nn_config *c = nn_get_config(g.net);
  int n_in = c->sizes[0], n_out = c->sizes[c->n_sizes - 1];
  long pixels = (long)g.train.rows * g.train.cols;
  if (n_in != pixels)
    die(1, "the first layer has %d inputs but the images are %dx%d = %ld pixels (set --layers %ld,...)",
        n_in, g.train.rows, g.train.cols, pixels, pixels);
  int top = max_label(&g.train), top_test = max_label(&g.test);
  if (top_test > top) top = top_test;
  if (n_out < top + 1)
    die(1, "the last layer has %d outputs but the labels go up to %d (it needs at least %d)", n_out,
        top, top + 1);

  int n = g.train.data.n;
  g.order = mallocCheck((size_t)n * sizeof *g.order);
  double loss_sum = 0;

  if (o.epochs == 0) {
    int ok = 0;
    nnCheck(nn_evaluate(g.net, &g.test.data, &ok, &loss_sum, NULL), "evaluating");
    printf("evaluate  loss %.4f  test %.2f%%  %d samples\n", loss_sum / g.test.data.n,
           100.0 * ok / g.test.data.n, g.test.data.n);
  }
  for (long e = 1; e <= o.epochs; e++) {
    double t0 = now_seconds();
    nnCheck(nn_shuffle(g.net, g.order, n), "epoch %ld: shuffle", e);
    loss_sum = 0;
    nn_status st = nn_train(g.net, &g.train.data, g.order, 0, n, &loss_sum, NULL);
    if (st == NN_ERR_DIVERGED)
      die(1, "epoch %ld: the loss diverged (NaN or infinite); try a smaller --lr (now %g)", e,
          (double)c->learning_rate);
    if (st) die_status(st, "epoch %ld: training", e);
    double secs = now_seconds() - t0;
    int ok = 0;
    nnCheck(nn_evaluate(g.net, &g.test.data, &ok, NULL, NULL), "epoch %ld: evaluating", e);
    printf("epoch %ld  loss %.4f  test %.2f%%  %.2f s  %.0f samples/s\n", e, loss_sum / n,
           100.0 * ok / g.test.data.n, secs, secs > 0 ? n / secs : 0.0);
    fflush(stdout);
  }

  if (o.save) save_model(g.net, o.save);
  free_all();
  return 0;
}
