"""Where a buffer's elements live, across views and dataflow task calls.

A load may go through a reshape of a buffer, or through an argument of a
private function (a dataflow task) whose caller passed a local buffer. The
memory it uses, and the directives that shape that memory, belong to the
buffer at the end of that chain: a `memref.alloc` (on-chip RAM), a
`memref.get_global` (ROM) or an argument of the top function (m_axi).
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from llmhls.passes.analysis.ir_utils import symbol_name
from llmhls.passes.analysis.loops import LOAD_OPS, STORE_OPS, VIEW_OPS, root_buffer

_MAX_CALL_DEPTH = 16


def storage(value: ir.Value) -> ir.Value:
    """The alloc, get_global or top-function argument holding `value`'s elements.

    Arguments of private functions are followed to the operand of their first
    call found at the top level of a function body (where hls-dataflow-tasks
    puts its calls); an argument without such a call is its own storage.
    """
    value = root_buffer(value)
    for _ in range(_MAX_CALL_DEPTH):
        if not isinstance(value.owner, ir.Block):
            return value
        operand = _caller_operand(value)
        if operand is None:
            return value
        value = root_buffer(operand)
    return value


def is_top_argument(value: ir.Value) -> bool:
    """Whether a storage value is an argument of a function (an m_axi port)."""
    return isinstance(value.owner, ir.Block)


def _caller_operand(argument: ir.Value) -> ir.Value | None:
    func = argument.owner.owner.operation
    if func.name != "func.func" or "sym_visibility" not in func.attributes:
        return None
    if ir.StringAttr(func.attributes["sym_visibility"]).value != "private":
        return None
    module = func.parent
    if module is None or module.name != "builtin.module":
        return None
    callee = symbol_name(func)
    index = ir.BlockArgument(argument).arg_number
    for top in module.regions[0].blocks[0].operations:
        top = top.operation
        if top.name != "func.func" or not len(top.regions[0].blocks):
            continue
        for op in top.regions[0].blocks[0].operations:
            op = op.operation
            if (
                op.name == "func.call"
                and ir.FlatSymbolRefAttr(op.attributes["callee"]).value == callee
            ):
                return op.operands[index]
    return None


def element_bits(element: ir.Type) -> int:
    """Storage bits of one element (index is stored as 64 bits, i1 as 1)."""
    element = element.maybe_downcast() if hasattr(element, "maybe_downcast") else element
    if isinstance(element, ir.IntegerType):
        return element.width
    if isinstance(element, ir.FloatType):
        return element.width
    return 64  # index


def is_written(buffer: ir.Value) -> bool:
    """Whether any use of `buffer` (or of a view of it) may write it."""
    for use in buffer.uses:
        user = use.owner.operation
        if user.name in VIEW_OPS and use.operand_number == 0:
            if any(is_written(result) for result in user.results):
                return True
        elif user.name in STORE_OPS:
            if use.operand_number == 1:
                return True
        elif user.name not in LOAD_OPS and user.name != "memref.dealloc":
            return True  # calls, copies, anything unknown
    return False


def buffer_bytes(mem: ir.MemRefType) -> int:
    """Bytes of a statically shaped memref (i1 counts as one byte, as C++ bool)."""
    return int(np.prod(mem.shape, dtype=np.int64)) * max(1, element_bits(mem.element_type) // 8)
