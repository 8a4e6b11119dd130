"""hls-kv-cache-buffer: the KV-cache update becomes an in-place append, attention a window read.

Why: a decoder layer written the PyTorch way (`k_cache.index_copy(1, positions,
k)`, then `scaled_dot_product_attention` over the result) is functional, so
after bufferization every step copies the whole cache (`memref.copy %cache,
%new`) and scatters this step's rows into the copy (`tm_tensor.scatter`), then
attends over all `context` positions. In hardware the cache is a persistent
off-chip buffer: only the new rows should travel, and attention only needs
positions [0, pos]. The pass recognises the update on bufferized linalg IR
(after `one-shot-bufferize` and `tm-tensor-bufferize`, before loops, the one
level where the scatter and its index columns are still visible) and rewrites:

- copy + scatter into `hlsdf.kv_append(%cache, %rows, %pos)`, in place on the
  cache argument; the layer's returned cache is that argument;
- every read of the updated cache into `hlsdf.kv_window(%cache, 0, pos + C)`,
  the rows [0, pos + C) attention may see (C rows this step).

What must hold, else one line naming the op and where it is: the cache is a
function input laid out [kv_heads, context, head_dim], scattered element by
element (`dimension_map` [0, 1, 2]) from rows [kv_heads, C, head_dim]; the
position column of the scatter indices comes from one `positions` input [C]
of integers and the head / head-dim columns from no input; nothing writes
the updated cache after the append or reads it before; and the attention
scores read from the cache get the causal mask `positions[c] >= j` (the
`arith.cmpi sge` of positions against the key index, added as 0 / -inf).
`positions` are consecutive: row c of this step goes to positions[0] + c, as
the LLM flow's top kernel calls every layer (`compiler/llm/build.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir
from torch_mlir.dialects import arith, memref

from llmhls.dialects import hlsdf
from llmhls.errors import UnsupportedError
from llmhls.passes.analysis.buffer_writes import (
    BufferOrder,
    destination_operands,
    erase_unread_buffers,
    writes,
)
from llmhls.passes.analysis.ir_utils import describe_place, function_arg_attrs, top_function
from llmhls.passes.analysis.loops import VIEW_OPS, root_buffer
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

NAME = "hls-kv-cache-buffer"
SCATTER = "tm_tensor.scatter"


@dataclass
class CacheUpdate:
    """One matched cache update: scatter `scatter` of `rows` into a copy `updated` of `cache`."""

    scatter: ir.Operation
    copy: ir.Operation | None  # memref.copy %cache -> %updated (None: scattered in place)
    cache: ir.BlockArgument
    updated: ir.Value  # the buffer the scatter writes (the copy, or the cache itself)
    rows: ir.Value  # [kv_heads, C, head_dim]
    positions: ir.BlockArgument


def _fail(op: ir.Operation, reason: str) -> UnsupportedError:
    return UnsupportedError(f"{NAME}: '{op.name}' at {describe_place(op)}: {reason}")


def _shape(value: ir.Value) -> list[int]:
    return list(ir.MemRefType(value.type).shape)


def _arg_name(func: ir.Operation, arg: ir.BlockArgument) -> str:
    attrs = function_arg_attrs(func)
    entry = attrs[arg.arg_number] if arg.arg_number < len(attrs) else {}
    return entry.get("llmhls.name") or entry.get("llmhls.arg") or f"arg{arg.arg_number}"


def _role(func: ir.Operation, arg: ir.BlockArgument) -> str:
    attrs = function_arg_attrs(func)
    entry = attrs[arg.arg_number] if arg.arg_number < len(attrs) else {}
    return entry.get("llmhls.role", "input")


def _arguments(values: set[ir.Value]) -> list[ir.BlockArgument]:
    return [ir.BlockArgument(v) for v in values if isinstance(v.owner, ir.Block)]


def _index_columns(order: BufferOrder, indices: ir.Value, scatter: ir.Operation) -> list[ir.Value]:
    """The buffer copied into each column of the scatter's [N, 3] index array."""
    root = root_buffer(indices)
    columns: dict[int, ir.Value] = {}
    for op in order.ops[: order.index[scatter]]:
        if op.name != "memref.copy" or root_buffer(op.operands[1]) != root:
            continue
        target = op.operands[1].owner
        if isinstance(target, ir.Block) or target.operation.name != "memref.subview":
            raise _fail(scatter, "its index array is not written column by column")
        offsets = list(ir.DenseI64ArrayAttr(target.operation.attributes["static_offsets"]))
        columns[offsets[1]] = op.operands[0]
    if sorted(columns) != [0, 1, 2]:
        raise _fail(scatter, "its index array is not three columns (head, position, head_dim)")
    return [columns[0], columns[1], columns[2]]


