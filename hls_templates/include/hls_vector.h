// llmhls behavioural model of Vitis HLS `hls::vector` for g++ C-simulation.
//
// Vitis HLS brings its own hls_vector.h; this header is the g++ side, placed
// first on llmhls's csim include path. It models the part of the API the
// emitted kernels use: a fixed-size, element-indexable value type whose
// storage is exactly N * sizeof(T) bytes and 64-byte aligned when that size
// is 64 bytes, so a `const hls::vector<uint32_t, 16> *` m_axi port reads the
// same bytes (one 512-bit beat per element) in both worlds.
#ifndef LLMHLS_HLS_VECTOR_H
#define LLMHLS_HLS_VECTOR_H

#ifndef __cplusplus
#error "hls_vector.h requires C++"
#endif

#include <cstddef>

namespace hls {

template <typename T, std::size_t N>
class alignas(N * sizeof(T) >= 64 ? 64 : alignof(T)) vector {
 public:
  typedef T value_type;
  static constexpr std::size_t size() { return N; }

  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  T data_[N];
};

}  // namespace hls

#endif  // LLMHLS_HLS_VECTOR_H
