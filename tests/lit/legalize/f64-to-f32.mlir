// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-f64-to-f32, canonicalize)' | filecheck %s

// LayerNorm-style variance in f64 becomes f32; the casts disappear.
// CHECK-LABEL: func.func @variance
// CHECK-NOT: f64
// CHECK: arith.constant 9.99999974E-6 : f32
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
func.func @variance(%x: memref<4xf32>, %y: memref<4xf32>) {
  %eps = arith.constant 1.0e-05 : f64
  %tmp = memref.alloc() : memref<4xf64>
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %w = arith.extf %v : f32 to f64
    %s = arith.addf %w, %eps : f64
    affine.store %s, %tmp[%i] : memref<4xf64>
  }
  affine.for %i = 0 to 4 {
    %s = affine.load %tmp[%i] : memref<4xf64>
    %t = arith.truncf %s : f64 to f32
    affine.store %t, %y[%i] : memref<4xf32>
  }
  return
}
