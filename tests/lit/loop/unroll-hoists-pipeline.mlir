// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-unroll{factor=0})' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-unroll{factor=2})' | filecheck %s --check-prefix=PARTIAL

// A pipelined loop unrolled fully leaves Vitis no loop to pipeline: a loop flattened
// with k enclosing loops hands its pipeline to its parent, flattened with the k - 1
// above it; one without a flattened band keeps its unroll alone.
// CHECK-LABEL: func.func @hoist
// CHECK: affine.for %{{.*}} = 0 to 2 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 3 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 4 {
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
// CHECK-NEXT: } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
// CHECK-NEXT: }{{$}}
// CHECK: affine.for %{{.*}} = 0 to 5 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 6 {
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
// CHECK-NEXT: } {hlsdf.pipeline = {ii = 2 : i64}}
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
// CHECK-NEXT: return
// A partial unroll keeps the pipeline where it is (Vitis pipelines the unrolled loop).
// PARTIAL-LABEL: func.func @hoist
// PARTIAL: } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 2 : i64}}
// PARTIAL: } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 2 : i64}, hlsdf.unroll = {factor = 2 : i64}}
// PARTIAL: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 2 : i64}}
func.func @hoist(%x: memref<2x3x4xf32>, %y: memref<5x6xf32>, %z: memref<8xf32>) {
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 3 {
      affine.for %k = 0 to 4 {
        %0 = affine.load %x[%i, %j, %k] : memref<2x3x4xf32>
        affine.store %0, %x[%i, %j, %k] : memref<2x3x4xf32>
      } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
  }
  affine.for %i = 0 to 5 {
    affine.for %j = 0 to 6 {
      %0 = affine.load %y[%i, %j] : memref<5x6xf32>
      affine.store %0, %y[%i, %j] : memref<5x6xf32>
    } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 2 : i64}}
  }
  affine.for %i = 0 to 8 {
    %0 = affine.load %z[%i] : memref<8xf32>
    affine.store %0, %z[%i] : memref<8xf32>
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}
