// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// affine.apply / affine.min / affine.max bind `int` temporaries (several
// results of min/max fold into nested std::min/std::max calls); a constant
// symbol operand prints as its value.
// CHECK-LABEL: void gather(
// CHECK: L_gather_index_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: L_gather_index_1: for (int i1 = 0; i1 < 7; ++i1) {
// CHECK-NEXT: const int t0 = i1*2 + 1 + 1;
// CHECK-NEXT: const int t1 = std::min(i1 + 3, 7);
// CHECK-NEXT: const int t2 = std::max(std::max(i1 - 2, 0), i0);
//
// memref.load / memref.store take SSA indices: the flat offset is the
// row-major linearization of the index values.
// CHECK-NEXT: const float t3 = x[i0*16 + t0];
// CHECK-NEXT: y[i0*8 + t1] = t3;
//
// floordiv / mod / ceildiv map onto C integer division (indices are non-negative).
// CHECK-NEXT: const int t4 = t2 / 2 + t2 % 3 + (t2 + 4 - 1) / 4;
//
// affine.load folds its map into the offset: x[i + 1][2 * j] starts one
// 16-element row later.
// CHECK-NEXT: const float t5 = x[i0*16 + i1*2 + 16];
// CHECK-NEXT: y[i0*8 + t4] = t5;
// CHECK-NEXT: }
// CHECK-NEXT: }
#shift = affine_map<(d0)[s0] -> (d0 * 2 + s0 + 1)>
#clamp = affine_map<(d0) -> (d0 + 3, 7)>
func.func @gather(%x: memref<4x16xf32> {llmhls.arg = "x", llmhls.role = "input"},
                  %y: memref<4x8xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %c1 = arith.constant 1 : index
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 7 {
      %col = affine.apply #shift(%j)[%c1]
      %hi = affine.min #clamp(%j)
      %lo = affine.max affine_map<(d0, d1) -> (d0 - 2, 0, d1)>(%j, %i)
      %v = memref.load %x[%i, %col] : memref<4x16xf32>
      memref.store %v, %y[%i, %hi] : memref<4x8xf32>
      %d = affine.apply affine_map<(d0) -> (d0 floordiv 2 + d0 mod 3 + d0 ceildiv 4)>(%lo)
      %w = affine.load %x[%i + 1, %j * 2] : memref<4x16xf32>
      memref.store %w, %y[%i, %d] : memref<4x8xf32>
    } loc("gather:index")
  } loc("gather:index")
  return
}

// affine.linearize_index (a cumsum along a collapsed dim lowers to it): the
// row-major offset of its indices in the basis; `disjoint` changes nothing.
// CHECK-LABEL: void flatten(
// CHECK: const int t0 = i0 * 3 + i1;
// CHECK-NEXT: const int t1 = i1 * 5 + i0;
// CHECK-NEXT: const float t2 = x[t0];
// CHECK-NEXT: y[t1] = t2;
func.func @flatten(%x: memref<6xf32> {llmhls.arg = "x", llmhls.role = "input"},
                   %y: memref<15xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 3 {
      %flat = affine.linearize_index disjoint [%i, %j] by (2, 3) : index
      %outer = affine.linearize_index [%j, %i] by (5) : index
      %v = memref.load %x[%flat] : memref<6xf32>
      memref.store %v, %y[%outer] : memref<15xf32>
    } loc("flatten:rows")
  } loc("flatten:rows")
  return
}
