// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-results-to-args)' | filecheck %s

// A returned local buffer becomes the output argument itself: no copy.
// CHECK-LABEL: func.func @fresh_alloc
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32> {llmhls.arg = "y"
// CHECK-NOT: memref.alloc
// CHECK: affine.store %{{.*}}, %[[OUT]]
// CHECK: return{{$}}
func.func @fresh_alloc(%x: memref<4xf32>) -> (memref<4xf32> {llmhls.arg = "y", llmhls.name = "y", llmhls.role = "output"}) {
  %y = memref.alloc() : memref<4xf32>
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    affine.store %v, %y[%i] : memref<4xf32>
  }
  return %y : memref<4xf32>
}

// Returning an input (or any non-local value) copies it into the new argument.
// CHECK-LABEL: func.func @passthrough
// CHECK-SAME: (%[[IN:.*]]: memref<2x3xf32>, %[[OUT2:.*]]: memref<2x3xf32>)
// CHECK: memref.copy %[[IN]], %[[OUT2]]
// CHECK-NEXT: return{{$}}
func.func @passthrough(%x: memref<2x3xf32>) -> memref<2x3xf32> {
  return %x : memref<2x3xf32>
}

// A local buffer returned twice (`return y, y`): the first output argument
// replaces the allocation, the second is copied from the first.
// CHECK-LABEL: func.func @returned_twice
// CHECK-SAME: (%[[X3:.*]]: memref<4xf32>, %[[FIRST:.*]]: memref<4xf32>, %[[SECOND:.*]]: memref<4xf32>)
// CHECK-NOT: memref.alloc
// CHECK: affine.store %{{.*}}, %[[FIRST]]
// CHECK: memref.copy %[[FIRST]], %[[SECOND]]
// CHECK-NEXT: return{{$}}
func.func @returned_twice(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %y = memref.alloc() : memref<4xf32>
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    affine.store %v, %y[%i] : memref<4xf32>
  }
  return %y, %y : memref<4xf32>, memref<4xf32>
}
