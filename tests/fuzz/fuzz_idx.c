/* fuzz_idx.c: libFuzzer target for the streaming IDX parser (csrc/idx.c).
 *
 * The input is parsed three ways: in one push, one byte at a time, and in
 * chunks (some empty, some NULL) whose lengths come from a generator seeded
 * by a hash of the input, so every mutation also moves the boundaries. All
 * three must agree with each other and with the small reference parser
 * below, written from idx.h alone. Between pushes the parser's state may
 * only move forward (header once, samples never fewer, errors sticky).
 *
 * Then the input is read as two files, an image file and a label file: the
 * first file's header says where it ends and the rest is the second.
 * idx_check_pair runs on both orders, before and after idx_finish, and its
 * answer must be justified by the accessors: NN_OK only if every condition
 * holds, an error only if its condition fails.
 *
 * Any broken invariant prints what broke and aborts, which libFuzzer reports
 * as a crash and saves the input. Not a unit test: tests/c/test_idx.c has
 * the exact cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "idx.h"
#include "rng.h"

#include "require.h"

/* ---- reference parser: the whole input at once, from idx.h's text ------ */

typedef struct {
  nn_status push;   /* status after pushing everything */
  nn_status finish; /* status of idx_finish after that */
  int header_done;
  int ndims;
  uint32_t dims[IDX_MAX_DIMS];
  size_t header_len, sample_size, body_size, body_len;
} ref_idx;

static uint32_t be32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Header fields are checked in byte order as each one becomes whole, so
 * the first bad field wins; the size limit applies once all dims are in. */
static void ref_parse(const uint8_t *b, size_t len, ref_idx *r) {
  memset(r, 0, sizeof *r);
  r->push = NN_OK;
  if ((len > 0 && b[0] != 0) || (len > 1 && b[1] != 0)) r->push = NN_ERR_MAGIC;
  else if (len > 2 && b[2] != 0x08) r->push = NN_ERR_TYPE;
  else if (len > 3 && (b[3] < 1 || b[3] > IDX_MAX_DIMS)) r->push = NN_ERR_DIMS;
  else if (len > 3) {
    int nd = b[3];
    for (int d = 0; d < nd && len >= 8 + 4 * (size_t)d && !r->push; d++) {
      r->dims[d] = be32(b + 4 + 4 * d);
      if (r->dims[d] == 0) r->push = NN_ERR_DIMS;
    }
    r->header_len = 4 + 4 * (size_t)nd;
    if (!r->push && len >= r->header_len) {
      unsigned __int128 total = 1; /* four uint32 factors fit in 128 bits */
      for (int d = 0; d < nd; d++) total *= r->dims[d];
      if (total > IDX_MAX_BYTES) {
        r->push = NN_ERR_LIMIT;
      } else {
        r->header_done = 1;
        r->ndims = nd;
        r->sample_size = (size_t)(total / r->dims[0]);
        r->body_size = (size_t)total;
        size_t rest = len - r->header_len;
        r->body_len = rest < r->body_size ? rest : r->body_size;
        if (rest > r->body_size) r->push = NN_ERR_TRAILING;
      }
    }
  }
  r->finish = r->push;
  if (!r->push && (!r->header_done || r->body_len < r->body_size)) r->finish = NN_ERR_TRUNCATED;
}

/* ---- checks on a live parser ------------------------------------------- */

/* The parser's view must be the reference's, after `pushed` bytes of buf
 * with sticky status st. */
static void check_state(const idx_parser *p, const ref_idx *r, const uint8_t *buf, size_t pushed, nn_status st,
                        const char *how) {
  REQUIRE(st == r->push, "%s: status %d, reference %d", how, st, r->push);
  REQUIRE(idx_header_done(p) == r->header_done, "%s: header_done %d, reference %d", how, idx_header_done(p),
          r->header_done);
  REQUIRE(idx_ndims(p) == r->ndims, "%s: ndims %d vs %d", how, idx_ndims(p), r->ndims);
  for (int d = -1; d <= IDX_MAX_DIMS; d++) {
    uint32_t want = d >= 0 && d < r->ndims ? r->dims[d] : 0;
    REQUIRE(idx_dim(p, d) == want, "%s: dim %d is %u, want %u", how, d, idx_dim(p, d), want);
  }
  REQUIRE(idx_count(p) == (r->header_done ? r->dims[0] : 0), "%s: count", how);
  REQUIRE(idx_sample_size(p) == r->sample_size, "%s: sample size %zu vs %zu", how, idx_sample_size(p), r->sample_size);
  uint32_t ready = r->header_done ? (uint32_t)(r->body_len / r->sample_size) : 0;
  REQUIRE(idx_ready(p) == ready, "%s: ready %u, want %u", how, idx_ready(p), ready);
  REQUIRE(idx_ready(p) <= idx_count(p), "%s: ready past count", how);
  REQUIRE(idx_bytes_seen(p) <= pushed, "%s: seen %zu of %zu pushed", how, idx_bytes_seen(p), pushed);
  if (!st) REQUIRE(idx_bytes_seen(p) == pushed, "%s: seen %zu, pushed %zu", how, idx_bytes_seen(p), pushed);
  size_t n = (size_t)ready * r->sample_size;
  if (n > 0) {
    REQUIRE(idx_data(p) != NULL, "%s: %u samples ready but no data", how, ready);
    REQUIRE(memcmp(idx_data(p), buf + r->header_len, n) == 0, "%s: sample bytes differ from the input", how);
  }
}

