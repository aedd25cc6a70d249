/* options_shared.h: what options.c, help.c, lines.c and backprop_lines.c share, and no one else. */
#ifndef CLI_OPTIONS_SHARED_H
#define CLI_OPTIONS_SHARED_H

#include <stddef.h>

#include "nn.h"
#include "options.h"
#include "text.h"

/* The stack in the layers grammar. */
void cli_put_layers(nn_text *t, const nn_config *c);
/* The digit read: the first of the largest probabilities. */
int cli_argmax(const float *probs, int n);
/* Whether option o was on the command line. */
#define GIVEN(a, o) (((a)->given >> (o)) & 1u)

/* The option table (options.c), which help.c reads too. */
#define CLI_ALL_COMMANDS ((1u << CLI_COMMAND_COUNT) - 1)

typedef enum {
  K_TEXT,
  K_INT,
  K_REAL,
  K_SEED,
  K_LAYERS,
  K_ACTIVATION,
  K_INPUT,
  K_OPTIMIZER,
  K_SCHEDULE,
  K_DECAY,
  K_FLAG,
  K_FORMAT,
  K_AUGMENT /* a flag that may take =LIST, never the next word */
} value_kind;

/* One row per option. help may hold $R (the range) and $D (the default). */
typedef struct {
  const char *name, *meta; /* --name META */
  value_kind kind;
  unsigned commands; /* bits of cli_command it applies to */
  int node_only;     /* only the Node command has it (mnist-wasm decodes images) */
  long lo, hi;       /* K_INT range */
  const char *help;
} option_row;

extern const option_row cli_table[CLI_OPTION_COUNT];
/* An option's range as help and the messages show it ("1..4096", "sgd, momentum or adam"). */
void cli_put_range(nn_text *t, cli_option id);
/* "shift=2,rotate=10,scale=0.1,shear=0.15,elastic=1.5" */
void cli_put_augment(nn_text *t, const nn_augment *a);

#endif
