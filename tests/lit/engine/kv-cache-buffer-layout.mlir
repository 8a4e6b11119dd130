// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-kv-cache-buffer)' 2>&1 | filecheck %s

// A cache written through a scatter must be [kv_heads, context, head_dim].
// CHECK: error: hls-kv-cache-buffer: 'tm_tensor.scatter' at line [[# @LINE + 8]]: cache 'cache' is [8, 4], not [kv_heads, context, head_dim]
// CHECK-NOT: Traceback
func.func @append(%cache: memref<8x4xf32> {llmhls.arg = "cache", llmhls.name = "cache", llmhls.role = "input"},
                  %rows: memref<4x1x1xf32> {llmhls.arg = "rows", llmhls.name = "rows", llmhls.role = "input"},
                  %idx: memref<4x2xi64> {llmhls.arg = "idx", llmhls.name = "idx", llmhls.role = "input"})
    -> (memref<8x4xf32> {llmhls.arg = "output0", llmhls.name = "output0", llmhls.role = "output"}) {
  %new = memref.alloc() : memref<8x4xf32>
  memref.copy %cache, %new : memref<8x4xf32> to memref<8x4xf32>
  tm_tensor.scatter {dimension_map = array<i64: 0, 1>} unique_indices(true)
      ins(%rows, %idx : memref<4x1x1xf32>, memref<4x2xi64>) outs(%new : memref<8x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    tm_tensor.yield %x : f32
  }
  return %new : memref<8x4xf32>
}
