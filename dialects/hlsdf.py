"""The `hlsdf` dataflow dialect: loading its IRDL definition, typed builders and accessors.

The dialect lives in `hlsdf.irdl.mlir` (IRDL), so MLIR verifies hlsdf ops and
types without a C++ build. IRDL ops only print and parse in generic syntax
(`"hlsdf.stream_read"(%s) : (!hlsdf.stream<f32, 64 : i64>) -> f32`); the builders
here are the typed way for passes to create them. Every builder checks its
arguments first and raises TypeError/ValueError on misuse: a pass handing a
wrong value is a bug in llmhls, not a user error.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from torch_mlir import ir
from torch_mlir.dialects import irdl

from llmhls.dialects.weight_format import FORMAT_SHAPES, Phase

IRDL_PATH: Path = Path(__file__).with_name("hlsdf.irdl.mlir")
"""The IRDL definition of the dialect (shipped as package data)."""

STREAM_TYPE = "hlsdf.stream"
STREAM_CREATE = "hlsdf.stream_create"
STREAM_READ = "hlsdf.stream_read"
STREAM_WRITE = "hlsdf.stream_write"
OP_NAMES: tuple[str, ...] = (
    STREAM_CREATE,
    STREAM_READ,
    STREAM_WRITE,
    "hlsdf.kv_append",
    "hlsdf.kv_window",
    "hlsdf.kv_compress",
    "hlsdf.weight_bank",
)
"""Every op the dialect defines, so emitters and passes can recognise hlsdf ops by name."""

_load_lock = threading.Lock()


@cache
def _irdl_text() -> str:
    """The IRDL source, read once per process (each context still parses it)."""
    return IRDL_PATH.read_text()


def is_loaded(context: ir.Context) -> bool:
    """Whether `context` already knows the hlsdf dialect."""
    return context.is_registered_operation("hlsdf.stream_read")


def load_hlsdf(context: ir.Context) -> None:
    """Load the hlsdf dialect into `context`; a no-op when it is already there.

    The check matters: loading IRDL dialects twice into one context crashes
    MLIR. The parsed IRDL module can be dropped afterwards because the
    dialect's verifiers own their constraints.
    """
    with _load_lock:
        if is_loaded(context):
            return
        irdl.load_dialects(ir.Module.parse(_irdl_text(), context))


def _location(loc: ir.Location | None, context: ir.Context) -> ir.Location:
    """The explicit location, else the enclosing `with Location` one, else unknown."""
    if loc is not None:
        return loc
    current = ir.Location.current  # None outside any `with Location`
    return current if current is not None else ir.Location.unknown(context)


def _i64(value: int, context: ir.Context) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64, context), value)


def _is_memref(t: ir.Type) -> bool:
    """By TypeID, so a type not downcast to ir.MemRefType still counts."""
    return t.typeid == ir.MemRefType.static_typeid


def _require_memref(value: ir.Value, role: str, op: str) -> None:
    if not _is_memref(value.type):
        raise TypeError(f"{op}: {role} must be a memref, got {value.type}")


def _require_index(value: ir.Value, role: str, op: str) -> None:
    if not value.type.typeid == ir.IndexType.static_typeid:
        raise TypeError(f"{op}: {role} must be an index, got {value.type}")


# --- the stream type ----------------------------------------------------------


def stream_type(element: ir.Type, depth: int) -> ir.Type:
    """`!hlsdf.stream<element, depth>`: an hls::stream FIFO of `depth` entries.

    Built by parsing, so the IRDL verifier checks the element type (integer,
    index, f16/bf16/f32/f64 or vector) in one place; loads the dialect into the
    element's context if needed.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"hlsdf.stream depth must be a positive integer, got {depth!r}")
    context = element.context
    load_hlsdf(context)
    try:
        return ir.Type.parse(f"!{STREAM_TYPE}<{element}, {depth} : i64>", context)
    except ir.MLIRError as exc:
        raise TypeError(f"hlsdf.stream cannot carry elements of type {element}") from exc


def is_stream_type(t: ir.Type) -> bool:
    """Whether `t` is an `!hlsdf.stream<...>`."""
    try:
        return ir.DynamicType(t).type_name == STREAM_TYPE
    except ValueError:
        return False


