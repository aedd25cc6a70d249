/* idx.c: the streaming IDX parser declared in idx.h. Bytes arrive in any
 * chunking; the header is validated field by field as soon as each field is
 * whole, and the body is copied into a buffer that grows with the bytes
 * that have actually arrived (idx_reserve), so a header that lies about its
 * size costs little. It is not a decompressor and not a file reader: callers
 * gunzip and read, then push. Nothing here prints, exits or aborts. */
#include "idx.h"

#include <stdlib.h>
#include <string.h>

#define IDX_HEADER_MAX (4 + 4 * IDX_MAX_DIMS)
#define IDX_MIN_CAP 4096u /* first body allocation: avoids many tiny reallocs */

struct idx_parser {
  nn_status err;               /* sticky: once set, every push returns it */
  uint8_t hdr[IDX_HEADER_MAX]; /* header bytes so far */
  size_t hdr_len;
  int header_done;
  int ndims;
  uint32_t dims[IDX_MAX_DIMS];
  size_t sample_size; /* product of dims[1..ndims) */
  size_t body_size;   /* dims[0] * sample_size, <= IDX_MAX_BYTES */
  size_t body_len;    /* body bytes received */
  uint8_t *data;      /* body_len bytes used of cap */
  size_t cap;
  size_t seen;                 /* bytes accepted, header included */
  uint8_t head[IDX_HEAD_KEPT]; /* the first bytes pushed, whatever they are */
  size_t head_len;
};

nn_status idx_create(idx_parser **out) {
  if (!out) return NN_ERR_ARG;
  *out = calloc(1, sizeof(idx_parser));
  return *out ? NN_OK : NN_ERR_NOMEM;
}

void idx_free(idx_parser *p) {
  if (!p) return;
  free(p->data);
  free(p);
}

static uint32_t idx_be32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Checks the header byte just received at index i (hdr_len already counts
 * it); completes the header when the last dimension is whole. */
static nn_status idx_header_byte(idx_parser *p, size_t i) {
  if (i < 2) return p->hdr[i] == 0 ? NN_OK : NN_ERR_MAGIC;
  if (i == 2) return p->hdr[2] == 0x08 ? NN_OK : NN_ERR_TYPE;
  if (i == 3) {
    if (p->hdr[3] < 1 || p->hdr[3] > IDX_MAX_DIMS) return NN_ERR_DIMS;
    return NN_OK;
  }
  if ((i - 4) % 4 != 3) return NN_OK; /* a dimension is not whole yet */
  int d = (int)((i - 4) / 4);
  uint32_t v = idx_be32(p->hdr + 4 + 4 * d);
  if (v == 0) return NN_ERR_DIMS;
  p->dims[d] = v;
  if (d + 1 < p->hdr[3]) return NN_OK;

  /* All dims known. 64-bit products, checked after every factor: four
   * uint32 factors could overflow even 64 bits, and the limit must be
   * enforced before any allocation. */
  int nd = p->hdr[3];
  uint64_t sample = 1;
  for (int k = 1; k < nd; k++) {
    sample *= p->dims[k];
    if (sample > IDX_MAX_BYTES) return NN_ERR_LIMIT;
  }
  uint64_t body = sample * p->dims[0]; /* both <= 2^32: no 64-bit overflow */
  if (body > IDX_MAX_BYTES) return NN_ERR_LIMIT;
  p->ndims = nd;
  p->sample_size = (size_t)sample;
  p->body_size = (size_t)body;
  p->header_done = 1;
  return NN_OK;
}

/* Makes room for `need` body bytes, doubling so that one-byte pushes stay
 * linear overall, but never past the body size the header promised. Once
 * a sixteenth of that body has arrived, the rest is taken in one step: a
 * doubling buffer's last copies would otherwise leave holes as large as
 * the data in the heap (wasm memory never shrinks). So a header that lies
 * costs at most 16 times the bytes that did arrive. */
