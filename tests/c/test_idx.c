/* test_idx.c: the streaming IDX parser (csrc/idx.c). Builds IDX files in
 * memory and checks that every chunking gives the same samples, that each
 * malformed input gets its own status, that a lying header allocates
 * nothing big, and that the real default data set (web/data) parses. It
 * includes idx.c (llm.c's TESTING trick) to see the buffer's capacity. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "../../csrc/idx.c"
#include "rng.h"
#include "test.h"

/* Writes an IDX file: header for ndims dims, then body (may be NULL: a
 * counting pattern). Returns the byte count. */
static size_t make_idx(uint8_t *out, uint8_t type, int ndims, const uint32_t *dims, const uint8_t *body,
                       size_t body_len) {
  size_t n = 0;
  out[n++] = 0;
  out[n++] = 0;
  out[n++] = type;
  out[n++] = (uint8_t)ndims;
  for (int i = 0; i < ndims; i++) {
    out[n++] = (uint8_t)(dims[i] >> 24);
    out[n++] = (uint8_t)(dims[i] >> 16);
    out[n++] = (uint8_t)(dims[i] >> 8);
    out[n++] = (uint8_t)dims[i];
  }
  for (size_t i = 0; i < body_len; i++) out[n++] = body ? body[i] : (uint8_t)(i * 7 + 3);
  return n;
}

/* Pushes all of buf in one call and finishes; returns the first error. */
static nn_status parse_all(const uint8_t *buf, size_t len, idx_parser **out) {
  idx_parser *p = NULL;
  nn_status st = idx_create(&p);
  if (st) return st;
  st = idx_push(p, buf, len);
  if (!st) st = idx_finish(p);
  if (out) *out = p;
  else idx_free(p);
  return st;
}

/* A small image file: 5 samples of 3x2 = 30 body bytes + 16 header bytes. */
static uint8_t small[64];
static size_t small_len;
static const uint32_t small_dims[3] = {5, 3, 2};

/* Pushes `small` in chunks given by sizes() and checks ready counts after
 * each push and the result at the end. */
static int check_chunked(const size_t *cuts, int n_cuts) {
  idx_parser *p = NULL;
  int ok = idx_create(&p) == NN_OK;
  size_t at = 0;
  for (int i = 0; i <= n_cuts && ok; i++) {
    size_t end = i < n_cuts ? cuts[i] : small_len;
    ok &= idx_push(p, small + at, end - at) == NN_OK;
    at = end;
    size_t body = at > 16 ? at - 16 : 0;
    ok &= idx_ready(p) == body / 6;
    ok &= idx_header_done(p) == (at >= 16);
    ok &= idx_bytes_seen(p) == at;
  }
  ok &= idx_finish(p) == NN_OK;
  ok &= idx_ready(p) == 5 && idx_sample_size(p) == 6 && idx_ndims(p) == 3;
  ok &= idx_dim(p, 0) == 5 && idx_dim(p, 1) == 3 && idx_dim(p, 2) == 2;
  ok &= idx_data(p) && memcmp(idx_data(p), small + 16, 30) == 0;
  idx_free(p);
  return ok;
}

static void test_chunkings(void) {
  small_len = make_idx(small, 0x08, 3, small_dims, NULL, 30);
  CHECK_EQ(small_len, 46);
  for (size_t c = 1; c <= small_len; c++) {
    size_t cuts[64];
    int n = 0;
    for (size_t at = c; at < small_len; at += c) cuts[n++] = at;
    CHECK(check_chunked(cuts, n), "chunk size %zu", c);
  }
  /* Random splits, including empty chunks (repeated cut points). */
  rng_t r;
  rng_seed(&r, 42);
  for (int t = 0; t < 500; t++) {
    size_t cuts[16];
    int n = (int)rng_below(&r, 16);
    for (int i = 0; i < n; i++) cuts[i] = rng_below(&r, (uint32_t)small_len + 1);
    for (int i = 1; i < n; i++) /* insertion sort */
      for (int j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
        size_t tmp = cuts[j];
        cuts[j] = cuts[j - 1];
        cuts[j - 1] = tmp;
      }
    CHECK(check_chunked(cuts, n), "random split %d", t);
  }
}

