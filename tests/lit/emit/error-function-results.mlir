// RUN: not llmhls-translate --emit-hlscpp %s 2>&1 | filecheck %s

// An HLS function returns nothing: a function that still returns its output
// was not legalized, and the error names the function and the pass to run.
// CHECK: error: '@relu' still returns values; run hls-results-to-args before emission
// CHECK-NOT: Traceback
func.func @relu(%x: memref<4xf32>) -> memref<4xf32> {
  %y = memref.alloc() : memref<4xf32>
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %r = arith.maximumf %v, %zero : f32
    affine.store %r, %y[%i] : memref<4xf32>
  }
  return %y : memref<4xf32>
}
