// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// Directive attributes that passes put on a loop print as HLS pragmas on the
// first line of its body, before any statement; a loop without them gets none.
// CHECK-LABEL: void pipe(
// CHECK: L_mlp_fc_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: L_mlp_fc_1: for (int i1 = 0; i1 < 16; ++i1) {
// CHECK-NEXT: #pragma HLS pipeline II=2
// CHECK-NEXT: const float t0 = x[i0*16 + i1];
//
// A partial unroll by a factor.
// CHECK: L_mlp_act_0: for (int i0 = 0; i0 < 16; ++i0) {
// CHECK-NEXT: #pragma HLS unroll factor=4
// CHECK-NEXT: const float t1 = x[i0];
//
// hlsdf.pipeline without `ii` means II=1; hlsdf.unroll without a factor is a
// full unroll.
// CHECK: L_mlp_out_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: #pragma HLS pipeline II=1
// CHECK-NEXT: const float t3 = x[i0];
// CHECK: L_mlp_copy_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: #pragma HLS unroll{{$}}
// CHECK-NEXT: const float t4 = x[i0];
// CHECK-NOT: #pragma HLS
func.func @pipe(%x: memref<4x16xf32> {llmhls.arg = "x", llmhls.role = "input"},
                %y: memref<4x16xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 16 {
      %v = affine.load %x[%i, %j] : memref<4x16xf32>
      affine.store %v, %y[%i, %j] : memref<4x16xf32>
    } {hlsdf.pipeline = {ii = 2 : i64}} loc("mlp:fc")
  } loc("mlp:fc")
  affine.for %j = 0 to 16 {
    %v = affine.load %x[0, %j] : memref<4x16xf32>
    %w = arith.addf %v, %v : f32
    affine.store %w, %y[0, %j] : memref<4x16xf32>
  } {hlsdf.unroll = {factor = 4 : i64}} loc("mlp:act")
  affine.for %k = 0 to 4 {
    %v = affine.load %x[0, %k] : memref<4x16xf32>
    affine.store %v, %y[1, %k] : memref<4x16xf32>
  } {hlsdf.pipeline = {}} loc("mlp:out")
  affine.for %k = 0 to 4 {
    %v = affine.load %x[0, %k] : memref<4x16xf32>
    affine.store %v, %y[2, %k] : memref<4x16xf32>
  } {hlsdf.unroll = {}} loc("mlp:copy")
  return
}
