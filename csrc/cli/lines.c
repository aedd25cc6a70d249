/* lines.c: the lines both command lines print (an epoch, an evaluation, a
 * prediction, as text and as JSON) and the messages after the options
 * parsed: a model or data that does not fit them, a run that diverged, a
 * file that is missing. Of options.h; it does not print or exit. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "options.h"
#include "options_shared.h"
#include "text.h"

/* ---- output lines ------------------------------------------------------------ */

size_t cli_epoch_line(long epoch, double loss, double accuracy, double seconds, double samples, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  text_put(&t, "epoch %ld  loss %.4f  test %.2f%%  %.2f s  %.0f samples/s", epoch, loss, 100.0 * accuracy, seconds,
           seconds > 0 ? samples / seconds : 0.0);
  return t.at;
}

size_t cli_evaluate_line(double loss, double accuracy, double samples, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  text_put(&t, "evaluate  loss %.4f  test %.2f%%  %.0f samples", loss, 100.0 * accuracy, samples);
  return t.at;
}

int cli_argmax(const float *probs, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (probs[i] > probs[best]) best = i;
  return best;
}

size_t cli_predict_lines(const char *image, long index, int label, const float *probs, int n, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  if (!probs || n < 1) return t.at;
  const int best = cli_argmax(probs, n);
  if (image) text_put(&t, "%s  ", image);
  else text_put(&t, "index %ld  ", index);
  if (label >= 0) text_put(&t, "label %d  ", label);
  text_put(&t, "predicted %d  p %.4f\n", best, (double)probs[best]);
  for (int i = 0; i < n; i++) text_put(&t, "%s%d:%.4f", i ? " " : "", i, (double)probs[i]);
  return t.at;
}

size_t cli_epoch_json(long epoch, double loss, double accuracy, double seconds, double samples, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  text_put(&t, "{\"type\":\"epoch\",\"epoch\":%ld,\"loss\":", epoch);
  text_json_number(&t, loss);
  text_put(&t, ",\"accuracy\":");
  text_json_number(&t, accuracy);
  text_put(&t, ",\"samples\":");
  text_json_number(&t, samples);
  text_put(&t, ",\"seconds\":");
  text_json_number(&t, seconds);
  text_put(&t, ",\"samplesPerSecond\":");
  text_json_number(&t, seconds > 0 ? samples / seconds : 0.0);
  text_put(&t, "}");
  return t.at;
}

size_t cli_evaluate_json(double loss, double accuracy, double samples, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  text_put(&t, "{\"type\":\"evaluate\",\"loss\":");
  text_json_number(&t, loss);
  text_put(&t, ",\"accuracy\":");
  text_json_number(&t, accuracy);
  text_put(&t, ",\"samples\":");
  text_json_number(&t, samples);
  text_put(&t, "}");
  return t.at;
}

size_t cli_predict_json(const char *image, long index, int label, const float *probs, int n, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  if (!probs || n < 1) return t.at;
  text_put(&t, "{\"type\":\"predict\",");
  if (image) {
    text_put(&t, "\"image\":");
    text_json_string(&t, image);
  } else {
    text_put(&t, "\"index\":%ld", index);
  }
  if (label >= 0) text_put(&t, ",\"label\":%d", label);
  text_put(&t, ",\"predicted\":%d,\"probabilities\":[", cli_argmax(probs, n));
  for (int i = 0; i < n; i++) {
    if (i) text_put(&t, ",");
    text_json_float(&t, probs[i]);
  }
  text_put(&t, "]}");
  return t.at;
}

/* ---- messages after loading ------------------------------------------------ */

int cli_check_model(const cli_args *a, const nn_net *model, char *msg, size_t cap) {
  if (!a || !model) return text_fail(CLI_EXIT_FAILURE, msg, cap, "internal error: no model to check");
  const nn_config *have = nn_get_config(model);
  char want_s[256], have_s[256];
  nn_text w = text_of(want_s, sizeof want_s), h = text_of(have_s, sizeof have_s);
  cli_put_layers(&w, &a->cfg);
  cli_put_layers(&h, have);
  if (GIVEN(a, CLI_LAYERS) && strcmp(want_s, have_s) != 0)
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "--layers %s does not match %s (layers %s)", want_s, a->load, have_s);
  if (GIVEN(a, CLI_ACTIVATION) && a->cfg.activation != have->activation)
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "--activation %s does not match %s (activation %s)",
                     nn_activation_name(a->cfg.activation), a->load, nn_activation_name(have->activation));
  if (GIVEN(a, CLI_INPUT) && a->cfg.input != have->input)
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "--input %s does not match %s (input %s)", nn_input_name(a->cfg.input),
                     a->load, nn_input_name(have->input));
  return 0;
}