def _stream_params(t: ir.Type) -> list[ir.Attribute]:
    if not is_stream_type(t):
        raise TypeError(f"expected an !hlsdf.stream type, got {t}")
    return list(ir.DynamicType(t).params)


def stream_element(t: ir.Type) -> ir.Type:
    """The element type T of `!hlsdf.stream<T, depth>`."""
    return ir.TypeAttr(_stream_params(t)[0]).value


def stream_depth(t: ir.Type) -> int:
    """The FIFO depth of `!hlsdf.stream<T, depth>`."""
    return ir.IntegerAttr(_stream_params(t)[1]).value


# --- ops ---------------------------------------------------------------------


def create_stream(
    element: ir.Type,
    depth: int,
    *,
    loc: ir.Location | None = None,
    ip: ir.InsertionPoint | None = None,
) -> ir.Value:
    """`hlsdf.stream_create`: declare an `hls::stream<element>` of `depth` entries.

    Lives in a dataflow region; the emitter prints the declaration plus
    `#pragma HLS stream variable=... depth=...`.
    """
    result = stream_type(element, depth)
    op = ir.Operation.create(
        "hlsdf.stream_create", results=[result], loc=_location(loc, result.context), ip=ip
    )
    return op.result


def stream_read(
    stream: ir.Value, *, loc: ir.Location | None = None, ip: ir.InsertionPoint | None = None
) -> ir.Value:
    """`hlsdf.stream_read`: a blocking FIFO read (`s.read()`), one element per call."""
    if not is_stream_type(stream.type):
        raise TypeError(f"hlsdf.stream_read: operand must be an !hlsdf.stream, got {stream.type}")
    op = ir.Operation.create(
        "hlsdf.stream_read",
        results=[stream_element(stream.type)],
        operands=[stream],
        loc=_location(loc, stream.type.context),
        ip=ip,
    )
    return op.result


def stream_write(
    stream: ir.Value,
    value: ir.Value,
    *,
    loc: ir.Location | None = None,
    ip: ir.InsertionPoint | None = None,
) -> ir.Operation:
    """`hlsdf.stream_write`: a blocking FIFO write (`s.write(v)`) of one element."""
    if not is_stream_type(stream.type):
        raise TypeError(f"hlsdf.stream_write: operand must be an !hlsdf.stream, got {stream.type}")
    element = stream_element(stream.type)
    if value.type != element:
        raise TypeError(
            f"hlsdf.stream_write: value of type {value.type} written to a stream of {element}"
        )
    return ir.Operation.create(
        "hlsdf.stream_write",
        operands=[stream, value],
        loc=_location(loc, stream.type.context),
        ip=ip,
    )


def kv_append(
    cache: ir.Value,
    rows: ir.Value,
    position: ir.Value,
    *,
    loc: ir.Location | None = None,
    ip: ir.InsertionPoint | None = None,
) -> ir.Operation:
    """`hlsdf.kv_append`: write new K/V `rows` into `cache` at sequence `position`.

    In place on the persistent off-chip cache buffer (an m_axi port): only the
    new rows travel, never a copy of the whole cache.
    """
    _require_memref(cache, "cache", "hlsdf.kv_append")
    _require_memref(rows, "rows", "hlsdf.kv_append")
    _require_index(position, "position", "hlsdf.kv_append")
    return ir.Operation.create(
        "hlsdf.kv_append",
        operands=[cache, rows, position],
        loc=_location(loc, cache.type.context),
        ip=ip,
    )


def kv_window(
    cache: ir.Value,
    start: ir.Value,
    length: ir.Value,
    window_type: ir.Type,
    *,
    loc: ir.Location | None = None,
    ip: ir.InsertionPoint | None = None,
) -> ir.Value:
    """`hlsdf.kv_window`: cache rows [start, start + length) as a `window_type` memref.

    In hardware a burst read of that window from the off-chip cache into the
    on-chip buffer attention works on.
    """
    _require_memref(cache, "cache", "hlsdf.kv_window")
    _require_index(start, "start", "hlsdf.kv_window")
    _require_index(length, "length", "hlsdf.kv_window")
    if not _is_memref(window_type):
        raise TypeError(f"hlsdf.kv_window: result must be a memref type, got {window_type}")
    op = ir.Operation.create(
        "hlsdf.kv_window",
        results=[window_type],
        operands=[cache, start, length],
        loc=_location(loc, cache.type.context),
        ip=ip,
    )
    return op.result


