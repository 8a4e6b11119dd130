"""hls-array-partition: give each unrolled copy of an access its own memory bank.

An on-chip array is one RAM with two ports. When a loop is unrolled U times
(explicitly, or because it sits inside a pipelined loop, which Vitis
unrolls fully) the U copies of an access want U ports in one cycle, and the
schedule serializes them. With stride s of the unrolled counter in the
array's flat offset, the copies touch offsets o, o+s, ..., o+(U-1)s, which
fall into distinct banks of a cyclic partition of factor s·U. The
requirements of all parallel counters and all accesses of a buffer merge by
lcm. When the factor does not divide the array size the last bank is
shorter, which Vitis accepts. Above `max-factor`, copies far apart (large
strides, like a column walk of a row-major matrix) are separated by a block
partition whose blocks are no longer than the smallest stride, if that
needs at most `max-factor` blocks; otherwise the cyclic factor up to
`max-factor` that puts the fewest copies of an access in one bank (powers
of two first among equals, then the smallest). Arrays
of at most `complete-threshold` elements, or whose factor reaches their
size, are partitioned completely (registers), unless the array is larger than
`max-factor` and its copies are whole blocks apart (the rows of an unrolled
row loop): then a block partition, a bank a block; an array accessed through a
non-affine offset under an unrolled counter only if it is that small.

Only `memref.alloc` buffers are partitioned (also when a dataflow task
reaches them through its arguments): arguments of the top function are
m_axi ports and globals are ROMs the emitter initializes. Buffers not accessed
under an unrolled or pipelined loop keep one bank.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import functions, has_body
from llmhls.passes.analysis.loops import Access, accesses, loop_forest, root_op
from llmhls.passes.analysis.storage import storage
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

ALLOC_OPS = ("memref.alloc", "memref.alloca")


@register_pass
@dataclass(frozen=True)
class ArrayPartition(Pass):
    """Write hlsdf.partition on local buffers accessed by unrolled/pipelined copies."""

    name = "hls-array-partition"
    summary = "cyclic/complete partitions so each unrolled copy of an access has its own bank"
    max_factor: int = 64
    complete_threshold: int = 16  # elements; arrays this small become registers

    def run(self, module: ir.Module) -> None:
        if self.max_factor < 1:
            raise OptionError(
                f"hls-array-partition option max-factor must be >= 1, got {self.max_factor}"
            )
        if self.complete_threshold < 0:
            raise OptionError(
                "hls-array-partition option complete-threshold must be >= 0, "
                f"got {self.complete_threshold}"
            )
        with module.context:
            bodies = [func for func in functions(module) if has_body(func)]
            # Dataflow tasks access their caller's buffers: collect over every function first.
            needs: dict[ir.Operation, list[list[tuple[int, int]] | None]] = {}
            for func in bodies:
                for top in loop_forest(func):
                    for access in accesses(top.op, [top]):
                        alloc = root_op(storage(access.root))
                        if alloc is None or alloc.name not in ALLOC_OPS:
                            continue
                        copies = parallel_copies(access)
                        if copies != []:
                            needs.setdefault(alloc, []).append(copies)
            for alloc, requirements in needs.items():
                partition = self.choose(alloc, requirements)
                if partition is not None:
                    directives.set_partition(alloc, partition)

    def choose(
        self, alloc: ir.Operation, needs: list[list[tuple[int, int]] | None]
    ) -> directives.Partition | None:
        """Merge the needs of one buffer into a partition (None: one bank is enough)."""
        mem = ir.MemRefType(alloc.results[0].type)
        size = math.prod(mem.shape) if mem.rank else 1
        pairs = [pair for copies in needs if copies for pair in copies]
        factor = math.lcm(*(stride * count for stride, count in pairs)) if pairs else 1
        # Copies at least B elements apart fall into distinct blocks of B elements.
        blocks = -(-size // min(stride for stride, _ in pairs)) if pairs else size
        if (None in needs or factor > 1) and (size <= self.complete_threshold or factor >= size):
            if None not in needs and self.max_factor < size and 2 <= blocks <= self.max_factor:
                return directives.Partition("block", blocks)  # a bank a row, not registers
            return directives.Partition("complete", 0)
        if factor <= 1:
            return None
        if factor <= self.max_factor:
            return directives.Partition("cyclic", factor)
        if 2 <= blocks <= self.max_factor:
            return directives.Partition("block", blocks)
        # Otherwise the cyclic factor up to max-factor that spreads the copies best.
        spreads = [_copy_offsets(copies) for copies in needs if copies]
        best = min(
            range(2, self.max_factor + 1),
            key=lambda f: (max(_bank_load(o, f) for o in spreads), f & (f - 1) != 0, f),
            default=1,
        )
        return directives.Partition("cyclic", best) if best > 1 else None


def _copy_offsets(copies: list[tuple[int, int]]) -> list[int]:
    """Relative offsets of all copies of one access (capped: the spread of the first ones)."""
    offsets = [0]
    for stride, count in copies:
        offsets = [o + stride * t for o in offsets for t in range(count)][:4096]
    return offsets


def _bank_load(offsets: list[int], factor: int) -> int:
    """Copies that land in the busiest bank of a cyclic partition."""
    return max(Counter(offset % factor for offset in offsets).values())


def parallel_copies(access: Access) -> list[tuple[int, int]] | None:
    """(stride, copies) of each parallel counter that moves `access`; None: not affine."""
    found: list[tuple[int, int]] = []
    in_pipeline = False
    for loop in access.loops:
        unroll = directives.get_unroll(loop.op)
        copies = 1
        if loop.trip_count is not None and (unroll is not None or in_pipeline):
            full = unroll is None or unroll == 0
            copies = loop.trip_count if full else min(unroll, loop.trip_count)
        if copies > 1:
            stride = access.stride(loop.iv)
            if stride is None:
                return None
            if stride:
                found.append((abs(stride * loop.step), copies))
        in_pipeline = in_pipeline or directives.get_pipeline(loop.op) is not None
    return found
