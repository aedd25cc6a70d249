/* text.c: the appender of text.h. */
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

nn_text text_of(char *buf, size_t cap) {
  nn_text t = {cap ? buf : NULL, buf ? cap : 0, 0};
  if (t.cap) t.buf[0] = '\0';
  return t;
}

void text_put(nn_text *t, const char *fmt, ...) {
  char *dst = t->at < t->cap ? t->buf + t->at : NULL;
  const size_t room = t->at < t->cap ? t->cap - t->at : 0;
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above (an analyser false positive) */
  const int n = vsnprintf(dst, room, fmt, ap);
  va_end(ap);
  if (n > 0) t->at += (size_t)n;
}

int text_fail(int code, char *msg, size_t cap, const char *fmt, ...) {
  if (msg && cap) {
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above (an analyser false positive) */
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
  }
  return code;
}

void text_json_string(nn_text *t, const char *s) {
  if (!s) {
    text_put(t, "null");
    return;
  }
  text_put(t, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') text_put(t, "\\%c", *p);
    else if (*p < 0x20) text_put(t, "\\u%04x", *p);
    else text_put(t, "%c", *p);
  }
  text_put(t, "\"");
}

/* %.Ng for the smallest N in lo..hi whose text reads back as v (strtod, or
 * strtof when single), so 0.1 prints as 0.1 and any value round-trips. */
static void put_shortest(nn_text *t, double v, int lo, int hi, int single) {
  if (!isfinite(v)) {
    text_put(t, "null");
    return;
  }
  char s[40];
  for (int n = lo; n <= hi; n++) {
    snprintf(s, sizeof s, "%.*g", n, v);
    if (single ? strtof(s, NULL) == (float)v : strtod(s, NULL) == v) break;
  }
  text_put(t, "%s", s);
}

void text_json_number(nn_text *t, double v) { put_shortest(t, v, 15, 17, 0); }
void text_json_float(nn_text *t, float v) { put_shortest(t, (double)v, 6, 9, 1); }
