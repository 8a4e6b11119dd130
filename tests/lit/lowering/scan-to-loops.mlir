// RUN: llmhls-opt %s --pass-pipeline='builtin.module(one-shot-bufferize{allow-unknown-ops bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, func.func(tm-tensor-bufferize), canonicalize, func.func(tm-tensor-to-loops), canonicalize)' | filecheck %s

// IR with TMTensor ops (as --dump-ir writes after import) parses in llmhls-opt,
// and the lowering order llmhls uses (one-shot first, then tm-tensor-bufferize)
// turns a cumsum scan into loops: the first column copies, later ones add.
// CHECK-LABEL: func.func @cumsum
// CHECK-NOT: tm_tensor
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.if
// CHECK: } else {
// CHECK: arith.addf
func.func @cumsum(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %out = tensor.empty() : tensor<3x5xf32>
  %acc0 = tensor.empty() : tensor<3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%acc0 : tensor<3xf32>) -> tensor<3xf32>
  %r:2 = tm_tensor.scan dimension(1) inclusive(true) ins(%x : tensor<3x5xf32>) outs(%out, %acc : tensor<3x5xf32>, tensor<3xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    tm_tensor.yield %s : f32
  } -> tensor<3x5xf32>, tensor<3xf32>
  return %r#0 : tensor<3x5xf32>
}
