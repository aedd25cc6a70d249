/* explain.c: the words for what is wrong, declared in explain.h. */
#include "explain.h"

#include <string.h>

#include "model.h"
#include "text.h"

/* Element types of the IDX format other than unsigned bytes. */
static const char *idx_type_name(uint8_t t) {
  switch (t) {
    case 0x09: return "signed bytes";
    case 0x0b: return "int16";
    case 0x0c: return "int32";
    case 0x0d: return "float32";
    case 0x0e: return "float64";
    default: return NULL;
  }
}

/* No control bytes but tab, LF and CR (UTF-8 text passes too). */
static int printable(const uint8_t *b, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(b[i] == 9 || b[i] == 10 || b[i] == 13 || (b[i] >= 32 && b[i] != 127))) return 0;
  return 1;
}

static int is_space(uint8_t c) { return c == ' ' || (c >= 9 && c <= 13); }

/* The start of the text, white space folded, at most 32 characters (UTF-8
 * sequences kept whole), as a JSON string. */
static void put_text(nn_text *t, const uint8_t *b, size_t n) {
  char folded[256];
  size_t len = 0, chars = 0;
  int cut = 0;
  size_t i = 0;
  while (i < n && is_space(b[i])) i++;
  while (i < n) {
    if (is_space(b[i])) {
      while (i < n && is_space(b[i])) i++;
      if (i < n) {
        if (chars == 32) {
          cut = 1;
          break;
        }
        folded[len++] = ' ';
        chars++;
      }
      continue;
    }
    size_t seq = b[i] < 0x80 ? 1 : b[i] >= 0xf0 ? 4 : b[i] >= 0xe0 ? 3 : b[i] >= 0xc0 ? 2 : 1;
    if (i + seq > n) break; /* a character cut by the end of what was kept */
    if (chars == 32) {
      cut = 1;
      break;
    }
    memcpy(folded + len, b + i, seq);
    len += seq;
    i += seq;
    chars++;
  }
  if (cut) {
    memcpy(folded + len, "\xe2\x80\xa6", 3);
    len += 3;
  } /* … */
  folded[len] = '\0';
  text_json_string(t, folded);
}

/* The media type of a Content-Type, lower case, without parameters. */
static void media_type(const char *content_type, char *out, size_t cap) {
  size_t n = 0;
  const char *s = content_type;
  while (*s == ' ') s++;
  for (; *s && *s != ';' && n + 1 < cap; s++) out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
  while (n > 0 && out[n - 1] == ' ') n--;
  out[n] = '\0';
}

static int is_text_type(const char *m) {
  return strncmp(m, "text/", 5) == 0 || strstr(m, "html") || strstr(m, "json") || strstr(m, "xml");
}

/* What text or bytes a file starts with: "it is text: "...", or its first
 * four bytes. */
static void put_start(nn_text *t, const uint8_t *head, size_t n) {
  if (printable(head, n)) {
    text_put(t, "it is text: ");
    put_text(t, head, n);
    return;
  }
  text_put(t, "it starts with bytes");
  for (size_t i = 0; i < n && i < 4; i++) text_put(t, " %02x", head[i]);
}

/* What the first bytes are, for "not an IDX file (...)": the Content-Type
 * when a server named a text type, else the start of the text or bytes. */
static void put_what(nn_text *t, const uint8_t *head, size_t n, const char *content_type) {
  char mime[64] = "";
  if (content_type) media_type(content_type, mime, sizeof mime);
  if (mime[0] && is_text_type(mime)) {
    text_put(t, "got %s", mime);
    if (printable(head, n)) {
      text_put(t, ": ");
      put_text(t, head, n);
    }
  } else {
    put_start(t, head, n);
    if (!printable(head, n)) text_put(t, "; an IDX file of bytes starts with 00 00 08");
  }
}

/* "the header claims 100000 x 100000 = 10000000000 bytes" */
static void put_claim(nn_text *t, const uint8_t *head, size_t n) {
  const int dims = n > 3 ? head[3] : 0;
  if (n < 4 + 4 * (size_t)dims) {
    text_put(t, "the header claims too much data");
    return;
  }
  double bytes = 1;
  text_put(t, "the header claims ");
  for (int d = 0; d < dims; d++) {
    const uint8_t *b = head + 4 + 4 * d;
    const uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    bytes *= v;
    text_put(t, "%s%u", d ? " x " : "", v);
  }
  text_put(t, " = %.0f bytes", bytes);
}

