/* test_data.c: the data set (csrc/data.c) fed by its two streaming IDX
 * parsers. The real digits of the default data set (web/data, through zlib)
 * go in whole, in every chunking and in interleavings of the two files, and
 * must give the same rows; data_ready never counts a row before both halves
 * of it arrived; each broken input gets its own status as soon as the fact
 * is known, and keeps it; bad arguments are refused without being sticky. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data.h"
#include "rng.h"
#include "test.h"

/* ---- real IDX bytes ------------------------------------------------------ */

typedef struct {
  uint8_t *b;
  size_t len;
} blob;

/* The whole decompressed file NN_DATA_DIR/name (header included). */
static int read_gz_all(const char *name, blob *out) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", NN_DATA_DIR, name);
  out->b = NULL;
  out->len = 0;
  gzFile f = gzopen(path, "rb");
  if (!f) return 0;
  size_t cap = 1 << 20;
  out->b = malloc(cap);
  int n;
  while (out->b && (n = gzread(f, out->b + out->len, (unsigned)(cap - out->len))) > 0) {
    out->len += (size_t)n;
    if (out->len == cap) {
      uint8_t *b = realloc(out->b, cap *= 2);
      if (!b) {
        free(out->b);
        out->b = NULL;
      }
      out->b = b;
    }
  }
  gzclose(f);
  return out->b != NULL && out->len > 0;
}

static blob images, labels; /* train set: 16 + n * 784 and 8 + n bytes */
static uint32_t N;          /* its sample count */
#define PX 784u
#define IH 16u /* image header bytes */
#define LH 8u  /* label header bytes */

static void put_be32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}

/* An IDX file in out: 0 0 8 ndims, dims, then body. Returns its length. */
static size_t make_idx(uint8_t *out, int ndims, const uint32_t *dims, const uint8_t *body, size_t body_len) {
  size_t n = 0;
  out[n++] = 0;
  out[n++] = 0;
  out[n++] = 0x08;
  out[n++] = (uint8_t)ndims;
  for (int i = 0; i < ndims; i++, n += 4) put_be32(out + n, dims[i]);
  memcpy(out + n, body, body_len);
  return n + body_len;
}

/* The first m real digits as their own image and label files (malloc'd). */
static blob sub_images(uint32_t m) {
  blob o = {malloc(IH + (size_t)m * PX), 0};
  const uint32_t dims[3] = {m, 28, 28};
  o.len = make_idx(o.b, 3, dims, images.b + IH, (size_t)m * PX);
  return o;
}
static blob sub_labels(uint32_t m) {
  blob o = {malloc(LH + m), 0};
  const uint32_t dims[1] = {m};
  o.len = make_idx(o.b, 1, dims, labels.b + LH, m);
  return o;
}

/* Rows that may be ready after ib image bytes and lb label bytes of a
 * well-formed pair: both halves in, and the image header whole. */
static uint32_t expect_ready(size_t ib, size_t lb) {
  if (ib < IH) return 0;
  uint32_t im = (uint32_t)((ib - IH) / PX), la = lb > LH ? (uint32_t)(lb - LH) : 0;
  return im < la ? im : la;
}

static nn_dataset *new_set(int n_classes) {
  nn_dataset *ds = NULL;
  CHECK_EQ(data_create(n_classes, &ds), NN_OK);
  return ds;
}

/* The set holds exactly the rows of ref (which holds the first n of the real files). */
static int same_rows(const nn_dataset *ds, const nn_dataset *ref, uint32_t n) {
  if (data_ready(ds) != n || data_ready(ref) != n) return 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *a = data_image(ds, i), *b = data_image(ref, i);
    if (!a || !b || memcmp(a, b, PX) != 0 || memcmp(a, images.b + IH + (size_t)i * PX, PX) != 0) return 0;
    if (data_label(ds, i) != data_label(ref, i) || data_label(ds, i) != labels.b[LH + i]) return 0;
  }
  return data_image(ds, n) == NULL && data_label(ds, n) == -1;
}

/* ---- chunkings and interleavings ---------------------------------------- */

static nn_dataset *whole_ref; /* both files pushed whole, finished */

