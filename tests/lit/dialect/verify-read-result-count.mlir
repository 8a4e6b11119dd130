// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.stream_read has exactly one result.
// CHECK: error: cannot parse '{{.*}}verify-read-result-count.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): op expects exactly 1 results, but got 0
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32, 8>) {
  "hlsdf.stream_read"(%s) : (!hlsdf.stream<f32, 8>) -> ()
  return
}
