"""hls-loop-tile: tile reorderable loop bands, with trip counts for the partial tiles.

Tiling bounds the working set of the inner (point) loops, so the data one
tile touches fits a small on-chip buffer and the inner loops can be unrolled
or pipelined over a fixed extent. Upstream `affine-loop-tile` does the same
rewrite but does not check dependences: it tiles a wavefront like
`A[i][j] = A[i-1][j+1]` and changes its results. So llmhls tiles itself, and
only bands that `nest.reorder_info` proves reorderable (see there).

A tiled band runs the tile loops (in band order) around the point loops (in
band order). Within a tile the order of the reduction loops must stay
lexicographic for results to stay bit-identical, so only the outermost
reduction loop of a band is tiled; inner reduction loops keep their whole
range. A loop whose trip count does not exceed its tile size is not tiled,
nor is a band of a single loop (splitting one loop changes no working set).

Point loops of a tiled dimension run `max(lb, t) .. min(t + T*step, ub)`;
their bounds vary, so each gets `hlsdf.tripcount` (min/max/avg over the
tiles) for Vitis' latency report. Directive attributes of a band loop move
to its point loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch_mlir import ir
from torch_mlir.dialects import affine

from llmhls.errors import LlmhlsError, OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import functions, has_body, symbol_name
from llmhls.passes.analysis.nest import Band, ConstantBounds, bands, constant_bounds, reorder_info
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class LoopTile(Pass):
    """Tile each reorderable band; `tile-sizes=4x8x16` sets one size per band depth."""

    name = "hls-loop-tile"
    summary = "tile reorderable loop bands (bit-exact) and set trip counts on partial tiles"
    tile_size: int = 32  # iterations per tile at every band depth (0: no tiling)
    tile_sizes: str = ""  # per band depth, outermost first, `x`-separated; overrides tile-size

    def sizes(self) -> list[int] | None:
        """Tile size per band depth; None means `tile-size` at every depth."""
        if self.tile_size < 0:
            raise OptionError(f"hls-loop-tile option tile-size must be >= 0, got {self.tile_size}")
        if not self.tile_sizes:
            return None
        if not re.fullmatch(r"\d+(x\d+)*", self.tile_sizes):
            raise OptionError(
                "hls-loop-tile option tile-sizes expects sizes like 4x8x16, "
                f"got '{self.tile_sizes}'"
            )
        return [int(size) for size in self.tile_sizes.split("x")]

    def run(self, module: ir.Module) -> None:
        sizes = self.sizes()
        with module.context:
            for func in functions(module):
                if not has_body(func):
                    continue
                tiled: set[int] = set()  # ids of the Loop objects of bands already tiled
                for band in bands(func):
                    if any(id(loop) in tiled for loop in band.root.enclosing()):
                        continue  # its loops were moved into a tiled band
                    depth_sizes = sizes or [self.tile_size] * len(band.loops)
                    if _tile(band, depth_sizes):
                        tiled.update(id(loop) for loop in band.loops)
                if not func.verify():
                    raise LlmhlsError(f"hls-loop-tile produced invalid IR in @{symbol_name(func)}")


def _tile(band: Band, sizes: list[int]) -> bool:
    if len(band.loops) < 2 or any(loop.op.name != "affine.for" for loop in band.loops):
        return False
    info = reorder_info(band)
    if info is None:
        return False
    bounds = [constant_bounds(loop.op) for loop in band.loops]
    outer_reduction = min(info.reduction, default=None)
    tiles: list[int | None] = []
    for depth, bound in enumerate(bounds):
        size = sizes[depth] if depth < len(sizes) else 0
        keep_whole = info.is_reduction(depth) and depth != outer_reduction
        tiles.append(None if size <= 0 or size >= bound.trip_count or keep_whole else size)
    if all(size is None for size in tiles):
        return False
    _rewrite(band, [b for b in bounds if b is not None], tiles)
    return True


def _rewrite(band: Band, bounds: list[ConstantBounds], tiles: list[int | None]) -> None:
    root = band.root.op
    ip = ir.InsertionPoint(root)
    tile_ivs: dict[int, ir.Value] = {}
    for depth, loop in enumerate(band.loops):
        if tiles[depth] is None:
            continue
        bound = bounds[depth]
        with loop.op.location:
            new = affine.AffineForOp(bound.lower, bound.upper, bound.step * tiles[depth], ip=ip)
            affine.AffineYieldOp([], ip=ir.InsertionPoint(new.body))
        tile_ivs[depth] = new.induction_variable
        ip = ir.InsertionPoint.at_block_begin(new.body)

    innermost_yield = None
    for depth, loop in enumerate(band.loops):
        bound = bounds[depth]
        with loop.op.location:
            if tiles[depth] is None:
                new = affine.AffineForOp(bound.lower, bound.upper, bound.step, ip=ip)
            else:
                span = bound.step * tiles[depth]
                tile_iv = tile_ivs[depth]
                start = ir.AffineDimExpr.get(0)
                ends = [ir.AffineAddExpr.get(start, ir.AffineConstantExpr.get(span))]
                if (bound.upper - bound.lower) % span:
                    ends.append(ir.AffineConstantExpr.get(bound.upper))
                new = affine.AffineForOp(
                    ir.AffineMap.get(1, 0, [start]),
                    ir.AffineMap.get(1, 0, ends),
                    bound.step,
                    lower_bound_operands=[tile_iv],
                    upper_bound_operands=[tile_iv],
                    ip=ip,
                )
                directives.set_tripcount(new.operation, _tile_trip_counts(bound, span))
            innermost_yield = affine.AffineYieldOp([], ip=ir.InsertionPoint(new.body))
        for name in list(loop.op.attributes):
            if name.startswith("hlsdf."):
                new.operation.attributes[name] = loop.op.attributes[name]
        loop.iv.replace_all_uses_with(new.induction_variable)
        ip = ir.InsertionPoint.at_block_begin(new.body)

    body = band.innermost.body_block()
    for op in list(body.operations)[:-1]:
        op.operation.move_before(innermost_yield.operation)
    root.erase()


def _tile_trip_counts(bound: ConstantBounds, span: int) -> directives.TripCount:
    counts = [
        -(-(min(start + span, bound.upper) - start) // bound.step)
        for start in range(bound.lower, bound.upper, span)
    ]
    average = (2 * sum(counts) + len(counts)) // (2 * len(counts))
    return directives.TripCount(min(counts), max(counts), average)
