// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-array-partition)' | filecheck %s

// The 4 rows of an unrolled row loop, 128 elements apart, in a 512-element buffer: their
// cyclic factor reaches the buffer's size, but a bank a row (block x4) serves them as well
// as 512 registers would. A buffer within max-factor (64) elements still goes to registers.
// CHECK-LABEL: func.func @rows
// CHECK: memref.alloc() {hlsdf.partition = {factor = 4 : i64, kind = "block"}} : memref<4x128xf32>
// CHECK: memref.alloc() {hlsdf.partition = {factor = 0 : i64, kind = "complete"}} : memref<4x16xf32>
func.func @rows(%x: memref<128xf32>, %y: memref<16xf32>) {
  %acc = memref.alloc() : memref<4x128xf32>
  %small = memref.alloc() : memref<4x16xf32>
  affine.for %j = 0 to 128 {
    %0 = affine.load %x[%j] : memref<128xf32>
    affine.for %i = 0 to 4 {
      affine.store %0, %acc[%i, %j] : memref<4x128xf32>
    } {hlsdf.unroll = {factor = 0 : i64}}
  } {hlsdf.pipeline = {ii = 1 : i64}}
  affine.for %j = 0 to 16 {
    %0 = affine.load %y[%j] : memref<16xf32>
    affine.for %i = 0 to 4 {
      affine.store %0, %small[%i, %j] : memref<4x16xf32>
    } {hlsdf.unroll = {factor = 0 : i64}}
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}
