/* text.h: appending formatted text to a caller's buffer, for the messages,
 * help and JSON that csrc/ builds (cli/options.c, wasm_api.c). Text that
 * does not fit is cut, the buffer stays NUL-terminated, and `at` counts the
 * length the whole text needs (snprintf's rule), so a caller can size a
 * buffer with a first call of cap 0. It does not print. */
#ifndef NN_TEXT_H
#define NN_TEXT_H

#include <stddef.h>

typedef struct nn_text {
  char *buf;
  size_t cap, at;
} nn_text;

nn_text text_of(char *buf, size_t cap); /* an empty text in buf (cap 0 or buf NULL: count only) */
void text_put(nn_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* appends */
void text_json_string(nn_text *t, const char *s); /* s quoted and escaped for JSON; NULL: null */
void text_json_number(nn_text *t, double v);      /* the fewest digits that read back as v; not finite: null */
void text_json_float(nn_text *t, float v);        /* the same for a float32 */
/* A failure's message into msg (cap bytes; msg NULL or cap 0: none); returns code, a status or an exit code. */
int text_fail(int code, char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
