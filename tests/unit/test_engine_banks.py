"""The units' output banks and the tiles that drain them (compiler/llm/engine/banks.py), by hand."""

from __future__ import annotations

from llmhls.compiler.llm.engine.banks import stream_logits, unit_banks
from llmhls.compiler.llm.engine.performance import EngineOps, gather_cycles

OPS = EngineOps.at(300)


def test_thirty_units_split_two_ways() -> None:
    # 30 units (30 HBM channels, one row a word): split 1 gives 30 banks and a tile of
    # lcm(30, 64) = 960 reading each bank 32 times (II 16); split 2 gives 60 banks, the
    # same tile reading each 16 times: II 8; the 64 vector banks take 15 writes each (8),
    # or 15 reads and 15 writes when adding into the residual (15).
    banks = unit_banks(30, [(16, 16), (52, 16), (820, 1)])
    assert (banks.split, banks.tile, banks.gather_ii, banks.gather_add_ii) == (2, 960, 8, 15)
    # slot s of slice k at (s / 2) x slices + k: 52 slots x 16 slices -> 26 x 16 = 416;
    # the head's 820 slots of one row -> 410
    assert banks.depth == 416
    # logits: lcm(60, 16) = 240 floats, 15 beats, 4 reads a bank: II 15
    assert (banks.logits_tile, banks.logits_ii) == (240, 15)


def test_sixty_units_need_no_split() -> None:
    banks = unit_banks(60, [(16, 1)])  # int4: two rows a word
    assert (banks.split, banks.tile, banks.gather_ii, banks.gather_add_ii) == (1, 960, 8, 15)


def test_four_ddr_units_split_to_a_vector_bank_each_read_twice() -> None:
    # 4 units: split 8 -> 32 banks; tile lcm(32, 64) = 64 reads each twice (II 1), writes
    # each vector bank once (II 1); split 4 would read each 4 times (II 2).
    banks = unit_banks(4, [(10, 1)])
    assert (banks.split, banks.tile, banks.gather_ii, banks.gather_add_ii) == (8, 64, 1, 1)


def test_stream_logits_read_each_stream_once_a_cycle() -> None:
    # 60 streams, 240 floats: 4 reads a stream, 15 beats: II 15; 30 streams: 8 reads, 15
    assert stream_logits(60) == (240, 15)
    assert stream_logits(30) == (240, 15)


def test_gather_by_hand() -> None:
    banks = unit_banks(30, [(52, 16)])
    # 3072 results: 4 tiles of 960 at II 8, depth BRAM read 2 + store 1: (4 - 1) x 8 + 3
    assert gather_cycles(3072, banks, OPS) == 27
    # into the residual: 576 results, one tile: depth 2 + (2 + fadd 6) + 1 = 11
    assert gather_cycles(576, banks, OPS, add=True) == 11
