// RUN: llmhls-opt %S/Inputs/medusa-heads.mlir --pass-pipeline='builtin.module(hls-medusa-heads, hls-dataflow-tasks)' | filecheck %s
// RUN: llmhls-opt %S/Inputs/medusa-heads.mlir --pass-pipeline='builtin.module(hls-dataflow-tasks)' | filecheck %s --check-prefix=SERIAL
// RUN: sed 's/medusa\.blocks\./heads.blocks./g' %S/Inputs/medusa-heads.mlir | llmhls-opt --pass-pipeline='builtin.module(hls-medusa-heads, hls-dataflow-tasks)' | filecheck %s --check-prefix=SERIAL

// Three Medusa heads (h + SiLU(W_k h + b_k), d = 8) stacked for one shared LM
// head (vocab 16), as -O2 leaves them before hls-dataflow-tasks
// (Inputs/medusa-heads.mlir). Bufferization reuses scratch buffers across
// heads, so on its own hls-dataflow-tasks runs all three heads in one task.
// hls-medusa-heads gives each head its own scratch (and its own copy of the
// zero fill its accumulator starts from) and one task group: three head tasks
// that share no buffer, each fed by its own copy of h, which the one task
// that loads h writes (the broadcast).

// CHECK-LABEL: func.func private @heads_model_task0_medusa_head_0(
// CHECK-SAME: llmhls.arg = "medusa_blocks_0_weight"
// CHECK-LABEL: func.func private @heads_model_task4(
// CHECK-SAME: %[[H:[a-z0-9]+]]: memref<1x8xf32> {llmhls.arg = "h"}, %[[COPY1:[a-z0-9]+]]: memref<1x8xf32> {llmhls.arg = "buf_copy1"}, %[[COPY2:[a-z0-9]+]]: memref<1x8xf32> {llmhls.arg = "buf_copy2"}, %[[BUF:[a-z0-9]+]]: memref<1x8xf32>
// CHECK: %[[V:.*]] = affine.load %[[H]]
// CHECK-DAG: affine.store %[[V]], %[[BUF]]
// CHECK-DAG: affine.store %[[V]], %[[COPY1]]
// CHECK-DAG: affine.store %[[V]], %[[COPY2]]
// CHECK-LABEL: func.func private @heads_model_task6_medusa_head_0(
// CHECK-LABEL: func.func private @heads_model_task7_medusa_head_1(
// CHECK-LABEL: func.func private @heads_model_task8_medusa_head_2(
// CHECK-LABEL: func.func @heads_model(
// CHECK-SAME: %[[W0:arg0]]: memref<8x8xf32> {llmhls.arg = "medusa_blocks_0_weight"
// CHECK-SAME: %[[HIN:arg7]]: memref<1x8xf32> {llmhls.arg = "h"
// CHECK: call @heads_model_task0_medusa_head_0(%[[W0]],
// CHECK: call @heads_model_task1_medusa_head_1(
// CHECK: call @heads_model_task2_medusa_head_2(
// CHECK: call @heads_model_task4(%[[HIN]], %[[HC1:[a-z0-9_]+]], %[[HC2:[a-z0-9_]+]], %[[HC0:[a-z0-9_]+]])
// CHECK: call @heads_model_task6_medusa_head_0(%{{.*}}, %[[HC0]], {{.*}}, %[[R0:[a-z0-9_]+]])
// CHECK: call @heads_model_task7_medusa_head_1(%{{.*}}, %[[HC1]], {{.*}}, %[[R1:[a-z0-9_]+]])
// CHECK: call @heads_model_task8_medusa_head_2(%[[HC2]], {{.*}}, %[[R2:[a-z0-9_]+]])
// CHECK: call @heads_model_task9(%[[R0]], %[[STACK:[a-z0-9_]+]], %[[R1]], %[[R2]])
// CHECK: call @heads_model_task10(%{{.*}}, %[[STACK]],
// CHECK-NOT: hlsdf.task_group

// Without the pass (or with weights not named medusa.{k}, which it leaves
// alone) the three heads are one task: a call that takes every head's weights.
// SERIAL-NOT: medusa_head
// SERIAL: call @heads_model_task8(%alloc_6, %alloc, %alloc_0, %alloc_8, %alloc_9, %alloc_1, %alloc_2, %alloc_10, %alloc_3, %alloc_4)
