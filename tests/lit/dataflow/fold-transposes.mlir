// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-fold-transposes)' | filecheck %s

// nn.Linear's W^T copy: the matmul reads W at the permuted index instead, and
// the copy loop and its buffer disappear.
// CHECK-LABEL: func.func @linear
// CHECK-NOT: memref.alloc
// CHECK: affine.for %[[I:.*]] = 0 to 2 {
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 3 {
// CHECK-NEXT: affine.for %[[K:.*]] = 0 to 4 {
// CHECK-NEXT: affine.load %arg1[%[[I]], %[[K]]]
// CHECK-NEXT: affine.load %arg0[%[[J]], %[[K]]]
func.func @linear(%w: memref<3x4xf32>, %x: memref<2x4xf32>, %y: memref<2x3xf32>) {
  %wt = memref.alloc() : memref<4x3xf32>
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %v = affine.load %w[%b, %a] : memref<3x4xf32>
      affine.store %v, %wt[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 3 {
      affine.for %k = 0 to 4 {
        %p = affine.load %x[%i, %k] : memref<2x4xf32>
        %q = affine.load %wt[%k, %j] : memref<4x3xf32>
        %c = affine.load %y[%i, %j] : memref<2x3xf32>
        %m = arith.mulf %p, %q : f32
        %s = arith.addf %c, %m : f32
        affine.store %s, %y[%i, %j] : memref<2x3xf32>
      }
    }
  }
  return
}

// The source is written later in the function: the copy is a snapshot and stays.
// CHECK-LABEL: func.func @source_changes
// CHECK: memref.alloc() : memref<4x3xf32>
// CHECK: affine.load %alloc
func.func @source_changes(%w: memref<3x4xf32>, %y: memref<4x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %wt = memref.alloc() : memref<4x3xf32>
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %v = affine.load %w[%b, %a] : memref<3x4xf32>
      affine.store %v, %wt[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %b = 0 to 3 {
    affine.store %zero, %w[%b, 0] : memref<3x4xf32>
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %v = affine.load %wt[%a, %b] : memref<4x3xf32>
      affine.store %v, %y[%a, %b] : memref<4x3xf32>
    }
  }
  return
}

// The buffer is also written by another loop: not a pure copy of the source.
// CHECK-LABEL: func.func @buffer_updated
// CHECK: memref.alloc() : memref<4x3xf32>
func.func @buffer_updated(%w: memref<3x4xf32>, %y: memref<4x3xf32>) {
  %one = arith.constant 1.0 : f32
  %wt = memref.alloc() : memref<4x3xf32>
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %v = affine.load %w[%b, %a] : memref<3x4xf32>
      affine.store %v, %wt[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %a = 0 to 4 {
    affine.store %one, %wt[%a, 0] : memref<4x3xf32>
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %v = affine.load %wt[%a, %b] : memref<4x3xf32>
      affine.store %v, %y[%a, %b] : memref<4x3xf32>
    }
  }
  return
}

// One buffer reused by two transposed copies (K and V weights): each copy's
// loads, up to the next whole copy, read its own source; both copies go.
// CHECK-LABEL: func.func @reused_buffer
// CHECK-NOT: memref.alloc
// CHECK: affine.load %arg0[%{{.*}}, %{{.*}}] : memref<3x4xf32>
// CHECK: affine.load %arg1[%{{.*}}, %{{.*}}] : memref<3x4xf32>
func.func @reused_buffer(%k: memref<3x4xf32>, %v: memref<3x4xf32>, %y: memref<4x3xf32>, %z: memref<4x3xf32>) {
  %wt = memref.alloc() : memref<4x3xf32>
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %k[%b, %a] : memref<3x4xf32>
      affine.store %x, %wt[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %wt[%a, %b] : memref<4x3xf32>
      affine.store %x, %y[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %v[%b, %a] : memref<3x4xf32>
      affine.store %x, %wt[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %wt[%a, %b] : memref<4x3xf32>
      affine.store %x, %z[%a, %b] : memref<4x3xf32>
    }
  }
  return
}

// A partial write after the copy: loads after it still see the copy's values,
// so the copy stays (and so do the loads before the write).
// CHECK-LABEL: func.func @partial_rewrite
// CHECK: memref.alloc() : memref<4x3xf32>
// CHECK: affine.load %arg0[%{{.*}}, %{{.*}}] : memref<3x4xf32>
// CHECK: affine.store %{{.*}}, %alloc
func.func @partial_rewrite(%w: memref<3x4xf32>, %y: memref<4x3xf32>, %z: memref<4x3xf32>) {
  %one = arith.constant 1.0 : f32
  %wt = memref.alloc() : memref<4x3xf32>
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %w[%b, %a] : memref<3x4xf32>
      affine.store %x, %wt[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %wt[%a, %b] : memref<4x3xf32>
      affine.store %x, %y[%a, %b] : memref<4x3xf32>
    }
  }
  affine.for %a = 0 to 4 {
    affine.store %one, %wt[%a, 0] : memref<4x3xf32>
  }
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 3 {
      %x = affine.load %wt[%a, %b] : memref<4x3xf32>
      affine.store %x, %z[%a, %b] : memref<4x3xf32>
    }
  }
  return
}

