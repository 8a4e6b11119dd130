// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-synthesizable)' 2>&1 | filecheck %s

// The op table has fp32 rows for arith.addf; an f64 add (left when hls-f64-to-f32 did not
// run) has no row for its dtype and is rejected, naming the op, the dtype and its origin.
// CHECK: error: op 'arith.addf' on f64 (from aten.add in module 'norm') has no row in llmhls's op table
// CHECK-NOT: Traceback
func.func @add64(%a: memref<4xf64>) {
  affine.for %i = 0 to 4 {
    %v = affine.load %a[%i] : memref<4xf64>
    %s = arith.addf %v, %v : f64 loc("norm:add")
    affine.store %s, %a[%i] : memref<4xf64>
  }
  return
}
