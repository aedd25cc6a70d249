/* export_npz.c: the zip container of a NumPy .npz, written and read. It
 * writes what np.savez writes (stored .npy entries, each with its CRC-32,
 * a central directory, no compression) byte for byte the same for the same
 * network (a fixed 1980-01-01 date), and reads any such zip, zip64 records
 * included (np.savez writes them), through its central directory. Reading
 * trusts nothing: every offset and length is checked against the file
 * before it is followed, and every entry's CRC before its bytes are parsed
 * (export_npy.c turns the arrays into a network). */
#include <stdio.h>
#include <string.h>

#include "export_internal.h"
#include "model.h"
#include "text.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u
#define DOS_DATE_1980 0x21u /* 1980-01-01: the same bytes on every run */

/* ---- writing ------------------------------------------------------------------ */

typedef struct {
  char name[NPZ_MAX_NAME];
  uint32_t crc, size, offset;
} written_entry;

typedef struct {
  ex_bytes *b;
  written_entry entry[NPZ_MAX_ENTRIES];
  int n;
} zip_writer;

/* Both headers share this run of fields: version, flags, method, time, date, CRC, sizes, name length. */
static void put_fields(ex_bytes *b, const written_entry *e) {
  ex_u16(b, 20); /* version 2.0 needed */
  ex_u16(b, 0);  /* flags */
  ex_u16(b, 0);  /* stored */
  ex_u16(b, 0);
  ex_u16(b, DOS_DATE_1980);
  ex_u32(b, e->crc);
  ex_u32(b, e->size);
  ex_u32(b, e->size);
  ex_u16(b, (uint32_t)strlen(e->name));
}

/* Starts entry NAME.npy: its local header, CRC and size filled in by end_entry. */
static void begin_entry(zip_writer *z, const char *name) {
  written_entry *e = &z->entry[z->n];
  snprintf(e->name, sizeof e->name, "%s.npy", name);
  e->offset = (uint32_t)z->b->at;
  e->crc = e->size = 0;
  ex_u32(z->b, SIG_LOCAL);
  put_fields(z->b, e);
  ex_u16(z->b, 0); /* no extra field */
  ex_str(z->b, e->name);
}

static void end_entry(zip_writer *z) {
  written_entry *e = &z->entry[z->n++];
  const size_t start = e->offset + 30u + strlen(e->name);
  e->size = (uint32_t)(z->b->at - start);
  if (z->b->buf) e->crc = model_crc32(z->b->buf + start, e->size);
  ex_set_u32(z->b, e->offset + 14u, e->crc);
  ex_set_u32(z->b, e->offset + 18u, e->size);
  ex_set_u32(z->b, e->offset + 22u, e->size);
}

/* A 0-d unicode array, as np.array('sigmoid') is saved: UCS-4 little-endian. */
static void put_text(zip_writer *z, const char *name, const char *text) {
  char descr[16];
  snprintf(descr, sizeof descr, "<U%u", (unsigned)strlen(text));
  begin_entry(z, name);
  npy_put_header(z->b, descr, NULL, 0);
  for (const char *p = text; *p; p++) ex_u32(z->b, (uint8_t)*p);
  end_entry(z);
}

void npz_write(const nn_net *net, ex_bytes *b) {
  zip_writer z = {.b = b};
  nn_layer_info info[NN_MAX_LAYERS];
  const int n = ex_weight_layers(net, info);
  const float *params = nn_params_const(net, NULL);
  for (int k = 0; k < n; k++) {
    char name[16];
    int dims[4];
    const int rank = ex_weight_dims(&info[k], EX_CHANNELS_FIRST, dims);
    snprintf(name, sizeof name, "W%d", k + 1);
    begin_entry(&z, name);
    npy_put_header(b, "<f4", dims, rank);
    ex_put_weights(b, params, &info[k], EX_CHANNELS_FIRST);
    end_entry(&z);
  }
  for (int k = 0; k < n; k++) {
    char name[16];
    snprintf(name, sizeof name, "b%d", k + 1);
    begin_entry(&z, name);
    npy_put_header(b, "<f4", &info[k].units, 1);
    for (int u = 0; u < info[k].units; u++) ex_f32(b, params[info[k].biases + (size_t)u]);
    end_entry(&z);
  }
  const nn_config *cfg = nn_get_config(net);
  char layers[256];
  nn_layers_format(cfg, layers, sizeof layers);
  put_text(&z, "layers", layers);
  put_text(&z, "activation", nn_activation_name(cfg->activation));
  put_text(&z, "input", nn_input_name(cfg->input));

  const size_t directory = b->at;
  for (int i = 0; i < z.n; i++) {
    const written_entry *e = &z.entry[i];
    ex_u32(b, SIG_CENTRAL);
    ex_u16(b, 20); /* made by version 2.0 */
    put_fields(b, e);
    for (int f = 0; f < 4; f++) ex_u16(b, 0); /* extra, comment, disk, internal attributes */
    ex_u32(b, 0);                             /* external attributes */
    ex_u32(b, e->offset);
    ex_str(b, e->name);
  }
  const size_t directory_size = b->at - directory;
  ex_u32(b, SIG_END);
  ex_u32(b, 0); /* this disk, the directory's disk */
  ex_u16(b, (uint32_t)z.n);
  ex_u16(b, (uint32_t)z.n);
  ex_u32(b, (uint32_t)directory_size);
  ex_u32(b, (uint32_t)directory);
  ex_u16(b, 0); /* no comment */
}

