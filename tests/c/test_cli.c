/* test_cli.c: the built `mnist-train` (MNIST_TRAIN_EXE), run through the
 * shell as a user would. Checks --help, that every bad command line or bad
 * file gives exit != 0 and exactly one stderr line naming the cause, that
 * plain and .gz files both load, and that a model saved after one epoch on
 * the default data set evaluates to the same accuracy when loaded. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

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

/* Runs mnist-train with args (already shell-quoted where needed); returns
 * its exit status, or -1 if it did not exit normally. */
static int run(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' %s >'%s/out' 2>'%s/err'", MNIST_TRAIN_EXE, args, tmp, tmp);
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
static void write_idx(const char *dir, const char *name, int gz, int ndims, const uint32_t *dims,
                      const uint8_t *body, size_t len) {
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
static void write_set(const char *dir, int gz, uint32_t n_train, uint32_t n_train_labels,
                      uint32_t n_test) {
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

static void test_help(void) {
  CHECK_EQ(run("--help"), 0);
  const char *opts[] = {"--data", "--epochs", "--batch", "--lr", "--optimizer", "--layers",
                        "--activation", "--seed", "--save", "--load", "--help",
                        "sgd", "momentum", "adam", "sigmoid", "relu", "tanh", "784,128,64,10",
                        "default 10", ".gz"};
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    CHECK(strstr(out, opts[i]) != NULL, "--help mentions %s", opts[i]);
  CHECK(err[0] == '\0', "--help writes nothing to stderr: %s", err);
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
        strstr(out, "samples/s\nepoch 2  loss ") != NULL, "two epoch lines, got:\n%s%s", out, err);

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
  expect_error(a, "t10k-labels-idx1-ubyte.gz: not the expected file type");

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
  expect_error(a, "bad magic");
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

static void test_real_run(void) {
  char a[1200], acc1[32], acc2[32], model[512];
  snprintf(model, sizeof model, "%s/one-epoch.model", tmp);
  snprintf(a, sizeof a, "--data '%s' --epochs 1 --save '%s'", NN_DATA_DIR, model);
  int rc = run(a);
  CHECK(rc == 0, "one epoch on %s: exit %d (run `node scripts/make-dataset.js` if the data set is "
                 "missing): %s", NN_DATA_DIR, rc, err);
  CHECK(count_lines(out) == 1 && strncmp(out, "epoch 1  loss ", 14) == 0, "one epoch line: %s", out);
  last_accuracy(out, acc1, sizeof acc1);
  double acc = atof(acc1);
  CHECK(acc > 10.0 && acc <= 100.0, "one epoch learns something: test %s%%", acc1);

  snprintf(a, sizeof a, "--data '%s' --epochs 0 --load '%s'", NN_DATA_DIR, model);
  CHECK_EQ(run(a), 0);
  last_accuracy(out, acc2, sizeof acc2);
  CHECK(acc1[0] && strcmp(acc1, acc2) == 0, "loaded model: test %s%%, after training %s%%", acc2, acc1);

  /* Training on from the file works, with an optimizer switch. */
  snprintf(a, sizeof a, "--data '%s' --epochs 1 --load '%s' --optimizer adam --lr 0.001 --batch 64",
           NN_DATA_DIR, model);
  CHECK_EQ(run(a), 0);
  CHECK(strncmp(out, "epoch 1  loss ", 14) == 0, "trains on after --load: %s%s", out, err);
  snprintf(a, sizeof a, "--data '%s' --load '%s' --activation relu", NN_DATA_DIR, model);
  expect_error(a, "does not match");
}

int main(void) {
  snprintf(tmp, sizeof tmp, "%s/mnist-cli-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  test_help();
  test_bad_command_lines();
  test_bad_files();
  test_real_run();

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  free(out);
  free(err);
  return TEST_DONE();
}