static void test_whole_push(void) {
  nn_dataset *ds = new_set(10);
  if (!ds) return;
  CHECK_EQ(data_count(ds), 0);
  CHECK_EQ(data_ready(ds), 0);
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b, images.len), NN_OK);
  CHECK_EQ(data_ready(ds), 0); /* no labels yet */
  CHECK_EQ(data_count(ds), N);
  CHECK_EQ(data_push(ds, DATA_LABELS, labels.b, labels.len), NN_OK);
  CHECK_EQ(data_ready(ds), N);
  CHECK_EQ(data_complete(ds), 0); /* not finished yet */
  CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_OK);
  CHECK_EQ(data_complete(ds), 0);
  CHECK_EQ(data_finish(ds, DATA_LABELS), NN_OK);
  CHECK_EQ(data_complete(ds), 1);
  CHECK_EQ(data_error(ds), NN_OK);
  CHECK_EQ(data_rows(ds), 28);
  CHECK_EQ(data_cols(ds), 28);
  CHECK_EQ(data_classes(ds), 10);
  CHECK_EQ(idx_bytes_seen(data_parser(ds, DATA_IMAGES)), images.len);
  CHECK_EQ(idx_bytes_seen(data_parser(ds, DATA_LABELS)), labels.len);
  whole_ref = ds;
  CHECK(same_rows(ds, ds, N), "whole push: rows differ from the file's bytes");
  nn_data v;
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK(v.n == (int)N && v.f32 == NULL && v.u8 && v.labels && memcmp(v.u8, images.b + IH, (size_t)N * PX) == 0 &&
          memcmp(v.labels, labels.b + LH, N) == 0,
        "data_view of the whole set: n %d", v.n);
}

/* Pushes the two files in chunks: next_file() picks which file goes next
 * (while both have bytes left) and the chunk sizes come from isz/lsz (0:
 * random 1..97). After every push ready must be exactly expect_ready;
 * whenever it grows, the newest row must be right. */
enum { ORDER_IMAGES_FIRST, ORDER_LABELS_FIRST, ORDER_ALTERNATE, ORDER_RANDOM };
static int feed(size_t isz, size_t lsz, int order, uint64_t seed, char *why, size_t why_len) {
  nn_dataset *ds = NULL;
  if (data_create(10, &ds) != NN_OK) return snprintf(why, why_len, "create"), 0;
  rng_t r;
  rng_seed(&r, seed);
  size_t at[2] = {0, 0};
  const blob *f[2] = {&images, &labels};
  uint32_t last_ready = 0;
  int ok = 1, turn = 0;
  while (ok && (at[0] < f[0]->len || at[1] < f[1]->len)) {
    int which;
    if (at[0] == f[0]->len) which = 1;
    else if (at[1] == f[1]->len) which = 0;
    else if (order == ORDER_IMAGES_FIRST) which = 0;
    else if (order == ORDER_LABELS_FIRST) which = 1;
    else if (order == ORDER_ALTERNATE) which = turn ^= 1;
    else which = (int)rng_below(&r, 2);
    size_t want = which ? lsz : isz;
    if (want == 0) want = 1 + rng_below(&r, 97);
    size_t left = f[which]->len - at[which], c = want < left ? want : left;
    nn_status st = data_push(ds, (data_file)which, f[which]->b + at[which], c);
    at[which] += c;
    uint32_t ready = data_ready(ds), want_ready = expect_ready(at[0], at[1]);
    if (st != NN_OK) {
      snprintf(why, why_len, "push of %zu bytes of file %d at %zu: %s", c, which, at[which] - c, nn_status_name(st));
      ok = 0;
    } else if (ready != want_ready) {
      snprintf(why, why_len, "after %zu image and %zu label bytes: ready %u, want %u", at[0], at[1], ready, want_ready);
      ok = 0;
    } else if (ready > last_ready) {
      const uint32_t i = ready - 1;
      const uint8_t *img = data_image(ds, i);
      if (!img || memcmp(img, images.b + IH + (size_t)i * PX, PX) != 0 || data_label(ds, i) != labels.b[LH + i]) {
        snprintf(why, why_len, "row %u wrong as it became ready", i);
        ok = 0;
      }
      last_ready = ready;
    }
  }
  if (ok && (data_finish(ds, DATA_IMAGES) != NN_OK || data_finish(ds, DATA_LABELS) != NN_OK || !data_complete(ds)))
    snprintf(why, why_len, "finish failed: %s", nn_status_name(data_error(ds))), ok = 0;
  if (ok && !same_rows(ds, whole_ref, N)) snprintf(why, why_len, "rows differ from the whole push"), ok = 0;
  data_free(ds);
  return ok;
}

