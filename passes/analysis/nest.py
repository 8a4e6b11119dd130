"""Loop bands and the reordering legality test shared by hls-loop-permute and hls-loop-tile.

A band is a maximal chain of loops in which every loop but the last holds
nothing but the next one; its last loop's body may hold anything. Permuting
or tiling a band reorders its iterations. Both passes only do it when the
new order provably gives bit-identical results, with a test that is simple
enough to trust:

1. every op in the band is a loop, a load/store, a view, index math or a
   pure arith/math op (no calls, copies or allocations whose effects we
   cannot see), and every loop in it has constant bounds;
2. every root buffer stored in the band is accessed in it at ONE linear
   flat offset `f` (a read-modify-write of one address per iteration, like
   `C[i][j] += ...`), and `f` is injective over the band's counters it uses
   (checked with mixed-radix strides: each |stride| exceeds the span of the
   smaller ones), so two iterations touch the same element exactly when
   they agree on those counters;
3. every other buffer in the band is only read.

Buffers are compared by their storage (`storage.storage`), so a view, or a
dataflow task argument, aliasing a stored buffer counts as that buffer.

Then two iterations depend on each other only through one stored element,
and iterations sharing an element differ only in the counters `f` does not
use: the band's *reduction* loops. Any new order that keeps the relative
order of the reduction loops keeps the order of every accumulation, so each
element sees the same sequence of operations and the results are identical,
bit for bit. The loops every stored offset uses are *parallel*.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.passes.analysis.ir_utils import walk_ops
from llmhls.passes.analysis.loops import (
    LOAD_OPS,
    LOOP_OPS,
    STORE_OPS,
    VIEW_OPS,
    Access,
    Loop,
    accesses,
    constant_index,
    loop_forest,
)
from llmhls.passes.analysis.storage import storage

# Ops a reorderable band may hold besides loops, loads, stores and views: no side effects.
_PURE_DIALECTS = ("arith", "math", "index")
_PURE_OPS = frozenset(
    {
        "affine.apply",
        "affine.min",
        "affine.max",
        "affine.if",
        "affine.yield",
        "affine.delinearize_index",
        "affine.linearize_index",
        "scf.if",
        "scf.yield",
        "memref.get_global",
    }
)


@dataclass(eq=False)
class Band:
    """A perfect chain of loops, outermost first."""

    loops: list[Loop]

    @property
    def root(self) -> Loop:
        return self.loops[0]

    @property
    def innermost(self) -> Loop:
        return self.loops[-1]


@dataclass(frozen=True)
class ConstantBounds:
    lower: int
    upper: int
    step: int

    @property
    def trip_count(self) -> int:
        return max(0, -(-(self.upper - self.lower) // self.step))


@dataclass(eq=False)
class ReorderInfo:
    """What a legal band looks like to the passes that reorder it."""

    band: Band
    reduction: frozenset[int]  # band positions whose counter some stored offset does not use
    stored: dict[ir.Value, Access]  # stored root buffer -> one access (all share its offset)
    loads: list[Access]  # loads of buffers the band only reads

    def is_reduction(self, position: int) -> bool:
        return position in self.reduction


def only_child(loop: Loop) -> Loop | None:
    """The loop that is the whole body of `loop` (besides its terminator), if any."""
    ops = [op.operation for op in loop.body_block().operations]
    if len(loop.children) == 1 and len(ops) == 2 and ops[0].name in LOOP_OPS:
        return loop.children[0]
    return None


def bands(func: ir.Operation) -> list[Band]:
    """Every maximal band of a function, outer bands before the bands nested in them."""
    found: list[Band] = []

    def visit(loop: Loop) -> None:
        chain = [loop]
        while (child := only_child(chain[-1])) is not None:
            chain.append(child)
        found.append(Band(chain))
        for child in chain[-1].children:
            visit(child)

    for top in loop_forest(func):
        visit(top)
    return found


def constant_bounds(op: ir.Operation) -> ConstantBounds | None:
    """Bounds of an affine.for/scf.for when they are constants; else None."""
    if op.name == "affine.for":
        view = op.opview
        lower_map, upper_map = view.lowerBoundMap.value, view.upperBoundMap.value
        if lower_map.n_inputs or upper_map.n_inputs:
            return None
        lower = max(ir.AffineConstantExpr(e).value for e in lower_map.results)
        upper = min(ir.AffineConstantExpr(e).value for e in upper_map.results)
        return ConstantBounds(lower, upper, ir.IntegerAttr(op.attributes["step"]).value)
    if op.name == "scf.for":
        values = [constant_index(v) for v in list(op.operands)[:3]]
        if any(v is None for v in values) or not values[2]:
            return None
        return ConstantBounds(*values)  # type: ignore[arg-type]
    return None


def _side_effect_free(op: ir.Operation) -> bool:
    name = op.name
    if name in LOOP_OPS or name in LOAD_OPS or name in STORE_OPS or name in VIEW_OPS:
        return True
    return name in _PURE_OPS or name.split(".", 1)[0] in _PURE_DIALECTS


def injective(coefficients: dict[ir.Value, int], loops: list[Loop]) -> bool:
    """Whether Σ coeff·iv takes a distinct value for each combination of the used counters.

    Mixed-radix test: sorted by |coeff·step|, each stride must exceed the
    largest offset the smaller strides can reach together. Counters with a
    single iteration do not vary and are ignored.
    """
    terms: list[tuple[int, int]] = []
    for loop in loops:
        coeff = coefficients.get(loop.iv, 0)
        if coeff and loop.trip_count and loop.trip_count > 1:
            terms.append((abs(coeff * loop.step), loop.trip_count))
    reach = 0
    for stride, trips in sorted(terms):
        if stride <= reach:
            return False
        reach += stride * (trips - 1)
    return True


def reorder_info(band: Band) -> ReorderInfo | None:
    """The band's reduction loops when its iterations may be reordered; None when unsafe."""
    root = band.root
    # Band loops carry no values (their order would matter); inner loops may (scalar sums).
    if any(len(loop.op.results) for loop in band.loops):
        return None
    nest = list(root.walk())
    if any(constant_bounds(loop.op) is None for loop in nest):
        return None
    if not all(_side_effect_free(op) for op in walk_ops(root.op)):
        return None

    found = accesses(root.op, [root.enclosing()[0]])
    by_root: dict[ir.Value, list[Access]] = {}
    for access in found:
        by_root.setdefault(storage(access.root), []).append(access)
    stored: dict[ir.Value, Access] = {}
    loads: list[Access] = []
    for buffer, group in by_root.items():
        if not any(a.is_store for a in group):
            loads.extend(group)
            continue
        first = group[0]
        if first.coefficients is None:
            return None
        for other in group[1:]:
            if other.coefficients != first.coefficients or other.constant != first.constant:
                return None
        if not injective(first.coefficients, nest):
            return None
        stored[buffer] = first

    reduction = frozenset(
        position
        for position, loop in enumerate(band.loops)
        if (loop.trip_count or 0) > 1 and any(a.stride(loop.iv) == 0 for a in stored.values())
    )
    return ReorderInfo(band, reduction, stored, loads)
