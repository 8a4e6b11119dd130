// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s

// The consumer reads each element twice (x * x as two loads): a FIFO hands
// out every element once, so %t stays a buffer.
// CHECK-NOT: hlsdf.stream
// CHECK: func.func @k
// CHECK-NEXT: memref.alloc() : memref<16xf32>
// CHECK-NOT: hlsdf.stream
module {
  func.func private @k_task0_copy(%x: memref<16xf32>, %t: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %t[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task1_square(%t: memref<16xf32>, %y: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %a = affine.load %t[%i] : memref<16xf32>
      %b = affine.load %t[%i] : memref<16xf32>
      %m = arith.mulf %a, %b : f32
      affine.store %m, %y[%i] : memref<16xf32>
    }
    return
  }
  func.func @k(%x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<16xf32> {llmhls.arg = "y", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %t = memref.alloc() : memref<16xf32>
    call @k_task0_copy(%x, %t) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task1_square(%t, %y) : (memref<16xf32>, memref<16xf32>) -> ()
    return
  }
}
