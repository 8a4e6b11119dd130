// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-copies-to-loops)' | filecheck %s

// CHECK-LABEL: func.func @copy
// CHECK-NOT: memref.copy
// CHECK: affine.for %[[I:.*]] = 0 to 2 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 3 {
// CHECK-NEXT: %[[V:.*]] = affine.load %arg0[%[[I]], %[[J]]] : memref<2x3xf32>
// CHECK-NEXT: affine.store %[[V]], %arg1[%[[I]], %[[J]]] : memref<2x3xf32>
func.func @copy(%a: memref<2x3xf32>, %b: memref<2x3xf32>) {
  memref.copy %a, %b : memref<2x3xf32> to memref<2x3xf32>
  return
}