// A weight decoded on the way into a buffer (int8 -> float, times a scale): the
// decode is recomputed at each load instead, and no float weight buffer remains.
// CHECK-LABEL: func.func @decoded_weight
// CHECK-NOT: memref.alloc
// CHECK: affine.load %arg0[%{{.*}}, %{{.*}}] : memref<3x4xi8>
// CHECK-NEXT: arith.sitofp
// CHECK-NEXT: arith.mulf
func.func @decoded_weight(%w: memref<3x4xi8> {llmhls.role = "weight"}, %x: memref<4xf32>, %y: memref<3xf32>) {
  %scale = arith.constant 0.5 : f32
  %wf = memref.alloc() : memref<3x4xf32>
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %w[%a, %b] : memref<3x4xi8>
      %f = arith.sitofp %q : i8 to f32
      %d = arith.mulf %f, %scale : f32
      affine.store %d, %wf[%a, %b] : memref<3x4xf32>
    }
  }
  affine.for %i = 0 to 3 {
    affine.for %k = 0 to 4 {
      %p = affine.load %wf[%i, %k] : memref<3x4xf32>
      %v = affine.load %x[%k] : memref<4xf32>
      %c = affine.load %y[%i] : memref<3xf32>
      %m = arith.mulf %p, %v : f32
      %s = arith.addf %c, %m : f32
      affine.store %s, %y[%i] : memref<3xf32>
    }
  }
  return
}

// The same arithmetic on an input that is not a weight is left materialized
// (recomputing arbitrary arithmetic at every read is not this pass's call).
// CHECK-LABEL: func.func @computed_input
// CHECK: memref.alloc() : memref<3x4xf32>
func.func @computed_input(%w: memref<3x4xi8>, %y: memref<3x4xf32>) {
  %scale = arith.constant 0.5 : f32
  %wf = memref.alloc() : memref<3x4xf32>
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %w[%a, %b] : memref<3x4xi8>
      %f = arith.sitofp %q : i8 to f32
      %d = arith.mulf %f, %scale : f32
      affine.store %d, %wf[%a, %b] : memref<3x4xf32>
    }
  }
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %v = affine.load %wf[%a, %b] : memref<3x4xf32>
      affine.store %v, %y[%a, %b] : memref<3x4xf32>
    }
  }
  return
}

// The next write updates the buffer in place (it reads it): it needs the copy's
// values, so the copy stays.
// CHECK-LABEL: func.func @in_place_update
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: affine.load %arg0
// CHECK-NEXT: affine.store %{{.*}}, %alloc
func.func @in_place_update(%x: memref<4xf32>, %y: memref<4xf32>, %z: memref<4xf32>) {
  %one = arith.constant 1.0 : f32
  %t = memref.alloc() : memref<4xf32>
  affine.for %a = 0 to 4 {
    %v = affine.load %x[%a] : memref<4xf32>
    affine.store %v, %t[%a] : memref<4xf32>
  }
  affine.for %a = 0 to 4 {
    %v = affine.load %t[%a] : memref<4xf32>
    affine.store %v, %y[%a] : memref<4xf32>
  }
  affine.for %a = 0 to 4 {
    %v = affine.load %t[%a] : memref<4xf32>
    %w = arith.addf %v, %one : f32
    affine.store %w, %t[%a] : memref<4xf32>
  }
  affine.for %a = 0 to 4 {
    %v = affine.load %t[%a] : memref<4xf32>
    affine.store %v, %z[%a] : memref<4xf32>
  }
  return
}

