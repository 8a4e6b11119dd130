// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s

// The producer writes %t row by row, the consumer reads it column by column
// (a transpose): each element is read once, but not in the order written, so
// %t stays a buffer. The copy into %u is in order on both sides and becomes
// a stream, so the pass looks at each buffer on its own.
// CHECK-LABEL: func.func private @k_task1_transpose
// CHECK-SAME: %arg0: memref<4x8xf32>
// CHECK-SAME: %arg1: !hlsdf.stream<f32, 3 : i64>
// CHECK: affine.load %arg0[%{{.*}}, %{{.*}}] : memref<4x8xf32>
// CHECK: func.func @k
// CHECK-NEXT: memref.alloc() : memref<4x8xf32>
// CHECK-NEXT: call @k_task0_copy
// CHECK-NEXT: "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 3 : i64>
module {
  func.func private @k_task0_copy(%x: memref<4x8xf32>, %t: memref<4x8xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 4 {
      affine.for %j = 0 to 8 {
        %v = affine.load %x[%i, %j] : memref<4x8xf32>
        affine.store %v, %t[%i, %j] : memref<4x8xf32>
      }
    }
    return
  }
  func.func private @k_task1_transpose(%t: memref<4x8xf32>, %u: memref<8x4xf32>) attributes {hlsdf.task} {
    affine.for %j = 0 to 8 {
      affine.for %i = 0 to 4 {
        %v = affine.load %t[%i, %j] : memref<4x8xf32>
        affine.store %v, %u[%j, %i] : memref<8x4xf32>
      }
    }
    return
  }
  func.func private @k_task2_out(%u: memref<8x4xf32>, %y: memref<8x4xf32>) attributes {hlsdf.task} {
    affine.for %j = 0 to 8 {
      affine.for %i = 0 to 4 {
        %v = affine.load %u[%j, %i] : memref<8x4xf32>
        affine.store %v, %y[%j, %i] : memref<8x4xf32>
      }
    }
    return
  }
  func.func @k(%x: memref<4x8xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<8x4xf32> {llmhls.arg = "y", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %t = memref.alloc() : memref<4x8xf32>
    call @k_task0_copy(%x, %t) : (memref<4x8xf32>, memref<4x8xf32>) -> ()
    %u = memref.alloc() : memref<8x4xf32>
    call @k_task1_transpose(%t, %u) : (memref<4x8xf32>, memref<8x4xf32>) -> ()
    call @k_task2_out(%u, %y) : (memref<8x4xf32>, memref<8x4xf32>) -> ()
    return
  }
}
