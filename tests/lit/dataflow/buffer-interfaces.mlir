// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-buffer-interfaces{max-kib=1})' | filecheck %s

// Inputs/weights up to max-kib are burst-read into a local buffer first; the
// output is computed on chip and burst-written at the end. The 2 KiB weight
// stays off chip (m_axi) and is read in place.
// CHECK-LABEL: func.func @scale
// CHECK: %[[XB:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: affine.for %[[I:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 8 {
// CHECK-NEXT: %[[V:.*]] = affine.load %arg0[%[[I]], %[[J]]]
// CHECK-NEXT: affine.store %[[V]], %[[XB]][%[[I]], %[[J]]]
// CHECK: %[[YB:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK-NOT: memref.alloc
// CHECK: affine.load %[[XB]]
// CHECK: affine.load %arg1
// CHECK: affine.store %{{.*}}, %[[YB]]
// CHECK: affine.load %[[YB]]
// CHECK-NEXT: affine.store %{{.*}}, %arg2
// CHECK: return
func.func @scale(%x: memref<4x8xf32> {llmhls.arg = "x", llmhls.role = "input"},
                 %w: memref<64x8xf32> {llmhls.arg = "w", llmhls.role = "weight"},
                 %y: memref<4x8xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %a = affine.load %x[%i, %j] : memref<4x8xf32>
      %b = affine.load %w[%i, %j] : memref<64x8xf32>
      %c = arith.mulf %a, %b : f32
      affine.store %c, %y[%i, %j] : memref<4x8xf32>
    }
  }
  return
}
