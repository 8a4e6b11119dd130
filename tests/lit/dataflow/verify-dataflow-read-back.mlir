// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-dataflow)' 2>&1 | filecheck %s

// The task accumulates into the kernel's m_axi output: a read-modify-write of
// off-chip memory in the loop (no burst). Found through the task call.
// CHECK: error: kernel 'k': m_axi output 'y' is read back inside a loop of 'acc' (compute it in an on-chip buffer: hls-buffer-read-back)
module {
  func.func private @acc(%x: memref<4xf32>, %y: memref<4xf32>) attributes {hlsdf.task} {
    affine.for %j = 0 to 4 {
      affine.for %i = 0 to 4 {
        %a = affine.load %x[%j] : memref<4xf32>
        %b = affine.load %y[%i] : memref<4xf32>
        %s = arith.addf %a, %b : f32
        affine.store %s, %y[%i] : memref<4xf32>
      }
    }
    return
  }
  func.func @k(%x: memref<4xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<4xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
    call @acc(%x, %y) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}
