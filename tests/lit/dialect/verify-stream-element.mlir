// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// A stream carries scalars or vectors, not whole buffers.
// CHECK: error: cannot parse '{{.*}}verify-stream-element.mlir' as MLIR: loc("-":[[# @LINE + 2]]:{{[0-9]+}}): 'memref<4xf32>' does not satisfy the constraint
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<memref<4xf32>, 8>) {
  return
}
