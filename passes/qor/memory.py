"""Where buffers live and what their ports allow: storages, bank/bundle cycles, on-chip resources.

Memory ports (one pipelined iteration, or one unrolled group of a sequential loop): the
  distinct addresses of each access over the copies are binned into banks (cyclic a mod P,
  block a div ceil(E/P)); cycles per bank by bind type (t2p/unbound ceil((r+w)/2), 1p r+w,
  2p max(ceil((r+w)/2), w), s2p max(r, w), rom_2p ceil(r/2)); accesses whose
  non-unrolled part differs are assumed to meet in one bank; registers have no limit.
  m_axi bundle (the argument's llmhls.bundle, else gmem_in/gmem_w/gmem_out by role): per
  cycle 1 read + 1 write element, and in a pipelined loop ceil(non-burst reads *
  MAXI_READ_LATENCY / MAXI_MAX_OUTSTANDING). In a pipelined loop a read or write is a burst
  when one iteration's addresses are contiguous and the next iteration continues them;
  ports are widened to MAXI_WIDEN_BITS = 512 (max_widen_bitwidth), so a burst of E elements
  of w bits takes ceil(E*w/512) cycles of its bundle instead of E (a pipelined loop unrolled
  U times over a unit-stride f32 weight: ceil(32U/512) = ceil(U/16)). Reads invariant in
  the loop (no store to that argument in it) are hoisted.
  P_X = the busiest memory's cycles.
  On-chip buffers (alloc/alloca, memref.global): E elements of w bits in B banks (partition
  factor; complete = registers, E*w FF); impl = bind_storage, else LUTRAM when a bank holds
  <= 1 Kb, else BRAM. Per bank of depth ceil(E/B): BRAM18K = min over the 18 Kb shapes
  (16384x1 .. 512x36) of ceil(depth/d)*ceil(w/wd); URAM = ceil(depth/4096)*ceil(w/72);
  LUTRAM LUT = ceil(depth*w/64). A buffer shared by dataflow processes is ping-pong (x2).
  m_axi: MAXI_ADAPTER + MAXI_ADAPTER_BRAM18K per bundle; s_axilite AXILITE_CONTROL + per arg.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis import costs
from llmhls.passes.analysis.ir_utils import (
    maxi_bundle,
)
from llmhls.passes.analysis.loops import (
    Access,
)
from llmhls.passes.loop.bind_storage import element_bits
from llmhls.passes.qor.report_types import MemoryReport
from llmhls.passes.qor.structure import _Block, _FuncInfo, _LoopInfo

if TYPE_CHECKING:
    from llmhls.passes.qor.state import _Frame

MAX_ENUMERATED = 4096  # addresses enumerated per access for banking; above: worst case


@dataclass(eq=False)
class _Storage:
    """Where a root buffer lives, as the directives say."""

    name: str
    function: str
    kind: str  # "maxi", "ram", "reg", "stream"
    elements: int
    width: int
    partition: str = "none"
    banks: int = 1
    impl: str = "bram"
    port_type: str = "ram_t2p"
    bundle: str = ""
    read_latency: int = costs.BRAM_READ_LATENCY
    op: ir.Operation | None = None

    def bank(self, offset: int) -> int:
        if self.partition == "cyclic":
            return offset % self.banks
        if self.partition == "block":
            return min(self.banks - 1, max(0, offset // -(-self.elements // self.banks)))
        return 0


def _port_cycles(reads: int, writes: int, port_type: str) -> int:
    """Cycles one RAM bank needs for `reads` + `writes` accesses (Vitis bind_storage types)."""
    if not reads and not writes:
        return 0
    if port_type == "ram_1p":
        cycles = reads + writes
    elif port_type == "ram_2p":  # one read/write port + one read port
        cycles = max(-(-(reads + writes) // 2), writes)
    elif port_type == "ram_s2p":  # one read port + one write port
        cycles = max(reads, writes)
    elif port_type == "rom_1p":
        cycles = reads + writes
    elif port_type.startswith("rom"):
        cycles = -(-reads // 2) + writes
    else:  # true dual port: ram_t2p and unbound buffers
        cycles = -(-(reads + writes) // costs.RAM_PORTS)
    return max(1, cycles)


def _bram18k(depth: int, width: int) -> int:
    return min(-(-depth // d) * -(-width // w) for d, w in costs.BRAM18K_SHAPES)


class _MemoryModel:
    """Storages of roots, streams and m_axi arguments; port cycles per iteration."""

    # storage ----------------------------------------------------------------------
    def storage(self, frame: _Frame, root: ir.Value) -> _Storage:
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

    def _maxi(self, info: _FuncInfo, arg: ir.Value) -> _Storage:
        found = self._storage.get(arg)
        if found is not None:
            return found
        index = info.args.index(arg)
        attrs = info.arg_attrs[index] if index < len(info.arg_attrs) else {}
        mem = ir.MemRefType(arg.type)
        found = _Storage(
            name=info.names.get(arg, f"arg{index}"),
            function=info.name,
            kind="maxi",
            elements=math.prod(mem.shape) if mem.rank else 1,
            width=element_bits(mem.element_type),
            impl="maxi",
            bundle=maxi_bundle(attrs),
            read_latency=self.maxi_latency,
        )
        self._storage[arg] = found
        return found

    def _on_chip(self, info: _FuncInfo, op: ir.Operation, root: ir.Value) -> _Storage:
        holder = op
        port_default = "ram_t2p"
        if op.name == "memref.get_global":
            holder = self.analysis.globals.get(
                ir.FlatSymbolRefAttr(op.attributes["name"]).value, op
            )
            if "constant" in holder.attributes:
                port_default = "rom_2p"
        partition = directives.get_partition(op) or directives.get_partition(holder)
        bind = directives.get_bind_storage(op) or directives.get_bind_storage(holder)
        mem = ir.MemRefType(root.type)
        elements = math.prod(mem.shape) if mem.rank else 1
        width = element_bits(mem.element_type)
        kind, banks, scheme = "ram", 1, "none"
        if partition is not None:
            scheme = partition.kind
            banks = elements if scheme == "complete" else max(1, min(partition.factor, elements))
        if scheme == "complete":
            kind, impl, latency = "reg", "registers", costs.REGISTER_READ_LATENCY
        else:
            bank_bits = -(-elements // banks) * width
            impl = (
                bind.impl
                if bind is not None
                else ("lutram" if bank_bits <= costs.LUTRAM_MAX_BITS else "bram")
            )
            latency = costs.BRAM_READ_LATENCY
        return _Storage(
            name=info.names.get(root, "buf"),
            function=info.name,
            kind=kind,
            elements=elements,
            width=width,
            partition=scheme,
            banks=banks,
            impl=impl,
            port_type=bind.type if bind is not None else port_default,
            read_latency=latency,
            op=holder,
        )

    def stream(self, frame: _Frame, value: ir.Value) -> _Storage:
        found = self._storage.get(value)
        if found is None:
            match = re.search(r"<(.+),\s*(\d+)", str(value.type))
            element = match.group(1) if match else "f32"
            width_match = re.search(r"(\d+)", element)
            found = _Storage(
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
        items: list[tuple[Access, list[tuple[ir.Value, int, int]]]],
        pipelined: _LoopInfo | None,
        unroll: int,
    ) -> tuple[int, str]:
        """Cycles the busiest memory needs per iteration (group) and its name."""
        # storage → fixed part → [read offsets/count, write offsets/count]
        groups: dict[_Storage, dict[Any, list[Any]]] = {}
        maxi: dict[str, list[int]] = {}  # bundle → [reads, writes, non-burst reads]
        written: set[_Storage] = set()
        resolved = []
        for access, expansion in items:
            storage = self.storage(frame, access.root)
            resolved.append((access, expansion, storage))
            if access.is_store:
                written.add(storage)
        for access, expansion, storage in resolved:
            if storage.kind == "reg":
                continue
            expanded = {iv for iv, _, _ in expansion}
            offsets = _offsets(access, expansion)
            if access.coefficients is None:
                fixed: Any = ("opaque", id(access))
            else:
                fixed = frozenset(
                    (iv, c) for iv, c in access.coefficients.items() if iv not in expanded
                )
            if storage.kind == "maxi" and pipelined is not None:
                advance = (
                    access.coefficients.get(pipelined.loop.iv, 0) * pipelined.loop.step * unroll
                    if access.coefficients is not None
                    else None
                )
                if advance == 0 and not access.is_store and storage not in written:
                    continue  # loop-invariant: hoisted out of the pipeline
                burst = (
                    offsets is not None
                    and advance == len(offsets)
                    and max(offsets) - min(offsets) + 1 == len(offsets)
                )
                fixed = (fixed, "burst" if burst else "single")
            slot = groups.setdefault(storage, {}).setdefault(fixed, [set(), set(), 0, 0])
            which = 1 if access.is_store else 0
            if offsets is None:
                slot[2 + which] += _copy_count(access, expansion)
            else:
                slot[which].update(offsets)
        worst, worst_name = 0, ""
        for storage, by_fixed in groups.items():
            if storage.kind == "maxi":
                totals = maxi.setdefault(storage.bundle, [0, 0, 0])
                for fixed, (reads, writes, opaque_r, opaque_w) in by_fixed.items():
                    read_count, write_count = len(reads) + opaque_r, len(writes) + opaque_w
                    if isinstance(fixed, tuple) and fixed[-1] == "burst":
                        # Widened port: a burst moves MAXI_WIDEN_BITS per beat.
                        totals[0] += costs.burst_beats(read_count, storage.width)
                        totals[1] += costs.burst_beats(write_count, storage.width)
                        continue
                    totals[0] += read_count
                    totals[1] += write_count
                    if pipelined is not None:
                        totals[2] += read_count
                continue
            cycles = self._bank_cycles(storage, by_fixed)
            if cycles > worst:
                worst, worst_name = cycles, f"memory:{storage.name}"
        for bundle, (reads, writes, single) in sorted(maxi.items()):
            cycles = max(reads, writes)
            if single:
                cycles = max(cycles, -(-single * self.maxi_latency // costs.MAXI_MAX_OUTSTANDING))
            if cycles > worst:
                worst, worst_name = cycles, f"memory:{bundle}"
        return worst, worst_name

    @staticmethod
    def _bank_cycles(storage: _Storage, by_fixed: dict[Any, list[Any]]) -> int:
        per_key = []
        for reads, writes, opaque_r, opaque_w in by_fixed.values():
            banks: dict[int, list[int]] = {}
            for offset in reads:
                banks.setdefault(storage.bank(offset), [0, 0])[0] += 1
            for offset in writes:
                banks.setdefault(storage.bank(offset), [0, 0])[1] += 1
            if opaque_r or opaque_w:  # unknown addresses: all in one bank
                slot = banks.setdefault(0, [0, 0])
                slot[0] += opaque_r
                slot[1] += opaque_w
            per_key.append(banks)
        if len(per_key) == 1:
            return max(
                (_port_cycles(r, w, storage.port_type) for r, w in per_key[0].values()), default=0
            )
        # Different non-unrolled parts may meet in any bank: assume the busiest ones do.
        reads = sum(max((r for r, _ in banks.values()), default=0) for banks in per_key)
        writes = sum(max((w for _, w in banks.values()), default=0) for banks in per_key)
        return _port_cycles(reads, writes, storage.port_type)

    # loops ------------------------------------------------------------------------------
    def offchip(self, frame: _Frame, block: _Block) -> int:
        total = 0
        for node in block.nodes:
            if node.access is not None:
                storage = self.storage(frame, node.access.root)
                if storage.kind == "maxi":
                    total += -(-storage.width // 8)
        return total


def _offsets(access: Access, expansion: list[tuple[ir.Value, int, int]]) -> set[int] | None:
    """Distinct flat offsets the copies of `access` touch (None: unknown or too many)."""
    coefficients = access.coefficients
    if coefficients is None:
        return None
    offsets = [access.constant]
    for iv, copies, step in expansion:
        coeff = coefficients.get(iv, 0) * step
        if coeff == 0 or copies <= 1:
            continue
        if len(offsets) * copies > MAX_ENUMERATED:
            return None
        offsets = [base + coeff * k for base in offsets for k in range(copies)]
    return set(offsets)


def _copy_count(access: Access, expansion: list[tuple[ir.Value, int, int]]) -> int:
    total = 1
    for iv, copies, _ in expansion:
        if access.coefficients is None or access.coefficients.get(iv, 0):
            total *= copies
    return total


# -- resources of memories and interfaces ------------------------------------------------
def _memory_report(storage: _Storage, copies: int) -> MemoryReport:
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