/* Pushes buf in one call, then finishes; returns the parser (caller frees). */
static idx_parser *parse_whole(const uint8_t *buf, size_t len, const ref_idx *r) {
  idx_parser *p = NULL;
  REQUIRE(idx_create(&p) == NN_OK && p, "idx_create");
  nn_status st = idx_push(p, len ? buf : NULL, len);
  check_state(p, r, buf, len, st, "one push");
  nn_status fin = idx_finish(p);
  REQUIRE(fin == r->finish, "one push: finish %d, reference %d", fin, r->finish);
  REQUIRE(idx_finish(p) == fin, "finish is not sticky");
  if (fin != NN_OK) { /* the words for it: whatever the bytes, whatever a server said they are */
#define EXPLAIN(buf, cap) idx_explain(p, fin, "Text/HTML; charset=utf-8", buf, cap)
    REQUIRE_MESSAGE(EXPLAIN);
#undef EXPLAIN
#define EXPLAIN(buf, cap) idx_explain(p, fin, NULL, buf, cap)
    REQUIRE_MESSAGE(EXPLAIN);
#undef EXPLAIN
  }
  return p;
}

/* Pushes buf one byte at a time, checking monotonic progress as it goes. */
static void parse_bytes(const uint8_t *buf, size_t len, const ref_idx *r) {
  idx_parser *p = NULL;
  REQUIRE(idx_create(&p) == NN_OK && p, "idx_create");
  nn_status st = NN_OK;
  uint32_t last_ready = 0;
  for (size_t i = 0; i < len; i++) {
    nn_status s = idx_push(p, buf + i, 1);
    REQUIRE(!st || s == st, "byte %zu: error %d not sticky (got %d)", i, st, s);
    if (!st) st = s;
    REQUIRE(idx_ready(p) >= last_ready, "byte %zu: ready went back", i);
    last_ready = idx_ready(p);
  }
  check_state(p, r, buf, len, st, "byte at a time");
  REQUIRE(idx_finish(p) == r->finish, "byte at a time: finish %d vs %d", idx_finish(p), r->finish);
  idx_free(p);
}

