"""Who writes a buffer, and what its contents come from, on bufferized linalg IR.

After one-shot bufferization a buffer is reused: the normed hidden state the
q/k/v projections read and the one gate/up read later can be the same
`memref.alloc`, rewritten in between. Passes that match on values at this
level (hls-kv-cache-buffer, hls-weight-streaming) therefore ask which op last
wrote a buffer before a given op, and which function arguments its contents
derive from; both are answered here, through views (`root_buffer`).

An op writes the outs operands of a destination-style op (linalg, tm_tensor),
the target of `memref.copy`, the buffer of a store and the cache of
`hlsdf.kv_append`. An op this module does not know that takes a memref is
assumed to write it: a wrong "written" only makes a match fail, never succeed.
"""

from __future__ import annotations

from torch_mlir import ir

from llmhls.passes.analysis.ir_utils import walk_ops
from llmhls.passes.analysis.loops import LOAD_OPS, STORE_OPS, VIEW_OPS, root_buffer

# Ops that only read their memref operands (views alias, they do not write).
READ_ONLY_OPS = frozenset(
    {*LOAD_OPS, *VIEW_OPS, "func.return", "memref.dealloc", "memref.dim", "hlsdf.kv_window"}
)


def _is_memref(value: ir.Value) -> bool:
    return value.type.typeid == ir.MemRefType.static_typeid


def destination_operands(op: ir.Operation) -> tuple[list[ir.Value], list[ir.Value]]:
    """(ins, outs) of a destination-style op, from its operand segment sizes.

    linalg ops with one input and one init (linalg.transpose, linalg.broadcast)
    carry no segment sizes: their last operand is the output.
    """
    operands = list(op.operands)
    if "operandSegmentSizes" not in op.attributes:
        if op.name.startswith("linalg.") and len(operands) >= 2:
            return operands[:-1], operands[-1:]
        return operands, []
    sizes = list(ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"]))
    if len(sizes) < 2:
        return operands, []
    n_ins = sizes[0]
    return operands[:n_ins], operands[n_ins : n_ins + sizes[1]]


def written_buffers(op: ir.Operation) -> list[ir.Value]:
    """The memref operands `op` writes (views included, not yet reduced to roots)."""
    name = op.name
    if name in READ_ONLY_OPS:
        return []
    if name == "memref.copy":
        return [op.operands[1]]
    if name in STORE_OPS:
        return [op.operands[1]]
    if name == "hlsdf.kv_append":
        return [op.operands[0]]
    if name.startswith("linalg.") or (
        name.startswith("tm_tensor.") and "operandSegmentSizes" in op.attributes
    ):
        return [v for v in destination_operands(op)[1] if _is_memref(v)]
    return [v for v in op.operands if _is_memref(v)]


def writes(op: ir.Operation, root: ir.Value) -> bool:
    """Whether `op` (or an op nested in it) writes the storage `root`."""
    for inner in [op, *walk_ops(op)]:
        if any(root_buffer(v) == root for v in written_buffers(inner)):
            return True
    return False


class BufferOrder:
    """The top-level ops of one function body in order, to ask who wrote a buffer last."""

    def __init__(self, block: ir.Block) -> None:
        self.ops: list[ir.Operation] = [op.operation for op in block.operations]
        self.index: dict[ir.Operation, int] = {op: i for i, op in enumerate(self.ops)}

    def top_level(self, op: ir.Operation) -> ir.Operation:
        """The op of this body that is `op` or holds it."""
        current = op.operation
        while current not in self.index:
            parent = current.parent
            if parent is None:
                raise ValueError(f"'{op.name}' is not inside this function body")
            current = parent.operation
        return current

    def last_writer(self, value: ir.Value, before: ir.Operation) -> ir.Operation | None:
        """The last op before `before` that writes `value`'s storage (None: nothing does)."""
        root = root_buffer(value)
        for op in reversed(self.ops[: self.index[self.top_level(before)]]):
            if writes(op, root):
                return op
        return None

    def written_between(self, value: ir.Value, first: ir.Operation, last: ir.Operation) -> bool:
        """Whether an op strictly between `first` and `last` writes `value`'s storage."""
        root = root_buffer(value)
        start = self.index[self.top_level(first)]
        end = self.index[self.top_level(last)]
        return any(writes(op, root) for op in self.ops[start + 1 : end])

    def sources(self, value: ir.Value) -> set[ir.Value]:
        """Every storage (function argument or allocation) `value`'s contents derive from.

        Follows the writers of each buffer back through their inputs, so a
        broadcast of the `positions` argument into a temporary names `positions`.
        The storage itself is included.
        """
        found: set[ir.Value] = set()
        pending = [root_buffer(value)]
        while pending:
            root = pending.pop()
            if root in found:
                continue
            found.add(root)
            for op in self.ops:
                if not writes(op, root):
                    continue
                for inner in [op, *walk_ops(op)]:
                    pending.extend(root_buffer(v) for v in _read_buffers(inner))
        return found


def _read_buffers(op: ir.Operation) -> list[ir.Value]:
    """The memref operands `op` reads."""
    name = op.name
    if name == "memref.copy":
        return [op.operands[0]]
    if name in LOAD_OPS:
        return [op.operands[0]]
    if name.startswith("linalg.") or (
        name.startswith("tm_tensor.") and "operandSegmentSizes" in op.attributes
    ):
        return [v for v in destination_operands(op)[0] if _is_memref(v)]
    if name == "hlsdf.kv_append":
        return [op.operands[1]]
    written = written_buffers(op)
    return [v for v in op.operands if _is_memref(v) and v not in written]


def _is_read(root: ir.Value) -> bool:
    """Whether anything reads `root`'s storage (through views), or it leaves the function."""
    pending = [root]
    while pending:
        value = pending.pop()
        for use in value.uses:
            op = use.owner.operation
            if op.name in VIEW_OPS and use.operand_number == 0:
                pending.extend(op.results)
            elif any(v == value for v in _read_buffers(op)) or op.name == "func.return":
                return True
            elif not any(v == value for v in written_buffers(op)):
                return True  # an op this module does not understand: keep the buffer
    return False


def erase_unread_buffers(block: ir.Block) -> None:
    """Erase allocations nothing reads, with the ops that only write them and their views.

    A rewrite that removes a buffer's one reader (the scatter a cache update was)
    leaves the ops that filled it; this removes them, to a fixed point.
    """
    changed = True
    while changed:
        changed = False
        for op in [o.operation for o in block.operations]:
            if op.name != "memref.alloc" or _is_read(op.result):
                continue
            doomed: list[ir.Operation] = []
            pending, views = [op.result], []
            while pending:
                value = pending.pop()
                for use in value.uses:
                    user = use.owner.operation
                    if user.name in VIEW_OPS:
                        views.append(user)
                        pending.extend(user.results)
                    else:
                        doomed.append(user)
            writers_only = all(
                all(root_buffer(v) == op.result for v in written_buffers(user)) and not user.results
                for user in doomed
            )
            if not writers_only:
                continue
            for user in [*doomed, *reversed(views), op]:
                user.erase()
            changed = True
            break
