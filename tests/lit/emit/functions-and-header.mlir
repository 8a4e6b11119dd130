// RUN: llmhls-translate --emit-hlscpp %s | filecheck %s
// RUN: llmhls-translate --emit-hlscpp --top other %s | filecheck %s --check-prefix=TOP
// RUN: llmhls-translate --emit-header %s | filecheck %s --check-prefix=HEADER
// RUN: not llmhls-translate --emit-hlscpp --top missing %s 2>&1 | filecheck %s --check-prefix=MISSING

// The top function (by default the last public one) is the only one with
// external linkage; the others are `static`, declared up front so that the order of
// definitions does not matter, and carry no INTERFACE pragmas. Their array
// parameters are sized (what Vitis needs to see a dataflow channel's extent);
// a strided view's size reaches its last addressable element.
// CHECK: #include "block.h"
// CHECK: static void scale(
// CHECK-NEXT: const float arg0[4],
// CHECK-NEXT: float arg1[4],
// CHECK-NEXT: float arg2
// CHECK-NEXT: );
// CHECK: static void shift_row(
// CHECK-NEXT: const float arg0[8],
// CHECK-NEXT: float arg1[8]
// CHECK-NEXT: );
//
// A parameter is `const` unless the function (or a callee) stores through it.
// CHECK: static void scale(
// CHECK-NEXT: const float arg0[4],
// CHECK-NEXT: float arg1[4],
// CHECK-NEXT: float arg2
// CHECK-NEXT: ) {
// CHECK-NOT: #pragma HLS INTERFACE
// CHECK: arg1[i0] = t1;
//
// func.call is a C call: memrefs pass their storage pointer, scalars their value.
// CHECK-LABEL: {{^}}void block(
// CHECK: #pragma HLS INTERFACE m_axi port=x offset=slave bundle=gmem_in depth=8
// CHECK: scale(x, y, 2.0f);
// CHECK-NEXT: shift_row(x, y);
// CHECK-NEXT: }
//
// A callee whose parameter type has an offset indexes from the base pointer,
// like its caller.
// CHECK: static void shift_row(
// CHECK-NEXT: const float arg0[8],
// CHECK-NEXT: float arg1[8]
// CHECK-NEXT: ) {
// CHECK-NEXT: L_blk_copy_0: for (int i0 = 0; i0 < 4; ++i0) {
// CHECK-NEXT: const float t0 = arg0[i0 + 4];
// CHECK-NEXT: arg1[i0 + 4] = t0;

// --top picks another function; block then becomes static in turn.
// TOP: #include "other.h"
// TOP: static void block(
// TOP: {{^}}void other(
// TOP-NEXT: const float* in,
// TOP-NEXT: float* out,
// TOP-NEXT: float k
// TOP-NEXT: ) {
// TOP: #pragma HLS INTERFACE s_axilite port=k bundle=control
// TOP: scale(in, out, k);

// The header declares only the top function, inside an include guard.
// HEADER: #ifndef LLMHLS_BLOCK_H
// HEADER-NEXT: #define LLMHLS_BLOCK_H
// HEADER-EMPTY:
// HEADER-NEXT: #include <cstdint>
// HEADER-EMPTY:
// HEADER-NEXT: void block(
// HEADER-NEXT: const float* x,
// HEADER-NEXT: float* y
// HEADER-NEXT: );
// HEADER-EMPTY:
// HEADER-NEXT: #endif  // LLMHLS_BLOCK_H
// HEADER-NOT: scale

// MISSING: error: top function 'missing' not found in the module
// MISSING-NOT: Traceback

func.func private @scale(%x: memref<4xf32>, %y: memref<4xf32>, %k: f32) {
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %w = arith.mulf %v, %k : f32
    affine.store %w, %y[%i] : memref<4xf32>
  } loc("blk:mul")
  return
}
func.func @other(%x: memref<4xf32> {llmhls.arg = "in", llmhls.role = "input"},
                 %y: memref<4xf32> {llmhls.arg = "out", llmhls.role = "output"},
                 %k: f32 {llmhls.arg = "k"}) {
  call @scale(%x, %y, %k) : (memref<4xf32>, memref<4xf32>, f32) -> ()
  return
}
func.func @block(%x: memref<2x4xf32> {llmhls.arg = "x", llmhls.role = "input"},
                 %y: memref<2x4xf32> {llmhls.arg = "y", llmhls.role = "output"}) {
  %two = arith.constant 2.0 : f32
  %x0 = memref.subview %x[0, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1]>>
  %y0 = memref.subview %y[0, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1]>>
  %a = memref.cast %x0 : memref<4xf32, strided<[1]>> to memref<4xf32>
  %b = memref.cast %y0 : memref<4xf32, strided<[1]>> to memref<4xf32>
  call @scale(%a, %b, %two) : (memref<4xf32>, memref<4xf32>, f32) -> ()
  %x1 = memref.subview %x[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
  %y1 = memref.subview %y[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
  call @shift_row(%x1, %y1) : (memref<4xf32, strided<[1], offset: 4>>, memref<4xf32, strided<[1], offset: 4>>) -> ()
  return
}
// Defined after its caller: the prototype above makes this legal C++.
func.func private @shift_row(%x: memref<4xf32, strided<[1], offset: 4>>, %y: memref<4xf32, strided<[1], offset: 4>>) {
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32, strided<[1], offset: 4>>
    affine.store %v, %y[%i] : memref<4xf32, strided<[1], offset: 4>>
  } loc("blk:copy")
  return
}
