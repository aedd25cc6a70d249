/* digits.h: the small split's real digits for the C tests (one copy of the
 * reader that test_nn, test_layers and test_threads share). NN_DATA_DIR is
 * the folder, set by CMakeLists.txt. */
#ifndef TEST_DIGITS_H
#define TEST_DIGITS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

/* The body of a gzipped IDX file of the split (header skipped), count
 * items of item bytes; NULL if it cannot be read whole. */
static inline uint8_t *read_idx_gz(const char *name, int ndims, int *count, size_t item) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", NN_DATA_DIR, name);
  gzFile f = gzopen(path, "rb");
  if (!f) return NULL;
  uint8_t head[16];
  const int hlen = 4 + 4 * ndims;
  uint8_t *body = NULL;
  if (gzread(f, head, (unsigned)hlen) == hlen) {
    *count = (int)((uint32_t)head[4] << 24 | (uint32_t)head[5] << 16 | (uint32_t)head[6] << 8 | head[7]);
    const size_t bytes = (size_t)*count * item;
    body = malloc(bytes);
    if (body && gzread(f, body, (unsigned)bytes) != (int)bytes) {
      free(body);
      body = NULL;
    }
  }
  gzclose(f);
  return body;
}

typedef struct {
  uint8_t *x, *y; /* 784 bytes an image; a label each */
  int n;
} digits;

/* prefix "train" or "t10k": its images and labels; 0 if either is missing. */
static inline int load_digits(const char *prefix, digits *d) {
  char img[64], lab[64];
  int nl = 0;
  snprintf(img, sizeof img, "%s-images-idx3-ubyte.gz", prefix);
  snprintf(lab, sizeof lab, "%s-labels-idx1-ubyte.gz", prefix);
  d->x = read_idx_gz(img, 3, &d->n, 784);
  d->y = read_idx_gz(lab, 1, &nl, 1);
  return d->x && d->y && nl == d->n;
}

#endif
