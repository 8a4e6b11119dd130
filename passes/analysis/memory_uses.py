"""Every use of a buffer's memory, through views and dataflow task calls.

The questions "does a loop read this output back?" and "is this output
already written from an on-chip buffer?" are asked by hls-buffer-read-back,
hls-buffer-interfaces and hls-verify-dataflow alike; they are answered here.
"""

from __future__ import annotations

from collections.abc import Iterator

from torch_mlir import ir

from llmhls.dialects.hlsdf import STREAM_READ, STREAM_WRITE
from llmhls.passes.analysis.ir_utils import symbol_name
from llmhls.passes.analysis.loops import LOAD_OPS, LOOP_OPS, STORE_OPS, VIEW_OPS, root_op


def memory_uses(value: ir.Value) -> Iterator[tuple[ir.Operation, ir.Value]]:
    """(op, memref operand) for every use of `value`'s memory, through views and task calls.

    A call to a private function with a body continues at the callee's
    parameter (a dataflow task reads the caller's array through it).
    """
    pending = [value]
    seen: set[ir.Value] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for use in current.uses:
            op = use.owner.operation
            if op.name in VIEW_OPS and use.operand_number == 0:
                pending.extend(op.results)
            elif op.name == "func.call":
                callee = _callee_body(op)
                if callee is not None:
                    pending.append(callee.arguments[use.operand_number])
                else:
                    yield op, current
            else:
                yield op, current


def read_back_in_loop(value: ir.Value) -> ir.Operation | None:
    """The first load of `value`'s memory nested in a loop, or None."""
    for op, memref in memory_uses(value):
        if op.name in LOAD_OPS and op.operands[0] == memref and _in_loop(op):
            return op
    return None


def written_from_buffer(value: ir.Value) -> bool:
    """Whether `value` is only written, by one copy from a local buffer (already buffered)."""
    uses = list(memory_uses(value))
    if len(uses) != 1:
        return False
    store, memref = uses[0]
    if store.name not in STORE_OPS or store.operands[1] != memref:
        return False
    source = store.operands[0].owner
    if isinstance(source, ir.Block) or source.operation.name not in LOAD_OPS:
        return False
    owner = root_op(source.operation.operands[0])
    return owner is not None and owner.name == "memref.alloc"


def _in_loop(op: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent.name in LOOP_OPS or parent.name == "affine.parallel":
            return True
        parent = parent.parent
    return False


def _callee_body(call: ir.Operation) -> ir.Block | None:
    """The entry block of a call's callee when the module defines it."""
    callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
    module = call.parent
    while module is not None and module.name != "builtin.module":
        module = module.parent
    if module is None:
        return None
    for op in module.regions[0].blocks[0].operations:
        op = op.operation
        if op.name == "func.func" and symbol_name(op) == callee and len(op.regions[0].blocks):
            return op.regions[0].blocks[0]
    return None


def access_kinds(value: ir.Value) -> set[str]:
    """How `value`'s memory (or stream) is used: {"read", "write"}; unknown uses count as both."""
    kinds: set[str] = set()
    for op, memref in memory_uses(value):
        if op.name in LOAD_OPS or op.name == STREAM_READ:
            kinds.add("read")
        elif (op.name in STORE_OPS and op.operands[1] == memref) or op.name == STREAM_WRITE:
            kinds.add("write")
        else:
            kinds.update(("read", "write"))
    return kinds
