// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s

// The producer fills %t and then adds to it in place (a second loop nest
// loads and stores it again): elements written twice and read back cannot
// go through a FIFO, so %t stays a buffer.
// CHECK-NOT: hlsdf.stream
// CHECK: func.func @k
// CHECK-NEXT: memref.alloc() : memref<16xf32>
// CHECK-NOT: hlsdf.stream
module {
  func.func private @k_task0_fill_add(%x: memref<16xf32>, %t: memref<16xf32>) attributes {hlsdf.task} {
    %one = arith.constant 1.0 : f32
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %t[%i] : memref<16xf32>
    }
    affine.for %i = 0 to 16 {
      %v = affine.load %t[%i] : memref<16xf32>
      %a = arith.addf %v, %one : f32
      affine.store %a, %t[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task1_out(%t: memref<16xf32>, %y: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %t[%i] : memref<16xf32>
      affine.store %v, %y[%i] : memref<16xf32>
    }
    return
  }
  func.func @k(%x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<16xf32> {llmhls.arg = "y", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %t = memref.alloc() : memref<16xf32>
    call @k_task0_fill_add(%x, %t) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task1_out(%t, %y) : (memref<16xf32>, memref<16xf32>) -> ()
    return
  }
}