/* ---- reading ------------------------------------------------------------------ */

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Where the central directory is: its offset and entry count, from the
 * end record (the last one in the file: a comment may hold anything) or
 * its zip64 twin. */
static nn_status find_directory(const uint8_t *buf, size_t len, uint64_t *offset, uint64_t *entries, uint64_t *end,
                                char *msg, size_t cap) {
  if (len < 22) return text_fail(NN_ERR_TRUNCATED, msg, cap, "the zip ends early: %zu bytes, no end record", len);
  size_t at = len - 22;
  const size_t lowest = len - 22 > 65535 ? len - 22 - 65535 : 0;
  while (rd32(buf + at) != SIG_END || at + 22 + rd16(buf + at + 20) != len) {
    if (at == lowest)
      return text_fail(NN_ERR_TRUNCATED, msg, cap,
                       "the zip ends early or was altered: no end-of-directory record in its last bytes (%zu bytes)",
                       len);
    at--;
  }
  *end = at;
  *entries = rd16(buf + at + 10);
  *offset = rd32(buf + at + 16);
  if (rd16(buf + at + 4) != 0 || rd16(buf + at + 6) != 0 || rd16(buf + at + 8) != *entries)
    return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: a zip split over several disks", at);
  if (*entries == 0xFFFFu || *offset == 0xFFFFFFFFu) { /* zip64: the locator sits just before */
    if (at < 20 || rd32(buf + at - 20) != SIG_LOCATOR64)
      return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: a zip64 end record without its locator", at);
    const uint64_t at64 = rd64(buf + at - 12);
    if (at64 > at - 20 || at - 20 - at64 < 56 || rd32(buf + at64) != SIG_END64)
      return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: the zip64 locator points to byte %llu, not to an end record",
                       at - 20, (unsigned long long)at64);
    *entries = rd64(buf + at64 + 32);
    *offset = rd64(buf + at64 + 48);
    *end = at64;
  }
  if (*offset > *end)
    return text_fail(NN_ERR_TRUNCATED, msg, cap,
                     "byte %zu: the zip's directory starts at byte %llu, past the end record", at,
                     (unsigned long long)*offset);
  if (*entries > NPZ_MAX_ENTRIES)
    return text_fail(NN_ERR_LIMIT, msg, cap, "the zip holds %llu entries; a network has at most %d arrays",
                     (unsigned long long)*entries, NPZ_MAX_ENTRIES);
  return NN_OK;
}

/* A zip64 extra field's sizes and offset where the 32-bit fields say 0xFFFFFFFF. */
static int zip64_fields(const uint8_t *extra, size_t n, uint64_t *size, uint64_t *packed, uint64_t *offset) {
  for (size_t at = 0; at + 4 <= n;) {
    const uint32_t id = rd16(extra + at), len = rd16(extra + at + 2);
    if (at + 4 + len > n) return 0;
    if (id == 1) {
      const uint8_t *p = extra + at + 4, *stop = p + len;
      uint64_t *field[3] = {size, packed, offset};
      for (int f = 0; f < 3; f++)
        if (*field[f] == 0xFFFFFFFFu) {
          if (p + 8 > stop) return 0;
          *field[f] = rd64(p);
          p += 8;
        }
      return 1;
    }
    at += 4 + len;
  }
  return 1;
}

/* Entry i of the directory at *at: its name and bytes, checked against
 * its local header and its CRC. */
