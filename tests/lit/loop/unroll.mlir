// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-unroll{factor=5})' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-unroll{factor=0})' | filecheck %s --check-prefix=FULL
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-unroll{factor=2 depth=0})' | filecheck %s --check-prefix=DEPTH
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-unroll{factor=-1})' 2>&1 | filecheck %s --check-prefix=BAD

// factor=5 on 12 iterations becomes 4, the largest divisor of 12 not above
// 5; only innermost loops are marked.
// CHECK-LABEL: func.func @unroll
// CHECK: affine.for %{{.*}} = 0 to 2 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 12 {
// CHECK: } {hlsdf.unroll = {factor = 4 : i64}}
// CHECK-NEXT: }{{$}}
// 7 iterations have no divisor between 2 and 5: not unrolled.
// CHECK: affine.for %{{.*}} = 0 to 7 {
// CHECK: }{{$}}
// 3 iterations are fewer than the factor: fully unrolled.
// CHECK: affine.for %{{.*}} = 0 to 3 {
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
// Inside a pipelined loop Vitis unrolls fully anyway: left unmarked.
// CHECK: affine.for %{{.*}} = 0 to 6 {
// CHECK: }{{$}}
// CHECK-NEXT: } {hlsdf.pipeline = {ii = 1 : i64}}
// FULL-LABEL: func.func @unroll
// FULL: } {hlsdf.unroll = {factor = 0 : i64}}
// FULL-NEXT: }{{$}}
// FULL: } {hlsdf.unroll = {factor = 0 : i64}}
// FULL: } {hlsdf.unroll = {factor = 0 : i64}}
// depth=0 marks the outermost loops: 2 iterations are unrolled fully, 7 and
// 3 have no divisor 2, a pipelined loop may be partially unrolled as well.
// DEPTH-LABEL: func.func @unroll
// DEPTH: affine.for %{{.*}} = 0 to 12 {
// DEPTH: }{{$}}
// DEPTH-NEXT: } {hlsdf.unroll = {factor = 0 : i64}}
// DEPTH: affine.for %{{.*}} = 0 to 7 {
// DEPTH: }{{$}}
// DEPTH: affine.for %{{.*}} = 0 to 3 {
// DEPTH: }{{$}}
// DEPTH: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 2 : i64}}
func.func @unroll(%x: memref<2x12xf32>, %y: memref<7xf32>, %z: memref<4x6xf32>) {
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 12 {
      %0 = affine.load %x[%i, %j] : memref<2x12xf32>
      affine.store %0, %x[%i, %j] : memref<2x12xf32>
    }
  }
  affine.for %i = 0 to 7 {
    %0 = affine.load %y[%i] : memref<7xf32>
    affine.store %0, %y[%i] : memref<7xf32>
  }
  affine.for %i = 0 to 3 {
    %0 = affine.load %y[%i] : memref<7xf32>
    affine.store %0, %y[%i] : memref<7xf32>
  }
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 6 {
      %0 = affine.load %z[%i, %j] : memref<4x6xf32>
      affine.store %0, %z[%i, %j] : memref<4x6xf32>
    }
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}

// BAD: error: hls-loop-unroll option factor must be >= 0, got -1
