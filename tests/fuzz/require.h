/* require.h: the fuzz targets' invariant check. A broken invariant prints
 * where and why, then aborts, which libFuzzer records as a crash with the
 * input that caused it. */
#ifndef REQUIRE_H
#define REQUIRE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c, ...)                                                         \
  do {                                                                          \
    if (!(c)) {                                                                 \
      fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #c); \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
      abort();                                                                  \
    }                                                                           \
  } while (0)

/* A message of explain.h: whole when it fits (its length is the one it
 * reported, at least one character), and when cut to a few bytes still
 * NUL-terminated within them. call(buf, cap) writes it. */
#define REQUIRE_MESSAGE(call)                                                                                         \
  do {                                                                                                                \
    char whole_[1024], cut_[7];                                                                                       \
    size_t need_ = call(whole_, sizeof whole_);                                                                       \
    REQUIRE(need_ > 0 && need_ < sizeof whole_ && strlen(whole_) == need_, "message of %zu bytes, strlen %zu", need_, \
            strlen(whole_));                                                                                          \
    REQUIRE(call(cut_, sizeof cut_) == need_ && strlen(cut_) < sizeof cut_, "cut message");                           \
  } while (0)

#endif
