/* options.h: the two command lines' words, defined once. The native
 * mnist-train (cli/mnist_train.c) and the Node command mnist-wasm
 * (bin/mnist-wasm.js, through the wasm module) parse argv with cli_parse,
 * print the help that cli_help makes from the one option table, print the
 * lines that cli_*_line format, and report failures with the messages
 * below, so a run moves from one command to the other unchanged and fails
 * with the same words and exit status. Like the rest of csrc/ it neither
 * prints nor exits: each function fills the caller's buffer (cut to cap,
 * always NUL-terminated when cap > 0) and returns the length it needed, or
 * an exit status (0 for nothing wrong, CLI_EXIT_USAGE, CLI_EXIT_FAILURE).
 * The shells add the "PROGRAM: " prefix and the newline. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "nn.h"

#define CLI_EXIT_FAILURE 1 /* data, model file, training: anything but the command line */
#define CLI_EXIT_USAGE 2   /* a bad command line */
#define CLI_MAX_EPOCHS 1000000
#define CLI_DEFAULT_EPOCHS 10
#define CLI_DEFAULT_REPEAT 20 /* --repeat: each of a person's digits this often in a pass */
#define CLI_MAX_REPEAT 10000
#define CLI_MAX_INDEX 2147483647L
#define CLI_TIMEOUT_MS 60000 /* mnist-wasm: a download idle this long fails (MNIST_WASM_TIMEOUT) */
#define CLI_MESSAGE_MAX 4096 /* a buffer this big holds every message and line but the help */
#define CLI_CHECK_COUNT 10   /* explain: parameters of each layer the gradient check probes */

typedef enum { CLI_TRAIN = 0, CLI_EVALUATE, CLI_PREDICT, CLI_EXPORT, CLI_EXPLAIN, CLI_COMMAND_COUNT } cli_command;

/* The options in the order of the table (and of the help). */
typedef enum {
  CLI_DATA = 0,
  CLI_EPOCHS,
  CLI_BATCH,
  CLI_LR,
  CLI_SCHEDULE,
  CLI_WEIGHT_DECAY,
  CLI_AUGMENT,
  CLI_OPTIMIZER,
  CLI_LAYERS,
  CLI_ACTIVATION,
  CLI_INPUT,
  CLI_SEED,
  CLI_EXTRA,
  CLI_REPEAT,
  CLI_SAVE,
  CLI_LOAD,
  CLI_INDEX,
  CLI_IMAGE,
  CLI_INVERT,
  CLI_JSON,
  CLI_THREADS,
  CLI_FORMAT,
  CLI_OUT,
  CLI_HELP,
  CLI_OPTION_COUNT
} cli_option;

/* Which command parses: only the Node command decodes image files (--image). */
typedef enum { CLI_NATIVE = 0, CLI_NODE = 1 } cli_shell;

/* A parsed command line; the strings point into argv. */
typedef struct cli_args {
  cli_command command;                    /* the first word; train when there is none */
  int help;                               /* --help or -h: print cli_help, exit 0 */
  unsigned given;                         /* bit (1u << cli_option) for each option on the line */
  const char *data, *save, *load, *image; /* NULL unless given */
  const char *out;                        /* export --out PATH (a folder for tfjs); NULL unless given */
  int format;                             /* export --format: export.h's export_format; -1 unless given */
  const char *extra; /* --extra DIR: a person's own digits, mixed into training; NULL unless given */
  long repeat;       /* CLI_DEFAULT_REPEAT unless given */
  long epochs;       /* CLI_DEFAULT_EPOCHS unless given */
  long index;        /* -1 unless given */
  long threads;      /* --threads: 1 unless given */
  int invert;
  int json;      /* --json: the cli_*_json lines instead of the text ones */
  nn_config cfg; /* nn_config_default with --batch, --lr, ... applied */
} cli_args;

const char *cli_program(cli_shell shell);    /* "mnist-train" or "mnist-wasm" */
const char *cli_command_name(cli_command c); /* "train", ...; NULL if unknown */
const char *cli_option_name(cli_option o);   /* "data", ... (without the dashes); NULL if unknown */

/* Parses argv[1 .. argc): [COMMAND] --name value | --name=value ... with
 * one number grammar (a whole decimal string, range-checked). 0 when it
 * holds (a->help may be set), else CLI_EXIT_USAGE with the message. */
int cli_parse(int argc, const char *const *argv, cli_shell shell, cli_args *a, char *msg, size_t cap);

/* The help text, made from the option table and the defaults of
 * nn_config_default; the same for both shells but for the program name. */
size_t cli_help(cli_shell shell, char *buf, size_t cap);

/* "epoch 3  loss 0.1234  test 91.20%  0.52 s  15384 samples/s": samples
 * trained in seconds; accuracy in 0..1. */
