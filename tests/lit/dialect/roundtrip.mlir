// RUN: llmhls-opt %s | filecheck %s
// RUN: llmhls-opt %s | llmhls-opt | filecheck %s

// Every hlsdf op and the stream type parse, verify and print back (generic
// syntax: IRDL ops have no custom assembly), and the printed form re-parses.

// CHECK-LABEL: func.func @producer
// CHECK-SAME: (%{{.*}}: !hlsdf.stream<f32, 64 : i64>, %{{.*}}: f32)
// CHECK: "hlsdf.stream_write"(%{{.*}}, %{{.*}}) : (!hlsdf.stream<f32, 64 : i64>, f32) -> ()
func.func @producer(%out: !hlsdf.stream<f32, 64>, %x: f32) {
  "hlsdf.stream_write"(%out, %x) : (!hlsdf.stream<f32, 64>, f32) -> ()
  return
}

// CHECK-LABEL: func.func @consumer
// CHECK: %[[V:.*]] = "hlsdf.stream_read"(%{{.*}}) : (!hlsdf.stream<f32, 64 : i64>) -> f32
// CHECK: return %[[V]] : f32
func.func @consumer(%in: !hlsdf.stream<f32, 64 : i64>) -> f32 {
  %v = "hlsdf.stream_read"(%in) : (!hlsdf.stream<f32, 64 : i64>) -> f32
  return %v : f32
}

// Streams of integers, indices and packed vectors are channels too.
// CHECK-LABEL: func.func @channels
// CHECK: %[[P:.*]] = "hlsdf.stream_create"() : () -> !hlsdf.stream<vector<16xf32>, 2 : i64>
// CHECK: "hlsdf.stream_create"() : () -> !hlsdf.stream<i8, 1024 : i64>
// CHECK: "hlsdf.stream_create"() : () -> !hlsdf.stream<index, 4 : i64>
// CHECK: "hlsdf.stream_read"(%[[P]]) : (!hlsdf.stream<vector<16xf32>, 2 : i64>) -> vector<16xf32>
func.func @channels() -> vector<16xf32> {
  %packed = "hlsdf.stream_create"() : () -> !hlsdf.stream<vector<16xf32>, 2>
  %bytes = "hlsdf.stream_create"() : () -> !hlsdf.stream<i8, 1024>
  %tokens = "hlsdf.stream_create"() : () -> !hlsdf.stream<index, 4>
  %row = "hlsdf.stream_read"(%packed) : (!hlsdf.stream<vector<16xf32>, 2>) -> vector<16xf32>
  return %row : vector<16xf32>
}

// CHECK-LABEL: func.func @kv_cache
// CHECK: "hlsdf.kv_append"(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<3x256x64xf32>, memref<3x1x64xf32>, index) -> ()
// CHECK: %[[W:.*]] = "hlsdf.kv_window"(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<3x256x64xf32>, index, index) -> memref<3x?x64xf32>
// CHECK: "hlsdf.kv_compress"(%{{.*}}, %{{.*}}) : (memref<3x256x64xf32>, memref<128xindex>) -> ()
// CHECK: return %[[W]]
func.func @kv_cache(%cache: memref<3x256x64xf32>, %rows: memref<3x1x64xf32>, %pos: index,
                    %len: index, %kept: memref<128xindex>) -> memref<3x?x64xf32> {
  %c0 = arith.constant 0 : index
  "hlsdf.kv_append"(%cache, %rows, %pos) : (memref<3x256x64xf32>, memref<3x1x64xf32>, index) -> ()
  %window = "hlsdf.kv_window"(%cache, %c0, %len) : (memref<3x256x64xf32>, index, index) -> memref<3x?x64xf32>
  "hlsdf.kv_compress"(%cache, %kept) : (memref<3x256x64xf32>, memref<128xindex>) -> ()
  return %window : memref<3x?x64xf32>
}

// CHECK-LABEL: func.func @weights
// CHECK: "hlsdf.weight_bank"() {bank = 3 : i64, name = "layers.0.attn.wq", offset = 4096 : i64} : () -> memref<576x576xf32>
func.func @weights() -> memref<576x576xf32> {
  %wq = "hlsdf.weight_bank"() {name = "layers.0.attn.wq", bank = 3 : i64, offset = 4096 : i64} : () -> memref<576x576xf32>
  return %wq : memref<576x576xf32>
}