static void test_one_dim_and_four_dims(void) {
  uint8_t buf[64];
  uint32_t d1[1] = {7};
  size_t len = make_idx(buf, 0x08, 1, d1, NULL, 7);
  idx_parser *p = NULL;
  CHECK_EQ(parse_all(buf, len, &p), NN_OK);
  CHECK_EQ(idx_ready(p), 7);
  CHECK_EQ(idx_sample_size(p), 1);
  CHECK_EQ(idx_dim(p, 1), 0);
  CHECK_EQ(idx_dim(p, -1), 0);
  idx_free(p);

  uint32_t d4[4] = {2, 2, 1, 3};
  len = make_idx(buf, 0x08, 4, d4, NULL, 12);
  CHECK_EQ(parse_all(buf, len, &p), NN_OK);
  CHECK_EQ(idx_ready(p), 2);
  CHECK_EQ(idx_sample_size(p), 6);
  CHECK_EQ(idx_ndims(p), 4);
  idx_free(p);
}

/* Header errors, each pushed whole and also byte by byte. */
static void expect_header(const uint8_t *buf, size_t len, nn_status want, const char *what) {
  CHECK(parse_all(buf, len, NULL) == want, "%s: got %s", what, nn_strerror(parse_all(buf, len, NULL)));
  idx_parser *p = NULL;
  idx_create(&p);
  nn_status st = NN_OK;
  for (size_t i = 0; i < len && !st; i++) st = idx_push(p, buf + i, 1);
  if (!st) st = idx_finish(p);
  CHECK(st == want, "%s byte by byte: got %s", what, nn_strerror(st));
  CHECK(idx_data(p) == NULL, "%s: no body allocated", what);
  idx_free(p);
}

static void test_header_errors(void) {
  uint8_t buf[64];
  size_t len;

  len = make_idx(buf, 0x08, 3, small_dims, NULL, 30);
  buf[0] = 1;
  expect_header(buf, len, NN_ERR_MAGIC, "first byte 1");
  buf[0] = 0;
  buf[1] = 0x80;
  expect_header(buf, len, NN_ERR_MAGIC, "second byte 0x80");
  /* Common wrong inputs: a gzip stream and a PNG. */
  const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00};
  expect_header(gz, sizeof gz, NN_ERR_MAGIC, "gzip magic");
  const uint8_t png[] = {0x89, 'P', 'N', 'G'};
  expect_header(png, sizeof png, NN_ERR_MAGIC, "png magic");

  const uint8_t types[] = {0x00, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0xFF};
  for (size_t i = 0; i < sizeof types; i++) {
    len = make_idx(buf, types[i], 3, small_dims, NULL, 30);
    char what[32];
    snprintf(what, sizeof what, "type 0x%02x", types[i]);
    expect_header(buf, len, NN_ERR_TYPE, what);
  }

  len = make_idx(buf, 0x08, 0, NULL, NULL, 0);
  expect_header(buf, len, NN_ERR_DIMS, "ndims 0");
  uint32_t d5[5] = {1, 1, 1, 1, 1};
  len = make_idx(buf, 0x08, 5, d5, NULL, 1);
  expect_header(buf, len, NN_ERR_DIMS, "ndims 5");
  const uint8_t nd255[4] = {0, 0, 0x08, 255};
  expect_header(nd255, sizeof nd255, NN_ERR_DIMS, "ndims 255");

  for (int z = 0; z < 3; z++) {
    uint32_t d[3] = {5, 3, 2};
    d[z] = 0;
    len = make_idx(buf, 0x08, 3, d, NULL, 0);
    char what[32];
    snprintf(what, sizeof what, "dim %d is 0", z);
    expect_header(buf, len, NN_ERR_DIMS, what);
  }
  uint32_t d1[1] = {0};
  len = make_idx(buf, 0x08, 1, d1, NULL, 0);
  expect_header(buf, len, NN_ERR_DIMS, "zero labels");
}

