// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.kv_append takes its sequence position as an index.
// CHECK: error: cannot parse '{{.*}}verify-kv-append-position.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected 'index' but got 'i32'
// CHECK-NOT: Traceback
func.func @f(%cache: memref<256x64xf32>, %rows: memref<1x64xf32>, %pos: i32) {
  "hlsdf.kv_append"(%cache, %rows, %pos) : (memref<256x64xf32>, memref<1x64xf32>, i32) -> ()
  return
}
