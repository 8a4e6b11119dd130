// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// The stream type has two parameters: element type and depth.
// CHECK: error: cannot parse '{{.*}}verify-stream-depth-missing.mlir' as MLIR: loc("-":[[# @LINE + 2]]:{{[0-9]+}}): expected 2 type arguments, but had 1
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32>) {
  return
}
