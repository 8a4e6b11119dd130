// Unit test of llmhls's hls_math.h for float, double and integral arguments:
// every function is checked against <cmath> (or its definition) on a grid,
// and the overload result types are checked at compile time.
#include "check.h"
#include "hls_math.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

#if !defined(LLMHLS_HLS_MATH_H) || defined(X_HLS_MATH_H)
#error "hls_math.h must resolve to llmhls's copy, not hls4ml's"
#endif


static void expect_close(const char* what, double got, double want, double x, double rel) {
  bool ok;
  if (std::isnan(want)) {
    ok = std::isnan(got);
  } else if (std::isinf(want)) {
    ok = got == want;
  } else {
    ok = std::fabs(got - want) <= rel * std::fmax(1.0, std::fabs(want));
  }
  if (!ok) {
    std::fprintf(stderr, "%s(%.9g) = %.9g, want %.9g\n", what, x, got, want);
    ++failures;
  }
}

struct UnaryCase {
  const char* name;
  float (*hls_f)(float);
  float (*hls_ff)(float);  // the `f`-suffixed spelling
  double (*hls_d)(double);
  double (*ref)(double);
  double lo, hi;
};

static double ref_rsqrt(double x) { return 1.0 / std::sqrt(x); }
static double ref_recip(double x) { return 1.0 / x; }
static double ref_exp10(double x) { return std::pow(10.0, x); }
static double ref_exp(double x) { return std::exp(x); }
static double ref_exp2(double x) { return std::exp2(x); }
static double ref_expm1(double x) { return std::expm1(x); }
static double ref_log(double x) { return std::log(x); }
static double ref_log2(double x) { return std::log2(x); }
static double ref_log10(double x) { return std::log10(x); }
static double ref_log1p(double x) { return std::log1p(x); }
static double ref_sqrt(double x) { return std::sqrt(x); }
static double ref_cbrt(double x) { return std::cbrt(x); }
static double ref_erf(double x) { return std::erf(x); }
static double ref_erfc(double x) { return std::erfc(x); }
static double ref_tanh(double x) { return std::tanh(x); }
static double ref_sinh(double x) { return std::sinh(x); }
static double ref_cosh(double x) { return std::cosh(x); }
static double ref_sin(double x) { return std::sin(x); }
static double ref_cos(double x) { return std::cos(x); }
static double ref_tan(double x) { return std::tan(x); }
static double ref_asin(double x) { return std::asin(x); }
static double ref_acos(double x) { return std::acos(x); }
static double ref_atan(double x) { return std::atan(x); }
static double ref_floor(double x) { return std::floor(x); }
static double ref_ceil(double x) { return std::ceil(x); }
static double ref_round(double x) { return std::round(x); }
static double ref_trunc(double x) { return std::trunc(x); }
static double ref_rint(double x) { return std::rint(x); }

