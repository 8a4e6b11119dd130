// Unit test of llmhls's behavioural hls::stream (hls_templates/include/hls_stream.h).
// Exits non-zero on the first failed check, naming it.
#include "check.h"
#include "hls_stream.h"

#include <ap_fixed.h>

#include <cstdio>
#include <string>
#include <type_traits>

#if !defined(LLMHLS_HLS_STREAM_H) || defined(X_HLS_STREAM_SIM_H)
#error "hls_stream.h must resolve to llmhls's copy, not hls4ml's"
#endif


struct Pixel {
  int x;
  float v;
};

static void producer(hls::stream<int>& out, int n) {
  for (int i = 0; i < n; ++i) out << i * 3;
}

static int consumer(hls::stream<int>& in, int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    int v;
    in >> v;
    sum += v;
  }
  return sum;
}

int main() {
  static_assert(!std::is_copy_constructible<hls::stream<int> >::value, "streams are not copyable");
  static_assert(std::is_same<hls::stream<float>::value_type, float>::value, "value_type");
  static_assert(hls::stream<int, 8>::capacity() == 8, "capacity is the DEPTH parameter");
  static_assert(hls::stream<int>::capacity() == 0, "default depth is unspecified");

  // FIFO order, size, empty through every read/write spelling.
  {
    hls::stream<int> s("fifo");
    CHECK(s.empty());
    CHECK(s.size() == 0);
    CHECK(s.name() == "fifo");
    for (int i = 0; i < 100; ++i) s.write(i);
    CHECK(!s.empty());
    CHECK(s.size() == 100);
    CHECK(!s.full());
    for (int i = 0; i < 50; ++i) CHECK(s.read() == i);
    int v = -1;
    s.read(v);
    CHECK(v == 50);
    s >> v;
    CHECK(v == 51);
    CHECK(s.read_nb(v) && v == 52);
    CHECK(s.size() == 47);
    while (!s.empty()) s.read();
    v = 1234;
    CHECK(!s.read_nb(v));
    CHECK(v == 1234);
    CHECK(s.high_water_mark() == 100);
  }

  // Bounded stream: full() and write_nb honour DEPTH; blocking write never drops data.
  {
    hls::stream<int, 2> s;
    CHECK(s.write_nb(1));
    CHECK(!s.full());
    CHECK(s.write_nb(2));
    CHECK(s.full());
    CHECK(!s.write_nb(3));
    CHECK(s.size() == 2);
    s.write(4);  // csim cannot block; the element is kept and the overflow is visible.
    CHECK(s.size() == 3);
    CHECK(s.high_water_mark() == 3);
    CHECK(s.read() == 1);
    CHECK(s.read() == 2);
    CHECK(s.read() == 4);
    CHECK(s.empty() && !s.full());
  }

  // Unnamed streams get distinct names, across element types too.
  {
    hls::stream<int> a;
    hls::stream<float> b;
    CHECK(!a.name().empty());
    CHECK(a.name() != b.name());
    hls::stream<int> c(std::string("from_string"));
    CHECK(c.name() == "from_string");
  }

  // Struct and ap_fixed elements keep their values.
  {
    hls::stream<Pixel> s("pixels");
    Pixel p = {7, 0.25f};
    s << p;
    Pixel q = s.read();
    CHECK(q.x == 7 && q.v == 0.25f);

    typedef ap_fixed<16, 6> fx;
    hls::stream<fx, 4> f("fixed");
    f.write(fx(1.5));
    f.write(fx(-3.25));
    CHECK(f.read() == fx(1.5));
    CHECK(f.read().to_double() == -3.25);
  }

  // Empty read (non-strict build): warns and yields a value-initialised element.
  {
    hls::stream<int> s("underflow");
    CHECK(s.read() == 0);
    CHECK(s.empty());
  }

  // Producer/consumer composition as in a sequential dataflow region.
  {
    hls::stream<int> link("link");
    producer(link, 10);
    CHECK(link.size() == 10);
    CHECK(consumer(link, 10) == 3 * 45);
    CHECK(link.empty());
  }

  // A local stream made on every call (a dataflow region's channel) takes over the storage
  // a destroyed one left: values, order and wrap-around stay right, bool included.
  for (int call = 0; call < 3; ++call) {
    hls::stream<int> local("local");
    for (int i = 0; i < 1000 + call; ++i) local.write(call * 10000 + i);
    for (int i = 0; i < 500; ++i) CHECK(local.read() == call * 10000 + i);
    for (int i = 0; i < 700; ++i) local.write(-i);
    for (int i = 500; i < 1000 + call; ++i) CHECK(local.read() == call * 10000 + i);
    for (int i = 0; i < 700; ++i) CHECK(local.read() == -i);
    CHECK(local.empty());
    hls::stream<bool> flags("flags");
    for (int i = 0; i < 40; ++i) flags.write(i % 3 == call);
    for (int i = 0; i < 40; ++i) CHECK(flags.read() == (i % 3 == call));
  }

  return finish("test_hls_stream");
}
