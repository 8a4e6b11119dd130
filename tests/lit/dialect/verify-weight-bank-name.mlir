// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// The weight name is a string.
// CHECK: error: cannot parse '{{.*}}verify-weight-bank-name.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected base attribute 'builtin.string' but got 'builtin.integer'
// CHECK-NOT: Traceback
func.func @f() {
  %w = "hlsdf.weight_bank"() {name = 7 : i64, bank = 0 : i64, offset = 0 : i64} : () -> memref<4x4xf32>
  return
}
