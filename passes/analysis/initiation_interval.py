"""The initiation interval a pipelined loop can achieve: `achieved_ii(loop, target_ii, clock)`.

Vitis HLS starts a new iteration every II cycles; it cannot go below two bounds:

* recurrence: a value an iteration loads and then stores back to an element
  a later iteration loads again (an accumulator `C[i][j] += ...` inside a
  loop that does not move `C`'s address) makes the next iteration wait for
  load → ops → store: II ≥ (read latency + Σ op latencies on the def-use
  path + write latency) / dependence distance. A loop's own iter_args (a
  scalar accumulator) give II ≥ the latency of their update path. A
  dependence the linear offsets cannot rule out counts at distance 1, as
  Vitis assumes too.
* memory ports: each iteration issues its loads and stores (inner loops of a
  pipelined loop are fully unrolled, an unroll factor on the loop itself
  copies its body), accesses to one address merged as Vitis merges them. An
  on-chip buffer serves RAM_PORTS accesses per bank per cycle (fewer for
  ram_1p/ram_2p/ram_s2p bindings); a cyclic partition spreads accesses over
  banks by `offset mod factor`, a complete one turns the array into
  registers. Function arguments are m_axi ports: one read and one write per
  cycle per bundle (bundles as the emitter assigns them: `llmhls.bundle`, else
  by role), except that a burst (one iteration's offsets of an access are
  contiguous and the next iteration continues them) is widened to
  MAXI_WIDEN_BITS per cycle: E elements of w bits take ceil(E*w/512). Buffers
  reached through views or dataflow task arguments count as the buffer they
  alias (see `storage`).

The QoR estimator and hls-loop-pipeline share this module; passes that
change partitions or bindings call `refresh_achieved_ii` afterwards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis.costs import (
    BRAM_READ_LATENCY,
    BRAM_WRITE_LATENCY,
    MAXI_READ_LATENCY,
    RAM_PORTS,
    REFERENCE_CLOCK_MHZ,
    burst_beats,
    op_latency_for,
)
from llmhls.passes.analysis.ir_utils import (
    function_arg_attrs,
    maxi_bundle,
    walk_ops,
    yielded_values,
)
from llmhls.passes.analysis.loops import LOAD_OPS, LOOP_OPS, Access, Loop, accesses, loop_forest
from llmhls.passes.analysis.nest import constant_bounds
from llmhls.passes.analysis.storage import is_top_argument, storage

_Visit = Callable[[ir.Value], int | None]  # latency from the path's source to a value

MAX_ENUMERATED_COPIES = 4096  # above this many unrolled copies, count accesses without banks


@dataclass(frozen=True)
class IIBounds:
    """Lower bounds on a pipelined loop's II, with what causes each (None when it is 1)."""

    recurrence: int = 1
    memory: int = 1
    recurrence_op: ir.Operation | None = None  # the store closing the slowest recurrence
    memory_buffer: ir.Value | None = None  # the storage (see `storage`) with the busiest port

    def achieved(self, target_ii: int) -> int:
        return max(target_ii, self.recurrence, self.memory)