int cli_check_data(const cli_args *a, const nn_net *net, const nn_dataset *train, const nn_dataset *test, char *msg,
                   size_t cap) {
  if (!a || !net || !test) return text_fail(CLI_EXIT_FAILURE, msg, cap, "internal error: no data to check");
  const nn_config *c = nn_get_config(net);
  const int n_in = c->sizes[0], n_out = c->sizes[c->n_sizes - 1];
  const int rows = data_rows(test), cols = data_cols(test);
  if (train && (data_rows(train) != rows || data_cols(train) != cols))
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "%s: training images are %dx%d but test images %dx%d", a->data,
                     data_rows(train), data_cols(train), rows, cols);
  const long pixels = (long)rows * cols;
  if (c->in_rows && (c->in_rows != rows || c->in_cols != cols || c->in_channels != 1))
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "the network%s%s takes %dx%dx%d images but the images are %dx%d",
                     a->load ? " of " : "", a->load ? a->load : "", c->in_rows, c->in_cols, c->in_channels, rows, cols);
  if (n_in != pixels) {
    if (a->load)
      return text_fail(CLI_EXIT_FAILURE, msg, cap,
                       "the first layer of %s has %d inputs but the images are %dx%d = %ld pixels", a->load, n_in, rows,
                       cols, pixels);
    return text_fail(CLI_EXIT_FAILURE, msg, cap,
                     "the first layer has %d inputs but the images are %dx%d = %ld pixels (set --layers %ld,...)", n_in,
                     rows, cols, pixels, pixels);
  }
  if (a->command != CLI_PREDICT) {
    int top = data_max_label(test);
    if (train && data_max_label(train) > top) top = data_max_label(train);
    if (n_out < top + 1)
      return text_fail(CLI_EXIT_FAILURE, msg, cap,
                       "the last layer%s%s has %d outputs but the labels go up to %d (it needs at least %d)",
                       a->load ? " of " : "", a->load ? a->load : "", n_out, top, top + 1);
  }
  if ((a->command == CLI_PREDICT || a->command == CLI_EXPLAIN) && a->index >= 0 &&
      (uint32_t)a->index >= data_ready(test)) {
    const uint32_t n = data_ready(test);
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "--index %ld: the test set has %u images (0..%ld)", a->index, n,
                     (long)n - 1);
  }
  return 0;
}

int cli_train_error(const nn_net *net, long epoch, nn_status st, char *msg, size_t cap) {
  if (st != NN_ERR_DIVERGED || !net)
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "epoch %ld: %s", epoch, nn_strerror(st));
  char why[256];
  diverged_explain(net, 0, why, sizeof why);
  return text_fail(CLI_EXIT_FAILURE, msg, cap, "epoch %ld: %s (--lr is %g)", epoch, why,
                   (double)nn_get_config(net)->learning_rate);
}

static const char *set_name(int set) { return set == 0 ? "training set" : "test set"; }

int cli_not_found(const char *data, int set, data_file file, char *msg, size_t cap) {
  const char *name = data_mnist_name(set, file);
  if (!name) return text_fail(CLI_EXIT_FAILURE, msg, cap, "internal error: no such data file");
  return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot find %s%s or %s%s in %s", name, data_file_suffix(0), name,
                   data_file_suffix(1), data);
}

int cli_data_error(const char *data, int set, const nn_dataset *ds, nn_status st, data_file which, const char *file,
                   char *msg, size_t cap) {
  char why[512];
  data_explain(ds, st, which, NULL, why, sizeof why);
  if (st == NN_ERR_COUNT || st == NN_ERR_DIMS || !file)
    return text_fail(CLI_EXIT_FAILURE, msg, cap, "%s: %s: %s", data, set_name(set), why);
  return text_fail(CLI_EXIT_FAILURE, msg, cap, "%s: %s", file, why);
}

int cli_file_error(cli_file_problem p, const char *file, const char *detail, char *msg, size_t cap) {
  const char *d = detail ? detail : "";
  switch (p) {
    case CLI_NO_SUCH_FILE: return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot open %s: no such file", file);
    case CLI_CANNOT_OPEN: return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot open %s: %s", file, d);
    case CLI_NO_FOLDER:
      return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot create %s: the folder %s does not exist", file, d);
    case CLI_NOT_FOLDER: return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot create %s: %s is not a folder", file, d);
    case CLI_NOT_WRITABLE:
      return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot create %s: the folder %s is not writable", file, d);
    default: return text_fail(CLI_EXIT_FAILURE, msg, cap, "cannot create %s: %s", file, d);
  }
}

size_t cli_export_line(const char *file, double bytes, char *buf, size_t cap) {
  nn_text t = text_of(buf, cap);
  text_put(&t, "wrote %s (%.0f bytes)", file, bytes);
  return t.at;
}
