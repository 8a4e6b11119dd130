// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// Array directives print right under the local buffer's declaration, for
// dim 1 of the flat array; a loop's trip count prints with its other pragmas.
// CHECK-LABEL: void directives(
// CHECK: static float mlp_fc[32];  // [4][8]
// CHECK-NEXT: #pragma HLS array_partition variable=mlp_fc cyclic factor=4 dim=1
// CHECK-NEXT: #pragma HLS bind_storage variable=mlp_fc type=ram_2p impl=lutram
// CHECK-NEXT: static float mlp_act[4];  // [4]
// CHECK-NEXT: #pragma HLS array_partition variable=mlp_act complete dim=1
// CHECK-NEXT: static float mlp_out[64];  // [64]
// CHECK-NEXT: #pragma HLS bind_storage variable=mlp_out type=ram_1p impl=uram
// CHECK-NEXT: L_mlp_fc_0: for (int i0 = 0; i0 < 32; i0 += 8) {
// CHECK-NEXT: L_mlp_fc_1: for (int i1 = i0; i1 < std::min(i0 + 8, 30); ++i1) {
// CHECK-NEXT: #pragma HLS pipeline II=1
// CHECK-NEXT: #pragma HLS loop_tripcount min=6 max=8 avg=8
// CHECK-NEXT: const float t0 = x[i1];
// CHECK-NOT: #pragma HLS array_partition
func.func @directives(%x: memref<32xf32> {llmhls.arg = "x", llmhls.role = "input"},
                      %y: memref<32xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %a = memref.alloc() {hlsdf.partition = {kind = "cyclic", factor = 4 : i64},
                       hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<4x8xf32> loc("mlp:fc")
  %b = memref.alloc() {hlsdf.partition = {kind = "complete", factor = 0 : i64}} : memref<4xf32> loc("mlp:act")
  %c = memref.alloc() {hlsdf.bind_storage = {impl = "uram", type = "ram_1p"}} : memref<64xf32> loc("mlp:out")
  affine.for %t = 0 to 32 step 8 {
    affine.for %i = affine_map<(d0) -> (d0)>(%t) to min affine_map<(d0) -> (d0 + 8, 30)>(%t) {
      %v = affine.load %x[%i] : memref<32xf32>
      affine.store %v, %y[%i] : memref<32xf32>
    } {hlsdf.pipeline = {ii = 1 : i64},
       hlsdf.tripcount = {min = 6 : i64, max = 8 : i64, avg = 8 : i64}} loc("mlp:fc")
  } loc("mlp:fc")
  return
}
