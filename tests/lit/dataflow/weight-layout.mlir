// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-layout)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-layout, hls-weight-layout)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-layout)' | llmhls-translate --emit-hlscpp | filecheck %s --check-prefix=CPP

// A GEMV after hls-loop-permute: the output loop %o is innermost and walks
// dim 0 of w (a 4-element stride), so w is stored transposed: its type becomes
// 4x8, the load indexes [%i, %o] (unit stride), and llmhls.layout = [1, 0]
// says stored = original.permute(1, 0). w2's two loads both walk dim 0 with
// their innermost counter (coefficient -1 in one, through an affine.if in the
// other): both maps follow. w3 (rank 3) walks dim 0; the other dims keep
// their order: perm [1, 2, 0].
// CHECK-LABEL: func.func @gemv
// CHECK-SAME: %arg0: memref<4x8xf32> {llmhls.arg = "w", llmhls.layout = array<i64: 1, 0>, llmhls.role = "weight"}
// CHECK-SAME: %arg1: memref<4x8xf32> {llmhls.arg = "w2", llmhls.layout = array<i64: 1, 0>, llmhls.role = "weight"}
// CHECK-SAME: %arg2: memref<3x4x2xf32> {llmhls.arg = "w3", llmhls.layout = array<i64: 1, 2, 0>, llmhls.role = "weight"}
// CHECK-SAME: %arg3: memref<4xf32> {llmhls.arg = "x", llmhls.role = "input"}
// CHECK: affine.for %[[I:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[O:.*]] = 0 to 8 {
// CHECK-NEXT: affine.load %arg0[%[[I]], %[[O]]] : memref<4x8xf32>
// CHECK: affine.load %arg1[%[[I]], -%[[O]] + 7] : memref<4x8xf32>
// CHECK: affine.for %[[I2:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[O2:.*]] = 0 to 8 {
// CHECK-NEXT: affine.if
// CHECK-NEXT: affine.load %arg1[%[[I2]], %[[O2]]] : memref<4x8xf32>
// CHECK: affine.for %[[B:.*]] = 0 to 3 {
// CHECK-NEXT: affine.for %[[C:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[A:.*]] = 0 to 2 {
// CHECK-NEXT: affine.load %arg2[%[[B]], %[[C]], %[[A]]] : memref<3x4x2xf32>
// CHECK: return

// Running the pass again changes nothing (the loads already walk the last dim).
// The emitted kernel reads the transposed weight with unit stride.
// CPP: #pragma HLS INTERFACE m_axi port=w offset=slave bundle=gmem_w depth=32 max_widen_bitwidth=512
// CPP: L_loop_0: for (int i0 = 0; i0 < 4; ++i0) {
// CPP-NEXT: L_loop_1: for (int i1 = 0; i1 < 8; ++i1) {
// CPP-NEXT: const float t0 = w[i0*8 + i1];
// CPP-NEXT: const float t1 = w2[i0*8 - i1 + 7];
func.func @gemv(%w: memref<8x4xf32> {llmhls.arg = "w", llmhls.role = "weight"},
                %w2: memref<8x4xf32> {llmhls.arg = "w2", llmhls.role = "weight"},
                %w3: memref<2x3x4xf32> {llmhls.arg = "w3", llmhls.role = "weight"},
                %x: memref<4xf32> {llmhls.arg = "x", llmhls.role = "input"},
                %y: memref<8xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 4 {
    affine.for %o = 0 to 8 {
      %a = affine.load %w[%o, %i] : memref<8x4xf32>
      %r = affine.load %w2[7 - %o, %i] : memref<8x4xf32>
      %b = affine.load %x[%i] : memref<4xf32>
      %c = affine.load %y[%o] : memref<8xf32>
      %m = arith.mulf %a, %b : f32
      %n = arith.mulf %m, %r : f32
      %s = arith.addf %c, %n : f32
      affine.store %s, %y[%o] : memref<8xf32>
    }
  }
  affine.for %i = 0 to 4 {
    affine.for %o = 0 to 8 {
      affine.if affine_set<(d0) : (d0 - 2 >= 0)>(%o) {
        %a = affine.load %w2[%o, %i] : memref<8x4xf32>
        affine.store %a, %y[%o] : memref<8xf32>
      }
    }
  }
  affine.for %b = 0 to 3 {
    affine.for %c = 0 to 4 {
      affine.for %a = 0 to 2 {
        %v = affine.load %w3[%a, %b, %c] : memref<2x3x4xf32>
        affine.store %v, %y[%a * 4 + %b] : memref<8xf32>
      }
    }
  }
  return
}
