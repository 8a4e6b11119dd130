// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-dataflow-tasks)' | filecheck %s
// RUN: llmhls-opt %s --mlir-print-debuginfo --pass-pipeline='builtin.module(hls-dataflow-tasks)' | llmhls-translate --emit-hlscpp | filecheck %s --check-prefix=CPP

// The region comes out in UG1399 canonical form:
// - %t (two halves written through subviews) is read by three later tasks:
//   the producer stores every value to two copies as well, and the second
//   and third readers each read their own copy;
// - the producer gets %t once, not once per subview: the views are rebuilt
//   inside it;
// - %s is scratch of the first task only: it becomes that task's local array.
// CHECK-LABEL: func.func private @fan_task0_t_lo(
// CHECK-SAME: %{{[^:]*}}: memref<8xf32> {llmhls.arg = "x"}
// CHECK-SAME: %[[C1:[^:]*]]: memref<8xf32> {llmhls.arg = "t_lo_copy1"}
// CHECK-SAME: %[[C2:[^:]*]]: memref<8xf32> {llmhls.arg = "t_lo_copy2"}
// CHECK-SAME: %[[T:[^:]*]]: memref<8xf32> {llmhls.arg = "t_lo"}
// CHECK-SAME: ) attributes {hlsdf.task}
// CHECK-NEXT: %[[S:.*]] = memref.alloc() : memref<4xf32>
// CHECK-DAG: %[[LO1:.*]] = memref.subview %[[C1]][0] [4] [1]
// CHECK-DAG: %[[LO2:.*]] = memref.subview %[[C2]][0] [4] [1]
// CHECK-DAG: %[[LO:.*]] = memref.subview %[[T]][0] [4] [1]
// CHECK: affine.store %[[V:.*]], %[[S]]
// CHECK-NEXT: affine.store %[[V]], %[[LO1]]
// CHECK-NEXT: affine.store %[[V]], %[[LO2]]
// CHECK-NEXT: affine.store %[[V]], %[[LO]]
// CHECK-LABEL: func.func @fan(
// CHECK-NEXT: %[[B1:.*]] = memref.alloc() : memref<8xf32> loc(#[[L1:[a-z0-9]*]])
// CHECK-NEXT: %[[B2:.*]] = memref.alloc() : memref<8xf32> loc(#[[L2:[a-z0-9]*]])
// CHECK-NEXT: %[[BT:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: call @fan_task0_t_lo(%arg0, %[[B1]], %[[B2]], %[[BT]])
// CHECK-NEXT: call @fan_task1_y_a(%[[BT]], %arg1)
// CHECK-NEXT: call @fan_task2_z_b(%[[B1]], %arg2)
// CHECK-NEXT: call @fan_task3_w_c(%[[B2]], %arg3)
// CHECK-NEXT: return
// CHECK-DAG: #[[L1]] = loc("t:lo_copy1"
// CHECK-DAG: #[[L2]] = loc("t:lo_copy2"

// Channels are local, non-static arrays, each passed to one writer and one
// reader; the scratch array stays inside its task.
// CPP-LABEL: static void fan_task0_t_lo(
// CPP: static float s_tmp[4];
// CPP-LABEL: void fan(
// CPP: #pragma HLS dataflow
// CPP-NEXT: {{^}}  float t_lo_copy1[8];
// CPP-NEXT: {{^}}  float t_lo_copy2[8];
// CPP-NEXT: {{^}}  float t_lo[8];
// CPP-NEXT: fan_task0_t_lo(x, t_lo_copy1, t_lo_copy2, t_lo);
// CPP-NEXT: fan_task1_y_a(t_lo, y);
// CPP-NEXT: fan_task2_z_b(t_lo_copy1, z);
// CPP-NEXT: fan_task3_w_c(t_lo_copy2, w);
func.func @fan(%x: memref<8xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<8xf32> {llmhls.arg = "y", llmhls.role = "output"},
               %z: memref<8xf32> {llmhls.arg = "z", llmhls.role = "output"},
               %w: memref<8xf32> {llmhls.arg = "w", llmhls.role = "output"}) {
  %two = arith.constant 2.0 : f32
  %t = memref.alloc() : memref<8xf32> loc("t:lo")
  %s = memref.alloc() : memref<4xf32> loc("s:tmp")
  %lo = memref.subview %t[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %hi = memref.subview %t[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<8xf32>
    affine.store %v, %s[%i] : memref<4xf32>
    affine.store %v, %lo[%i] : memref<4xf32, strided<[1]>>
  } loc("t:lo")
  affine.for %i = 0 to 4 {
    %v = affine.load %s[%i] : memref<4xf32>
    %m = arith.mulf %v, %two : f32
    affine.store %m, %hi[%i] : memref<4xf32, strided<[1], offset: 4>>
  } loc("t:hi")
  affine.for %i = 0 to 8 {
    %v = affine.load %t[%i] : memref<8xf32>
    affine.store %v, %y[%i] : memref<8xf32>
  } loc("y:a")
  affine.for %i = 0 to 8 {
    %v = affine.load %t[%i] : memref<8xf32>
    %m = arith.mulf %v, %two : f32
    affine.store %m, %z[%i] : memref<8xf32>
  } loc("z:b")
  affine.for %i = 0 to 8 {
    %v = affine.load %t[%i] : memref<8xf32>
    %m = arith.addf %v, %two : f32
    affine.store %m, %w[%i] : memref<8xf32>
  } loc("w:c")
  return
}
