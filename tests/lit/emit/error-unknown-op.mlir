// RUN: not llmhls-translate --emit-hlscpp %s 2>&1 | filecheck %s

// A linalg op left over (the lowering to affine did not run) is an op the
// emitter does not know: one error line with the op name and its origin.
// CHECK: error: cannot emit op 'linalg.fill' (from aten.zeros in module 'mlp.fc1') as HLS C++
// CHECK-NOT: Traceback
func.func @fill(%y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4xf32>) loc("mlp.fc1:zeros")
  return
}
