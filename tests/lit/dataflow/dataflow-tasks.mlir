// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-dataflow-tasks)' | filecheck %s
// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-dataflow-tasks)' | llmhls-translate --emit-hlscpp | filecheck %s --check-prefix=CPP
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-dataflow-tasks{max-tasks=2})' | filecheck %s --check-prefix=FUSED
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-dataflow-tasks{fuse-below=0.9})' | filecheck %s --check-prefix=TINY
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-dataflow-tasks{fuse-below=1.5})' 2>&1 | filecheck %s --check-prefix=BAD

// Three loop nests: the fill and the accumulation both write %acc, so they
// form one task (a buffer has one producer); the scaling reads it afterwards
// and becomes a second task. The top keeps the buffers and calls the tasks.
// CHECK: func.func private @relu_sum_task0_acc_fill({{.*}}) attributes {hlsdf.task}
// CHECK-COUNT-2: affine.for %{{.*}} = 0 to 4 {
// CHECK: func.func private @relu_sum_task1_out_scale({{.*}}) attributes {hlsdf.task}
// CHECK: func.func @relu_sum({{.*}}) attributes {hlsdf.dataflow}
// CHECK: memref.alloc
// CHECK-NEXT: call @relu_sum_task0_acc_fill(
// CHECK-NEXT: call @relu_sum_task1_out_scale(
// CHECK-NEXT: return

// CPP: static void relu_sum_task0_acc_fill(
// CPP-NEXT: float acc_fill[4],
// CPP: #pragma HLS inline off
// CPP: void relu_sum(
// CPP: #pragma HLS dataflow
// CPP-NOT: static float
// CPP: {{^}}  float acc_fill[4];  // [4]
// CPP-NEXT: relu_sum_task0_acc_fill(acc_fill, x);

// With max-tasks=2 nothing changes here: the grouping already gives two tasks.
// FUSED-COUNT-2: attributes {hlsdf.task}

// The scaling task's estimated latency is below 0.9x the first task's, so it is
// fused into it; one task left is no dataflow at all: the function keeps its
// three loop nests in place, with no task or dataflow attribute.
// TINY-NOT: hlsdf.task
// TINY-LABEL: func.func @relu_sum(
// TINY-NOT: hlsdf.dataflow
// TINY-COUNT-3: affine.for %{{.*}} = 0 to 4 {
// TINY-NOT: call
// TINY: return
// BAD: error: hls-dataflow-tasks fuse-below must be in [0, 1), got 1.5
func.func @relu_sum(%x: memref<4xf32> {llmhls.arg = "x", llmhls.role = "input"},
                    %y: memref<4xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %acc = memref.alloc() : memref<4xf32> loc("acc:fill")
  affine.for %i = 0 to 4 {
    affine.store %zero, %acc[%i] : memref<4xf32>
  } loc("acc:fill")
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %a = affine.load %acc[%i] : memref<4xf32>
    %r = arith.maximumf %v, %zero : f32
    %s = arith.addf %a, %r : f32
    affine.store %s, %acc[%i] : memref<4xf32>
  } loc("acc:add")
  affine.for %i = 0 to 4 {
    %a = affine.load %acc[%i] : memref<4xf32>
    %m = arith.mulf %a, %two : f32
    affine.store %m, %y[%i] : memref<4xf32>
  } loc("out:scale")
  return
}