/* Headers that claim more than IDX_MAX_BYTES: rejected from the header
 * alone, without allocating (idx_data stays NULL) and at once. */
static void test_limits(void) {
  uint8_t buf[64];
  clock_t t0 = clock();
  uint32_t huge[3] = {1u << 31, 28, 28};
  size_t len = make_idx(buf, 0x08, 3, huge, NULL, 0);
  expect_header(buf, len, NN_ERR_LIMIT, "2^31 images");
  uint32_t max4[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
  len = make_idx(buf, 0x08, 4, max4, NULL, 0); /* product overflows 64 bits */
  expect_header(buf, len, NN_ERR_LIMIT, "four dims of 2^32-1");
  uint32_t wide[2] = {1, IDX_MAX_BYTES + 1u};
  len = make_idx(buf, 0x08, 2, wide, NULL, 0);
  expect_header(buf, len, NN_ERR_LIMIT, "one sample over the limit");
  uint32_t edge[1] = {IDX_MAX_BYTES};
  len = make_idx(buf, 0x08, 1, edge, NULL, 0);
  idx_parser *p = NULL;
  CHECK_EQ(parse_all(buf, len, &p), NN_ERR_TRUNCATED); /* exactly the limit is allowed */
  CHECK_EQ(idx_count(p), IDX_MAX_BYTES);
  idx_free(p);
  /* a hang guard, not a timing: reading what the headers claim would take minutes */
  CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0, "limit checks read only the headers");

  /* Under the limit but large (470 MB claimed): the buffer grows only with
   * the bytes that arrive. */
  uint32_t big[3] = {600000, 28, 28};
  len = make_idx(buf, 0x08, 3, big, NULL, 0);
  idx_create(&p);
  CHECK_EQ(idx_push(p, buf, len), NN_OK);
  CHECK(p->cap == 0 && idx_data(p) == NULL, "nothing allocated for the header, cap %zu", p->cap);
  uint8_t chunk[1000] = {0};
  for (int i = 0; i < 10; i++) CHECK_EQ(idx_push(p, chunk, sizeof chunk), NN_OK);
  CHECK(p->cap >= 10000 && p->cap <= 2 * 10000 + IDX_MIN_CAP, "cap %zu after 10000 bytes", p->cap);
  CHECK_EQ(idx_ready(p), 10000 / 784);
  CHECK_EQ(idx_finish(p), NN_ERR_TRUNCATED);
  idx_free(p);

  /* An MNIST-size body (60,000 x 28 x 28) grows with the bytes that come
   * until a sixteenth of it has arrived, then is allocated whole: never
   * copied again, held once. */
  uint32_t mnist[3] = {60000, 28, 28};
  const size_t body = (size_t)60000 * 784;
  len = make_idx(buf, 0x08, 3, mnist, NULL, 0);
  idx_create(&p);
  CHECK_EQ(idx_push(p, buf, len), NN_OK);
  CHECK(p->cap == 0, "nothing allocated for the header, cap %zu", p->cap);
  CHECK_EQ(idx_push(p, chunk, 1), NN_OK);
  CHECK(p->cap < 65536, "a small buffer for the first byte, cap %zu", p->cap);
  /* every buffer is small next to what came, or the whole body; and the
   * whole body is there well before a quarter of it has come */
  size_t sent = 1, small_ok = 1;
  while (p->cap < body && sent < body / 4) {
    CHECK_EQ(idx_push(p, chunk, sizeof chunk), NN_OK);
    sent += sizeof chunk;
    small_ok &= p->cap == body || p->cap <= 2 * sent + 4096;
  }
  CHECK(small_ok, "a buffer past twice the bytes that came, before the whole body");
  CHECK(p->cap == body && sent <= body / 8 + sizeof chunk, "the whole body after %zu bytes, cap %zu", sent, p->cap);
  const uint8_t *at = idx_data(p);
  for (int i = 0; i < 100; i++) CHECK_EQ(idx_push(p, chunk, sizeof chunk), NN_OK);
  CHECK(idx_data(p) == at, "the buffer did not move");
  idx_free(p);

  /* The buffer never exceeds the body it holds. */
  uint32_t d1[1] = {100};
  len = make_idx(buf, 0x08, 1, d1, NULL, 0);
  idx_create(&p);
  idx_push(p, buf, len);
  for (int i = 0; i < 100; i++) idx_push(p, chunk, 1);
  CHECK_EQ(idx_finish(p), NN_OK);
  CHECK_EQ(p->cap, 100);
  idx_free(p);
}

