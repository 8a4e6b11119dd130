// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-pipeline)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-pipeline{level=outer-of-innermost target-ii=2})' | filecheck %s --check-prefix=OUTER
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-pipeline, hls-qor-annotate)' | filecheck %s --check-prefix=QOR
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-pipeline, hls-qor-annotate{clock-mhz=100})' | filecheck %s --check-prefix=SLOW
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-qor-annotate{clock-mhz=600})' 2>&1 | filecheck %s --check-prefix=FAST
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-pipeline{level=outer-of-innermost target-ii=2}, hls-qor-annotate)' | filecheck %s --check-prefix=OUTERQOR
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-pipeline{level=middle})' 2>&1 | filecheck %s --check-prefix=BAD

// The pass records the target II only (hlsdf.pipeline = {ii}); the II each
// loop reaches is the QoR estimate, which hls-qor-annotate writes out (the
// one II model of passes/analysis/initiation_interval.py).
// Accumulating into an on-chip buffer in the innermost loop, whose counter
// the address does not use: each iteration waits for the previous one's
// BRAM read (2) + fadd (6 at 300 MHz, the op table's fadd row) + write (1) = 9
// cycles (by hand).
// CHECK-LABEL: func.func @reduction_innermost
// CHECK: arith.addf
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}}
// CHECK-NEXT: }
// CHECK-NEXT: }
// QOR-LABEL: func.func @reduction_innermost
// QOR: hlsdf.qor = {bound = "compute", ii = 9 : i64, latency = {{[0-9]+}} : i64, limit = "recurrence"}
// The fadd takes 1 cycle up to 100 MHz: 2 + 1 + 1 = 4 (by hand).
// SLOW-LABEL: func.func @reduction_innermost
// SLOW: hlsdf.qor = {bound = "compute", ii = 4 : i64, latency = {{[0-9]+}} : i64, limit = "recurrence"}
// Above its last clock band (300 MHz) the table has no fadd figure: one error line.
// FAST: error: arith.{{[a-z]+}} on f32 ({{[a-z]+}}) has latency figures up to 300 MHz only, not 600 MHz
// Pipelining j unrolls k: C's address moves with j, so there is no
// recurrence; A's 16 reads do not move with j (hoisted), B's 16 reads are
// 8 apart: single beats, at most 16 in flight over the 64-cycle m_axi
// latency: 16 x 64 / 16 = 64 cycles of gmem_w per iteration.
// OUTER-LABEL: func.func @reduction_innermost
// OUTER: affine.for %{{.*}} = 0 to 16 {
// OUTER: }
// OUTER-NEXT: } {hlsdf.pipeline = {ii = 2 : i64}}
// OUTERQOR-LABEL: func.func @reduction_innermost
// OUTERQOR: hlsdf.qor = {bound = "compute", ii = 64 : i64, latency = {{[0-9]+}} : i64, limit = "memory:gmem_w"}
func.func @reduction_innermost(%a: memref<4x16xf32> {llmhls.role = "input"},
                               %b: memref<16x8xf32> {llmhls.role = "weight"}) {
  %c = memref.alloc() : memref<4x8xf32>
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      affine.for %k = 0 to 16 {
        %0 = affine.load %a[%i, %k] : memref<4x16xf32>
        %1 = affine.load %b[%k, %j] : memref<16x8xf32>
        %2 = affine.load %c[%i, %j] : memref<4x8xf32>
        %3 = arith.mulf %0, %1 : f32
        %4 = arith.addf %2, %3 : f32
        affine.store %4, %c[%i, %j] : memref<4x8xf32>
      }
    }
  }
  return
}

// The same after hls-loop-permute: j innermost, one read per bundle and a
// read + write on C's two ports per iteration: II 1.
// CHECK-LABEL: func.func @parallel_innermost
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}}
// QOR-LABEL: func.func @parallel_innermost
// QOR: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = {{[0-9]+}} : i64, limit = "target"}
func.func @parallel_innermost(%a: memref<4x16xf32> {llmhls.role = "input"},
                              %b: memref<16x8xf32> {llmhls.role = "weight"}) {
  %c = memref.alloc() : memref<4x8xf32>
  affine.for %i = 0 to 4 {
    affine.for %k = 0 to 16 {
      affine.for %j = 0 to 8 {
        %0 = affine.load %a[%i, %k] : memref<4x16xf32>
        %1 = affine.load %b[%k, %j] : memref<16x8xf32>
        %2 = affine.load %c[%i, %j] : memref<4x8xf32>
        %3 = arith.mulf %0, %1 : f32
        %4 = arith.addf %2, %3 : f32
        affine.store %4, %c[%i, %j] : memref<4x8xf32>
      }
    }
  }
  return
}

