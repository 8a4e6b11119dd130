func.func @f(%a: memref<2xf32>) {
  func.call @g(%a) : (memref<2xf32>) -> ()
  return
}
func.func private @g(%a: memref<2xf32>) {
  func.call @f(%a) : (memref<2xf32>) -> ()
  return
}
