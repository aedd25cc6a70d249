/* idx.h: a streaming parser for IDX files (the MNIST format): push bytes in
 * any chunking, down to one at a time, and read whole samples as they arrive.
 * Only unsigned-byte data (type 0x08) is supported. It does not gunzip: the
 * caller feeds it decompressed bytes (zlib in the CLI, DecompressionStream
 * in JS).
 *
 * Header: 0x00 0x00 TYPE NDIMS, then NDIMS big-endian uint32 dimensions.
 * dims[0] is the sample count; a sample is the product of the others. */
#ifndef IDX_H
#define IDX_H

#include <stddef.h>
#include <stdint.h>
#include "nn.h"

#define IDX_MAX_DIMS 4
#define IDX_MAX_BYTES (512u << 20) /* body size limit, checked before any allocation */

typedef struct idx_parser idx_parser;

nn_status idx_create(idx_parser **out); /* *out NULL on failure */
void idx_free(idx_parser *p);           /* NULL-safe */

/* Feeds the next bytes. Errors: NN_ERR_MAGIC, NN_ERR_TYPE, NN_ERR_DIMS,
 * NN_ERR_LIMIT (header), NN_ERR_TRAILING (bytes past the body), NN_ERR_NOMEM.
 * After an error the parser stays failed and returns the same code. */
nn_status idx_push(idx_parser *p, const uint8_t *bytes, size_t len);

/* Declares the end of input: NN_ERR_TRUNCATED unless header and body are whole. */
nn_status idx_finish(idx_parser *p);

int idx_header_done(const idx_parser *p);     /* 1 once the whole header has arrived */
int idx_ndims(const idx_parser *p);           /* 0 until the header is done */
uint32_t idx_dim(const idx_parser *p, int i); /* 0 for i out of range */
uint32_t idx_count(const idx_parser *p);      /* dims[0]: samples the header promises */
size_t idx_sample_size(const idx_parser *p);  /* bytes per sample */
uint32_t idx_ready(const idx_parser *p);      /* whole samples received so far */
size_t idx_bytes_seen(const idx_parser *p);   /* bytes pushed so far, header included */
/* The samples received so far, idx_ready * idx_sample_size bytes. The
 * pointer may change after each push. */
const uint8_t *idx_data(const idx_parser *p);

/* The first bytes pushed (up to IDX_HEAD_KEPT), kept for messages about
 * what the file is (explain.h): *bytes points at them. */
#define IDX_HEAD_KEPT 48
size_t idx_head(const idx_parser *p, const uint8_t **bytes);

/* Checks that an image file (n, rows, cols) and a label file (n) belong
 * together and have labels < n_classes: NN_ERR_COUNT / NN_ERR_DIMS / NN_ERR_ARG. */
nn_status idx_check_pair(const idx_parser *images, const idx_parser *labels, int n_classes);

#endif
