"""The one II and memory-port model: what a pipelined iteration costs each memory and recurrence.

The QoR estimator (passes/qor) asks it for every loop; hls-bind-storage asks
`buffer_ii` what a port type would cost. The II a loop achieves is an output
of the estimator (`LoopReport.ii_achieved`), never state kept in the IR.

Memory ports (one pipelined iteration, or one unrolled group of a sequential loop): the
  distinct addresses of each access over the copies (`Expansion`) are binned into banks
  (cyclic a mod P, block a div ceil(E/P)); cycles per bank by bind type (`port_cycles`:
  t2p/unbound ceil((r+w)/2), 1p r+w, 2p max(ceil((r+w)/2), w), s2p max(r, w), rom_2p
  ceil(r/2) + w); accesses whose non-unrolled part differs are assumed to meet in one bank;
  registers have no limit.
m_axi bundle (the argument's llmhls.bundle, else gmem_in/gmem_w/gmem_out by role): per
  cycle 1 read + 1 write element. In a pipelined loop a read or write is a burst when one
  iteration's addresses are contiguous and the next iteration continues them; a burst of E
  elements of w bits takes `burst_beats` = ceil(E*w / MAXI_WIDEN_BITS) beats of the port
  (widened to max_widen_bitwidth = 512). Each bundle has one memory channel, which carries
  its reads and writes together at `channel_bits` = 8 x sustained_gbps_per_channel x 1e3 /
  clock bits per cycle (one HBM2 pseudo channel: 13.3 GB/s = 354.7 bits at 300 MHz):
  `channel_cycles` = ceil(bits moved / channel_bits); for a one-way burst that is
  ceil(E*w / min(512, channel_bits)). Without a target memory (`buffer_ii`) bundles are
  not costed. Non-burst reads are limited to MAXI_MAX_OUTSTANDING in flight:
  `single_cycles` = ceil(reads x MAXI_READ_LATENCY / MAXI_MAX_OUTSTANDING). A loop that reads
  and writes the same m_axi argument (read-modify-write) gets no burst at all, and every
  access, read or write, pays the latency over the outstanding limit (UG1448: II >= 64 in
  practice when the read must wait for the write). Reads invariant in the loop (no store
  to that argument in it) are hoisted.
  All bundles together: a loop or function moving B off-chip bytes takes at least
  `traffic_cycles` = ceil(B / (sustained_total_gbps x 1e3 / clock)) cycles. Each bundle's
  adapter costs `adapter_bram18k` BRAM18K: 512-bit FIFOs when it moves widened bursts.
Recurrences: a load and a later store of one root buffer where the stored value depends
  (SSA) on the loaded one. Carried across a loop X when the address is the same every
  iteration (same linear form, X's counter absent), or when the forms are unknown/different
  (as Vitis assumes), or at distance d = (store const - load const) / stride_X iterations
  (`dependence`; d = 1 when copies of loops unrolled inside X may overlap the addresses).
  `chain_ii` = ceil((load + k x path + store) / d), k = copies that hit the same address
  in one iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis import costs
from llmhls.passes.analysis.loops import Access, Loop, accesses
from llmhls.passes.analysis.storage import element_bits
from llmhls.passes.analysis.storage import storage as storage_root
from llmhls.targets import MemorySpec

MAX_ENUMERATED = 4096  # addresses enumerated per access for banking; above: worst case

# (counter, copies, step) of the loops whose iterations run inside one iteration (group).
Expansion = list[tuple[ir.Value, int, int]]


# -- storages --------------------------------------------------------------------------
@dataclass(eq=False)
class Storage:
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


def on_chip_storage(
    op: ir.Operation, holder: ir.Operation, root: ir.Value, name: str, function: str
) -> Storage:
    """The storage of an alloc or get_global `op` (`holder`: its memref.global, or itself)."""
    port_default = "rom_2p" if "constant" in holder.attributes else "ram_t2p"
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
    return Storage(
        name=name,
        function=function,
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


# -- m_axi -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MaxiTiming:
    """m_axi timing of one memory at one kernel clock."""

    read_latency: int  # cycles to a read's first beat
    channel_bits: float  # bits one memory channel (one bundle's) carries per cycle

    @classmethod
    def of(cls, memory: MemorySpec, clock_mhz: float) -> MaxiTiming:
        latency = costs.scale_cycles(costs.MAXI_READ_LATENCY, clock_mhz)
        return cls(latency, 8 * memory.bytes_per_cycle_per_channel(clock_mhz))

    @property
    def burst_bits(self) -> float:
        """Bits per cycle of a burst in one direction: the widened port or the channel."""
        return min(float(costs.MAXI_WIDEN_BITS), self.channel_bits)


@dataclass
class BundleLoad:
    """What one iteration asks of one m_axi bundle."""

    reads: int = 0  # cycles of its read channel: port beats of bursts, 1 per other element
    writes: int = 0  # cycles of its write channel, alike
    singles: int = 0  # non-burst accesses, limited to MAXI_MAX_OUTSTANDING in flight
    bits: int = 0  # bits it moves through its memory channel, both directions


def burst_beats(elements: int, bits: int) -> int:
    """Port beats of a burst of `elements` x `bits` (ports widened to MAXI_WIDEN_BITS)."""
    return -(-elements * bits // costs.MAXI_WIDEN_BITS)


def channel_cycles(bits: int, maxi: MaxiTiming) -> int:
    """Cycles one memory channel needs to carry `bits`."""
    return math.ceil(bits / maxi.channel_bits - 1e-9) if bits else 0


def single_cycles(count: int, read_latency: int) -> int:
    """Cycles `count` non-burst accesses need with MAXI_MAX_OUTSTANDING of them in flight."""
    return -(-count * read_latency // costs.MAXI_MAX_OUTSTANDING)


def port_side_cycles(load: BundleLoad, maxi: MaxiTiming) -> int:
    """Cycles of a bundle's port: its read and write channels and the in-flight limit."""
    cycles = max(load.reads, load.writes)
    if load.singles:
        cycles = max(cycles, single_cycles(load.singles, maxi.read_latency))
    return cycles


