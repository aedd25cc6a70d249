/* require.h: the fuzz targets' invariant check. A broken invariant prints
 * where and why, then aborts, which libFuzzer records as a crash with the
 * input that caused it. */
#ifndef REQUIRE_H
#define REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c, ...)                                                 \
  do {                                                                  \
    if (!(c)) {                                                         \
      fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,       \
              __LINE__, #c);                                            \
      fprintf(stderr, __VA_ARGS__);                                     \
      fputc('\n', stderr);                                              \
      abort();                                                          \
    }                                                                   \
  } while (0)

#endif
