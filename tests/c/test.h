/* test.h: a minctest-sized assertion header for the C tests (one executable
 * per area, run by ctest). It is not a framework: no registration, no
 * fixtures, no forking. Each CHECK counts a pass or prints the failing line
 * and counts a failure; main ends with `return TEST_DONE();`.
 *
 *   CHECK(n == 3, "n is %d", n);       printf-style message, required
 *   CHECK_EQ(st, NN_OK);               integers (or enums): prints both values
 *   return TEST_DONE();                summary line; 1 if anything failed */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>

static int test_passes;
static int test_failures;

#define CHECK(c, ...)                                                \
  do {                                                               \
    if (c) {                                                         \
      test_passes++;                                                 \
    } else {                                                         \
      test_failures++;                                               \
      fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #c); \
      fprintf(stderr, __VA_ARGS__);                                  \
      fputc('\n', stderr);                                           \
    }                                                                \
  } while (0)

/* Evaluates each side once; long long holds every int, enum and uint32. */
#define CHECK_EQ(got, want)                                                                                        \
  do {                                                                                                             \
    long long test_got_ = (long long)(got), test_want_ = (long long)(want);                                        \
    if (test_got_ == test_want_) {                                                                                 \
      test_passes++;                                                                                               \
    } else {                                                                                                       \
      test_failures++;                                                                                             \
      fprintf(stderr, "%s:%d: FAIL (%s == %s): got %lld, want %lld\n", __FILE__, __LINE__, #got, #want, test_got_, \
              test_want_);                                                                                         \
    }                                                                                                              \
  } while (0)

static inline int test_done(const char *file) {
  fprintf(test_failures ? stderr : stdout, "%s: %d passed, %d failed\n", file, test_passes, test_failures);
  return test_failures ? 1 : 0;
}
#define TEST_DONE() test_done(__FILE__)

#endif
