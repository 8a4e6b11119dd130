// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-results-to-args, hls-f64-to-f32, hls-copies-to-loops, hls-drop-asserts, canonicalize, cse)' | filecheck %s --check-prefix=IR
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-results-to-args, hls-f64-to-f32, hls-copies-to-loops, hls-drop-asserts, canonicalize, cse)' | llmhls-translate --emit-hlscpp | filecheck %s

// The whole legalize pipeline on an imported-style function: returned memrefs
// become output arguments, f64 becomes f32, the copy of a returned input
// becomes a loop nest, the runtime assert (on a loaded value, so canonicalize
// cannot fold it) goes away with the load it needed.
// IR-LABEL: func.func @norm
// IR-SAME: llmhls.role = "input"
// IR-SAME: llmhls.arg = "y", {{[^}]*}}llmhls.role = "output"
// IR-SAME: llmhls.arg = "x_copy", {{[^}]*}}llmhls.role = "output"
// IR-NOT: f64
// IR-NOT: cf.assert
// IR-NOT: arith.cmpf
// IR-NOT: memref.copy
// IR: return{{$}}
//
// The result is HLS C++: the outputs are trailing non-const pointers.
// CHECK-LABEL: void norm(
// CHECK-NEXT: const float* x,
// CHECK-NEXT: float* y,
// CHECK-NEXT: float* x_copy
// CHECK-NEXT: ) {
// CHECK: #pragma HLS INTERFACE m_axi port=y offset=slave bundle=gmem_out depth=8
// CHECK: #pragma HLS INTERFACE m_axi port=x_copy offset=slave bundle=gmem_out depth=8
// CHECK-NOT: double
// CHECK-NOT: assert
//
// The f64 scratch buffer is now a static float array; the f64 epsilon an f32
// literal.
// CHECK: static float [[VAR:[A-Za-z0-9_]+]][8];  // [2][4]
// CHECK: const float [[X:t[0-9]+]] = x[i0*4 + i1];
// CHECK-NEXT: const float [[S:t[0-9]+]] = [[X]] + 9.99999975e-06f;
// CHECK-NEXT: [[VAR]][i0*4 + i1] = [[S]];
//
// The buffer that was returned is the output pointer itself (no copy).
// CHECK: const float [[V:t[0-9]+]] = [[VAR]][i0*4 + i1];
// CHECK-NEXT: const float [[R:t[0-9]+]] = hls::rsqrt([[V]]);
// CHECK-NEXT: y[i0*4 + i1] = [[R]];
//
// The returned input is copied element by element.
// CHECK: const float [[C:t[0-9]+]] = x[i0*4 + i1];
// CHECK-NEXT: x_copy[i0*4 + i1] = [[C]];
func.func @norm(%x: memref<2x4xf32> {llmhls.arg = "x", llmhls.name = "x", llmhls.role = "input"})
    -> (memref<2x4xf32> {llmhls.arg = "y", llmhls.name = "y", llmhls.role = "output"},
        memref<2x4xf32> {llmhls.arg = "x_copy", llmhls.name = "x_copy", llmhls.role = "output"}) {
  %eps = arith.constant 1.0e-05 : f64
  %c0 = arith.constant 0 : index
  %first = memref.load %x[%c0, %c0] : memref<2x4xf32>
  %ok = arith.cmpf ord, %first, %first : f32
  cf.assert %ok, "input is NaN"
  %var = memref.alloc() : memref<2x4xf64> loc("ln:var")
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 4 {
      %v = affine.load %x[%i, %j] : memref<2x4xf32>
      %w = arith.extf %v : f32 to f64
      %s = arith.addf %w, %eps : f64
      affine.store %s, %var[%i, %j] : memref<2x4xf64>
    } loc("ln:var")
  } loc("ln:var")
  %y = memref.alloc() : memref<2x4xf32> loc("ln:rsqrt")
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 4 {
      %s = affine.load %var[%i, %j] : memref<2x4xf64>
      %t = arith.truncf %s : f64 to f32
      %r = math.rsqrt %t : f32
      affine.store %r, %y[%i, %j] : memref<2x4xf32>
    } loc("ln:rsqrt")
  } loc("ln:rsqrt")
  return %y, %x : memref<2x4xf32>, memref<2x4xf32>
}
