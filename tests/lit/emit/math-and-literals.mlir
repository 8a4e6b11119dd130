// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// math.* and float min/max ops call the hls:: math library (Vitis maps these
// to its cores; llmhls's hls_math.h backs them with <cmath> for C-simulation).
// CHECK-LABEL: void math(
// CHECK: L_mlp_act_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: const float t0 = x[i0];
// CHECK-NEXT: const float t1 = hls::exp(t0);
// CHECK-NEXT: const float t2 = hls::log(t1);
// CHECK-NEXT: const float t3 = hls::tanh(t2);
// CHECK-NEXT: const float t4 = hls::erf(t3);
// CHECK-NEXT: const float t5 = hls::fabs(t4);
// CHECK-NEXT: const float t6 = hls::sqrt(t5);
// CHECK-NEXT: const float t7 = hls::rsqrt(t6);
//
// fpowi: the integer exponent is cast to the float type for hls::pow.
// CHECK-NEXT: const float t8 = hls::pow(t7, (float)3);
// CHECK-NEXT: const float t9 = hls::pow(t8, 0.333333343f);
//
// Infinities and NaN have no C literal: they print as <cmath>'s INFINITY and NAN.
// CHECK-NEXT: const float t10 = hls::fmax(t9, -INFINITY);
// CHECK-NEXT: const float t11 = hls::fmin(t10, INFINITY);
// CHECK-NEXT: const float t12 = t11 + NAN;
//
// Finite literals keep the nine significant digits that round-trip an f32,
// with an `f` suffix; whole numbers keep a `.0`.
// CHECK-NEXT: const float t13 = t12 * 1e-30f;
// CHECK-NEXT: const float t14 = t13 / 3.40282347e+38f;
// CHECK-NEXT: const float t15 = t14 - 1024.0f;
// CHECK-NEXT: const float t16 = t15 * -0.0f;
// CHECK-NEXT: y[i0] = t16;
func.func @math(%x: memref<4xf32> {llmhls.arg = "x", llmhls.role = "input"},
                %y: memref<4xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %ninf = arith.constant 0xFF800000 : f32
  %inf = arith.constant 0x7F800000 : f32
  %nan = arith.constant 0x7FC00000 : f32
  %tiny = arith.constant 1.0e-30 : f32
  %big = arith.constant 3.40282347e+38 : f32
  %third = arith.constant 0.333333343 : f32
  %k = arith.constant 1024.0 : f32
  %negzero = arith.constant -0.0 : f32
  %c3 = arith.constant 3 : i32
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %e = math.exp %v : f32
    %l = math.log %e : f32
    %t = math.tanh %l : f32
    %f = math.erf %t : f32
    %a = math.absf %f : f32
    %s = math.sqrt %a : f32
    %r = math.rsqrt %s : f32
    %p = math.fpowi %r, %c3 : f32, i32
    %pw = math.powf %p, %third : f32
    %mx = arith.maximumf %pw, %ninf : f32
    %mn = arith.minimumf %mx, %inf : f32
    %n = arith.addf %mn, %nan : f32
    %m = arith.mulf %n, %tiny : f32
    %d = arith.divf %m, %big : f32
    %o = arith.subf %d, %k : f32
    %z = arith.mulf %o, %negzero : f32
    affine.store %z, %y[%i] : memref<4xf32>
  } loc("mlp:act")
  return
}
