/* native_predict.c: a test helper, compiled by tests/determinism.test.js
 * against build/native/libnn_core.a. Loads a model file and a raw
 * (uncompressed) IDX image file and writes the class probabilities of every
 * image to stdout as little-endian float32, (n, n_out) row by row.
 *   native_predict MODEL IMAGES */
#include <stdio.h>
#include <stdlib.h>

#include "idx.h"
#include "model.h"
#include "nn.h"

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: native_predict MODEL IMAGES\n");
    return 2;
  }
  size_t mlen = 0, ilen = 0;
  unsigned char *model = slurp(argv[1], &mlen), *images = slurp(argv[2], &ilen);
  if (!model || !images) {
    fprintf(stderr, "native_predict: cannot read the inputs\n");
    return 1;
  }
  nn_net *net = NULL;
  idx_parser *p = NULL;
  nn_status st = model_load(model, mlen, &net);
  if (!st) st = idx_create(&p);
  if (!st) st = idx_push(p, images, ilen);
  if (!st) st = idx_finish(p);
  if (st) {
    fprintf(stderr, "native_predict: %s\n", nn_strerror(st));
    return 1;
  }
  const nn_config *c = nn_get_config(net);
  int n = (int)idx_count(p), k = c->sizes[c->n_sizes - 1];
  float *probs = malloc((size_t)n * k * sizeof *probs);
  nn_data d = {idx_data(p), NULL, NULL, n};
  if ((st = nn_predict(net, &d, probs))) {
    fprintf(stderr, "native_predict: %s\n", nn_strerror(st));
    return 1;
  }
  fwrite(probs, sizeof *probs, (size_t)n * k, stdout);
  free(probs);
  idx_free(p);
  nn_free(net);
  free(model);
  free(images);
  return 0;
}
