// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-synthesizable)' 2>&1 | filecheck %s

// math.cbrt is an op of a dialect llmhls prints, but the op table has no row for it: llmhls
// can neither print nor price it, so the verifier rejects it (it is never costed 0).
// CHECK: error: op 'math.cbrt' on f32 (from aten.pow in module 'blk') has no row in llmhls's op table (passes/analysis/op_table.py): llmhls can neither print nor price it
// CHECK-NOT: Traceback
func.func @cube_root(%a: memref<4xf32>) {
  affine.for %i = 0 to 4 {
    %v = affine.load %a[%i] : memref<4xf32>
    %r = math.cbrt %v : f32 loc("blk:pow")
    affine.store %r, %a[%i] : memref<4xf32>
  }
  return
}