def adapter_bram18k(widened: bool) -> int:
    """BRAM18K of one m_axi adapter: its burst FIFOs, 512 bits wide when bursts are widened."""
    return costs.MAXI_ADAPTER_BRAM18K_WIDE if widened else costs.MAXI_ADAPTER_BRAM18K_NARROW


def traffic_cycles(offchip_bytes: int, memory: MemorySpec, clock_mhz: float) -> int:
    """Fewest cycles `offchip_bytes` take over all channels of `memory` together."""
    per_cycle = memory.sustained_total_gbps * 1e3 / clock_mhz
    return math.ceil(offchip_bytes / per_cycle - 1e-9) if offchip_bytes else 0


# -- on-chip ports ---------------------------------------------------------------------
def port_cycles(reads: int, writes: int, port_type: str) -> int:
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


def bank_cycles(storage: Storage, by_fixed: dict[Any, list[Any]]) -> int:
    """Cycles of the busiest bank; `by_fixed`: per fixed part [reads, writes, opaque r, w]."""
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
            (port_cycles(r, w, storage.port_type) for r, w in per_key[0].values()), default=0
        )
    # Different non-unrolled parts may meet in any bank: assume the busiest ones do.
    reads = sum(max((r for r, _ in banks.values()), default=0) for banks in per_key)
    writes = sum(max((w for _, w in banks.values()), default=0) for banks in per_key)
    return port_cycles(reads, writes, storage.port_type)


# -- copies ----------------------------------------------------------------------------
def offsets(access: Access, expansion: Expansion) -> set[int] | None:
    """Distinct flat offsets the copies of `access` touch (None: unknown or too many)."""
    coefficients = access.coefficients
    if coefficients is None:
        return None
    found = [access.constant]
    for iv, copies, step in expansion:
        coeff = coefficients.get(iv, 0) * step
        if coeff == 0 or copies <= 1:
            continue
        if len(found) * copies > MAX_ENUMERATED:
            return None
        found = [base + coeff * k for base in found for k in range(copies)]
    return set(found)


def copy_count(access: Access, expansion: Expansion) -> int:
    """Copies of `access` whose addresses may differ."""
    total = 1
    for iv, copies, _ in expansion:
        if access.coefficients is None or access.coefficients.get(iv, 0):
            total *= copies
    return total


def pipelined_expansion(
    access: Access, loop: Loop, unroll: int, trips: Callable[[Loop], int]
) -> Expansion:
    """What runs in one iteration of pipelined `loop`: its unroll copies, inner loops in full."""
    expansion = [(loop.iv, unroll, loop.step)] if unroll > 1 else []
    position = access.loops.index(loop) if loop in access.loops else -1
    for inner in access.loops[position + 1 :]:
        inner_trips = trips(inner)
        if inner_trips > 1:
            expansion.append((inner.iv, inner_trips, inner.step))
    return expansion


# -- the port bound --------------------------------------------------------------------
@dataclass(frozen=True)
class PortBound:
    """Cycles the busiest memory needs per iteration (group), and what it is."""

    cycles: int = 0
    limit: str = ""  # memory:<buffer or bundle>, channel:<bundle> when the channel caps it
    wide: frozenset[str] = frozenset()  # bundles that moved widened (> 64-bit) bursts


