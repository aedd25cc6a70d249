/* data.h: a data set of images and labels that lives once in memory. The
 * streaming IDX parser (idx.h) fills it in place as the bytes of its two
 * files arrive, in any chunking and in any interleaving of the two; the rows
 * whose image and label have both arrived can be trained on at once (a
 * trainer reads them through data_view). It checks, as soon as each fact is
 * known: images (n, rows, cols) and labels (n) agree in count, and every
 * label is below the class count. It does not gunzip or read files. */
#ifndef DATA_H
#define DATA_H

#include <stddef.h>
#include <stdint.h>

#include "idx.h"
#include "nn.h"

#define DATA_MAX_CLASSES 256 /* labels are bytes */

typedef enum { DATA_IMAGES = 0, DATA_LABELS = 1 } data_file;
typedef struct nn_dataset nn_dataset;

nn_status data_create(int n_classes, nn_dataset **out); /* 2..DATA_MAX_CLASSES; *out NULL on failure */
void data_free(nn_dataset *ds);                         /* NULL-safe */

/* Feeds the next decompressed bytes of one file. Errors: the parser's
 * (idx_push), NN_ERR_DIMS (images not 3-d or labels not 1-d), NN_ERR_COUNT
 * (counts disagree), NN_ERR_LABEL (a label >= n_classes). Sticky: after an
 * error every push and finish returns the first error. */
nn_status data_push(nn_dataset *ds, data_file file, const uint8_t *bytes, size_t len);

/* Declares the end of one file: NN_ERR_TRUNCATED unless it is whole. */
nn_status data_finish(nn_dataset *ds, data_file file);

nn_status data_error(const nn_dataset *ds); /* the sticky error, NN_OK if none */
int data_complete(const nn_dataset *ds);    /* 1 once both files finished without error */
uint32_t data_count(const nn_dataset *ds);  /* samples the headers promise (0 until known) */
uint32_t data_ready(const nn_dataset *ds);  /* samples whose image and label have arrived, checked */
int data_rows(const nn_dataset *ds);        /* image height (0 until known) */
int data_cols(const nn_dataset *ds);        /* image width */
int data_classes(const nn_dataset *ds);
int data_max_label(const nn_dataset *ds); /* largest label of the ready samples; -1 if none */
const idx_parser *data_parser(const nn_dataset *ds, data_file file); /* for headers and progress */

/* The ready samples as an nn_data (pixels as bytes); valid until the next
 * push. NN_ERR_STATE before the image header has arrived. */
nn_status data_view(const nn_dataset *ds, nn_data *out);

/* Pixels (rows * cols bytes) and label of ready sample i; NULL / -1 outside. */
const uint8_t *data_image(const nn_dataset *ds, uint32_t i);
int data_label(const nn_dataset *ds, uint32_t i);

/* The standard MNIST file names (set 0: training, 1: test), and the one
 * order in which every reader looks for a file: NAME.gz, then NAME.
 * data_file_suffix(i) for i = 0, 1, then NULL. */
const char *data_mnist_name(int set, data_file file);
const char *data_file_suffix(int i);

#endif
