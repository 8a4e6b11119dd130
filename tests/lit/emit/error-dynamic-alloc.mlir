// RUN: not llmhls-translate --emit-hlscpp %s 2>&1 | filecheck %s

// A buffer whose size is only known at run time cannot be a static array:
// one error line naming the type and the PyTorch op it came from.
// CHECK: error: dynamically sized buffer memref<?x8xf32> (from aten.zeros in module 'enc.kv'): llmhls needs static shapes
// CHECK-NOT: Traceback
func.func @cache(%x: memref<4x8xf32>, %n: index) {
  %kv = memref.alloc(%n) : memref<?x8xf32> loc("enc.kv:zeros")
  return
}
