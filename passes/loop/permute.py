"""hls-loop-permute: make the innermost loop of a band a parallel, unit-stride loop.

HLS pipelines the innermost loop. If that loop is a reduction (matmul's `k`
in `C[i][j] += A[i][k] * B[k][j]`), every iteration reads the element the
previous one wrote and the pipeline waits for the adder: II = load + fadd +
store latency instead of 1. Moving a parallel loop innermost (i, j, k) →
(i, k, j) puts consecutive iterations on different elements, with unit
stride on the stored array, so the pipeline issues one iteration per cycle
and the accesses stream through one bank or burst.

Only bands that `nest.reorder_info` proves reorderable are touched, and the
relative order of their reduction loops is kept, so every accumulation runs
in its original order and results are bit-identical. The chosen loop is the
parallel loop with unit stride on the most stored arrays, then on the most
loads (a load that does not move with it counts as unit stride), ties going
to the loop nearer the inside; every other loop keeps its relative order.
Directive attributes (`hlsdf.*`) move with their loop.

Weight reuse comes first: when the band's largest buffer is read through the
kernel's interface (m_axi: at least `reuse-min-kib`, which -O2 sets to what
hls-buffer-interfaces keeps on chip) and does not move with a short parallel
loop (at most REUSE_MAX_TRIPS iterations: the rows of a small-batch matmul,
like an LM head over a few hidden states), that loop goes innermost and is
fully unrolled, with the parallel loop that walks the weight just outside it.
Each weight element is then read once for all rows instead of once a row;
the read moves out of the unrolled loop, so the kernel says so, and the
rows' accumulators take their own banks (hls-array-partition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import LlmhlsError
from llmhls.passes import directives as hls
from llmhls.passes.analysis.ir_utils import functions, has_body, symbol_name
from llmhls.passes.analysis.loops import LOAD_OPS, Access
from llmhls.passes.analysis.nest import Band, ReorderInfo, bands, reorder_info
from llmhls.passes.analysis.storage import buffer_bytes, is_top_argument, storage
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

_BOUND_ATTRS = ("lowerBoundMap", "upperBoundMap", "step")
REUSE_MAX_TRIPS = 16  # a loop this short may be unrolled innermost to share each weight read


@register_pass
@dataclass(frozen=True)
class LoopPermute(Pass):
    """Permute provably reorderable bands so a unit-stride parallel loop is innermost."""

    name = "hls-loop-permute"
    summary = "move a unit-stride parallel loop innermost in reorderable loop bands (bit-exact)"
    reuse_min_kib: int = 512  # interface weights from this size share reads across short loops

    def run(self, module: ir.Module) -> None:
        with module.context:
            for func in functions(module):
                if has_body(func):
                    _permute_function(func, self.reuse_min_kib * 1024)


def _permute_function(func: ir.Operation, reuse_min_bytes: int) -> None:
    # A permutation rewrites bounds in place, so the loop analysis is rebuilt after each one.
    done: set[ir.Operation] = set()
    changed = True
    while changed:
        changed = False
        for band in bands(func):
            if band.root.op in done:
                continue
            done.add(band.root.op)
            if len(band.loops) < 2 or any(loop.op.name != "affine.for" for loop in band.loops):
                continue
            info = reorder_info(band)
            if info is None or not info.stored:
                continue
            reuse = _reuse_order(info, reuse_min_bytes)
            order = reuse or _new_order(info)
            if order is not None:
                _apply(band, order)
                if reuse:
                    _unroll_rows(band.loops[-1])
                changed = True
                break
    if not func.verify():
        raise LlmhlsError(f"hls-loop-permute produced invalid IR in @{symbol_name(func)}")


def _new_order(info: ReorderInfo) -> list[int] | None:
    """Band positions, outermost first, in their new order; None to leave the band alone."""
    band = info.band
    # A loop of one iteration gains nothing from going innermost.
    parallel = [
        p
        for p, loop in enumerate(band.loops)
        if not info.is_reduction(p) and (loop.trip_count or 0) > 1
    ]
    if not parallel:
        return None
    best = min(parallel, key=lambda p: _preference(info, p))
    innermost = len(band.loops) - 1
    if best == innermost:
        return None
    return [p for p in range(len(band.loops)) if p != best] + [best]


def _reuse_order(info: ReorderInfo, min_bytes: int) -> list[int] | None:
    """Band positions with a short parallel loop innermost and, just outside it, the loop
    walking the weight it does not move with: the band's largest buffer, read through the
    interface. None when no such pair exists."""
    band = info.band
    # The band's largest buffer, read through the interface: what re-reading costs most.
    largest = max(_elements(a) for a in [*info.loads, *info.stored.values()])
    weights = [
        a
        for a in info.loads
        if is_top_argument(storage(a.root))
        and _elements(a) == largest
        and buffer_bytes(ir.MemRefType(a.root.type)) >= max(min_bytes, 1)
    ]
    parallel = [
        p
        for p, loop in enumerate(band.loops)
        if not info.is_reduction(p) and (loop.trip_count or 0) > 1
    ]
    for rows in parallel:
        if band.loops[rows].trip_count > REUSE_MAX_TRIPS:
            continue
        for weight in weights:
            if weight.stride(band.loops[rows].iv) != 0:
                continue
            sweeps = [p for p in parallel if p != rows and _walks(weight, band.loops[p].iv)]
            if sweeps:
                sweep = min(sweeps, key=lambda p: _preference(info, p))
                order = [p for p in range(len(band.loops)) if p not in (rows, sweep)]
                return [*order, sweep, rows]
    return None


def _elements(access: Access) -> int:
    return math.prod(ir.MemRefType(access.root.type).shape)


def _walks(weight: Access, iv: ir.Value) -> bool:
    return weight.stride(iv) not in (0, None)


def _unroll_rows(rows) -> None:
    """Unroll the reuse loop fully and read what does not move with it once, before it."""
    hls.set_unroll(rows.op, 0)
    body = rows.body_block()
    inside = {id(op.operation) for op in body.operations}

    def defined_inside(value: ir.Value) -> bool:
        owner = value.owner
        if isinstance(owner, ir.Block):
            return value == rows.iv
        return id(owner.operation) in inside

    for op in list(body.operations):
        op = op.operation
        if op.name in LOAD_OPS and not any(defined_inside(v) for v in op.operands):
            op.move_before(rows.op)
            inside.discard(id(op))


def _preference(info: ReorderInfo, position: int) -> tuple[int, int, int]:
    """Smaller is better: stored arrays without unit stride, then such loads, then outer first."""
    loop = info.band.loops[position]

    def step(stride: int | None) -> int | None:
        return None if stride is None else abs(stride * loop.step)

    stored_misses = sum(1 for a in info.stored.values() if step(a.stride(loop.iv)) != 1)
    load_misses = sum(1 for a in info.loads if step(a.stride(loop.iv)) not in (0, 1))
    return stored_misses, load_misses, -position


def _apply(band: Band, order: list[int]) -> None:
    """Position p takes the bounds, directives and counter uses of original loop order[p]."""
    ops = [loop.op for loop in band.loops]
    bounds = [{name: op.attributes[name] for name in _BOUND_ATTRS} for op in ops]
    directives = [
        {name: op.attributes[name] for name in list(op.attributes) if name.startswith("hlsdf.")}
        for op in ops
    ]
    uses = [
        [(use.owner.operation, use.operand_number) for use in loop.iv.uses] for loop in band.loops
    ]
    for position, source in enumerate(order):
        op = ops[position]
        for name, attr in bounds[source].items():
            op.attributes[name] = attr
        for name in list(directives[position]):
            del op.attributes[name]
    for position, source in enumerate(order):
        op = ops[position]
        for name, attr in directives[source].items():
            op.attributes[name] = attr
        for owner, index in uses[source]:
            owner.operands[index] = band.loops[position].iv
