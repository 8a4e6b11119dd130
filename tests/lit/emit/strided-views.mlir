// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// Views print nothing: a subview, expand_shape or collapse_shape shares the
// storage of its source and its strided layout turns each access into a flat
// offset into that storage.
// CHECK-LABEL: void views(
// CHECK-NOT: subview
// CHECK-NOT: expand_shape
//
// Rows 1..4 of x: memref<4x8xf32, strided<[8, 1], offset: 8>> adds 8.
// CHECK: L_attn_slice_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: L_attn_slice_1: for (int i1 = 0; i1 < 8; ++i1) {
// CHECK-NEXT: const float t0 = x[i0*8 + i1 + 8];
// CHECK-NEXT: y[i0*8 + i1] = t0;
//
// Every other row from (2, 4), split by expand_shape into 2x2x2: strides
// [16, 2, 1] and offset 20 carry through the reshape. A column view has
// stride 8; a slice of the output z is a written view (offset 8).
// CHECK: L_attn_view_0: for (int i0 = 0; i0 < 2; ++i0) {
// CHECK-NEXT: L_attn_view_1: for (int i1 = 0; i1 < 2; ++i1) {
// CHECK-NEXT: L_attn_view_2: for (int i2 = 0; i2 < 2; ++i2) {
// CHECK-NEXT: const float t1 = x[i0*16 + i1*2 + i2 + 20];
// CHECK-NEXT: const float t2 = x[i0*8 + i1*8 + 3];
// CHECK-NEXT: const float t3 = t1 + t2;
// CHECK-NEXT: z[i0*4 + i1*2 + i2 + 8] = t3;
//
// A collapse of a contiguous view keeps its offset: z[1] flattened.
// CHECK: L_attn_flat_0: for (int i0 = 0; i0 < 8; ++i0) {
// CHECK-NEXT: const float t4 = z[i0 + 8];
// CHECK-NEXT: const float t5 = t4 + t4;
// CHECK-NEXT: z[i0 + 8] = t5;
func.func @views(%x: memref<6x8xf32> {llmhls.arg = "x", llmhls.role = "input"},
                 %y: memref<4x8xf32> {llmhls.arg = "y", llmhls.role = "output"},
                 %z: memref<2x2x4xf32> {llmhls.arg = "z", llmhls.role = "output"}) {
  %rows = memref.subview %x[1, 0] [4, 8] [1, 1] : memref<6x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 8>>
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %v = affine.load %rows[%i, %j] : memref<4x8xf32, strided<[8, 1], offset: 8>>
      affine.store %v, %y[%i, %j] : memref<4x8xf32>
    } loc("attn:slice")
  } loc("attn:slice")
  %cols = memref.subview %x[2, 4] [2, 4] [2, 1] : memref<6x8xf32> to memref<2x4xf32, strided<[16, 1], offset: 20>>
  %split = memref.expand_shape %cols [[0], [1, 2]] output_shape [2, 2, 2] : memref<2x4xf32, strided<[16, 1], offset: 20>> into memref<2x2x2xf32, strided<[16, 2, 1], offset: 20>>
  %col = memref.subview %x[0, 3] [6, 1] [1, 1] : memref<6x8xf32> to memref<6xf32, strided<[8], offset: 3>>
  %zv = memref.subview %z[1, 0, 0] [1, 2, 4] [1, 1, 1] : memref<2x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: 8>>
  affine.for %a = 0 to 2 {
    affine.for %b = 0 to 2 {
      affine.for %c = 0 to 2 {
        %v = affine.load %split[%a, %b, %c] : memref<2x2x2xf32, strided<[16, 2, 1], offset: 20>>
        %w = affine.load %col[%a + %b] : memref<6xf32, strided<[8], offset: 3>>
        %s = arith.addf %v, %w : f32
        affine.store %s, %zv[%a, %b * 2 + %c] : memref<2x4xf32, strided<[4, 1], offset: 8>>
      } loc("attn:view")
    } loc("attn:view")
  } loc("attn:view")
  %flat = memref.collapse_shape %zv [[0, 1]] : memref<2x4xf32, strided<[4, 1], offset: 8>> into memref<8xf32, strided<[1], offset: 8>>
  affine.for %k = 0 to 8 {
    %v = affine.load %flat[%k] : memref<8xf32, strided<[1], offset: 8>>
    %d = arith.addf %v, %v : f32
    affine.store %d, %flat[%k] : memref<8xf32, strided<[1], offset: 8>>
  } loc("attn:flat")
  return
}
