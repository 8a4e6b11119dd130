// RUN: llmhls-opt %s --pass-pipeline='builtin.module(hls-stream-channels)' | filecheck %s

// Each buffer alone is written and read in order, but FIFOs must not
// deadlock: a producer blocked on a full FIFO waits for its consumer, and a
// task waits for the producers of its inputs.
// - %a (split -> mid): converted; mid waits on nothing else.
// - %b (mid -> join): join also waits on split through %c, and split may be
//   blocked on the full %a waiting for mid: a cycle, so %b stays a buffer.
// - %c (split -> join): join waits on mid through %b, mid on split through %a.
// - %p, %q (pair0 -> pair1): two channels between one pair; pair0 writes all
//   of %p before %q while pair1 reads them together, so both stay buffers.
// CHECK: func.func @k
// CHECK: %[[A:.*]] = "hlsdf.stream_create"()
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<16xf32>
// CHECK-NEXT: %[[C:.*]] = memref.alloc() : memref<16xf32>
// CHECK-NEXT: call @k_task0_split(%arg0, %[[A]], %[[C]])
// CHECK-NEXT: call @k_task1_mid(%[[A]], %[[B]])
// CHECK-NEXT: call @k_task2_join(%[[B]], %[[C]], %arg1)
// CHECK-NOT: hlsdf.stream_create
// CHECK: return
module {
  func.func private @k_task0_split(%x: memref<16xf32>, %a: memref<16xf32>, %c: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %a[%i] : memref<16xf32>
    }
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %c[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task1_mid(%a: memref<16xf32>, %b: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %a[%i] : memref<16xf32>
      affine.store %v, %b[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task2_join(%b: memref<16xf32>, %c: memref<16xf32>, %y: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %u = affine.load %b[%i] : memref<16xf32>
      %v = affine.load %c[%i] : memref<16xf32>
      %s = arith.addf %u, %v : f32
      affine.store %s, %y[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task3_pair0(%x: memref<16xf32>, %p: memref<16xf32>, %q: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %p[%i] : memref<16xf32>
    }
    affine.for %i = 0 to 16 {
      %v = affine.load %x[%i] : memref<16xf32>
      affine.store %v, %q[%i] : memref<16xf32>
    }
    return
  }
  func.func private @k_task4_pair1(%p: memref<16xf32>, %q: memref<16xf32>, %z: memref<16xf32>) attributes {hlsdf.task} {
    affine.for %i = 0 to 16 {
      %u = affine.load %p[%i] : memref<16xf32>
      %v = affine.load %q[%i] : memref<16xf32>
      %s = arith.mulf %u, %v : f32
      affine.store %s, %z[%i] : memref<16xf32>
    }
    return
  }
  func.func @k(%x: memref<16xf32> {llmhls.arg = "x", llmhls.role = "input"},
               %y: memref<16xf32> {llmhls.arg = "y", llmhls.role = "output"},
               %z: memref<16xf32> {llmhls.arg = "z", llmhls.role = "output"}) attributes {hlsdf.dataflow} {
    %a = memref.alloc() : memref<16xf32>
    %b = memref.alloc() : memref<16xf32>
    %c = memref.alloc() : memref<16xf32>
    call @k_task0_split(%x, %a, %c) : (memref<16xf32>, memref<16xf32>, memref<16xf32>) -> ()
    call @k_task1_mid(%a, %b) : (memref<16xf32>, memref<16xf32>) -> ()
    call @k_task2_join(%b, %c, %y) : (memref<16xf32>, memref<16xf32>, memref<16xf32>) -> ()
    %p = memref.alloc() : memref<16xf32>
    %q = memref.alloc() : memref<16xf32>
    call @k_task3_pair0(%x, %p, %q) : (memref<16xf32>, memref<16xf32>, memref<16xf32>) -> ()
    call @k_task4_pair1(%p, %q, %z) : (memref<16xf32>, memref<16xf32>, memref<16xf32>) -> ()
    return
  }
}