static void test_chunkings_and_interleavings(void) {
  if (!whole_ref) return;
  static const size_t sizes[] = {1, 2, 3, 7, 15, 16, 17, 783, 784, 785, 4099, 65536, (size_t)-1};
  static const char *const order_names[] = {"images first", "labels first", "alternating", "random"};
  char why[256];
  const size_t n_sizes = sizeof sizes / sizeof sizes[0];
  /* the same chunk size for both files, in each order */
  for (size_t s = 0; s < n_sizes; s++)
    for (int o = 0; o < 4; o++) {
      why[0] = 0;
      CHECK(feed(sizes[s], sizes[s], o, 1 + s, why, sizeof why), "chunks of %zu, %s: %s", sizes[s], order_names[o],
            why);
    }
  /* different sizes for the two files */
  for (size_t s = 0; s < n_sizes; s++) {
    size_t t = sizes[n_sizes - 1 - s];
    why[0] = 0;
    CHECK(feed(sizes[s], t, ORDER_ALTERNATE, 7, why, sizeof why), "images in %zu, labels in %zu: %s", sizes[s], t, why);
  }
  /* random sizes, random interleavings */
  for (uint64_t seed = 1; seed <= 3; seed++) {
    why[0] = 0;
    CHECK(feed(0, 0, ORDER_RANDOM, seed, why, sizeof why), "random chunks and interleaving, seed %llu: %s",
          (unsigned long long)seed, why);
  }
}

/* A row is counted only once its image and its label are both in, however
 * far ahead either file is. */
static void test_ready_needs_both(void) {
  nn_dataset *ds = new_set(10);
  if (!ds) return;
  CHECK_EQ(data_push(ds, DATA_LABELS, labels.b, LH + 50), NN_OK); /* 50 labels */
  CHECK_EQ(data_ready(ds), 0);
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b, IH - 1), NN_OK); /* header but one byte */
  CHECK_EQ(data_ready(ds), 0);
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + IH - 1, 1), NN_OK);
  CHECK_EQ(data_ready(ds), 0);
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + IH, 3 * PX - 1), NN_OK); /* 2 whole images and a part */
  CHECK_EQ(data_ready(ds), 2);
  CHECK(data_image(ds, 2) == NULL && data_label(ds, 2) == -1, "row 2 has its label but not all its image");
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + IH + 3 * PX - 1, 1), NN_OK);
  CHECK_EQ(data_ready(ds), 3);
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + IH + 3 * PX, 97 * PX), NN_OK); /* 100 images, 50 labels */
  CHECK_EQ(data_ready(ds), 50);
  CHECK(data_image(ds, 50) == NULL && data_label(ds, 50) == -1, "row 50 has its image but not its label");
  CHECK(data_image(ds, 49) && data_label(ds, 49) == labels.b[LH + 49], "row 49 is ready");
  CHECK_EQ(data_push(ds, DATA_LABELS, labels.b + LH + 50, 1), NN_OK);
  CHECK_EQ(data_ready(ds), 51);
  data_free(ds);
}

/* ---- errors -------------------------------------------------------------- */

/* After an error: every push and finish gives it, nothing is ready. */
static void expect_sticky(nn_dataset *ds, nn_status err, const char *what) {
  const uint8_t b[1] = {0};
  CHECK(data_error(ds) == err, "%s: data_error %s, want %s", what, nn_status_name(data_error(ds)), nn_status_name(err));
  CHECK(data_push(ds, DATA_IMAGES, images.b, images.len) == err, "%s: an image push after the error", what);
  CHECK(data_push(ds, DATA_LABELS, b, 1) == err, "%s: a label push after the error", what);
  CHECK(data_push(ds, DATA_LABELS, b, 0) == err, "%s: an empty push after the error", what);
  CHECK(data_finish(ds, DATA_IMAGES) == err && data_finish(ds, DATA_LABELS) == err, "%s: finish after the error", what);
  nn_data v = {0};
  CHECK(data_view(ds, &v) == err, "%s: data_view after the error", what);
  CHECK(data_ready(ds) == 0 && data_image(ds, 0) == NULL && data_label(ds, 0) == -1 && !data_complete(ds),
        "%s: rows ready after the error (%u)", what, data_ready(ds));
  CHECK(data_error(ds) == err, "%s: still %s", what, nn_status_name(err));
}

