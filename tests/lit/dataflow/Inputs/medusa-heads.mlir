module {
  func.func @heads_model(%arg0: memref<8x8xf32> {llmhls.arg = "medusa_blocks_0_weight", llmhls.name = "medusa.blocks.0.weight", llmhls.role = "weight"}, %arg1: memref<8xf32> {llmhls.arg = "medusa_blocks_0_bias", llmhls.name = "medusa.blocks.0.bias", llmhls.role = "weight"}, %arg2: memref<8x8xf32> {llmhls.arg = "medusa_blocks_1_weight", llmhls.name = "medusa.blocks.1.weight", llmhls.role = "weight"}, %arg3: memref<8xf32> {llmhls.arg = "medusa_blocks_1_bias", llmhls.name = "medusa.blocks.1.bias", llmhls.role = "weight"}, %arg4: memref<8x8xf32> {llmhls.arg = "medusa_blocks_2_weight", llmhls.name = "medusa.blocks.2.weight", llmhls.role = "weight"}, %arg5: memref<8xf32> {llmhls.arg = "medusa_blocks_2_bias", llmhls.name = "medusa.blocks.2.bias", llmhls.role = "weight"}, %arg6: memref<16x8xf32> {llmhls.arg = "lm_weight", llmhls.name = "lm.weight", llmhls.role = "weight"}, %arg7: memref<1x8xf32> {llmhls.arg = "h", llmhls.name = "h", llmhls.role = "input"}, %arg8: memref<1x3x16xf32> {llmhls.arg = "output0", llmhls.name = "output0", llmhls.role = "output"}) {
    %alloc = memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<8x8xf32>
    affine.for %arg9 = 0 to 8 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %arg0[%arg9, %arg10] : memref<8x8xf32>
        affine.store %0, %alloc[%arg9, %arg10] : memref<8x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_0 = memref.alloc() {hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<8xf32>
    affine.for %arg9 = 0 to 8 {
      %0 = affine.load %arg1[%arg9] : memref<8xf32>
      affine.store %0, %alloc_0[%arg9] : memref<8xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
    %alloc_1 = memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<8x8xf32>
    affine.for %arg9 = 0 to 8 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %arg2[%arg9, %arg10] : memref<8x8xf32>
        affine.store %0, %alloc_1[%arg9, %arg10] : memref<8x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_2 = memref.alloc() {hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<8xf32>
    affine.for %arg9 = 0 to 8 {
      %0 = affine.load %arg3[%arg9] : memref<8xf32>
      affine.store %0, %alloc_2[%arg9] : memref<8xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
    %alloc_3 = memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<8x8xf32>
    affine.for %arg9 = 0 to 8 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %arg4[%arg9, %arg10] : memref<8x8xf32>
        affine.store %0, %alloc_3[%arg9, %arg10] : memref<8x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_4 = memref.alloc() {hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<8xf32>
    affine.for %arg9 = 0 to 8 {
      %0 = affine.load %arg5[%arg9] : memref<8xf32>
      affine.store %0, %alloc_4[%arg9] : memref<8xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
    %alloc_5 = memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<16x8xf32>
    affine.for %arg9 = 0 to 16 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %arg6[%arg9, %arg10] : memref<16x8xf32>
        affine.store %0, %alloc_5[%arg9, %arg10] : memref<16x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_6 = memref.alloc() {hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %arg7[%arg9, %arg10] : memref<1x8xf32>
        affine.store %0, %alloc_6[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_7 = memref.alloc() {hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<1x3x16xf32>
    %cst = arith.constant 0.000000e+00 : f32
    %cst_8 = arith.constant 1.000000e+00 : f32
    %alloc_9 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    %alloc_10 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        affine.store %cst, %alloc_10[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_11 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_10[%arg9, %arg10] : memref<1x8xf32>
        affine.store %0, %alloc_11[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        affine.for %arg11 = 0 to 8 {
          %0 = affine.load %alloc_6[%arg9, %arg10] : memref<1x8xf32>
          %1 = affine.load %alloc[%arg11, %arg10] : memref<8x8xf32>
          %2 = affine.load %alloc_11[%arg9, %arg11] : memref<1x8xf32>
          %3 = arith.mulf %0, %1 : f32
          %4 = arith.addf %2, %3 : f32
          affine.store %4, %alloc_11[%arg9, %arg11] : memref<1x8xf32>
        } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
      }
    }
    %alloc_12 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_11[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_0[%arg10] : memref<8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %alloc_12[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_12[%arg9, %arg10] : memref<1x8xf32>
        %1 = arith.negf %0 : f32
        %2 = math.exp %1 : f32
        %3 = arith.addf %2, %cst_8 : f32
        %4 = arith.divf %cst_8, %3 : f32
        affine.store %4, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_12[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        %2 = arith.mulf %0, %1 : f32
        affine.store %2, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_13 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_6[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %alloc_13[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_14 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_10[%arg9, %arg10] : memref<1x8xf32>
        affine.store %0, %alloc_14[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        affine.for %arg11 = 0 to 8 {
          %0 = affine.load %alloc_6[%arg9, %arg10] : memref<1x8xf32>
          %1 = affine.load %alloc_1[%arg11, %arg10] : memref<8x8xf32>
          %2 = affine.load %alloc_14[%arg9, %arg11] : memref<1x8xf32>
          %3 = arith.mulf %0, %1 : f32
          %4 = arith.addf %2, %3 : f32
          affine.store %4, %alloc_14[%arg9, %arg11] : memref<1x8xf32>
        } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
      }
    }
    %alloc_15 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_14[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_2[%arg10] : memref<8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %alloc_15[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_15[%arg9, %arg10] : memref<1x8xf32>
        %1 = arith.negf %0 : f32
        %2 = math.exp %1 : f32
        %3 = arith.addf %2, %cst_8 : f32
        %4 = arith.divf %cst_8, %3 : f32
        affine.store %4, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_15[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        %2 = arith.mulf %0, %1 : f32
        affine.store %2, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_16 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_6[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %alloc_16[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        affine.for %arg11 = 0 to 8 {
          %0 = affine.load %alloc_6[%arg9, %arg10] : memref<1x8xf32>
          %1 = affine.load %alloc_3[%arg11, %arg10] : memref<8x8xf32>
          %2 = affine.load %alloc_10[%arg9, %arg11] : memref<1x8xf32>
          %3 = arith.mulf %0, %1 : f32
          %4 = arith.addf %2, %3 : f32
          affine.store %4, %alloc_10[%arg9, %arg11] : memref<1x8xf32>
        } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
      }
    }
    %alloc_17 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x8xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_10[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_4[%arg10] : memref<8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %alloc_17[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_17[%arg9, %arg10] : memref<1x8xf32>
        %1 = arith.negf %0 : f32
        %2 = math.exp %1 : f32
        %3 = arith.addf %2, %cst_8 : f32
        %4 = arith.divf %cst_8, %3 : f32
        affine.store %4, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_17[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        %2 = arith.mulf %0, %1 : f32
        affine.store %2, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_6[%arg9, %arg10] : memref<1x8xf32>
        %1 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        %2 = arith.addf %0, %1 : f32
        affine.store %2, %alloc_9[%arg9, %arg10] : memref<1x8xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %alloc_18 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "lutram", type = "ram_2p"}} : memref<1x24xf32>
    %subview = memref.subview %alloc_18[0, 0] [1, 8] [1, 1] : memref<1x24xf32> to memref<1x8xf32, strided<[24, 1]>>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_13[%arg9, %arg10] : memref<1x8xf32>
        affine.store %0, %subview[%arg9, %arg10] : memref<1x8xf32, strided<[24, 1]>>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %subview_19 = memref.subview %alloc_18[0, 8] [1, 8] [1, 1] : memref<1x24xf32> to memref<1x8xf32, strided<[24, 1], offset: 8>>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_16[%arg9, %arg10] : memref<1x8xf32>
        affine.store %0, %subview_19[%arg9, %arg10] : memref<1x8xf32, strided<[24, 1], offset: 8>>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %subview_20 = memref.subview %alloc_18[0, 16] [1, 8] [1, 1] : memref<1x24xf32> to memref<1x8xf32, strided<[24, 1], offset: 16>>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 8 {
        %0 = affine.load %alloc_9[%arg9, %arg10] : memref<1x8xf32>
        affine.store %0, %subview_20[%arg9, %arg10] : memref<1x8xf32, strided<[24, 1], offset: 16>>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    %expand_shape = memref.expand_shape %alloc_18 [[0], [1, 2]] output_shape [1, 3, 8] : memref<1x24xf32> into memref<1x3x8xf32>
    %collapse_shape = memref.collapse_shape %expand_shape [[0, 1], [2]] : memref<1x3x8xf32> into memref<3x8xf32>
    %alloc_21 = memref.alloc() {alignment = 64 : i64, hlsdf.bind_storage = {impl = "bram", type = "ram_2p"}} : memref<3x16xf32>
    affine.for %arg9 = 0 to 3 {
      affine.for %arg10 = 0 to 16 {
        affine.store %cst, %alloc_21[%arg9, %arg10] : memref<3x16xf32>
      } {hlsdf.flatten = {levels = 1 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
    }
    affine.for %arg9 = 0 to 3 {
      affine.for %arg10 = 0 to 8 {
        affine.for %arg11 = 0 to 16 {
          %0 = affine.load %collapse_shape[%arg9, %arg10] : memref<3x8xf32>
          %1 = affine.load %alloc_5[%arg11, %arg10] : memref<16x8xf32>
          %2 = affine.load %alloc_21[%arg9, %arg11] : memref<3x16xf32>
          %3 = arith.mulf %0, %1 : f32
          %4 = arith.addf %2, %3 : f32
          affine.store %4, %alloc_21[%arg9, %arg11] : memref<3x16xf32>
        } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
      }
    }
    %expand_shape_22 = memref.expand_shape %alloc_21 [[0, 1], [2]] output_shape [1, 3, 16] : memref<3x16xf32> into memref<1x3x16xf32>
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 3 {
        affine.for %arg11 = 0 to 16 {
          %0 = affine.load %expand_shape_22[%arg9, %arg10, %arg11] : memref<1x3x16xf32>
          affine.store %0, %alloc_7[%arg9, %arg10, %arg11] : memref<1x3x16xf32>
        } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
      }
    }
    affine.for %arg9 = 0 to 1 {
      affine.for %arg10 = 0 to 3 {
        affine.for %arg11 = 0 to 16 {
          %0 = affine.load %alloc_7[%arg9, %arg10, %arg11] : memref<1x3x16xf32>
          affine.store %0, %arg8[%arg9, %arg10, %arg11] : memref<1x3x16xf32>
        } {hlsdf.flatten = {levels = 2 : i64}, hlsdf.pipeline = {ii = 1 : i64}}
      }
    }
    return
  }
}
