// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-qor-annotate)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-qor-annotate{clock-mhz=150})' | filecheck %s --check-prefix=SLOW
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-qor-annotate{target=zcu102 clock-mhz=200})' | filecheck %s --check-prefix=ZCU
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-qor-annotate{clock-mhz=5})' 2>&1 | filecheck %s --check-prefix=BAD

// Figures by hand from the formulas of passes/qor/loops.py and
// passes/analysis/initiation_interval.py; operator and memory figures of
// passes/analysis/costs.py and llmhls/data/targets.json.

// A pipelined stream: x's m_axi read (64 at 300 MHz) + fmul 3 + store 1 = D 68,
// II 1 (a one-element burst a cycle), latency (256 - 1) x 1 + 68 = 323.
// At 150 MHz the read takes ceil(64 x 150/300) = 32 (a fixed time), the fmul
// still 3 (the op table's band above 100 MHz): D = 36, latency 255 + 36 = 291.
// CHECK-LABEL: func.func @stream
// CHECK: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = 323 : i64, limit = "target"}
// SLOW-LABEL: func.func @stream
// SLOW: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = 291 : i64, limit = "target"}
func.func @stream(%x: memref<256xf32> {llmhls.arg = "x", llmhls.role = "input"},
                  %y: memref<256xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 256 {
    %v = affine.load %x[%i] : memref<256xf32>
    %w = arith.mulf %v, %v : f32
    affine.store %w, %y[%i] : memref<256xf32>
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}

// A sequential nest on chip: one j iteration is BRAM load 2 + fmul 3 + store 1
// = 6; j: 8 x (6 + 1) + 1 = 57; i: 4 x (57 + 1) + 1 = 233. No II: not pipelined.
// CHECK-LABEL: func.func @nest
// CHECK: hlsdf.qor = {bound = "compute", latency = 57 : i64}
// CHECK: hlsdf.qor = {bound = "compute", latency = 233 : i64}
func.func @nest() {
  %a = memref.alloc() : memref<16x8xf32>
  %b = memref.alloc() : memref<16x8xf32>
  %c2 = arith.constant 2.0 : f32
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %x = affine.load %a[%i, %j] : memref<16x8xf32>
      %y = arith.mulf %x, %c2 : f32
      affine.store %y, %b[%i, %j] : memref<16x8xf32>
    }
  }
  return
}

// Accumulating into one element on chip: every iteration waits for the last
// one's BRAM read 2 + fadd 6 (300 MHz) + write 1 = II 9; D = 9 (a's read runs
// alongside acc's), latency (16 - 1) x 9 + 9 = 144.
// CHECK-LABEL: func.func @accumulate
// CHECK: hlsdf.qor = {bound = "compute", ii = 9 : i64, latency = 144 : i64, limit = "recurrence"}
func.func @accumulate() {
  %a = memref.alloc() : memref<16xf32>
  %acc = memref.alloc() : memref<1xf32>
  affine.for %i = 0 to 16 {
    %v = affine.load %a[%i] : memref<16xf32>
    %s = affine.load %acc[0] : memref<1xf32>
    %t = arith.addf %s, %v : f32
    affine.store %t, %acc[0] : memref<1xf32>
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}

// Copying 16 f32 a cycle on a zcu102 at 200 MHz: each port moves its 512 bits
// in one beat, but reads + writes are 128 B a cycle and the part's one DDR4
// channel sustains 19.2 GB/s = 96 B a cycle: the 4096 x 4 x 2 = 32768 bytes
// need ceil(32768 / 96) = 342 cycles, more than the pipeline's (256 - 1) x 1 +
// (m_axi read ceil(64 x 200/300) = 43 + store 1) = 299.
// ZCU-LABEL: func.func @copy
// ZCU: hlsdf.qor = {bound = "total", ii = 1 : i64, latency = 342 : i64, limit = "target"}
func.func @copy(%x: memref<4096xf32> {llmhls.arg = "x", llmhls.role = "input"},
                %y: memref<4096xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  affine.for %i = 0 to 4096 {
    %v = affine.load %x[%i] : memref<4096xf32>
    affine.store %v, %y[%i] : memref<4096xf32>
  } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 16 : i64}}
  return
}

// BAD: error: hls-qor-annotate option clock-mhz 5 is outside 10..1000
