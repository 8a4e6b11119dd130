// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-dataflow)' 2>&1 | filecheck %s

// One array reaches a task through two parameters (here two views of %t).
// CHECK: error: dataflow region 'k': channel 't_buf' is passed twice to task 'w2' (give the task one parameter per array)
module {
  func.func private @w2(%a: memref<2xf32>, %b: memref<2xf32, strided<[1], offset: 2>>) attributes {hlsdf.task} {
    %z = arith.constant 0.0 : f32
    affine.for %i = 0 to 2 {
      affine.store %z, %a[%i] : memref<2xf32>
      affine.store %z, %b[%i] : memref<2xf32, strided<[1], offset: 2>>
    }
    return
  }
  func.func private @r(%t: memref<4xf32>, %y: memref<4xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 4 {
      %v = affine.load %t[%i] : memref<4xf32>
      affine.store %v, %y[%i] : memref<4xf32>
    }
    return
  }
  func.func @k(%y: memref<4xf32> {llmhls.arg = "y", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %t = memref.alloc() : memref<4xf32> loc("t:buf")
    %lo = memref.subview %t[0] [2] [1] : memref<4xf32> to memref<2xf32>
    %hi = memref.subview %t[2] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 2>>
    call @w2(%lo, %hi) : (memref<2xf32>, memref<2xf32, strided<[1], offset: 2>>) -> ()
    call @r(%t, %y) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}
