// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-dataflow)' 2>&1 | filecheck %s

// The consumer is called before the producer: it would read what the
// producer writes afterwards (feedback through a channel).
// CHECK: error: dataflow region 'k': channel 't_buf' is read by task 'r' before its producer 'w' writes it (feedback)
module {
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
    %t = memref.alloc() : memref<4xf32> loc("t:buf")
    call @r(%t, %y) : (memref<4xf32>, memref<4xf32>) -> ()
    call @w(%t) : (memref<4xf32>) -> ()
    return
  }
}
