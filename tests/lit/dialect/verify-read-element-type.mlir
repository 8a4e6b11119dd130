// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.stream_read returns exactly the stream's element type.
// CHECK: error: cannot parse '{{.*}}verify-read-element-type.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected 'f32' but got 'i32'
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32, 8>) -> i32 {
  %v = "hlsdf.stream_read"(%s) : (!hlsdf.stream<f32, 8>) -> i32
  return %v : i32
}
