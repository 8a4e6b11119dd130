// Unit test of the ap_fixed / ap_ufixed overloads in llmhls's hls_math.h:
// result types, accuracy against <cmath> (within one LSB of the type),
// float-vs-double evaluation by width, saturation, and exact fabs/fmax/fmin.
#include "check.h"
#include "hls_math.h"

#include <ap_fixed.h>

#include <cmath>
#include <cstdio>
#include <type_traits>


typedef ap_fixed<16, 6> fx16;                     // AP_TRN, AP_WRAP: LSB 2^-10
typedef ap_fixed<16, 6, AP_RND, AP_SAT> fx16sat;  // range [-32, 32 - 2^-10]
typedef ap_ufixed<12, 4> ufx12;                   // LSB 2^-8
typedef ap_fixed<48, 24> fx48;                    // LSB 2^-24: needs double evaluation
typedef ap_fixed<64, 32> fx64;

template <typename T>
static double lsb() {
  return std::ldexp(1.0, -(T::width - T::iwidth));
}

// Largest value of a signed fixed-point type.
template <typename T>
static double type_max() {
  return std::ldexp(1.0, T::iwidth - 1) - lsb<T>();
}

// hls::f(x) must be within one LSB of ref(x) wherever ref(x) is representable.
template <typename T>
static void check_unary(const char* name, T (*fn)(const T&), double (*ref)(double), double lo,
                        double hi) {
  const double step = (hi - lo) / 200.0;
  for (int i = 0; i <= 200; ++i) {
    const T x = T(lo + step * i);
    const double want = ref(x.to_double());
    if (!std::isfinite(want) || std::fabs(want) > 30.0) continue;
    const double got = fn(x).to_double();
    if (std::fabs(got - want) > lsb<T>()) {
      std::fprintf(stderr, "%s(%.9g) = %.9g, want %.9g (+- %.3g)\n", name, x.to_double(), got,
                   want, lsb<T>());
      ++failures;
    }
  }
}

static double ref_exp(double x) { return std::exp(x); }
static double ref_log(double x) { return std::log(x); }
static double ref_sqrt(double x) { return std::sqrt(x); }
static double ref_rsqrt(double x) { return 1.0 / std::sqrt(x); }
static double ref_recip(double x) { return 1.0 / x; }
static double ref_erf(double x) { return std::erf(x); }
static double ref_tanh(double x) { return std::tanh(x); }
static double ref_sin(double x) { return std::sin(x); }
static double ref_cos(double x) { return std::cos(x); }
static double ref_floor(double x) { return std::floor(x); }
static double ref_ceil(double x) { return std::ceil(x); }
static double ref_round(double x) { return std::round(x); }

