// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-dataflow)' 2>&1 | filecheck %s

// A channel must be local to the region: a global array written by a task
// is state shared across calls (what a C++ static array would be).
// CHECK: error: dataflow region 'k': channel 'state' is a global (static) array written by task 'w'; channels must be local to the region
module {
  memref.global "private" @state : memref<4xf32> = uninitialized
  func.func private @w(%t: memref<4xf32>) attributes {hlsdf.task} {
    %z = arith.constant 0.0 : f32
    affine.for %i = 0 to 4 {
      affine.store %z, %t[%i] : memref<4xf32>
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
    %t = memref.get_global @state : memref<4xf32>
    call @w(%t) : (memref<4xf32>) -> ()
    call @r(%t, %y) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}