def achieved_ii(loop: Loop, target_ii: int, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> int:
    """The II Vitis can reach for `loop` pipelined with `target_ii` at `clock_mhz`."""
    return ii_bounds(loop, clock_mhz).achieved(target_ii)


def ii_bounds(loop: Loop, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> IIBounds:
    """Recurrence and memory-port bounds of `loop` as if pipelined (see module doc)."""
    found = accesses(loop.op, [loop.enclosing()[0]])
    copies = _copy_loops(loop)
    recurrence, recurrence_op = _recurrence_ii(loop, found, copies, clock_mhz)
    memory, memory_buffer = _memory_ii(loop, found, copies)
    return IIBounds(recurrence, memory, recurrence_op, memory_buffer)


def refresh_achieved_ii(func: ir.Operation, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> None:
    """Recompute `achieved_ii` of every pipelined loop in `func`."""
    for top in loop_forest(func):
        for loop in top.walk():
            pipeline = directives.get_pipeline(loop.op)
            if pipeline is not None:
                achieved = achieved_ii(loop, pipeline.ii, clock_mhz)
                directives.set_pipeline(loop.op, directives.Pipeline(pipeline.ii, achieved))


# -- unrolled copies ------------------------------------------------------------
def _copy_loops(loop: Loop) -> dict[ir.Value, tuple[int, int]]:
    """Counter → (copies, step) for the loops whose iterations run in one pipelined iteration."""
    copies: dict[ir.Value, tuple[int, int]] = {}
    factor = directives.get_unroll(loop.op)
    if factor is not None and loop.trip_count:
        count = loop.trip_count if factor == 0 else min(factor, loop.trip_count)
        if count > 1:
            copies[loop.iv] = (count, loop.step)
    for inner in list(loop.walk())[1:]:
        if inner.trip_count and inner.trip_count > 1:
            copies[inner.iv] = (inner.trip_count, inner.step)
    return copies


def _copy_count(access: Access, copies: dict[ir.Value, tuple[int, int]]) -> int:
    return math.prod(copies[loop.iv][0] for loop in access.loops if loop.iv in copies)


def _offsets(access: Access, copies: dict[ir.Value, tuple[int, int]]) -> list[int] | None:
    """Flat offsets (without the fixed part) the copies of `access` touch; None if unknown."""
    if access.coefficients is None or _copy_count(access, copies) > MAX_ENUMERATED_COPIES:
        return None
    terms = [
        [access.coefficients.get(loop.iv, 0) * copies[loop.iv][1] * t for t in range(count)]
        for loop in access.loops
        if loop.iv in copies
        for count in [copies[loop.iv][0]]
    ]
    return [access.constant + sum(combo) for combo in product(*terms)]


def _fixed_part(access: Access, copies: dict[ir.Value, tuple[int, int]]) -> frozenset:
    """The coefficients of counters that do not vary within one pipelined iteration."""
    assert access.coefficients is not None
    return frozenset((iv, c) for iv, c in access.coefficients.items() if iv not in copies)


# -- memory ports ------------------------------------------------------------------
def _memory_ii(
    loop: Loop, found: list[Access], copies: dict[ir.Value, tuple[int, int]]
) -> tuple[int, ir.Value | None]:
    by_root: dict[ir.Value, list[Access]] = {}
    for access in found:
        by_root.setdefault(storage(access.root), []).append(access)
    worst, worst_root = 1, None
    bundles: dict[str, list[int]] = {}  # m_axi bundle → [reads, writes] per iteration
    for root, group in by_root.items():
        if is_top_argument(root):
            bundle = _bundle(root)
            reads, writes = _maxi_count(group, copies, loop, root)
            totals = bundles.setdefault(bundle, [0, 0])
            totals[0] += reads
            totals[1] += writes
            if max(totals) > worst:
                worst, worst_root = max(totals), root
            continue
        ii = _buffer_ii(root.owner.operation, group, copies)
        if ii > worst:
            worst, worst_root = ii, root
    return worst, worst_root


def _bundle(argument: ir.Value) -> str:
    """The m_axi bundle of a function argument (mirrors FunctionEmitter.signature)."""
    block_arg = ir.BlockArgument(argument)
    func = block_arg.owner.owner.operation
    attrs = function_arg_attrs(func)
    return maxi_bundle(attrs[block_arg.arg_number] if attrs else {})


def _maxi_count(
    group: list[Access], copies: dict[ir.Value, tuple[int, int]], loop: Loop, root: ir.Value
) -> tuple[int, int]:
    """Cycles of (reads, writes) one pipelined iteration of `loop` needs on an m_axi port.

    Bursts cost their widened beats, other accesses one cycle per distinct address.
    """
    # bind_storage imports this module, so its element_bits is looked up at call time.
    from llmhls.passes.loop.bind_storage import element_bits

    bits = element_bits(ir.MemRefType(root.type).element_type)
    per_iteration = loop.step * (copies[loop.iv][0] if loop.iv in copies else 1)
    seen: set[tuple] = set()
    singles: list[Access] = []
    reads = writes = 0
    for access in group:
        offsets = _offsets(access, copies)
        distinct = set(offsets) if offsets is not None else set()
        advance = access.stride(loop.iv)
        if (
            not distinct
            or advance is None
            or advance * per_iteration != len(distinct)
            or max(distinct) - min(distinct) + 1 != len(distinct)
        ):
            singles.append(access)
            continue
        key = (access.is_store, _fixed_part(access, copies), min(distinct), len(distinct))
        if key in seen:
            continue
        seen.add(key)
        beats = burst_beats(len(distinct), bits)
        reads, writes = (reads, writes + beats) if access.is_store else (reads + beats, writes)
    single_reads, single_writes = _distinct_count(singles, copies)
    return reads + single_reads, writes + single_writes


def _distinct_count(
    group: list[Access], copies: dict[ir.Value, tuple[int, int]]
) -> tuple[int, int]:
    """Distinct (reads, writes) one pipelined iteration issues on a buffer."""
    seen: set[tuple] = set()
    reads = writes = 0
    for access in group:
        offsets = _offsets(access, copies)
        if offsets is None:
            count = _copy_count(access, copies)
            reads, writes = (reads, writes + count) if access.is_store else (reads + count, writes)
            continue
        fixed = _fixed_part(access, copies)
        for offset in offsets:
            key = (access.is_store, fixed, offset)
            if key not in seen:
                seen.add(key)
                reads, writes = (reads, writes + 1) if access.is_store else (reads + 1, writes)
    return reads, writes


def buffer_ii(loop: Loop, buffer: ir.Value, port_type: str | None = None) -> int:
    """Cycles per iteration of `loop` (pipelined) the busiest bank of on-chip `buffer` needs.

    `buffer` is an alloc or get_global result; `port_type` overrides its
    bind_storage type (to ask "what if ram_1p?").
    """
    found = [a for a in accesses(loop.op, [loop.enclosing()[0]]) if storage(a.root) == buffer]
    if not found:
        return 1
    return _buffer_ii(buffer.owner.operation, found, _copy_loops(loop), port_type)


def _buffer_ii(
    alloc: ir.Operation,
    group: list[Access],
    copies: dict[ir.Value, tuple[int, int]],
    port_type: str | None = None,
) -> int:
    """Cycles per iteration the busiest bank of an on-chip buffer needs."""
    is_alloc = alloc.name in ("memref.alloc", "memref.alloca")
    partition = directives.get_partition(alloc) if is_alloc else None
    if port_type is None:
        binding = directives.get_bind_storage(alloc) if is_alloc else None
        port_type = binding.type if binding else ("" if is_alloc else "rom_2p")
    if partition is not None and partition.kind == "complete":
        return 1
    if partition is not None and partition.kind == "block":
        reads, writes = _distinct_count(group, copies)
        factor = max(1, partition.factor)
        return port_ii(math.ceil(reads / factor), math.ceil(writes / factor), port_type)
    banks = partition.factor if partition is not None else 1
    per_group: dict[frozenset | None, Counter] = {}  # fixed part → (bank, is_store) → count
    seen: set[tuple] = set()
    for access in group:
        offsets = _offsets(access, copies)
        if offsets is None:
            counter = per_group.setdefault(None, Counter())
            counter[(0, access.is_store)] += _copy_count(access, copies)
            continue
        fixed = _fixed_part(access, copies)
        counter = per_group.setdefault(fixed, Counter())
        for offset in offsets:
            key = (access.is_store, fixed, offset)
            if key not in seen:
                seen.add(key)
                counter[(offset % banks, access.is_store)] += 1
    if len(per_group) == 1:
        counter = next(iter(per_group.values()))
        bank_ids = {bank for bank, _ in counter}
        return max(port_ii(counter[(b, False)], counter[(b, True)], port_type) for b in bank_ids)
    # Groups whose fixed parts differ may land on any bank: assume their busiest banks coincide.
    reads = sum(max((c[k] for k in c if not k[1]), default=0) for c in per_group.values())
    writes = sum(max((c[k] for k in c if k[1]), default=0) for c in per_group.values())
    return port_ii(reads, writes, port_type)


def port_ii(reads: int, writes: int, port_type: str = "") -> int:
    """Cycles one RAM bank needs for `reads` + `writes` accesses (Vitis bind_storage types)."""
    if port_type == "ram_1p":
        cycles = reads + writes
    elif port_type == "ram_2p":  # one read/write port + one read-only port
        cycles = max(math.ceil((reads + writes) / 2), writes)
    elif port_type == "ram_s2p":  # one read port + one write port
        cycles = max(reads, writes)
    elif port_type.startswith("rom"):
        cycles = math.ceil(reads / (1 if port_type == "rom_1p" else 2))
    else:  # true dual port (ram_t2p, and what llmhls assumes without a binding)
        cycles = math.ceil((reads + writes) / RAM_PORTS)
    return max(1, cycles)


# -- recurrences ---------------------------------------------------------------------
def _recurrence_ii(
    loop: Loop, found: list[Access], copies: dict[ir.Value, tuple[int, int]], clock_mhz: float
) -> tuple[int, ir.Operation | None]:
    inside = set(walk_ops(loop.op))
    worst, worst_op = 1, None
    body = loop.body_block()
    terminator = list(body.operations)[-1].operation
    for index, arg in enumerate(list(body.arguments)[1:]):
        chain = _path_latency(terminator.operands[index], arg, inside, clock_mhz)
        if chain is not None and max(1, chain) > worst:
            worst, worst_op = max(1, chain), terminator
    held_in = {access: storage(access.root) for access in found}
    loads = [a for a in found if not a.is_store]
    for store in (a for a in found if a.is_store):
        for load in loads:
            if held_in[load] != held_in[store]:
                continue
            distance = _distance(load, store, loop, copies)
            if distance is None:
                continue
            chain = _path_latency(store.op.operands[0], load.op.results[0], inside, clock_mhz)
            if chain is None:
                continue
            serial = math.prod(
                copies[inner.iv][0]
                for inner in store.loops
                if inner.iv in copies and store.stride(inner.iv) == 0
            )
            read = _read_latency(held_in[load], clock_mhz)
            ii = math.ceil((read + serial * chain + BRAM_WRITE_LATENCY) / distance)
            if ii > worst:
                worst, worst_op = ii, store.op
    return worst, worst_op


def _read_latency(root: ir.Value, clock_mhz: float) -> int:
    if is_top_argument(root):
        return max(1, math.ceil(MAXI_READ_LATENCY * clock_mhz / REFERENCE_CLOCK_MHZ))
    return BRAM_READ_LATENCY


def _distance(
    load: Access, store: Access, loop: Loop, copies: dict[ir.Value, tuple[int, int]]
) -> int | None:
    """Smallest number of iterations of `loop` after which `load` may read what `store` wrote."""
    if load.coefficients is None or store.coefficients is None:
        return 1
    if _fixed_part(load, {**copies, loop.iv: (1, 1)}) != _fixed_part(
        store, {**copies, loop.iv: (1, 1)}
    ):
        return 1
    # One pipelined iteration covers all unrolled copies of the loop's own counter.
    per_iteration = loop.step * (copies[loop.iv][0] if loop.iv in copies else 1)
    stride = store.stride(loop.iv) * per_iteration
    if load.stride(loop.iv) * per_iteration != stride:
        return 1
    # Offsets the copies add on top of the fixed part, as an interval.
    load_offsets, store_offsets = _offsets(load, copies), _offsets(store, copies)
    if load_offsets is None or store_offsets is None:
        return 1
    low = min(store_offsets) - max(load_offsets)
    high = max(store_offsets) - min(load_offsets)
    if stride == 0:
        return 1 if low <= 0 <= high else None
    if stride < 0:
        stride, low, high = -stride, -high, -low
    first = max(1, -(-low // stride))
    return first if first * stride <= high else None


def _path_latency(
    target: ir.Value, source: ir.Value, inside: set[ir.Operation], clock_mhz: float
) -> int | None:
    """Longest def-use latency from `source` to `target` through ops in `inside`; None: no path."""
    memo: dict[ir.Value, int | None] = {}

    def visit(value: ir.Value) -> int | None:
        if value == source:
            return 0
        if value in memo:
            return memo[value]
        memo[value] = None  # cycle guard
        owner = value.owner
        if isinstance(owner, ir.Block):
            result = _through_iter_arg(value, owner, inside, visit)
        else:
            result = _through_op(value, owner.operation, inside, visit, clock_mhz)
        memo[value] = result
        return result

    return visit(target)


def _through_iter_arg(
    value: ir.Value, block: ir.Block, inside: set[ir.Operation], visit: _Visit
) -> int | None:
    parent = block.owner.operation
    index = ir.BlockArgument(value).arg_number
    if parent not in inside or parent.name not in LOOP_OPS or index == 0:
        return None
    inits = _loop_inits(parent)
    return visit(inits[index - 1]) if index - 1 < len(inits) else None


def _loop_inits(op: ir.Operation) -> list[ir.Value]:
    if op.name == "affine.for":
        return list(op.opview.inits)
    return list(op.operands)[3:]


def _through_op(
    value: ir.Value, op: ir.Operation, inside: set[ir.Operation], visit: _Visit, clock_mhz: float
) -> int | None:
    if op not in inside or op.name in LOAD_OPS:
        return None
    best: int | None = None
    if op.name in LOOP_OPS:
        index = ir.OpResult(value).result_number
        body = op.regions[0].blocks[0]
        yielded = list(body.operations)[-1].operation.operands[index]
        through = visit(yielded)
        if through is None:
            return None
        carried = _path_latency(yielded, body.arguments[index + 1], inside, clock_mhz) or 0
        trips = _constant_trips(op)
        return through + max(0, trips - 1) * carried
    for operand in op.operands:
        latency = visit(operand)
        if latency is not None and (best is None or latency > best):
            best = latency
    if op.regions and len(op.results):
        for yielded_value in yielded_values(op, ir.OpResult(value).result_number):
            latency = visit(yielded_value)
            if latency is not None and (best is None or latency > best):
                best = latency
    return None if best is None else best + op_latency_for(op, clock_mhz)


def _constant_trips(op: ir.Operation) -> int:
    bounds = constant_bounds(op)
    return bounds.trip_count if bounds is not None else 1
