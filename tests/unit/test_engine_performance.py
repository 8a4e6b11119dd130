"""The decode engine's cycle model: hand-computed loops, and its loop labels follow the template.

Op latencies at 300 MHz from the op table: fadd 6 (4 on LUTs: the fp units' adder trees),
fsub 6, fmul 3, fdiv 12, exp 8, fcmp 1, store 1, the first beat of an m_axi read 64.
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import pytest

from llmhls.compiler.llm.engine import performance
from llmhls.compiler.llm.engine.layout import Phase
from llmhls.compiler.llm.engine.performance import (
    PARTIALS,
    TEMPLATE_LOOPS,
    VEC,
    EngineOps,
    VectorII,
    attention_cycles,
    choose_units,
    choose_vector_ii,
    gemv_cycles,
)
from llmhls.hls_templates import TEMPLATES_DIR

OPS = EngineOps.at(300)


def _llama(hidden_size: int, intermediate_size: int, head_dim: int) -> SimpleNamespace:
    """A llama config of 2 query heads and 1 KV head, as the model functions read it."""
    return SimpleNamespace(
        arch="llama",
        num_heads=2,
        num_kv_heads=1,
        head_dim=head_dim,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
    )


def test_fp32_gemv_by_hand() -> None:
    # 16 rows over 2 channels: 8 rounds each, one block; 32 inputs = 2 words of 16 lanes.
    # Steps: 2 words x 8 rounds = 16. Depth: fmul 3 + a 16-lane fabric tree 4 x 4 + the
    # running sum 6 + store 1 = 26. (16 - 1) x II 1 + 26 = 41.
    assert gemv_cycles(Phase("m", "fp32", 16, 32), 2, OPS) == 41


def test_gemv_counts_a_partial_block_as_a_whole_one() -> None:
    # 18 rows over 2 channels: channel 0 has 9 rounds, 2 blocks; each block steps 8 rounds
    # per word whether its rounds are there or not: 2 x 2 x 8 = 32 steps, 31 + 26 = 57.
    assert gemv_cycles(Phase("m", "fp32", 18, 32), 2, OPS) == 57


def test_attention_by_hand() -> None:
    cfg = SimpleNamespace(num_heads=2, num_kv_heads=1, head_dim=4)
    # pos 1: 2 cache rows of the one KV head. Scores: 64 + fmul 3 + a 4-lane tree 2 x 6 +
    # the scale 3 + max 1 = 83 deep, (2 - 1) + 83 = 84. Values: 64 + fsub 6 + exp 8 + fmul 3
    # + fadd 6 = 87 deep, 88. Out: 2 heads, depth 2 x (the 6 running sums' tree, 3 x 6:
    # a sum comes round every 6 one-cycle iterations) + the reciprocal fdiv 12 + fmul 3 +
    # store 1 = 52, (2 - 1) + 52 = 53. 84 + 88 + 53 = 225.
    assert attention_cycles(cfg, 1, 1, OPS) == 225
    # a row taking 3 cycles from its channel: 2 more per extra row in each pass, and 2
    # running sums (6 / 3) whose trees are 1 x 6 deep: Out 1 + 28 = 29, 86 + 90 + 29
    assert attention_cycles(cfg, 1, 3, OPS) == 205


def test_multi_row_gemv_holds_each_word_for_its_slices() -> None:
    # The phase above (16 steps, depth 26) for 3 rows: one row a cycle holds each word 3
    # cycles, 48 steps, 47 + 26 = 73; 3 rows a cycle, 16 steps again; 4 rows 2 a cycle,
    # 32 steps, 31 + 26 = 57.
    phase = Phase("m", "fp32", 16, 32)
    assert gemv_cycles(phase, 2, OPS, rows=3, row_lanes=1) == 73
    assert gemv_cycles(phase, 2, OPS, rows=3, row_lanes=3) == 41
    assert gemv_cycles(phase, 2, OPS, rows=4, row_lanes=2) == 57


def test_multi_row_attention_by_hand() -> None:
    cfg = SimpleNamespace(num_heads=2, num_kv_heads=1, head_dim=4)
    # A step of 2 rows from position 1: 1 + 2 = 3 cache rows, each held for 2 one-row
    # slices: 6 iterations. Scores (6 - 1) + 83 = 88, values (6 - 1) + 87 = 92, out 2 rows
    # x 2 heads (4 - 1) + 52 = 55: 235. Two rows a cycle: 3 iterations, 85 + 89 + 55 = 229.
    assert attention_cycles(cfg, 1, 1, OPS, rows=2, row_lanes=1) == 235
    assert attention_cycles(cfg, 1, 1, OPS, rows=2, row_lanes=2) == 229


def test_prepare_and_rms_pay_their_depth_once_a_step() -> None:
    cfg = _llama(hidden_size=128, intermediate_size=256, head_dim=64)
    banks = SimpleNamespace(tile=64, gather_ii=1, gather_add_ii=1)
    one, three = (
        performance.vector_segments(cfg, OPS, False, ["fp32"] * 4, banks, steps=steps)
        for steps in (1, 3)
    )
    # The norm before qkv: RMS_SUM and PREPARE take 2 chunks of kVec a row through every
    # row, RMS_ROWS a row a cycle: 2 more rows add 2 x (2 + 2 + 1) cycles, not 2 depths.
    assert three[0] - one[0] == 2 * (2 + 2 + 1)
    # After the last phase, GATHER's residual add runs a row at a time.
    assert three[4] == 3 * one[4]


def test_units_are_the_fewest_row_lanes_within_one_percent_of_the_fastest_that_fit(
    monkeypatch,
) -> None:
    # 8 rows a step; P of 1 and 2 fit the part with the float adds on DSPs, 4 only with
    # them on LUTs, 8 not at all. The step's cycles by P: 1000, 600, 595 (memory-bound
    # from 2 on): 2 is within 1% of 595, so 2 with its adds on DSPs.
    cycles = {1: 1000.0, 2: 600.0, 4: 595.0, 8: 400.0}

    def fits(plan, *_):
        return plan.row_lanes <= 2 or (plan.row_lanes == 4 and plan.float_adds == "fabric")

    monkeypatch.setattr(performance, "fits", fits)
    monkeypatch.setattr(
        performance, "step_cycles", lambda plan, *_: SimpleNamespace(cycles=cycles[plan.row_lanes])
    )
    plan = dataclasses.make_dataclass("Plan", ["rows", "row_lanes", "float_adds"])(8, 1, "dsp")
    assert choose_units(plan, None, None, 300, 4096) == (2, "dsp")
    cycles[4] = 500.0  # now 4 pays: it fits only with the adds on LUTs
    assert choose_units(plan, None, None, 300, 4096) == (4, "fabric")
    monkeypatch.setattr(performance, "fits", lambda plan, *_: False)
    assert choose_units(plan, None, None, 300, 4096) == (1, "dsp")


def test_vector_ii_is_the_fastest_combination_that_fits(monkeypatch) -> None:
    # IIs of 1, 2, 4 for RoPE, the activation and the embedding decode. A combination fits
    # when its IIs add to 6 or more; the step takes 1000 + 10 rope + 2 activation + decode
    # cycles. Fitting with RoPE at 1 needs activation + decode >= 5: (1, 4) costs 1016,
    # (2, 4) 1018, (4, 1) 1019, so (1, 1, 4); with nothing fitting, every loop at II 4.
    def fits(plan, *_):
        return sum(dataclasses.astuple(plan.vector_ii)) >= 6

    def cycles(plan, *_):
        ii = plan.vector_ii
        return SimpleNamespace(cycles=1000 + 10 * ii.rope + 2 * ii.activation + ii.decode)

    monkeypatch.setattr(performance, "fits", fits)
    monkeypatch.setattr(performance, "step_cycles", cycles)
    plan = dataclasses.make_dataclass("Plan", ["vector_ii"])(VectorII())
    assert choose_vector_ii(plan, None, None, 300, 4096) == VectorII(1, 1, 4)
    monkeypatch.setattr(performance, "fits", lambda *_: False)
    assert choose_vector_ii(plan, None, None, 300, 4096) == VectorII(4, 4, 4)


def test_a_loop_at_ii_two_takes_half_the_operators() -> None:
    cfg = _llama(hidden_size=64, intermediate_size=128, head_dim=4)
    layout = SimpleNamespace(
        layer_phases=[Phase("m", "fp32", 64, 64)],
        head=Phase("head", "fp32", 64, 64),
        lookup=Phase("head", "fp32", 64, 64),
        medusa=None,
    )
    plan = SimpleNamespace(
        layout=layout,
        channels=2,
        rows=1,
        row_lanes=1,
        attention_row_ii=2,
        vector_ii=VectorII(),
        chip_proposals=False,
    )
    full = performance.vector_operators(cfg, plan, 300)
    plan.vector_ii = VectorII(rope=2, activation=2)
    half = performance.vector_operators(cfg, plan, 300)
    # RoPE: 32 pairs x 4 products -> 16 x 4; SILU: 64 products, divisions, exps -> 32
    assert full["fmul"] - half["fmul"] == 64 + 32
    assert full["fdiv"] - half["fdiv"] == 32
    assert full["exp"] - half["exp"] == 32


def test_model_loops_are_the_templates_loops() -> None:
    text = (TEMPLATES_DIR / "include" / "llmhls_engine.h").read_text()
    text += (TEMPLATES_DIR / "llm_engine.cpp.j2").read_text()
    labels = set(re.findall(r"^\s*([A-Z][A-Z_]+):\s*$", text, re.MULTILINE))
    assert labels == set(TEMPLATE_LOOPS)


def test_model_constants_are_the_headers() -> None:
    header = (TEMPLATES_DIR / "include" / "llmhls_engine.h").read_text()
    assert f"constexpr int kVec = {VEC};" in header
    assert f"constexpr int kPartials = {PARTIALS};" in header


def test_a_phase_longer_than_the_fifo_leaves_it_empty_not_in_debt() -> None:
    """The loader FIFO between passes: a memory-bound phase of more words than the FIFO
    holds ends with nothing buffered (the next phase owes nothing), a compute-bound one
    with the FIFO full, and a fully buffered phase takes its own steps."""
    # 14,900 words at 0.75 a cycle, 4,096 buffered, 10,000 steps: memory-bound, then empty
    duration, fill = performance.stream_phase(4096, 10000, 14900, 0.75, 4096)
    assert duration == pytest.approx((14900 - 4096) / 0.75) and fill == pytest.approx(0)
    # 1,000 words over 4,000 steps: the loader fills the FIFO meanwhile
    assert performance.stream_phase(0, 4000, 1000, 0.75, 4096) == (4000, 2000)
    assert performance.stream_phase(3000, 8000, 1000, 0.75, 4096) == (8000, 4096)
    # all 500 words buffered: the phase's own 600 steps
    assert performance.stream_phase(4096, 600, 500, 0.75, 4096) == (600, 4046)
