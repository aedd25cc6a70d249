/* test_cli.c: the command lines. First the parser, help and lines of
 * cli/options.h called directly (the Node command calls the same through
 * the wasm module): the number grammar, defaults, messages, the help's
 * shape. Then the built `mnist-train` (MNIST_TRAIN_EXE), run through the
 * shell as a user would: --help, every bad command line or bad file gives
 * exit != 0 and exactly one stderr line naming the cause, plain and .gz
 * files both load and NAME.gz is looked for first, the command words, and a
 * model saved after one epoch on the default data set evaluates to the same
 * accuracy when loaded. tests/cli-same.test.js holds both commands to the
 * same messages. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "options.h"
#include "test.h"

static char tmp[256];   /* a private scratch folder */
static char *out, *err; /* the last run's stdout and stderr */

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return calloc(1, 1);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = calloc((size_t)n + 1, 1);
  if (fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = '\0';
  fclose(f);
  return s;
}

/* NN_CLI_WRAP (scripts/valgrind.sh): a command put before every
 * NN_CLI_WRAP_EVERY-th mnist-train run (memcheck on a representative
 * sample of the runs, rather than on all of them). */
static const char *wrapper(void) {
  static int runs = 0;
  const char *wrap = getenv("NN_CLI_WRAP"), *every = getenv("NN_CLI_WRAP_EVERY");
  const int n = every ? atoi(every) : 1;
  return wrap && *wrap && runs++ % (n > 0 ? n : 1) == 0 ? wrap : "";
}

/* Runs mnist-train with args (already shell-quoted where needed); returns
 * its exit status, or -1 if it did not exit normally. */
