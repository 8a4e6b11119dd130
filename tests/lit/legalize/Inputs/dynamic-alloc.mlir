func.func @f(%n: index) {
  %buf = memref.alloc(%n) : memref<?xf32> loc(":empty")
  return
}
