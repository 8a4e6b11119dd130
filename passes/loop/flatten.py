"""hls-loop-flatten: run a pipelined loop and the perfect nest above it as one pipeline.

A sequential loop around a pipelined one pays the inner pipeline's fill and
drain (its depth, 70 cycles and more when it reads m_axi) on every outer
iteration. A GEMV written `y[j] += x[k] * W[k][j]` with the reduction `k`
outside `j` (what hls-loop-permute makes of it) pays that once per input
element: 576 fills on a 576-wide layer, three times the cycles of the
multiply-adds themselves. Vitis HLS flattens a perfect nest (each outer loop
holds only the next one) into a single loop when `#pragma HLS loop_flatten`
sits in its innermost loop, and the pipeline then fills once.

The pass marks a pipelined loop with `hlsdf.flatten = {levels = k}`, the k
enclosing loops of its band joining it, when the band may run as one loop
without waiting on itself more than the estimate says (`nest.reorder_info`):
constant bounds, no calls or other side effects, no loop-carried values in
the band, and every stored buffer accessed at one injective offset, every
other buffer only read. Then a value carried across an outer iteration is
read again only after a whole sweep of the pipelined loop, and the QoR model
charges II >= (load + path + store) / sweep for it. Outer loops that carry
their own directives (unroll, pipeline) end the band.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import functions, has_body
from llmhls.passes.analysis.loops import Loop, loop_forest
from llmhls.passes.analysis.nest import Band, constant_bounds, only_child, reorder_info
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class LoopFlatten(Pass):
    """Set hlsdf.flatten = {levels} on pipelined loops whose enclosing perfect nest may join."""

    name = "hls-loop-flatten"
    summary = "flatten perfect nests above pipelined loops into one pipeline (loop_flatten)"

    def run(self, module: ir.Module) -> None:
        with module.context:
            for func in functions(module):
                if not has_body(func):
                    continue
                for top in loop_forest(func):
                    for loop in top.walk():
                        if directives.get_pipeline(loop.op) is not None:
                            _mark(loop)


def _mark(pipelined: Loop) -> None:
    """Flatten the longest legal band ending at `pipelined` into it (or clear an old mark)."""
    chain = [pipelined]
    while (
        (parent := chain[0].parent) is not None
        and only_child(parent) is chain[0]
        and _plain(parent)
    ):
        chain.insert(0, parent)
    # Drop outer loops until the band is legal; a band of the pipelined loop alone is nothing.
    while len(chain) > 1 and reorder_info(Band(chain)) is None:
        chain.pop(0)
    if directives.FLATTEN in pipelined.op.attributes:
        del pipelined.op.attributes[directives.FLATTEN]
    if len(chain) > 1:
        directives.set_flatten(pipelined.op, len(chain) - 1)


def _plain(loop: Loop) -> bool:
    """A loop with constant bounds and no directive of its own: free to join a flattened nest."""
    op = loop.op
    return (
        op.name == "affine.for"
        and constant_bounds(op) is not None
        and directives.get_pipeline(op) is None
        and directives.get_unroll(op) is None
    )