/* Pushes a (whole, first) then b one byte at a time: every byte before
 * b[fail_at] is fine and that one gives err. */
static void expect_fail_at(data_file fa, const blob *a, data_file fb, const blob *b, size_t fail_at, int n_classes,
                           nn_status err, const char *what) {
  nn_dataset *ds = new_set(n_classes);
  if (!ds) return;
  if (a) CHECK(data_push(ds, fa, a->b, a->len) == NN_OK, "%s: first file", what);
  nn_status st = NN_OK;
  size_t i = 0;
  for (; i < b->len && st == NN_OK; i++) st = data_push(ds, fb, b->b + i, 1);
  CHECK(st == err && i == fail_at + 1, "%s: %s at byte %zu, want %s at byte %zu", what, nn_status_name(st), i - 1,
        nn_status_name(err), fail_at);
  expect_sticky(ds, err, what);
  data_free(ds);
  /* and the same pushed whole */
  ds = new_set(n_classes);
  if (!ds) return;
  st = a ? data_push(ds, fa, a->b, a->len) : NN_OK;
  if (st == NN_OK) st = data_push(ds, fb, b->b, b->len);
  CHECK(st == err, "%s pushed whole: %s, want %s", what, nn_status_name(st), nn_status_name(err));
  expect_sticky(ds, err, what);
  data_free(ds);
}

static void test_dims_errors(void) {
  const uint32_t m = 20;
  blob im = sub_images(m), lb = sub_labels(m);
  uint8_t *buf = malloc(IH + 4 + (size_t)m * PX);
  /* images (m, 784): 2-d, known at the last header byte (12) */
  const uint32_t flat[2] = {m, PX};
  blob im2 = {buf, make_idx(buf, 2, flat, images.b + IH, (size_t)m * PX)};
  expect_fail_at(DATA_LABELS, &lb, DATA_IMAGES, &im2, 11, 10, NN_ERR_DIMS, "images 2-d");
  expect_fail_at(0, NULL, DATA_IMAGES, &im2, 11, 10, NN_ERR_DIMS, "images 2-d, no labels");
  /* images (m, 28, 28, 1): 4-d */
  const uint32_t four[4] = {m, 28, 28, 1};
  blob im4 = {buf, make_idx(buf, 4, four, images.b + IH, (size_t)m * PX)};
  expect_fail_at(DATA_LABELS, &lb, DATA_IMAGES, &im4, 19, 10, NN_ERR_DIMS, "images 4-d");
  /* the label file given as images, the image file given as labels */
  expect_fail_at(0, NULL, DATA_IMAGES, &lb, 7, 10, NN_ERR_DIMS, "labels pushed as images");
  expect_fail_at(0, NULL, DATA_LABELS, &im, 15, 10, NN_ERR_DIMS, "images pushed as labels");
  /* labels (m, 1): 2-d */
  const uint32_t col[2] = {m, 1};
  uint8_t lbuf[64];
  blob lb2 = {lbuf, make_idx(lbuf, 2, col, labels.b + LH, m)};
  expect_fail_at(DATA_IMAGES, &im, DATA_LABELS, &lb2, 11, 10, NN_ERR_DIMS, "labels 2-d");
  expect_fail_at(0, NULL, DATA_LABELS, &lb2, 11, 10, NN_ERR_DIMS, "labels 2-d, no images");
  free(buf);
  free(im.b);
  free(lb.b);
}

/* Counts that disagree: known (and refused) at the byte that completes the
 * second header, whichever file comes first, before any body. */
