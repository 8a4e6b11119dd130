"""hls-copies-to-loops: `memref.copy` becomes an explicit affine loop nest.

Vitis HLS has no memcpy between arbitrary arrays; an element loop is what it
synthesizes well (and later passes can pipeline it like any other loop).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import UnsupportedError
from llmhls.passes.analysis.copy_nest import build_copy_nest
from llmhls.passes.analysis.ir_utils import describe_location, walk_ops
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class CopiesToLoops(Pass):
    """Replace each statically shaped memref.copy with an element-wise affine.for nest."""

    name = "hls-copies-to-loops"
    summary = "lower memref.copy to an element-wise affine loop nest"

    def run(self, module: ir.Module) -> None:
        with module.context:
            for op in walk_ops(module.operation):
                if op.name == "memref.copy":
                    _lower_copy(op)


def _lower_copy(op: ir.Operation) -> None:
    source, target = op.operands
    mem = ir.MemRefType(source.type)
    if not mem.has_static_shape:
        raise UnsupportedError(f"memref.copy of dynamic shape {mem} from {describe_location(op)}")
    build_copy_nest(source, target, ir.InsertionPoint(op), op.location)
    op.erase()