static nn_status read_entry(const uint8_t *buf, uint64_t dir_end, size_t *at, npz_entry *e, char *msg, size_t cap) {
  const size_t p = *at;
  if (p + 46 > dir_end || rd32(buf + p) != SIG_CENTRAL)
    return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: expected a zip directory entry", p);
  const uint32_t flags = rd16(buf + p + 8), method = rd16(buf + p + 10), crc = rd32(buf + p + 16);
  const uint32_t name_len = rd16(buf + p + 28), extra_len = rd16(buf + p + 30), comment = rd16(buf + p + 32);
  uint64_t packed = rd32(buf + p + 20), size = rd32(buf + p + 24), local = rd32(buf + p + 42);
  if (p + 46 + name_len + extra_len + comment > dir_end)
    return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: a zip directory entry runs past the directory", p);
  if (name_len == 0 || name_len >= NPZ_MAX_NAME)
    return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: an entry name of %u bytes", p, name_len);
  memcpy(e->name, buf + p + 46, name_len);
  e->name[name_len] = '\0';
  if (memchr(e->name, '\0', name_len))
    return text_fail(NN_ERR_FORMAT, msg, cap, "byte %zu: an entry name with a NUL byte", p + 46);
  if (!zip64_fields(buf + p + 46 + name_len, extra_len, &size, &packed, &local))
    return text_fail(NN_ERR_FORMAT, msg, cap, "%s: a malformed zip64 field at byte %zu", e->name, p + 46 + name_len);
  *at = p + 46 + name_len + extra_len + comment;
  if (flags & 1u) return text_fail(NN_ERR_FORMAT, msg, cap, "%s: encrypted", e->name);
  if (method != 0)
    return text_fail(NN_ERR_FORMAT, msg, cap,
                     "%s: compressed (zip method %u, as np.savez_compressed writes); save with np.savez, which stores",
                     e->name, method);
  if (packed != size) return text_fail(NN_ERR_FORMAT, msg, cap, "%s: stored, but its two sizes differ", e->name);
  if (local > dir_end || dir_end - local < 30 || rd32(buf + local) != SIG_LOCAL)
    return text_fail(NN_ERR_FORMAT, msg, cap, "%s: no local header at byte %llu", e->name, (unsigned long long)local);
  const uint32_t local_name = rd16(buf + local + 26), local_extra = rd16(buf + local + 28);
  const uint64_t start = local + 30 + local_name + local_extra;
  if (local_name != name_len || start > dir_end || memcmp(buf + local + 30, e->name, name_len) != 0)
    return text_fail(NN_ERR_FORMAT, msg, cap, "%s: the local header at byte %llu names another entry", e->name,
                     (unsigned long long)local);
  if (size > dir_end - start)
    return text_fail(NN_ERR_TRUNCATED, msg, cap, "%s: its %llu bytes from byte %llu run past the zip's data", e->name,
                     (unsigned long long)size, (unsigned long long)start);
  e->data = buf + start;
  e->size = (size_t)size;
  const uint32_t got = model_crc32(e->data, e->size);
  if (got != crc)
    return text_fail(NN_ERR_CHECKSUM, msg, cap, "%s: CRC-32 mismatch (the zip says %08x, its bytes give %08x)", e->name,
                     crc, got);
  return NN_OK;
}

nn_status npz_load(const uint8_t *buf, size_t len, nn_net **out, char *msg, size_t cap) {
  if (msg && cap) msg[0] = '\0';
  if (!out) return NN_ERR_ARG;
  *out = NULL;
  if (!buf) return NN_ERR_ARG;
  uint64_t offset = 0, entries = 0, end = 0;
  nn_status st = find_directory(buf, len, &offset, &entries, &end, msg, cap);
  if (st) return st;
  npz_entry e[NPZ_MAX_ENTRIES];
  size_t at = (size_t)offset;
  for (uint64_t i = 0; i < entries; i++) {
    if ((st = read_entry(buf, end, &at, &e[i], msg, cap))) return st;
    const size_t n = strlen(e[i].name);
    if (n < 5 || strcmp(e[i].name + n - 4, ".npy") != 0)
      return text_fail(NN_ERR_FORMAT, msg, cap, "%s: not an .npy array (an .npz holds NAME.npy files)", e[i].name);
    e[i].name[n - 4] = '\0';
    for (uint64_t j = 0; j < i; j++)
      if (!strcmp(e[j].name, e[i].name))
        return text_fail(NN_ERR_FORMAT, msg, cap, "%s.npy: twice in the zip", e[i].name);
  }
  return npy_network(e, (int)entries, out, msg, cap);
}
