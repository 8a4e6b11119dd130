// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.weight_bank needs its name, bank and offset attributes.
// CHECK: error: cannot parse '{{.*}}verify-weight-bank-attribute.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): 'hlsdf.weight_bank' op attribute "offset" is expected but not provided
// CHECK-NOT: Traceback
func.func @f() {
  %w = "hlsdf.weight_bank"() {name = "wq", bank = 0 : i64} : () -> memref<4x4xf32>
  return
}