static int run(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s '%s' %s >'%s/out' 2>'%s/err'", wrapper(), MNIST_TRAIN_EXE, args, tmp, tmp);
  int st = system(cmd);
  free(out);
  free(err);
  char path[512];
  snprintf(path, sizeof path, "%s/out", tmp);
  out = slurp(path);
  snprintf(path, sizeof path, "%s/err", tmp);
  err = slurp(path);
  return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* Exit != 0, nothing on stdout, one stderr line starting "mnist-train: "
 * that contains `needle`. */
static void expect_error(const char *args, const char *needle) {
  int rc = run(args);
  CHECK(rc > 0, "`%s`: exit %d, want non-zero", args, rc);
  CHECK(count_lines(err) == 1 && strncmp(err, "mnist-train: ", 13) == 0,
        "`%s`: want one stderr line 'mnist-train: ...', got:\n%s", args, err);
  CHECK(strstr(err, needle) != NULL, "`%s`: stderr should mention '%s', got: %s", args, needle, err);
  CHECK(out[0] == '\0', "`%s`: nothing on stdout, got: %s", args, out);
}

/* Writes an IDX file, gzipped when gz; dims[0] samples. */
static void write_idx(const char *dir, const char *name, int gz, int ndims, const uint32_t *dims, const uint8_t *body,
                      size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
  uint8_t hdr[4 + 16] = {0, 0, 8, (uint8_t)ndims};
  for (int i = 0; i < ndims; i++)
    for (int k = 0; k < 4; k++) hdr[4 + 4 * i + k] = (uint8_t)(dims[i] >> (24 - 8 * k));
  if (gz) {
    gzFile f = gzopen(path, "wb");
    gzwrite(f, hdr, 4u + 4u * (unsigned)ndims);
    if (len) gzwrite(f, body, (unsigned)len);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(hdr, 1, 4u + 4u * (unsigned)ndims, f);
    fwrite(body, 1, len, f);
    fclose(f);
  }
}

/* A tiny synthetic set in dir: n_train/n_test digits of 28x28 whose label
 * sets a bright row, so that the run is quick. */
static void write_set(const char *dir, int gz, uint32_t n_train, uint32_t n_train_labels, uint32_t n_test) {
  static uint8_t px[64 * 784], lb[64];
  for (uint32_t i = 0; i < 64; i++) {
    lb[i] = (uint8_t)(i % 10);
    for (int p = 0; p < 784; p++) px[i * 784 + p] = p / 28 == 2 * lb[i] + 3 ? 255 : (uint8_t)(p % 7);
  }
  uint32_t di[3] = {n_train, 28, 28}, dl[1] = {n_train_labels};
  write_idx(dir, "train-images-idx3-ubyte", gz, 3, di, px, (size_t)n_train * 784);
  write_idx(dir, "train-labels-idx1-ubyte", gz, 1, dl, lb, n_train_labels);
  di[0] = dl[0] = n_test;
  write_idx(dir, "t10k-images-idx3-ubyte", gz, 3, di, px, (size_t)n_test * 784);
  write_idx(dir, "t10k-labels-idx1-ubyte", gz, 1, dl, lb, n_test);
}

static void mkdir_p(const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
  CHECK(system(cmd) == 0, "%s", cmd);
}

/* ---- options.h in-process ---------------------------------------------- */

/* cli_parse on a NULL-terminated word list (argv[0] added). */
static int parse(cli_shell shell, cli_args *a, char *msg, const char *const *words) {
  const char *argv[64] = {"mnist-train"};
  int argc = 1;
  while (words[argc - 1]) argv[argc] = words[argc - 1], argc++;
  return cli_parse(argc, argv, shell, a, msg, CLI_MESSAGE_MAX);
}
#define PARSE(a, msg, ...) parse(CLI_NATIVE, (a), (msg), (const char *const[]){__VA_ARGS__, NULL})

/* One bad command line: exit 2 and exactly this message. */
static void bad(const char *want, const char *const *words) {
  cli_args a;
  char msg[CLI_MESSAGE_MAX];
  int st = parse(CLI_NATIVE, &a, msg, words);
  CHECK(st == CLI_EXIT_USAGE && strcmp(msg, want) == 0, "`%s ...`: got %d '%s', want '%s'", words[0] ? words[0] : "",
        st, msg, want);
}
#define BAD(want, ...) bad((want), (const char *const[]){__VA_ARGS__, NULL})

static void test_parse(void) {
  cli_args a;
  char msg[CLI_MESSAGE_MAX];
  nn_config d;
  nn_config_default(&d);

  /* defaults: the command is train, the config nn_config_default's */
  CHECK_EQ(PARSE(&a, msg, "--data", "dir"), 0);
  CHECK_EQ(a.command, CLI_TRAIN);
  CHECK(a.data && strcmp(a.data, "dir") == 0 && !a.save && !a.load && !a.image && !a.help, "strings");
  CHECK_EQ(a.epochs, CLI_DEFAULT_EPOCHS);
  CHECK_EQ(a.index, -1);
  CHECK_EQ(a.given, 1u << CLI_DATA);
  CHECK(memcmp(&a.cfg, &d, sizeof d) == 0, "the config is nn_config_default's");

  /* every value kind, both forms */
  CHECK_EQ(PARSE(&a, msg, "train", "--data=d", "--epochs", "+3", "--batch=64", "--lr", "2.5e-1", "--optimizer", "adam",
                 "--layers", "784,32,10", "--activation=tanh", "--seed", "18446744073709551615", "--save", "m.bin"),
           0);
  CHECK_EQ(a.epochs, 3);
  CHECK_EQ(a.cfg.batch_size, 64);
  CHECK(a.cfg.learning_rate == 0.25f, "lr %g", (double)a.cfg.learning_rate);
  CHECK_EQ(a.cfg.optimizer, NN_ADAM);
  CHECK_EQ(a.cfg.activation, NN_TANH);
  CHECK(a.cfg.n_sizes == 3 && a.cfg.sizes[0] == 784 && a.cfg.sizes[1] == 32 && a.cfg.sizes[2] == 10, "layers");
  CHECK(a.cfg.seed == UINT64_MAX, "seed");
  CHECK(a.save && strcmp(a.save, "m.bin") == 0, "save");
  CHECK_EQ(__builtin_popcount(a.given), 9);

  /* the other commands; the last of a repeated option wins; --help stops at once */
  CHECK_EQ(PARSE(&a, msg, "evaluate", "--data", "d", "--load", "m", "--batch", "5", "--batch", "7"), 0);
  CHECK(a.command == CLI_EVALUATE && a.cfg.batch_size == 7, "evaluate");
  CHECK_EQ(PARSE(&a, msg, "predict", "--load", "m", "--data", "d", "--index", "2147483647"), 0);
  CHECK(a.command == CLI_PREDICT && a.index == 2147483647L, "predict");
  CHECK_EQ(PARSE(&a, msg, "--lr", "abc", "--help", "--bogus"), CLI_EXIT_USAGE); /* left to right */
  CHECK_EQ(PARSE(&a, msg, "--bogus", "x", "-h"), CLI_EXIT_USAGE);
  CHECK_EQ(PARSE(&a, msg, "predict", "-h"), 0);
  CHECK(a.help, "-h");
  /* --image only where images are decoded (the Node command) */
  const char *const img[] = {"predict", "--load", "m", "--image", "x.png", "--invert", NULL};
  CHECK_EQ(parse(CLI_NODE, &a, msg, img), 0);
  CHECK(a.image && a.invert, "--image --invert in Node");
  /* --json: a flag of every command, in both shells */
  CHECK_EQ(PARSE(&a, msg, "--data", "d"), 0);
  CHECK(!a.json, "text unless --json");
  CHECK_EQ(PARSE(&a, msg, "--data", "d", "--json"), 0);
  CHECK(a.json && (a.given >> CLI_JSON & 1u), "--json");
  CHECK_EQ(PARSE(&a, msg, "evaluate", "--json", "--data", "d", "--load", "m"), 0);
  CHECK(a.json && a.command == CLI_EVALUATE, "evaluate --json");
  CHECK_EQ(PARSE(&a, msg, "predict", "--load", "m", "--data", "d", "--index", "0", "--json"), 0);
  CHECK(a.json, "predict --json");
  BAD("--json takes no value", "--data", "d", "--json=1");
  CHECK_EQ(PARSE(&a, msg, "explain", "--load", "m", "--data", "d", "--index", "3", "--json"), 0);
  CHECK(a.command == CLI_EXPLAIN && a.index == 3 && a.json, "explain --index 3 --json");
  BAD("explain needs --index N (try --help)", "explain", "--load", "m", "--data", "d");
  BAD("--data DIR is required (try --help)", "explain", "--load", "m", "--index", "3");
  BAD("--lr does not apply to explain (try --help)", "explain", "--load", "m", "--data", "d", "--index", "3", "--lr",
      "1");
  BAD("--image: only mnist-wasm reads image files (npx mnist-wasm predict --image FILE)", "predict", "--load", "m",
      "--image", "x");

  /* the command line's messages, exact */
  BAD("--data DIR is required (try --help)", "train");
  BAD("unknown command 'fit': expected train, evaluate, predict, export or explain (try --help)", "fit");
  BAD("unknown option '--learning-rate' (try --help)", "--learning-rate=1", "--data", "d");
  BAD("unexpected argument 'fast' (try --help)", "--data", "d", "fast");
  BAD("--epochs needs a value (try --help)", "--data", "d", "--epochs");
  BAD("--save needs a value (try --help)", "--data", "d", "--save=");
  BAD("--epochs does not apply to evaluate (try --help)", "evaluate", "--epochs", "1");
  BAD("--help takes no value", "--help=1");
  BAD("--lr: expected a finite number > 0, got 'inf'", "--data", "d", "--lr", "inf");
  BAD("--lr: expected a finite number > 0, got '0x'", "--data", "d", "--lr", "0x");
  BAD("--lr: expected a finite number > 0, got '-0'", "--data", "d", "--lr", "-0");
  BAD("--lr: expected a number in 1e-12..100, got '100.001'", "--data", "d", "--lr", "100.001");
  BAD("--epochs: expected an integer in 0..1000000, got ' 5'", "--data", "d", "--epochs", " 5");
  BAD("--epochs: expected an integer in 0..1000000, got '1000001'", "--data", "d", "--epochs", "1000001");
  BAD("--batch: expected an integer in 1..4096, got '1e3'", "--data", "d", "--batch", "1e3");
  BAD("--index: expected an integer in 0..2147483647, got '2147483648'", "predict", "--load", "m", "--index",
      "2147483648");
  BAD("--layers 784,10,: unknown item '' (expected N (dense), convKxF (a KxK convolution of F filters) or poolP)",
      "--data", "d", "--layers", "784,10,");
  BAD("--layers 784,4097: '4097': a dense layer needs 1..4096 units", "--data", "d", "--layers", "784,4097");
  BAD("--layers 1,2,3,4,5,6,7,8,9,10: at most 8 layers after the input", "--data", "d", "--layers",
      "1,2,3,4,5,6,7,8,9,10");
  BAD("--layers 10: a stack needs an input and at least one layer", "--data", "d", "--layers", "10");
  BAD("--activation: expected sigmoid, relu or tanh, got 'Sigmoid'", "--data", "d", "--activation", "Sigmoid");
  BAD("--optimizer: expected sgd, momentum or adam, got 'SGD'", "--data", "d", "--optimizer", "SGD");
  BAD("--seed: expected an unsigned integer, got '+1'", "--data", "d", "--seed", "+1");
  BAD("--seed: expected an unsigned integer, got '18446744073709551616'", "--data", "d", "--seed",
      "18446744073709551616");
  BAD("--seed cannot be used with --load (the model carries its generator state)", "--data", "d", "--load", "m",
      "--seed", "1");
  BAD("--load FILE is required (try --help)", "evaluate", "--data", "d");
  BAD("predict needs exactly one of --image FILE or --index N (try --help)", "predict", "--load", "m");
  BAD("--index needs --data DIR (try --help)", "predict", "--load", "m", "--index", "1");
  CHECK_EQ(cli_parse(1, (const char *const[]){"p"}, CLI_NATIVE, NULL, msg, sizeof msg), CLI_EXIT_USAGE);

  /* a message cut to a small buffer stays a string */
  char tiny[8];
  const char *argv[] = {"p", "--bogus-option-with-a-long-name"};
  CHECK_EQ(cli_parse(2, argv, CLI_NATIVE, &a, tiny, sizeof tiny), CLI_EXIT_USAGE);
  CHECK(strcmp(tiny, "unknown") == 0, "cut: '%s'", tiny);
}

static void test_help_text(void) {
  size_t n = cli_help(CLI_NATIVE, NULL, 0);
  char *help = malloc(n + 1);
  CHECK_EQ(cli_help(CLI_NATIVE, help, n + 1), n);
  CHECK_EQ(strlen(help), n);
  for (int i = 0; i < CLI_OPTION_COUNT; i++) {
    char opt[32];
    snprintf(opt, sizeof opt, "\n  --%s", cli_option_name((cli_option)i));
    const char *at = strstr(help, opt);
    CHECK(at && (at[strlen(opt)] == ' ' || at[strlen(opt)] == '\n' || at[strlen(opt)] == '['), "--help lists --%s",
          cli_option_name((cli_option)i));
  }
  int longest = 0;
  for (const char *p = help; *p;) {
    int len = (int)strcspn(p, "\n");
    if (len > longest) longest = len;
    p += len + (p[len] == '\n');
  }
  CHECK(longest <= 80, "help lines fit 80 columns, longest %d", longest);
  CHECK(strstr(help, "(default 784,128,64,10)") && strstr(help, "(default 8;") &&
          strstr(help, "(default 0.5 with sgd") && strstr(help, "(default sigmoid;") && strstr(help, "(default sgd;") &&
          strstr(help, "(default 1)"),
        "defaults from nn_config_default");
  char *flat = malloc(n + 1); /* the words without the line breaks */
  size_t k = 0;
  for (const char *p = help; *p; p++)
    if (!(*p == ' ' || *p == '\n') || (k > 0 && flat[k - 1] != ' ')) flat[k++] = *p == '\n' ? ' ' : *p;
  flat[k] = '\0';
  CHECK(strstr(flat, "each NAME.gz or else NAME") != NULL, "the lookup order");
  free(flat);
  /* the Node command's help differs in the program name only */
  char *node = malloc(n + 1);
  cli_help(CLI_NODE, node, n + 1);
  CHECK(strstr(node, "usage: mnist-wasm [train]") != NULL, "Node's usage line");
  free(node);
  char cut[16];
  CHECK_EQ(cli_help(CLI_NATIVE, cut, sizeof cut), n);
  CHECK_EQ(strlen(cut), sizeof cut - 1);
  free(help);
}

static void test_lines(void) {
  char buf[CLI_MESSAGE_MAX];
  cli_epoch_line(3, 0.123449, 0.9125, 0.5, 8000, buf, sizeof buf);
  CHECK(strcmp(buf, "epoch 3  loss 0.1234  test 91.25%  0.50 s  16000 samples/s") == 0, "%s", buf);
  cli_epoch_line(1, 1, 1, 0, 10, buf, sizeof buf);
  CHECK(strcmp(buf, "epoch 1  loss 1.0000  test 100.00%  0.00 s  0 samples/s") == 0, "%s", buf);
  cli_evaluate_line(0.25, 0.92, 2000, buf, sizeof buf);
  CHECK(strcmp(buf, "evaluate  loss 0.2500  test 92.00%  2000 samples") == 0, "%s", buf);
  const float p[3] = {0.25f, 0.5f, 0.25f};
  cli_predict_lines(NULL, 7, 1, p, 3, buf, sizeof buf);
  CHECK(strcmp(buf, "index 7  label 1  predicted 1  p 0.5000\n0:0.2500 1:0.5000 2:0.2500") == 0, "%s", buf);
  cli_predict_lines("d.png", -1, -1, p, 3, buf, sizeof buf);
  CHECK(strncmp(buf, "d.png  predicted 1  p 0.5000\n", 29) == 0, "%s", buf);

  /* --json: the same numbers, in the fewest digits that read back exactly */
  size_t n = cli_epoch_json(3, 0.123449, 0.9125, 0.5, 8000, buf, sizeof buf);
  CHECK(strcmp(buf,
               "{\"type\":\"epoch\",\"epoch\":3,\"loss\":0.123449,\"accuracy\":0.9125,\"samples\":8000,"
               "\"seconds\":0.5,\"samplesPerSecond\":16000}") == 0,
        "%s", buf);
  CHECK_EQ(n, strlen(buf));
  cli_epoch_json(1, 0.1 + 0.2, 1.0 / 3, 0, 10, buf, sizeof buf);
  CHECK(strcmp(buf,
               "{\"type\":\"epoch\",\"epoch\":1,\"loss\":0.30000000000000004,\"accuracy\":0.3333333333333333,"
               "\"samples\":10,\"seconds\":0,\"samplesPerSecond\":0}") == 0,
        "16 or 17 digits where needed: %s", buf);
  cli_evaluate_json(INFINITY, 0.92, 2000, buf, sizeof buf);
  CHECK(strcmp(buf, "{\"type\":\"evaluate\",\"loss\":null,\"accuracy\":0.92,\"samples\":2000}") == 0,
        "not finite is null: %s", buf);
  cli_evaluate_json(1e-7, 0.92, 2000, buf, sizeof buf);
  CHECK(starts(buf, "{\"type\":\"evaluate\",\"loss\":1e-07,"), "%s", buf);
  cli_predict_json(NULL, 7, 1, p, 3, buf, sizeof buf);
  CHECK(strcmp(buf,
               "{\"type\":\"predict\",\"index\":7,\"label\":1,\"predicted\":1,\"probabilities\":[0.25,0.5,0.25]}") == 0,
        "%s", buf);
  const float q[2] = {0.1f, 1e-20f};
  cli_predict_json("a \"b\"\\\n.png", -1, -1, q, 2, buf, sizeof buf);
  CHECK(strcmp(buf,
               "{\"type\":\"predict\",\"image\":\"a \\\"b\\\"\\\\\\u000a.png\",\"predicted\":0,"
               "\"probabilities\":[0.1,1e-20]}") == 0,
        "an image's name escaped, floats short: %s", buf);
  char cut[12];
  CHECK_EQ(cli_predict_json(NULL, 7, 1, p, 3, cut, sizeof cut),
           strlen("{\"type\":\"predict\",\"index\":7,\"label\":1,"
                  "\"predicted\":1,\"probabilities\":[0.25,0.5,0.25]}"));
  CHECK_EQ(strlen(cut), sizeof cut - 1);

  cli_not_found("dir", 1, DATA_LABELS, buf, sizeof buf);
  CHECK(strcmp(buf, "cannot find t10k-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte in dir") == 0, "%s", buf);
  CHECK_EQ(cli_file_error(CLI_NOT_WRITABLE, "a/m.bin", "a", buf, sizeof buf), CLI_EXIT_FAILURE);
  CHECK(strcmp(buf, "cannot create a/m.bin: the folder a is not writable") == 0, "%s", buf);
}

static void test_help(void) {
  CHECK_EQ(run("--help"), 0);
  const char *opts[] = {"--data",  "--epochs", "--batch", "--lr",          "--optimizer", "--layers", "--activation",
                        "--seed",  "--save",   "--load",  "--help",        "sgd",         "momentum", "adam",
                        "sigmoid", "relu",     "tanh",    "784,128,64,10", "default 10",  ".gz"};
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    CHECK(strstr(out, opts[i]) != NULL, "--help mentions %s", opts[i]);
  CHECK(err[0] == '\0', "--help writes nothing to stderr: %s", err);
  /* output that cannot be written (here a full disk) fails, with one line */
  if (access("/dev/full", W_OK) == 0) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --help >/dev/full 2>'%s/err'", MNIST_TRAIN_EXE, tmp);
    int st = system(cmd);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == CLI_EXIT_FAILURE, "--help into a full disk: status %d", st);
    snprintf(cmd, sizeof cmd, "%s/err", tmp);
    free(err);
    err = slurp(cmd);
    CHECK(count_lines(err) == 1 && strstr(err, "cannot write the output"), "one stderr line: %s", err);
  }
}

