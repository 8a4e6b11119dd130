// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-permute)' | filecheck %s

// Matmul (i, j, k) with k innermost: k is the reduction loop (C's offset
// does not use it); j is parallel with unit stride on C, so it moves
// innermost: (i, k, j). Bounds move with their counters; the body is
// untouched, so each C[i][j] still accumulates over k in order.
// CHECK-LABEL: func.func @matmul
// CHECK: affine.for %[[I:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[K:.*]] = 0 to 16 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 8 {
// CHECK-NEXT: affine.load %arg0[%[[I]], %[[K]]] : memref<4x16xf32>
// CHECK-NEXT: affine.load %arg1[%[[K]], %[[J]]] : memref<16x8xf32>
// CHECK-NEXT: affine.load %arg2[%[[I]], %[[J]]] : memref<4x8xf32>
// CHECK: affine.store %{{.*}}, %arg2[%[[I]], %[[J]]] : memref<4x8xf32>
// CHECK-NOT: affine.for
// CHECK: return
func.func @matmul(%a: memref<4x16xf32>, %b: memref<16x8xf32>, %c: memref<4x8xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      affine.for %k = 0 to 16 {
        %0 = affine.load %a[%i, %k] : memref<4x16xf32>
        %1 = affine.load %b[%k, %j] : memref<16x8xf32>
        %2 = affine.load %c[%i, %j] : memref<4x8xf32>
        %3 = arith.mulf %0, %1 : f32
        %4 = arith.addf %2, %3 : f32
        affine.store %4, %c[%i, %j] : memref<4x8xf32>
      }
    }
  }
  return
}

// Two parallel loops: the one with unit stride on the stored array goes
// innermost; directive attributes move with their loop.
// CHECK-LABEL: func.func @transposed_walk
// CHECK: affine.for %[[R:.*]] = 0 to 6 {
// CHECK-NEXT: affine.for %[[C:.*]] = 0 to 3 {
// CHECK-NEXT: affine.load %arg0[%[[C]], %[[R]]] : memref<3x6xf32>
// CHECK-NEXT: affine.store %{{.*}}, %arg1[%[[R]], %[[C]]] : memref<6x3xf32>
// CHECK-NEXT: } {hlsdf.unroll = {factor = 3 : i64}}
// CHECK-NEXT: } {hlsdf.unroll = {factor = 2 : i64}}
func.func @transposed_walk(%x: memref<3x6xf32>, %y: memref<6x3xf32>) {
  affine.for %c = 0 to 3 {
    affine.for %r = 0 to 6 {
      %0 = affine.load %x[%c, %r] : memref<3x6xf32>
      affine.store %0, %y[%r, %c] : memref<6x3xf32>
    } {hlsdf.unroll = {factor = 2 : i64}}
  } {hlsdf.unroll = {factor = 3 : i64}}
  return
}

// Already (i, k, j): nothing to do.
// CHECK-LABEL: func.func @already_good
// CHECK: affine.for %[[I:.*]] = 0 to 2 {
// CHECK-NEXT: affine.for %[[K:.*]] = 0 to 5 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 4 {
func.func @already_good(%a: memref<2x5xf32>, %c: memref<2x4xf32>) {
  affine.for %i = 0 to 2 {
    affine.for %k = 0 to 5 {
      affine.for %j = 0 to 4 {
        %0 = affine.load %a[%i, %k] : memref<2x5xf32>
        %1 = affine.load %c[%i, %j] : memref<2x4xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %c[%i, %j] : memref<2x4xf32>
      }
    }
  }
  return
}

// Negative: C[i + j] is the same element for (0, 1) and (1, 0); the offset is
// not injective, so the order of its accumulations would change. Unchanged.
// CHECK-LABEL: func.func @convolution
// CHECK: affine.for %[[I:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 3 {
// CHECK-NEXT: affine.load %arg0[%[[I]]]
func.func @convolution(%x: memref<4xf32>, %w: memref<3xf32>, %c: memref<6xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 3 {
      %0 = affine.load %x[%i] : memref<4xf32>
      %1 = affine.load %w[%j] : memref<3xf32>
      %2 = affine.load %c[%i + %j] : memref<6xf32>
      %3 = arith.mulf %0, %1 : f32
      %4 = arith.addf %2, %3 : f32
      affine.store %4, %c[%i + %j] : memref<6xf32>
    }
  }
  return
}

// Negative: the stored array is read at another element (a wavefront); a
// permutation would read values the original order had not written yet.
// CHECK-LABEL: func.func @wavefront
// CHECK: affine.for %{{.*}} = 1 to 8 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 7 {
func.func @wavefront(%a: memref<8x8xf32>) {
  affine.for %j = 1 to 8 {
    affine.for %i = 0 to 7 {
      %0 = affine.load %a[%j - 1, %i + 1] : memref<8x8xf32>
      affine.store %0, %a[%j, %i] : memref<8x8xf32>
    }
  }
  return
}

// Negative: a call may touch any buffer; the band is left alone.
// CHECK-LABEL: func.func @with_call
// CHECK: affine.for %{{.*}} = 0 to 4 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 8 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 2 {
func.func private @touch(memref<4x8xf32>)
func.func @with_call(%c: memref<4x8xf32>) {
  %cst = arith.constant 1.0 : f32
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      affine.for %k = 0 to 2 {
        %0 = affine.load %c[%i, %j] : memref<4x8xf32>
        %1 = arith.addf %0, %cst : f32
        affine.store %1, %c[%i, %j] : memref<4x8xf32>
        func.call @touch(%c) : (memref<4x8xf32>) -> ()
      }
    }
  }
  return
}

// Negative: every loop is a reduction (a full sum); no parallel loop to move.
// CHECK-LABEL: func.func @full_sum
// CHECK: affine.for %[[I:.*]] = 0 to 3 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 5 {
// CHECK-NEXT: affine.load %arg0[%[[I]], %[[J]]]
func.func @full_sum(%x: memref<3x5xf32>, %s: memref<1xf32>) {
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 5 {
      %0 = affine.load %x[%i, %j] : memref<3x5xf32>
      %1 = affine.load %s[0] : memref<1xf32>
      %2 = arith.addf %0, %1 : f32
      affine.store %2, %s[0] : memref<1xf32>
    }
  }
  return
}

// Negative: the only parallel loop has one iteration (a batch dimension);
// moving it innermost would gain nothing.
// CHECK-LABEL: func.func @batch_of_one
// CHECK: affine.for %{{.*}} = 0 to 1 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 5 {
func.func @batch_of_one(%x: memref<1x5xf32>, %m: memref<1xf32>) {
  affine.for %b = 0 to 1 {
    affine.for %j = 0 to 5 {
      %0 = affine.load %x[%b, %j] : memref<1x5xf32>
      %1 = affine.load %m[%b] : memref<1xf32>
      %2 = arith.maximumf %0, %1 : f32
      affine.store %2, %m[%b] : memref<1xf32>
    }
  }
  return
}