// One table row: the float, `f`-suffixed and double overloads of hls::NAME and its reference.
#define UNARY(NAME, LO, HI)                                                                \
  {#NAME, static_cast<float (*)(float)>(&hls::NAME), &hls::NAME##f,                        \
   static_cast<double (*)(double)>(&hls::NAME), &ref_##NAME, LO, HI}

int main() {
  // Overload result types follow <cmath>: float stays float, integers go through double.
  static_assert(std::is_same<decltype(hls::exp(1.0f)), float>::value, "exp(float)");
  static_assert(std::is_same<decltype(hls::exp(1.0)), double>::value, "exp(double)");
  static_assert(std::is_same<decltype(hls::exp(1)), double>::value, "exp(int)");
  static_assert(std::is_same<decltype(hls::rsqrt(2.0f)), float>::value, "rsqrt(float)");
  static_assert(std::is_same<decltype(hls::pow(2.0f, 3)), float>::value, "pow(float, int)");
  static_assert(std::is_same<decltype(hls::pow(2, 3)), double>::value, "pow(int, int)");
  static_assert(std::is_same<decltype(hls::fmax(1.0f, 2.0f)), float>::value, "fmax(float)");
  // Mixed arguments: double wins, but an integer does not widen a float.
  static_assert(std::is_same<decltype(hls::fmax(1.0f, 0.0)), double>::value, "fmax(f, d)");
  static_assert(std::is_same<decltype(hls::fmin(0, 1.0f)), float>::value, "fmin(int, f)");
  static_assert(std::is_same<decltype(hls::pow(2.0, 3)), double>::value, "pow(double, int)");
  static_assert(std::is_same<decltype(hls::atan2(1.0f, 2.0)), double>::value, "atan2(f, d)");

  const UnaryCase cases[] = {
      UNARY(exp, -20.0, 20.0),   UNARY(exp2, -20.0, 20.0),  UNARY(exp10, -8.0, 8.0),
      UNARY(expm1, -5.0, 5.0),   UNARY(log, 1e-3, 1e4),     UNARY(log2, 1e-3, 1e4),
      UNARY(log10, 1e-3, 1e4),   UNARY(log1p, -0.9, 1e3),   UNARY(sqrt, 0.0, 1e4),
      UNARY(rsqrt, 1e-3, 1e4),   UNARY(cbrt, -1e3, 1e3),    UNARY(recip, 0.01, 100.0),
      UNARY(erf, -4.0, 4.0),     UNARY(erfc, -4.0, 4.0),    UNARY(tanh, -10.0, 10.0),
      UNARY(sinh, -5.0, 5.0),    UNARY(cosh, -5.0, 5.0),    UNARY(sin, -10.0, 10.0),
      UNARY(cos, -10.0, 10.0),   UNARY(tan, -1.5, 1.5),     UNARY(asin, -1.0, 1.0),
      UNARY(acos, -1.0, 1.0),    UNARY(atan, -50.0, 50.0),  UNARY(floor, -7.5, 7.5),
      UNARY(ceil, -7.5, 7.5),    UNARY(round, -7.5, 7.5),   UNARY(trunc, -7.5, 7.5),
      UNARY(rint, -7.5, 7.5),
  };
  const int steps = 257;
  for (const UnaryCase& c : cases) {
    for (int i = 0; i < steps; ++i) {
      const double x = c.lo + (c.hi - c.lo) * i / (steps - 1);
      const float xf = static_cast<float>(x);
      const double want_f = c.ref(static_cast<double>(xf));
      expect_close(c.name, c.hls_f(xf), want_f, xf, 2e-6);
      expect_close(c.name, c.hls_ff(xf), want_f, xf, 2e-6);
      expect_close(c.name, c.hls_d(x), c.ref(x), x, 1e-14);
    }
  }

  // Known values pin the meaning of the Vitis-only names.
  expect_close("rsqrt", hls::rsqrt(4.0f), 0.5, 4.0, 0.0);
  expect_close("recip", hls::recip(8.0f), 0.125, 8.0, 0.0);
  expect_close("exp10", hls::exp10(3.0), 1000.0, 3.0, 1e-15);
  expect_close("round", hls::round(2.5f), 3.0, 2.5, 0.0);  // half away from zero
  expect_close("round", hls::round(-2.5), -3.0, -2.5, 0.0);
  expect_close("rint", hls::rint(2.5), 2.0, 2.5, 0.0);  // half to even
  expect_close("exp(int)", hls::exp(2), std::exp(2.0), 2.0, 0.0);
  expect_close("sqrt(long)", hls::sqrt(16L), 4.0, 16.0, 0.0);

  // Two-argument functions.
  for (int i = -6; i <= 6; ++i) {
    for (int j = -6; j <= 6; ++j) {
      const float a = 0.75f * static_cast<float>(i);
      const float b = 0.5f * static_cast<float>(j);
      expect_close("fmax", hls::fmax(a, b), std::fmax(a, b), a, 0.0);
      expect_close("fminf", hls::fminf(a, b), std::fmin(a, b), a, 0.0);
      expect_close("atan2", hls::atan2(a, b), std::atan2(a, b), a, 2e-6);
      expect_close("hypot", hls::hypot(a, b), std::hypot(a, b), a, 2e-6);
      expect_close("copysign", hls::copysign(a, b), std::copysign(a, b), a, 0.0);
      expect_close("fdim", hls::fdim(a, b), std::fdim(a, b), a, 0.0);
      if (b != 0.0f) expect_close("fmod", hls::fmod(a, b), std::fmod(a, b), a, 0.0);
      if (a > 0.0f) expect_close("powf", hls::powf(a, b), std::pow(a, b), a, 2e-6);
      expect_close("pow(double)", hls::pow(1.5 + i * i, 0.25 * j), std::pow(1.5 + i * i, 0.25 * j),
                   a, 1e-14);
    }
  }
  expect_close("pow(int,int)", hls::pow(2, 10), 1024.0, 2.0, 0.0);
  expect_close("fmax(float,double)", hls::fmax(-1.5f, 0.0), 0.0, -1.5, 0.0);
  expect_close("fmin(int,float)", hls::fmin(3, 2.5f), 2.5, 3.0, 0.0);
  expect_close("pow(float,int)", hls::pow(1.5f, 2), 2.25, 1.5, 0.0);
  expect_close("fmod(double,int)", hls::fmod(7.5, 2), 1.5, 7.5, 0.0);
  expect_close("fma", hls::fma(2.0f, 3.0f, 1.0f), 7.0, 2.0, 0.0);
  expect_close("fabs", hls::fabs(-2.5f), 2.5, -2.5, 0.0);
  expect_close("fabs(int)", hls::fabs(-3), 3.0, -3.0, 0.0);
  expect_close("abs", hls::abs(-0.5), 0.5, -0.5, 0.0);
  expect_close("fmax(nan)", hls::fmax(std::nanf(""), 1.0f), 1.0, 1.0, 0.0);

  // Classification.
  const float inf = std::numeric_limits<float>::infinity();
  if (!hls::isnan(std::nanf("")) || hls::isnan(1.0f) || !hls::isinf(-inf) || hls::isinf(0.0) ||
      hls::isfinite(inf) || !hls::isfinite(1.0) || !hls::signbit(-0.0f) || hls::signbit(0.0)) {
    std::fprintf(stderr, "classification functions disagree with <cmath>\n");
    ++failures;
  }

  return finish("test_hls_math_float");
}
