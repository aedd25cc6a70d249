/* model.h: the model file. Little-endian, in this order:
 *   magic "MNWM", u32 format version (3, or 4 for a stack with
 *   convolutions, pooling or an image input), u32 byte length of the whole file,
 *   u32 n_sizes, u32 sizes[n_sizes], u32 activation, u32 optimizer,
 *   f32 learning_rate, momentum, beta1, beta2, epsilon, u32 batch_size,
 *   [version 2: u32 schedule, f32 weight_decay, f32 augment shift, rotate,
 *   scale, shear, elastic], [version 3: u32 input], [version 4: u32
 *   in_rows, in_cols, in_channels, then for each layer u32 kind, units,
 *   kernel (nn.h's nn_layer)], u64 seed, u64 steps,
 *   u64 rng_state, u32 param_count, f32 params[param_count], u32 CRC-32
 *   (IEEE) of every byte before it. Version 1 files (mnist-wasm 0.1.0) load
 *   with version 2's options off, and files of versions 1 and 2 with raw
 *   input, as they were trained; a newer version is refused with
 *   NN_ERR_VERSION.
 * Optimizer state (momentum, Adam moments) is not saved: a loaded model
 * trains on from fresh optimizer state. */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "nn.h"

#define MODEL_MAGIC "MNWM"
#define MODEL_VERSION 4u /* the newest it reads; a dense stack is still written as version 3 */

size_t model_size(const nn_net *net); /* bytes that model_save writes */

/* Writes the model into buf (cap bytes, at least model_size). */
nn_status model_save(const nn_net *net, uint8_t *buf, size_t cap, size_t *written);

/* Builds a network from a model file. Errors: NN_ERR_TRUNCATED, NN_ERR_MAGIC,
 * NN_ERR_VERSION, NN_ERR_CHECKSUM, NN_ERR_FORMAT (bad field), NN_ERR_LIMIT. */
nn_status model_load(const uint8_t *buf, size_t len, nn_net **out);

uint32_t model_crc32(const uint8_t *buf, size_t len);

#endif
