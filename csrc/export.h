/* export.h: a network in other programs' formats, written (and for NumPy
 * read) in one place so that both command lines, the package and the page
 * give the same bytes.
 *
 *   NumPy .npz (export_npz.c): a zip of stored .npy files, each with its
 *     CRC-32: W1..Wn float32, dense (out, in), convolution (filters,
 *     channels, rows, cols); b1..bn float32; `layers` (the stack in the
 *     layers grammar), `activation` and `input` ("raw" or "centred") as
 *     0-d unicode arrays. A dense layer after an image takes its inputs in
 *     channel, row, column order (the engine's own order is row, column,
 *     channel: export_weight_index permutes).
 *   ONNX (export_onnx.c), opset 13: input `image`, float32 pixels in 0..1,
 *     [N, sizes[0]] for a dense stack, [N, channels, rows, cols] for an
 *     image; output `probabilities` [N, classes]; centred input as
 *     ReduceMean and Sub nodes.
 *   TensorFlow.js layers model (export_tfjs.c): model.json and one weights
 *     file, channels last as the engine is.
 *
 * Writers follow text.h's rule: they return the bytes the whole file needs
 * and write only when cap is enough (buf NULL: count only). Nothing here
 * prints, exits or aborts. */
#ifndef NN_EXPORT_H
#define NN_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "nn.h"

typedef enum { EXPORT_NPZ = 0, EXPORT_ONNX, EXPORT_TFJS, EXPORT_FORMAT_COUNT } export_format;
/* The files of a format: one, but two for TF.js (model.json, then its weights). */
#define EXPORT_MAX_FILES 2
#define EXPORT_TFJS_WEIGHTS "model.weights.bin"

const char *export_format_name(export_format f); /* "npz", "onnx", "tfjs"; NULL if unknown */
int export_format_parse(const char *name);       /* -1 if unknown */
int export_file_count(export_format f);          /* 1, or 2 for tfjs; 0 if unknown */
/* The name of file i of format f: "model.npz", "model.onnx", "model.json", EXPORT_TFJS_WEIGHTS. */
const char *export_file_name(export_format f, int i);

/* File i of format f for net into buf (cap bytes); returns the bytes it
 * needs (0 for a bad argument). The same network gives the same bytes. */
size_t export_write(const nn_net *net, export_format f, int i, uint8_t *buf, size_t cap);

/* Whether bytes start as a zip file does ("PK\3\4", or "PK\5\6" for an empty one). */
int export_is_npz(const uint8_t *buf, size_t len);

/* A network from an .npz (see above): `layers`, where present, gives the
 * stack (else a dense stack from the shapes of W1..Wn), `activation` the
 * hidden units' (else sigmoid), `input` (else raw); a missing bk is zero.
 * On failure *out is NULL, nothing is kept, and msg (cap bytes) says what,
 * naming the array or the byte offset. Codes: NN_ERR_TRUNCATED,
 * NN_ERR_CHECKSUM, NN_ERR_FORMAT, NN_ERR_SHAPE, NN_ERR_LIMIT, NN_ERR_NOMEM. */
nn_status npz_load(const uint8_t *buf, size_t len, nn_net **out, char *msg, size_t cap);

/* A model file (model.h) or an .npz, told apart by their first bytes; msg
 * as model_explain or npz_load give it. */
nn_status model_open(const uint8_t *buf, size_t len, nn_net **out, char *msg, size_t cap);

#endif
