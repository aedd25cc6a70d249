/* text.c: the appender of text.h. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>

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
  const int n = vsnprintf(dst, room, fmt, ap);
  va_end(ap);
  if (n > 0) t->at += (size_t)n;
}