def _match_update(
    func: ir.Operation, order: BufferOrder, scatter: ir.Operation
) -> CacheUpdate | None:
    """The cache update `scatter` performs, checked; None when it writes no input's copy."""
    (updates, indices), (destination,) = destination_operands(scatter)
    dest_root = root_buffer(destination)
    copy = None
    if isinstance(dest_root.owner, ir.Block):
        cache = ir.BlockArgument(dest_root)
    else:
        copy = order.last_writer(dest_root, scatter)
        if copy is None or copy.name != "memref.copy":
            return None
        source = root_buffer(copy.operands[0])
        if not isinstance(source.owner, ir.Block) or _shape(source) != _shape(dest_root):
            return None
        cache = ir.BlockArgument(source)
    name = _arg_name(func, cache)
    if _role(func, cache) != "input":
        raise _fail(scatter, f"cache '{name}' is a {_role(func, cache)}, not a layer input")
    shape = _shape(cache)
    if len(shape) != 3:
        raise _fail(scatter, f"cache '{name}' is {shape}, not [kv_heads, context, head_dim]")
    dims = list(ir.DenseI64ArrayAttr(scatter.attributes["dimension_map"]))
    if dims != [0, 1, 2]:
        raise _fail(scatter, f"cache '{name}' is scattered along dims {dims}, not element-wise")
    rows = root_buffer(updates)
    kv_heads, _, head_dim = shape
    row_shape = _shape(rows)
    if len(row_shape) != 3 or row_shape[0] != kv_heads or row_shape[2] != head_dim:
        raise _fail(
            scatter,
            f"cache '{name}' gets rows {row_shape}, not [kv_heads={kv_heads}, C, "
            f"head_dim={head_dim}]",
        )
    count = kv_heads * row_shape[1] * head_dim
    if _shape(updates)[0] != count or _shape(indices) != [count, 3]:
        raise _fail(scatter, f"cache '{name}' is not written one element per row element")
    head_col, position_col, dim_col = _index_columns(order, indices, scatter)
    inputs = _arguments(order.sources(position_col))
    if len(inputs) != 1:
        raise _fail(scatter, f"cache '{name}' is not written at one positions input")
    positions = inputs[0]
    pos_type = ir.MemRefType(positions.type)
    if list(pos_type.shape) != [row_shape[1]] or not isinstance(
        pos_type.element_type, ir.IntegerType
    ):
        raise _fail(
            scatter,
            f"positions '{_arg_name(func, positions)}' is {pos_type}, not [{row_shape[1]}] "
            "integers (one per new row)",
        )
    for label, column in (("kv head", head_col), ("head_dim", dim_col)):
        if _arguments(order.sources(column)):
            raise _fail(scatter, f"cache '{name}': the {label} index depends on a layer input")
    return CacheUpdate(scatter, copy, cache, dest_root, rows, positions)


def _body_ops(op: ir.Operation) -> list[ir.Operation]:
    return [inner.operation for inner in op.regions[0].blocks[0].operations]


def _compare_side(generic: ir.Operation, order: BufferOrder, positions: ir.Value) -> str | None:
    """'lhs'/'rhs': the side of the body's cmpi that reads positions (the other an index)."""
    ins, _ = destination_operands(generic)
    if len(ins) != 2:
        return None
    compares = [op for op in _body_ops(generic) if op.name == "arith.cmpi"]
    if len(compares) != 1:
        return None
    block_args = list(generic.regions[0].blocks[0].arguments)
    from_positions = [positions in order.sources(value) for value in ins]
    from_inputs = [bool(_arguments(order.sources(value))) for value in ins]
    sides = []
    for operand in compares[0].operands:
        if operand not in block_args[:2]:
            return None
        sides.append(block_args.index(operand))
    for side, index in (("lhs", sides[0]), ("rhs", sides[1])):
        other = sides[1] if side == "lhs" else sides[0]
        if from_positions[index] and not from_inputs[other]:
            return side
    return None


