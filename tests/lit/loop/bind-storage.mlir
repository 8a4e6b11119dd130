// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-bind-storage)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-bind-storage{lutram-threshold-bits=0 uram-threshold-kib=1024})' | filecheck %s --check-prefix=OPTS
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-bind-storage{uram-threshold-kib=0})' 2>&1 | filecheck %s --check-prefix=BAD

// By bank size: 4 Kib → BRAM, 512 b → LUTRAM, 256 KiB → URAM, a cyclic
// partition by 8 of 256 floats → eight 1 Kib LUTRAMs; a complete partition
// is registers (no binding). Written buffers are ram_2p; a buffer only read
// is ram_1p, unless a pipelined loop reads it twice per cycle.
// CHECK-LABEL: func.func @storage
// CHECK: memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<16x8xf32>
// CHECK: memref.alloc() {hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<16xf32>
// CHECK: memref.alloc() {hlsdf.bind_storage = {impl = "uram", type = "ram_2p"}} : memref<256x256xf32>
// CHECK: memref.alloc() {hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}, hlsdf.partition = {factor = 8 : i64, kind = "cyclic"}} : memref<256xf32>
// CHECK: memref.alloc() {hlsdf.partition = {factor = 0 : i64, kind = "complete"}} : memref<4xf32>
// CHECK: memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_1p"}} : memref<64xi64>
// CHECK: memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<64xi64>
// The second read would double the II with one port; with two it stays 1.
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}}
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}}
// OPTS-LABEL: func.func @storage
// OPTS: {impl = "bram", type = "ram_2p"}} : memref<16xf32>
// OPTS: {impl = "bram", type = "ram_2p"}} : memref<256x256xf32>
func.func @storage(%out: memref<64xi64>) {
  %a = memref.alloc() : memref<16x8xf32>
  %b = memref.alloc() : memref<16xf32>
  %c = memref.alloc() : memref<256x256xf32>
  %d = memref.alloc() {hlsdf.partition = {kind = "cyclic", factor = 8 : i64}} : memref<256xf32>
  %e = memref.alloc() {hlsdf.partition = {kind = "complete", factor = 0 : i64}} : memref<4xf32>
  %ro = memref.alloc() : memref<64xi64>
  %ro2 = memref.alloc() : memref<64xi64>
  %cst = arith.constant 1.0 : f32
  affine.store %cst, %a[0, 0] : memref<16x8xf32>
  affine.store %cst, %b[0] : memref<16xf32>
  affine.store %cst, %c[0, 0] : memref<256x256xf32>
  affine.store %cst, %d[0] : memref<256xf32>
  affine.store %cst, %e[0] : memref<4xf32>
  affine.for %i = 0 to 64 {
    %0 = affine.load %ro[%i] : memref<64xi64>
    affine.store %0, %out[%i] : memref<64xi64>
  } {hlsdf.pipeline = {ii = 1 : i64}}
  affine.for %i = 0 to 32 {
    %0 = affine.load %ro2[%i] : memref<64xi64>
    %1 = affine.load %ro2[%i + 32] : memref<64xi64>
    %2 = arith.addi %0, %1 : i64
    affine.store %2, %out[%i] : memref<64xi64>
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}

// BAD: error: hls-bind-storage options need uram-threshold-kib >= 1 and lutram-threshold-bits >= 0, got 0 and 1024
