/* explain.h: what is wrong with a data file or a training run, in words that
 * name the file's first bytes, the header's claim or the failing sample: the
 * one wording that every shell prints (the native CLI, the Node command and
 * the package's errors add only where it happened). Each writes text as
 * text.h does (cut to cap, NUL-terminated) and returns the length the whole
 * text needs. */
#ifndef NN_EXPLAIN_H
#define NN_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "idx.h"

/* A parser's error st: "not an IDX file (it is text: "<html>...")", the
 * element type, an empty file, or what the header claims over the limit;
 * nn_strerror(st) otherwise. content_type: what a server said the file is
 * (NULL when unknown). */
size_t idx_explain(const idx_parser *p, nn_status st, const char *content_type, char *out, size_t cap);

/* A data set's error st while file was being pushed: counts that disagree,
 * the first label over the class count, the wrong number of dimensions, or
 * idx_explain of that file's parser. */
size_t data_explain(const nn_dataset *ds, nn_status st, data_file file, const char *content_type, char *out,
                    size_t cap);

/* A model file's load error st (model.h): "not a model file (it is text:
 * "..."; a model file starts with "MNWM")", the format version of a newer
 * file; nn_strerror(st) otherwise. bytes: the file, n its length. */
size_t model_explain(const uint8_t *bytes, size_t n, nn_status st, char *out, size_t cap);

/* "training diverged at step 151 in epoch 2 (...); lower the learning rate":
 * the status table's message with where it happened. The step is
 * nn_steps(net) + 1, as a diverged step leaves the network; epoch 0: not said. */
size_t diverged_explain(const nn_net *net, long epoch, char *out, size_t cap);

#endif