def port_ii(
    items: list[tuple[Access, Expansion, Storage]],
    pipelined: Loop | None,
    unroll: int,
    maxi: MaxiTiming | None,
) -> PortBound:
    """The port bound of one iteration of `pipelined` (None: one group of a sequential loop)."""
    groups: dict[Storage, dict[Any, list[Any]]] = {}
    written: set[Storage] = set()
    read: set[Storage] = set()
    for access, _, storage in items:
        (written if access.is_store else read).add(storage)
    for access, expansion, storage in items:
        if storage.kind == "reg":
            continue
        expanded = {iv for iv, _, _ in expansion}
        found = offsets(access, expansion)
        if access.coefficients is None:
            fixed: Any = ("opaque", id(access))
        else:
            fixed = frozenset(
                (iv, c) for iv, c in access.coefficients.items() if iv not in expanded
            )
        if storage.kind == "maxi" and pipelined is not None:
            advance = (
                access.coefficients.get(pipelined.iv, 0) * pipelined.step * unroll
                if access.coefficients is not None
                else None
            )
            if advance == 0 and not access.is_store and storage not in written:
                continue  # loop-invariant: hoisted out of the pipeline
            if storage in written and storage in read:
                mode = "rmw"  # read back what the loop writes: no burst (UG1448)
            elif (
                found is not None
                and advance == len(found)
                and max(found) - min(found) + 1 == len(found)
            ):
                mode = "burst"
            else:
                mode = "single"
            fixed = (fixed, mode)
        slot = groups.setdefault(storage, {}).setdefault(fixed, [set(), set(), 0, 0])
        which = 1 if access.is_store else 0
        if found is None:
            slot[2 + which] += copy_count(access, expansion)
        else:
            slot[which].update(found)
    worst = PortBound()
    bundles: dict[str, BundleLoad] = {}
    wide: set[str] = set()
    for storage, by_fixed in groups.items():
        if storage.kind != "maxi":
            cycles = bank_cycles(storage, by_fixed)
            if cycles > worst.cycles:
                worst = PortBound(cycles, f"memory:{storage.name}")
            continue
        load = bundles.setdefault(storage.bundle, BundleLoad())
        for fixed, (reads, writes, opaque_r, opaque_w) in by_fixed.items():
            counts = (len(reads) + opaque_r, len(writes) + opaque_w)
            load.bits += (counts[0] + counts[1]) * storage.width
            mode = fixed[-1] if isinstance(fixed, tuple) else "single"
            if mode == "burst":
                load.reads += burst_beats(counts[0], storage.width)
                load.writes += burst_beats(counts[1], storage.width)
                if max(counts) * storage.width > costs.MAXI_NARROW_BITS:
                    wide.add(storage.bundle)
                continue
            load.reads += counts[0]
            load.writes += counts[1]
            if pipelined is not None:
                load.singles += counts[0] + (counts[1] if mode == "rmw" else 0)
    if maxi is not None:
        for bundle, load in sorted(bundles.items()):
            port = port_side_cycles(load, maxi)
            channel = channel_cycles(load.bits, maxi)
            if max(port, channel) > worst.cycles:
                kind = "channel" if channel > port else "memory"
                worst = PortBound(max(port, channel), f"{kind}:{bundle}")
    return replace(worst, wide=frozenset(wide))


def buffer_ii(loop: Loop, buffer: ir.Value, port_type: str | None = None) -> int:
    """Cycles per iteration of `loop` (pipelined) the busiest bank of on-chip `buffer` needs.

    `buffer` is an alloc result; `port_type` overrides its bind_storage type (to ask
    "what if ram_1p?"). Trip counts are the static ones.
    """
    found = [a for a in accesses(loop.op, [loop.enclosing()[0]]) if storage_root(a.root) == buffer]
    if not found:
        return 1
    alloc = buffer.owner.operation
    held = on_chip_storage(alloc, alloc, buffer, "", "")
    if port_type is not None:
        held = replace(held, port_type=port_type)
    factor = directives.get_unroll(loop.op)
    trips = loop.trip_count or 1
    unroll = 1 if factor is None else max(1, trips if factor == 0 else min(factor, trips))
    items = [
        (a, pipelined_expansion(a, loop, unroll, lambda inner: inner.trip_count or 1), held)
        for a in found
    ]
    return max(1, port_ii(items, loop, unroll, None).cycles)


# -- recurrences -----------------------------------------------------------------------
def dependence(
    load: Access, store: Access, loop: Loop, unroll: int, trips: Callable[[Loop], int]
) -> tuple[int, int] | None:
    """(distance in unrolled groups, chained copies) of a pair carried across `loop`."""
    inside = store.loops[store.loops.index(loop) + 1 :] if loop in store.loops else []

    def copies_ignoring(access: Access) -> int:
        total = unroll
        for inner in inside:
            if access.coefficients is None or access.stride(inner.iv) == 0:
                total *= trips(inner)
        return total

    if (
        load.coefficients is None
        or store.coefficients is None
        or load.coefficients != store.coefficients
    ):
        return 1, copies_ignoring(store)
    stride = load.coefficients.get(loop.iv, 0) * loop.step
    delta = store.constant - load.constant
    varies_inside = any(store.coefficients.get(inner.iv, 0) for inner in inside)
    if stride == 0:
        if delta == 0:
            return 1, copies_ignoring(store)
        return (1, 1) if varies_inside else None
    if delta == 0:
        return None
    if delta % stride:
        return (1, 1) if varies_inside else None
    distance = delta // stride
    if distance <= 0:
        return None
    if distance < unroll:
        return 1, -(-unroll // distance)
    return distance // unroll, 1


def chain_ii(read: int, copies: int, path: int, write: int, distance: int) -> int:
    """II of a recurrence: load, `copies` chained compute paths and store, over `distance`."""
    return -(-(read + copies * path + write) // distance)