// A decode written back into its own buffer (packed int4: shift, then mask in
// place, as bufferization reuses one buffer): the update is merged into the
// copy first, so the whole decode folds into the reader and no buffer remains.
// CHECK-LABEL: func.func @decoded_in_place
// CHECK-NOT: memref.alloc
// CHECK: affine.load %arg0[%{{.*}}, %{{.*}}] : memref<3x4xi8>
// CHECK-NEXT: arith.shrsi
// CHECK-NEXT: arith.andi
// CHECK-NEXT: arith.sitofp
func.func @decoded_in_place(%w: memref<3x4xi8> {llmhls.role = "weight"}, %x: memref<4xf32>, %y: memref<3xf32>) {
  %four = arith.constant 4 : i8
  %mask = arith.constant 15 : i8
  %t = memref.alloc() : memref<3x4xi8>
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %w[%a, %b] : memref<3x4xi8>
      %s = arith.shrsi %q, %four : i8
      affine.store %s, %t[%a, %b] : memref<3x4xi8>
    }
  }
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %t[%a, %b] : memref<3x4xi8>
      %m = arith.andi %q, %mask : i8
      affine.store %m, %t[%a, %b] : memref<3x4xi8>
    }
  }
  affine.for %i = 0 to 3 {
    affine.for %k = 0 to 4 {
      %q = affine.load %t[%i, %k] : memref<3x4xi8>
      %p = arith.sitofp %q : i8 to f32
      %v = affine.load %x[%k] : memref<4xf32>
      %c = affine.load %y[%i] : memref<3xf32>
      %m = arith.mulf %p, %v : f32
      %s = arith.addf %c, %m : f32
      affine.store %s, %y[%i] : memref<3xf32>
    }
  }
  return
}

// The in-place update reads the buffer at another element (it mirrors each
// row): merging it would read values the copy has not computed yet, so both
// loops and the buffer stay.
// CHECK-LABEL: func.func @update_reads_another_element
// CHECK: memref.alloc() : memref<3x4xi8>
func.func @update_reads_another_element(%w: memref<3x4xi8> {llmhls.role = "weight"}, %y: memref<3x4xi8>) {
  %mask = arith.constant 15 : i8
  %t = memref.alloc() : memref<3x4xi8>
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %w[%a, %b] : memref<3x4xi8>
      affine.store %q, %t[%a, %b] : memref<3x4xi8>
    }
  }
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %t[%a, -%b + 3] : memref<3x4xi8>
      %m = arith.andi %q, %mask : i8
      affine.store %m, %t[%a, %b] : memref<3x4xi8>
    }
  }
  affine.for %a = 0 to 3 {
    affine.for %b = 0 to 4 {
      %q = affine.load %t[%a, %b] : memref<3x4xi8>
      affine.store %q, %y[%a, %b] : memref<3x4xi8>
    }
  }
  return
}

// A decode into a [groups, rows, out] buffer read back through a collapse_shape
// (int4's groups joined into one matrix): the reader's index is taken back
// through the reshape (k -> k floordiv 2, k mod 2) and the buffer goes.
// CHECK-LABEL: func.func @decoded_through_reshape
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.collapse_shape
// CHECK: affine.load %arg0[%{{.*}} floordiv 2, %{{.*}} mod 2, %{{.*}}] : memref<2x2x3xi8>
// CHECK-NEXT: arith.sitofp
func.func @decoded_through_reshape(%w: memref<2x2x3xi8> {llmhls.role = "weight"}, %x: memref<4xf32>, %y: memref<3xf32>) {
  %t = memref.alloc() : memref<2x2x3xf32>
  affine.for %g = 0 to 2 {
    affine.for %r = 0 to 2 {
      affine.for %o = 0 to 3 {
        %q = affine.load %w[%g, %r, %o] : memref<2x2x3xi8>
        %f = arith.sitofp %q : i8 to f32
        affine.store %f, %t[%g, %r, %o] : memref<2x2x3xf32>
      }
    }
  }
  %m = memref.collapse_shape %t [[0, 1], [2]] : memref<2x2x3xf32> into memref<4x3xf32>
  affine.for %o = 0 to 3 {
    affine.for %k = 0 to 4 {
      %p = affine.load %m[%k, %o] : memref<4x3xf32>
      %v = affine.load %x[%k] : memref<4xf32>
      %c = affine.load %y[%o] : memref<3xf32>
      %s = arith.mulf %p, %v : f32
      %a = arith.addf %c, %s : f32
      affine.store %a, %y[%o] : memref<3xf32>
    }
  }
  return
}