static void test_count_error(void) {
  blob im = sub_images(30), lb29 = sub_labels(29), lb31 = sub_labels(31);
  expect_fail_at(DATA_IMAGES, &im, DATA_LABELS, &lb29, LH - 1, 10, NN_ERR_COUNT, "29 labels for 30 images");
  expect_fail_at(DATA_IMAGES, &im, DATA_LABELS, &lb31, LH - 1, 10, NN_ERR_COUNT, "31 labels for 30 images");
  expect_fail_at(DATA_LABELS, &lb29, DATA_IMAGES, &im, IH - 1, 10, NN_ERR_COUNT, "30 images after 29 labels");
  blob head = {im.b, IH}; /* the image header alone */
  expect_fail_at(DATA_IMAGES, &head, DATA_LABELS, &lb31, LH - 1, 10, NN_ERR_COUNT, "31 labels after an image header");
  /* and the real pair, whole, with the label count one short */
  blob real = {malloc(labels.len), labels.len - 1};
  memcpy(real.b, labels.b, real.len);
  put_be32(real.b + 4, N - 1);
  expect_fail_at(DATA_IMAGES, &images, DATA_LABELS, &real, LH - 1, 10, NN_ERR_COUNT, "real: N-1 labels");
  free(real.b);
  free(im.b);
  free(lb29.b);
  free(lb31.b);
}

/* A label >= n_classes: refused as soon as that byte arrives, with or
 * without images, and the rows before it were ready until then. */
static void test_label_error(void) {
  const uint32_t m = 60, bad_at = 23;
  blob im = sub_images(m), lb = sub_labels(m);
  lb.b[LH + bad_at] = 10;
  expect_fail_at(DATA_IMAGES, &im, DATA_LABELS, &lb, LH + bad_at, 10, NN_ERR_LABEL, "label 10 of 10 classes");
  expect_fail_at(0, NULL, DATA_LABELS, &lb, LH + bad_at, 10, NN_ERR_LABEL, "label 10, no images");
  lb.b[LH + bad_at] = 255;
  expect_fail_at(DATA_IMAGES, &im, DATA_LABELS, &lb, LH + bad_at, 10, NN_ERR_LABEL, "label 255");
  /* the rows before it stay ready up to the bad byte */
  nn_dataset *ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, im.b, im.len), NN_OK);
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b, LH + bad_at), NN_OK);
    CHECK_EQ(data_ready(ds), bad_at);
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b + LH + bad_at, 2), NN_ERR_LABEL);
    CHECK_EQ(data_ready(ds), 0);
    data_free(ds);
  }
  /* real labels against fewer classes: refused at the first label too big */
  const int few = labels.b[LH] < 2 ? 2 : labels.b[LH] + 1; /* the first label fits */
  uint32_t first = 0;
  while (first < N && labels.b[LH + first] < few) first++;
  CHECK(first > 0 && first < N, "a real label >= %d after the first (%u)", few, first);
  expect_fail_at(DATA_IMAGES, &images, DATA_LABELS, &labels, LH + first, few, NN_ERR_LABEL, "real labels, few classes");
  /* 256 classes take any byte */
  ds = new_set(256);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, im.b, im.len), NN_OK);
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b, lb.len), NN_OK);
    CHECK_EQ(data_label(ds, bad_at), 255);
    CHECK_EQ(data_ready(ds), m);
    data_free(ds);
  }
  free(im.b);
  free(lb.b);
}

static void test_truncated(void) {
  /* the last image byte missing */
  nn_dataset *ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, images.b, images.len - 1), NN_OK);
    CHECK_EQ(data_push(ds, DATA_LABELS, labels.b, labels.len), NN_OK);
    CHECK_EQ(data_ready(ds), N - 1);
    CHECK_EQ(data_finish(ds, DATA_LABELS), NN_OK);
    CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_ERR_TRUNCATED);
    expect_sticky(ds, NN_ERR_TRUNCATED, "last image byte missing");
    data_free(ds);
  }
  /* labels cut inside the header; the label file finished first */
  ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_LABELS, labels.b, 5), NN_OK);
    CHECK_EQ(data_finish(ds, DATA_LABELS), NN_ERR_TRUNCATED);
    expect_sticky(ds, NN_ERR_TRUNCATED, "label header cut");
    data_free(ds);
  }
  /* every cut of a small pair's label file */
  blob im = sub_images(5), lb = sub_labels(5);
  for (size_t cut = 0; cut < lb.len; cut++) {
    ds = new_set(10);
    if (!ds) break;
    nn_status a = data_push(ds, DATA_IMAGES, im.b, im.len), b = data_push(ds, DATA_LABELS, lb.b, cut);
    nn_status c = data_finish(ds, DATA_IMAGES), d = data_finish(ds, DATA_LABELS);
    CHECK(a == NN_OK && b == NN_OK && c == NN_OK && d == NN_ERR_TRUNCATED && data_error(ds) == NN_ERR_TRUNCATED,
          "labels cut at %zu: push %s %s, finish %s %s", cut, nn_status_name(a), nn_status_name(b), nn_status_name(c),
          nn_status_name(d));
    data_free(ds);
  }
  free(im.b);
  free(lb.b);
  /* nothing pushed at all */
  ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_ERR_TRUNCATED);
    expect_sticky(ds, NN_ERR_TRUNCATED, "empty image file");
    data_free(ds);
  }
}

