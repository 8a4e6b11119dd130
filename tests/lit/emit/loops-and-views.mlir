// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// Interfaces: one m_axi bundle per role plus s_axilite control.
// CHECK: void scale_rows(
// CHECK-NEXT: const float* x,
// CHECK-NEXT: float* y
// CHECK: #pragma HLS INTERFACE m_axi port=x offset=slave bundle=gmem_in depth=12
// CHECK: #pragma HLS INTERFACE m_axi port=y offset=slave bundle=gmem_out depth=12
// CHECK: #pragma HLS INTERFACE s_axilite port=return bundle=control
//
// Local buffers are static flat arrays named after their op; loops are labelled.
// CHECK: static float mlp_mul[12];  // [3][4]
// CHECK: L_mlp_mul_0: for (int i0 = 0; i0 < 3; ++i0) {
// CHECK-NEXT: L_mlp_mul_1: for (int i1 = 0; i1 < 4; ++i1) {
// CHECK-NEXT: const float t0 = x[i0*4 + i1];
// CHECK-NEXT: const float t1 = t0 * 2.0f;
// CHECK-NEXT: mlp_mul[i0*4 + i1] = t1;
//
// A reshape is a free alias: the collapsed view indexes the same storage.
// CHECK: L_mlp_view_0: for (int i0 = 0; i0 < 12; ++i0) {
// CHECK-NEXT: const float t2 = mlp_mul[i0];
// CHECK-NEXT: const float t3 = hls::exp(t2);
// CHECK-NEXT: y[i0] = t3;
func.func @scale_rows(%x: memref<3x4xf32> {llmhls.arg = "x", llmhls.role = "input"},
                      %y: memref<12xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %c2 = arith.constant 2.0 : f32
  %buf = memref.alloc() : memref<3x4xf32> loc("mlp:mul")
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 4 {
      %v = affine.load %x[%i, %j] : memref<3x4xf32>
      %w = arith.mulf %v, %c2 : f32
      affine.store %w, %buf[%i, %j] : memref<3x4xf32>
    } loc("mlp:mul")
  } loc("mlp:mul")
  %flat = memref.collapse_shape %buf [[0, 1]] : memref<3x4xf32> into memref<12xf32>
  affine.for %k = 0 to 12 {
    %v = affine.load %flat[%k] : memref<12xf32>
    %e = math.exp %v : f32
    affine.store %e, %y[%k] : memref<12xf32>
  } loc("mlp:view")
  return
}
