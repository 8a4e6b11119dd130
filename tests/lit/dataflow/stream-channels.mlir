// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s
// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-stream-channels)' | llmhls-translate --emit-hlscpp | filecheck %s --check-prefix=CPP
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels{min-depth=8})' | filecheck %s --check-prefix=DEEP
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels, hls-qor-annotate)' | filecheck %s --check-prefix=QOR
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels{max-copies=1})' | filecheck %s --check-prefix=ONE
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels{min-depth=0})' 2>&1 | filecheck %s --check-prefix=BAD

// An elementwise chain: x_load copies the input into %xb, relu reads it once
// and writes %act once, scale reads that once. Both buffers are written and
// read element by element in the same row-major order, so both become FIFOs.
// Depth: the producer's latency up to its write, at least min-depth and at
// most the 128 elements: x_load reads m_axi (64 cycles) + the write = 65;
// relu reads a stream (1) + maximumf (1) + the write (1) = 3.
// x_load is unrolled twice: two FIFO writes per pipelined iteration give it
// II 2 in the QoR estimate.
// QOR-LABEL: func.func private @k_task0_x_load
// QOR: hlsdf.qor = {bound = "compute", ii = 2 : i64, latency = {{[0-9]+}} : i64, limit = "stream"}
// CHECK-LABEL: func.func private @k_task0_x_load
// CHECK-SAME: %arg1: !hlsdf.stream<f32, 65 : i64>
// CHECK: %[[V:.*]] = affine.load %arg0
// CHECK-NEXT: "hlsdf.stream_write"(%arg1, %[[V]])
// CHECK-NEXT: } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 2 : i64}}
// CHECK-LABEL: func.func private @k_task1_act_relu
// CHECK-SAME: %arg0: !hlsdf.stream<f32, 65 : i64>
// CHECK-SAME: %arg1: !hlsdf.stream<f32, 3 : i64>
// CHECK: %[[X:.*]] = "hlsdf.stream_read"(%arg0) : (!hlsdf.stream<f32, 65 : i64>) -> f32
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[X]]
// CHECK-NEXT: "hlsdf.stream_write"(%arg1, %[[R]])
// CHECK-LABEL: func.func private @k_task2_y_scale
// CHECK: "hlsdf.stream_read"(%arg0) : (!hlsdf.stream<f32, 3 : i64>) -> f32
// CHECK-NOT: affine.load %arg0
// CHECK-LABEL: func.func @k
// CHECK-NOT: memref.alloc
// CHECK: %[[XB:.*]] = "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 65 : i64> loc(#[[XLOC:.*]])
// CHECK-NEXT: call @k_task0_x_load(%arg0, %[[XB]]) : (memref<8x16xf32>, !hlsdf.stream<f32, 65 : i64>) -> ()
// CHECK-NEXT: %[[ACT:.*]] = "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 3 : i64>
// CHECK-NEXT: call @k_task1_act_relu(%[[XB]], %[[ACT]])
// CHECK-NEXT: call @k_task2_y_scale(%[[ACT]], %arg1)
// CHECK: #[[XLOC]] = loc("x_buffer")

// CPP: #include "hls_math.h"
// CPP-NEXT: #include "hls_stream.h"
// CPP: static void k_task0_x_load(
// CPP-NEXT: const float x[128],
// CPP-NEXT: hls::stream<float>& x_buffer
// CPP: x_buffer.write(t0);
// CPP: static void k_task1_act_relu(
// CPP-NEXT: hls::stream<float>& x_buffer,
// CPP-NEXT: hls::stream<float>& act_relu
// CPP: const float t0 = x_buffer.read();
// CPP-NEXT: const float t1 = hls::fmax(t0, 0.0f);
// CPP-NEXT: act_relu.write(t1);
// CPP: void k(
// CPP: #pragma HLS dataflow
// CPP-NEXT: hls::stream<float> x_buffer("x_buffer");
// CPP-NEXT: #pragma HLS stream variable=x_buffer depth=65
// CPP-NEXT: k_task0_x_load(x, x_buffer);
// CPP-NEXT: hls::stream<float> act_relu("act_relu");
// CPP-NEXT: #pragma HLS stream variable=act_relu depth=3
// CPP-NEXT: k_task1_act_relu(x_buffer, act_relu);
// CPP-NEXT: k_task2_y_scale(act_relu, y);

// DEEP: "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 65 : i64>
// DEEP: "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 8 : i64>

// With max-copies=1 the unrolled x_load keeps its buffer; relu -> scale
// (one access per iteration on both sides) still becomes a FIFO, of depth
// 4 now that relu loads from a buffer (2) before maximumf (1) and the write.
// ONE-LABEL: func.func @k
// ONE-NEXT: memref.alloc() : memref<8x16xf32>
// ONE-NEXT: call @k_task0_x_load
// ONE-NEXT: "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 4 : i64>

// BAD: error: hls-stream-channels min-depth must be >= 1, got 0
module {
  func.func private @k_task0_x_load(%x: memref<8x16xf32> {llmhls.arg = "x"}, %xb: memref<8x16xf32> {llmhls.arg = "x_buffer"}) attributes {hlsdf.task} {
    affine.for %i = 0 to 8 {
      affine.for %j = 0 to 16 {
        %v = affine.load %x[%i, %j] : memref<8x16xf32>
        affine.store %v, %xb[%i, %j] : memref<8x16xf32>
      } {hlsdf.pipeline = {ii = 1 : i64}, hlsdf.unroll = {factor = 2 : i64}}
    }
    return
  }
  func.func private @k_task1_act_relu(%xb: memref<8x16xf32> {llmhls.arg = "x_buffer"}, %act: memref<8x16xf32> {llmhls.arg = "act_relu"}) attributes {hlsdf.task} {
    %zero = arith.constant 0.0 : f32
    affine.for %i = 0 to 8 {
      affine.for %j = 0 to 16 {
        %v = affine.load %xb[%i, %j] : memref<8x16xf32>
        %r = arith.maximumf %v, %zero : f32
        affine.store %r, %act[%i, %j] : memref<8x16xf32>
      } {hlsdf.pipeline = {ii = 1 : i64}}
    }
    return
  }
  func.func private @k_task2_y_scale(%act: memref<8x16xf32> {llmhls.arg = "act_relu"}, %y: memref<8x16xf32> {llmhls.arg = "y"}) attributes {hlsdf.task} {
    %two = arith.constant 2.0 : f32
    affine.for %i = 0 to 8 {
      affine.for %j = 0 to 16 {
        %v = affine.load %act[%i, %j] : memref<8x16xf32>
        %m = arith.mulf %v, %two : f32
        affine.store %m, %y[%i, %j] : memref<8x16xf32>
      } {hlsdf.pipeline = {ii = 1 : i64}}
    }
    return
  }
  func.func @k(%x: memref<8x16xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<8x16xf32> {llmhls.arg = "y", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %xb = memref.alloc() : memref<8x16xf32> loc("x_buffer")
    call @k_task0_x_load(%x, %xb) : (memref<8x16xf32>, memref<8x16xf32>) -> ()
    %act = memref.alloc() : memref<8x16xf32> loc("act:relu")
    call @k_task1_act_relu(%xb, %act) : (memref<8x16xf32>, memref<8x16xf32>) -> ()
    call @k_task2_y_scale(%act, %y) : (memref<8x16xf32>, memref<8x16xf32>) -> ()
    return
  }
}
