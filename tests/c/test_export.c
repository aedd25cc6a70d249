/* test_export.c: the other formats (csrc/export.h). An .npz written here
 * loads back to the same bits; the same network gives the same bytes in
 * every format; the weight orders are the ones the formats name; an .npz
 * with W1..Wn alone is the article's network; and damaged zips are refused
 * with a message and no network, the whole file cut at every length. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "model.h"
#include "nn.h"
#include "test.h"

static nn_net *make(const char *layers, nn_input input) {
  nn_config cfg;
  nn_config_default(&cfg);
  char why[256];
  nn_status st = nn_layers_parse(layers, &cfg, why, sizeof why);
  CHECK(st == NN_OK, "%s: %s", layers, why);
  nn_config_fit_defaults(&cfg, 0);
  cfg.input = input;
  nn_net *net = NULL;
  CHECK_EQ(nn_create(&cfg, &net), NN_OK);
  size_t n = 0;
  float *p = nn_params(net, &n);
  for (size_t i = 0; i < n; i++) p[i] = (float)sin((double)i * 0.37) * 0.1f; /* biases too: none zero */
  return net;
}

static uint8_t *write_all(const nn_net *net, export_format f, int i, size_t *len) {
  *len = export_write(net, f, i, NULL, 0);
  CHECK(*len > 0, "format %d file %d: no bytes", f, i);
  uint8_t *buf = malloc(*len);
  CHECK_EQ(export_write(net, f, i, buf, *len), *len);
  uint8_t *again = malloc(*len);
  export_write(net, f, i, again, *len);
  CHECK(memcmp(buf, again, *len) == 0, "format %d file %d: two writes differ", f, i);
  free(again);
  return buf;
}

static void round_trip(const char *layers, nn_input input) {
  nn_net *net = make(layers, input);
  size_t len = 0;
  uint8_t *npz = write_all(net, EXPORT_NPZ, 0, &len);
  CHECK(export_is_npz(npz, len), "%s: not seen as a zip", layers);
  nn_net *back = NULL;
  char msg[256];
  nn_status st = model_open(npz, len, &back, msg, sizeof msg);
  CHECK(st == NN_OK, "%s: %s", layers, msg);
  if (back) {
    size_t n = 0, m = 0;
    const float *a = nn_params_const(net, &n), *b = nn_params_const(back, &m);
    CHECK(n == m && memcmp(a, b, n * sizeof *a) == 0, "%s: the weights changed on the way", layers);
    const nn_config *c = nn_get_config(back);
    char text[256];
    nn_layers_format(c, text, sizeof text);
    CHECK(!strcmp(text, layers), "%s came back as %s", layers, text);
    CHECK_EQ(c->input, input);
    CHECK_EQ(c->activation, nn_get_config(net)->activation);
  }
  for (export_format f = EXPORT_ONNX; f < EXPORT_FORMAT_COUNT; f++)
    for (int i = 0; i < export_file_count(f); i++) {
      size_t n = 0;
      free(write_all(net, f, i, &n));
    }
  nn_free(back);
  free(npz);
  nn_free(net);
}

/* Dense after an image: NumPy's W (out, in) takes channel, row, column;
 * the engine's row, column, channel. */
static void dense_order(void) {
  nn_net *net = make("2x3x2,4,2", NN_INPUT_RAW);
  nn_layer_info L;
  nn_get_layer(net, 0, &L);
  float *p = nn_params(net, NULL);
  for (int j = 0; j < 12; j++) p[L.weights + (size_t)j] = (float)j; /* unit 0: weight j = its engine index */
  size_t len = 0;
  uint8_t *npz = write_all(net, EXPORT_NPZ, 0, &len);
  /* W1.npy is the first entry: its data after a 30 + 6 byte local header and the .npy header */
  const uint8_t *data = npz + 36 + 10 + (npz[36 + 8] | npz[36 + 9] << 8);
  for (int ch = 0; ch < 2; ch++)
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 3; c++) {
        float v;
        memcpy(&v, data + 4 * ((ch * 2 + r) * 3 + c), 4);
        CHECK(v == (float)((r * 3 + c) * 2 + ch), "W1[0] at channel %d row %d col %d is %g", ch, r, c, v);
      }
  free(npz);
  nn_free(net);
}

