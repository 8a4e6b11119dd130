// RUN: not llmhls-translate --emit-hlscpp %s 2>&1 | filecheck %s

// An op the emitter does not know is one error line naming the op and its origin.
// CHECK: error: cannot emit op 'math.cbrt' (from aten.pow in module 'blk') as HLS C++
// CHECK-NOT: Traceback
func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) {
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %c = math.cbrt %v : f32 loc("blk:pow")
    affine.store %c, %y[%i] : memref<4xf32>
  }
  return
}
