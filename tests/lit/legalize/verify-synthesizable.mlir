// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-verify-synthesizable)' | filecheck %s --check-prefix=OK
// RUN: not llmhls-opt %S/Inputs/dynamic-trip-count.mlir --pass-pipeline='builtin.module(hls-verify-synthesizable)' 2>&1 | filecheck %s --check-prefix=TRIP
// RUN: not llmhls-opt %S/Inputs/recursion.mlir --pass-pipeline='builtin.module(hls-verify-synthesizable)' 2>&1 | filecheck %s --check-prefix=REC
// RUN: not llmhls-opt %S/Inputs/dynamic-alloc.mlir --pass-pipeline='builtin.module(hls-verify-synthesizable)' 2>&1 | filecheck %s --check-prefix=ALLOC
// RUN: not llmhls-opt %S/Inputs/foreign-dialect.mlir --pass-pipeline='builtin.module(hls-verify-synthesizable)' 2>&1 | filecheck %s --check-prefix=DIALECT

// Tiled loops whose bounds come from constants and enclosing counters are static.
// OK-LABEL: func.func @tiled
// OK: affine.for
// OK: scf.for
func.func @tiled(%a: memref<10xf32>) {
  affine.for %t = 0 to 10 step 4 {
    affine.for %i = affine_map<(d0) -> (d0)>(%t) to min affine_map<(d0) -> (d0 + 4, 10)>(%t) {
      %v = affine.load %a[%i] : memref<10xf32>
      affine.store %v, %a[%i] : memref<10xf32>
    }
  }
  %c0 = arith.constant 0 : index
  %c10 = arith.constant 10 : index
  %c2 = arith.constant 2 : index
  scf.for %j = %c0 to %c10 step %c2 {
    %v = memref.load %a[%j] : memref<10xf32>
    memref.store %v, %a[%j] : memref<10xf32>
  }
  return
}

// TRIP: error: loop (from aten.nonzero in module 'sel') has a data-dependent trip count (bound computed by 'memref.load'): HLS needs static trip counts
// REC: error: recursive calls (f -> g -> f) cannot be synthesized
// ALLOC: error: dynamic allocation memref<?xf32> (from aten.empty in module '<top>'): HLS needs static buffer sizes
// DIALECT: error: op 'linalg.fill' (from aten.zeros in module 'init') is not synthesizable by llmhls: only func, affine, scf, arith, math, memref, hlsdf ops reach HLS C++
// TRIP-NOT: Traceback
