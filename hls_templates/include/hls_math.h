// llmhls behavioural model of Vitis HLS `hls_math.h` for g++ C-simulation.
//
// Emitted kernels call `hls::exp`, `hls::rsqrt`, ... so that Vitis HLS maps
// them to its math library. For llmhls's g++ C-simulation this header gives
// the same names backed by <cmath>. It is placed first on the include path so
// that it shadows the (much smaller) copy shipped with hls4ml's ap_types; the
// include guard is llmhls-specific.
//
// Coverage follows Vitis hls_math: float and double overloads (plus the
// `f`-suffixed float names such as hls::expf), ap_fixed / ap_ufixed overloads
// that return the argument's type, and integral arguments that go through
// double as <cmath> does. Fixed-point arguments of at most 24 bits are
// evaluated in float (every such value is exactly representable in float);
// wider ones in double. The result is converted back with the type's own
// quantisation and overflow modes (an infinite result saturates an AP_SAT
// type, as in hardware). fabs, fmax and fmin on fixed point are computed
// exactly, without a float round trip. Two-argument functions also accept
// mixed arithmetic types: double if either argument is double, else float.
#ifndef LLMHLS_HLS_MATH_H
#define LLMHLS_HLS_MATH_H

#ifndef __cplusplus
#error "hls_math.h requires C++"
#endif

#include <ap_fixed.h>

#include <cmath>
#include <type_traits>

