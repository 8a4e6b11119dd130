// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// The stream depth is an integer.
// CHECK: error: cannot parse '{{.*}}verify-stream-depth-kind.mlir' as MLIR: loc("-":[[# @LINE + 2]]:{{[0-9]+}}): expected base attribute 'builtin.integer' but got 'builtin.string'
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32, "deep">) {
  return
}