static void test_trailing(void) {
  blob im = sub_images(5), lb = sub_labels(5);
  /* a byte after a finished file */
  nn_dataset *ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, im.b, im.len), NN_OK);
    CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_OK);
    CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_OK); /* finishing twice is fine */
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b, lb.len), NN_OK);
    CHECK_EQ(data_push(ds, DATA_IMAGES, im.b, 1), NN_ERR_TRAILING);
    expect_sticky(ds, NN_ERR_TRAILING, "a byte after finish");
    data_free(ds);
  }
  /* after finish, even a byte that would fit a file finished early is refused:
   * here the label file, finished whole, gets one more */
  ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b, lb.len), NN_OK);
    CHECK_EQ(data_finish(ds, DATA_LABELS), NN_OK);
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b + LH, 1), NN_ERR_TRAILING);
    expect_sticky(ds, NN_ERR_TRAILING, "a label after finish");
    data_free(ds);
  }
  /* a byte past the body, in the same push and in the next, before finish */
  uint8_t *extra = malloc(im.len + 1);
  memcpy(extra, im.b, im.len);
  extra[im.len] = 0;
  ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, extra, im.len + 1), NN_ERR_TRAILING);
    expect_sticky(ds, NN_ERR_TRAILING, "one byte too many in one push");
    data_free(ds);
  }
  ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, extra, im.len), NN_OK);
    CHECK_EQ(data_push(ds, DATA_LABELS, lb.b, lb.len), NN_OK);
    CHECK_EQ(data_ready(ds), 5);
    CHECK_EQ(data_push(ds, DATA_IMAGES, extra + im.len, 1), NN_ERR_TRAILING);
    expect_sticky(ds, NN_ERR_TRAILING, "one byte too many in the next push");
    data_free(ds);
  }
  free(extra);
  free(im.b);
  free(lb.b);
}

/* Header errors of the parser come through with their own codes, sticky. */
static void test_parser_errors(void) {
  uint8_t bad[IH];
  memcpy(bad, images.b, IH);
  bad[0] = 1;
  nn_dataset *ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, bad, IH), NN_ERR_MAGIC);
    expect_sticky(ds, NN_ERR_MAGIC, "bad magic");
    data_free(ds);
  }
  memcpy(bad, labels.b, LH);
  bad[2] = 0x0D; /* floats */
  ds = new_set(10);
  if (ds) {
    CHECK_EQ(data_push(ds, DATA_IMAGES, images.b, images.len), NN_OK);
    CHECK_EQ(data_push(ds, DATA_LABELS, bad, LH), NN_ERR_TYPE);
    expect_sticky(ds, NN_ERR_TYPE, "label type 0x0D");
    data_free(ds);
  }
}

