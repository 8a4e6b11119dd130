// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-permute{reuse-min-kib=0})' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-permute)' | filecheck %s --check-prefix=SMALL

// An LM head over 3 rows, its weight read through the interface (a function argument):
// the rows loop goes innermost, fully unrolled, under the vocabulary loop that walks
// the weight, and the weight is read once for all rows, before the rows loop. The
// reduction (k) keeps its place outside, so every sum runs in its original order.
// CHECK-LABEL: func.func @lm_head
// CHECK: affine.for %[[K:.*]] = 0 to 8 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 16 {
// CHECK-NEXT: %[[W:.*]] = affine.load %arg1[%[[J]], %[[K]]] : memref<16x8xf32>
// CHECK-NEXT: affine.for %[[I:.*]] = 0 to 3 {
// CHECK-NEXT: affine.load %arg0[%[[I]], %[[K]]]
// CHECK-NEXT: affine.load %arg2[%[[I]], %[[J]]]
// CHECK-NEXT: arith.mulf %{{.*}}, %[[W]]
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
// Below reuse-min-kib (512 by default, -O2 passes what it buffers on chip) the same
// weight is small enough to keep on chip: the unit-stride order, nothing unrolled.
// SMALL-LABEL: func.func @lm_head
// SMALL: affine.for %{{.*}} = 0 to 3 {
// SMALL-NEXT: affine.for %{{.*}} = 0 to 8 {
// SMALL-NEXT: affine.for %{{.*}} = 0 to 16 {
// SMALL-NOT: hlsdf.unroll
// SMALL: return
func.func @lm_head(%a: memref<3x8xf32>, %w: memref<16x8xf32>, %c: memref<3x16xf32>) {
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 16 {
      affine.for %k = 0 to 8 {
        %x = affine.load %a[%i, %k] : memref<3x8xf32>
        %y = affine.load %w[%j, %k] : memref<16x8xf32>
        %z = affine.load %c[%i, %j] : memref<3x16xf32>
        %m = arith.mulf %x, %y : f32
        %s = arith.addf %z, %m : f32
        affine.store %s, %c[%i, %j] : memref<3x16xf32>
      }
    }
  }
  return
}

// The largest interface buffer decides: here the activation (3x64) outweighs the
// weight (4x64), so the 4 output columns share each activation read across them.
// CHECK-LABEL: func.func @largest_shared
// CHECK: affine.for %[[K:.*]] = 0 to 64 {
// CHECK-NEXT: affine.for %[[I:.*]] = 0 to 3 {
// CHECK-NEXT: affine.load %arg0[%[[I]], %[[K]]] : memref<3x64xf32>
// CHECK-NEXT: affine.for %{{.*}} = 0 to 2 {
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
func.func @largest_shared(%a: memref<3x64xf32>, %w: memref<2x64xf32>, %c: memref<3x2xf32>) {
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 2 {
      affine.for %k = 0 to 64 {
        %x = affine.load %a[%i, %k] : memref<3x64xf32>
        %y = affine.load %w[%j, %k] : memref<2x64xf32>
        %z = affine.load %c[%i, %j] : memref<3x2xf32>
        %m = arith.mulf %x, %y : f32
        %s = arith.addf %z, %m : f32
        affine.store %s, %c[%i, %j] : memref<3x2xf32>
      }
    }
  }
  return
}

// A weight on chip (an alloc) is cheap to read again: the unit-stride rule alone,
// the reduction outward and the vocabulary loop innermost, nothing unrolled.
// CHECK-LABEL: func.func @on_chip
// CHECK: affine.for %{{.*}} = 0 to 3 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 8 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 16 {
// CHECK-NOT: hlsdf.unroll
// CHECK: return
func.func @on_chip(%a: memref<3x8xf32>, %c: memref<3x16xf32>) {
  %w = memref.alloc() : memref<16x8xf32>
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 16 {
      affine.for %k = 0 to 8 {
        %x = affine.load %a[%i, %k] : memref<3x8xf32>
        %y = affine.load %w[%j, %k] : memref<16x8xf32>
        %z = affine.load %c[%i, %j] : memref<3x16xf32>
        %m = arith.mulf %x, %y : f32
        %s = arith.addf %z, %m : f32
        affine.store %s, %c[%i, %j] : memref<3x16xf32>
      }
    }
  }
  return
}

// More rows than REUSE_MAX_TRIPS (16): no loop is short enough to unroll.
// CHECK-LABEL: func.func @many_rows
// CHECK-NOT: hlsdf.unroll
// CHECK: return
func.func @many_rows(%a: memref<32x8xf32>, %w: memref<16x8xf32>, %c: memref<32x16xf32>) {
  affine.for %i = 0 to 32 {
    affine.for %j = 0 to 16 {
      affine.for %k = 0 to 8 {
        %x = affine.load %a[%i, %k] : memref<32x8xf32>
        %y = affine.load %w[%j, %k] : memref<16x8xf32>
        %z = affine.load %c[%i, %j] : memref<32x16xf32>
        %m = arith.mulf %x, %y : f32
        %s = arith.addf %z, %m : f32
        affine.store %s, %c[%i, %j] : memref<32x16xf32>
      }
    }
  }
  return
}
