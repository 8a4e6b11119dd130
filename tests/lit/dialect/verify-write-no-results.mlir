// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.stream_write produces nothing.
// CHECK: error: cannot parse '{{.*}}verify-write-no-results.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): op expects exactly 0 results, but got 1
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32, 8>, %x: f32) {
  %r = "hlsdf.stream_write"(%s, %x) : (!hlsdf.stream<f32, 8>, f32) -> f32
  return
}
