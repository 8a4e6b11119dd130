// Shared by the C++ unit tests of hls_templates: a failure counter, a CHECK
// macro that reports file:line and the failed condition, and finish() that
// turns the count into the process exit code CTest reads.
#ifndef LLMHLS_TESTS_CHECK_H
#define LLMHLS_TESTS_CHECK_H

#include <cstdio>

static int failures = 0;

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
      ++failures;                                                                          \
    }                                                                                      \
  } while (0)

static inline int finish(const char* test) {
  if (failures != 0) {
    std::fprintf(stderr, "%s: %d check(s) failed\n", test, failures);
    return 1;
  }
  std::printf("%s: ok\n", test);
  return 0;
}

#endif  // LLMHLS_TESTS_CHECK_H