static void test_bad_command_lines(void) {
  char a[1024];
  expect_error("--bogus", "--bogus");
  expect_error("", "--data");
  snprintf(a, sizeof a, "--data '%s' --epochs", NN_DATA_DIR);
  expect_error(a, "--epochs needs a value");
  snprintf(a, sizeof a, "--data '%s' --lr abc", NN_DATA_DIR);
  expect_error(a, "--lr");
  snprintf(a, sizeof a, "--data '%s' --lr -0.5", NN_DATA_DIR);
  expect_error(a, "--lr");
  snprintf(a, sizeof a, "--data '%s' --lr nan", NN_DATA_DIR);
  expect_error(a, "--lr");
  snprintf(a, sizeof a, "--data '%s' --lr 1e9", NN_DATA_DIR);
  expect_error(a, "--lr");
  snprintf(a, sizeof a, "--data '%s' --epochs 2x", NN_DATA_DIR);
  expect_error(a, "--epochs");
  snprintf(a, sizeof a, "--data '%s' --batch 0", NN_DATA_DIR);
  expect_error(a, "--batch");
  snprintf(a, sizeof a, "--data '%s' --optimizer rmsprop", NN_DATA_DIR);
  expect_error(a, "--optimizer");
  snprintf(a, sizeof a, "--data '%s' --activation softmax", NN_DATA_DIR);
  expect_error(a, "--activation");
  snprintf(a, sizeof a, "--data '%s' --layers 784,,10", NN_DATA_DIR);
  expect_error(a, "--layers");
  snprintf(a, sizeof a, "--data '%s' --seed -3", NN_DATA_DIR);
  expect_error(a, "--seed");
  snprintf(a, sizeof a, "--data '%s/no-such-dir'", tmp);
  expect_error(a, "train-images-idx3-ubyte");
}