namespace hls {

namespace llmhls_detail {

/// Floating type used to evaluate a W-bit fixed-point argument.
template <int W>
struct fixed_eval {
  typedef typename std::conditional<(W <= 24), float, double>::type type;
};

/// Two-argument calls mixing arithmetic types (at least one floating): evaluated in double
/// if either is double, else in float. Unlike <cmath>, an integer does not widen a float
/// to double, which would cost double-precision cores in hardware.
template <typename A, typename B>
struct mixed_fp {
  static const bool any_floating =
      std::is_floating_point<A>::value || std::is_floating_point<B>::value;
  static const bool enabled = std::is_arithmetic<A>::value && std::is_arithmetic<B>::value &&
                              !std::is_same<A, B>::value && any_floating;
  typedef typename std::conditional<
      (std::is_same<A, float>::value || std::is_integral<A>::value) &&
          (std::is_same<B, float>::value || std::is_integral<B>::value),
      float, double>::type type;
};

}  // namespace llmhls_detail

// Mixed-type overload of a two-argument function (see llmhls_detail::mixed_fp).
#define LLMHLS_MATH_MIXED(NAME)                                                            \
  template <typename A, typename B>                                                        \
  inline typename std::enable_if<llmhls_detail::mixed_fp<A, B>::enabled,                   \
                                 typename llmhls_detail::mixed_fp<A, B>::type>::type       \
  NAME(A a, B b) {                                                                         \
    typedef typename llmhls_detail::mixed_fp<A, B>::type R;                                \
    return NAME(static_cast<R>(a), static_cast<R>(b));                                     \
  }

// One unary function for float, double, its `f`-suffixed float name, integral
// arguments (through double), ap_fixed and ap_ufixed (through float/double).
#define LLMHLS_MATH_UNARY(NAME, FLOAT_EXPR, DOUBLE_EXPR)                                   \
  inline float NAME(float x) { return FLOAT_EXPR; }                                        \
  inline double NAME(double x) { return DOUBLE_EXPR; }                                     \
  inline float NAME##f(float x) { return FLOAT_EXPR; }                                     \
  template <typename T>                                                                    \
  inline typename std::enable_if<std::is_integral<T>::value, double>::type NAME(T v) {     \
    return NAME(static_cast<double>(v));                                                   \
  }                                                                                        \
  template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>                                 \
  inline ap_fixed<W, I, Q, O, N> NAME(const ap_fixed<W, I, Q, O, N>& v) {                  \
    typedef typename llmhls_detail::fixed_eval<W>::type F;                                 \
    return ap_fixed<W, I, Q, O, N>(NAME(static_cast<F>(v)));                               \
  }                                                                                        \
  template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>                                 \
  inline ap_ufixed<W, I, Q, O, N> NAME(const ap_ufixed<W, I, Q, O, N>& v) {                \
    typedef typename llmhls_detail::fixed_eval<W>::type F;                                 \
    return ap_ufixed<W, I, Q, O, N>(NAME(static_cast<F>(v)));                              \
  }

// Same for functions of two arguments, plus mixed arithmetic argument types.
#define LLMHLS_MATH_BINARY(NAME, FLOAT_EXPR, DOUBLE_EXPR)                                  \
  inline float NAME(float x, float y) { return FLOAT_EXPR; }                               \
  inline double NAME(double x, double y) { return DOUBLE_EXPR; }                           \
  inline float NAME##f(float x, float y) { return FLOAT_EXPR; }                            \
  template <typename A, typename B>                                                        \
  inline typename std::enable_if<std::is_integral<A>::value && std::is_integral<B>::value, \
                                 double>::type                                             \
  NAME(A a, B b) {                                                                         \
    return NAME(static_cast<double>(a), static_cast<double>(b));                           \
  }                                                                                        \
  LLMHLS_MATH_MIXED(NAME)                                                                  \
  template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>                                 \
  inline ap_fixed<W, I, Q, O, N> NAME(const ap_fixed<W, I, Q, O, N>& a,                    \
                                      const ap_fixed<W, I, Q, O, N>& b) {                  \
    typedef typename llmhls_detail::fixed_eval<W>::type F;                                 \
    return ap_fixed<W, I, Q, O, N>(NAME(static_cast<F>(a), static_cast<F>(b)));            \
  }                                                                                        \
  template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>                                 \
  inline ap_ufixed<W, I, Q, O, N> NAME(const ap_ufixed<W, I, Q, O, N>& a,                  \
                                       const ap_ufixed<W, I, Q, O, N>& b) {                \
    typedef typename llmhls_detail::fixed_eval<W>::type F;                                 \
    return ap_ufixed<W, I, Q, O, N>(NAME(static_cast<F>(a), static_cast<F>(b)));           \
  }

// Exponentials and logarithms.
LLMHLS_MATH_UNARY(exp, std::exp(x), std::exp(x))
LLMHLS_MATH_UNARY(exp2, std::exp2(x), std::exp2(x))
LLMHLS_MATH_UNARY(exp10, std::pow(10.0f, x), std::pow(10.0, x))
LLMHLS_MATH_UNARY(expm1, std::expm1(x), std::expm1(x))
LLMHLS_MATH_UNARY(log, std::log(x), std::log(x))
LLMHLS_MATH_UNARY(log2, std::log2(x), std::log2(x))
LLMHLS_MATH_UNARY(log10, std::log10(x), std::log10(x))
LLMHLS_MATH_UNARY(log1p, std::log1p(x), std::log1p(x))

// Roots and reciprocals.
LLMHLS_MATH_UNARY(sqrt, std::sqrt(x), std::sqrt(x))
LLMHLS_MATH_UNARY(rsqrt, 1.0f / std::sqrt(x), 1.0 / std::sqrt(x))
LLMHLS_MATH_UNARY(cbrt, std::cbrt(x), std::cbrt(x))
LLMHLS_MATH_UNARY(recip, 1.0f / x, 1.0 / x)

// Error function and hyperbolics.
LLMHLS_MATH_UNARY(erf, std::erf(x), std::erf(x))
LLMHLS_MATH_UNARY(erfc, std::erfc(x), std::erfc(x))
LLMHLS_MATH_UNARY(tanh, std::tanh(x), std::tanh(x))
LLMHLS_MATH_UNARY(sinh, std::sinh(x), std::sinh(x))
LLMHLS_MATH_UNARY(cosh, std::cosh(x), std::cosh(x))

// Trigonometry.
LLMHLS_MATH_UNARY(sin, std::sin(x), std::sin(x))
LLMHLS_MATH_UNARY(cos, std::cos(x), std::cos(x))
LLMHLS_MATH_UNARY(tan, std::tan(x), std::tan(x))
LLMHLS_MATH_UNARY(asin, std::asin(x), std::asin(x))
LLMHLS_MATH_UNARY(acos, std::acos(x), std::acos(x))
LLMHLS_MATH_UNARY(atan, std::atan(x), std::atan(x))

// Rounding.
LLMHLS_MATH_UNARY(floor, std::floor(x), std::floor(x))
LLMHLS_MATH_UNARY(ceil, std::ceil(x), std::ceil(x))
LLMHLS_MATH_UNARY(round, std::round(x), std::round(x))
LLMHLS_MATH_UNARY(trunc, std::trunc(x), std::trunc(x))
LLMHLS_MATH_UNARY(rint, std::rint(x), std::rint(x))

// Two-argument functions.
LLMHLS_MATH_BINARY(pow, std::pow(x, y), std::pow(x, y))
LLMHLS_MATH_BINARY(fmod, std::fmod(x, y), std::fmod(x, y))
LLMHLS_MATH_BINARY(atan2, std::atan2(x, y), std::atan2(x, y))
LLMHLS_MATH_BINARY(hypot, std::hypot(x, y), std::hypot(x, y))
LLMHLS_MATH_BINARY(copysign, std::copysign(x, y), std::copysign(x, y))
LLMHLS_MATH_BINARY(fdim, std::fdim(x, y), std::fdim(x, y))

#undef LLMHLS_MATH_UNARY
#undef LLMHLS_MATH_BINARY

// fabs / abs / fmax / fmin: float, double, integral and exact fixed-point versions.
inline float fabs(float x) { return std::fabs(x); }
inline double fabs(double x) { return std::fabs(x); }
inline float fabsf(float x) { return std::fabs(x); }
template <typename T>
inline typename std::enable_if<std::is_integral<T>::value, double>::type fabs(T v) {
  return std::fabs(static_cast<double>(v));
}
inline float abs(float x) { return std::fabs(x); }
inline double abs(double x) { return std::fabs(x); }

inline float fmax(float x, float y) { return std::fmax(x, y); }
inline double fmax(double x, double y) { return std::fmax(x, y); }
inline float fmaxf(float x, float y) { return std::fmax(x, y); }
inline float fmin(float x, float y) { return std::fmin(x, y); }
inline double fmin(double x, double y) { return std::fmin(x, y); }
inline float fminf(float x, float y) { return std::fmin(x, y); }
LLMHLS_MATH_MIXED(fmax)
LLMHLS_MATH_MIXED(fmin)
#undef LLMHLS_MATH_MIXED

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_fixed<W, I, Q, O, N> fabs(const ap_fixed<W, I, Q, O, N>& x) {
  // -x of the most negative value follows the type's overflow mode, as in hardware.
  return x < 0 ? ap_fixed<W, I, Q, O, N>(-x) : x;
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_ufixed<W, I, Q, O, N> fabs(const ap_ufixed<W, I, Q, O, N>& x) {
  return x;
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_fixed<W, I, Q, O, N> abs(const ap_fixed<W, I, Q, O, N>& x) {
  return fabs(x);
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_ufixed<W, I, Q, O, N> abs(const ap_ufixed<W, I, Q, O, N>& x) {
  return x;
}

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_fixed<W, I, Q, O, N> fmax(const ap_fixed<W, I, Q, O, N>& x,
                                    const ap_fixed<W, I, Q, O, N>& y) {
  return x > y ? x : y;
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_ufixed<W, I, Q, O, N> fmax(const ap_ufixed<W, I, Q, O, N>& x,
                                     const ap_ufixed<W, I, Q, O, N>& y) {
  return x > y ? x : y;
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_fixed<W, I, Q, O, N> fmin(const ap_fixed<W, I, Q, O, N>& x,
                                    const ap_fixed<W, I, Q, O, N>& y) {
  return x < y ? x : y;
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline ap_ufixed<W, I, Q, O, N> fmin(const ap_ufixed<W, I, Q, O, N>& x,
                                     const ap_ufixed<W, I, Q, O, N>& y) {
  return x < y ? x : y;
}

// Fused multiply-add.
inline float fma(float x, float y, float z) { return std::fma(x, y, z); }
inline double fma(double x, double y, double z) { return std::fma(x, y, z); }
inline float fmaf(float x, float y, float z) { return std::fma(x, y, z); }

// Classification.
inline bool isnan(float x) { return std::isnan(x); }
inline bool isnan(double x) { return std::isnan(x); }
inline bool isinf(float x) { return std::isinf(x); }
inline bool isinf(double x) { return std::isinf(x); }
inline bool isfinite(float x) { return std::isfinite(x); }
inline bool isfinite(double x) { return std::isfinite(x); }
inline bool signbit(float x) { return std::signbit(x); }
inline bool signbit(double x) { return std::signbit(x); }

}  // namespace hls

#endif  // LLMHLS_HLS_MATH_H
