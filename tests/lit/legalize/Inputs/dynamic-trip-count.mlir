func.func @f(%n: memref<1xindex>, %a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = memref.load %n[%c0] : memref<1xindex>
  scf.for %i = %c0 to %count step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %a[%i] : memref<8xf32>
  } loc("sel:nonzero")
  return
}
