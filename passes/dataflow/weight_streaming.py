"""hls-weight-streaming: matmul weights become fused hlsdf.weight_bank streams over N channels.

Why: decode at batch 1 reads every weight once per token, so the decode
engine's speed is the memory's (DESIGN.md, "The decode engine"). It reaches it
with one free-running loader per HBM channel, each streaming its share of
every matrix in the order the processing units consume them. Which matrices
are fused, in which order, and how their rows split over the channels is the
engine's structure; this pass decides it on the IR, so it can be printed,
checked with lit and read back (`compiler/llm/engine/structure.py`).

On bufferized linalg IR (before loops), every contraction whose weight
operand is a function argument of role weight — `linalg.matmul` reading it
through a `linalg.transpose` (nn.Linear's x W^T), or directly as [in, out],
`linalg.matmul_transpose_b`, or a `linalg.generic` multiply-add contraction
— is grouped with the contractions that read the same activation (the same
buffer, not rewritten in between: bufferization reuses buffers): in a llama
layer q|k|v (the normed hidden state) and gate|up (the second norm), o and
down alone. Each group, in execution order, becomes one `hlsdf.weight_bank`
at the top of the function, [sum of the fused rows, inputs], whose rows the
members now read through `memref.subview` (transposed with `memref.transpose`
where the contraction reads [in, out]). Its attributes are what the engine
needs (`hlsdf.WeightStream`): the fused weights' names and rows, rows,
inputs, the storage `format` (option `weights`: the rows a 512-bit word holds,
so the row groups), `channels`, the round-robin split (row group rg -> channel
rg % N), `interleave` rounds per block (by default the engine's choice: the
fewest idle steps in the busiest channel, `weight_format.choose_interleave`)
and the loader FIFO `depth` (the engine's); `bank` 0 is the channel of row
group 0 and `offset` the bank's byte offset in channel 0's stream at that
format (each channel streams the banks in this order). The engine's layout
writes exactly these (`compiler/llm/engine/build.py` checks it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from torch_mlir import ir

from llmhls.dialects import hlsdf
from llmhls.dialects.weight_format import (
    FORMAT_SHAPES,
    INTERLEAVE,
    LOADER_FIFO_WORDS,
    WORD_BYTES,
    choose_interleave,
)
from llmhls.errors import OptionError, UnsupportedError
from llmhls.passes.analysis.buffer_writes import BufferOrder, destination_operands
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    describe_place,
    fresh_name,
    function_arg_attrs,
    top_function,
)
from llmhls.passes.analysis.loops import root_buffer
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

NAME = "hls-weight-streaming"
ELEMENT_BYTES = {"f32": 4, "f16": 2, "bf16": 2, "i8": 1}
STEM_ALIASES = {"o": "out"}  # `PHASE_O` reads badly: the attention output projection is `out`


@dataclass
class Member:
    """One contraction of a bank: its weight argument and how it reads it."""

    op: ir.Operation  # the contraction
    weight: ir.BlockArgument  # [rows, inputs] (nn.Linear layout) unless `transposed`
    transposed: bool  # the argument is stored [inputs, rows]
    reader: ir.Operation  # the op whose operand `operand` is the weight argument
    operand: int
    name: str

    @property
    def rows(self) -> int:
        return list(ir.MemRefType(self.weight.type).shape)[0 if not self.transposed else 1]

    @property
    def inputs(self) -> int:
        return list(ir.MemRefType(self.weight.type).shape)[1 if not self.transposed else 0]


@dataclass
class Group:
    members: list[Member] = field(default_factory=list)


def _fail(op: ir.Operation, reason: str) -> UnsupportedError:
    return UnsupportedError(f"{NAME}: '{op.name}' at {describe_place(op)}: {reason}")


def _map_results(attr: ir.Attribute) -> list[str]:
    return [str(e) for e in ir.AffineMapAttr(attr).value.results]


def _contraction(op: ir.Operation) -> tuple[ir.Value, ir.Value, bool] | None:
    """(activation, weight operand, whether the weight operand is read [out, in]) or None."""
    if op.name in ("linalg.matmul", "linalg.matmul_transpose_b"):
        ins, _ = destination_operands(op)
        if len(ins) != 2:
            return None
        transposed_b = op.name == "linalg.matmul_transpose_b"
        if "indexing_maps" in op.attributes:
            maps = [_map_results(m) for m in ir.ArrayAttr(op.attributes["indexing_maps"])]
            if maps[0] != ["d0", "d2"] or maps[2] != ["d0", "d1"]:
                return None
            if maps[1] not in (["d2", "d1"], ["d1", "d2"]):
                return None
            transposed_b = maps[1] == ["d1", "d2"]
        return ins[0], ins[1], transposed_b
    if op.name != "linalg.generic":
        return None
    ins, outs = destination_operands(op)
    iterators = [
        str(t).removeprefix("#linalg.iterator_type<").removesuffix(">")
        for t in ir.ArrayAttr(op.attributes["iterator_types"])
    ]
    if len(ins) != 2 or len(outs) != 1 or iterators != ["parallel", "parallel", "reduction"]:
        return None
    body = [inner.operation.name for inner in op.regions[0].blocks[0].operations]
    if body != ["arith.mulf", "arith.addf", "linalg.yield"]:
        return None
    maps = [_map_results(m) for m in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if maps[0] != ["d0", "d2"] or maps[2] != ["d0", "d1"]:
        return None
    if maps[1] == ["d2", "d1"]:
        return ins[0], ins[1], False
    if maps[1] == ["d1", "d2"]:
        return ins[0], ins[1], True
    return None


def _weight_arg(func: ir.Operation, value: ir.Value) -> ir.BlockArgument | None:
    if not isinstance(value.owner, ir.Block):
        return None
    arg = ir.BlockArgument(value)
    attrs = function_arg_attrs(func)
    role = attrs[arg.arg_number].get("llmhls.role") if arg.arg_number < len(attrs) else None
    return arg if role == "weight" else None


def _weight_name(func: ir.Operation, arg: ir.BlockArgument) -> str:
    attrs = function_arg_attrs(func)
    entry = attrs[arg.arg_number] if arg.arg_number < len(attrs) else {}
    return entry.get("llmhls.name") or entry.get("llmhls.arg") or f"arg{arg.arg_number}"


def _member(func: ir.Operation, order: BufferOrder, op: ir.Operation) -> Member | None:
    """The weight member `op` is, when its weight operand is (a transpose of) a weight argument."""
    found = _contraction(op)
    if found is None:
        return None
    _, operand, reads_out_in = found
    index = list(op.operands).index(operand)
    arg = _weight_arg(func, operand)
    if arg is not None:
        return Member(op, arg, not reads_out_in, op, index, _weight_name(func, arg))
    if root_buffer(operand) != operand or reads_out_in:
        return None
    writer = order.last_writer(operand, op)
    if writer is None or writer.name != "linalg.transpose":
        return None
    if list(ir.DenseI64ArrayAttr(writer.attributes["permutation"])) != [1, 0]:
        return None
    arg = _weight_arg(func, writer.operands[0])
    if arg is None or root_buffer(writer.operands[1]) != operand:
        return None
    return Member(op, arg, False, writer, 0, _weight_name(func, arg))


def _stem(name: str) -> str:
    """`pre.q_proj.weight` -> `q`, `post.down_proj.weight` -> `down`."""
    parts = name.split(".")
    if len(parts) > 1 and parts[-1] == "weight":
        parts = parts[:-1]
    stem = parts[-1].removesuffix("_proj") or parts[-1]
    return STEM_ALIASES.get(stem, stem)


def bank_name(weights: list[str], used: set[str]) -> str:
    """`qkv` for q|k|v, `gate_up` for gate|up, `out` for o, `down` for down."""
    stems = [_stem(w) for w in weights]
    joined = "".join(stems) if all(len(s) == 1 for s in stems) else "_".join(stems)
    return fresh_name(c_identifier(joined), used)


def _subview(
    bank: ir.Value, row: int, member: Member, element: ir.Type, ip: ir.InsertionPoint
) -> ir.Value:
    rows, inputs = member.rows, member.inputs
    offset = row * inputs
    layout = f"strided<[{inputs}, 1], offset: {offset}>" if offset else f"strided<[{inputs}, 1]>"
    view_type = ir.Type.parse(f"memref<{rows}x{inputs}x{element}, {layout}>")
    view = ir.Operation.create(
        "memref.subview",
        results=[view_type],
        operands=[bank],
        attributes={
            "static_offsets": ir.DenseI64ArrayAttr.get([row, 0]),
            "static_sizes": ir.DenseI64ArrayAttr.get([rows, inputs]),
            "static_strides": ir.DenseI64ArrayAttr.get([1, 1]),
            "operandSegmentSizes": ir.DenseI32ArrayAttr.get([1, 0, 0, 0]),
        },
        loc=member.reader.location,
        ip=ip,
    ).result
    if not member.transposed:
        return view
    transposed_type = ir.Type.parse(
        f"memref<{inputs}x{rows}x{element}, strided<[1, {inputs}], offset: {offset}>>"
    )
    return ir.Operation.create(
        "memref.transpose",
        results=[transposed_type],
        operands=[view],
        attributes={"permutation": ir.AffineMapAttr.get(ir.AffineMap.get_permutation([1, 0]))},
        loc=member.reader.location,
        ip=ip,
    ).result


@register_pass
@dataclass(frozen=True)
class WeightStreaming(Pass):
    """Fuse the matmuls of one activation into hlsdf.weight_bank streams over N channels."""

    name = NAME
    summary = (
        "matmul weights -> fused hlsdf.weight_bank streams (same activation fused), rows "
        "round-robin over N channels"
    )
    channels: int = 1
    weights: str = "fp32"  # the banks' storage format (the engine's --weights)
    interleave: int = 0  # rounds per block; 0: the engine's choice (choose_interleave)
    depth: int = LOADER_FIFO_WORDS  # loader FIFO words, the engine's

    def run(self, module: ir.Module) -> None:
        for option in ("channels", "depth"):
            if getattr(self, option) < 1:
                raise OptionError(f"{NAME} {option} must be >= 1, got {getattr(self, option)}")
        if self.interleave < 0:
            raise OptionError(f"{NAME} interleave must be >= 0, got {self.interleave}")
        if self.weights not in FORMAT_SHAPES:
            raise OptionError(
                f"{NAME} weights={self.weights} is not one of {', '.join(FORMAT_SHAPES)}"
            )
        with module.context:
            func = top_function(module)
            block = func.regions[0].blocks[0]
            order = BufferOrder(block)
            groups: dict[tuple, Group] = {}
            for op in order.ops:
                member = _member(func, order, op)
                if member is None:
                    continue
                activation = _contraction(op)[0]
                writer = order.last_writer(activation, op)
                key = (
                    root_buffer(activation),
                    -1 if writer is None else order.index[writer],
                    str(activation.type),
                )
                groups.setdefault(key, Group()).members.append(member)
            if not groups:
                return
            with func.location:
                self._rewrite(block, list(groups.values()))

    def _rewrite(self, block: ir.Block, groups: list[Group]) -> None:
        first = block.operations[0]
        ip = ir.InsertionPoint(first)
        used: set[str] = set()
        offset = 0
        for group in groups:
            lead = group.members[0]
            element = ir.MemRefType(lead.weight.type).element_type
            bytes_per = ELEMENT_BYTES.get(str(element))
            if bytes_per is None:
                raise _fail(lead.op, f"weight '{lead.name}' has elements {element}, not streamed")
            for member in group.members[1:]:
                if member.inputs != lead.inputs or (
                    ir.MemRefType(member.weight.type).element_type != element
                ):
                    raise _fail(
                        member.op,
                        f"weight '{member.name}' reads the input of '{lead.name}' with another "
                        "shape or element type",
                    )
            names = [m.name for m in group.members]
            stream = hlsdf.WeightStream(
                weights=tuple(names),
                weight_rows=tuple(m.rows for m in group.members),
                inputs=lead.inputs,
                channels=self.channels,
                interleave=self.interleave or INTERLEAVE,
                depth=self.depth,
                format=self.weights,
            )
            if not self.interleave:  # the engine's: fewest idle steps in its busiest channel
                rounds = stream.channel_rows(0)
                stream = dataclasses.replace(stream, interleave=choose_interleave(rounds))
            buffer_type = ir.MemRefType.get([stream.rows, stream.inputs], element)
            bank = hlsdf.weight_bank(
                bank_name(names, used),
                0,
                offset,
                buffer_type,
                stream=stream,
                loc=lead.op.location,
                ip=ip,
            )
            offset += stream.phase(stream.weights[0]).channel_words(self.channels, 0) * WORD_BYTES
            row = 0
            for member in group.members:
                view = _subview(bank, row, member, element, ip)
                member.reader.operands[member.operand] = view
                row += member.rows