static nn_status idx_reserve(idx_parser *p, size_t need) {
  if (need <= p->cap) return NN_OK;
  size_t cap = p->cap < IDX_MIN_CAP ? IDX_MIN_CAP : p->cap;
  while (cap < need) cap *= 2; /* need <= IDX_MAX_BYTES: cannot overflow */
  if (cap > p->body_size || need >= p->body_size / 16) cap = p->body_size;
  uint8_t *d = realloc(p->data, cap);
  if (!d) return NN_ERR_NOMEM;
  p->data = d;
  p->cap = cap;
  return NN_OK;
}

nn_status idx_push(idx_parser *p, const uint8_t *bytes, size_t len) {
  if (!p) return NN_ERR_ARG;
  if (p->err) return p->err;
  if (len == 0) return NN_OK;
  if (!bytes) return NN_ERR_ARG; /* the caller's mistake: not sticky */
  if (p->head_len < IDX_HEAD_KEPT) {
    size_t keep = IDX_HEAD_KEPT - p->head_len < len ? IDX_HEAD_KEPT - p->head_len : len;
    memcpy(p->head + p->head_len, bytes, keep);
    p->head_len += keep;
  }

  while (len > 0 && !p->header_done) {
    size_t i = p->hdr_len++;
    p->hdr[i] = *bytes++;
    len--;
    p->seen++;
    nn_status st = idx_header_byte(p, i);
    if (st) return p->err = st;
  }
  if (len == 0) return NN_OK;

  size_t room = p->body_size - p->body_len;
  size_t take = len < room ? len : room;
  if (take > 0) {
    nn_status st = idx_reserve(p, p->body_len + take);
    if (st) return p->err = st;
    memcpy(p->data + p->body_len, bytes, take);
    p->body_len += take;
    p->seen += take;
  }
  if (take < len) return p->err = NN_ERR_TRAILING;
  return NN_OK;
}

nn_status idx_finish(idx_parser *p) {
  if (!p) return NN_ERR_ARG;
  if (p->err) return p->err;
  if (!p->header_done || p->body_len < p->body_size) return p->err = NN_ERR_TRUNCATED;
  return NN_OK;
}

size_t idx_head(const idx_parser *p, const uint8_t **bytes) {
  static const uint8_t none[1];
  if (bytes) *bytes = p ? p->head : none;
  return p ? p->head_len : 0;
}

int idx_header_done(const idx_parser *p) { return p && p->header_done; }
int idx_ndims(const idx_parser *p) { return p && p->header_done ? p->ndims : 0; }

uint32_t idx_dim(const idx_parser *p, int i) {
  if (!p || !p->header_done || i < 0 || i >= p->ndims) return 0;
  return p->dims[i];
}

uint32_t idx_count(const idx_parser *p) { return idx_dim(p, 0); }
size_t idx_sample_size(const idx_parser *p) { return p && p->header_done ? p->sample_size : 0; }

uint32_t idx_ready(const idx_parser *p) {
  if (!p || !p->header_done) return 0;
  return (uint32_t)(p->body_len / p->sample_size); /* <= dims[0] */
}

size_t idx_bytes_seen(const idx_parser *p) { return p ? p->seen : 0; }
const uint8_t *idx_data(const idx_parser *p) { return p ? p->data : NULL; }

/* Works on partial input too (so streaming callers can check early): the
 * shapes come from the headers and the labels checked are those received. */
nn_status idx_check_pair(const idx_parser *images, const idx_parser *labels, int n_classes) {
  if (!images || !labels || n_classes < 1) return NN_ERR_ARG;
  if (images->err) return images->err;
  if (labels->err) return labels->err;
  if (!images->header_done || !labels->header_done) return NN_ERR_STATE;
  if (images->ndims != 3 || labels->ndims != 1) return NN_ERR_DIMS;
  if (images->dims[0] != labels->dims[0]) return NN_ERR_COUNT;
  for (size_t i = 0; i < labels->body_len; i++)
    if (labels->data[i] >= n_classes) return NN_ERR_ARG;
  return NN_OK;
}
