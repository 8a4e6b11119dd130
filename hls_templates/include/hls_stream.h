// llmhls behavioural model of Vitis HLS `hls::stream` for g++ C-simulation.
//
// Emitted kernels are compiled twice: by Vitis HLS (which brings its own
// hls_stream.h) and by g++ for llmhls's C-simulation. This header is the g++
// side: an unbounded-or-bounded FIFO on a growing ring buffer with the same API the
// kernels use. It is placed first on the include path so that it shadows the
// copy shipped with hls4ml's ap_types; the include guard is llmhls-specific
// so both can never be confused.
//
// Semantics (sequential C-simulation, as in Vitis csim):
//   * blocking write() always succeeds; a DEPTH > 0 only affects full() and
//     write_nb(), and the high-water mark is recorded so tests can check that
//     a declared depth would have sufficed;
//   * read() on an empty stream prints a warning to stderr and returns T()
//     (Vitis behaviour). Define LLMHLS_STREAM_STRICT before including this
//     header to throw std::runtime_error instead, which turns dataflow
//     ordering bugs into hard csim failures.
#ifndef LLMHLS_HLS_STREAM_H
#define LLMHLS_HLS_STREAM_H

#ifndef __cplusplus
#error "hls_stream.h requires C++"
#endif

#include <cstddef>
#include <vector>
#include <iostream>
#include <stdexcept>
#include <string>

namespace hls {

namespace llmhls_detail {
/// Shared counter so that unnamed streams of any element type get distinct names.
inline unsigned next_stream_id() {
  static unsigned counter = 0;
  return ++counter;
}

/// FIFO storage: a ring that doubles when full and keeps its capacity when drained, so a
/// stream refilled on every kernel call (a weight channel) allocates only on the first.
/// A destroyed ring leaves its storage to the next one of its type that grows: a dataflow
/// region's streams are locals (UG1399's canonical form), made anew on every call, and
/// would otherwise reallocate a whole call's words each time.
template <typename T>
class ring {
 public:
  ring() = default;
  ring(const ring& other) = default;
  ring& operator=(const ring& other) = default;
  ~ring() {
    if (!items_.empty()) {
      spare().push_back(std::vector<T>());
      spare().back().swap(items_);
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T front() const { return items_[head_]; }  // by value: vector<bool>::operator[] makes a temporary
  void pop_front() {
    head_ = (head_ + 1) % items_.size();
    --size_;
  }
  void push_back(const T& value) {
    if (size_ == items_.size()) grow();
    items_[(head_ + size_) % items_.size()] = value;
    ++size_;
  }

 private:
  // Never destroyed: a static stream may outlive any static object at exit.
  static std::vector<std::vector<T> >& spare() {
    static std::vector<std::vector<T> >* storage = new std::vector<std::vector<T> >();
    return *storage;
  }

  void grow() {
    std::vector<T> larger;
    std::vector<std::vector<T> >& pool = spare();
    if (!pool.empty() && pool.back().size() > items_.size()) {
      larger.swap(pool.back());
      pool.pop_back();
    } else {
      larger.resize(items_.empty() ? 16 : 2 * items_.size());
    }
    for (std::size_t i = 0; i < size_; ++i) larger[i] = items_[(head_ + i) % items_.size()];
    items_.swap(larger);
    head_ = 0;
  }

  std::vector<T> items_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};
}  // namespace llmhls_detail

/// FIFO channel between dataflow processes. DEPTH == 0 means "unspecified"
/// (Vitis picks the depth from pragmas / config); DEPTH > 0 bounds full().
template <typename T, int DEPTH = 0>
class stream {
  static_assert(DEPTH >= 0, "hls::stream depth must be non-negative");

 public:
  typedef T value_type;

  stream() : name_(default_name()) {}
  explicit stream(const char* name) : name_(name != nullptr ? name : default_name()) {}
  explicit stream(const std::string& name) : name_(name) {}

  // Streams model hardware channels: they are neither copyable nor movable.
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  ~stream() {
    if (!data_.empty()) {
      std::cerr << "WARNING: hls::stream '" << name_ << "' contains leftover data ("
                << data_.size() << " elements)" << std::endl;
    }
  }

  /// True when no element is waiting.
  bool empty() const { return data_.empty(); }

  /// True when a bounded stream holds DEPTH elements; unbounded streams are never full.
  bool full() const { return DEPTH > 0 && data_.size() >= static_cast<std::size_t>(DEPTH); }

  /// Number of elements waiting (Vitis `size()`).
  std::size_t size() const { return data_.size(); }

  /// Declared depth; 0 when unspecified.
  static constexpr int capacity() { return DEPTH; }

  /// Largest number of elements ever held at once: the depth the channel needed.
  std::size_t high_water_mark() const { return high_water_; }

  /// Name given at construction (or a generated one).
  const std::string& name() const { return name_; }

  /// Blocking read; see the header comment for the empty-stream behaviour.
  T read() {
    if (data_.empty()) {
      return read_empty();
    }
    T head = data_.front();
    data_.pop_front();
    return head;
  }

  void read(T& head) { head = read(); }

  /// Non-blocking read: false (and `head` untouched) when empty.
  bool read_nb(T& head) {
    if (data_.empty()) {
      return false;
    }
    head = data_.front();
    data_.pop_front();
    return true;
  }

  /// Blocking write: never blocks in sequential C-simulation.
  void write(const T& tail) {
    data_.push_back(tail);
    if (data_.size() > high_water_) {
      high_water_ = data_.size();
    }
  }

  /// Non-blocking write: false when a bounded stream is full.
  bool write_nb(const T& tail) {
    if (full()) {
      return false;
    }
    write(tail);
    return true;
  }

  void operator>>(T& head) { read(head); }
  void operator<<(const T& tail) { write(tail); }

 private:
  static std::string default_name() {
    return "hls_stream." + std::to_string(llmhls_detail::next_stream_id());
  }

  T read_empty() {
#ifdef LLMHLS_STREAM_STRICT
    throw std::runtime_error("hls::stream '" + name_ + "' read while empty");
#else
    std::cerr << "WARNING: hls::stream '" << name_ << "' read while empty" << std::endl;
    return T();
#endif
  }

  std::string name_;
  llmhls_detail::ring<T> data_;
  std::size_t high_water_ = 0;
};

}  // namespace hls

#endif  // LLMHLS_HLS_STREAM_H
