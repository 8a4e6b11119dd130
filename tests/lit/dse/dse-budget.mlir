// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-buffer-interfaces, hls-loop-pipeline, hls-dse{max-dsp=12})' | filecheck %s --check-prefix=TIGHT
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-buffer-interfaces, hls-loop-pipeline, hls-dse)' | filecheck %s --check-prefix=FREE
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-dse{objective=power})' 2>&1 | filecheck %s --check-prefix=BAD

// An element-wise multiply-add: every unrolled copy costs one fmul and one
// fadd (5 DSP). With 12 DSP the search stops at 2 copies; unconstrained it
// unrolls the 64-iteration loop by the largest factor tried (64 = full), and a
// fully unrolled loop keeps no pipeline: its copies are straight-line code.
// hls-buffer-interfaces gives x, y and z on-chip copies (burst loops in and out),
// which the search then partitions to serve the unrolled copies.
// TIGHT-COUNT-2: memref.alloc() {{.*}}hlsdf.partition
// TIGHT: affine.for %{{.*}} = 0 to 64 {
// TIGHT: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 2 : i64}}
// TIGHT: affine.store %{{.*}}, %arg2
// FREE-COUNT-2: memref.alloc() {{.*}}hlsdf.partition
// FREE: } {hlsdf.unroll = {factor = 0 : i64}}
// FREE: affine.store %{{.*}}, %arg2
// BAD: error: hls-dse objective must be latency or interval, got 'power'
func.func @axpy(%x: memref<64xf32> {llmhls.arg = "x", llmhls.role = "input"},
                %y: memref<64xf32> {llmhls.arg = "y", llmhls.role = "input"},
                %z: memref<64xf32> {llmhls.arg = "z", llmhls.role = "output"}) {
  %a = arith.constant 3.0 : f32
  affine.for %i = 0 to 64 {
    %u = affine.load %x[%i] : memref<64xf32>
    %v = affine.load %y[%i] : memref<64xf32>
    %m = arith.mulf %u, %a : f32
    %s = arith.addf %m, %v : f32
    affine.store %s, %z[%i] : memref<64xf32>
  }
  return
}