/* NULL and unknown arguments: NN_ERR_ARG, and the set carries on. */
static void test_bad_args(void) {
  nn_dataset *ds = new_set(10);
  if (!ds) return;
  nn_data v;
  CHECK_EQ(data_push(NULL, DATA_IMAGES, images.b, 4), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, (data_file)2, images.b, 4), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, (data_file)-1, images.b, 4), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, DATA_IMAGES, NULL, 4), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, DATA_LABELS, NULL, 4), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, DATA_IMAGES, NULL, 0), NN_OK); /* nothing to read */
  CHECK_EQ(data_finish(NULL, DATA_IMAGES), NN_ERR_ARG);
  CHECK_EQ(data_finish(ds, (data_file)5), NN_ERR_ARG);
  CHECK_EQ(data_view(NULL, &v), NN_ERR_ARG);
  CHECK_EQ(data_view(ds, NULL), NN_ERR_ARG);
  CHECK_EQ(data_error(ds), NN_OK); /* none of these was sticky */
  /* mid-file too: a NULL push between two halves leaves the bytes as they were */
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b, 1000), NN_OK);
  CHECK_EQ(data_push(ds, DATA_IMAGES, NULL, 10), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + 1000, images.len - 1000), NN_OK);
  CHECK_EQ(data_push(ds, DATA_LABELS, NULL, 1), NN_ERR_ARG);
  CHECK_EQ(data_push(ds, DATA_LABELS, labels.b, labels.len), NN_OK);
  CHECK_EQ(data_finish(ds, DATA_IMAGES), NN_OK);
  CHECK_EQ(data_finish(ds, DATA_LABELS), NN_OK);
  CHECK_EQ(data_complete(ds), 1);
  CHECK(whole_ref && same_rows(ds, whole_ref, N), "rows after rejected NULL pushes");
  CHECK(data_parser(ds, (data_file)2) == NULL && data_parser(NULL, DATA_IMAGES) == NULL, "data_parser of bad args");
  CHECK(data_parser(ds, DATA_LABELS) != NULL && data_parser(ds, DATA_LABELS) != data_parser(ds, DATA_IMAGES),
        "data_parser gives the two parsers");
  data_free(ds);
  data_free(NULL);
  CHECK_EQ(data_error(NULL), NN_ERR_ARG);
  CHECK_EQ(data_complete(NULL), 0);
  CHECK_EQ(data_count(NULL), 0);
  CHECK_EQ(data_ready(NULL), 0);
  CHECK_EQ(data_rows(NULL), 0);
  CHECK_EQ(data_cols(NULL), 0);
  CHECK_EQ(data_classes(NULL), 0);
  CHECK(data_image(NULL, 0) == NULL && data_label(NULL, 0) == -1, "rows of NULL");
}

/* data_view and the shape getters while the files are still arriving. */
static void test_partial_view(void) {
  nn_dataset *ds = new_set(10);
  if (!ds) return;
  nn_data v = {0};
  CHECK_EQ(data_view(ds, &v), NN_ERR_STATE); /* nothing yet */
  CHECK_EQ(data_push(ds, DATA_LABELS, labels.b, LH + 7), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_ERR_STATE); /* labels only */
  CHECK_EQ(data_count(ds), N);               /* from the label header */
  CHECK(data_rows(ds) == 0 && data_cols(ds) == 0, "no shape before the image header: %dx%d", data_rows(ds),
        data_cols(ds));
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b, IH - 1), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_ERR_STATE); /* image header not whole */
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + IH - 1, 1), NN_OK);
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK_EQ(v.n, 0);
  CHECK(data_rows(ds) == 28 && data_cols(ds) == 28, "shape %dx%d", data_rows(ds), data_cols(ds));
  CHECK_EQ(data_push(ds, DATA_IMAGES, images.b + IH, 10 * PX + PX / 2), NN_OK); /* 10.5 images, 7 labels */
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK(v.n == 7 && v.f32 == NULL && v.u8 && v.labels, "view of 7 rows: n %d", v.n);
  if (v.u8 && v.labels)
    CHECK(memcmp(v.u8, images.b + IH, 7 * PX) == 0 && memcmp(v.labels, labels.b + LH, 7) == 0, "view bytes");
  CHECK_EQ(data_push(ds, DATA_LABELS, labels.b + LH + 7, 100), NN_OK); /* 107 labels, 10.5 images */
  CHECK_EQ(data_view(ds, &v), NN_OK);
  CHECK_EQ(v.n, 10);
  CHECK(v.u8 == data_image(ds, 0) && v.labels && v.labels[9] == labels.b[LH + 9], "view points at the rows");
  CHECK_EQ(data_complete(ds), 0);
  CHECK_EQ(idx_ready(data_parser(ds, DATA_LABELS)), 107);
  CHECK_EQ(idx_bytes_seen(data_parser(ds, DATA_IMAGES)), IH + 10 * PX + PX / 2);
  data_free(ds);
}

