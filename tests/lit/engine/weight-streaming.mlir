// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-streaming{channels=3})' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-streaming{channels=3 interleave=4 depth=64})' | llmhls-translate --emit-engine-table | filecheck %s --check-prefix=EMIT
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-streaming{channels=0})' 2>&1 | filecheck %s --check-prefix=CHANNELS
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-weight-streaming{weights=int3})' 2>&1 | filecheck %s --check-prefix=FORMAT
// RUN: sed 's/f32/f64/g' %s | not llmhls-opt --pass-pipeline='builtin.module(hls-weight-streaming)' 2>&1 | filecheck %s --check-prefix=ELEMENT

// Three projections read the normed input %h: q and k as nn.Linear does (a
// transpose of the [out, in] weight, then matmul), v stored [in, out] and read
// directly. They fuse into one bank qkv [8 + 4 + 4, 8], in execution order.
// %h is then rewritten (bufferization reuses buffers): the contraction over
// o_proj reads a new activation and gets its own bank. The last matmul reads
// no weight argument and is left alone.

// CHECK-LABEL: func.func @layer
// CHECK-SAME: %[[WQ:[a-z0-9]+]]: memref<8x8xf32> {llmhls.arg = "pre_q_proj_weight"
// CHECK-SAME: %[[WK:[a-z0-9]+]]: memref<4x8xf32> {llmhls.arg = "pre_k_proj_weight"
// CHECK-SAME: %[[WV:[a-z0-9]+]]: memref<8x4xf32> {llmhls.arg = "pre_v_proj_weight"
// CHECK-SAME: %[[WO:[a-z0-9]+]]: memref<8x8xf32> {llmhls.arg = "post_o_proj_weight"
// CHECK-NEXT: %[[QKV:.*]] = "hlsdf.weight_bank"() {bank = 0 : i64, channels = 3 : i64, depth = 4096 : i64, format = "fp32", inputs = 8 : i64, interleave = 8 : i64, name = "qkv", offset = 0 : i64, row_groups = 16 : i64, rows = 16 : i64, split = "round_robin", weight_rows = array<i64: 8, 4, 4>, weights = ["pre.q_proj.weight", "pre.k_proj.weight", "pre.v_proj.weight"]} : () -> memref<16x8xf32>
// CHECK-NEXT: %[[Q:.*]] = memref.subview %[[QKV]][0, 0] [8, 8] [1, 1] : memref<16x8xf32> to memref<8x8xf32, strided<[8, 1]>>
// CHECK-NEXT: %[[K:.*]] = memref.subview %[[QKV]][8, 0] [4, 8] [1, 1] : memref<16x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 64>>
// CHECK-NEXT: %[[V_ROWS:.*]] = memref.subview %[[QKV]][12, 0] [4, 8] [1, 1] : memref<16x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 96>>
// CHECK-NEXT: %[[V:.*]] = memref.transpose %[[V_ROWS]] (d0, d1) -> (d1, d0) : memref<4x8xf32, strided<[8, 1], offset: 96>> to memref<8x4xf32, strided<[1, 8], offset: 96>>
// Row groups 16 over 3 channels: channel 0 holds 6 rows of 8 floats, each padded to a
// 512-bit word as the engine stores them: 384 bytes.
// CHECK-NEXT: %[[OUT:.*]] = "hlsdf.weight_bank"() {bank = 0 : i64, channels = 3 : i64, depth = 4096 : i64, format = "fp32", inputs = 8 : i64, interleave = 8 : i64, name = "out", offset = 384 : i64, row_groups = 8 : i64, rows = 8 : i64, split = "round_robin", weight_rows = array<i64: 8>, weights = ["post.o_proj.weight"]} : () -> memref<8x8xf32>
// CHECK-NEXT: %[[O:.*]] = memref.subview %[[OUT]][0, 0] [8, 8] [1, 1]
// CHECK-NOT: hlsdf.weight_bank
// CHECK: linalg.transpose ins(%[[Q]] : {{.*}}) outs(%{{.*}} : memref<8x8xf32>) permutation = [1, 0]
// CHECK: linalg.transpose ins(%[[K]] : {{.*}}) outs(%{{.*}} : memref<8x4xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%{{.*}}, %[[V]] : memref<1x8xf32>, memref<8x4xf32, strided<[1, 8], offset: 96>>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[O]] : memref<1x8xf32>, memref<8x8xf32, strided<[8, 1]>>)
// CHECK: linalg.matmul ins(%{{.*}}, %[[T:.*]] : memref<1x8xf32>, memref<8x8xf32>)
// CHECK-NOT: %[[WQ]]
// CHECK-NOT: %[[WK]]
// CHECK-NOT: %[[WV]]
// CHECK-NOT: %[[WO]]

