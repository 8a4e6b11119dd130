// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-results-to-args)' | llmhls-translate --emit-hlscpp | filecheck %s

// The `module:op` name locations set at import survive llmhls-opt when it prints
// debug info, so loops and buffers keep their PyTorch names through a pipeline.
// File locations are not names: the unnamed loop gets the generic label.
// CHECK: void relu(
// CHECK: L_act_relu_0: for (int i0 = 0; i0 < 8; ++i0) {
// CHECK: L_loop_0: for (int i0 = 0; i0 < 8; ++i0) {
func.func @relu(%x: memref<8xf32> {llmhls.arg = "x", llmhls.role = "input"}) -> (memref<8xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<8xf32> loc("act:relu")
  affine.for %i = 0 to 8 {
    %v = affine.load %x[%i] : memref<8xf32>
    %r = arith.maximumf %v, %zero : f32
    affine.store %r, %y[%i] : memref<8xf32>
  } loc("act:relu")
  affine.for %i = 0 to 8 {
    %v = affine.load %y[%i] : memref<8xf32>
    %d = arith.addf %v, %v : f32
    affine.store %d, %y[%i] : memref<8xf32>
  } loc("model.py":12:3)
  return %y : memref<8xf32>
}
