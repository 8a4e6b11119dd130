"""Where the processing units put their results: one bank per unit, and the tiles that read them.

A matrix phase finishes N x ROWS weight rows in the same cycle (one per unit: channel c,
row i of its word), NR = N * ROWS of them. Written into one array banked by the vector
unit's kVec lanes, they would land in banks known only at run time, and Vitis would
schedule the worst case (every write contending for every bank's two ports). So every
unit writes its own bank, split M ways by slot (row group) so that the vector unit's
side can read NR x M banks at once; a copy loop (GATHER) then moves a row's results into
the kVec-banked arrays the vector unit works on, in tiles of L elements: L a multiple of
NR x M and of kVec, so the bank every element comes from and goes to is a compile-time
constant. The LM head's logits leave the same way, in tiles a multiple of the 16 floats
of a 512-bit beat.

Each loop's II is what the banks' two ports allow: a tile reads each unit bank
L / (NR M) times and each kVec bank L / kVec times (twice when it adds into it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmhls.compiler.llm.engine.layout import WORD_LANES

VEC = 64  # kVec in llmhls_engine.h: vector-unit lanes
MAX_TILE = 1024  # elements a GATHER iteration moves: the unrolled body stays reviewable
PORTS = 2  # a block RAM's ports (true dual-port: AMD UG573, UltraScale memory resources)


def _ii(*accesses: int) -> int:
    """Cycles an iteration needs when a bank takes `accesses` reads/writes over two ports."""
    return max(1, *(math.ceil(a / PORTS) for a in accesses))


@dataclass(frozen=True)
class UnitBanks:
    """The output banks of one set of processing units and the loops that drain them."""

    units: int  # NR: channels x rows a word
    split: int  # M: ways a unit's bank is split by slot
    depth: int  # floats a split bank holds
    tile: int  # L: elements a GATHER iteration moves
    gather_ii: int
    gather_add_ii: int  # GATHER adding into the residual (a read and a write a bank)
    logits_tile: int  # LOGITS: floats an iteration writes (whole 512-bit beats)
    logits_ii: int

    @property
    def banks(self) -> int:
        return self.units * self.split


def _split(units: int) -> tuple[int, int]:
    """(M, L): of the splits that keep NR x M within kVec and the tile within MAX_TILE, the
    one whose GATHER has the smallest II (then the smallest tile)."""
    best: tuple[int, int, int] | None = None
    for split in range(1, max(1, VEC // units) + 1):
        tile = math.lcm(units * split, VEC)
        if tile > MAX_TILE:
            continue
        ii = _ii(tile // (units * split), tile // VEC)
        if best is None or (ii, tile) < (best[0], best[2]):
            best = (ii, split, tile)
    if best is None:
        raise ValueError(f"no gather tile of at most {MAX_TILE} elements for {units} units")
    return best[1], best[2]


def unit_banks(units: int, needs: list[tuple[int, int]]) -> UnitBanks:
    """Banks for `units` units whose phases each put (slots, row slices) a unit: slot s of
    slice k at (s / M) x slices + k of split s % M."""
    split, tile = _split(units)
    depth = max(-(-slots // split) * slices for slots, slices in needs)
    logits_tile = math.lcm(units * split, WORD_LANES)
    return UnitBanks(
        units=units,
        split=split,
        depth=max(1, depth),
        tile=tile,
        gather_ii=_ii(tile // (units * split), tile // VEC),
        gather_add_ii=_ii(tile // (units * split), 2 * tile // VEC),
        logits_tile=logits_tile,
        logits_ii=max(logits_tile // WORD_LANES, _ii(logits_tile // (units * split))),
    )


def stream_logits(units: int) -> tuple[int, int]:
    """(tile, II) of LOGITS when a separate LM head's units each feed a stream: a tile reads
    every stream tile / NR times (one read a cycle) and writes tile / 16 beats."""
    tile = math.lcm(units, WORD_LANES)
    return tile, max(tile // WORD_LANES, tile // units)


def head_shares_units(layout) -> bool:
    """The LM head runs on the layers' units when it has their format (one set of units
    serves both); a head of another format has units of its own."""
    return layout.head.fmt == layout.layer_phases[0].fmt


def proposal_phases(layout, chip_proposals: bool) -> tuple[list, list]:
    """The phases the kernel runs to make a Medusa tree's guesses itself: the heads' blocks
    and the guessing vocabulary's LM-head rows (none without a tree)."""
    medusa = [layout.medusa] if chip_proposals else []
    vocab_rows = [layout.proposals] if chip_proposals and layout.proposals else []
    return medusa, vocab_rows


def unit_phases(layout, chip_proposals: bool) -> tuple[list, list]:
    """The phases each set of units runs, which size its constants (the largest interleave
    and meta block): the layers' units run the layer phases, the Medusa heads' blocks when
    the kernel makes the guesses, and the LM head's rows (every row, and the guessing
    vocabulary's) when they share its format; the LM head's rows are the second list."""
    medusa, vocab_rows = proposal_phases(layout, chip_proposals)
    head = [layout.head, *vocab_rows]
    shared = head if head_shares_units(layout) else []
    return [*layout.layer_phases, *shared, *medusa], head


def engine_banks(layout, channels: int, rows: int, row_lanes: int) -> UnitBanks:
    """The layers' units' banks: every layer phase's slots for a step's row slices, the
    LM head's (one row) when it shares the units, and a Medusa head block's (one row)."""
    units = channels * layout.layer_phases[0].rows_per_group
    needs = [(p.channel_rounds(channels, 0), rows // row_lanes) for p in layout.layer_phases]
    if head_shares_units(layout):
        needs.append((layout.head.channel_rounds(channels, 0), 1))
    if layout.medusa is not None:  # a Medusa head's block, one row
        needs.append((layout.medusa.channel_rounds(channels, 0), 1))
    return unit_banks(units, needs)


def prepare_format(phases: list) -> str:
    """The format layer_prepare writes the shared activation in: the one whose fields cover
    every reader's (int4: x, int16 xq, chunk scales and group sums; int8: no group sums;
    fp: x alone)."""
    formats = {p.fmt for p in phases}
    for fmt in ("int4", "int8"):
        if fmt in formats:
            return fmt
    return phases[0].fmt
