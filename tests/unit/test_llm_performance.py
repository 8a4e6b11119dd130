"""The LLM decode model (compiler/llm/performance.py): template loops costed by hand, and the
memory caps that no estimate may exceed.

Expected cycle counts below are computed by hand from the estimator's loop rules
(passes/qor/estimator.py: pipelined entry (N - 1)·II + D, sequential entry N·(G + 1) + 1,
fully unrolled loop D + (N - 1)·C + 2) and the template's loops, with the op latencies of
`OPS` (chosen here, so the figures do not move when the op table does).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from llmhls.compiler.llm import performance as perf
from llmhls.compiler.llm.performance import (
    AttentionShape,
    DecodeInputs,
    OpTimes,
    attention_window_loops,
    estimate_decode,
    kv_append_loops,
    top_decode_loops,
)
from llmhls.passes.analysis.costs import op_latency
from llmhls.targets import get_target, target_names

REPO = Path(__file__).resolve().parents[2]
KV_HEADER = REPO / "hls_templates" / "include" / "llmhls_kv_attention.h"
TOP_TEMPLATE = REPO / "hls_templates" / "llm_top.cpp.j2"
OPS = OpTimes(
    fadd=6, fsub=6, fmul=3, fdiv=12, fexp=8, fcmp=1, counter=1, ram_read=2, store=1, maxi_read=64
)
# H 4, KVH 2 (G = 2), T 8, HD 4, C 1, TILE 4; decode at pos 5: 6 visible positions in 2 tiles.
SHAPE = AttentionShape(heads=4, kv_heads=2, context=8, head_dim=4, rows=1, tile=4)
POS = 5


def _for_loops(source: str) -> int:
    return len(re.findall(r"\bfor \(", source))


def test_kv_header_loops_are_all_costed() -> None:
    """Fails when llmhls_kv_attention.h gains or loses a loop the cost mirror does not know."""
    source = KV_HEADER.read_text()
    labels = perf.loop_labels(source)
    assert labels == list(perf.KV_ATTENTION_LABELS)
    assert _for_loops(source) == len(labels) + sum(perf.KV_ATTENTION_UNLABELED.values())
    costed = set(kv_append_loops(SHAPE, POS, 1, OPS)) | set(
        attention_window_loops(SHAPE, POS, 1, OPS)
    )
    assert {label.split(".")[0] for label in costed} == set(labels)
    assert set(perf.KV_ATTENTION_UNLABELED) <= set(labels)


def test_top_template_loops_are_all_costed() -> None:
    """Same for the decode path of llm_top.cpp.j2 (CHUNKS belongs to llm_prefill only)."""
    source = TOP_TEMPLATE.read_text()
    labels = perf.loop_labels(source)
    assert sorted(labels) == sorted(perf.TOP_DECODE_LABELS + perf.TOP_PREFILL_LABELS)
    assert _for_loops(source) == len(labels)
    assert set(top_decode_loops(3, 8, OPS)) == set(perf.TOP_DECODE_LABELS)


def test_kv_append_loops_by_hand() -> None:
    loops = kv_append_loops(SHAPE, POS, 1, OPS)
    # One row written per kv head. dims: HD = 4 iterations, II 1, D = read k_new 2 + store 1:
    # 3 + 3 = 6 per entry, 2 entries.
    assert loops["kv_append_dims"].cycles == 2 * 6
    # rows: 1 iteration of G = 6: 1 * 7 + 1 = 8 per kv head.
    assert loops["kv_append_rows"].cycles == 2 * 8
    # heads: 2 iterations of G = 8: 2 * 9 + 1.
    assert loops["kv_append_heads"].cycles == 19
    # A position past the cache writes nothing (kv_append drops it): only the loop control,
    # rows: 0 iterations, the exit 1 per kv head; heads: 2 * (1 + 1) + 1.
    dropped = kv_append_loops(SHAPE, SHAPE.context, 1, OPS)
    assert dropped["kv_append_dims"].cycles == 0
    assert dropped["kv_append_rows"].cycles == 2 * 1
    assert dropped["kv_append_heads"].cycles == 5


def test_attention_window_loops_by_hand() -> None:
    loops = {
        label: loop.cycles for label, loop in attention_window_loops(SHAPE, POS, 1, OPS).items()
    }
    # Zeroing: TILE x HD = 16 stores, flattened, II 1, D = 1: 15 + 1.
    assert loops["attn_zero_tiles"] == 16
    # acc = 0: per (group, row, head) HD = 4 stores: 3 + 1 = 4; 2 x 1 x 2 entries.
    assert loops["attn_init.dims"] == 4 * 4
    # per (group, row): G = 2 heads of (m/l store 1 + 4): 2 * 6 + 1 = 13.
    assert loops["attn_init.heads"] == 2 * 13
    # per group: 1 row: 1 * 14 + 1 = 15.
    assert loops["attn_init"] == 2 * 15
    # Loads per group: tile 0 16 floats: 15 + (m_axi 64 + store 1) = 80; tile 1 8: 7 + 65 = 72.
    assert loops["attn_load"] == 2 * (80 + 72)
    # Per (group, tile, head): 2 x 2 x 2 = 8 entries of the head loops.
    assert loops["attn_q"] == 8 * (3 + (2 + 1))
    # scores: TILE 4 rows, D = read 2 + fmul 3 + 4 fadd x 6 + scale fmul 3 + store 1 = 33.
    assert loops["attn_scores"] == 8 * (3 + 33)
    # tile max: 4 unrolled compares of 1: 1 + 3 * 1 + 2.
    assert loops["attn_tile_max"] == 8 * 6
    # exp: D = fsub 6 + exp 8 + store 1 = 15.
    assert loops["attn_exp"] == 8 * (3 + 15)
    # tile sum: 4 unrolled fadds of 6: 6 + 3 * 6 + 2.
    assert loops["attn_tile_sum"] == 8 * 26
    # acc: D = read 2 + fmul 3 + 4 fadd x 6 + fadd 6 (acc * alpha + sum) + store 1 = 36.
    assert loops["attn_acc"] == 8 * (3 + 36)
    # heads: body 6 + 36 + 6 + 18 + 26 + 39 = 131 and straight-line alpha / l_run
    # (read 2 + cmp 1 + fsub 6 + exp 8 + fmul 3 + fadd 6 + store 1 = 27): 2 * (158 + 1) + 1.
    assert loops["attn_heads"] == 4 * 319
    # rows: 1 row per (group, tile): 1 * 320 + 1.
    assert loops["attn_rows"] == 4 * 321
    # tiles per group: (80 + 321 + 1) + (72 + 321 + 1) + 1.
    assert loops["attn_tiles"] == 2 * 797
    # out: per head HD 4: 3 + (read 2 + fmul 3 + store 1) = 9; heads: read 2 + div 12 = 14,
    # 2 * (14 + 9 + 1) + 1 = 49; rows: 1 * 50 + 1 = 51.
    assert loops["attn_out_dims"] == 4 * 9
    assert loops["attn_out_heads"] == 2 * 49
    assert loops["attn_out_rows"] == 2 * 51
    # groups: 2 * (15 + 797 + 51 + 1) + 1; the call adds the zeroing.
    assert loops["attn_groups"] == 1729
    assert perf.attention_cycles(SHAPE, POS, 1, OPS) == 16 + 1729


def test_top_loops_by_hand() -> None:
    loops = {label: loop.cycles for label, loop in top_decode_loops(3, 8, OPS).items()}
    assert loops["STEP_ROWS"] == 1 * (1 + 1) + 1
    assert loops["LAYERS"] == 3 * (0 + 1) + 1  # control only: the body is charged per stage
    assert loops["COPY_HIDDEN"] == 3 * (7 + 3)
    assert loops["LAST_ROW"] == 7 + 3


def test_attention_grows_with_the_add_latency() -> None:
    """The HD-deep score chain and TILE-deep V chain are charged per fadd of the op table."""
    slow = OpTimes(**{**OPS.__dict__, "fadd": OPS.fadd + 1})
    extra = perf.attention_cycles(SHAPE, POS, 1, slow) - perf.attention_cycles(SHAPE, POS, 1, OPS)
    # Per head entry (8): scores HD + acc TILE + 1 + tile sum TILE + heads' l_run 1 more cycles.
    per_entry = SHAPE.head_dim + SHAPE.tile + 1 + SHAPE.tile + 1
    assert extra == 8 * per_entry
    assert OpTimes.at(300).fadd == op_latency("arith.addf", 300)


# -- one whole token ----------------------------------------------------------------------------
# Two layers of a tiny decoder: H 2, KVH 1 (G 2), T 2, HD 1, TILE 1, C 1; 4 hidden.
# With HD = TILE = 1 every attn_load entry moves one float.
# Op latencies at 300 MHz, the op table's (passes/analysis/costs.py):
# fadd 6, fsub 6, fmul 3, fdiv 12, exp 8, fcmp 1, on-chip read 2, store 1, m_axi read 64.
TINY = AttentionShape(heads=2, kv_heads=1, context=2, head_dim=1, rows=1, tile=1)
# u280: bundle k on HBM2 channel k, 13.3 GB/s each (Shuhai) = 13.3e9 / 300e6 = 44.33 B a cycle.
POST_BYTES = 13_330  # 13330 / 44.33 = 300.68 cycles: post waits on its channel, not its 200


def _tiny_token() -> DecodeInputs:
    weights = {
        "embed": {"w0": 8},
        "pre": {"w1": 64},
        "post": {"w2": POST_BYTES},
        "head": {"w3": 64},
    }
    stored = {"w0": 16, "w1": 128, "w2": 2 * POST_BYTES, "w3": 64, "kv0": 16, "kv1": 16, "io": 8}
    return DecodeInputs(
        layers=2,
        hidden=4,
        attention=TINY,
        stage_cycles={"embed": 10, "pre": 100, "post": 200, "head": 50},
        weight_bytes=weights,
        logits_bytes={"io": 8},
        kv_bundles=("kv0", "kv1"),
        kv_itemsize=4,
        stored_bytes=stored,
    )


def test_whole_token_decode_estimate_by_hand() -> None:
    """Every stage of a decoded token, averaged over positions 0 and 1, computed on paper.

    kv_append (both positions, one row written): dims 1 iteration, D = read 2 + store 1 = 3;
    rows 3 + 1 * 1 + 1 = 5; heads 5 + 1 * 1 + 1 = 7.
    attention_window, per head run (q 3, scores 2 + 3 + 1 x 6 + 3 + 1 = 15, tile max
    1 + 2 = 3, exp 6 + 8 + 1 = 15, tile sum 6 + 2 = 8, acc 2 + 3 + 1 x 6 + 6 + 1 = 18) = 62,
    alpha and l_run 2 + 1 + 6 + 8 + 3 + 6 + 1 = 27 per head:
      zeroing 1 store: 1. init: dims 2 entries of 1 store = 2, heads 2 + 2 x (1 + 1) + 1 = 7,
      init 7 + 1 + 1 = 9. out: dims 2 entries of read 2 + fmul 3 + store 1 = 12, heads
      12 + 2 x (2 + 12 + 1) + 1 = 43, rows 43 + 1 + 1 = 45.
      pos 0 (1 position, 1 tile, 2 head runs): load 64 + 1 = 65; heads 2 x 62 + 2 x 28 + 1
      = 181; rows 181 + 1 + 1 = 183; tiles 65 + 183 + 1 + 1 = 250;
      groups 9 + 250 + 45 + 1 + 1 = 306; call 1 + 306 = 307.
      pos 1 (2 positions, 2 tiles, 4 head runs): load 2 x 65 = 130; heads 4 x 62 + 4 x 28 + 2
      = 362; rows 362 + 2 + 2 = 366; tiles 130 + 366 + 2 + 1 = 499;
      groups 9 + 499 + 45 + 1 + 1 = 555; call 556. Average (307 + 556) / 2 = 431.5.
    top: STEP_ROWS 1 x (1 + 1) + 1 = 3, LAYERS 2 x 1 + 1 = 3, COPY_HIDDEN 2 entries of 4
    floats (3 + 3) x 2 = 12, LAST_ROW 3 + 3 = 6: 24.
    Token: embed 10 + 2 x (pre 100 + kv_append 7 + attention 431.5 + post) + top 24 + head 50,
    compute alone (post 200): 10 + 2 x 738.5 + 74 = 1561; with post's channel (300.68):
    10 + 2 x 839.18 + 74 = 1762.35.
    """
    decode = estimate_decode(_tiny_token(), get_target("u280"), 300)
    stages = {s["name"]: s for s in decode["stages"]}
    assert {name: s["compute_cycles"] for name, s in stages.items()} == {
        "embed": 10,
        "pre": 100,
        "kv_append": 7,
        "attention": 432,  # 431.5 rounded up
        "post": 200,
        "top": 24,
        "head": 50,
    }
    assert decode["kv_append_cycles_per_layer"] == 7
    assert decode["attention_cycles_per_layer"] == 432  # round(431.5)
    assert stages["post"]["cycles"] == 301 and stages["post"]["limit"] == "channel"
    assert stages["post"]["busiest_bundle"] == "w2"
    assert decode["compute_cycles"] == 1561
    assert decode["decode_cycles"] == 1763  # ceil(1762.35)
    # The channel limits 2 x 300.68 of 1762.35 cycles: compute limits the rest.
    assert decode["bound"] == "compute"
    # Bytes: embed 8 + 2 x pre 64 + 2 x kv_append (K and V rows, 4 B each) 8 + 2 x attention
    # (4 B x visible positions x K and V: 8 at pos 0, 16 at pos 1, average 12) + 2 x post
    # 13330 + head 64 + logits 8 = 26908.
    assert decode["bytes_per_token"] == 26908
    assert decode["weight_bytes_per_token"] == 2 * 64 + 2 * 13330 + 64
    assert decode["kv_bytes_per_token"] == 2 * 8 + 2 * 12
    assert decode["estimated_tokens_per_s"] == pytest.approx(300e6 / 1762.3534, rel=1e-6)
    assert decode["compute_bound_tokens_per_s"] == pytest.approx(300e6 / 1561, rel=1e-6)
    assert decode["channels_used"] == 7  # w0..w3, kv0, kv1, io


def test_attention_load_takes_a_cycle_per_float() -> None:
    loops = attention_window_loops(SHAPE, POS, 1, OpTimes.at(300))
    # Decode at pos 5: 6 visible positions x HD 4 per kv head, tiles of 16 and 8 floats,
    # one float a cycle: (16 - 1) + (64 + 1) = 80 and (8 - 1) + 65 = 72; 2 kv heads.
    assert loops["attn_load"].cycles == 2 * (80 + 72)


# -- memory caps --------------------------------------------------------------------------------
def _inputs(
    cycles: dict[str, int], weights: dict[str, dict[str, int]], layers: int = 2
) -> DecodeInputs:
    """A made-up decoder: the stages' cycles and weight bytes by bundle, a small KV cache."""
    stored: dict[str, int] = {}
    for kind, bundles in weights.items():
        for bundle, size in bundles.items():
            stored[bundle] = size * (layers if kind in ("pre", "post") else 1)
    stored |= {"kv0": 1 << 16, "kv1": 1 << 16, "io": 1024}
    return DecodeInputs(
        layers=layers,
        hidden=8,
        attention=SHAPE,
        stage_cycles=cycles,
        weight_bytes=weights,
        logits_bytes={"io": 1024},
        kv_bundles=("kv0", "kv1"),
        kv_itemsize=4,
        stored_bytes=stored,
    )


