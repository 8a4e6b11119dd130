// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// The KV cache is a buffer (memref), appended in place; tensors are not.
// CHECK: error: cannot parse '{{.*}}verify-kv-append-cache.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected base type 'builtin.memref' but got 'builtin.tensor'
// CHECK-NOT: Traceback
func.func @f(%cache: tensor<256x64xf32>, %rows: memref<1x64xf32>, %pos: index) {
  "hlsdf.kv_append"(%cache, %rows, %pos) : (tensor<256x64xf32>, memref<1x64xf32>, index) -> ()
  return
}