static void test_truncated_trailing_sticky(void) {
  idx_parser *p = NULL;
  /* Empty input and every cut inside header and body. */
  for (size_t cut = 0; cut < small_len; cut++) {
    CHECK(parse_all(small, cut, &p) == NN_ERR_TRUNCATED, "cut at %zu", cut);
    size_t body = cut > 16 ? cut - 16 : 0;
    CHECK(idx_ready(p) == body / 6, "ready after cut at %zu", cut);
    CHECK_EQ(idx_push(p, small + cut, small_len - cut), NN_ERR_TRUNCATED); /* sticky */
    idx_free(p);
  }

  uint8_t buf[80];
  memcpy(buf, small, small_len);
  buf[small_len] = 0;
  CHECK_EQ(parse_all(buf, small_len + 1, &p), NN_ERR_TRAILING);
  CHECK_EQ(idx_ready(p), 5); /* the body itself arrived whole */
  CHECK(memcmp(idx_data(p), small + 16, 30) == 0, "body kept");
  CHECK_EQ(idx_finish(p), NN_ERR_TRAILING);
  idx_free(p);

  idx_create(&p);
  CHECK_EQ(idx_push(p, small, small_len), NN_OK);
  CHECK_EQ(idx_push(p, small, 0), NN_OK); /* nothing pushed: not trailing */
  CHECK_EQ(idx_push(p, small, 1), NN_ERR_TRAILING);
  CHECK_EQ(idx_push(p, small, 0), NN_ERR_TRAILING);
  idx_free(p);

  idx_create(&p);
  CHECK_EQ(idx_push(p, small, small_len), NN_OK);
  CHECK_EQ(idx_finish(p), NN_OK);
  CHECK_EQ(idx_finish(p), NN_OK);
  CHECK_EQ(idx_push(p, small, 3), NN_ERR_TRAILING);
  idx_free(p);

  /* Sticky: valid bytes after an error change nothing. */
  buf[0] = 7;
  idx_create(&p);
  CHECK_EQ(idx_push(p, buf, 1), NN_ERR_MAGIC);
  CHECK_EQ(idx_push(p, small, small_len), NN_ERR_MAGIC);
  CHECK_EQ(idx_finish(p), NN_ERR_MAGIC);
  CHECK_EQ(idx_header_done(p), 0);
  CHECK_EQ(idx_ready(p), 0);
  idx_free(p);
}

