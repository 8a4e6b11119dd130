// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// A yield that feeds one iter_arg from another, (a, b) <- (a + b, a), reads
// every yielded value before writing any accumulator: the plain
// `acc0 = t2; acc1 = acc0;` would give b the new a. The upper bound here is an
// SSA value (a scalar argument) and the step is 2.
// CHECK-LABEL: static void fib(
// CHECK: ) {
// CHECK: int32_t acc0 = 0;
// CHECK-NEXT: int32_t acc1 = 1;
// CHECK-NEXT: L_seq_fib_0: for (int i0 = 0; i0 < n; i0 += 2) {
// CHECK-NEXT: const int32_t t2 = acc0 + acc1;
// CHECK-NEXT: const int32_t t3 = t2;
// CHECK-NEXT: const int32_t t4 = acc0;
// CHECK-NEXT: acc0 = t3;
// CHECK-NEXT: acc1 = t4;
// CHECK-NEXT: }
// CHECK-NEXT: y[0] = acc0;
func.func @fib(%n: index {llmhls.arg = "n"},
               %y: memref<1xi32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %a0 = arith.constant 0 : i32
  %b0 = arith.constant 1 : i32
  %r:2 = scf.for %i = %c0 to %n step %c2 iter_args(%a = %a0, %b = %b0) -> (i32, i32) {
    %s = arith.addi %a, %b : i32
    scf.yield %s, %a : i32, i32
  } loc("seq:fib")
  affine.store %r#0, %y[0] : memref<1xi32>
  return
}

// scf.for iter_args are mutable accumulators declared before the loop with
// their init value; scf.yield assigns them at the end of each iteration and
// the loop result reads them after it.
// CHECK-LABEL: void relu_sum(
// CHECK: float acc0 = 0.0f;
// CHECK-NEXT: L_head_sum_0: for (int i0 = 0; i0 < 16; ++i0) {
// CHECK-NEXT: const float t1 = x[i0];
//
// `ugt` is true on NaN, so it is written as the negated ordered test (a NaN
// input keeps flowing, as with PyTorch's ReLU).
// CHECK-NEXT: const bool t2 = !(t1 <= 0.0f);
//
// scf.if with a result: a variable declared before the if, set in each branch.
// CHECK-NEXT: float sel3;
// CHECK-NEXT: if (t2) {
// CHECK-NEXT: sel3 = t1;
// CHECK-NEXT: } else {
// CHECK-NEXT: sel3 = 0.0f;
// CHECK-NEXT: }
// CHECK-NEXT: const float t4 = acc0 + sel3;
// CHECK-NEXT: acc0 = t4;
// CHECK-NEXT: }
// CHECK-NEXT: y[0] = acc0;
func.func @relu_sum(%x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
                    %y: memref<1xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %x[%i] : memref<16xf32>
    %pos = arith.cmpf ugt, %v, %zero : f32
    %r = scf.if %pos -> (f32) {
      scf.yield %v : f32
    } else {
      scf.yield %zero : f32
    }
    %next = arith.addf %acc, %r : f32
    scf.yield %next : f32
  } loc("head:sum")
  memref.store %sum, %y[%c0] : memref<1xf32>
  return
}