static uint64_t fnv1a(const uint8_t *b, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

/* Pushes buf in chunks of 0, 1, a few, many or all remaining bytes, with
 * NULL pushes mixed in; the state after each push must fit the prefix. */
static void parse_chunks(const uint8_t *buf, size_t len, const ref_idx *r, rng_t *g) {
  idx_parser *p = NULL;
  REQUIRE(idx_create(&p) == NN_OK && p, "idx_create");
  nn_status st = NN_OK;
  int header_done = 0, ndims = 0;
  uint32_t last_ready = 0;
  size_t at = 0;
  while (at < len) {
    size_t left = len - at, n;
    switch (rng_below(g, 8)) {
      case 0: n = 0; break;
      case 1:
      case 2: n = 1; break;
      case 3:
      case 4: n = 1 + rng_below(g, 16); break;
      case 5: n = 1 + rng_below(g, 512); break;
      case 6: { /* a NULL buffer: an argument error that must not stick */
        nn_status s = idx_push(p, NULL, 1 + rng_below(g, 4));
        REQUIRE(s == (st ? st : NN_ERR_ARG), "NULL push gave %d (sticky %d)", s, st);
        continue;
      }
      default: n = left; break;
    }
    if (n > left) n = left;
    nn_status s = idx_push(p, n ? buf + at : NULL, n);
    at += n;
    REQUIRE(!st || s == st, "at %zu: error %d not sticky (got %d)", at, st, s);
    if (!st) st = s;
    if (st) REQUIRE(st == r->push, "at %zu: error %d, reference %d", at, st, r->push);
    /* forward only: the header completes once and stays; samples never go back */
    REQUIRE(idx_header_done(p) >= header_done, "at %zu: header undone", at);
    if (header_done) REQUIRE(idx_ndims(p) == ndims, "at %zu: ndims changed", at);
    header_done = idx_header_done(p);
    ndims = idx_ndims(p);
    uint32_t ready = idx_ready(p);
    REQUIRE(ready >= last_ready && ready <= idx_count(p), "at %zu: ready %u (was %u, count %u)", at, ready, last_ready,
            idx_count(p));
    if (ready > last_ready) { /* the samples that just arrived are the input's */
      size_t s0 = (size_t)last_ready * r->sample_size, s1 = (size_t)ready * r->sample_size;
      REQUIRE(memcmp(idx_data(p) + s0, buf + r->header_len + s0, s1 - s0) == 0, "at %zu: new samples differ", at);
    }
    last_ready = ready;
  }
  check_state(p, r, buf, len, st, "chunks");
  REQUIRE(idx_finish(p) == r->finish, "chunks: finish %d vs %d", idx_finish(p), r->finish);
  idx_free(p);
}

/* ---- pairs -------------------------------------------------------------- */

/* idx_check_pair(im, lb, k) must be OK exactly when every condition holds,
 * and an error code must name a condition that fails. err_* are the
 * parsers' sticky statuses (the last push or finish). */
static void check_pair_k(const idx_parser *im, nn_status err_im, const idx_parser *lb, nn_status err_lb, int k) {
  nn_status got = idx_check_pair(im, lb, k);
  int both = idx_header_done(im) && idx_header_done(lb);
  int dims_ok = both && idx_ndims(im) == 3 && idx_ndims(lb) == 1;
  int count_ok = dims_ok && idx_count(im) == idx_count(lb);
  int labels_ok = 1;
  if (idx_header_done(lb) && idx_ndims(lb) == 1)
    for (uint32_t i = 0; i < idx_ready(lb); i++) labels_ok &= idx_data(lb)[i] < k;
  if (got == NN_OK) {
    REQUIRE(k >= 1 && !err_im && !err_lb && count_ok && labels_ok,
            "check_pair OK but k=%d err %d/%d dims %d count %d labels %d", k, err_im, err_lb, dims_ok, count_ok,
            labels_ok);
    return;
  }
  int justified = (got == NN_ERR_ARG && (k < 1 || !labels_ok)) || (err_im && got == err_im) ||
                  (err_lb && got == err_lb) || (got == NN_ERR_STATE && !both) ||
                  (got == NN_ERR_DIMS && both && !dims_ok) || (got == NN_ERR_COUNT && dims_ok && !count_ok);
  REQUIRE(justified, "check_pair gave %d with k=%d err %d/%d headers %d dims %d count %d labels %d", got, k, err_im,
          err_lb, both, dims_ok, count_ok, labels_ok);
}

/* The pair under k classes, and at the boundary the labels draw: k = the
 * largest label received (one label out of range) and that plus one. */
static void check_pair(const idx_parser *im, nn_status err_im, const idx_parser *lb, nn_status err_lb, int k) {
  check_pair_k(im, err_im, lb, err_lb, k);
  if (idx_ndims(lb) != 1 || idx_ready(lb) == 0) return;
  int top = 0;
  for (uint32_t i = 0; i < idx_ready(lb); i++) top = idx_data(lb)[i] > top ? idx_data(lb)[i] : top;
  check_pair_k(im, err_im, lb, err_lb, top);
  check_pair_k(im, err_im, lb, err_lb, top + 1);
}

/* Reads buf as an image file followed by a label file and checks pairs
 * both ways, with partial input (before finish) and after finish. */
static void parse_pair(const uint8_t *buf, size_t len, const ref_idx *whole, int k) {
  size_t split = len;
  if (whole->header_done && whole->header_len + whole->body_size < len) split = whole->header_len + whole->body_size;
  idx_parser *a = NULL, *b = NULL;
  REQUIRE(idx_create(&a) == NN_OK && idx_create(&b) == NN_OK, "idx_create");
  nn_status ea = idx_push(a, buf, split), eb = idx_push(b, buf + split, len - split);
  check_pair(a, ea, b, eb, k);
  check_pair(b, eb, a, ea, k);
  ea = idx_finish(a);
  eb = idx_finish(b);
  check_pair(a, ea, b, eb, k);
  check_pair(b, eb, a, ea, k);
  REQUIRE(idx_check_pair(NULL, b, k) == NN_ERR_ARG && idx_check_pair(a, NULL, k) == NN_ERR_ARG, "NULL parsers");
  idx_free(a);
  idx_free(b);
}

static void null_args_once(void) {
  static int done;
  if (done) return;
  done = 1;
  REQUIRE(idx_create(NULL) == NN_ERR_ARG, "idx_create(NULL)");
  REQUIRE(idx_push(NULL, (const uint8_t *)"", 1) == NN_ERR_ARG && idx_finish(NULL) == NN_ERR_ARG, "NULL parser");
  REQUIRE(!idx_header_done(NULL) && !idx_ndims(NULL) && !idx_dim(NULL, 0) && !idx_count(NULL) &&
            !idx_sample_size(NULL) && !idx_ready(NULL) && !idx_bytes_seen(NULL) && !idx_data(NULL),
          "accessors of NULL");
  idx_free(NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t empty[1];
  if (!data) data = empty; /* no arithmetic on a NULL pointer, even + 0 */
  null_args_once();
  ref_idx r;
  ref_parse(data, size, &r);
  idx_parser *whole = parse_whole(data, size, &r);
  parse_bytes(data, size, &r);
  rng_t g;
  rng_seed(&g, fnv1a(data, size));
  parse_chunks(data, size, &r, &g);
  static const int classes[] = {10, 1, 2, 0, -3, 255, 256};
  int k = classes[rng_below(&g, sizeof classes / sizeof classes[0])];
  parse_pair(data, size, &r, k);
  idx_free(whole);
  return 0;
}
