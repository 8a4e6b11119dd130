"""The hlsdf dialect: IRDL loading per context, typed builders, accessors, verifier rules."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from torch_mlir import ir

from llmhls.compiler.context import make_context, parse_module
from llmhls.dialects import hlsdf
from llmhls.errors import InputError


@pytest.fixture
def ctx() -> Iterator[ir.Context]:
    """A make_context() context with an unknown location and a module to build into."""
    context = make_context()
    with context, ir.Location.unknown(context):
        yield context


def _module_with_function(arg_types: list[ir.Type]) -> tuple[ir.Module, ir.Block]:
    """A module with one func.func whose entry block builders can fill."""
    module = ir.Module.create()
    with ir.InsertionPoint(module.body):
        func_type = ir.FunctionType.get(arg_types, [])
        func = ir.Operation.create(
            "func.func",
            attributes={
                "sym_name": ir.StringAttr.get("task"),
                "function_type": ir.TypeAttr.get(func_type),
            },
            regions=1,
        )
    block = func.regions[0].blocks.append(*arg_types)
    return module, block


def test_irdl_file_is_package_data() -> None:
    assert hlsdf.IRDL_PATH.is_file()
    text = hlsdf.IRDL_PATH.read_text()
    assert "irdl.dialect @hlsdf" in text
    for name in hlsdf.OP_NAMES:
        assert f"irdl.operation @{name.split('.', 1)[1]}" in text


def test_make_context_loads_every_op() -> None:
    context = make_context()
    assert hlsdf.is_loaded(context)
    for name in hlsdf.OP_NAMES:
        assert context.is_registered_operation(name), name
    assert not context.is_registered_operation("hlsdf.stream_peek")


def test_loading_is_idempotent_and_per_context() -> None:
    first = ir.Context()
    assert not hlsdf.is_loaded(first)
    hlsdf.load_hlsdf(first)
    hlsdf.load_hlsdf(first)  # a second real load would crash MLIR
    second = ir.Context()
    assert not hlsdf.is_loaded(second)
    hlsdf.load_hlsdf(second)
    gc.collect()  # the IRDL module is gone; the verifiers must still work
    for context in (first, second):
        stream = ir.Type.parse("!hlsdf.stream<f32, 4>", context)
        assert hlsdf.stream_depth(stream) == 4
        with pytest.raises(ir.MLIRError, match="does not satisfy the constraint"):
            ir.Type.parse("!hlsdf.stream<tensor<4xf32>, 4>", context)


def test_many_contexts_in_one_process() -> None:
    contexts = [make_context() for _ in range(20)]
    for index, context in enumerate(contexts):
        module = parse_module(
            f'%s = "hlsdf.stream_create"() : () -> !hlsdf.stream<i{8 + index}, {index + 1}>',
            f"case{index}",
            context,
        )
        assert module.operation.verify()
        assert f"!hlsdf.stream<i{8 + index}, {index + 1} : i64>" in str(module)


def test_stream_type_accessors(ctx: ir.Context) -> None:
    for element_text, depth in (("f32", 64), ("i8", 1), ("index", 2), ("vector<16xbf16>", 1024)):
        element = ir.Type.parse(element_text)
        stream = hlsdf.stream_type(element, depth)
        assert str(stream) == f"!hlsdf.stream<{element_text}, {depth} : i64>"
        assert hlsdf.is_stream_type(stream)
        assert hlsdf.stream_element(stream) == element
        assert hlsdf.stream_depth(stream) == depth
    f32 = ir.F32Type.get()
    assert hlsdf.stream_type(f32, 8) == ir.Type.parse("!hlsdf.stream<f32, 8>")
    assert not hlsdf.is_stream_type(f32)
    assert not hlsdf.is_stream_type(ir.Type.parse("memref<4xf32>"))
    with pytest.raises(TypeError, match=r"expected an !hlsdf\.stream type, got f32"):
        hlsdf.stream_depth(f32)


def test_stream_type_rejects_bad_arguments(ctx: ir.Context) -> None:
    f32 = ir.F32Type.get()
    for depth in (0, -4, True, 2.5):
        with pytest.raises(ValueError, match="depth must be a positive integer"):
            hlsdf.stream_type(f32, depth)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"cannot carry elements of type memref<4xf32>"):
        hlsdf.stream_type(ir.Type.parse("memref<4xf32>"), 4)


def test_stream_type_loads_into_a_bare_context() -> None:
    bare = ir.Context()
    stream = hlsdf.stream_type(ir.F16Type.get(bare), 3)
    assert hlsdf.is_loaded(bare)
    assert str(hlsdf.stream_element(stream)) == "f16"


def test_stream_builders_verify_and_round_trip(ctx: ir.Context) -> None:
    f32 = ir.F32Type.get()
    module, block = _module_with_function([f32])
    with ir.InsertionPoint(block):
        stream = hlsdf.create_stream(f32, 64)
        hlsdf.stream_write(stream, block.arguments[0])
        value = hlsdf.stream_read(stream)
        ir.Operation.create("func.return")
    assert module.operation.verify()
    assert value.type == f32
    assert stream.owner.name == "hlsdf.stream_create"
    assert [op.name for op in block.operations] == [
        "hlsdf.stream_create",
        "hlsdf.stream_write",
        "hlsdf.stream_read",
        "func.return",
    ]
    text = str(module)
    assert '"hlsdf.stream_read"(%0) : (!hlsdf.stream<f32, 64 : i64>) -> f32' in text
    assert str(parse_module(text, "round-trip", ctx)) == text


def test_stream_builders_reject_misuse(ctx: ir.Context) -> None:
    f32, f16 = ir.F32Type.get(), ir.F16Type.get()
    _, block = _module_with_function([f32, f16])
    scalar, half = block.arguments
    with ir.InsertionPoint(block):
        stream = hlsdf.create_stream(f32, 2)
        with pytest.raises(TypeError, match=r"stream_read: operand must be an !hlsdf\.stream"):
            hlsdf.stream_read(scalar)
        with pytest.raises(TypeError, match=r"stream_write: operand must be an !hlsdf\.stream"):
            hlsdf.stream_write(scalar, scalar)
        with pytest.raises(TypeError, match="value of type f16 written to a stream of f32"):
            hlsdf.stream_write(stream, half)


def test_kv_builders_verify(ctx: ir.Context) -> None:
    cache_type = ir.Type.parse("memref<3x256x64xf32>")
    rows_type = ir.Type.parse("memref<3x1x64xf32>")
    kept_type = ir.Type.parse("memref<128xindex>")
    index = ir.IndexType.get()
    module, block = _module_with_function([cache_type, rows_type, index, index, kept_type])
    cache, rows, position, length, kept = block.arguments
    window_type = ir.Type.parse("memref<3x?x64xf32>")
    with ir.InsertionPoint(block):
        append = hlsdf.kv_append(cache, rows, position)
        window = hlsdf.kv_window(cache, position, length, window_type)
        compress = hlsdf.kv_compress(cache, kept)
        ir.Operation.create("func.return")
    assert module.operation.verify()
    assert append.name == "hlsdf.kv_append" and len(append.results) == 0
    assert window.type == window_type
    assert list(compress.operands) == [cache, kept]


def test_kv_builders_reject_misuse(ctx: ir.Context) -> None:
    cache_type = ir.Type.parse("memref<256x64xf32>")
    i32 = ir.IntegerType.get_signless(32)
    index = ir.IndexType.get()
    _, block = _module_with_function([cache_type, i32, index])
    cache, wrong, position = block.arguments
    with ir.InsertionPoint(block):
        with pytest.raises(TypeError, match="kv_append: position must be an index, got i32"):
            hlsdf.kv_append(cache, cache, wrong)
        with pytest.raises(TypeError, match="kv_append: rows must be a memref, got index"):
            hlsdf.kv_append(cache, position, position)
        with pytest.raises(TypeError, match="kv_window: result must be a memref type"):
            hlsdf.kv_window(cache, position, position, ir.Type.parse("tensor<4x64xf32>"))
        with pytest.raises(TypeError, match="kv_compress: kept must be a memref, got i32"):
            hlsdf.kv_compress(cache, wrong)


def test_weight_bank_builder(ctx: ir.Context) -> None:
    buffer_type = ir.Type.parse("memref<576x576xf32>")
    module, block = _module_with_function([])
    with ir.InsertionPoint(block):
        weight = hlsdf.weight_bank("layers.0.attn.wq", 3, 4096, buffer_type)
        ir.Operation.create("func.return")
    assert module.operation.verify()
    op = weight.owner
    assert weight.type == buffer_type
    assert ir.StringAttr(op.attributes["name"]).value == "layers.0.attn.wq"
    assert ir.IntegerAttr(op.attributes["bank"]).value == 3
    assert ir.IntegerAttr(op.attributes["offset"]).value == 4096
    with pytest.raises(ValueError, match="bank must be an integer >= 0, got -1"):
        hlsdf.weight_bank("w", -1, 0, buffer_type)
    with pytest.raises(ValueError, match="weight name must not be empty"):
        hlsdf.weight_bank("", 0, 0, buffer_type)
    with pytest.raises(TypeError, match="result must be a memref type, got f32"):
        hlsdf.weight_bank("w", 0, 0, ir.F32Type.get())


def test_streamed_weight_bank_round_trips_its_attributes(ctx: ir.Context) -> None:
    stream = hlsdf.WeightStream(
        weights=("q.weight", "k.weight"),
        weight_rows=(8, 4),
        inputs=16,
        channels=5,
        interleave=8,
        depth=32,
    )
    module, block = _module_with_function([])
    with ir.InsertionPoint(block):
        bank = hlsdf.weight_bank("qk", 0, 0, ir.Type.parse("memref<12x16xf32>"), stream=stream)
        plain = hlsdf.weight_bank("w", 1, 64, ir.Type.parse("memref<4x4xf32>"))
        ir.Operation.create("func.return")
    assert module.operation.verify()
    assert hlsdf.weight_stream(bank.owner) == stream
    assert hlsdf.weight_stream(plain.owner) is None
    assert (stream.rows, stream.row_groups) == (12, 12)
    # Round-robin: 12 row groups over 5 channels hold 3, 3, 2, 2, 2.
    assert [stream.channel_rows(c) for c in range(5)] == [3, 3, 2, 2, 2]
    reparsed = parse_module(str(module), "<test>")
    found = [op for op in reparsed.body.operations[0].regions[0].blocks[0].operations]
    assert hlsdf.weight_stream(found[0].operation) == stream
    with pytest.raises(TypeError, match="buffer memref<4x16xf32> is not \\[rows=12, inputs=16\\]"):
        hlsdf.weight_bank("qk", 0, 0, ir.Type.parse("memref<4x16xf32>"), stream=stream)


def test_streamed_weight_bank_rejects_bad_attributes(ctx: ir.Context) -> None:
    stream = hlsdf.WeightStream(("w",), (4,), 4, 0, 8, 32)
    with pytest.raises(ValueError, match="'w4': channels must be >= 1, got 0"):
        hlsdf.weight_bank("w4", 0, 0, ir.Type.parse("memref<4x4xf32>"), stream=stream)
    text = (
        'func.func @f() {\n  %w = "hlsdf.weight_bank"() {name = "qkv", bank = 0 : i64, '
        'offset = 0 : i64, weights = ["a"], rows = 4 : i64} : () -> memref<4x4xf32>\n  return\n}'
    )
    module = parse_module(text, "<test>")
    op = module.body.operations[0].regions[0].blocks[0].operations[0].operation
    with pytest.raises(ValueError, match="'qkv': streamed but lacks weight_rows, inputs, channels"):
        hlsdf.weight_stream(op)


def test_builders_use_explicit_and_enclosing_locations() -> None:
    context = make_context()
    f32 = ir.F32Type.get(context)
    stream = hlsdf.create_stream(f32, 4)  # no `with Location`: unknown location
    assert str(stream.owner.location) == "loc(unknown)"
    named = ir.Location.name("attn.k_fifo", context=context)
    assert str(hlsdf.create_stream(f32, 4, loc=named).owner.location) == str(named)
    with ir.Location.name("enclosing", context=context):
        assert "enclosing" in str(hlsdf.create_stream(f32, 4).owner.location)


def test_verifier_error_is_one_line(ctx: ir.Context) -> None:
    text = '%s = "hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 8>\n' + (
        '%v = "hlsdf.stream_read"(%s) : (!hlsdf.stream<f32, 8>) -> i32'
    )
    with pytest.raises(InputError) as info:
        parse_module(text, "bad.mlir", ctx)
    message = str(info.value)
    assert message == (
        "cannot parse 'bad.mlir' as MLIR: loc(\"-\":2:6): expected 'f32' but got 'i32'"
    )