// EMIT: //   qkv: 16 x 8 = pre.q_proj.weight (8) + pre.k_proj.weight (4) + pre.v_proj.weight (4), fp32, at byte 0 of channel 0
// EMIT-NEXT: //   out: 8 x 8 = post.o_proj.weight (8), fp32, at byte 384 of channel 0
// EMIT: constexpr int kChannels = 3;
// EMIT: constexpr int kPhaseCount = 2;
// EMIT-NEXT: constexpr PhaseInfo kPhases[kPhaseCount] = {
// EMIT-NEXT:     {"qkv", "fp32", 16, 8, kChannels, 16, 4, 64, 0},
// EMIT-NEXT:     {"out", "fp32", 8, 8, kChannels, 8, 4, 64, 384},
// EMIT-NEXT: };
// EMIT: constexpr int kPhase_qkv = 0;
// EMIT-NEXT: constexpr int kPhase_out = 1;
// EMIT-NOT: kKvHeads

// CHANNELS: error: hls-weight-streaming channels must be >= 1, got 0
// FORMAT: error: hls-weight-streaming weights=int3 is not one of fp32, fp16, int8, int4

// ELEMENT: error: hls-weight-streaming: 'linalg.matmul' at line [[# @LINE + 24]]: weight 'pre.q_proj.weight' has elements f64, not streamed

#contract_a = affine_map<(m, n, k) -> (m, k)>
#contract_w = affine_map<(m, n, k) -> (n, k)>
#contract_y = affine_map<(m, n, k) -> (m, n)>
#rows = affine_map<(m, n) -> (m, n)>
func.func @layer(%wq: memref<8x8xf32> {llmhls.arg = "pre_q_proj_weight", llmhls.name = "pre.q_proj.weight", llmhls.role = "weight"},
                 %wk: memref<4x8xf32> {llmhls.arg = "pre_k_proj_weight", llmhls.name = "pre.k_proj.weight", llmhls.role = "weight"},
                 %wv: memref<8x4xf32> {llmhls.arg = "pre_v_proj_weight", llmhls.name = "pre.v_proj.weight", llmhls.role = "weight"},
                 %wo: memref<8x8xf32> {llmhls.arg = "post_o_proj_weight", llmhls.name = "post.o_proj.weight", llmhls.role = "weight"},
                 %x: memref<1x8xf32> {llmhls.arg = "x", llmhls.name = "x", llmhls.role = "input"},
                 %q: memref<1x8xf32> {llmhls.arg = "q", llmhls.name = "q", llmhls.role = "input"},
                 %k: memref<1x4xf32> {llmhls.arg = "k", llmhls.name = "k", llmhls.role = "input"},
                 %v: memref<1x4xf32> {llmhls.arg = "v", llmhls.name = "v", llmhls.role = "input"},
                 %y: memref<1x8xf32> {llmhls.arg = "y", llmhls.name = "y", llmhls.role = "input"},
                 %z: memref<1x8xf32> {llmhls.arg = "z", llmhls.name = "z", llmhls.role = "input"}) {
  %h = memref.alloc() : memref<1x8xf32>
  linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%x : memref<1x8xf32>) outs(%h : memref<1x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.addf %in, %in : f32
    linalg.yield %d : f32
  }
  %tq = memref.alloc() : memref<8x8xf32>
  linalg.transpose ins(%wq : memref<8x8xf32>) outs(%tq : memref<8x8xf32>) permutation = [1, 0]
  linalg.matmul ins(%h, %tq : memref<1x8xf32>, memref<8x8xf32>) outs(%q : memref<1x8xf32>)
  %tk = memref.alloc() : memref<8x4xf32>
  linalg.transpose ins(%wk : memref<4x8xf32>) outs(%tk : memref<8x4xf32>) permutation = [1, 0]
  linalg.matmul ins(%h, %tk : memref<1x8xf32>, memref<8x4xf32>) outs(%k : memref<1x4xf32>)
  linalg.matmul ins(%h, %wv : memref<1x8xf32>, memref<8x4xf32>) outs(%v : memref<1x4xf32>)
  linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%q : memref<1x8xf32>) outs(%h : memref<1x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.mulf %in, %in : f32
    linalg.yield %d : f32
  }
  linalg.generic {indexing_maps = [#contract_a, #contract_w, #contract_y], iterator_types = ["parallel", "parallel", "reduction"]} ins(%h, %wo : memref<1x8xf32>, memref<8x8xf32>) outs(%y : memref<1x8xf32>) {
  ^bb0(%a: f32, %w: f32, %acc: f32):
    %p = arith.mulf %a, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %t = memref.alloc() : memref<8x8xf32>
  linalg.transpose ins(%tq : memref<8x8xf32>) outs(%t : memref<8x8xf32>) permutation = [1, 0]
  linalg.matmul ins(%h, %t : memref<1x8xf32>, memref<8x8xf32>) outs(%z : memref<1x8xf32>)
  return
}