// Accumulating into an m_axi argument: the read alone takes 64 cycles; by hand
// 64 + fadd 6 + write 1 = 71.
// CHECK-LABEL: func.func @maxi_accumulator
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}}
// QOR-LABEL: func.func @maxi_accumulator
// QOR: hlsdf.qor = {bound = "compute", ii = 71 : i64, latency = {{[0-9]+}} : i64, limit = "recurrence"}
func.func @maxi_accumulator(%x: memref<8xf32>, %s: memref<1xf32> {llmhls.role = "output"}) {
  affine.for %i = 0 to 8 {
    %0 = affine.load %x[%i] : memref<8xf32>
    %1 = affine.load %s[0] : memref<1xf32>
    %2 = arith.addf %0, %1 : f32
    affine.store %2, %s[0] : memref<1xf32>
  }
  return
}

// Four unrolled copies read and write four elements: one bank with two ports
// needs 4 cycles, a cyclic partition by 4 serves them in one.
// CHECK-LABEL: func.func @ports
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
// QOR-LABEL: func.func @ports
// QOR: hlsdf.qor = {bound = "compute", ii = 4 : i64, latency = {{[0-9]+}} : i64, limit = "memory:buf"}
// QOR: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = {{[0-9]+}} : i64, limit = "target"}
func.func @ports(%y: memref<16xf32> {llmhls.role = "output"}) {
  %one = memref.alloc() : memref<16xf32>
  %four = memref.alloc() {hlsdf.partition = {kind = "cyclic", factor = 4 : i64}} : memref<16xf32>
  affine.for %i = 0 to 16 {
    %0 = affine.load %one[%i] : memref<16xf32>
    affine.store %0, %one[%i] : memref<16xf32>
  } {hlsdf.unroll = {factor = 4 : i64}}
  affine.for %i = 0 to 16 {
    %0 = affine.load %four[%i] : memref<16xf32>
    affine.store %0, %four[%i] : memref<16xf32>
  } {hlsdf.unroll = {factor = 4 : i64}}
  return
}

// A fully unrolled innermost loop is part of its parent's body: the parent
// is pipelined. A scalar accumulator (iter_args) limits II to its fadd (6 cycles at
// 300 MHz, from the op table; by hand).
// CHECK-LABEL: func.func @unrolled_and_scalar
// CHECK: affine.for %{{.*}} = 0 to 4 {
// CHECK-NOT: hlsdf.pipeline
// CHECK: } {hlsdf.unroll = {factor = 0 : i64}}
// CHECK-NEXT: } {hlsdf.pipeline = {ii = 1 : i64}}
// CHECK: affine.yield
// CHECK-NEXT: } {hlsdf.pipeline = {ii = 1 : i64}}
// QOR-LABEL: func.func @unrolled_and_scalar
// QOR: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = {{[0-9]+}} : i64, limit = "target"}
// QOR: affine.yield
// QOR-NEXT: hlsdf.qor = {bound = "compute", ii = 6 : i64, latency = {{[0-9]+}} : i64, limit = "recurrence"}
func.func @unrolled_and_scalar(%x: memref<8x4xf32>, %y: memref<8x4xf32> {llmhls.role = "output"},
                               %s: memref<1xf32> {llmhls.role = "output"}) {
  %buf = memref.alloc() {hlsdf.partition = {kind = "complete", factor = 0 : i64}} : memref<8x4xf32>
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 4 {
      %0 = affine.load %buf[%i, %j] : memref<8x4xf32>
      affine.store %0, %buf[%i, %j] : memref<8x4xf32>
    } {hlsdf.unroll = {factor = 0 : i64}}
  }
  %zero = arith.constant 0.0 : f32
  %sum = affine.for %i = 0 to 8 iter_args(%acc = %zero) -> (f32) {
    %0 = affine.load %x[%i, 0] : memref<8x4xf32>
    %1 = arith.addf %acc, %0 : f32
    affine.yield %1 : f32
  }
  affine.store %sum, %s[0] : memref<1xf32>
  return
}

// BAD: error: hls-loop-pipeline option level must be one of innermost, outer-of-innermost, got 'middle'