static void test_bad_files(void) {
  char dir[512], a[1200];

  /* Plain files: they load and train (and a one-epoch line is printed). */
  snprintf(dir, sizeof dir, "%s/plain", tmp);
  mkdir_p(dir);
  write_set(dir, 0, 40, 40, 20);
  snprintf(a, sizeof a, "--data '%s' --epochs 2 --layers 784,16,10 --batch 8", dir);
  CHECK_EQ(run(a), 0);
  CHECK(count_lines(out) == 2 && strncmp(out, "epoch 1  loss ", 14) == 0 &&
          strstr(out, "samples/s\nepoch 2  loss ") != NULL,
        "two epoch lines, got:\n%s%s", out, err);

  /* The first and last layer sizes must fit the data. */
  snprintf(a, sizeof a, "--data '%s' --layers 100,10", dir);
  expect_error(a, "784");
  snprintf(a, sizeof a, "--data '%s' --layers 784,16,8", dir);
  expect_error(a, "labels go up to 9");

  /* Image and label counts differ. */
  snprintf(dir, sizeof dir, "%s/count", tmp);
  mkdir_p(dir);
  write_set(dir, 1, 40, 39, 20);
  snprintf(a, sizeof a, "--data '%s'", dir);
  expect_error(a, "40 images but 39 labels");

  /* A malformed IDX file is named with the parser's message. */
  snprintf(dir, sizeof dir, "%s/magic", tmp);
  mkdir_p(dir);
  write_set(dir, 1, 40, 40, 20);
  char path[600];
  snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
  gzFile f = gzopen(path, "wb");
  gzputs(f, "not an idx file");
  gzclose(f);
  snprintf(a, sizeof a, "--data '%s'", dir);
  expect_error(a, "t10k-labels-idx1-ubyte.gz: not an IDX file (it is text: \"not an idx file\")");

  /* A gzip stream cut short. */
  snprintf(dir, sizeof dir, "%s/cut", tmp);
  mkdir_p(dir);
  write_set(dir, 1, 40, 40, 20);
  snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
  FILE *fp = fopen(path, "rb");
  static uint8_t gzbuf[1 << 16];
  size_t n = fread(gzbuf, 1, sizeof gzbuf, fp);
  fclose(fp);
  fp = fopen(path, "wb");
  fwrite(gzbuf, 1, n / 2, fp);
  fclose(fp);
  snprintf(a, sizeof a, "--data '%s'", dir);
  expect_error(a, "train-images-idx3-ubyte.gz");

  /* A model file that is not one. */
  snprintf(dir, sizeof dir, "%s/plain", tmp);
  snprintf(a, sizeof a, "--data '%s' --epochs 0 --load '%s/train-labels-idx1-ubyte'", dir, dir);
  expect_error(a, "not a model file (it looks like an IDX data file; a model file starts with \"MNWM\")");
  snprintf(a, sizeof a, "--data '%s' --epochs 0 --load '%s/none.model'", dir, tmp);
  expect_error(a, "none.model");
}

