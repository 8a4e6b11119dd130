"""hls-buffer-interfaces: copy small off-chip interfaces into on-chip buffers.

An `m_axi` argument serves one access per cycle per bundle and ~64 cycles of
latency per non-burst read; on-chip RAM serves two per bank per cycle in 2
cycles and can be partitioned. Inputs and weights no larger than
`max-kib` are read once into a local buffer by a unit-stride (burst) loop at
the start of the kernel; outputs are computed in a local buffer and written
back by one burst loop at the end. Larger tensors stay off chip, except an
output that a loop reads back: hls-buffer-read-back (legalization) has
already given it a buffer of any size, so it is left alone here.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes.analysis.copy_nest import buffer_argument
from llmhls.passes.analysis.ir_utils import function_arg_attrs, top_function
from llmhls.passes.analysis.memory_uses import written_from_buffer
from llmhls.passes.analysis.storage import buffer_bytes
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class BufferInterfaces(Pass):
    """Give each small m_axi argument of the top function an on-chip copy."""

    name = "hls-buffer-interfaces"
    summary = "copy m_axi arguments up to max-kib into on-chip buffers (burst in/out)"
    max_kib: int = 512

    def run(self, module: ir.Module) -> None:
        if self.max_kib < 0:
            raise OptionError(f"hls-buffer-interfaces max-kib must be >= 0, got {self.max_kib}")
        with module.context, ir.Location.unknown():
            func = top_function(module)
            attrs = function_arg_attrs(func)
            block = func.regions[0].blocks[0]
            first = block.operations[0].operation
            terminator = block.operations[len(block.operations) - 1].operation
            for index, arg in enumerate(block.arguments):
                if not isinstance(arg.type, ir.MemRefType) or not arg.type.has_static_shape:
                    continue
                if buffer_bytes(arg.type) > self.max_kib * 1024:
                    continue
                info = attrs[index] if index < len(attrs) else {}
                name = info.get("llmhls.arg", f"arg{index}")
                role = info.get("llmhls.role", "input")
                if role == "output" and written_from_buffer(arg):
                    continue  # computed on chip already (hls-buffer-read-back)
                buffer_argument(arg, name, role, first, terminator)
