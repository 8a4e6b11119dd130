"""Where a pipeline sits around fully unrolled loops (hls-loop-pipeline's rule, shared).

A fully unrolled loop is part of its parent's body: Vitis pipelines the loop around
it, never the unrolled loop itself. hls-loop-pipeline marks loops by that rule;
hls-dse and hls-loop-unroll, which unroll loops after it, restore it.
"""

from __future__ import annotations

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis.loops import Loop, loop_forest


def fully_unrolled(loop: Loop) -> bool:
    return directives.get_unroll(loop.op) == 0


def hoist_unrolled_pipelines(func: ir.Operation) -> None:
    """Move each pipeline off a loop that was fully unrolled after it was pipelined.

    A fully unrolled loop is part of its parent's body, and Vitis has no loop left to
    pipeline there (hls-dse and hls-loop-unroll unroll loops this pass marked). A loop
    flattened with k >= 1 enclosing loops hands its pipeline to its parent, flattened
    with the k - 1 above it: the same schedule, one pipeline over the band with the
    copies in each iteration. Without a flattened band the loop keeps its unroll alone:
    its copies run as straight-line code in each iteration of the loop around it.
    """
    for top in loop_forest(func):
        for loop in top.walk():
            pipeline = directives.get_pipeline(loop.op)
            if pipeline is None or not fully_unrolled(loop):
                continue
            levels = directives.get_flatten(loop.op) or 0
            del loop.op.attributes[directives.PIPELINE]
            if directives.FLATTEN in loop.op.attributes:
                del loop.op.attributes[directives.FLATTEN]
            if levels and loop.parent is not None:
                directives.set_pipeline(loop.parent.op, pipeline)
                if levels > 1:
                    directives.set_flatten(loop.parent.op, levels - 1)
