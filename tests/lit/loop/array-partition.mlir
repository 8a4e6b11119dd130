// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-array-partition)' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-array-partition{max-factor=16 complete-threshold=0})' | filecheck %s --check-prefix=CAP
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-qor-annotate)' | filecheck %s --check-prefix=ONEBANK
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-array-partition, hls-qor-annotate)' | filecheck %s --check-prefix=QOR
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-array-partition{max-factor=0})' 2>&1 | filecheck %s --check-prefix=BAD

// Pipelining j unrolls k (4 iterations): B[k][j] copies are 8 elements
// apart (cyclic 8*4 = 32), A[i][k] copies 1 apart (cyclic 4). C[i][j] does
// not move with k: one address, no partition. The II the QoR model gives
// drops with the banks from 2 (A's and B's 4 reads each share one two-port
// bank: ceil(4/2)) to 1, every access on its own port.
// CHECK-LABEL: func.func @matmul_tile
// CHECK-DAG: %[[A:.*]] = memref.alloc() {hlsdf.partition = {factor = 4 : i64, kind = "cyclic"}} : memref<4x16xf32>
// CHECK-DAG: %[[B:.*]] = memref.alloc() {hlsdf.partition = {factor = 32 : i64, kind = "cyclic"}} : memref<16x8xf32>
// CHECK-DAG: %[[C:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}}
// ONEBANK-LABEL: func.func @matmul_tile
// ONEBANK: hlsdf.qor = {bound = "compute", ii = 2 : i64, latency = {{[0-9]+}} : i64, limit = "memory:buf"}
// QOR-LABEL: func.func @matmul_tile
// QOR: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = {{[0-9]+}} : i64, limit = "target"}
// With max-factor=16, 32 cyclic banks are too many: B's copies are 8 apart,
// so 16 blocks of 8 elements (one row each) separate them.
// CAP-LABEL: func.func @matmul_tile
// CAP-DAG: memref.alloc() {hlsdf.partition = {factor = 4 : i64, kind = "cyclic"}} : memref<4x16xf32>
// CAP-DAG: memref.alloc() {hlsdf.partition = {factor = 16 : i64, kind = "block"}} : memref<16x8xf32>
func.func @matmul_tile(%out: memref<4x8xf32>) {
  %a = memref.alloc() : memref<4x16xf32>
  %b = memref.alloc() : memref<16x8xf32>
  %c = memref.alloc() : memref<4x8xf32>
  affine.for %i = 0 to 4 {
    affine.for %kt = 0 to 16 step 4 {
      affine.for %j = 0 to 8 {
        affine.for %k = 0 to 4 {
          %0 = affine.load %a[%i, %kt + %k] : memref<4x16xf32>
          %1 = affine.load %b[%kt + %k, %j] : memref<16x8xf32>
          %2 = affine.load %c[%i, %j] : memref<4x8xf32>
          %3 = arith.mulf %0, %1 : f32
          %4 = arith.addf %2, %3 : f32
          affine.store %4, %c[%i, %j] : memref<4x8xf32>
        }
      } {hlsdf.pipeline = {ii = 1 : i64}}
    }
  }
  return
}