static void test_pairs(void) {
  uint8_t ibuf[128], lbuf[64], labels[5] = {0, 9, 3, 9, 1};
  uint32_t d1[1] = {5};
  size_t ilen = make_idx(ibuf, 0x08, 3, small_dims, NULL, 30);
  size_t llen = make_idx(lbuf, 0x08, 1, d1, labels, 5);
  idx_parser *im = NULL, *lb = NULL;
  parse_all(ibuf, ilen, &im);
  parse_all(lbuf, llen, &lb);
  CHECK_EQ(idx_check_pair(im, lb, 10), NN_OK);
  CHECK_EQ(idx_check_pair(im, lb, 9), NN_ERR_ARG); /* label 9 >= 9 classes */
  CHECK_EQ(idx_check_pair(im, lb, 0), NN_ERR_ARG);
  CHECK_EQ(idx_check_pair(NULL, lb, 10), NN_ERR_ARG);
  CHECK_EQ(idx_check_pair(im, NULL, 10), NN_ERR_ARG);
  CHECK_EQ(idx_check_pair(lb, im, 10), NN_ERR_DIMS); /* swapped */
  CHECK_EQ(idx_check_pair(im, im, 10), NN_ERR_DIMS);
  idx_free(lb);

  uint32_t d4[1] = {4};
  llen = make_idx(lbuf, 0x08, 1, d4, labels, 4);
  parse_all(lbuf, llen, &lb);
  CHECK_EQ(idx_check_pair(im, lb, 10), NN_ERR_COUNT);
  idx_free(lb);

  uint32_t d2[2] = {5, 1}; /* labels with an extra dimension */
  llen = make_idx(lbuf, 0x08, 2, d2, labels, 5);
  parse_all(lbuf, llen, &lb);
  CHECK_EQ(idx_check_pair(im, lb, 10), NN_ERR_DIMS);
  idx_free(lb);

  uint32_t i2[2] = {5, 6}; /* images flattened to 2 dims */
  idx_free(im);
  ilen = make_idx(ibuf, 0x08, 2, i2, NULL, 30);
  parse_all(ibuf, ilen, &im);
  llen = make_idx(lbuf, 0x08, 1, d1, labels, 5);
  parse_all(lbuf, llen, &lb);
  CHECK_EQ(idx_check_pair(im, lb, 10), NN_ERR_DIMS);
  idx_free(im);

  /* Header not yet arrived: a state error; a failed parser: its error. */
  idx_create(&im);
  CHECK_EQ(idx_check_pair(im, lb, 10), NN_ERR_STATE);
  uint8_t bad = 1;
  idx_push(im, &bad, 1);
  CHECK_EQ(idx_check_pair(im, lb, 10), NN_ERR_MAGIC);
  idx_free(im);
  idx_free(lb);
}

static void test_null_args(void) {
  CHECK_EQ(idx_create(NULL), NN_ERR_ARG);
  idx_free(NULL);
  CHECK_EQ(idx_push(NULL, small, 1), NN_ERR_ARG);
  CHECK_EQ(idx_finish(NULL), NN_ERR_ARG);
  CHECK_EQ(idx_header_done(NULL), 0);
  CHECK_EQ(idx_ndims(NULL), 0);
  CHECK_EQ(idx_dim(NULL, 0), 0);
  CHECK_EQ(idx_count(NULL), 0);
  CHECK_EQ(idx_sample_size(NULL), 0);
  CHECK_EQ(idx_ready(NULL), 0);
  CHECK_EQ(idx_bytes_seen(NULL), 0);
  CHECK(idx_data(NULL) == NULL, "idx_data(NULL)");

  idx_parser *p = NULL;
  idx_create(&p);
  CHECK_EQ(idx_ndims(p), 0);
  CHECK_EQ(idx_count(p), 0);
  CHECK_EQ(idx_push(p, NULL, 0), NN_OK);
  CHECK_EQ(idx_push(p, NULL, 4), NN_ERR_ARG);
  CHECK_EQ(idx_push(p, small, small_len), NN_OK); /* the NULL push was not sticky */
  CHECK_EQ(idx_finish(p), NN_OK);
  idx_free(p);
}

/* Random bytes and random mutations of a valid file: any status, no crash
 * (run under ASan/UBSan in the native-asan preset). */