def kv_compress(
    cache: ir.Value,
    kept: ir.Value,
    *,
    loc: ir.Location | None = None,
    ip: ir.InsertionPoint | None = None,
) -> ir.Operation:
    """`hlsdf.kv_compress`: keep only the cache rows at the positions in `kept` (SnapKV).

    Compacts the off-chip cache in place: kept rows move to the front in the
    order listed, the freed tail takes later appends.
    """
    _require_memref(cache, "cache", "hlsdf.kv_compress")
    _require_memref(kept, "kept", "hlsdf.kv_compress")
    return ir.Operation.create(
        "hlsdf.kv_compress",
        operands=[cache, kept],
        loc=_location(loc, cache.type.context),
        ip=ip,
    )


def weight_bank(
    name: str,
    bank: int,
    offset: int,
    buffer_type: ir.Type,
    *,
    stream: WeightStream | None = None,
    loc: ir.Location | None = None,
    ip: ir.InsertionPoint | None = None,
) -> ir.Value:
    """`hlsdf.weight_bank`: the weight `name`, kept off-chip in memory bank `bank`.

    The result is the weight as a `buffer_type` memref read through that bank's
    m_axi bundle (an HBM pseudo-channel or DDR bank), starting at byte
    `offset` of the bank's buffer; the host runtime loads it there from the
    weight manifest. With `stream`, the bank is a fused matrix streamed over
    several channels (hls-weight-streaming) and carries its attributes.
    """
    if not name:
        raise ValueError("hlsdf.weight_bank: the weight name must not be empty")
    for label, number in (("bank", bank), ("offset", offset)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"hlsdf.weight_bank: {label} must be an integer >= 0, got {number!r}")
    if not _is_memref(buffer_type):
        raise TypeError(f"hlsdf.weight_bank: result must be a memref type, got {buffer_type}")
    context = buffer_type.context
    load_hlsdf(context)
    attributes = {
        "name": ir.StringAttr.get(name, context),
        "bank": _i64(bank, context),
        "offset": _i64(offset, context),
    }
    if stream is not None:
        stream.check(name)
        shape = list(ir.MemRefType(buffer_type).shape)
        if shape != [stream.rows, stream.inputs]:
            raise TypeError(
                f"hlsdf.weight_bank '{name}': buffer {buffer_type} is not "
                f"[rows={stream.rows}, inputs={stream.inputs}]"
            )
        attributes.update(stream.attributes(context))
    op = ir.Operation.create(
        "hlsdf.weight_bank",
        results=[buffer_type],
        attributes=attributes,
        loc=_location(loc, context),
        ip=ip,
    )
    return op.result


ROUND_ROBIN = "round_robin"
STREAM_ATTRS: tuple[str, ...] = (
    "weights",
    "weight_rows",
    "rows",
    "inputs",
    "channels",
    "split",
    "interleave",
    "row_groups",
    "depth",
    "format",
)
"""The attributes a streamed hlsdf.weight_bank carries besides name/bank/offset.

IRDL in the bundled bindings has no optional attributes, so the dialect file
declares only name/bank/offset (every weight_bank has them) and `WeightStream`
checks these: `weight_stream(op)` is how the emitter and the engine read them.
"""


