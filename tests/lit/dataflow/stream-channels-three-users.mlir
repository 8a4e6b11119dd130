// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s

// %t is read by two consumers: an hls::stream has exactly one reader, so %t
// stays a buffer (each consumer would otherwise take half of the elements).
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
  func.func private @k_task1_first(%t: memref<16xf32>, %y: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %t[%i] : memref<16xf32>
      affine.store %v, %y[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task2_second(%t: memref<16xf32>, %z: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %t[%i] : memref<16xf32>
      affine.store %v, %z[%i] : memref<16xf32>
    }
    return
  }
  func.func @k(%x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<16xf32> {llmhls.arg = "y", llmhls.role = "output"},
               %z: memref<16xf32> {llmhls.arg = "z", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %t = memref.alloc() : memref<16xf32>
    call @k_task0_copy(%x, %t) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task1_first(%t, %y) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task2_second(%t, %z) : (memref<16xf32>, memref<16xf32>) -> ()
    return
  }
}
