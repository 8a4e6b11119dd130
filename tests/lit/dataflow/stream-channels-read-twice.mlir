// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s

// The consumer reads each element twice (x * x as two loads): a FIFO hands
// out every element once, so %t stays a buffer.
// Positive control in the same region: %u has one in-order writer and one in-order
// reader, so it becomes a FIFO (these checks fail if the pass does not run), while
// %t keeps its buffer and its tasks keep memref parameters.
// CHECK-LABEL: func.func private @k_task0
// CHECK-NOT: hlsdf.stream
// CHECK-LABEL: func.func private @k_task8_copy_u
// CHECK-SAME: !hlsdf.stream<f32, 16 : i64>
// CHECK-LABEL: func.func @k(
// CHECK-DAG: memref.alloc() : memref<16xf32>
// CHECK-DAG: "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 16 : i64>
// CHECK-NOT: memref.alloc
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
  func.func private @k_task8_copy_u(%x: memref<16xf32>, %u: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %u[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task9_out_u(%u: memref<16xf32>, %z: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %u[%i] : memref<16xf32>
      affine.store %v, %z[%i] : memref<16xf32>
    }
    return
  }
  func.func @k(%x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<16xf32> {llmhls.arg = "y", llmhls.role = "output"},
               %z: memref<16xf32> {llmhls.arg = "z", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %u = memref.alloc() : memref<16xf32>
    call @k_task8_copy_u(%x, %u) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task9_out_u(%u, %z) : (memref<16xf32>, memref<16xf32>) -> ()
    %t = memref.alloc() : memref<16xf32>
    call @k_task0_copy(%x, %t) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task1_square(%t, %y) : (memref<16xf32>, memref<16xf32>) -> ()
    return
  }
}