def _check_causal_mask(func: ir.Operation, order: BufferOrder, updates: list[CacheUpdate]) -> None:
    """The scores read from a cache must get the mask positions[c] >= j, j the key position."""
    positions = updates[0].positions
    updated = {u.updated for u in updates}
    masks: list[tuple[ir.Operation, bool]] = []  # (cmpi generic, is causal)
    for op in order.ops:
        if op.name != "linalg.generic":
            continue
        side = _compare_side(op, order, positions)
        if side is None:
            continue
        compare = next(inner for inner in _body_ops(op) if inner.name == "arith.cmpi")
        predicate = ir.IntegerAttr(compare.attributes["predicate"]).value
        # arith.cmpi predicates: sle = 3, sge = 5. pos >= j or j <= pos.
        causal = (side == "lhs" and predicate == 5) or (side == "rhs" and predicate == 3)
        context = _shape(updates[0].cache)[1]
        causal = causal and _shape(destination_operands(op)[1][0])[-1] == context
        masks.append((op, causal))
    for op in order.ops:
        if op.name != "linalg.generic" or not any(
            inner.name == "arith.addf" for inner in _body_ops(op)
        ):
            continue
        ins, _ = destination_operands(op)
        if len(ins) != 2:
            continue
        sources = [order.sources(value) for value in ins]
        for mask, causal in masks:
            mask_root = root_buffer(destination_operands(mask)[1][0])
            for scores, added in ((sources[0], sources[1]), (sources[1], sources[0])):
                if mask_root in added and scores & updated:
                    if not causal:
                        raise _fail(
                            mask,
                            "the attention mask is not the causal window positions[c] >= j "
                            "over the whole context",
                        )
                    return
    raise _fail(
        updates[0].scatter,
        f"the attention over cache '{_arg_name(func, updates[0].cache)}' has no causal mask "
        "positions[c] >= j added to its scores",
    )


def _rewrite(
    func: ir.Operation,
    order: BufferOrder,
    update: CacheUpdate,
    position: ir.Value,
    window_rows: tuple[ir.Value, ir.Value],
) -> None:
    """Replace copy + scatter by kv_append, and the updated cache's readers by a kv_window."""
    scatter = update.scatter
    for op in order.ops[order.index[scatter] + 1 :]:
        if writes(op, update.updated) and op.name != "func.return":
            raise _fail(op, "writes the KV cache again after the new rows are appended")
    users = [
        (use.owner.operation, use.operand_number)
        for use in update.updated.uses
        if use.owner.operation not in (scatter, update.copy)
    ]
    with ir.InsertionPoint(scatter), scatter.location:
        hlsdf.kv_append(update.cache, update.rows, position)
        window = hlsdf.kv_window(update.cache, *window_rows, update.cache.type)
    window_op = window.owner.operation
    order_after = BufferOrder(func.regions[0].blocks[0])
    for user, number in users:
        if user.name == "func.return":
            user.operands[number] = update.cache
            continue
        top = order_after.top_level(user)
        if order_after.index[top] < order_after.index[order_after.top_level(scatter)]:
            if user.name not in VIEW_OPS:
                raise _fail(user, "reads the updated cache before the new rows are appended")
            user.move_after(window_op)
        user.operands[number] = window
    scatter.erase()
    if update.copy is not None:
        update.copy.erase()
        owner = update.updated.owner
        if not isinstance(owner, ir.Block) and not list(update.updated.uses):
            owner.operation.erase()


def _position(update: CacheUpdate) -> tuple[ir.Value, tuple[ir.Value, ir.Value]]:
    """positions[0] as an index and the window (0, positions[0] + C), before the first append."""
    index = ir.IndexType.get()
    with ir.InsertionPoint(update.scatter), update.scatter.location:
        zero = arith.ConstantOp(index, 0).result
        first = arith.IndexCastOp(index, memref.LoadOp(update.positions, [zero]).result).result
        count = arith.ConstantOp(index, _shape(update.rows)[1]).result
        return first, (zero, arith.AddIOp(first, count).result)


@register_pass
@dataclass(frozen=True)
class KvCacheBuffer(Pass):
    """Turn the functional KV-cache update into hlsdf.kv_append + hlsdf.kv_window."""

    name = NAME
    summary = "KV-cache copy+scatter -> hlsdf.kv_append in place, attention reads hlsdf.kv_window"

    def run(self, module: ir.Module) -> None:
        with module.context:
            hlsdf.load_hlsdf(module.context)
            func = top_function(module)
            order = BufferOrder(func.regions[0].blocks[0])
            updates = []
            for op in order.ops:
                if op.name == SCATTER:
                    update = _match_update(func, order, op)
                    if update is not None:
                        updates.append(update)
            if not updates:
                return
            for update in updates[1:]:
                if update.positions != updates[0].positions:
                    raise _fail(update.scatter, "K and V are written at different positions")
            _check_causal_mask(func, order, updates)
            position, window_rows = _position(updates[0])
            for update in updates:
                _rewrite(func, order, update, position, window_rows)
            erase_unread_buffers(func.regions[0].blocks[0])
