"""hls-weight-banks: spread the weights over several m_axi bundles.

All weights share one m_axi bundle (`gmem_w`) by default, so every weight
read of a pipelined iteration queues on one AXI read channel. Each bundle is
its own AXI port (and, on HBM parts, can sit on its own memory bank), so
weights that are read together stream in parallel when they are on
different bundles. The pass assigns the top function's weight arguments to
`banks` bundles `gmem_w0..gmem_w{banks-1}`, recorded as the argument
attribute `llmhls.bundle`: the largest weight first, each to the bundle
holding the fewest bytes so far (ties to the lowest index); `banks=0` gives
every weight its own bundle. The emitter, the II model and the QoR estimate
read the attribute (`ir_utils.maxi_bundle`).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes.analysis.ir_utils import BUNDLE_ATTR, function_arg_attrs, top_function
from llmhls.passes.analysis.storage import buffer_bytes
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


def assign_banks(sizes: list[int], banks: int) -> list[int]:
    """Bank of each weight (by bytes): largest first, to the least-filled bank, ties lowest."""
    filled = [0] * banks
    assigned = [0] * len(sizes)
    for index in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        bank = min(range(banks), key=lambda b: (filled[b], b))
        filled[bank] += sizes[index]
        assigned[index] = bank
    return assigned


@register_pass
@dataclass(frozen=True)
class WeightBanks(Pass):
    """Assign the top function's weight arguments to m_axi bundles gmem_w0..gmem_w{N-1}."""

    name = "hls-weight-banks"
    summary = "spread weight arguments over N m_axi bundles gmem_w<k>, largest first (0: one each)"
    banks: int = 0

    def run(self, module: ir.Module) -> None:
        if self.banks < 0:
            raise OptionError(f"hls-weight-banks banks must be >= 0, got {self.banks}")
        with module.context:
            func = top_function(module)
            attrs = function_arg_attrs(func)
            block = func.regions[0].blocks[0]
            weights = [
                (index, buffer_bytes(ir.MemRefType(arg.type)))
                for index, arg in enumerate(block.arguments)
                if index < len(attrs)
                and attrs[index].get("llmhls.role") == "weight"
                and isinstance(arg.type, ir.MemRefType)
                and ir.MemRefType(arg.type).has_static_shape
            ]
            if not weights:
                return
            banks = assign_banks([size for _, size in weights], self.banks or len(weights))
            arg_attrs = list(ir.ArrayAttr(func.attributes["arg_attrs"]))
            for (index, _), bank in zip(weights, banks, strict=True):
                entries = {named.name: named.attr for named in ir.DictAttr(arg_attrs[index])}
                entries[BUNDLE_ATTR] = ir.StringAttr.get(f"gmem_w{bank}")
                arg_attrs[index] = ir.DictAttr.get(entries)
            func.attributes["arg_attrs"] = ir.ArrayAttr.get(arg_attrs)
