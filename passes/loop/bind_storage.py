"""hls-bind-storage: choose the memory each local buffer is built from.

Vitis maps every array to block RAM unless told otherwise, which wastes a
whole 18 Kib BRAM on a 16-element scratch array and runs out of BRAM on
the large activation buffers of an LLM block while URAM sits unused. Per
bank (an array partitioned cyclic/block by f is f memories of size/f):

* at most `lutram-threshold-bits` → LUTRAM (distributed RAM);
* at least `uram-threshold-kib` KiB → URAM (288 Kib blocks);
* otherwise → BRAM.

The type is ram_2p (one read/write port plus one read port) for written
buffers; a buffer that is only read gets ram_1p unless a pipelined loop
would then need more cycles per iteration (see `initiation_interval`).
Completely partitioned arrays are registers and get no binding. Function
arguments (m_axi) and globals (ROMs) are left alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.initiation_interval import buffer_ii
from llmhls.passes.analysis.ir_utils import functions, has_body, walk_ops
from llmhls.passes.analysis.loops import Loop, loop_forest
from llmhls.passes.analysis.storage import element_bits, is_written
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

ALLOC_OPS = ("memref.alloc", "memref.alloca")


@register_pass
@dataclass(frozen=True)
class BindStorage(Pass):
    """Write hlsdf.bind_storage = {impl, type} on every local buffer."""

    name = "hls-bind-storage"
    summary = "bind local buffers to LUTRAM/BRAM/URAM by bank size; ram_1p when only read"
    uram_threshold_kib: int = 128
    lutram_threshold_bits: int = 1024

    def run(self, module: ir.Module) -> None:
        if self.uram_threshold_kib < 1 or self.lutram_threshold_bits < 0:
            raise OptionError(
                "hls-bind-storage options need uram-threshold-kib >= 1 and "
                f"lutram-threshold-bits >= 0, got {self.uram_threshold_kib} and "
                f"{self.lutram_threshold_bits}"
            )
        with module.context:
            bodies = [func for func in functions(module) if has_body(func)]
            # Dataflow tasks access their caller's buffers: look at loops in every function.
            pipelined = [
                loop
                for func in bodies
                for top in loop_forest(func)
                for loop in top.walk()
                if directives.get_pipeline(loop.op) is not None
            ]
            for func in bodies:
                for op in walk_ops(func):
                    if op.name in ALLOC_OPS:
                        binding = self.choose(op, pipelined)
                        if binding is not None:
                            directives.set_bind_storage(op, binding)

    def choose(self, alloc: ir.Operation, pipelined: list[Loop]) -> directives.BindStorage | None:
        """The binding of one buffer (None: completely partitioned, i.e. registers)."""
        partition = directives.get_partition(alloc)
        if partition is not None and partition.kind == "complete":
            return None
        mem = ir.MemRefType(alloc.results[0].type)
        size = math.prod(mem.shape) if mem.rank else 1
        banks = max(1, partition.factor) if partition is not None else 1
        bank_bits = math.ceil(size / banks) * element_bits(mem.element_type)
        if bank_bits <= self.lutram_threshold_bits:
            impl = "lutram"
        elif bank_bits >= self.uram_threshold_kib * 8 * 1024:
            impl = "uram"
        else:
            impl = "bram"
        buffer = alloc.results[0]
        one_port = not is_written(buffer) and all(
            buffer_ii(loop, buffer, "ram_1p") <= buffer_ii(loop, buffer, "ram_2p")
            for loop in pipelined
        )
        return directives.BindStorage(impl, "ram_1p" if one_port else "ram_2p")
