// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-flatten)' | filecheck %s

// A GEMV with the reduction outside (y[j] += x[k] * W[k][j]): y is stored at
// one injective offset, x and W only read, so the k loop flattens into the
// pipelined j loop and the pipeline fills once instead of 16 times.
// CHECK-LABEL: func.func @gemv
// CHECK: affine.for
// CHECK: affine.for
// CHECK: } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
func.func @gemv(%x: memref<16xf32>, %w: memref<16x8xf32> {llmhls.role = "weight"}, %y: memref<8xf32>) {
  affine.for %k = 0 to 16 {
    affine.for %j = 0 to 8 {
      %0 = affine.load %x[%k] : memref<16xf32>
      %1 = affine.load %w[%k, %j] : memref<16x8xf32>
      %2 = affine.load %y[%j] : memref<8xf32>
      %3 = arith.mulf %0, %1 : f32
      %4 = arith.addf %2, %3 : f32
      affine.store %4, %y[%j] : memref<8xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
  }
  return
}

// Three levels: both outer loops join (levels = 2).
// CHECK-LABEL: func.func @three_levels
// CHECK: hlsdf.flatten = {levels = 2 : i64}
func.func @three_levels(%a: memref<2x3x4xf32>, %b: memref<2x3x4xf32>) {
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 3 {
      affine.for %k = 0 to 4 {
        %0 = affine.load %a[%i, %j, %k] : memref<2x3x4xf32>
        affine.store %0, %b[%i, %j, %k] : memref<2x3x4xf32>
      } {hlsdf.pipeline = {ii = 1 : i64}}
    }
  }
  return
}

// Work between the loops (the nest is not perfect): no flattening.
// CHECK-LABEL: func.func @imperfect
// CHECK-NOT: hlsdf.flatten
// CHECK: return
func.func @imperfect(%a: memref<4x4xf32>, %s: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 4 {
    affine.store %zero, %s[%i] : memref<4xf32>
    affine.for %j = 0 to 4 {
      %0 = affine.load %a[%i, %j] : memref<4x4xf32>
      %1 = affine.load %s[%i] : memref<4xf32>
      %2 = arith.addf %0, %1 : f32
      affine.store %2, %s[%i] : memref<4xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
  }
  return
}

// A stored buffer read at another offset (a[i][j] = a[i-1][j] + 1, a scan over
// rows): the iterations are not independent sweeps, so the nest stays as it is.
// CHECK-LABEL: func.func @shifted_read
// CHECK-NOT: hlsdf.flatten
// CHECK: return
func.func @shifted_read(%a: memref<5x4xf32>) {
  %one = arith.constant 1.0 : f32
  affine.for %i = 1 to 5 {
    affine.for %j = 0 to 4 {
      %0 = affine.load %a[%i - 1, %j] : memref<5x4xf32>
      %1 = arith.addf %0, %one : f32
      affine.store %1, %a[%i, %j] : memref<5x4xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
  }
  return
}

// An outer loop with its own unroll directive ends the band.
// CHECK-LABEL: func.func @unrolled_outer
// CHECK-NOT: hlsdf.flatten
// CHECK: return
func.func @unrolled_outer(%a: memref<4x4xf32>, %b: memref<4x4xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 4 {
      %0 = affine.load %a[%i, %j] : memref<4x4xf32>
      affine.store %0, %b[%i, %j] : memref<4x4xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
  } {hlsdf.unroll = {factor = 2 : i64}}
  return
}