static void test_fuzz(void) {
  rng_t r;
  rng_seed(&r, 7);
  uint8_t buf[96];
  int ok_count = 0;
  for (int t = 0; t < 20000; t++) {
    size_t len = rng_below(&r, sizeof buf);
    if (t & 1) {
      for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rng_next(&r);
      if (len > 3 && (t & 2)) buf[0] = buf[1] = 0, buf[2] = 8, buf[3] = (uint8_t)rng_below(&r, 5);
    } else {
      memcpy(buf, small, small_len);
      len = small_len + rng_below(&r, 4);
      for (int k = 0; k < 3; k++) buf[rng_below(&r, (uint32_t)len)] ^= (uint8_t)(1u << rng_below(&r, 8));
    }
    idx_parser *p = NULL;
    idx_create(&p);
    size_t at = 0;
    nn_status st = NN_OK;
    while (at < len && !st) {
      size_t c = 1 + rng_below(&r, 8);
      if (c > len - at) c = len - at;
      st = idx_push(p, buf + at, c);
      at += c;
    }
    if (!st) st = idx_finish(p);
    CHECK(st < NN_STATUS_COUNT, "status in range");
    if (st == NN_OK) {
      ok_count++;
      size_t body = (size_t)idx_ready(p) * idx_sample_size(p);
      if (body) CHECK(idx_data(p)[body - 1] == buf[len - 1], "last byte kept");
    }
    idx_free(p);
  }
  CHECK(ok_count > 0, "some fuzz inputs are valid (%d)", ok_count);
}

/* The default data set through zlib, pushed in odd-sized chunks. */
static idx_parser *read_gz(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", NN_DATA_DIR, name);
  gzFile f = gzopen(path, "rb");
  if (!f) return NULL;
  idx_parser *p = NULL;
  idx_create(&p);
  uint8_t chunk[4099];
  int n;
  nn_status st = NN_OK;
  while ((n = gzread(f, chunk, sizeof chunk)) > 0 && !st) st = idx_push(p, chunk, (size_t)n);
  gzclose(f);
  if (!st) st = idx_finish(p);
  CHECK(st == NN_OK, "%s: %s", path, nn_strerror(st));
  return p;
}

static void test_real_data(void) {
  static const char *const names[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  idx_parser *p[4];
  int missing = 0;
  for (int i = 0; i < 4; i++) {
    p[i] = read_gz(names[i]);
    if (!p[i]) missing = 1;
  }
  CHECK(!missing,
        "default data set missing in %s: run `node scripts/make-dataset.js` "
        "(after `npm install`) to generate it",
        NN_DATA_DIR);
  if (!missing) {
    const uint32_t want[2] = {8000, 2000};
    for (int s = 0; s < 2; s++) {
      idx_parser *im = p[2 * s], *lb = p[2 * s + 1];
      CHECK_EQ(idx_count(im), want[s]);
      CHECK_EQ(idx_ready(im), want[s]);
      CHECK_EQ(idx_ready(lb), want[s]);
      CHECK_EQ(idx_dim(im, 1), 28);
      CHECK_EQ(idx_dim(im, 2), 28);
      CHECK_EQ(idx_check_pair(im, lb, 10), NN_OK);
      /* Real digits: every class present, and ink on a black background. */
      int seen[10] = {0};
      for (uint32_t i = 0; i < want[s]; i++) seen[idx_data(lb)[i]]++;
      for (int d = 0; d < 10; d++) CHECK(seen[d] > 0, "set %d has digit %d", s, d);
      const uint8_t *px = idx_data(im);
      CHECK(px[0] == 0 && px[783] == 0, "corners are background");
      long ink = 0;
      for (int i = 0; i < 784; i++) ink += px[i] > 128;
      CHECK(ink > 20, "the first digit has ink (%ld pixels)", ink);
    }
  }
  for (int i = 0; i < 4; i++) idx_free(p[i]);
}

int main(void) {
  test_chunkings();
  test_one_dim_and_four_dims();
  test_header_errors();
  test_limits();
  test_truncated_trailing_sticky();
  test_pairs();
  test_null_args();
  test_fuzz();
  test_real_data();
  return TEST_DONE();
}
