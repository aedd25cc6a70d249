/* status.c: names and messages of the status codes, from status.h's table. */
#include "status.h"

static const char *const names[] = {
#define NN_STATUS_NAME(code, message) #code,
  NN_STATUS_TABLE(NN_STATUS_NAME)
#undef NN_STATUS_NAME
};

static const char *const messages[] = {
#define NN_STATUS_MESSAGE(code, message) message,
  NN_STATUS_TABLE(NN_STATUS_MESSAGE)
#undef NN_STATUS_MESSAGE
};

const char *nn_strerror(nn_status s) { return (unsigned)s < NN_STATUS_COUNT ? messages[s] : "unknown error"; }

const char *nn_status_name(nn_status s) { return (unsigned)s < NN_STATUS_COUNT ? names[s] : "NN_ERR_UNKNOWN"; }
