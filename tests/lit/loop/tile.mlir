// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-tile{tile-size=4})' | filecheck %s
// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-tile{tile-sizes=0x2x3})' | filecheck %s --check-prefix=SIZES
// RUN: not llmhls-opt %s --pass-pipeline='builtin.module(hls-loop-tile{tile-sizes=4y2})' 2>&1 | filecheck %s --check-prefix=BAD

// CHECK-DAG: #[[START:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0) -> (d0 + 4)>
// CHECK-DAG: #[[PARTIAL:.*]] = affine_map<(d0) -> (d0 + 4, 10)>

// i has 4 iterations (not more than the tile: untouched); j is tiled exactly;
// k, the only reduction loop, is tiled with a partial last tile. Tile loops
// come first, point loops keep the band order; point loops get trip counts.
// CHECK-LABEL: func.func @matmul
// CHECK: affine.for %[[JT:.*]] = 0 to 8 step 4 {
// CHECK-NEXT: affine.for %[[KT:.*]] = 0 to 10 step 4 {
// CHECK-NEXT: affine.for %[[I:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[J:.*]] = #[[START]](%[[JT]]) to #[[FULL]](%[[JT]]) {
// CHECK-NEXT: affine.for %[[K:.*]] = #[[START]](%[[KT]]) to min #[[PARTIAL]](%[[KT]]) {
// CHECK-NEXT: affine.load %arg0[%[[I]], %[[K]]] : memref<4x10xf32>
// CHECK: affine.store %{{.*}}, %arg2[%[[I]], %[[J]]] : memref<4x8xf32>
// CHECK-NEXT: } {hlsdf.tripcount = {avg = 3 : i64, max = 4 : i64, min = 2 : i64}, hlsdf.unroll = {factor = 2 : i64}}
// CHECK-NEXT: } {hlsdf.tripcount = {avg = 4 : i64, max = 4 : i64, min = 4 : i64}}
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @matmul(%a: memref<4x10xf32>, %b: memref<10x8xf32>, %c: memref<4x8xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      affine.for %k = 0 to 10 {
        %0 = affine.load %a[%i, %k] : memref<4x10xf32>
        %1 = affine.load %b[%k, %j] : memref<10x8xf32>
        %2 = affine.load %c[%i, %j] : memref<4x8xf32>
        %3 = arith.mulf %0, %1 : f32
        %4 = arith.addf %2, %3 : f32
        affine.store %4, %c[%i, %j] : memref<4x8xf32>
      } {hlsdf.unroll = {factor = 2 : i64}}
    }
  }
  return
}

// Two reduction loops (r, s): only the outer one is tiled, s keeps its whole
// range, so every out[i] still sums x[i][r][s] in (r, s) order.
// CHECK-LABEL: func.func @row_sums
// CHECK: affine.for %[[IT:.*]] = 0 to 8 step 4 {
// CHECK-NEXT: affine.for %[[RT:.*]] = 0 to 6 step 4 {
// CHECK-NEXT: affine.for %{{.*}} = #[[START]](%[[IT]]) to #[[FULL]](%[[IT]]) {
// CHECK-NEXT: affine.for %{{.*}} = #[[START]](%[[RT]]) to min #{{.*}}(%[[RT]]) {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 6 {
// CHECK-NOT: step
// CHECK: return
// SIZES-LABEL: func.func @row_sums
// SIZES: affine.for %[[RT:.*]] = 0 to 6 step 2 {
// SIZES-NEXT: affine.for %{{.*}} = 0 to 8 {
// SIZES-NEXT: affine.for %{{.*}} = #{{.*}}(%[[RT]]) to #{{.*}}(%[[RT]]) {
// SIZES-NEXT: affine.for %{{.*}} = 0 to 6 {
func.func @row_sums(%x: memref<8x6x6xf32>, %out: memref<8xf32>) {
  affine.for %i = 0 to 8 {
    affine.for %r = 0 to 6 {
      affine.for %s = 0 to 6 {
        %0 = affine.load %x[%i, %r, %s] : memref<8x6x6xf32>
        %1 = affine.load %out[%i] : memref<8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %out[%i] : memref<8xf32>
      }
    }
  }
  return
}

// Negative: a wavefront; upstream affine-loop-tile tiles it and changes the
// result, hls-loop-tile leaves it alone.
// CHECK-LABEL: func.func @wavefront
// CHECK: affine.for %{{.*}} = 1 to 8 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 7 {
// CHECK-NOT: hlsdf.tripcount
// CHECK: return
func.func @wavefront(%a: memref<8x8xf32>) {
  affine.for %i = 1 to 8 {
    affine.for %j = 0 to 7 {
      %0 = affine.load %a[%i - 1, %j + 1] : memref<8x8xf32>
      affine.store %0, %a[%i, %j] : memref<8x8xf32>
    }
  }
  return
}

// BAD: error: hls-loop-tile option tile-sizes expects sizes like 4x8x16, got '4y2'

// A single loop is not a band worth tiling.
// CHECK-LABEL: func.func @single
// CHECK: affine.for %{{.*}} = 0 to 64 {
// CHECK-NOT: step
// CHECK: return
func.func @single(%a: memref<64xf32>) {
  affine.for %i = 0 to 64 {
    %0 = affine.load %a[%i] : memref<64xf32>
    affine.store %0, %a[%i] : memref<64xf32>
  }
  return
}
