// The attention of one decode step over a KV cache [kv_heads=1, context=8, head_dim=4],
// bufferized: produced by llmhls from a module doing k_cache.index_copy(1, positions, k),
// v_cache likewise, then scaled_dot_product_attention under the mask positions[:, None] >=
// arange(8) (compiler/frontend export_module, compiler/importer import_program, then
// lowering.BUFFERIZE_PASSES through llmhls-opt). Used by kv-cache-buffer.mlir.
#map = affine_map<(d0) -> (d0)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map3 = affine_map<(d0, d1, d2) -> (d1)>
#map4 = affine_map<(d0, d1, d2) -> (d2)>
#map5 = affine_map<(d0, d1) -> (d0, 0)>
#map6 = affine_map<(d0, d1) -> (d0, d1)>
#map7 = affine_map<(d0, d1) -> ()>
#map8 = affine_map<(d0, d1, d2) -> (d1, d2)>
#map9 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
module {
  memref.global "private" constant @__constant_xf32_0 : memref<f32> = dense<0xFF800000> {alignment = 64 : i64}
  memref.global "private" constant @__constant_xf32 : memref<f32> = dense<0.000000e+00> {alignment = 64 : i64}
  memref.global "private" constant @__constant_1x1x8xf32 : memref<1x1x8xf32> = dense<0.000000e+00> {alignment = 64 : i64}
  func.func @attend(%arg0: memref<1x1x4xf32> {llmhls.arg = "q", llmhls.name = "q", llmhls.role = "input"}, %arg1: memref<1x1x4xf32> {llmhls.arg = "k", llmhls.name = "k", llmhls.role = "input"}, %arg2: memref<1x1x4xf32> {llmhls.arg = "v", llmhls.name = "v", llmhls.role = "input"}, %arg3: memref<1xi64> {llmhls.arg = "positions", llmhls.name = "positions", llmhls.role = "input"}, %arg4: memref<1x8x4xf32> {llmhls.arg = "k_cache", llmhls.name = "k_cache", llmhls.role = "input"}, %arg5: memref<1x8x4xf32> {llmhls.arg = "v_cache", llmhls.name = "v_cache", llmhls.role = "input"}) -> (memref<1x4xf32> {llmhls.arg = "output0", llmhls.name = "output0", llmhls.role = "output"}, memref<1x8x4xf32> {llmhls.arg = "output1", llmhls.name = "output1", llmhls.role = "output"}, memref<1x8x4xf32> {llmhls.arg = "output2", llmhls.name = "output2", llmhls.role = "output"}) {
    %cst = arith.constant 0xFFF0000000000000 : f64
    %cst_0 = arith.constant 0.70710678118654757 : f64
    %true = arith.constant true
    %cst_1 = arith.constant 0xFF800000 : f32
    %cst_2 = arith.constant 0.000000e+00 : f32
    %c0_i64 = arith.constant 0 : i64
    %0 = memref.get_global @__constant_1x1x8xf32 : memref<1x1x8xf32>
    %1 = memref.get_global @__constant_xf32 : memref<f32>
    %2 = memref.get_global @__constant_xf32_0 : memref<f32>
    %alloc = memref.alloc() {alignment = 64 : i64} : memref<1x1x4xf32>
    linalg.transpose ins(%arg1 : memref<1x1x4xf32>) outs(%alloc : memref<1x1x4xf32>) permutation = [1, 0, 2] 
    %alloc_3 = memref.alloc() {alignment = 64 : i64} : memref<4xi64>
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%alloc_3 : memref<4xi64>) {
    ^bb0(%out: i64):
      %3 = linalg.index 0 : index
      %4 = arith.index_cast %3 : index to i64
      linalg.yield %4 : i64
    }
    %alloc_4 = memref.alloc() {alignment = 64 : i64} : memref<1xi64>
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%alloc_4 : memref<1xi64>) {
    ^bb0(%out: i64):
      linalg.yield %c0_i64 : i64
    }
    %alloc_5 = memref.alloc() {alignment = 64 : i64} : memref<1x1x4xi64>
    %expand_shape = memref.expand_shape %alloc_4 [[0, 1]] output_shape [1, 1] : memref<1xi64> into memref<1x1xi64>
    %alloc_6 = memref.alloc() {alignment = 64 : i64} : memref<1x1x4xi64>
    linalg.generic {indexing_maps = [#map1, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expand_shape : memref<1x1xi64>) outs(%alloc_6 : memref<1x1x4xi64>) {
    ^bb0(%in: i64, %out: i64):
      linalg.yield %in : i64
    }
    %collapse_shape = memref.collapse_shape %alloc_6 [[0, 1, 2]] : memref<1x1x4xi64> into memref<4xi64>
    %alloc_7 = memref.alloc() {alignment = 64 : i64} : memref<1x1x4xi64>
    linalg.generic {indexing_maps = [#map3, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg3 : memref<1xi64>) outs(%alloc_7 : memref<1x1x4xi64>) {
    ^bb0(%in: i64, %out: i64):
      linalg.yield %in : i64
    }
    %collapse_shape_8 = memref.collapse_shape %alloc_7 [[0, 1, 2]] : memref<1x1x4xi64> into memref<4xi64>
    linalg.generic {indexing_maps = [#map4, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_3 : memref<4xi64>) outs(%alloc_5 : memref<1x1x4xi64>) {
    ^bb0(%in: i64, %out: i64):
      linalg.yield %in : i64
    }
    %collapse_shape_9 = memref.collapse_shape %alloc_5 [[0, 1, 2]] : memref<1x1x4xi64> into memref<4xi64>
    %expand_shape_10 = memref.expand_shape %collapse_shape [[0, 1]] output_shape [4, 1] : memref<4xi64> into memref<4x1xi64>
    %expand_shape_11 = memref.expand_shape %collapse_shape_8 [[0, 1]] output_shape [4, 1] : memref<4xi64> into memref<4x1xi64>
    %expand_shape_12 = memref.expand_shape %collapse_shape_9 [[0, 1]] output_shape [4, 1] : memref<4xi64> into memref<4x1xi64>
    %alloc_13 = memref.alloc() {alignment = 64 : i64} : memref<4x3xi64>
    %subview = memref.subview %alloc_13[0, 0] [4, 1] [1, 1] : memref<4x3xi64> to memref<4x1xi64, strided<[3, 1]>>
    memref.copy %expand_shape_10, %subview : memref<4x1xi64> to memref<4x1xi64, strided<[3, 1]>>
    %subview_14 = memref.subview %alloc_13[0, 1] [4, 1] [1, 1] : memref<4x3xi64> to memref<4x1xi64, strided<[3, 1], offset: 1>>
    memref.copy %expand_shape_11, %subview_14 : memref<4x1xi64> to memref<4x1xi64, strided<[3, 1], offset: 1>>
    %subview_15 = memref.subview %alloc_13[0, 2] [4, 1] [1, 1] : memref<4x3xi64> to memref<4x1xi64, strided<[3, 1], offset: 2>>
    memref.copy %expand_shape_12, %subview_15 : memref<4x1xi64> to memref<4x1xi64, strided<[3, 1], offset: 2>>
    %collapse_shape_16 = memref.collapse_shape %alloc [[0, 1, 2]] : memref<1x1x4xf32> into memref<4xf32>
    %expand_shape_17 = memref.expand_shape %collapse_shape_16 [[0, 1, 2, 3]] output_shape [4, 1, 1, 1] : memref<4xf32> into memref<4x1x1x1xf32>
    %alloc_18 = memref.alloc() : memref<1x8x4xf32>
    memref.copy %arg4, %alloc_18 : memref<1x8x4xf32> to memref<1x8x4xf32>
    tm_tensor.scatter {dimension_map = array<i64: 0, 1, 2>} unique_indices(true) ins(%expand_shape_17, %alloc_13 : memref<4x1x1x1xf32>, memref<4x3xi64>) outs(%alloc_18 : memref<1x8x4xf32>) {
    ^bb0(%arg6: f32, %arg7: f32):
      tm_tensor.yield %arg6 : f32
    }
    %cast = memref.cast %alloc_18 : memref<1x8x4xf32> to memref<1x8x4xf32, strided<[?, ?, ?], offset: ?>>
    linalg.transpose ins(%arg2 : memref<1x1x4xf32>) outs(%alloc : memref<1x1x4xf32>) permutation = [1, 0, 2] 
    %alloc_19 = memref.alloc() : memref<1x8x4xf32>
    memref.copy %arg5, %alloc_19 : memref<1x8x4xf32> to memref<1x8x4xf32>
    tm_tensor.scatter {dimension_map = array<i64: 0, 1, 2>} unique_indices(true) ins(%expand_shape_17, %alloc_13 : memref<4x1x1x1xf32>, memref<4x3xi64>) outs(%alloc_19 : memref<1x8x4xf32>) {
    ^bb0(%arg6: f32, %arg7: f32):
      tm_tensor.yield %arg6 : f32
    }
    %expand_shape_20 = memref.expand_shape %arg3 [[0, 1]] output_shape [1, 1] : memref<1xi64> into memref<1x1xi64>
    %alloc_21 = memref.alloc() {alignment = 64 : i64} : memref<8xi64>
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%alloc_21 : memref<8xi64>) {
    ^bb0(%out: i64):
      %3 = linalg.index 0 : index
      %4 = arith.index_cast %3 : index to i64
      linalg.yield %4 : i64
    }
    %expand_shape_22 = memref.expand_shape %alloc_21 [[0, 1]] output_shape [1, 8] : memref<8xi64> into memref<1x8xi64>
    %alloc_23 = memref.alloc() {alignment = 64 : i64} : memref<1x8xi1>
    linalg.generic {indexing_maps = [#map5, #map6, #map6], iterator_types = ["parallel", "parallel"]} ins(%expand_shape_20, %expand_shape_22 : memref<1x1xi64>, memref<1x8xi64>) outs(%alloc_23 : memref<1x8xi1>) {
    ^bb0(%in: i64, %in_36: i64, %out: i1):
      %3 = arith.cmpi sge, %in, %in_36 : i64
      linalg.yield %3 : i1
    }
    linalg.transpose ins(%arg0 : memref<1x1x4xf32>) outs(%alloc : memref<1x1x4xf32>) permutation = [1, 0, 2] 
    %alloc_24 = memref.alloc() {alignment = 64 : i64} : memref<1x8xf32>
    linalg.generic {indexing_maps = [#map6, #map7, #map7, #map6], iterator_types = ["parallel", "parallel"]} ins(%alloc_23, %1, %2 : memref<1x8xi1>, memref<f32>, memref<f32>) outs(%alloc_24 : memref<1x8xf32>) {
    ^bb0(%in: i1, %in_36: f32, %in_37: f32, %out: f32):
      %3 = arith.select %in, %in_36, %in_37 : f32
      linalg.yield %3 : f32
    }
    linalg.generic {indexing_maps = [#map2, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc : memref<1x1x4xf32>) outs(%alloc : memref<1x1x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %3 = arith.truncf %cst_0 : f64 to f32
      %4 = arith.mulf %in, %3 : f32
      linalg.yield %4 : f32
    }
    %alloc_25 = memref.alloc() {alignment = 64 : i64} : memref<1x4x8xf32>
    linalg.transpose ins(%cast : memref<1x8x4xf32, strided<[?, ?, ?], offset: ?>>) outs(%alloc_25 : memref<1x4x8xf32>) permutation = [0, 2, 1] 
    linalg.generic {indexing_maps = [#map2, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_25 : memref<1x4x8xf32>) outs(%alloc_25 : memref<1x4x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %3 = arith.truncf %cst_0 : f64 to f32
      %4 = arith.mulf %in, %3 : f32
      linalg.yield %4 : f32
    }
    %alloc_26 = memref.alloc() {alignment = 64 : i64} : memref<1x1x8xf32>
    linalg.fill ins(%cst_2 : f32) outs(%alloc_26 : memref<1x1x8xf32>)
    linalg.batch_matmul ins(%alloc, %alloc_25 : memref<1x1x4xf32>, memref<1x4x8xf32>) outs(%alloc_26 : memref<1x1x8xf32>)
    %alloc_27 = memref.alloc() {alignment = 64 : i64} : memref<1x1x8xf32>
    linalg.generic {indexing_maps = [#map2, #map8, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_26, %alloc_24 : memref<1x1x8xf32>, memref<1x8xf32>) outs(%alloc_27 : memref<1x1x8xf32>) {
    ^bb0(%in: f32, %in_36: f32, %out: f32):
      %3 = arith.addf %in, %in_36 : f32
      linalg.yield %3 : f32
    }
    %alloc_28 = memref.alloc() {alignment = 64 : i64} : memref<1x1xi64>
    linalg.fill ins(%c0_i64 : i64) outs(%alloc_28 : memref<1x1xi64>)
    %alloc_29 = memref.alloc() {alignment = 64 : i64} : memref<1x1xf32>
    linalg.fill ins(%cst_1 : f32) outs(%alloc_29 : memref<1x1xf32>)
    linalg.generic {indexing_maps = [#map2, #map1, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%alloc_27 : memref<1x1x8xf32>) outs(%alloc_29, %alloc_28 : memref<1x1xf32>, memref<1x1xi64>) {
    ^bb0(%in: f32, %out: f32, %out_36: i64):
      %3 = linalg.index 2 : index
      %4 = arith.index_cast %3 : index to i64
      %5 = arith.maximumf %in, %out : f32
      %6 = arith.cmpf ogt, %in, %out : f32
      %7 = arith.select %6, %4, %out_36 : i64
      linalg.yield %5, %7 : f32, i64
    }
    %expand_shape_30 = memref.expand_shape %alloc_29 [[0], [1, 2]] output_shape [1, 1, 1] : memref<1x1xf32> into memref<1x1x1xf32>
    linalg.generic {indexing_maps = [#map2, #map9, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_27, %expand_shape_30 : memref<1x1x8xf32>, memref<1x1x1xf32>) outs(%alloc_26 : memref<1x1x8xf32>) {
    ^bb0(%in: f32, %in_36: f32, %out: f32):
      %3 = arith.subf %in, %in_36 : f32
      linalg.yield %3 : f32
    }
    linalg.generic {indexing_maps = [#map2, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_26 : memref<1x1x8xf32>) outs(%alloc_26 : memref<1x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %3 = math.exp %in : f32
      linalg.yield %3 : f32
    }
    %alloc_31 = memref.alloc() {alignment = 64 : i64} : memref<1x1x1xf32>
    linalg.fill ins(%cst_2 : f32) outs(%alloc_31 : memref<1x1x1xf32>)
    linalg.generic {indexing_maps = [#map2, #map9], iterator_types = ["parallel", "parallel", "reduction"]} ins(%alloc_26 : memref<1x1x8xf32>) outs(%alloc_31 : memref<1x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %3 = arith.addf %in, %out : f32
      linalg.yield %3 : f32
    }
    linalg.generic {indexing_maps = [#map2, #map9, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_26, %alloc_31 : memref<1x1x8xf32>, memref<1x1x1xf32>) outs(%alloc_26 : memref<1x1x8xf32>) {
    ^bb0(%in: f32, %in_36: f32, %out: f32):
      %3 = arith.divf %in, %in_36 : f32
      linalg.yield %3 : f32
    }
    %alloc_32 = memref.alloc() {alignment = 64 : i64} : memref<1x1x8xi1>
    linalg.generic {indexing_maps = [#map2, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_27 : memref<1x1x8xf32>) outs(%alloc_32 : memref<1x1x8xi1>) {
    ^bb0(%in: f32, %out: i1):
      %3 = arith.extf %in : f32 to f64
      %4 = arith.cmpf oeq, %3, %cst : f64
      linalg.yield %4 : i1
    }
    %alloc_33 = memref.alloc() {alignment = 64 : i64} : memref<1x1x1xi1>
    linalg.fill ins(%true : i1) outs(%alloc_33 : memref<1x1x1xi1>)
    linalg.generic {indexing_maps = [#map2, #map9], iterator_types = ["parallel", "parallel", "reduction"]} ins(%alloc_32 : memref<1x1x8xi1>) outs(%alloc_33 : memref<1x1x1xi1>) {
    ^bb0(%in: i1, %out: i1):
      %3 = arith.andi %in, %out : i1
      linalg.yield %3 : i1
    }
    linalg.generic {indexing_maps = [#map9, #map2, #map2, #map2], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_33, %0, %alloc_26 : memref<1x1x1xi1>, memref<1x1x8xf32>, memref<1x1x8xf32>) outs(%alloc_26 : memref<1x1x8xf32>) {
    ^bb0(%in: i1, %in_36: f32, %in_37: f32, %out: f32):
      %3 = arith.select %in, %in_36, %in_37 : f32
      linalg.yield %3 : f32
    }
    %alloc_34 = memref.alloc() {alignment = 64 : i64} : memref<1x1x4xf32>
    linalg.fill ins(%cst_2 : f32) outs(%alloc_34 : memref<1x1x4xf32>)
    linalg.batch_matmul ins(%alloc_26, %alloc_19 : memref<1x1x8xf32>, memref<1x8x4xf32>) outs(%alloc_34 : memref<1x1x4xf32>)
    linalg.transpose ins(%alloc_34 : memref<1x1x4xf32>) outs(%alloc : memref<1x1x4xf32>) permutation = [1, 0, 2] 
    %collapse_shape_35 = memref.collapse_shape %alloc [[0], [1, 2]] : memref<1x1x4xf32> into memref<1x4xf32>
    return %collapse_shape_35, %alloc_18, %alloc_19 : memref<1x4xf32>, memref<1x8x4xf32>, memref<1x8x4xf32>
  }
}