/* Pulls "test NN.NN%" out of the last line that has it. */
static void last_accuracy(const char *s, char *acc, size_t cap) {
  acc[0] = '\0';
  for (const char *p = strstr(s, "test "); p; p = strstr(p + 1, "test ")) {
    size_t n = strcspn(p + 5, "%");
    if (n < cap) {
      memcpy(acc, p + 5, n);
      acc[n] = '\0';
    }
  }
}

/* The command words, and NAME.gz looked for before NAME. */
static void test_commands_and_lookup(void) {
  char dir[512], a[1400], path[600];
  snprintf(dir, sizeof dir, "%s/both", tmp);
  mkdir_p(dir);
  write_set(dir, 0, 40, 40, 20); /* good plain files */
  write_set(dir, 1, 40, 40, 20); /* and good .gz files... */
  snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
  gzFile f = gzopen(path, "wb"); /* ...but the labels' .gz is broken */
  gzputs(f, "not an idx file");
  gzclose(f);
  snprintf(a, sizeof a, "train --data '%s' --epochs 1 --layers 784,16,10", dir);
  expect_error(a, "train-labels-idx1-ubyte.gz: not an IDX file (it is text: \"not an idx file\")");
  snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir); /* no plain file: the same */
  remove(path);
  expect_error(a, "train-labels-idx1-ubyte.gz: not an IDX file (it is text: \"not an idx file\")");

  snprintf(dir, sizeof dir, "%s/plain", tmp);
  char model[600];
  snprintf(model, sizeof model, "%s/words.model", tmp);
  snprintf(a, sizeof a, "train --data '%s' --epochs 1 --layers 784,16,10 --save '%s'", dir, model);
  CHECK_EQ(run(a), 0);
  char first[256];
  snprintf(first, sizeof first, "%s", out);
  snprintf(a, sizeof a, "--data '%s' --epochs 1 --layers 784,16,10", dir); /* no word: train */
  CHECK_EQ(run(a), 0);
  CHECK(strncmp(out, first, 36) == 0, "the same run with and without 'train': %s / %s", first, out);
  snprintf(a, sizeof a, "evaluate --data '%s' --load '%s'", dir, model);
  CHECK_EQ(run(a), 0);
  CHECK(strncmp(out, "evaluate  loss ", 15) == 0 && strstr(out, "  20 samples\n") != NULL, "evaluate: %s%s", out, err);
  snprintf(a, sizeof a, "predict --data '%s' --load '%s' --index 3", dir, model);
  CHECK_EQ(run(a), 0);
  CHECK(strncmp(out, "index 3  label 3  predicted ", 28) == 0 && count_lines(out) == 2 && strstr(out, "\n0:") &&
          strstr(out, " 9:"),
        "predict: %s%s", out, err);
  snprintf(a, sizeof a, "predict --data '%s' --load '%s' --index 20", dir, model);
  expect_error(a, "--index 20: the test set has 20 images (0..19)");
  snprintf(a, sizeof a, "predict --load '%s' --image x.png", model);
  CHECK_EQ(run(a), 2);
  CHECK(strstr(err, "only mnist-wasm reads image files") != NULL, "%s", err);
}

