// RUN: llmhls-opt %S/Inputs/kv-attend.mlir --pass-pipeline='builtin.module(hls-kv-cache-buffer, canonicalize)' | filecheck %s
// RUN: llmhls-opt %S/Inputs/kv-attend.mlir --pass-pipeline='builtin.module(hls-kv-cache-buffer)' | llmhls-translate --emit-engine-table | filecheck %s --check-prefix=EMIT
// RUN: sed 's/llmhls.name = "k_cache", llmhls.role = "input"/llmhls.name = "k_cache", llmhls.role = "weight"/' %S/Inputs/kv-attend.mlir | not llmhls-opt --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s --check-prefix=ROLE
// RUN: sed '77s/dimension_map = array<i64: 0, 1, 2>/dimension_map = array<i64: 0, 2, 1>/' %S/Inputs/kv-attend.mlir | not llmhls-opt --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s --check-prefix=DIMS
// RUN: sed '45s/%alloc_4 /%arg3 /' %S/Inputs/kv-attend.mlir | not llmhls-opt --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s --check-prefix=HEAD
// RUN: sed 's/arith.cmpi sge, %in, %in_36/arith.cmpi sgt, %in, %in_36/' %S/Inputs/kv-attend.mlir | not llmhls-opt --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s --check-prefix=STRICT
// RUN: sed 's/arith.cmpi sge, %in, %in_36/arith.cmpi sge, %in_36, %in_36/' %S/Inputs/kv-attend.mlir | not llmhls-opt --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s --check-prefix=NOMASK
// RUN: sed '81s/^/    linalg.fill ins(%cst_2 : f32) outs(%alloc_18 : memref<1x8x4xf32>)\n/' %S/Inputs/kv-attend.mlir | not llmhls-opt --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s --check-prefix=REWRITE

// One decode step's attention over its KV cache (Inputs/kv-attend.mlir): the
// functional update (copy the whole cache, scatter the new row at positions)
// becomes an in-place append, and attention reads rows [0, positions[0] + 1).

// CHECK-LABEL: func.func @attend
// CHECK-SAME: %[[POSITIONS:[a-z0-9]+]]: memref<1xi64> {llmhls.arg = "positions"
// CHECK-SAME: %[[K_CACHE:[a-z0-9]+]]: memref<1x8x4xf32> {llmhls.arg = "k_cache"
// CHECK-SAME: %[[V_CACHE:[a-z0-9]+]]: memref<1x8x4xf32> {llmhls.arg = "v_cache"
// CHECK-NOT: memref.copy %[[K_CACHE]]
// CHECK-NOT: tm_tensor.scatter
// CHECK: %[[P64:.*]] = memref.load %[[POSITIONS]][%{{.*}}] : memref<1xi64>
// CHECK: %[[POS:.*]] = arith.index_cast %[[P64]] : i64 to index
// CHECK: %[[END:.*]] = arith.addi %[[POS]], %{{.*}} : index
// CHECK: "hlsdf.kv_append"(%[[K_CACHE]], %[[ROWS:.*]], %[[POS]]) : (memref<1x8x4xf32>, memref<1x1x4xf32>, index) -> ()
// CHECK: %[[K_WINDOW:.*]] = "hlsdf.kv_window"(%[[K_CACHE]], %{{.*}}, %[[END]]) : (memref<1x8x4xf32>, index, index) -> memref<1x8x4xf32>
// CHECK: memref.cast %[[K_WINDOW]]
// CHECK: "hlsdf.kv_append"(%[[V_CACHE]], %[[ROWS]], %[[POS]])
// CHECK: %[[V_WINDOW:.*]] = "hlsdf.kv_window"(%[[V_CACHE]], %{{.*}}, %[[END]])
// CHECK: linalg.batch_matmul ins(%{{.*}}, %[[V_WINDOW]] :
// CHECK: return %{{.*}}, %[[K_CACHE]], %[[V_CACHE]] :

// EMIT: // KV cache traffic, in execution order (llmhls_kv_attention.h):
// EMIT-NEXT: //   llmhls_kv_append(k_cache, rows[1][1][4], pos);  // k_cache[1][8][4]: rows [pos, pos + 1) written in place
// EMIT-NEXT: //   llmhls_kv_window(k_cache, 0, pos + 1);  // k_cache[1][8][4]: rows [0, pos + 1) burst-read on chip
// EMIT-NEXT: //   llmhls_kv_append(v_cache, rows[1][1][4], pos);
// EMIT-NEXT: //   llmhls_kv_window(v_cache, 0, pos + 1);
// EMIT: constexpr int kKvHeads = 1;
// EMIT-NEXT: constexpr int kContext = 8;
// EMIT-NEXT: constexpr int kHeadDim = 4;
// EMIT-NEXT: constexpr int kRowsPerStep = 1;
// EMIT-NEXT: constexpr int kKvAppends = 2;
// EMIT-NEXT: constexpr int kKvWindows = 2;

// The cache is a layer input (a weight would be read-only).
// ROLE: error: hls-kv-cache-buffer: 'tm_tensor.scatter' at line 77: cache 'k_cache' is a weight, not a layer input
// ROLE-NOT: Traceback

// The scatter writes the cache element by element in [kv_heads, context, head_dim] order.
// DIMS: error: hls-kv-cache-buffer: 'tm_tensor.scatter' at line 77: cache 'k_cache' is scattered along dims [0, 2, 1], not element-wise

// The kv-head coordinate of every written element is a constant, not read from an input.
// HEAD: error: hls-kv-cache-buffer: 'tm_tensor.scatter' at line 77: cache 'k_cache': the kv head index depends on a layer input

// A strict mask (positions[c] > j) hides the row just appended: not the causal window.
// STRICT: error: hls-kv-cache-buffer: 'linalg.generic' at line {{[0-9]+}}: the attention mask is not the causal window positions[c] >= j over the whole context

// A mask that does not compare positions with the key index is no causal window at all.
// NOMASK: error: hls-kv-cache-buffer: 'tm_tensor.scatter' at line 77: the attention over cache 'k_cache' has no causal mask positions[c] >= j added to its scores

// Writing the updated cache again would make the append not the cache's last word.
// REWRITE: error: hls-kv-cache-buffer: 'linalg.fill' at line 81: writes the KV cache again after the new rows are appended
