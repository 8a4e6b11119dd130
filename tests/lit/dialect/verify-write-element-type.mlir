// RUN: not llmhls-opt %s 2>&1 | filecheck %s

// hlsdf.stream_write only writes values of the stream's element type.
// CHECK: error: cannot parse '{{.*}}verify-write-element-type.mlir' as MLIR: loc("-":[[# @LINE + 3]]:{{[0-9]+}}): expected 'f32' but got 'f16'
// CHECK-NOT: Traceback
func.func @f(%s: !hlsdf.stream<f32, 8>, %x: f16) {
  "hlsdf.stream_write"(%s, %x) : (!hlsdf.stream<f32, 8>, f16) -> ()
  return
}
