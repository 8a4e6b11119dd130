// LLMHLS_STREAM_STRICT turns a read of an empty hls::stream into an exception,
// so dataflow ordering bugs fail C-simulation instead of reading zeros.
#define LLMHLS_STREAM_STRICT
#include "hls_stream.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

int main() {
  hls::stream<int> s("strict_fifo");
  s.write(5);
  if (s.read() != 5) {
    std::fprintf(stderr, "read after write returned the wrong value\n");
    return 1;
  }
  try {
    (void)s.read();
  } catch (const std::runtime_error& e) {
    if (std::strstr(e.what(), "strict_fifo") == nullptr) {
      std::fprintf(stderr, "error message does not name the stream: %s\n", e.what());
      return 1;
    }
    int v = 0;
    try {
      s >> v;
    } catch (const std::runtime_error&) {
      std::printf("test_hls_stream_strict: ok\n");
      return 0;
    }
    std::fprintf(stderr, "operator>> on an empty stream did not throw\n");
    return 1;
  }
  std::fprintf(stderr, "read() on an empty stream did not throw\n");
  return 1;
}
