"""hls-qor-annotate: write the QoR model's figures on the loops, for lit tests and inspection.

Each loop the estimate reaches gets `hlsdf.qor = {latency = N}` (cycles of one entry at
`clock-mhz` on `target`); a pipelined loop also gets `ii` (the II it achieves) and `limit`
(what sets it: target, recurrence, memory:<buffer or bundle>, channel:<bundle>, stream),
and every loop its `bound` (compute, channel or total; see passes/qor/loops.py). The
figures are outputs of `estimate`, recomputed on every run: no pass reads them back. Every
public function with a body is estimated as a top function (with what it calls).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes.analysis.ir_utils import functions, has_body, symbol_name
from llmhls.passes.base import Pass
from llmhls.passes.qor.estimator import analyze, estimate
from llmhls.passes.qor.report_types import LoopReport
from llmhls.passes.registry import register_pass
from llmhls.targets import get_target

QOR = "hlsdf.qor"


@register_pass
@dataclass(frozen=True)
class QorAnnotate(Pass):
    """Set hlsdf.qor = {latency, ii, limit, bound} on every loop the estimate reaches."""

    name = "hls-qor-annotate"
    summary = "write each loop's estimated latency, achieved II and its limit as hlsdf.qor"
    target: str = "u280"
    clock_mhz: float = 300.0

    def run(self, module: ir.Module) -> None:
        if not 10.0 <= self.clock_mhz <= 1000.0:
            raise OptionError(
                f"hls-qor-annotate option clock-mhz {self.clock_mhz:g} is outside 10..1000"
            )
        try:
            target = get_target(self.target)
        except OptionError as error:
            raise OptionError(f"hls-qor-annotate option target: {error}") from None
        with module.context:
            tops = [
                symbol_name(func)
                for func in functions(module)
                if has_body(func) and "sym_visibility" not in func.attributes
            ]
        for top in tops:
            analysis = analyze(module, top)
            report = estimate(module, target, self.clock_mhz, top=top, analysis=analysis)
            ops = analysis.loop_ops()
            with module.context:
                stack = list(report.loops)
                while stack:
                    loop = stack.pop()
                    stack.extend(loop.loops)
                    op = ops.get((loop.function, loop.name))
                    if op is not None:
                        op.attributes[QOR] = _attribute(loop)


def _attribute(loop: LoopReport) -> ir.Attribute:
    i64 = ir.IntegerType.get_signless(64)
    fields = {
        "latency": ir.IntegerAttr.get(i64, loop.latency),
        "bound": ir.StringAttr.get(loop.bound),
    }
    if loop.pipelined and loop.ii_achieved is not None:
        fields["ii"] = ir.IntegerAttr.get(i64, loop.ii_achieved)
        fields["limit"] = ir.StringAttr.get(loop.ii_limit)
    return ir.DictAttr.get(fields)
