"""Where the QoR model's buffers live and what they cost: storages, ports, on-chip resources.

The port and m_axi timing of one iteration is the shared model's
(`passes/analysis/initiation_interval.py`); this module binds roots to storages
and counts what the buffers and interfaces cost.

  On-chip buffers (alloc/alloca, memref.global): E elements of w bits in B banks (partition
  factor; complete = registers, E*w FF); impl = bind_storage, else LUTRAM when a bank holds
  <= 1 Kb, else BRAM. Per bank of depth ceil(E/B): BRAM18K = min over the 18 Kb shapes
  (16384x1 .. 512x36) of ceil(depth/d)*ceil(w/wd); URAM = ceil(depth/4096)*ceil(w/72);
  LUTRAM LUT = ceil(depth*w/64). A buffer shared by dataflow processes is ping-pong (x2).
  m_axi: MAXI_ADAPTER + per bundle MAXI_ADAPTER_BRAM18K_WIDE when it moves widened (> 64-bit)
  bursts, else MAXI_ADAPTER_BRAM18K_NARROW; s_axilite AXILITE_CONTROL + per arg.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from torch_mlir import ir

from llmhls.passes.analysis import costs
from llmhls.passes.analysis.initiation_interval import (
    Expansion,
    PortBound,
    Storage,
    on_chip_storage,
    port_ii,
    traffic_cycles,
)
from llmhls.passes.analysis.ir_utils import maxi_bundle
from llmhls.passes.analysis.loops import Access
from llmhls.passes.analysis.storage import element_bits
from llmhls.passes.qor.report_types import MemoryReport
from llmhls.passes.qor.structure import _Block, _FuncInfo, _LoopInfo

if TYPE_CHECKING:
    from llmhls.passes.qor.state import _Frame


def _bram18k(depth: int, width: int) -> int:
    return min(-(-depth // d) * -(-width // w) for d, w in costs.BRAM18K_SHAPES)


class _MemoryModel:
    """Storages of roots, streams and m_axi arguments; port cycles per iteration."""

    # storage ----------------------------------------------------------------------
    def storage(self, frame: _Frame, root: ir.Value) -> Storage:
        bound = frame.bindings.get(root)
        if bound is not None:
            return bound
        owner = root.owner
        if isinstance(owner, ir.Block):  # an argument nobody bound: treat as off-chip
            return self._maxi(frame.info, root)
        op = owner.operation
        key: Any = op
        if op.name == "memref.get_global":
            key = ("global", ir.FlatSymbolRefAttr(op.attributes["name"]).value)
        found = self._storage.get(key)
        if found is None:
            found = self._on_chip(frame.info, op, root)
            self._storage[key] = found
        return found

    def _maxi(self, info: _FuncInfo, arg: ir.Value) -> Storage:
        found = self._storage.get(arg)
        if found is not None:
            return found
        index = info.args.index(arg)
        attrs = info.arg_attrs[index] if index < len(info.arg_attrs) else {}
        mem = ir.MemRefType(arg.type)
        found = Storage(
            name=info.names.get(arg, f"arg{index}"),
            function=info.name,
            kind="maxi",
            elements=math.prod(mem.shape) if mem.rank else 1,
            width=element_bits(mem.element_type),
            impl="maxi",
            bundle=maxi_bundle(attrs),
            read_latency=self.maxi.read_latency,
        )
        self._storage[arg] = found
        return found

    def _on_chip(self, info: _FuncInfo, op: ir.Operation, root: ir.Value) -> Storage:
        holder = op
        if op.name == "memref.get_global":
            holder = self.analysis.globals.get(
                ir.FlatSymbolRefAttr(op.attributes["name"]).value, op
            )
        return on_chip_storage(op, holder, root, info.names.get(root, "buf"), info.name)

    def stream(self, frame: _Frame, value: ir.Value) -> Storage:
        found = self._storage.get(value)
        if found is None:
            match = re.search(r"<(.+),\s*(\d+)", str(value.type))
            element = match.group(1) if match else "f32"
            width_match = re.search(r"(\d+)", element)
            found = Storage(
                name=frame.info.names.get(value, "stream"),
                function=frame.info.name,
                kind="stream",
                elements=int(match.group(2)) if match else 2,
                width=int(width_match.group(1)) if width_match else 32,
                impl="fifo",
                read_latency=costs.STREAM_LATENCY,
                op=value.owner.operation,
            )
            self._storage[value] = found
        return found

    # memory ports -------------------------------------------------------------------
    def port_ii(
        self,
        frame: _Frame,
        items: list[tuple[Access, Expansion]],
        pipelined: _LoopInfo | None,
        unroll: int,
    ) -> PortBound:
        """The shared model's port bound of one iteration (group), over this frame's storages."""
        resolved = [(a, expansion, self.storage(frame, a.root)) for a, expansion in items]
        bound = port_ii(resolved, pipelined.loop if pipelined else None, unroll, self.maxi)
        self.wide_bundles |= bound.wide
        return bound

    def traffic_bound(self, cycles: int, offchip: int) -> tuple[int, str]:
        """`cycles`, or what all channels need for `offchip` bytes when more ("total")."""
        floor = traffic_cycles(offchip, self.memory, self.clock)
        return (floor, "total") if floor > cycles else (cycles, "compute")

    # loops ------------------------------------------------------------------------------
    def offchip(self, frame: _Frame, block: _Block) -> int:
        total = 0
        for node in block.nodes:
            if node.access is not None:
                storage = self.storage(frame, node.access.root)
                if storage.kind == "maxi":
                    total += -(-storage.width // 8)
        return total


# -- resources of memories and interfaces ------------------------------------------------
def _memory_report(storage: Storage, copies: int) -> MemoryReport:
    bram = uram = lut = ff = 0
    depth = -(-storage.elements // storage.banks)
    if storage.kind == "reg":
        ff = storage.elements * storage.width
    elif storage.kind == "stream":
        lut = -(-storage.elements * storage.width // costs.LUTRAM_BITS_PER_LUT)
    elif storage.impl == "uram":
        uram = storage.banks * (
            -(-depth // costs.URAM_DEPTH) * -(-storage.width // costs.URAM_WIDTH)
        )
    elif storage.impl == "lutram":
        lut = storage.banks * -(-depth * storage.width // costs.LUTRAM_BITS_PER_LUT)
    else:
        bram = storage.banks * _bram18k(depth, storage.width)
    return MemoryReport(
        storage.name,
        storage.function,
        storage.elements,
        storage.width,
        storage.impl,
        storage.partition,
        storage.banks,
        copies,
        bram * copies,
        uram * copies,
        lut * copies,
        ff * copies,
    )
