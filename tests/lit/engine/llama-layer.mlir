// RUN: llmhls-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(one-shot-bufferize{allow-unknown-ops bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, func.func(tm-tensor-bufferize), canonicalize, cse, hls-kv-cache-buffer, hls-weight-streaming{channels=4})' | filecheck %s
// RUN: llmhls-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(one-shot-bufferize{allow-unknown-ops bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, func.func(tm-tensor-bufferize), canonicalize, cse, hls-kv-cache-buffer, hls-weight-streaming{channels=4})' | llmhls-translate --emit-engine-table | filecheck %s --check-prefix=EMIT
// RUN: llmhls-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(one-shot-bufferize{allow-unknown-ops bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, func.func(tm-tensor-bufferize), canonicalize, cse, hls-kv-cache-buffer, hls-weight-streaming{channels=4 weights=int4})' | llmhls-translate --emit-engine-table | filecheck %s --check-prefix=INT4

// The decode engine's structure of one Llama layer (Inputs/llama-layer.mlir,
// what compiler/llm/engine/structure.engine_pipeline(4) runs): four weight
// phases in execution order, q|k|v and gate|up fused because each group reads
// one normed input, and the KV cache appended in place and read as a window.

// CHECK-LABEL: func.func @decoder_layer
// CHECK: "hlsdf.weight_bank"() {{{.*}} name = "qkv", offset = 0 : i64, row_groups = 128 : i64, rows = 128 : i64, split = "round_robin", weight_rows = array<i64: 64, 32, 32>, weights = ["pre.q_proj.weight", "pre.k_proj.weight", "pre.v_proj.weight"]} : () -> memref<128x64xf32>
// CHECK: "hlsdf.weight_bank"() {{{.*}} name = "out", offset = 8192 : i64, {{.*}} weights = ["post.o_proj.weight"]} : () -> memref<64x64xf32>
// CHECK: "hlsdf.weight_bank"() {{{.*}} name = "gate_up", offset = 12288 : i64, {{.*}} weight_rows = array<i64: 128, 128>, weights = ["post.gate_proj.weight", "post.up_proj.weight"]} : () -> memref<256x64xf32>
// CHECK: "hlsdf.weight_bank"() {{{.*}} name = "down", offset = 28672 : i64, {{.*}} weights = ["post.down_proj.weight"]} : () -> memref<64x128xf32>
// CHECK-NOT: "hlsdf.weight_bank"
// CHECK-NOT: tm_tensor.scatter
// CHECK: "hlsdf.kv_append"(%arg12, %{{.*}}, %[[POS:.*]]) : (memref<2x16x16xf32>, memref<2x1x16xf32>, index) -> ()
// CHECK: "hlsdf.kv_window"(%arg12, %{{.*}}, %{{.*}}) : (memref<2x16x16xf32>, index, index) -> memref<2x16x16xf32>
// CHECK: "hlsdf.kv_append"(%arg13, %{{.*}}, %[[POS]])
// CHECK: "hlsdf.kv_window"(%arg13,
// CHECK-NOT: tm_tensor.scatter
// CHECK: return %{{.*}}, %arg12, %arg13 :

// EMIT: constexpr int kChannels = 4;
// EMIT: constexpr PhaseInfo kPhases[kPhaseCount] = {
// EMIT-NEXT:     {"qkv", "fp32", 128, 64, kChannels, 128, 8, 4096, 0},
// EMIT-NEXT:     {"out", "fp32", 64, 64, kChannels, 64, 8, 4096, 8192},
// EMIT-NEXT:     {"gate_up", "fp32", 256, 64, kChannels, 256, 8, 4096, 12288},
// EMIT-NEXT:     {"down", "fp32", 64, 128, kChannels, 64, 8, 4096, 28672},
// EMIT-NEXT: };

// At int4 (`weights=int4`, the engine's --weights) a word holds two rows: half the row
// groups, and each bank's bytes in channel 0 are its blocks' meta and data words
// (qkv: 16 rounds -> 2 blocks of 8, each 2 meta words + 8 data words = 1280 bytes).
// INT4: constexpr PhaseInfo kPhases[kPhaseCount] = {
// INT4-NEXT:     {"qkv", "int4", 128, 64, kChannels, 64, 8, 4096, 0},
// INT4-NEXT:     {"out", "int4", 64, 64, kChannels, 32, 8, 4096, 1280},
// INT4-NEXT:     {"gate_up", "int4", 256, 64, kChannels, 128, 8, 4096, 1920},
// INT4-NEXT:     {"down", "int4", 64, 128, kChannels, 32, 8, 4096, 4480},
// INT4-NEXT: };
// INT4: constexpr int kKvAppends = 2;
// EMIT: constexpr int kKvHeads = 2;
// EMIT-NEXT: constexpr int kContext = 16;
// EMIT-NEXT: constexpr int kHeadDim = 16;
