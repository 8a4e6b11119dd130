// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-layout)' | filecheck %s

// Weights hls-weight-layout leaves as they are:
//   last   the innermost counter already walks the last dim
//   view   used through a view (memref.collapse_shape), not only by loads
//   diag   the innermost counter indexes two dims (w[o][o])
//   mixed  one nest walks dim 0, another dim 1: no single layout serves both
//   called passed to a call
//   stored written by the kernel
//   flat   rank 1
//   hoist  loaded outside any loop
//   split  an index that is not linear (floordiv)
//   inp    an input, not a weight (the host writes inputs in PyTorch's layout)
// while `ok`, read like the others, is permuted (so the pass did run).
// CHECK-LABEL: func.func @unchanged
// CHECK-SAME: %arg0: memref<4x8xf32> {llmhls.arg = "last", llmhls.role = "weight"}
// CHECK-SAME: %arg1: memref<8x4xf32> {llmhls.arg = "view", llmhls.role = "weight"}
// CHECK-SAME: %arg2: memref<8x8xf32> {llmhls.arg = "diag", llmhls.role = "weight"}
// CHECK-SAME: %arg3: memref<8x4xf32> {llmhls.arg = "mixed", llmhls.role = "weight"}
// CHECK-SAME: %arg4: memref<8x4xf32> {llmhls.arg = "called", llmhls.role = "weight"}
// CHECK-SAME: %arg5: memref<8x4xf32> {llmhls.arg = "stored", llmhls.role = "weight"}
// CHECK-SAME: %arg6: memref<8xf32> {llmhls.arg = "flat", llmhls.role = "weight"}
// CHECK-SAME: %arg7: memref<8x4xf32> {llmhls.arg = "hoist", llmhls.role = "weight"}
// CHECK-SAME: %arg8: memref<8x4xf32> {llmhls.arg = "split", llmhls.role = "weight"}
// CHECK-SAME: %arg9: memref<8x4xf32> {llmhls.arg = "inp", llmhls.role = "input"}
// CHECK-SAME: %arg10: memref<4x8xf32> {llmhls.arg = "ok", llmhls.layout = array<i64: 1, 0>, llmhls.role = "weight"}
// CHECK: affine.load %arg0[%[[I:.*]], %[[O:.*]]] : memref<4x8xf32>
// CHECK-NEXT: affine.load %arg1[%[[O]], %[[I]]] : memref<8x4xf32>
// CHECK: affine.load %arg10[%[[I]], %[[O]]] : memref<4x8xf32>
// CHECK: return
func.func private @consume(memref<8x4xf32>)
func.func @unchanged(%last: memref<4x8xf32> {llmhls.arg = "last", llmhls.role = "weight"},
                     %view: memref<8x4xf32> {llmhls.arg = "view", llmhls.role = "weight"},
                     %diag: memref<8x8xf32> {llmhls.arg = "diag", llmhls.role = "weight"},
                     %mixed: memref<8x4xf32> {llmhls.arg = "mixed", llmhls.role = "weight"},
                     %called: memref<8x4xf32> {llmhls.arg = "called", llmhls.role = "weight"},
                     %stored: memref<8x4xf32> {llmhls.arg = "stored", llmhls.role = "weight"},
                     %flat: memref<8xf32> {llmhls.arg = "flat", llmhls.role = "weight"},
                     %hoist: memref<8x4xf32> {llmhls.arg = "hoist", llmhls.role = "weight"},
                     %split: memref<8x4xf32> {llmhls.arg = "split", llmhls.role = "weight"},
                     %inp: memref<8x4xf32> {llmhls.arg = "inp", llmhls.role = "input"},
                     %ok: memref<8x4xf32> {llmhls.arg = "ok", llmhls.role = "weight"},
                     %y: memref<8xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %zero = arith.constant 0.0 : f32
  %flat_view = memref.collapse_shape %view [[0, 1]] : memref<8x4xf32> into memref<32xf32>
  %h = affine.load %hoist[0, 0] : memref<8x4xf32>
  affine.store %h, %y[0] : memref<8xf32>
  affine.for %i = 0 to 4 {
    affine.for %o = 0 to 8 {
      %a = affine.load %last[%i, %o] : memref<4x8xf32>
      %b = affine.load %view[%o, %i] : memref<8x4xf32>
      %c = affine.load %diag[%o, %o] : memref<8x8xf32>
      %d = affine.load %mixed[%o, %i] : memref<8x4xf32>
      %e = affine.load %called[%o, %i] : memref<8x4xf32>
      %f = affine.load %stored[%o, %i] : memref<8x4xf32>
      %g = affine.load %flat[%o] : memref<8xf32>
      %s = affine.load %split[%o floordiv 2, %i] : memref<8x4xf32>
      %n = affine.load %inp[%o, %i] : memref<8x4xf32>
      %k = affine.load %ok[%o, %i] : memref<8x4xf32>
      %ab = arith.addf %a, %b : f32
      %cd = arith.addf %c, %d : f32
      %ef = arith.addf %e, %f : f32
      %gs = arith.addf %g, %s : f32
      %t0 = arith.addf %ab, %cd : f32
      %t1 = arith.addf %ef, %gs : f32
      %t2 = arith.addf %t0, %t1 : f32
      %t3 = arith.addf %t2, %n : f32
      %t4 = arith.addf %t3, %k : f32
      affine.store %t4, %y[%o] : memref<8xf32>
    }
  }
  affine.for %o = 0 to 8 {
    affine.for %i = 0 to 4 {
      %d = affine.load %mixed[%o, %i] : memref<8x4xf32>
      affine.store %d, %y[%o] : memref<8xf32>
    }
  }
  affine.for %o = 0 to 8 {
    affine.store %zero, %stored[%o, 0] : memref<8x4xf32>
  }
  func.call @consume(%called) : (memref<8x4xf32>) -> ()
  return
}
