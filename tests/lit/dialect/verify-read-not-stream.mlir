// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.stream_read takes an !hlsdf.stream operand, nothing else.
// CHECK: error: cannot parse '{{.*}}verify-read-not-stream.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected base type 'hlsdf.stream' but got 'f32'
// CHECK-NOT: Traceback
func.func @f(%x: f32) -> f32 {
  %v = "hlsdf.stream_read"(%x) : (f32) -> f32
  return %v : f32
}