size_t cli_epoch_line(long epoch, double loss, double accuracy, double seconds, double samples, char *buf, size_t cap);
/* "evaluate  loss 0.1234  test 91.20%  2000 samples" */
size_t cli_evaluate_line(double loss, double accuracy, double samples, char *buf, size_t cap);
/* "index 7  label 2  predicted 2  p 0.9876" (image NULL) or "FILE  predicted 2  p 0.9876",
 * then a line of the n probabilities "0:0.0001 1:0.0002 ...". */
size_t cli_predict_lines(const char *image, long index, int label, const float *probs, int n, char *buf, size_t cap);

/* The same results as one JSON object per line, for scripts (--json); the
 * numbers in the fewest digits that read back exactly, names as below:
 * {"type":"epoch","epoch":3,"loss":0.1234,"accuracy":0.9125,"samples":8000,"seconds":0.5,"samplesPerSecond":16000} */
size_t cli_epoch_json(long epoch, double loss, double accuracy, double seconds, double samples, char *buf, size_t cap);
/* {"type":"evaluate","loss":0.25,"accuracy":0.92,"samples":2000} */
size_t cli_evaluate_json(double loss, double accuracy, double samples, char *buf, size_t cap);
/* {"type":"predict","index":7,"label":1,"predicted":1,"probabilities":[0.25,0.5,0.25]}, or with
 * "image":"FILE" in place of index and label (image not NULL; label omitted when < 0). */
size_t cli_predict_json(const char *image, long index, int label, const float *probs, int n, char *buf, size_t cap);

/* explain --index N: the test image's backpropagation with its label
 * (nn_gradients, nn_gradient_check on CLI_CHECK_COUNT parameters a
 * layer) as lines into buf: text,
 *   explain  index 7  label 2  predicted 2  p 0.9876  loss 0.0125  (-ln p[2] = -ln 0.9876)
 *   layer 1  conv  24x24x8  |delta| 1.234e-02  |dW| 3.456e-02  |db| 1.234e-02  check 3.1e-07 (10 checked)
 *   ...
 *   gradient check: largest relative error 3.1e-07 (backprop in float against finite differences in double)
 * or one JSON object (json): {"type":"explain","index","label","predicted","loss","probabilities",
 * "layers":[{"type","shape","deltaNorm","weightsNorm","biasesNorm","maxRelativeError","checked","atKinks"}],
 * "maxRelativeError"} (pooling without the norms of parameters and the error). 0, or
 * CLI_EXIT_FAILURE with the message in buf. The network is not changed. */
int cli_explain(nn_net *net, const uint8_t *image, int label, long index, int json, char *buf, size_t cap);

/* train --load: --layers and --activation, where given, must be the model's. */
int cli_check_model(const cli_args *a, const nn_net *model, char *msg, size_t cap);

/* Once the data have arrived: train and test images of one size (train
 * may be NULL), as many pixels as the first layer takes, labels below the
 * last layer's size (not for predict), --index inside the test set. */
int cli_check_data(const cli_args *a, const nn_net *net, const nn_dataset *train, const nn_dataset *test, char *msg,
                   size_t cap);

/* Training that failed with st in an epoch: "epoch 2: <nn_strerror>", and
 * for divergence "epoch 2: training diverged at step 1234 (...); lower the
 * learning rate (--lr is 100)", the step being nn_steps(net) + 1, as
 * trainer_run leaves it. */
int cli_train_error(const nn_net *net, long epoch, nn_status st, char *msg, size_t cap);

/* Neither DATA/NAME.gz nor DATA/NAME (set 0 training, 1 test), in the one
 * lookup order of data_file_suffix. */
int cli_not_found(const char *data, int set, data_file file, char *msg, size_t cap);

/* A data set that failed with st while its file `which` was read (the
 * path `file`): counts and shapes that disagree (NN_ERR_COUNT, NN_ERR_DIMS)
 * as "DATA: training set: <data_explain>", any other status as
 * "FILE: <data_explain>". */
int cli_data_error(const char *data, int set, const nn_dataset *ds, nn_status st, data_file which, const char *file,
                   char *msg, size_t cap);

/* A file that cannot be read or written. detail: the reason for
 * CLI_CANNOT_OPEN / CLI_CANNOT_CREATE, the folder for the folder problems. */
typedef enum {
  CLI_NO_SUCH_FILE = 0, /* "cannot open FILE: no such file" */
  CLI_CANNOT_OPEN,      /* "cannot open FILE: DETAIL" */
  CLI_CANNOT_CREATE,    /* "cannot create FILE: DETAIL" */
  CLI_NO_FOLDER,        /* "cannot create FILE: the folder DETAIL does not exist" */
  CLI_NOT_FOLDER,       /* "cannot create FILE: DETAIL is not a folder" */
  CLI_NOT_WRITABLE      /* "cannot create FILE: the folder DETAIL is not writable" */
} cli_file_problem;
int cli_file_error(cli_file_problem p, const char *file, const char *detail, char *msg, size_t cap);

/* export: "wrote FILE (N bytes)", one line a file written. */
size_t cli_export_line(const char *file, double bytes, char *buf, size_t cap);

#endif
