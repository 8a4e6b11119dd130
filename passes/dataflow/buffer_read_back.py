"""hls-buffer-read-back: outputs that a loop reads back are computed on chip.

A kernel that accumulates into an m_axi output (`y[i] += w[i][k] * x[k]`
lowered straight onto the output port) does a read-modify-write of off-chip
memory in every iteration: no burst, one round trip of the m_axi read
latency per access, II >= 64 in Vitis (UG1448). Every top-level output that
some load inside a loop reads is therefore replaced by a local buffer of
its shape, and one unit-stride copy nest at the end of the kernel writes the
buffer to the port in a burst. Size is no reason to skip: the buffer is what
the hardware must hold anyway (SmolLM2's 49152 logits are 192 KiB of
BRAM/URAM), while the off-chip form is ~16x slower.

Why this pass is part of legalization (it runs at -O0 too): "-O0 = the
kernel as lowered" promises no optimizing decisions (no directives, no
interface buffering of inputs), not a kernel that Vitis must run with an
m_axi round trip per multiply-add. A read-back output is a correctness-of-
form issue like an f64 or a memref.copy, so every level gets the same
rule: no kernel reads back an m_axi output inside a loop
(`hls-verify-dataflow` checks it). hls-buffer-interfaces later leaves such
an output alone: it already has its on-chip buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.passes.analysis.copy_nest import buffer_argument
from llmhls.passes.analysis.ir_utils import function_arg_attrs, top_function
from llmhls.passes.analysis.memory_uses import read_back_in_loop
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

ROLE_OUTPUT = "output"


@register_pass
@dataclass(frozen=True)
class BufferReadBack(Pass):
    """Give each top-level output that a loop reads back an on-chip buffer, written out once."""

    name = "hls-buffer-read-back"
    summary = "compute outputs read back inside a loop in an on-chip buffer (one burst write)"

    def run(self, module: ir.Module) -> None:
        with module.context, ir.Location.unknown():
            func = top_function(module)
            attrs = function_arg_attrs(func)
            block = func.regions[0].blocks[0]
            first = block.operations[0].operation
            terminator = block.operations[len(block.operations) - 1].operation
            for index, arg in enumerate(block.arguments):
                info = attrs[index] if index < len(attrs) else {}
                if info.get("llmhls.role") != ROLE_OUTPUT:
                    continue
                if not isinstance(arg.type, ir.MemRefType) or not arg.type.has_static_shape:
                    continue
                if read_back_in_loop(arg) is None:
                    continue
                name = info.get("llmhls.arg", f"arg{index}")
                buffer_argument(arg, name, ROLE_OUTPUT, first, terminator)
