// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// Constant memref.globals become file-scope `static const` flat arrays named
// const_<symbol>, shape in a comment, eight values per line. Floats print as
// f32 literals with enough digits to round-trip (-0.0 and NaN/inf included).
// CHECK: static const float const_weights[6] = {  // [2][3]
// CHECK-NEXT: 1.0f, -2.5f, 0.100000001f, 3.00000001e+38f, 0.0f, -0.0f
// CHECK-NEXT: };
//
// i1 globals are bool arrays (one value per element, not bit-packed).
// CHECK: static const bool const_mask[10] = {  // [2][5]
// CHECK-NEXT: true, false, true, true, false, false, false, true,
// CHECK-NEXT: false, true
// CHECK-NEXT: };
//
// i64 values keep their full width.
// CHECK: static const int64_t const_ids[3] = {  // [3]
// CHECK-NEXT: 0, -7, 9000000000
// CHECK-NEXT: };
//
// A splat is expanded to every element; a rank-0 global is a one-element array.
// CHECK: static const float const_fill[4] = {  // [2][2]
// CHECK-NEXT: 0.5f, 0.5f, 0.5f, 0.5f
// CHECK: static const float const_scalar[1] = {  // [1]
// CHECK-NEXT: 2.0f
// CHECK: static const float const_special[3] = {  // [3]
// CHECK-NEXT: NAN, -INFINITY, 1.0f
//
// f64 values keep their fraction (printed as C double literals).
// CHECK: static const double const_wide[2] = {  // [2]
// CHECK-NEXT: 0.1, -2.0
//
// memref.get_global binds the view to the array: no code, no copy.
// CHECK-LABEL: void use_globals(
// CHECK-NOT: get_global
// CHECK: const float t0 = const_scalar[0];
// CHECK: L_model_linear_mul_0: for (int i0 = 0; i0 < 2; ++i0) {
// CHECK-NEXT: L_model_linear_mul_1: for (int i1 = 0; i1 < 3; ++i1) {
// CHECK-NEXT: const float t1 = const_weights[i0*3 + i1];
// CHECK-NEXT: const bool t2 = const_mask[i0*5 + i1];
// CHECK-NEXT: const int64_t t3 = const_ids[i1];
// CHECK-NEXT: const float t4 = const_fill[i0*3];
// CHECK-NEXT: const double t5 = const_wide[i0];
// CHECK-NEXT: const float t6 = (float)t3;
memref.global "private" constant @weights : memref<2x3xf32> = dense<[[1.0, -2.5, 0.1], [3.0e+38, 0.0, -0.0]]>
memref.global "private" constant @mask : memref<2x5xi1> = dense<[[true, false, true, true, false], [false, false, true, false, true]]>
memref.global "private" constant @ids : memref<3xi64> = dense<[0, -7, 9000000000]>
memref.global "private" constant @fill : memref<2x2xf32> = dense<0.5>
memref.global "private" constant @scalar : memref<f32> = dense<2.0>
memref.global "private" constant @special : memref<3xf32> = dense<[0x7FC00000, 0xFF800000, 1.0]>
memref.global "private" constant @wide : memref<2xf64> = dense<[0.1, -2.0]>
func.func @use_globals(%y: memref<2x3xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %w = memref.get_global @weights : memref<2x3xf32>
  %m = memref.get_global @mask : memref<2x5xi1>
  %ids = memref.get_global @ids : memref<3xi64>
  %f = memref.get_global @fill : memref<2x2xf32>
  %s = memref.get_global @scalar : memref<f32>
  %wide = memref.get_global @wide : memref<2xf64>
  %sv = affine.load %s[] : memref<f32>
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 3 {
      %v = affine.load %w[%i, %j] : memref<2x3xf32>
      %keep = affine.load %m[%i, %j] : memref<2x5xi1>
      %id = affine.load %ids[%j] : memref<3xi64>
      %fv = affine.load %f[%i, %i] : memref<2x2xf32>
      %wv = affine.load %wide[%i] : memref<2xf64>
      %idf = arith.sitofp %id : i64 to f32
      %a = arith.mulf %v, %idf : f32
      %b = arith.addf %a, %fv : f32
      %c = arith.mulf %b, %sv : f32
      %wf = arith.truncf %wv : f64 to f32
      %d = arith.addf %c, %wf : f32
      %r = arith.select %keep, %d, %v : f32
      affine.store %r, %y[%i, %j] : memref<2x3xf32>
    } loc("model.linear:mul")
  } loc("model.linear:mul")
  return
}