@dataclass(frozen=True)
class WeightStream:
    """A fused weight matrix streamed row-wise over `channels` memory channels.

    `weights` are the fused weights' names (the layer's state_dict keys) in row
    order, `weight_rows` their row counts; the matrix is [rows, inputs], stored in
    `format` (fp32, fp16, int8, int4: `weight_format.FORMAT_SHAPES`, the rows a
    512-bit word holds). Row groups go round-robin over the channels: row group rg
    to channel rg % channels, in blocks of `interleave` rounds; each channel's
    loader feeds its processing unit through a FIFO of `depth` words.
    """

    weights: tuple[str, ...]
    weight_rows: tuple[int, ...]
    inputs: int
    channels: int
    interleave: int
    depth: int
    split: str = ROUND_ROBIN
    format: str = "fp32"

    @property
    def rows(self) -> int:
        return sum(self.weight_rows)

    def phase(self, name: str) -> Phase:
        """The matrix as the engine's layout takes it (words, meta, blocks)."""
        return Phase(name, self.format, self.rows, self.inputs, self.interleave)

    @property
    def row_groups(self) -> int:
        return -(-self.rows // FORMAT_SHAPES[self.format][1])

    def channel_rows(self, channel: int) -> int:
        """Row groups channel `channel` holds: those rg with rg % channels == channel."""
        groups = self.row_groups
        return (groups - channel + self.channels - 1) // self.channels if channel < groups else 0

    def check(self, name: str) -> None:
        """ValueError naming the bank when a field is out of range."""
        if not self.weights or len(self.weights) != len(self.weight_rows):
            raise ValueError(f"hlsdf.weight_bank '{name}': one row count per fused weight")
        numbers = {
            "inputs": self.inputs,
            "channels": self.channels,
            "interleave": self.interleave,
            "depth": self.depth,
        } | {f"rows of '{w}'": r for w, r in zip(self.weights, self.weight_rows, strict=True)}
        for label, number in numbers.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError(f"hlsdf.weight_bank '{name}': {label} must be >= 1, got {number}")
        if self.split != ROUND_ROBIN:
            raise ValueError(f"hlsdf.weight_bank '{name}': unknown row split '{self.split}'")
        if self.format not in FORMAT_SHAPES:
            raise ValueError(f"hlsdf.weight_bank '{name}': unknown format '{self.format}'")

    def attributes(self, context: ir.Context) -> dict[str, ir.Attribute]:
        i64 = ir.IntegerType.get_signless(64, context)
        return {
            "weights": ir.ArrayAttr.get([ir.StringAttr.get(w, context) for w in self.weights]),
            "weight_rows": ir.DenseI64ArrayAttr.get(list(self.weight_rows), context),
            "rows": ir.IntegerAttr.get(i64, self.rows),
            "inputs": ir.IntegerAttr.get(i64, self.inputs),
            "channels": ir.IntegerAttr.get(i64, self.channels),
            "split": ir.StringAttr.get(self.split, context),
            "interleave": ir.IntegerAttr.get(i64, self.interleave),
            "row_groups": ir.IntegerAttr.get(i64, self.row_groups),
            "depth": ir.IntegerAttr.get(i64, self.depth),
            "format": ir.StringAttr.get(self.format, context),
        }


def weight_stream(op: ir.Operation) -> WeightStream | None:
    """The streaming attributes of an hlsdf.weight_bank; None for a plain (one-bank) weight.

    Raises ValueError naming the bank when they are incomplete or inconsistent.
    """
    attrs = op.attributes
    if op.name != "hlsdf.weight_bank":
        raise ValueError(f"expected an hlsdf.weight_bank, got '{op.name}'")
    name = ir.StringAttr(attrs["name"]).value
    present = [key for key in STREAM_ATTRS if key in attrs]
    if not present:
        return None
    missing = [key for key in STREAM_ATTRS if key not in attrs]
    if missing:
        raise ValueError(f"hlsdf.weight_bank '{name}': streamed but lacks {', '.join(missing)}")
    try:
        stream = WeightStream(
            weights=tuple(ir.StringAttr(w).value for w in ir.ArrayAttr(attrs["weights"])),
            weight_rows=tuple(ir.DenseI64ArrayAttr(attrs["weight_rows"])),
            inputs=ir.IntegerAttr(attrs["inputs"]).value,
            channels=ir.IntegerAttr(attrs["channels"]).value,
            interleave=ir.IntegerAttr(attrs["interleave"]).value,
            depth=ir.IntegerAttr(attrs["depth"]).value,
            split=ir.StringAttr(attrs["split"]).value,
            format=ir.StringAttr(attrs["format"]).value,
        )
    except ValueError as exc:
        raise ValueError(f"hlsdf.weight_bank '{name}': malformed attribute ({exc})") from None
    stream.check(name)
    for key, value in (("rows", stream.rows), ("row_groups", stream.row_groups)):
        if ir.IntegerAttr(attrs[key]).value != value:
            raise ValueError(f"hlsdf.weight_bank '{name}': {key} is not {value}")
    shape = list(ir.MemRefType(op.result.type).shape)
    if shape != [stream.rows, stream.inputs]:
        raise ValueError(f"hlsdf.weight_bank '{name}': buffer {shape} is not [rows, inputs]")
    return stream
