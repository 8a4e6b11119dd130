"""An element-wise copy as an affine loop nest, built where hls-copies-to-loops lowers a
`memref.copy`, and the on-chip buffer of an interface that hls-buffer-interfaces and
hls-buffer-read-back put in place of an m_axi argument."""

from __future__ import annotations

from torch_mlir import ir
from torch_mlir.dialects import affine, memref


def build_copy_nest(
    source: ir.Value, target: ir.Value, ip: ir.InsertionPoint, loc: ir.Location
) -> tuple[ir.Operation, ir.Operation, ir.Operation]:
    """Insert `for ... target[idx] = source[idx]` at `ip`; returns (outer loop, load, store).

    The innermost loop walks the last dimension, so copies of row-major
    buffers are unit-stride (burst-friendly on m_axi).
    """
    mem = ir.MemRefType(source.type)
    with loc:
        indices: list[ir.Value] = []
        outer = None
        for extent in mem.shape:
            loop = affine.AffineForOp(0, extent, 1, ip=ip)
            outer = outer or loop.operation
            indices.append(loop.induction_variable)
            ip = ir.InsertionPoint(loop.body)
            affine.AffineYieldOp([], ip=ip)
            ip = ir.InsertionPoint.at_block_begin(loop.body)
        identity = ir.AffineMap.get_identity(mem.rank)
        if mem.rank == 0:
            identity = ir.AffineMap.get(0, 0, [])
        load = affine.AffineLoadOp(mem.element_type, source, indices, identity, ip=ip)
        store = affine.AffineStoreOp(load.result, target, indices, identity, ip=ip)
    return outer or load.operation, load.operation, store.operation


def buffer_argument(
    arg: ir.Value, name: str, role: str, first: ir.Operation, terminator: ir.Operation
) -> None:
    """Replace `arg` by a local buffer: burst-read at the start, or burst-written at the end."""
    mem = ir.MemRefType(arg.type)
    local_type = ir.MemRefType.get(mem.shape, mem.element_type)
    alloc = memref.AllocOp(
        local_type, [], [], ip=ir.InsertionPoint(first), loc=ir.Location.name(f"{name}:buffer")
    )
    local = alloc.result
    if role == "output":
        _, load, store = build_copy_nest(
            local, arg, ir.InsertionPoint(terminator), ir.Location.name(f"{name}:store")
        )
    else:
        _, load, store = build_copy_nest(
            arg, local, ir.InsertionPoint(first), ir.Location.name(f"{name}:load")
        )
    copy_ops = [load, store]
    arg.replace_all_uses_except(local, copy_ops)