/* The stored zip of one array named W1 with this .npy body. */
static size_t zip_one(const char *name, const uint8_t *npy, size_t n, uint8_t *out) {
  const size_t nl = strlen(name);
  uint8_t *p = out;
  const uint32_t crc = model_crc32(npy, n);
#define U16(v) (*p++ = (uint8_t)(v), *p++ = (uint8_t)((v) >> 8))
#define U32(v) (U16((v)&0xFFFFu), U16((uint32_t)(v) >> 16))
  U32(0x04034b50u), U16(20), U16(0), U16(0), U16(0), U16(0), U32(crc), U32(n), U32(n), U16(nl), U16(0);
  memcpy(p, name, nl), p += nl;
  memcpy(p, npy, n), p += n;
  const size_t dir = (size_t)(p - out);
  U32(0x02014b50u), U16(20), U16(20), U16(0), U16(0), U16(0), U16(0), U32(crc), U32(n), U32(n), U16(nl);
  U16(0), U16(0), U16(0), U16(0), U32(0), U32(0);
  memcpy(p, name, nl), p += nl;
  const size_t dir_size = (size_t)(p - out) - dir;
  U32(0x06054b50u), U32(0), U16(1), U16(1), U32(dir_size), U32(dir), U16(0);
#undef U16
#undef U32
  return (size_t)(p - out);
}

/* An .npy of shape (2, 3) and this dtype, in a zip of its own. */
static nn_status load_npy(const char *header, size_t body, char *msg, size_t cap) {
  uint8_t npy[256] = "\x93NUMPY\x01\x00", zip[512];
  const size_t hl = strlen(header);
  npy[8] = (uint8_t)hl, npy[9] = 0;
  memcpy(npy + 10, header, hl);
  memset(npy + 10 + hl, 0, body);
  nn_net *net = (nn_net *)zip;
  nn_status st = npz_load(zip, zip_one("W1.npy", npy, 10 + hl + body, zip), &net, msg, cap);
  CHECK(st == NN_OK || net == NULL, "a refused file left a network");
  nn_free(net);
  return st;
}

static void refused(void) {
  char msg[256];
  CHECK_EQ(load_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 24, msg, sizeof msg), NN_OK);
  CHECK_EQ(load_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", 48, msg, sizeof msg), NN_OK);
  const struct {
    const char *header;
    size_t body;
    nn_status st;
    const char *says;
  } bad[] = {
    {"{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }\n", 48, NN_ERR_FORMAT, "pickled"},
    {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", 24, NN_ERR_FORMAT, "fortran_order"},
    {"{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }\n", 48, NN_ERR_FORMAT, "'<i8'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20, NN_ERR_TRUNCATED, "W1.npy"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 28, NN_ERR_FORMAT, "W1.npy"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n", 24, NN_ERR_SHAPE, "W1.npy: shape (6,)"},
    {"{'descr': '<f4', 'shape': (2, 3), }\n", 24, NN_ERR_FORMAT, "lacks"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 1, 1, 1), }\n", 24, NN_ERR_SHAPE, "dimensions"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }\n", 24, NN_ERR_TRUNCATED,
     "W1.npy"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    nn_status st = load_npy(bad[i].header, bad[i].body, msg, sizeof msg);
    CHECK(st == bad[i].st && strstr(msg, bad[i].says), "case %zu: %d '%s'", i, st, msg);
  }
}

/* A real .npz cut short anywhere, or with a bit of an array changed: refused with a message, nothing kept. */
static void damaged(void) {
  nn_net *net = make("28x28,conv5x2,pool2,10", NN_INPUT_CENTRED);
  size_t len = 0;
  uint8_t *npz = write_all(net, EXPORT_NPZ, 0, &len);
  char msg[256];
  int refused_all = 1;
  for (size_t cut = 0; cut < len; cut += cut < 200 || cut > len - 200 ? 1 : 97) {
    nn_net *got = NULL;
    nn_status st = npz_load(npz, cut, &got, msg, sizeof msg);
    refused_all &= st != NN_OK && got == NULL && msg[0] != '\0';
    nn_free(got);
  }
  CHECK(refused_all, "a cut .npz loaded, or was refused without a message");
  int crc_caught = 1; /* any bit of W1.npy's bytes (from byte 36, after its local header) */
  for (size_t at = 36; at < 36 + 64 + 200; at += 3) {
    npz[at] ^= 0x10;
    nn_net *got = NULL;
    nn_status st = npz_load(npz, len, &got, msg, sizeof msg);
    crc_caught &= st != NN_OK && got == NULL;
    nn_free(got);
    npz[at] ^= 0x10;
  }
  CHECK(crc_caught, "an altered .npz loaded");
  free(npz);
  nn_free(net);
}

int main(void) {
  round_trip("784,128,64,10", NN_INPUT_CENTRED);
  round_trip("784,32,10", NN_INPUT_RAW);
  round_trip(NN_CONVNET, NN_INPUT_CENTRED);
  round_trip("28x28x3,conv3x4,pool2,5", NN_INPUT_RAW);
  dense_order();
  refused();
  damaged();
  return TEST_DONE();
}
