"""hls-loop-pipeline: mark loops for pipelining with a target II.

Pipelining overlaps iterations so a loop of N iterations takes about
N·II + depth cycles instead of N·depth. Vitis pipelines what the pragma
names, fully unrolling every loop inside it, and silently settles for a
larger II when a recurrence or a memory port forbids the target. The
attribute records the target only (`hlsdf.pipeline = {ii = target}`); the
II a loop reaches is the QoR estimator's output (`LoopReport.ii_achieved`,
from the one II model in `analysis/initiation_interval.py`), which
`hls-qor-annotate` writes out for inspection.

level=innermost (default): every loop with no loop inside it that is not
fully unrolled (a fully unrolled loop is part of its parent's body, so its
parent is pipelined instead). level=outer-of-innermost: the parent of those
loops instead, which unrolls them, when the unrolled body stays within
`max-unroll` copies; otherwise the innermost loop is pipelined after all.
A marked loop never encloses another marked loop; marks from an earlier
run are replaced. Run it after hls-loop-unroll (a full unroll moves the
pipeline up a level) and before hls-array-partition / hls-bind-storage,
which need to know what is pipelined.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import functions, has_body
from llmhls.passes.analysis.loops import Loop, loop_forest
from llmhls.passes.analysis.unrolled import fully_unrolled
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

LEVELS = ("innermost", "outer-of-innermost")


@register_pass
@dataclass(frozen=True)
class LoopPipeline(Pass):
    """Set hlsdf.pipeline = {ii} on the innermost (or next outer) loops."""

    name = "hls-loop-pipeline"
    summary = "pipeline innermost loops (or their parents) with a target II"
    target_ii: int = 1
    level: str = "innermost"  # or outer-of-innermost
    max_unroll: int = 256  # outer-of-innermost: most copies the inner loops may unroll into

    def check(self) -> None:
        if self.target_ii < 1:
            raise OptionError(
                f"hls-loop-pipeline option target-ii must be >= 1, got {self.target_ii}"
            )
        if self.level not in LEVELS:
            raise OptionError(
                f"hls-loop-pipeline option level must be one of {', '.join(LEVELS)}, "
                f"got '{self.level}'"
            )

    def run(self, module: ir.Module) -> None:
        self.check()
        with module.context:
            for func in functions(module):
                if not has_body(func):
                    continue
                forest = loop_forest(func)
                for top in forest:  # the pass decides pipelining for the whole function
                    for loop in top.walk():
                        if directives.PIPELINE in loop.op.attributes:
                            del loop.op.attributes[directives.PIPELINE]
                for top in forest:
                    for loop in self._targets(top):
                        directives.set_pipeline(loop.op, directives.Pipeline(self.target_ii))

    def _targets(self, top: Loop) -> list[Loop]:
        innermost = _innermost(top)
        if self.level == "innermost":
            return innermost
        chosen: list[Loop] = []
        for inner in innermost:
            parent = inner.parent
            copies = _body_copies(parent) if parent is not None else None
            fits = copies is not None and copies <= self.max_unroll
            target = parent if fits and not fully_unrolled(parent) else inner
            if target not in chosen:
                chosen.append(target)
        marked = {id(loop) for loop in chosen}
        return [
            loop
            for loop in chosen
            if not any(id(outer) in marked for outer in loop.enclosing()[:-1])
        ]


def _innermost(loop: Loop) -> list[Loop]:
    """Loops under (and including) `loop` that are not fully unrolled but all inside them is."""
    if all(fully_unrolled(inner) for inner in list(loop.walk())[1:]):
        return [] if fully_unrolled(loop) else [loop]
    return [found for child in loop.children for found in _innermost(child)]


def _body_copies(loop: Loop) -> int | None:
    """Innermost-body copies that pipelining `loop` unrolls (None: a trip count is unknown)."""
    if not loop.children:
        return 1
    total = 0
    for child in loop.children:
        inner = _body_copies(child)
        if child.trip_count is None or inner is None:
            return None
        total += child.trip_count * inner
    return total
