"""hls-drop-asserts: remove runtime assertions, which HLS cannot synthesize.

torch-mlir guards shapes and index ranges with `cf.assert`; the shapes are
static by the time llmhls sees them, so the checks carry no information.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.passes.analysis.ir_utils import walk_ops
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class DropAsserts(Pass):
    """Erase every cf.assert (run canonicalize after it to drop the dead conditions)."""

    name = "hls-drop-asserts"
    summary = "erase cf.assert runtime checks (not synthesizable)"

    def run(self, module: ir.Module) -> None:
        for op in walk_ops(module.operation):
            if op.name == "cf.assert":
                op.erase()
