// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s

// CHECK-LABEL: void casts(
// CHECK: L_act_where_0: for (int i0 = 0; i0 < 8; ++i0) {
// CHECK-NEXT: const float t0 = x[i0];
// CHECK-NEXT: const int32_t t1 = n[i0];
//
// cmpf: ordered predicates are the C comparison (false on NaN); `une` is !=;
// `one` must be false on NaN, unordered ones true; `ord` tests for NaN.
// CHECK-NEXT: const bool t2 = t0 < 0.5f;
// CHECK-NEXT: const bool t3 = t0 != t0;
// CHECK-NEXT: const bool t4 = t0 < 0.5f || t0 > 0.5f;
// CHECK-NEXT: const bool t5 = !(t0 >= 0.5f);
// CHECK-NEXT: const bool t6 = !std::isnan(t0) && !std::isnan(0.5f);
//
// cmpi: signed predicates compare the signless C value; unsigned ones cast
// both sides to the unsigned type of the same width.
// CHECK-NEXT: const bool t7 = t1 >= -5;
// CHECK-NEXT: const bool t8 = (uint32_t)t1 < (uint32_t)-5;
// CHECK-NEXT: const bool t9 = t2 & t7;
// CHECK-NEXT: const bool t10 = t9 | t8;
//
// Casts are C casts to the result type; select is ?:.
// CHECK-NEXT: const float t11 = (float)t1;
// CHECK-NEXT: const float t12 = t10 ? t0 : t11;
// CHECK-NEXT: const int32_t t13 = (int32_t)t12;
// CHECK-NEXT: const int64_t t14 = (int64_t)i0;
// CHECK-NEXT: const int64_t t15 = (int64_t)t13;
//
// Integer max/min are std::max/std::min with both operands cast to one type
// (an i64 literal is `3LL`); divsi/remsi are C / and %.
// CHECK-NEXT: const int64_t t16 = std::max((int64_t)t15, (int64_t)3LL);
// CHECK-NEXT: const int64_t t17 = std::min((int64_t)t16, (int64_t)t14);
// CHECK-NEXT: const int64_t t18 = t16 / 3LL;
// CHECK-NEXT: const int64_t t19 = t18 % 3LL;
// CHECK-NEXT: const int64_t t20 = t19 + t17;
// CHECK-NEXT: const int32_t t21 = (int32_t)t20;
// CHECK-NEXT: const int t22 = (int)t21;
//
// Zero-extension reads the source as unsigned first; truncation to i1 keeps
// the low bit.
// CHECK-NEXT: const int8_t t23 = b[i0];
// CHECK-NEXT: const int32_t t24 = (int32_t)(uint8_t)t23;
// CHECK-NEXT: const float t25 = (float)(uint32_t)t1;
// CHECK-NEXT: const int64_t t26 = (int64_t)t2;
// CHECK-NEXT: const bool t27 = (t21 & 1) != 0;
// CHECK-NEXT: const int64_t t28 = t3 ? t15 : t14;
// CHECK-NEXT: const float t29 = -t12;
// CHECK-NEXT: y[i0] = t29;
// CHECK-NEXT: k[i0] = t28;
func.func @casts(%x: memref<8xf32> {llmhls.arg = "x", llmhls.role = "input"},
                 %n: memref<8xi32> {llmhls.arg = "n", llmhls.role = "input"},
                 %b: memref<8xi8> {llmhls.arg = "b", llmhls.role = "input"},
                 %y: memref<8xf32> {llmhls.arg = "y", llmhls.role = "output"},
                 %k: memref<8xi64> {llmhls.arg = "k", llmhls.role = "output"}) {
  %c3 = arith.constant 3 : i64
  %cm = arith.constant -5 : i32
  %half = arith.constant 0.5 : f32
  affine.for %i = 0 to 8 {
    %v = affine.load %x[%i] : memref<8xf32>
    %q = affine.load %n[%i] : memref<8xi32>
    %lt = arith.cmpf olt, %v, %half : f32
    %isnan = arith.cmpf une, %v, %v : f32
    %one = arith.cmpf one, %v, %half : f32
    %ult = arith.cmpf ult, %v, %half : f32
    %ord = arith.cmpf ord, %v, %half : f32
    %ge = arith.cmpi sge, %q, %cm : i32
    %ultu = arith.cmpi ult, %q, %cm : i32
    %both = arith.andi %lt, %ge : i1
    %any = arith.ori %both, %ultu : i1
    %qf = arith.sitofp %q : i32 to f32
    %s = arith.select %any, %v, %qf : f32
    %vi = arith.fptosi %s : f32 to i32
    %ii = arith.index_cast %i : index to i64
    %wide = arith.extsi %vi : i32 to i64
    %m = arith.maxsi %wide, %c3 : i64
    %mn = arith.minsi %m, %ii : i64
    %d = arith.divsi %m, %c3 : i64
    %r = arith.remsi %d, %c3 : i64
    %sum = arith.addi %r, %mn : i64
    %narrow = arith.trunci %sum : i64 to i32
    %idx = arith.index_cast %narrow : i32 to index
    %byte = affine.load %b[%i] : memref<8xi8>
    %zext = arith.extui %byte : i8 to i32
    %uf = arith.uitofp %q : i32 to f32
    %flag = arith.extui %lt : i1 to i64
    %bit = arith.trunci %narrow : i32 to i1
    %sel = arith.select %isnan, %wide, %ii : i64
    %neg = arith.negf %s : f32
    affine.store %neg, %y[%i] : memref<8xf32>
    affine.store %sel, %k[%i] : memref<8xi64>
  } loc("act:where")
  return
}
