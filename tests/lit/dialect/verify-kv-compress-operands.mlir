// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.kv_compress takes the cache and the kept positions, nothing more.
// CHECK: error: cannot parse '{{.*}}verify-kv-compress-operands.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): op expects exactly 2 operands, but got 3
// CHECK-NOT: Traceback
func.func @f(%cache: memref<256x64xf32>, %kept: memref<128xindex>, %n: index) {
  "hlsdf.kv_compress"(%cache, %kept, %n) : (memref<256x64xf32>, memref<128xindex>, index) -> ()
  return
}