int main() {
  // Fixed-point arguments give results of the same fixed-point type.
  static_assert(std::is_same<decltype(hls::exp(fx16())), fx16>::value, "exp(ap_fixed)");
  static_assert(std::is_same<decltype(hls::rsqrt(fx16sat())), fx16sat>::value, "rsqrt(sat)");
  static_assert(std::is_same<decltype(hls::sqrt(ufx12())), ufx12>::value, "sqrt(ap_ufixed)");
  static_assert(std::is_same<decltype(hls::pow(fx16(), fx16())), fx16>::value, "pow(ap_fixed)");
  static_assert(std::is_same<decltype(hls::fmax(fx64(), fx64())), fx64>::value, "fmax(ap_fixed)");
  static_assert(std::is_same<decltype(hls::fabs(fx16())), fx16>::value, "fabs(ap_fixed)");
  static_assert(std::is_same<hls::llmhls_detail::fixed_eval<24>::type, float>::value, "W<=24");
  static_assert(std::is_same<hls::llmhls_detail::fixed_eval<25>::type, double>::value, "W>24");

  check_unary<fx16>("exp", &hls::exp, &ref_exp, -8.0, 3.0);
  check_unary<fx16>("log", &hls::log, &ref_log, 0.01, 31.0);
  check_unary<fx16>("sqrt", &hls::sqrt, &ref_sqrt, 0.0, 31.0);
  check_unary<fx16>("rsqrt", &hls::rsqrt, &ref_rsqrt, 0.05, 31.0);
  check_unary<fx16>("recip", &hls::recip, &ref_recip, 0.05, 31.0);
  check_unary<fx16>("erf", &hls::erf, &ref_erf, -4.0, 4.0);
  check_unary<fx16>("tanh", &hls::tanh, &ref_tanh, -8.0, 8.0);
  check_unary<fx16>("sin", &hls::sin, &ref_sin, -6.0, 6.0);
  check_unary<fx16>("cos", &hls::cos, &ref_cos, -6.0, 6.0);
  check_unary<fx16sat>("exp", &hls::exp, &ref_exp, -8.0, 3.0);
  check_unary<fx16sat>("floor", &hls::floor, &ref_floor, -20.0, 20.0);
  check_unary<fx16sat>("ceil", &hls::ceil, &ref_ceil, -20.0, 20.0);
  check_unary<fx16sat>("round", &hls::round, &ref_round, -20.0, 20.0);
  check_unary<ufx12>("sqrt", &hls::sqrt, &ref_sqrt, 0.0, 15.0);
  check_unary<ufx12>("exp", &hls::exp, &ref_exp, 0.0, 2.5);

  // Exact known results.
  CHECK(hls::sqrt(ufx12(2.25)) == ufx12(1.5));
  CHECK(hls::rsqrt(fx16(4.0)) == fx16(0.5));
  CHECK(hls::recip(fx16(-8.0)) == fx16(-0.125));
  CHECK(hls::pow(fx16(1.5), fx16(2.0)) == fx16(2.25));
  CHECK(hls::round(fx16sat(-2.5)) == fx16sat(-3.0));
  CHECK(hls::atan2(fx16(1.0), fx16(1.0)).to_double() - std::atan(1.0) < lsb<fx16>());

  // Saturating types saturate on overflow, including a float overflow to +inf.
  CHECK(hls::exp(fx16sat(20.0)).to_double() == type_max<fx16sat>());
  typedef ap_fixed<24, 8, AP_TRN, AP_SAT> fx24sat;
  CHECK(hls::exp(fx24sat(100.0)).to_double() == type_max<fx24sat>());  // expf(100) == inf
  CHECK(hls::exp(fx24sat(-100.0)).to_double() == 0.0);

  // Wide types are evaluated in double: float would be off by ~2e-5 here.
  {
    const fx48 x(123456.789);
    const double want = std::sqrt(x.to_double());
    CHECK(std::fabs(hls::sqrt(x).to_double() - want) <= lsb<fx48>());
    const double want_log = std::log(x.to_double());
    CHECK(std::fabs(hls::log(x).to_double() - want_log) <= lsb<fx48>());
  }

  // fabs / fmax / fmin are exact for values that neither float nor double can hold.
  {
    fx64 big = fx64(1 << 30);
    big += fx64(std::ldexp(1.0, -31));  // 2^30 + 2^-31 needs 62 significant bits
    const fx64 neg = -big;
    CHECK(hls::fabs(neg) == big);
    CHECK(hls::abs(neg) == big);
    CHECK(hls::fabs(big) == big);
    const fx64 just_below = big - fx64(std::ldexp(1.0, -32));
    CHECK(hls::fmax(big, just_below) == big);
    CHECK(hls::fmax(just_below, big) == big);
    CHECK(hls::fmin(big, just_below) == just_below);
    CHECK(hls::fmin(neg, big) == neg);
    CHECK(hls::fabs(ufx12(3.5)) == ufx12(3.5));
    CHECK(hls::fmax(ufx12(1.0), ufx12(2.0)) == ufx12(2.0));
  }

  // A typical kernel expression: softmax numerator on a widened difference type.
  {
    const fx16 x(1.25), m(2.0);
    const auto e = hls::exp(x - m);  // ap_fixed<17, 7>
    CHECK(std::fabs(e.to_double() - std::exp(-0.75)) <= std::ldexp(1.0, -10));
  }

  return finish("test_hls_math_fixed");
}
