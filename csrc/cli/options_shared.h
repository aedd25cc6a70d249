/* options_shared.h: what options.c, lines.c and backprop_lines.c share, and no one else. */
#ifndef CLI_OPTIONS_SHARED_H
#define CLI_OPTIONS_SHARED_H

#include <stddef.h>

#include "nn.h"
#include "text.h"

/* A message into msg (cap bytes); returns code. */
int cli_fail(int code, char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The stack in the layers grammar. */
void cli_put_layers(nn_text *t, const nn_config *c);
/* The digit read: the first of the largest probabilities. */
int cli_argmax(const float *probs, int n);
/* Whether option o was on the command line. */
#define GIVEN(a, o) (((a)->given >> (o)) & 1u)

#endif
