// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-banks{banks=2})' | filecheck %s --check-prefix=TWO
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-banks)' | filecheck %s --check-prefix=EACH
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-banks{banks=2})' | llmhls-translate --emit-hlscpp | filecheck %s --check-prefix=CPP
// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s --check-prefix=DEFAULT
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-banks{banks=-1})' 2>&1 | filecheck %s --check-prefix=BAD

// Weights of 64, 256, 128 and 256 bytes. Largest first (ties in argument
// order): b (256) -> gmem_w0, d (256) -> gmem_w1, c (128) -> the least
// filled, a tie at 256 going to gmem_w0, a (64) -> gmem_w1 (320 < 384).
// Inputs and outputs keep their role's bundle.
// TWO-LABEL: func.func @banks
// TWO-SAME: {llmhls.arg = "a", llmhls.bundle = "gmem_w1", llmhls.role = "weight"}
// TWO-SAME: {llmhls.arg = "b", llmhls.bundle = "gmem_w0", llmhls.role = "weight"}
// TWO-SAME: {llmhls.arg = "c", llmhls.bundle = "gmem_w0", llmhls.role = "weight"}
// TWO-SAME: {llmhls.arg = "d", llmhls.bundle = "gmem_w1", llmhls.role = "weight"}
// TWO-SAME: {llmhls.arg = "x", llmhls.role = "input"}

// banks=0: one bundle per weight, numbered largest first.
// EACH-LABEL: func.func @banks
// EACH-SAME: {llmhls.arg = "a", llmhls.bundle = "gmem_w3", llmhls.role = "weight"}
// EACH-SAME: {llmhls.arg = "b", llmhls.bundle = "gmem_w0", llmhls.role = "weight"}
// EACH-SAME: {llmhls.arg = "c", llmhls.bundle = "gmem_w2", llmhls.role = "weight"}
// EACH-SAME: {llmhls.arg = "d", llmhls.bundle = "gmem_w1", llmhls.role = "weight"}

// The emitter prints llmhls.bundle; without it, the role's bundle.
// CPP: #pragma HLS INTERFACE m_axi port=a offset=slave bundle=gmem_w1 depth=16 max_widen_bitwidth=512
// CPP: #pragma HLS INTERFACE m_axi port=b offset=slave bundle=gmem_w0 depth=64 max_widen_bitwidth=512
// CPP: #pragma HLS INTERFACE m_axi port=c offset=slave bundle=gmem_w0 depth=32 max_widen_bitwidth=512
// CPP: #pragma HLS INTERFACE m_axi port=d offset=slave bundle=gmem_w1 depth=64 max_widen_bitwidth=512
// CPP: #pragma HLS INTERFACE m_axi port=x offset=slave bundle=gmem_in depth=16 max_widen_bitwidth=512
// CPP: #pragma HLS INTERFACE m_axi port=y offset=slave bundle=gmem_out depth=16 max_widen_bitwidth=512
// DEFAULT: #pragma HLS INTERFACE m_axi port=a offset=slave bundle=gmem_w depth=16 max_widen_bitwidth=512
// DEFAULT: #pragma HLS INTERFACE m_axi port=d offset=slave bundle=gmem_w depth=64 max_widen_bitwidth=512

// BAD: error: hls-weight-banks banks must be >= 0, got -1
func.func @banks(%a: memref<16xf32> {llmhls.arg = "a", llmhls.role = "weight"},
                 %b: memref<4x16xf32> {llmhls.arg = "b", llmhls.role = "weight"},
                 %c: memref<32xf32> {llmhls.arg = "c", llmhls.role = "weight"},
                 %d: memref<64xf32> {llmhls.arg = "d", llmhls.role = "weight"},
                 %x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
                 %y: memref<16xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 16 {
    %va = affine.load %a[%i] : memref<16xf32>
    %vb = affine.load %b[0, %i] : memref<4x16xf32>
    %vc = affine.load %c[%i] : memref<32xf32>
    %vd = affine.load %d[%i] : memref<64xf32>
    %vx = affine.load %x[%i] : memref<16xf32>
    %s0 = arith.addf %va, %vb : f32
    %s1 = arith.addf %vc, %vd : f32
    %s2 = arith.addf %s0, %s1 : f32
    %s3 = arith.addf %s2, %vx : f32
    affine.store %s3, %y[%i] : memref<16xf32>
  }
  return
}
