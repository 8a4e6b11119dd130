// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-drop-asserts, canonicalize)' | filecheck %s

// CHECK-LABEL: func.func @guarded
// CHECK-NOT: cf.assert
// CHECK-NOT: arith.cmpi
// CHECK: return
func.func @guarded(%n: index) {
  %c4 = arith.constant 4 : index
  %ok = arith.cmpi slt, %n, %c4 : index
  cf.assert %ok, "index out of range"
  return
}
