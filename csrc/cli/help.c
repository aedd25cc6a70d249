/* help.c: --help, made from the one option table (options.c): each
 * option's line with its range and default from nn.h, wrapped at 80
 * columns. */
#include "options.h"
#include "options_shared.h"

#include "augment.h"
#include "data.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

enum { HELP_WIDTH = 80, HELP_INDENT = 22 };
#define NBSP '\x01' /* a space the help never breaks a line at */

static void put_default(nn_text *t, cli_option id, const nn_config *d) {
  switch (id) {
    case CLI_EPOCHS: text_put(t, "%d", CLI_DEFAULT_EPOCHS); break;
    case CLI_REPEAT: text_put(t, "%d", CLI_DEFAULT_REPEAT); break;
    case CLI_THREADS: text_put(t, "1"); break;
    case CLI_BATCH: text_put(t, "%d", d->batch_size); break;
    case CLI_LR: text_put(t, "%g", (double)d->learning_rate); break;
    case CLI_OPTIMIZER: text_put(t, "%s", nn_optimizer_name(d->optimizer)); break;
    case CLI_ACTIVATION: text_put(t, "%s", nn_activation_name(d->activation)); break;
    case CLI_INPUT: text_put(t, "%s", nn_input_name(d->input)); break;
    case CLI_SEED: text_put(t, "%llu", (unsigned long long)d->seed); break;
    case CLI_LAYERS: cli_put_layers(t, d); break;
    case CLI_SCHEDULE: text_put(t, "%s", nn_schedule_name(d->schedule)); break;
    case CLI_WEIGHT_DECAY: text_put(t, "%g", (double)d->weight_decay); break;
    case CLI_AUGMENT: {
      nn_augment aug;
      augment_default(&aug);
      cli_put_augment(t, &aug);
      break;
    }
    default: break;
  }
}

/* "train-images-idx3-ubyte, ... and t10k-labels-idx1-ubyte, each NAME.gz or else NAME" */
static void put_files(nn_text *t) {
  for (int k = 0; k < 4; k++)
    text_put(t, "%s%s", k == 0 ? "" : k == 3 ? " and " : ", ", data_mnist_name(k / 2, (data_file)(k % 2)));
  text_put(t, ", each NAME%s or else NAME%s", data_file_suffix(0), data_file_suffix(1));
}

/* The words of s wrapped at HELP_WIDTH, continuation lines indented; the
 * first word goes at column col of the current line. */
static void put_wrapped(nn_text *t, const char *s, int col, int indent) {
  while (*s) {
    size_t word = strcspn(s, " ");
    if (col > indent && col + 1 + (int)word > HELP_WIDTH) {
      if (indent) text_put(t, "\n%*s", indent, "");
      else text_put(t, "\n");
      col = indent;
    } else if (col > indent) {
      text_put(t, " ");
      col++;
    }
    for (size_t k = 0; k < word; k++) text_put(t, "%c", s[k] == NBSP ? ' ' : s[k]);
    col += (int)word;
    s += word;
    while (*s == ' ') s++;
  }
}

static void put_option_help(nn_text *t, cli_option id, const nn_config *d) {
  const option_row *o = &cli_table[id];
  char desc[640], head[64];
  nn_text dt = text_of(desc, sizeof desc);
  if (o->commands != CLI_ALL_COMMANDS) {
    int first = 1;
    for (int c = 0; c < CLI_COMMAND_COUNT; c++)
      if (o->commands & (1u << c)) {
        text_put(&dt, "%s%s", first ? "" : ", ", cli_command_name((cli_command)c));
        first = 0;
      }
    text_put(&dt, ": ");
  }
  for (const char *p = o->help; *p; p++) {
    if (p[0] == ' ' && p[1] == '$' && p[2] == 'D' && p - o->help >= 8 && !strncmp(p - 8, "(default", 8))
      text_put(&dt, "%c", NBSP); /* "(default 10)" stays on one line */
    else if (p[0] == '$' && p[1] == 'R') cli_put_range(&dt, id), p++;
    else if (p[0] == '$' && p[1] == 'D') put_default(&dt, id, d), p++;
    else if (p[0] == '$' && p[1] == 'F') put_files(&dt), p++;
    else text_put(&dt, "%c", *p);
  }
  if (o->node_only) text_put(&dt, " (mnist-wasm only)");
  snprintf(head, sizeof head, "  --%s%s%s", o->name, o->meta && o->kind != K_AUGMENT ? " " : "",
           o->meta ? o->meta : "");
  int col = (int)strlen(head);
  text_put(t, "%s", head);
  if (col >= HELP_INDENT - 1) {
    text_put(t, "\n");
    col = 0;
  }
  text_put(t, "%*s", HELP_INDENT - col, "");
  put_wrapped(t, desc, HELP_INDENT, HELP_INDENT);
  text_put(t, "\n");
}

size_t cli_help(cli_shell shell, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  const char *p = cli_program(shell);
  nn_config d;
  nn_config_default(&d);
  text_put(&t,
           "usage: %s [train] --data DIR [options]\n"
           "       %s evaluate --data DIR --load FILE\n"
           "       %s predict --load FILE --data DIR --index N\n"
           "       %s predict --load FILE --image FILE [--invert]  (mnist-wasm)\n"
           "       %s export --load FILE --format npz|onnx|tfjs --out PATH\n"
           "       %s explain --load FILE --data DIR --index N\n"
           "\n",
           p, p, p, p, p, p);
  put_wrapped(&t,
              "train (the command when none is named) trains a fully connected network on "
              "MNIST-format data and prints one line per epoch: epoch, mean training loss, test "
              "accuracy, seconds, samples/s. evaluate prints a saved model's loss and accuracy on the "
              "test set. predict prints the digit that a saved model reads in an image, and the ten "
              "probabilities. export writes a saved model as NumPy arrays (.npz), ONNX or a "
              "TensorFlow.js layers model. explain shows how a saved model would learn from one test "
              "image: each layer's delta and gradient (their L2 norms) and backprop checked against "
              "finite differences. mnist-train (native) and npx mnist-wasm (Node) take the same options "
              "and print the same lines.",
              0, 0);
  text_put(&t, "\n\n");
  for (int i = 0; i < CLI_OPTION_COUNT; i++) put_option_help(&t, (cli_option)i, &d);
  text_put(&t, "\n");
  char tail[512];
  snprintf(tail, sizeof tail,
           "Options also take the form --name=value. mnist-wasm: a download that sends nothing for "
           "%d s fails (MNIST_WASM_TIMEOUT=ms changes that). Exit status: 0 on success, %d for a bad "
           "command line, %d for any other error (one line on stderr).",
           CLI_TIMEOUT_MS / 1000, CLI_EXIT_USAGE, CLI_EXIT_FAILURE);
  put_wrapped(&t, tail, 0, 0);
  text_put(&t, "\n");
  return t.at;
}
