"""hls-weight-layout: store each streamed weight so that its innermost loop walks it contiguously.

After hls-loop-permute, a GEMV such as an LM head reads `W[o][i]` with the
output loop `o` innermost (pipelined, unrolled): consecutive iterations are a
row apart, so no m_axi burst forms and every read pays the full memory
latency. llmhls writes the weights to off-chip memory itself (the project's
`data/weights/*.bin`), so their layout is free to choose: stored as `W^T`,
the same reads are consecutive and burst.

For each `llmhls.role = "weight"` argument of the top function of rank >= 2
whose only users are `affine.load` ops (no views, casts, stores or calls):
when in every load the counter of the innermost enclosing loop has a non-zero
coefficient in exactly one index `d` (and a zero one in every other index,
the last included) and `d` is the same non-last dimension in all loads, the
argument's dimensions are permuted so that `d` becomes the last one (the
others keep their order). The function type, the block argument and every
load's map follow, and the permutation is recorded on the argument as
`llmhls.layout = array<i64: ...>`, meaning stored = original.permute(perm) in
PyTorch terms; the driver writes the weight's `.bin` in that order. Results
are bit-identical: every load reads the same element, only at another address.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import LlmhlsError
from llmhls.passes.analysis.ir_utils import (
    function_arg_attrs,
    set_function_type,
    symbol_name,
    top_function,
)
from llmhls.passes.analysis.loops import LOOP_OPS, index_forms
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

LAYOUT_ATTR = "llmhls.layout"


@register_pass
@dataclass(frozen=True)
class WeightLayout(Pass):
    """Permute weight arguments so that the innermost loop of every load walks their last dim."""

    name = "hls-weight-layout"
    summary = "permute weight arguments so the innermost loop reads them contiguously (bit-exact)"

    def run(self, module: ir.Module) -> None:
        with module.context, ir.Location.unknown():
            func = top_function(module)
            attrs = function_arg_attrs(func)
            block = func.regions[0].blocks[0]
            changed = False
            for index, arg in enumerate(block.arguments):
                info = attrs[index] if index < len(attrs) else {}
                if info.get("llmhls.role") != "weight":
                    continue
                perm = streaming_permutation(arg)
                if perm is not None:
                    _apply(func, index, arg, perm)
                    changed = True
            if changed and not func.verify():
                raise LlmhlsError(f"hls-weight-layout produced invalid IR in @{symbol_name(func)}")


def streaming_permutation(arg: ir.Value) -> list[int] | None:
    """The permutation that puts the dimension the innermost loops walk last; None: leave it."""
    if not isinstance(arg.type, ir.MemRefType):
        return None
    mem = ir.MemRefType(arg.type)
    if mem.rank < 2 or not mem.has_static_shape or not _row_major(mem):
        return None
    loads = []
    for use in arg.uses:
        op = use.owner.operation
        if op.name != "affine.load" or use.operand_number != 0:
            return None
        loads.append(op)
    if not loads:
        return None
    dims = {_streamed_dim(load) for load in loads}
    if len(dims) != 1:
        return None
    dim = dims.pop()
    if dim is None or dim == mem.rank - 1:
        return None
    return [k for k in range(mem.rank) if k != dim] + [dim]


def weight_layouts(func: ir.Operation) -> dict[str, tuple[int, ...]]:
    """`llmhls.arg` name -> recorded `llmhls.layout` permutation, for arguments that have one."""
    if "arg_attrs" not in func.attributes:
        return {}
    names = function_arg_attrs(func)
    found: dict[str, tuple[int, ...]] = {}
    for index, attr in enumerate(ir.ArrayAttr(func.attributes["arg_attrs"])):
        attrs = ir.DictAttr(attr)
        if LAYOUT_ATTR in attrs:
            name = names[index].get("llmhls.arg", f"arg{index}")
            found[name] = tuple(ir.DenseI64ArrayAttr(attrs[LAYOUT_ATTR]))
    return found


def _row_major(mem: ir.MemRefType) -> bool:
    strides, offset = mem.get_strides_and_offset()
    expected, step = [], 1
    for size in reversed(mem.shape):
        expected.append(step)
        step *= size
    return offset == 0 and list(strides) == expected[::-1]


def _enclosing_loops(op: ir.Operation) -> list[ir.Operation]:
    """affine.for/scf.for ops around `op`, innermost first (up to its function)."""
    found = []
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent.name in LOOP_OPS:
            found.append(parent.operation)
        parent = parent.parent
    return found


def _streamed_dim(load: ir.Operation) -> int | None:
    """The one index that the innermost enclosing loop's counter moves; None if not exactly one."""
    loops = _enclosing_loops(load)
    if not loops:
        return None
    ivs = [loop.regions[0].blocks[0].arguments[0] for loop in loops]
    forms = index_forms(load, set(ivs))
    if any(form is None for form in forms):
        return None
    moved = [k for k, form in enumerate(forms) if form is not None and form[0].get(ivs[0], 0)]
    return moved[0] if len(moved) == 1 else None


def _apply(func: ir.Operation, index: int, arg: ir.Value, perm: list[int]) -> None:
    mem = ir.MemRefType(arg.type)
    stored = ir.MemRefType.get(
        [mem.shape[p] for p in perm], mem.element_type, memory_space=mem.memory_space
    )
    for use in list(arg.uses):
        load = use.owner.operation
        old = ir.AffineMapAttr(load.attributes["map"]).value
        results = list(old.results)
        new = ir.AffineMap.get(old.n_dims, old.n_symbols, [results[p] for p in perm])
        load.attributes["map"] = ir.AffineMapAttr.get(new)
    arg.set_type(stored)
    block = func.regions[0].blocks[0]
    function_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    set_function_type(func, [a.type for a in block.arguments], list(function_type.results))

    arg_attrs = list(ir.ArrayAttr(func.attributes["arg_attrs"]))
    entries = {named.name: named.attr for named in ir.DictAttr(arg_attrs[index])}
    if LAYOUT_ATTR in entries:  # already permuted once: compose (stored' = stored.permute(perm))
        earlier = list(ir.DenseI64ArrayAttr(entries[LAYOUT_ATTR]))
        perm = [earlier[p] for p in perm]
    entries[LAYOUT_ATTR] = ir.DenseI64ArrayAttr.get(perm)
    arg_attrs[index] = ir.DictAttr.get(entries)
    func.attributes["arg_attrs"] = ir.ArrayAttr.get(arg_attrs)
