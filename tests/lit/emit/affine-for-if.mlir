// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// A loop tiled by hand: the tile loop steps by 4, the point loop runs from the
// tile start to min(start + 4, 10), so the last tile is the partial one.
// CHECK-LABEL: void tiled(
// CHECK: int n{{$}}
// CHECK: L_blk_tile_0: for (int i0 = 0; i0 < 10; i0 += 4) {
// CHECK-NEXT: L_blk_tile_1: for (int i1 = i0; i1 < std::min(i0 + 4, 10); ++i1) {
// CHECK-NEXT: const float t0 = x[i1];
// CHECK-NEXT: y[i1] = t0;
//
// affine.if: each constraint of the integer set is one C comparison with 0,
// joined by &&; the else region is an else branch.
// CHECK-NEXT: if (i1 - 2 >= 0 && -i0 + 9 >= 0 && i1 - i0 == 0) {
// CHECK-NEXT: y[i1] = 0.0f;
// CHECK-NEXT: } else {
// CHECK-NEXT: y[i1] = 1.0f;
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: }
//
// A max lower bound folds into std::max, a min upper bound into std::min, and
// the step is the increment.
// CHECK: L_blk_halo_0: for (int i0 = 0; i0 < 8; i0 += 4) {
// CHECK-NEXT: L_blk_halo_1: for (int i1 = std::max(0, i0 - 3); i1 < std::min(i0 + 4, 6); i1 += 2) {
//
// A symbol operand of the set (a function argument) and an if without else.
// CHECK: if (i0 - n >= 0) {
// CHECK-NEXT: y[i0] = 0.0f;
// CHECK-NEXT: }
// CHECK-NOT: else
// CHECK: }
#tile_ub = affine_map<(d0) -> (d0 + 4, 10)>
#corner = affine_set<(d0, d1) : (d0 - 2 >= 0, 9 - d1 >= 0, d0 - d1 == 0)>
func.func @tiled(%x: memref<10xf32> {llmhls.arg = "x", llmhls.role = "input"},
                 %y: memref<10xf32> {llmhls.arg = "y", llmhls.role = "output"},
                 %n: index {llmhls.arg = "n"}) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  affine.for %t = 0 to 10 step 4 {
    affine.for %i = affine_map<(d0) -> (d0)>(%t) to min #tile_ub(%t) {
      %v = affine.load %x[%i] : memref<10xf32>
      affine.store %v, %y[%i] : memref<10xf32>
      affine.if #corner(%i, %t) {
        affine.store %zero, %y[%i] : memref<10xf32>
      } else {
        affine.store %one, %y[%i] : memref<10xf32>
      }
    } loc("blk:tile")
  } loc("blk:tile")
  affine.for %r = 0 to 8 step 4 {
    affine.for %j = max affine_map<(d0) -> (0, d0 - 3)>(%r) to min affine_map<(d0) -> (d0 + 4, 6)>(%r) step 2 {
      %v = affine.load %x[%j] : memref<10xf32>
      affine.store %v, %y[%j] : memref<10xf32>
    } loc("blk:halo")
  } loc("blk:halo")
  affine.for %k = 0 to 10 {
    affine.if affine_set<(d0)[s0] : (d0 - s0 >= 0)>(%k)[%n] {
      affine.store %zero, %y[%k] : memref<10xf32>
    }
  } loc("blk:mask")
  return
}
