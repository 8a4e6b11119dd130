"""hls-loop-unroll: mark loops for unrolling with `hlsdf.unroll = {factor}`.

Unrolling copies a loop body so its copies run in the same cycle; with
enough memory banks (hls-array-partition) it multiplies throughput. The
IR is not duplicated: Vitis unrolls from the pragma, so the kernel stays
readable and the loop analysis sees the original loops.

The factor is clamped to the largest divisor of the trip count not above
the requested one, so no remainder iterations (and no exit test inside the
unrolled body) are needed; a factor that reaches the trip count, or
factor=0, unrolls fully (`factor = 0`). A loop whose clamped factor is 1,
whose trip count is unknown, or that sits inside a pipelined loop (Vitis
unrolls those fully anyway) is left unmarked.

depth=-1 (default) marks the innermost loops; depth=d marks the loops at
nesting depth d (0 = outermost).

A pipelined loop this pass unrolls fully hands its pipeline to its parent
(`analysis/unrolled.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import functions, has_body
from llmhls.passes.analysis.loops import Loop, loop_forest
from llmhls.passes.analysis.unrolled import hoist_unrolled_pipelines
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class LoopUnroll(Pass):
    """Set hlsdf.unroll on innermost loops (or loops at `depth`) with a divisor factor."""

    name = "hls-loop-unroll"
    summary = "unroll innermost loops by pragma; factor clamped to a trip-count divisor (0 = full)"
    factor: int = 4
    depth: int = -1  # -1: innermost loops; d >= 0: loops at nesting depth d

    def run(self, module: ir.Module) -> None:
        if self.factor < 0:
            raise OptionError(f"hls-loop-unroll option factor must be >= 0, got {self.factor}")
        if self.depth < -1:
            raise OptionError(f"hls-loop-unroll option depth must be >= -1, got {self.depth}")
        with module.context:
            for func in functions(module):
                if not has_body(func):
                    continue
                for top in loop_forest(func):
                    for loop in top.walk():
                        if self._selects(loop):
                            factor = unroll_factor(loop.trip_count, self.factor)
                            if factor is not None:
                                directives.set_unroll(loop.op, factor)
                hoist_unrolled_pipelines(func)

    def _selects(self, loop: Loop) -> bool:
        if any(directives.get_pipeline(outer.op) for outer in loop.enclosing()[:-1]):
            return False
        return loop.is_innermost if self.depth == -1 else loop.depth == self.depth


def unroll_factor(trip_count: int | None, requested: int) -> int | None:
    """The factor to write: 0 for a full unroll, None when unrolling does nothing."""
    if trip_count is None or trip_count <= 1:
        return None
    if requested == 0 or requested >= trip_count:
        return 0
    factor = max(d for d in range(1, requested + 1) if trip_count % d == 0)
    return factor if factor > 1 else None