size_t idx_explain(const idx_parser *p, nn_status st, const char *content_type, char *out, size_t cap) {
  nn_text t = text_of(out, cap);
  const uint8_t *head = NULL;
  const size_t n = idx_head(p, &head);
  if (p && st == NN_ERR_MAGIC) {
    text_put(&t, "not an IDX file (");
    put_what(&t, head, n, content_type);
    text_put(&t, ")");
  } else if (p && st == NN_ERR_TYPE && n > 2) {
    const char *name = idx_type_name(head[2]);
    text_put(&t, "IDX element type 0x%02x%s%s%s is not supported; only unsigned bytes (0x08)", head[2],
             name ? " (" : "", name ? name : "", name ? ")" : "");
  } else if (p && st == NN_ERR_TRUNCATED && n == 0) {
    text_put(&t, "empty (0 bytes), not an IDX file");
  } else if (p && st == NN_ERR_LIMIT) {
    put_claim(&t, head, n);
    text_put(&t, ", over the limit of %u bytes (%u MiB)", IDX_MAX_BYTES, IDX_MAX_BYTES >> 20);
  } else {
    text_put(&t, "%s", nn_strerror(st));
  }
  return t.at;
}

size_t model_explain(const uint8_t *bytes, size_t n, nn_status st, char *out, size_t cap) {
  nn_text t = text_of(out, cap);
  if (!bytes) n = 0;
  if (st == NN_ERR_MAGIC) {
    text_put(&t, "not a model file (");
    if (n >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) text_put(&t, "it is gzip data");
    else if (n >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 8) text_put(&t, "it looks like an IDX data file");
    else put_start(&t, bytes, n < IDX_HEAD_KEPT ? n : IDX_HEAD_KEPT);
    text_put(&t, "; a model file starts with \"%s\")", MODEL_MAGIC);
  } else if (st == NN_ERR_VERSION && n >= 8) {
    const uint32_t v =
      (uint32_t)bytes[4] | (uint32_t)bytes[5] << 8 | (uint32_t)bytes[6] << 16 | (uint32_t)bytes[7] << 24;
    text_put(
      &t, "the model file is format version %u; this mnist-wasm reads versions 1 to %u (a newer mnist-wasm wrote it)",
      v, MODEL_VERSION);
  } else {
    text_put(&t, "%s", nn_strerror(st));
  }
  return t.at;
}

/* "2×28×28" */
static void put_dims(nn_text *t, const idx_parser *p) {
  for (int i = 0; i < idx_ndims(p); i++) text_put(t, "%s%u", i ? "\xc3\x97" : "", idx_dim(p, i));
}

size_t data_explain(const nn_dataset *ds, nn_status st, data_file file, const char *content_type, char *out,
                    size_t cap) {
  nn_text t = text_of(out, cap);
  const idx_parser *im = data_parser(ds, DATA_IMAGES), *lb = data_parser(ds, DATA_LABELS);
  const idx_parser *own = file == DATA_IMAGES ? im : lb;
  if (st == NN_ERR_COUNT && idx_header_done(im) && idx_header_done(lb)) {
    text_put(&t, "the images and labels disagree in count: %u images but %u labels", idx_count(im), idx_count(lb));
  } else if (st == NN_ERR_LABEL && lb) {
    const uint8_t *labels = idx_data(lb);
    const uint32_t n = idx_ready(lb);
    uint32_t i = 0;
    while (i < n && labels[i] < data_classes(ds)) i++;
    if (i < n)
      text_put(&t, "label %u of sample %u is not below %d (the number of classes)", labels[i], i, data_classes(ds));
    else text_put(&t, "%s", nn_strerror(st));
  } else if (st == NN_ERR_DIMS && idx_header_done(own)) {
    text_put(&t, "%s, got ",
             file == DATA_IMAGES ? "images must be n\xc3\x97rows\xc3\x97"
                                   "cols"
                                 : "labels must be a list of n");
    put_dims(&t, own);
  } else {
    return idx_explain(own, st, content_type, out, cap);
  }
  return t.at;
}

size_t diverged_explain(const nn_net *net, long epoch, char *out, size_t cap) {
  nn_text t = text_of(out, cap);
  const char *m = nn_strerror(NN_ERR_DIVERGED); /* "training diverged (...); ..." */
  const char *why = strstr(m, " (");
  const int lead = why ? (int)(why - m) : (int)strlen(m);
  text_put(&t, "%.*s at step %llu", lead, m, (unsigned long long)nn_steps(net) + 1);
  if (epoch > 0) text_put(&t, " in epoch %ld", epoch);
  text_put(&t, "%s", m + lead);
  return t.at;
}
