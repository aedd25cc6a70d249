/* wasm_layout.h: what crosses the boundary between the module and
 * JavaScript besides pointers: a network's config as a double[CFG_LEN] and
 * a trainer's progress as a double[PROGRESS_LEN], in the layouts below
 * (facts() tells JavaScript them), so that JavaScript never depends on C
 * struct layout. wasm_layout.c reads and writes them and builds the facts
 * and the command lines' JSON; wasm_api.c holds the other exports. */
#ifndef WASM_LAYOUT_H
#define WASM_LAYOUT_H

#include "nn.h"

enum {
  CFG_ACTIVATION = 0,
  CFG_OPTIMIZER,
  CFG_LEARNING_RATE,
  CFG_MOMENTUM,
  CFG_BETA1,
  CFG_BETA2,
  CFG_EPSILON,
  CFG_BATCH_SIZE,
  CFG_SEED_LO,
  CFG_SEED_HI,
  CFG_N_SIZES,
  CFG_SIZES, /* NN_MAX_LAYERS + 1 entries */
  CFG_SCHEDULE = CFG_SIZES + NN_MAX_LAYERS + 1,
  CFG_WEIGHT_DECAY,
  CFG_AUGMENT, /* shift, rotate, scale, shear, elastic */
  CFG_INPUT = CFG_AUGMENT + 5,
  CFG_IN_SHAPE,                                      /* rows, cols, channels (0: a flat input) */
  CFG_LAYER_KINDS = CFG_IN_SHAPE + 3,                /* NN_MAX_LAYERS entries each: */
  CFG_LAYER_UNITS = CFG_LAYER_KINDS + NN_MAX_LAYERS, /* a convolution's filters */
  CFG_LAYER_KERNELS = CFG_LAYER_UNITS + NN_MAX_LAYERS,
  CFG_LEN = CFG_LAYER_KERNELS + NN_MAX_LAYERS /* 55 */
};

/* The layout of trainer_state()'s double[PROGRESS_LEN]. */
enum {
  PROGRESS_EPOCHS = 0,
  PROGRESS_PASSES,
  PROGRESS_SAMPLES,
  PROGRESS_POSITION,
  PROGRESS_PASS_ROWS,
  PROGRESS_PASS_WHOLE,
  PROGRESS_PASS_LOSS,
  PROGRESS_LAST_LOSS,
  PROGRESS_TOTAL_LOSS,
  PROGRESS_LEN
};

/* A config layout into cfg, NaN entries (or n_sizes 0) from
 * nn_config_default; NN_ERR_ARG for an entry out of range, else
 * nn_config_check's status. */
nn_status wasm_read_config(const double *in, nn_config *cfg);
void wasm_write_config(const nn_config *cfg, double *out);
/* The training options of a layout (NaN: keep cfg's); *bad set on one out of range. */
void wasm_read_training(const double *in, nn_config *cfg, int *bad);

#endif