def _spread(total: int, bundles: int, first: int = 0) -> dict[str, int]:
    return {f"w{first + i}": total // bundles for i in range(bundles)}


CASES = {
    # Small weights, long stages: compute limits.
    "compute": _inputs(
        {"embed": 10, "pre": 400_000, "post": 400_000, "head": 100_000},
        {"embed": {"w0": 64}, "pre": {"w1": 4096}, "post": {"w2": 4096}, "head": {"w3": 4096}},
    ),
    # One 64 MB array per layer on one bundle: its channel limits.
    "channel": _inputs(
        {"embed": 10, "pre": 1000, "post": 1000, "head": 1000},
        {"embed": {"w0": 64}, "pre": {"w1": 4096}, "post": {"w2": 64 << 20}, "head": {"w3": 4096}},
    ),
    # 40 bundles (more than any part's channels), every one busy.
    "spread": _inputs(
        {"embed": 10, "pre": 1000, "post": 1000, "head": 1000},
        {
            "embed": {"w0": 64},
            "pre": _spread(20 << 20, 13, 1),
            "post": _spread(40 << 20, 13, 14),
            "head": _spread(10 << 20, 13, 27),
        },
    ),
}


@pytest.mark.parametrize("part", target_names())
@pytest.mark.parametrize("case", sorted(CASES))
def test_estimate_never_exceeds_the_used_channels(part: str, case: str) -> None:
    target = get_target(part)
    memory = target.main_memory
    decode = estimate_decode(CASES[case], target, target.clock_mhz)
    carried = decode["estimated_tokens_per_s"] * decode["bytes_per_token"]
    assert decode["channels_used"] <= memory.channels
    assert carried <= decode["channels_used"] * memory.sustained_gbps_per_channel * 1e9
    assert carried <= memory.sustained_total_gbps * 1e9
    assert decode["estimated_tokens_per_s"] <= decode["compute_bound_tokens_per_s"]
    assert decode["roofline_tokens_per_s"] <= decode["peak_roofline_tokens_per_s"]


def test_bound_names_the_limiter() -> None:
    u280 = get_target("u280")
    compute = estimate_decode(CASES["compute"], u280, 300)
    assert compute["bound"] == "compute"
    assert compute["decode_cycles"] == compute["compute_cycles"]
    channel = estimate_decode(CASES["channel"], u280, 300)
    assert channel["bound"] == "channel"
    post = next(s for s in channel["stages"] if s["name"] == "post")
    assert post["limit"] == "channel" and post["busiest_bundle"] == "w2"
    # 64 MiB through one HBM2 channel at 13.3 GB/s (Shuhai) = 13.3e9 / 300e6 B per cycle.
    assert post["cycles"] == math.ceil((64 << 20) / (13.3e9 / 300e6))
    others = sum(
        s["runs_per_token"] * s["cycles"] for s in channel["stages"] if s["name"] != "post"
    )
    assert abs(channel["decode_cycles"] - (2 * post["cycles"] + others)) <= 2  # ceil per stage
    # 64 MiB on each of the 32 channels in both layer stages: 32 x 13.3 = 425.6 GB/s exceeds
    # the measured 425 GB/s over all channels, so once the rest of the token (attention,
    # < 0.1 % here) is small enough, the total and not one channel limits.
    even = {"pre": _spread(32 * (64 << 20), 32, 0), "post": _spread(32 * (64 << 20), 32, 32)}
    spread = _inputs(
        {"embed": 10, "pre": 10, "post": 10, "head": 10},
        {"embed": {"e": 64}, **even, "head": {"h": 64}},
    )
    memory = estimate_decode(spread, u280, 300)
    assert memory["bound"] == "memory"
    assert memory["estimated_tokens_per_s"] == memory["roofline_tokens_per_s"]
    assert memory["channels_used"] == 32


def test_shared_channel_adds_up() -> None:
    """Bundles k and k + channels land on one channel: their bytes queue on it."""
    zcu102 = get_target("zcu102")  # one DDR4 channel
    channels = perf.Channels.assign(["a", "b"], zcu102.main_memory, 200)
    assert channels.channel_of == {"a": 0, "b": 0}
    # 19.2 GB/s at 200 MHz = 96 B per cycle, but one 512-bit port moves 64: b alone is
    # port-bound (6400 / 64), a and b together channel-bound (12800 / 96).
    assert channels.cycles({"b": 6400}) == (100.0, "b")
    assert channels.cycles({"a": 6400, "b": 6400})[0] == pytest.approx(12800 / 96)


def test_capacity_warning_names_the_channel() -> None:
    u280 = get_target("u280")  # 256 MiB per HBM2 pseudo channel
    fits = _inputs(
        {"embed": 1, "pre": 1, "post": 1, "head": 1},
        {"embed": {"e": 113 << 20}, "pre": {}, "post": {}, "head": {}},
    )
    assert estimate_decode(fits, u280, 300)["warnings"] == []
    big = _inputs(
        {"embed": 1, "pre": 1, "post": 1, "head": 1},
        {"embed": {"e": 64}, "pre": {"w": 200 << 20}, "post": {}, "head": {}},
    )
    (warning,) = estimate_decode(big, u280, 300)["warnings"]
    assert "channel 1 (w)" in warning and "400.0 MiB" in warning and "256 MiB" in warning


def test_decode_inputs_read_what_decode_reads() -> None:
    """Embedding: one row; a layer array: its per-layer slice; a shared one: whole; the head
    also writes the output buffer; every buffer's stored bytes in argument order."""
    from types import SimpleNamespace

    import numpy as np

    from llmhls.compiler.llm.build import LlmCompileOptions, WeightArray

    cfg = SimpleNamespace(
        hidden_size=8, num_layers=3, num_heads=4, num_kv_heads=2, head_dim=4, vocab_size=10
    )
    embed = WeightArray("embed_w", "float32", 0, np.zeros(10 * 8, np.float32), bundle="gmem_w0")
    q = WeightArray("pre_q", "int8", 64, np.zeros(3 * 64, np.int8), bundle="gmem_w1")
    rope = WeightArray("pre_rope", "float32", 0, np.zeros(2, np.float32), bundle="gmem_w2")
    head = WeightArray("head_w", "float32", 0, np.zeros(80, np.float32), bundle="gmem_w3")
    builds = [
        SimpleNamespace(
            kind=kind,
            rows=rows,
            build=SimpleNamespace(qor=SimpleNamespace(latency_cycles=100 * rows + i)),
        )
        for i, kind in enumerate(("embed", "pre", "post", "head"))
        for rows in (1, 4)
    ]
    args = [
        {"name": "token", "kind": "scalar", "ctype": "int32_t"},
        *(
            {
                "kind": "buffer",
                "ctype": c,
                "elements": a.value.size,
                "direction": "in",
                "bundle": a.bundle,
            }
            for a, c in ((embed, "float"), (q, "int8_t"), (rope, "float"), (head, "float"))
        ),
        {
            "kind": "buffer",
            "ctype": "float",
            "elements": 3 * 2 * 8 * 4,
            "direction": "inout",
            "bundle": "gmem_kv0",
            "state": "kv",
        },
        {
            "kind": "buffer",
            "ctype": "float",
            "elements": 3 * 2 * 8 * 4,
            "direction": "inout",
            "bundle": "gmem_kv1",
            "state": "kv",
        },
        {
            "kind": "buffer",
            "ctype": "float",
            "elements": 10,
            "direction": "out",
            "bundle": "gmem_io",
        },
    ]
    options = LlmCompileOptions(max_context=8, attention_tile=16)
    inputs = perf.decode_inputs(
        cfg, builds, {"embed": [embed], "pre": [q, rope], "post": [], "head": [head]}, args, options
    )
    assert inputs.weight_bytes == {
        "embed": {"gmem_w0": 8 * 4},
        "pre": {"gmem_w1": 64, "gmem_w2": 2 * 4},
        "post": {},
        "head": {"gmem_w3": 80 * 4},
    }
    assert inputs.logits_bytes == {"gmem_io": 40}
    assert inputs.stage_cycles == {"embed": 100, "pre": 101, "post": 102, "head": 103}
    assert inputs.kv_bundles == ("gmem_kv0", "gmem_kv1") and inputs.kv_itemsize == 4
    assert list(inputs.stored_bytes) == [
        "gmem_w0",
        "gmem_w1",
        "gmem_w2",
        "gmem_w3",
        "gmem_kv0",
        "gmem_kv1",
        "gmem_io",
    ]
    assert inputs.stored_bytes["gmem_w1"] == 3 * 64 and inputs.stored_bytes["gmem_kv0"] == 768
    # The tile is capped at the context, as the top kernel's kTile is.
    assert inputs.attention == AttentionShape(4, 2, 8, 4, 1, 8)