static void test_real_run(void) {
  char a[1200], acc1[32], acc2[32], model[512];
  snprintf(model, sizeof model, "%s/one-epoch.model", tmp);
  snprintf(a, sizeof a, "--data '%s' --epochs 1 --save '%s'", NN_DATA_DIR, model);
  int rc = run(a);
  CHECK(rc == 0,
        "one epoch on %s: exit %d (run `node scripts/make-dataset.js` if the data set is "
        "missing): %s",
        NN_DATA_DIR, rc, err);
  CHECK(count_lines(out) == 1 && strncmp(out, "epoch 1  loss ", 14) == 0, "one epoch line: %s", out);
  last_accuracy(out, acc1, sizeof acc1);
  double acc = atof(acc1);
  CHECK(acc > 10.0 && acc <= 100.0, "one epoch learns something: test %s%%", acc1);

  snprintf(a, sizeof a, "--data '%s' --epochs 0 --load '%s'", NN_DATA_DIR, model);
  CHECK_EQ(run(a), 0);
  last_accuracy(out, acc2, sizeof acc2);
  CHECK(acc1[0] && strcmp(acc1, acc2) == 0, "loaded model: test %s%%, after training %s%%", acc2, acc1);

  /* Training on from the file works, with an optimizer switch. */
  snprintf(a, sizeof a, "--data '%s' --epochs 1 --load '%s' --optimizer adam --lr 0.001 --batch 64", NN_DATA_DIR,
           model);
  CHECK_EQ(run(a), 0);
  CHECK(strncmp(out, "epoch 1  loss ", 14) == 0, "trains on after --load: %s%s", out, err);
  snprintf(a, sizeof a, "--data '%s' --load '%s' --activation relu", NN_DATA_DIR, model);
  expect_error(a, "does not match");

  /* --json: one object per epoch, evaluate and predict one each */
  snprintf(a, sizeof a, "--data '%s' --epochs 2 --layers 784,16,10 --json", NN_DATA_DIR);
  CHECK_EQ(run(a), 0);
  CHECK(count_lines(out) == 2 && starts(out, "{\"type\":\"epoch\",\"epoch\":1,\"loss\":") &&
          strstr(out, "}\n{\"type\":\"epoch\",\"epoch\":2,\"loss\":") && strstr(out, "\"samplesPerSecond\":"),
        "two epoch objects: %s", out);
  snprintf(a, sizeof a, "evaluate --data '%s' --load '%s' --json", NN_DATA_DIR, model);
  CHECK_EQ(run(a), 0);
  CHECK(count_lines(out) == 1 && starts(out, "{\"type\":\"evaluate\",\"loss\":"), "evaluate: %s", out);
  snprintf(a, sizeof a, "predict --data '%s' --load '%s' --index 3 --json", NN_DATA_DIR, model);
  CHECK_EQ(run(a), 0);
  CHECK(count_lines(out) == 1 && starts(out, "{\"type\":\"predict\",\"index\":3,\"label\":") &&
          strstr(out, "\"probabilities\":["),
        "predict: %s", out);
}

int main(void) {
  snprintf(tmp, sizeof tmp, "%s/mnist-cli-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  test_parse();
  test_help_text();
  test_lines();
  test_help();
  test_bad_command_lines();
  test_bad_files();
  test_commands_and_lookup();
  test_real_run();

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  free(out);
  free(err);
  return TEST_DONE();
}