static void test_create_limits(void) {
  static const int bad[] = {-1, 0, 1, DATA_MAX_CLASSES + 1, 1000};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    nn_dataset *ds = (nn_dataset *)&ds; /* must come back NULL */
    CHECK(data_create(bad[i], &ds) == NN_ERR_ARG && ds == NULL, "data_create(%d) accepted", bad[i]);
  }
  CHECK_EQ(data_create(10, NULL), NN_ERR_ARG);
  static const int good[] = {2, 10, DATA_MAX_CLASSES};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    nn_dataset *ds = NULL;
    CHECK(data_create(good[i], &ds) == NN_OK && ds && data_classes(ds) == good[i], "data_create(%d)", good[i]);
    data_free(ds);
  }
  CHECK_EQ(DATA_MAX_CLASSES, 256);
}

static void test_names(void) {
  CHECK(strcmp(data_mnist_name(0, DATA_IMAGES), "train-images-idx3-ubyte") == 0, "train images name");
  CHECK(strcmp(data_mnist_name(0, DATA_LABELS), "train-labels-idx1-ubyte") == 0, "train labels name");
  CHECK(strcmp(data_mnist_name(1, DATA_IMAGES), "t10k-images-idx3-ubyte") == 0, "test images name");
  CHECK(strcmp(data_mnist_name(1, DATA_LABELS), "t10k-labels-idx1-ubyte") == 0, "test labels name");
  CHECK(data_mnist_name(2, DATA_IMAGES) == NULL && data_mnist_name(-1, DATA_IMAGES) == NULL &&
          data_mnist_name(0, (data_file)2) == NULL,
        "bad set or file: NULL");
  CHECK(data_file_suffix(0) && strcmp(data_file_suffix(0), ".gz") == 0, "suffix 0 is .gz");
  CHECK(data_file_suffix(1) && strcmp(data_file_suffix(1), "") == 0, "suffix 1 is empty");
  CHECK(data_file_suffix(2) == NULL && data_file_suffix(-1) == NULL, "no suffix past the list");
  /* the default data set is found by those names, in that order */
  for (int set = 0; set < 2; set++)
    for (int f = 0; f < 2; f++) {
      int found = -1;
      for (int s = 0; data_file_suffix(s) && found < 0; s++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s%s", NN_DATA_DIR, data_mnist_name(set, (data_file)f), data_file_suffix(s));
        FILE *fp = fopen(path, "rb");
        if (fp) found = s, fclose(fp);
      }
      CHECK(found == 0, "set %d file %d: found with suffix %d, want .gz", set, f, found);
    }
}

int main(void) {
  if (!read_gz_all("train-images-idx3-ubyte.gz", &images) || !read_gz_all("train-labels-idx1-ubyte.gz", &labels) ||
      images.len < IH || labels.len < LH) {
    CHECK(0, "default data set missing in %s: run `node scripts/make-dataset.js`", NN_DATA_DIR);
    return TEST_DONE();
  }
  N = (uint32_t)images.b[4] << 24 | (uint32_t)images.b[5] << 16 | (uint32_t)images.b[6] << 8 | images.b[7];
  CHECK(images.len == IH + (size_t)N * PX && labels.len == LH + N && N >= 1000, "real files: %u samples", N);
  /* NN_TEST_QUICK=1 (scripts/valgrind.sh): the first 500 digits, enough
   * for every chunking to cross many rows */
  const char *quick = getenv("NN_TEST_QUICK");
  if (quick && *quick && *quick != '0' && N > 500) {
    N = 500;
    put_be32(images.b + 4, N);
    put_be32(labels.b + 4, N);
    images.len = IH + (size_t)N * PX;
    labels.len = LH + N;
  }
  test_whole_push();
  test_chunkings_and_interleavings();
  test_ready_needs_both();
  test_dims_errors();
  test_count_error();
  test_label_error();
  test_truncated();
  test_trailing();
  test_parser_errors();
  test_bad_args();
  test_partial_view();
  test_create_limits();
  test_names();
  data_free(whole_ref);
  free(images.b);
  free(labels.b);
  return TEST_DONE();
}
