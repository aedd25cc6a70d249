/* export_internal.h: what the writers and the reader of export.h share, and
 * no one else: a byte sink that counts what it cannot hold, and the weight
 * arrays in the orders that other programs use. */
#ifndef NN_EXPORT_INTERNAL_H
#define NN_EXPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

/* Bytes into buf; with buf NULL only counted (at is then the size). */
typedef struct ex_bytes {
  uint8_t *buf;
  size_t at;
} ex_bytes;

void ex_put(ex_bytes *b, const void *p, size_t n);
void ex_u16(ex_bytes *b, uint32_t v); /* little-endian */
void ex_u32(ex_bytes *b, uint32_t v);
void ex_f32(ex_bytes *b, float f);
void ex_str(ex_bytes *b, const char *s);             /* without its NUL */
void ex_set_u32(ex_bytes *b, size_t at, uint32_t v); /* overwrites 4 bytes written before */

/* How a program lays out weights: NumPy and ONNX channels first (a dense
 * layer (out, in) with an image's inputs in channel, row, column order; a
 * convolution (filters, channels, rows, cols)); TF.js channels last (a
 * dense kernel (in, out) in the engine's row, column, channel order; a
 * convolution (rows, cols, channels, filters)). */
typedef enum { EX_CHANNELS_FIRST = 0, EX_CHANNELS_LAST } ex_layout;

/* The layers with weights (dense, convolution) in order into info
 * (NN_MAX_LAYERS); returns how many. */
int ex_weight_layers(const nn_net *net, nn_layer_info *info);
/* The weight array's dimensions in layout lay; returns the rank (2 or 4). */
int ex_weight_dims(const nn_layer_info *L, ex_layout lay, int *dims);
/* Element i of that array (row-major) is weight ex_weight_index(...) of
 * the layer (nn.h's order): one map for writing and for reading back. */
size_t ex_weight_index(const nn_layer_info *L, ex_layout lay, size_t i);
/* The layer's weights in layout lay as little-endian float32. */
void ex_put_weights(ex_bytes *b, const float *params, const nn_layer_info *L, ex_layout lay);

/* An .npy array as the zip holds it (export_npy.c reads it): its name
 * without ".npy", and its bytes. */
#define NPZ_MAX_ENTRIES 64
#define NPZ_MAX_NAME 64
typedef struct npz_entry {
  char name[NPZ_MAX_NAME];
  const uint8_t *data;
  size_t size;
} npz_entry;
/* export_npy.c: an .npy header (format 1.0, padded to 64 bytes) for an
 * array of dtype descr ("<f4", "<U7") and rank dims (0: a scalar). */
void npy_put_header(ex_bytes *b, const char *descr, const int *dims, int rank);

/* The network of n arrays (npz_load's rules, export.h); msg on failure. */
nn_status npy_network(const npz_entry *e, int n, nn_net **out, char *msg, size_t cap);

/* The three writers (export_npz.c, export_onnx.c, export_tfjs.c). */
void npz_write(const nn_net *net, ex_bytes *b);
void onnx_write(const nn_net *net, ex_bytes *b);
void tfjs_write(const nn_net *net, int file, ex_bytes *b);

#endif
