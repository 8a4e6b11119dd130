// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-buffer-read-back)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-buffer-read-back, hls-buffer-interfaces{max-kib=1})' | filecheck %s --check-prefix=ONCE

// A GEMV accumulating straight into its output port: the 64 KiB output `y`
// is read back in the k loop, so it is computed in a local buffer of its
// shape (whatever its size) and written to the port by one copy nest at the
// end. `z` is only written, never read back: it stays on the port.
// CHECK-LABEL: func.func @gemv
// CHECK: %[[YB:.*]] = memref.alloc() : memref<16384xf32>
// CHECK-NOT: memref.alloc
// CHECK: affine.store %{{.*}}, %[[YB]][%{{.*}}]
// CHECK: affine.for
// CHECK: %[[ACC:.*]] = affine.load %[[YB]][%{{.*}}]
// CHECK: affine.store %{{.*}}, %[[YB]][%{{.*}}]
// CHECK: affine.store %{{.*}}, %arg3[%{{.*}}]
// CHECK: affine.for %[[I:.*]] = 0 to 16384 {
// CHECK-NEXT: %[[V:.*]] = affine.load %[[YB]][%[[I]]]
// CHECK-NEXT: affine.store %[[V]], %arg2[%[[I]]]
// CHECK-NEXT: }
// CHECK-NEXT: return
// CHECK-NOT: affine.load %arg2

// hls-buffer-interfaces then leaves `y` alone (it has its buffer) and
// buffers the small `x` and `z` as usual: three allocs, not four.
// ONCE-COUNT-3: memref.alloc()
// ONCE-NOT: memref.alloc()
func.func @gemv(%w: memref<16384x4xf32> {llmhls.arg = "w", llmhls.role = "weight"},
                %x: memref<4xf32> {llmhls.arg = "x", llmhls.role = "input"},
                %y: memref<16384xf32> {llmhls.arg = "y", llmhls.role = "output"},
                %z: memref<4xf32> {llmhls.arg = "z", llmhls.role = "output"}) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 16384 {
    affine.store %zero, %y[%i] : memref<16384xf32>
  }
  affine.for %i = 0 to 16384 {
    affine.for %k = 0 to 4 {
      %a = affine.load %w[%i, %k] : memref<16384x4xf32>
      %b = affine.load %x[%k] : memref<4xf32>
      %acc = affine.load %y[%i] : memref<16384xf32>
      %m = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %m : f32
      affine.store %s, %y[%i] : memref<16384xf32>
    }
  }
  affine.for %k = 0 to 4 {
    %b = affine.load %x[%k] : memref<4xf32>
    %d = arith.addf %b, %b : f32
    affine.store %d, %z[%k] : memref<4xf32>
  }
  return
}
