// The `hlsdf` dataflow dialect of llmhls, defined in IRDL and loaded into
// every MLIR context llmhls creates (llmhls.dialects.hlsdf.load_hlsdf).
//
// IRDL gives verified ops and types without building MLIR from source. Its
// limits with the bundled bindings shape what lives here: ops print and parse
// in generic syntax only, there are no traits, and there is one type per
// variadic operand. Structure (dataflow regions, tasks, loop and array
// directives) therefore reuses upstream ops with `hlsdf.*` attributes; this
// file holds only region-free ops and types.
//
// IRDL binds each constraint value once per verification: the same SSA value
// used in two places means "these two must be equal". That is how
// stream_read/stream_write tie the element type to the stream's parameter, and
// why every independent operand below gets its own constraint value.

irdl.dialect @hlsdf {
  // !hlsdf.stream<T, depth>: an hls::stream<T> FIFO of `depth` entries
  // (#pragma HLS stream depth=...) between two dataflow tasks. T is a scalar
  // or a vector (hls::vector, for packed channels); depth is an integer
  // attribute, `!hlsdf.stream<f32, 64>` prints as `!hlsdf.stream<f32, 64 : i64>`.
  irdl.type @stream {
    %int = irdl.base "!builtin.integer"
    %index = irdl.base "!builtin.index"
    %f16 = irdl.base "!builtin.f16"
    %bf16 = irdl.base "!builtin.bf16"
    %f32 = irdl.base "!builtin.f32"
    %f64 = irdl.base "!builtin.f64"
    %vector = irdl.base "!builtin.vector"
    %element = irdl.any_of(%int, %index, %f16, %bf16, %f32, %f64, %vector)
    %depth = irdl.base "#builtin.integer"
    irdl.parameters(element: %element, depth: %depth)
  }

  // Declares a FIFO channel inside a dataflow region: `hls::stream<T> s;`
  // plus its depth pragma.
  irdl.operation @stream_create {
    %element = irdl.any
    %depth = irdl.base "#builtin.integer"
    %stream = irdl.parametric @hlsdf::@stream<%element, %depth>
    irdl.results(stream: %stream)
  }

  // Blocking read of one element (`s.read()`); the result type is the
  // stream's element type.
  irdl.operation @stream_read {
    %element = irdl.any
    %depth = irdl.base "#builtin.integer"
    %stream = irdl.parametric @hlsdf::@stream<%element, %depth>
    irdl.operands(stream: %stream)
    irdl.results(value: %element)
  }

  // Blocking write of one element (`s.write(v)`); the value's type is the
  // stream's element type.
  irdl.operation @stream_write {
    %element = irdl.any
    %depth = irdl.base "#builtin.integer"
    %stream = irdl.parametric @hlsdf::@stream<%element, %depth>
    irdl.operands(stream: %stream, value: %element)
  }

  // Appends new K or V rows to the KV cache in place: rows are written at
  // sequence positions [position, position + rows) of the persistent
  // off-chip cache buffer, no copy of the cache (the functional scatter the
  // importer produces becomes this op).
  irdl.operation @kv_append {
    %cache = irdl.base "!builtin.memref"
    %rows = irdl.base "!builtin.memref"
    %position = irdl.is index
    irdl.operands(cache: %cache, rows: %rows, position: %position)
  }

  // The cache rows [start, start + length) that attention reads: a burst
  // read of that window from the off-chip cache into on-chip memory.
  irdl.operation @kv_window {
    %cache = irdl.base "!builtin.memref"
    %start = irdl.is index
    %length = irdl.is index
    %window = irdl.base "!builtin.memref"
    irdl.operands(cache: %cache, start: %start, length: %length)
    irdl.results(window: %window)
  }

  // Compacts the cache in place to the positions listed in `kept` (SnapKV
  // selection): kept rows move to the front in the listed order, the rest
  // are free for later appends.
  irdl.operation @kv_compress {
    %cache = irdl.base "!builtin.memref"
    %kept = irdl.base "!builtin.memref"
    irdl.operands(cache: %cache, kept: %kept)
  }

  // A weight tensor that stays in off-chip memory: the weight `name` of the
  // weight manifest, placed in memory bank `bank` (an HBM pseudo-channel or
  // DDR bank, one m_axi bundle) at byte `offset` of that bank's buffer.
  // A streamed bank (hls-weight-streaming) is a fused matrix [rows, inputs]
  // split round-robin over several channels, and also carries weights,
  // weight_rows, rows, inputs, channels, split, interleave, row_groups and
  // depth. IRDL here has no optional attributes, so those are checked by
  // llmhls.dialects.hlsdf.weight_stream, the one reader of them.
  irdl.operation @weight_bank {
    %name = irdl.base "#builtin.string"
    %bank = irdl.base "#builtin.integer"
    %offset = irdl.base "#builtin.integer"
    %buffer = irdl.base "!builtin.memref"
    irdl.attributes {"name" = %name, "bank" = %bank, "offset" = %offset}
    irdl.results(buffer: %buffer)
  }
}
