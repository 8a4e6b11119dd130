// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// The dialect is closed: an op it does not define is an error, not an opaque op.
// CHECK: error: cannot parse '{{.*}}verify-unknown-op.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): unregistered operation 'hlsdf.stream_peek' found in dialect ('hlsdf') that does not allow unknown operations
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32, 8>) {
  %v = "hlsdf.stream_peek"(%s) : (!hlsdf.stream<f32, 8>) -> f32
  return
}
