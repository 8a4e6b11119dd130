// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.kv_window returns a memref window.
// CHECK: error: cannot parse '{{.*}}verify-kv-window-result.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected base type 'builtin.memref' but got 'builtin.tensor'
// CHECK-NOT: Traceback
func.func @f(%cache: memref<256x64xf32>, %start: index, %len: index) {
  %w = "hlsdf.kv_window"(%cache, %start, %len) : (memref<256x64xf32>, index, index) -> tensor<?x64xf32>
  return
}
