/* status.h: the one table of status codes. Each row is the code, its name
 * (the `code` of a JavaScript Error, taken from the module) and its one-line
 * message. Every public C function returns one of these or a pointer that is
 * NULL on failure; the messages are read from here by the CLIs and by
 * JavaScript, never copied. Append new codes at the end: model files and
 * callers may keep the numbers. */
#ifndef NN_STATUS_H
#define NN_STATUS_H

#define NN_STATUS_TABLE(X)                                                                           \
  X(NN_OK, "ok")                                                                                     \
  X(NN_ERR_ARG, "invalid argument")                                                                  \
  X(NN_ERR_NOMEM, "out of memory")                                                                   \
  X(NN_ERR_STATE, "operation not valid in this state")                                               \
  X(NN_ERR_LIMIT, "size exceeds the supported limit")                                                \
  X(NN_ERR_MAGIC, "not the expected file type (bad magic number)")                                   \
  X(NN_ERR_TYPE, "unsupported IDX element type (only unsigned bytes)")                               \
  X(NN_ERR_DIMS, "bad IDX dimensions")                                                               \
  X(NN_ERR_TRUNCATED, "data ended early (truncated)")                                                \
  X(NN_ERR_TRAILING, "unexpected bytes after the end of the data")                                   \
  X(NN_ERR_COUNT, "images and labels disagree in count or shape")                                    \
  X(NN_ERR_CHECKSUM, "checksum mismatch (corrupt file)")                                             \
  X(NN_ERR_VERSION, "model file from a newer format version")                                        \
  X(NN_ERR_FORMAT, "malformed model file")                                                           \
  X(NN_ERR_DIVERGED, "training diverged (the loss became NaN or infinite); lower the learning rate") \
  X(NN_ERR_LABEL, "a label is not below the number of classes")                                      \
  X(NN_ERR_SHAPE, "the images do not fit the network's input size")                                  \
  X(NN_ERR_GZIP, "corrupt or truncated gzip data")

typedef enum {
#define NN_STATUS_ENUM(code, message) code,
  NN_STATUS_TABLE(NN_STATUS_ENUM)
#undef NN_STATUS_ENUM
    NN_STATUS_COUNT
} nn_status;

const char *nn_strerror(nn_status s);    /* one-line message; "unknown error" if out of range */
const char *nn_status_name(nn_status s); /* "NN_ERR_ARG" etc.; "NN_ERR_UNKNOWN" if out of range */

#endif
