// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.stream_create takes no operands: element type and depth are in the type.
// CHECK: error: cannot parse '{{.*}}verify-create-operands.mlir' as MLIR: loc("-":[[# @LINE + 4]]:{{[0-9]+}}): op expects exactly 0 operands, but got 1
// CHECK-NOT: Traceback
func.func @f() {
  %depth = arith.constant 8 : index
  %s = "hlsdf.stream_create"(%depth) : (index) -> !hlsdf.stream<f32, 8>
  return
}