// Requirements of several loops merge by lcm: unroll 2 and unroll 3 → 6.
// A small array (8 elements) becomes registers; an argument (m_axi) and a
// buffer only accessed by sequential loops get nothing.
// CHECK-LABEL: func.func @merge
// CHECK-DAG: memref.alloc() {hlsdf.partition = {factor = 6 : i64, kind = "cyclic"}} : memref<36xf32>
// CHECK-DAG: memref.alloc() {hlsdf.partition = {factor = 0 : i64, kind = "complete"}} : memref<8xf32>
// CHECK-DAG: memref.alloc() : memref<64xf32>
// CAP-LABEL: func.func @merge
// CAP-DAG: memref.alloc() {hlsdf.partition = {factor = 2 : i64, kind = "cyclic"}} : memref<8xf32>
func.func @merge(%arg: memref<36xf32>) {
  %m = memref.alloc() : memref<36xf32>
  %small = memref.alloc() : memref<8xf32>
  %plain = memref.alloc() : memref<64xf32>
  affine.for %i = 0 to 36 {
    %0 = affine.load %m[%i] : memref<36xf32>
    affine.store %0, %arg[%i] : memref<36xf32>
  } {hlsdf.unroll = {factor = 2 : i64}}
  affine.for %i = 0 to 36 {
    %0 = affine.load %arg[%i] : memref<36xf32>
    affine.store %0, %m[%i] : memref<36xf32>
  } {hlsdf.unroll = {factor = 3 : i64}}
  affine.for %i = 0 to 8 {
    %0 = affine.load %small[%i] : memref<8xf32>
    affine.store %0, %small[%i] : memref<8xf32>
  } {hlsdf.unroll = {factor = 2 : i64}}
  affine.for %i = 0 to 64 {
    %0 = affine.load %plain[%i] : memref<64xf32>
    affine.store %0, %plain[%i] : memref<64xf32>
  } {hlsdf.pipeline = {ii = 1 : i64}}
  return
}

// Row copies (stride 1) and column copies (stride 64) of one buffer: lcm 256
// banks are too many and rows are too short for blocks, so the factor up to
// 64 that separates every access's copies is searched: 5 banks.
// CHECK-LABEL: func.func @mixed
// CHECK: memref.alloc() {hlsdf.partition = {factor = 5 : i64, kind = "cyclic"}} : memref<8x64xf32>
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
// With one bank, 4 reads + 4 writes on two ports take 4 cycles; with 5 banks, 1.
// ONEBANK-LABEL: func.func @mixed
// ONEBANK-COUNT-2: hlsdf.qor = {bound = "compute", ii = 4 : i64, latency = {{[0-9]+}} : i64, limit = "memory:buf"}
// QOR-LABEL: func.func @mixed
// QOR-COUNT-2: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = {{[0-9]+}} : i64, limit = "target"}
func.func @mixed() {
  %t = memref.alloc() : memref<8x64xf32>
  affine.for %r = 0 to 8 {
    affine.for %c = 0 to 64 {
      %0 = affine.load %t[%r, %c] : memref<8x64xf32>
      affine.store %0, %t[%r, %c] : memref<8x64xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
  }
  affine.for %c = 0 to 64 {
    affine.for %r = 0 to 8 {
      %0 = affine.load %t[%r, %c] : memref<8x64xf32>
      affine.store %0, %t[%r, %c] : memref<8x64xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
  }
  return
}

// A dataflow task reaches its caller's buffer through an argument: the
// caller's alloc is partitioned, and the task's loop, which counted one bank
// (4 reads + 4 writes on two ports: II 4), reaches II 1.
// CHECK-LABEL: func.func private @task
// CHECK: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
// ONEBANK-LABEL: func.func private @task
// ONEBANK: hlsdf.qor = {bound = "compute", ii = 4 : i64, latency = {{[0-9]+}} : i64, limit = "memory:buf"}
// QOR-LABEL: func.func private @task
// QOR: hlsdf.qor = {bound = "compute", ii = 1 : i64, latency = {{[0-9]+}} : i64, limit = "target"}
// CHECK-LABEL: func.func @top
// CHECK: memref.alloc() {hlsdf.partition = {factor = 4 : i64, kind = "cyclic"}} : memref<64xf32>
func.func private @task(%buf: memref<64xf32>) attributes {hlsdf.task} {
  affine.for %i = 0 to 64 {
    %0 = affine.load %buf[%i] : memref<64xf32>
    %1 = arith.addf %0, %0 : f32
    affine.store %1, %buf[%i] : memref<64xf32>
  } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 4 : i64}}
  return
}
func.func @top() attributes {hlsdf.dataflow} {
  %buf = memref.alloc() : memref<64xf32>
  func.call @task(%buf) : (memref<64xf32>) -> ()
  return
}
// CHECK-NOT: hlsdf.partition

// BAD: error: hls-array-partition option max-factor must be >= 1, got 0
