"""The decode rate of an LLM project: cycles per token from the kernels' own loops, capped by
the memory channels each array streams through.

One decoded token runs, one after another (the top kernel `llm_top.cpp.j2` calls them in
sequence): the `embed` stage, per layer `layer_pre`, `kv_append`, `attention_window`,
`layer_post` and the top's `COPY_HIDDEN` copy, then the top's `LAST_ROW` copy and the `head`.

* embed / pre / post / head come out of the MLIR flow: their compute cycles are the stages'
  QoR estimates (`passes/qor/estimator.py`, `reports/<stage>.md`).
* `kv_append` and `attention_window` (`hls_templates/include/llmhls_kv_attention.h`) and the
  top's own loops are hand-written C++. llmhls has no C++ front end (its flow starts from a
  PyTorch graph with static shapes, while these loops run over the run-time position `pos`
  and keep the cache across calls), so they cannot go through the estimator: they are
  mirrored here loop by loop, one line per loop of the template under its label, with the
  estimator's loop rules (`passes/qor/estimator.py` notation) and op latencies from
  `passes/analysis/costs.py`. `tests/unit/test_llm_performance.py` fails when a template
  gains or loses a loop this mirror does not know.

Memory caps. Each m_axi bundle is meant to sit on its own channel of the part's main memory
(bundle k → channel k mod channels, the `sp=` mapping of UG1393); a bundle moves at most
min(max_widen_bitwidth x clock, the channel's sustained GB/s) and a channel at most its
sustained GB/s (`llmhls/data/targets.json`). Stages run one after another, so

    decode cycles = Σ stages runs x max(compute cycles, busiest channel's bytes / bytes per cycle)
    token time    = max(decode cycles / clock, bytes per token / sustained total GB/s).

Figures are averaged over positions 0 .. max_context - 1 of a full-context generation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from llmhls.passes.analysis.costs import (
    BRAM_READ_LATENCY,
    BRAM_WRITE_LATENCY,
    MAXI_READ_LATENCY,
    MAXI_WIDEN_BITS,
    op_latency,
    scale_cycles,
)
from llmhls.project import DTYPES
from llmhls.targets import MemorySpec, Target

if TYPE_CHECKING:
    from llmhls.compiler.llm.build import LlmCompileOptions, StageBuild, WeightArray
    from llmhls.compiler.llm.source import LlmConfig

# Loops of the templates this module mirrors. Inner loops without a label are costed inside
# their labelled parent's line (flattened or unrolled into it, or as named sub-lines).
KV_ATTENTION_LABELS = (
    "kv_append_heads",
    "kv_append_rows",
    "kv_append_dims",
    "attn_zero_tiles",
    "attn_groups",
    "attn_init",
    "attn_tiles",
    "attn_load",
    "attn_rows",
    "attn_heads",
    "attn_q",
    "attn_scores",
    "attn_tile_max",
    "attn_exp",
    "attn_tile_sum",
    "attn_acc",
    "attn_out_rows",
    "attn_out_heads",
    "attn_out_dims",
)
KV_ATTENTION_UNLABELED = {"attn_zero_tiles": 1, "attn_init": 2, "attn_scores": 1, "attn_acc": 1}
TOP_DECODE_LABELS = ("STEP_ROWS", "LAYERS", "COPY_HIDDEN", "LAST_ROW")
TOP_PREFILL_LABELS = ("CHUNKS",)  # llm_prefill only: not on the decode path
_LABEL = re.compile(r"^\s*([A-Za-z_]\w*):\s*$", re.MULTILINE)
_ITEMSIZE = {d.ctype: np.dtype(d.numpy).itemsize for d in DTYPES.values()}


def loop_labels(source: str) -> list[str]:
    """The loop labels (`name:` alone on a line) of a C++ source or template, in order."""
    return _LABEL.findall(source)


@dataclass(frozen=True)
class OpTimes:
    """Latencies the template's loops are built from, at one clock (costs.py is the source)."""

    fadd: int
    fsub: int
    fmul: int
    fdiv: int
    fexp: int
    fcmp: int
    counter: int  # integer add of a loop-carried counter
    ram_read: int
    store: int  # on-chip or m_axi store, as the estimator charges it
    maxi_read: int  # first beat of an m_axi burst

    @classmethod
    def at(cls, clock_mhz: float) -> OpTimes:
        return cls(
            fadd=op_latency("arith.addf", clock_mhz),
            fsub=op_latency("arith.subf", clock_mhz),
            fmul=op_latency("arith.mulf", clock_mhz),
            fdiv=op_latency("arith.divf", clock_mhz),
            fexp=op_latency("math.exp", clock_mhz),
            fcmp=op_latency("arith.cmpf", clock_mhz),
            counter=op_latency("arith.addi", clock_mhz),
            ram_read=BRAM_READ_LATENCY,
            store=BRAM_WRITE_LATENCY,
            maxi_read=scale_cycles(MAXI_READ_LATENCY, clock_mhz),
        )


@dataclass(frozen=True)
class LoopCost:
    """One loop of a template over one call: all its entries and iterations together."""

    label: str
    entries: int  # times the loop starts in one call
    iterations: int  # over all entries
    cycles: int  # over all entries
    ii: int | None = None  # pipelined loops
    depth: int = 0  # pipelined: one iteration's latency; sequential: its straight-line ops


def _pipelined(label: str, entries: int, iterations: int, ii: int, depth: int) -> LoopCost:
    """Σ over entries of (N - 1)·II + D: the estimator's pipelined-loop latency."""
    if entries and iterations < entries:
        raise ValueError(f"{label}: a pipelined entry without iterations")
    cycles = (iterations - entries) * ii + entries * depth
    return LoopCost(label, entries, iterations, cycles, ii, depth)


def _sequential(
    label: str, entries: int, iterations: int, body: int, straight: int = 0
) -> LoopCost:
    """Σ over entries of N·(G + 1) + 1, G = straight-line ops + inner loops (estimator rule)."""
    cycles = body + iterations * (straight + 1) + entries
    return LoopCost(label, entries, iterations, cycles, None, straight)


def _unrolled(label: str, entries: int, copies: int, first: int, chain: int) -> LoopCost:
    """A fully unrolled loop: one group of depth first + (copies - 1)·chain, + 2 (estimator)."""
    cycles = entries * (first + (copies - 1) * chain + 2)
    return LoopCost(label, entries, entries * copies, cycles, None, first + (copies - 1) * chain)


def _total(loops: dict[str, LoopCost], *labels: str) -> int:
    return sum(loops[label].cycles for label in labels)


@dataclass(frozen=True)
class AttentionShape:
    """The template parameters of kv_append / attention_window (see the header)."""

    heads: int  # H
    kv_heads: int  # KVH
    context: int  # T
    head_dim: int  # HD
    rows: int  # C
    tile: int  # TILE

    @property
    def group(self) -> int:
        return self.heads // self.kv_heads


def _visible(position: int, context: int) -> int:
    """kv_detail::visible_len: positions a query at `position` sees, clipped to [0, T]."""
    return min(max(position + 1, 0), context)


def kv_append_loops(s: AttentionShape, pos: int, n_valid: int, op: OpTimes) -> dict[str, LoopCost]:
    """kv_append's loops for one call (one layer).

    Rows [first, last) are written; each writes HD floats of K and of V, one of each per cycle
    on their own bundles (II = 1: no recurrence, one m_axi write and one on-chip read per
    array per iteration; the depth is the on-chip read of k_new plus the store).
    """
    rows = min(max(n_valid, 0), s.rows)
    first = -pos if pos < 0 else 0
    last = min(rows, s.context - pos)
    written = max(0, last - first)
    visited = min(first, s.rows) + written  # rows skipped by `continue` still take an iteration
    loops: dict[str, LoopCost] = {}
    heads = s.kv_heads
    loops["kv_append_dims"] = _pipelined(
        "kv_append_dims", heads * written, heads * written * s.head_dim, 1, op.ram_read + op.store
    )
    loops["kv_append_rows"] = _sequential(
        "kv_append_rows", heads, heads * visited, _total(loops, "kv_append_dims")
    )
    loops["kv_append_heads"] = _sequential(
        "kv_append_heads", 1, heads, _total(loops, "kv_append_rows")
    )
    return loops


def attention_window_loops(
    s: AttentionShape, pos: int, n_valid: int, op: OpTimes
) -> dict[str, LoopCost]:
    """attention_window's loops for one call (one layer), innermost first.

    Every pipelined loop of the template reaches II = 1 by construction: no value is carried
    from one iteration to the next (the dot product and the V sum are chains inside one
    iteration; `acc[c][hh][d]` moves with d; attn_load's counters carry one integer add), and
    every array is partitioned so that each bank sees one access a cycle. attn_load reads one
    float of K and one of V per cycle from their bundles: a burst of up to TILE*HD elements
    whose first beat costs the m_axi latency. Integer bookkeeping between loops (tile bounds,
    the causal n_see) is not charged: a few cycles per tile against hundreds.
    """
    hd, tile, group, kvh = s.head_dim, s.tile, s.group, s.kv_heads
    rows = min(max(n_valid, 0), s.rows)
    n_pos = 0 if rows == 0 else _visible(pos + rows - 1, s.context)
    n_tiles = -(-n_pos // tile)
    # (row, tile) pairs whose tile holds a position the row may see: row c sees ceil(v_c/TILE).
    active = sum(-(-_visible(pos + c, s.context) // tile) for c in range(rows))
    heads_run = kvh * active * group  # entries of every loop inside attn_heads
    loops: dict[str, LoopCost] = {}
    # k_tile/v_tile = 0: a perfect nest with constant bounds, flattened by Vitis (UG1399
    # loop_flatten), one store per bank per cycle.
    loops["attn_zero_tiles"] = _pipelined("attn_zero_tiles", 1, tile * hd, 1, op.store)
    # attn_init: acc = 0 over d (pipelined, unlabelled), m_run/l_run stores per head (unlabelled).
    loops["attn_init.dims"] = _pipelined(
        "attn_init.dims", kvh * s.rows * group, kvh * s.rows * group * hd, 1, op.store
    )
    loops["attn_init.heads"] = _sequential(
        "attn_init.heads",
        kvh * s.rows,
        kvh * s.rows * group,
        _total(loops, "attn_init.dims"),
        op.store,
    )
    loops["attn_init"] = _sequential(
        "attn_init", kvh, kvh * s.rows, _total(loops, "attn_init.heads")
    )
    # PIPELINE II = 1 in the template: one K and one V float a cycle.
    loops["attn_load"] = _pipelined(
        "attn_load", kvh * n_tiles, kvh * n_pos * hd, 1, op.maxi_read + op.store
    )
    loops["attn_q"] = _pipelined("attn_q", heads_run, heads_run * hd, 1, op.ram_read + op.store)
    # One tile row per cycle: HD products, an HD-deep fadd chain, the scale, a register store.
    loops["attn_scores"] = _pipelined(
        "attn_scores",
        heads_run,
        heads_run * tile,
        1,
        op.ram_read + op.fmul + hd * op.fadd + op.fmul + op.store,
    )
    loops["attn_tile_max"] = _unrolled("attn_tile_max", heads_run, tile, op.fcmp, op.fcmp)
    loops["attn_exp"] = _pipelined(
        "attn_exp", heads_run, heads_run * tile, 1, op.fsub + op.fexp + op.store
    )
    loops["attn_tile_sum"] = _unrolled("attn_tile_sum", heads_run, tile, op.fadd, op.fadd)
    # One d per cycle: TILE products of p and V, a TILE-deep fadd chain, + acc * alpha.
    loops["attn_acc"] = _pipelined(
        "attn_acc",
        heads_run,
        heads_run * hd,
        1,
        op.ram_read + op.fmul + tile * op.fadd + op.fadd + op.store,
    )
    # Per head: alpha = exp(m_old - m_new), then l_run = l_run * alpha + l_tile.
    alpha_and_l = op.ram_read + op.fcmp + op.fsub + op.fexp + op.fmul + op.fadd + op.store
    loops["attn_heads"] = _sequential(
        "attn_heads",
        kvh * active,
        heads_run,
        _total(
            loops, "attn_q", "attn_scores", "attn_tile_max", "attn_exp", "attn_tile_sum", "attn_acc"
        ),
        alpha_and_l,
    )
    loops["attn_rows"] = _sequential(
        "attn_rows", kvh * n_tiles, kvh * n_tiles * rows, _total(loops, "attn_heads")
    )
    loops["attn_tiles"] = _sequential(
        "attn_tiles", kvh, kvh * n_tiles, _total(loops, "attn_load", "attn_rows")
    )
    outputs = kvh * s.rows * group
    loops["attn_out_dims"] = _pipelined(
        "attn_out_dims", outputs, outputs * hd, 1, op.ram_read + op.fmul + op.store
    )
    loops["attn_out_heads"] = _sequential(
        "attn_out_heads",
        kvh * s.rows,
        outputs,
        _total(loops, "attn_out_dims"),
        op.ram_read + op.fdiv,
    )
    loops["attn_out_rows"] = _sequential(
        "attn_out_rows", kvh, kvh * s.rows, _total(loops, "attn_out_heads")
    )
    loops["attn_groups"] = _sequential(
        "attn_groups", 1, kvh, _total(loops, "attn_init", "attn_tiles", "attn_out_rows")
    )
    return loops


def attention_cycles(s: AttentionShape, pos: int, n_valid: int, op: OpTimes) -> int:
    """One attention_window call: zeroing the tiles, then the kv-head groups."""
    return _total(attention_window_loops(s, pos, n_valid, op), "attn_zero_tiles", "attn_groups")


def kv_append_cycles(s: AttentionShape, pos: int, n_valid: int, op: OpTimes) -> int:
    return kv_append_loops(s, pos, n_valid, op)["kv_append_heads"].cycles


def top_decode_loops(layers: int, hidden: int, op: OpTimes) -> dict[str, LoopCost]:
    """The loops of llm_top.cpp.j2's decode step (C = 1) outside the stage calls."""
    loops = {
        "STEP_ROWS": _sequential("STEP_ROWS", 1, 1, 0, op.store),
        # LAYERS's control only; its body (the stages and COPY_HIDDEN) is charged per stage.
        "LAYERS": _sequential("LAYERS", 1, layers, 0),
        "COPY_HIDDEN": _pipelined(
            "COPY_HIDDEN", layers, layers * hidden, 1, op.ram_read + op.store
        ),
        "LAST_ROW": _pipelined("LAST_ROW", 1, hidden, 1, op.ram_read + op.store),
    }
    return loops


# -- memory channels ------------------------------------------------------------------------
@dataclass(frozen=True)
class Channels:
    """Which channel of `memory` each bundle lands on, and what a bundle/channel moves a cycle."""

    memory: MemorySpec
    clock_mhz: float
    channel_of: dict[str, int]

    @classmethod
    def assign(cls, bundles: Iterable[str], memory: MemorySpec, clock_mhz: float) -> Channels:
        """Bundle k (in kernel-argument order) on channel k mod channels."""
        order = list(dict.fromkeys(bundles))
        return cls(memory, clock_mhz, {b: i % memory.channels for i, b in enumerate(order)})

    @property
    def channel_bytes_per_cycle(self) -> float:
        return self.memory.bytes_per_cycle_per_channel(self.clock_mhz)

    @property
    def port_bytes_per_cycle(self) -> float:
        """One bundle: its widened port (max_widen_bitwidth) or its channel, whichever is less."""
        return min(MAXI_WIDEN_BITS / 8, self.channel_bytes_per_cycle)

    def cycles(self, bundle_bytes: dict[str, float]) -> tuple[float, str | None]:
        """Cycles the busiest channel (or port) needs for `bundle_bytes`, and its bundle."""
        per_channel: dict[int, float] = {}
        for bundle, size in bundle_bytes.items():
            channel = self.channel_of[bundle]
            per_channel[channel] = per_channel.get(channel, 0.0) + size
        best, where = 0.0, None
        for bundle, size in bundle_bytes.items():
            cycles = max(
                size / self.port_bytes_per_cycle,
                per_channel[self.channel_of[bundle]] / self.channel_bytes_per_cycle,
            )
            if cycles > best:
                best, where = cycles, bundle
        return best, where


# -- the decode model -----------------------------------------------------------------------
@dataclass(frozen=True)
class DecodeInputs:
    """What the decode model reads, independent of how the stages were built (tests make it)."""

    layers: int
    hidden: int
    attention: AttentionShape
    stage_cycles: dict[str, int]  # embed / pre / post / head: QoR latency of one run
    weight_bytes: dict[str, dict[str, int]]  # the same stages: weight bytes per run by bundle
    logits_bytes: dict[str, int]  # written by the head, by bundle
    kv_bundles: tuple[str, str]  # K cache, V cache
    kv_itemsize: int
    stored_bytes: dict[str, int]  # every bundle of the decode kernel, in argument order: bytes


PER_LAYER = ("pre", "kv_append", "attention", "post")
STAGE_ORDER = ("embed", "pre", "kv_append", "attention", "post", "top", "head")


def _stage_loads(inputs: DecodeInputs, pos: int, op: OpTimes) -> dict[str, tuple[int, dict]]:
    """Stage → (compute cycles of one run, bytes of one run by bundle) at position `pos`."""
    s = inputs.attention
    kv_row = s.kv_heads * s.head_dim * inputs.kv_itemsize  # one position of K (or V), all heads
    appended = kv_row if 0 <= pos < s.context else 0
    top = top_decode_loops(inputs.layers, inputs.hidden, op)
    return {
        "embed": (inputs.stage_cycles["embed"], inputs.weight_bytes["embed"]),
        "pre": (inputs.stage_cycles["pre"], inputs.weight_bytes["pre"]),
        "kv_append": (
            kv_append_cycles(s, pos, 1, op),
            dict.fromkeys(inputs.kv_bundles, appended),
        ),
        "attention": (
            attention_cycles(s, pos, 1, op),
            dict.fromkeys(inputs.kv_bundles, kv_row * _visible(pos, s.context)),
        ),
        "post": (inputs.stage_cycles["post"], inputs.weight_bytes["post"]),
        "top": (sum(loop.cycles for loop in top.values()), {}),
        "head": (
            inputs.stage_cycles["head"],
            _merge(inputs.weight_bytes["head"], inputs.logits_bytes),
        ),
    }


def _merge(*parts: dict[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in parts:
        for bundle, size in part.items():
            merged[bundle] = merged.get(bundle, 0) + size
    return merged


@dataclass
class _StageSum:
    """One stage's figures summed over the positions (divided by their count at the end)."""

    runs: int
    compute: float = 0.0
    channel: float = 0.0
    cycles: float = 0.0
    bytes: float = 0.0
    busiest: str | None = None


def estimate_decode(inputs: DecodeInputs, target: Target, clock_mhz: float) -> dict[str, Any]:
    """Cycles, bytes and tokens/s of one decoded token, averaged over a full-context generation."""
    op = OpTimes.at(clock_mhz)
    memory = target.main_memory
    channels = Channels.assign(inputs.stored_bytes, memory, clock_mhz)
    positions = range(inputs.attention.context)
    sums = {name: _StageSum(inputs.layers if name in PER_LAYER else 1) for name in STAGE_ORDER}
    limited = {"compute": 0.0, "channel": 0.0}  # token cycles spent where each one limits
    used: set[int] = set()
    for pos in positions:
        for name, (compute, bundle_bytes) in _stage_loads(inputs, pos, op).items():
            row = sums[name]
            channel, busiest = channels.cycles(bundle_bytes)
            row.compute += compute
            row.channel += channel
            row.cycles += max(compute, channel)
            row.bytes += sum(bundle_bytes.values())
            row.busiest = row.busiest or busiest
            limited["channel" if channel > compute else "compute"] += row.runs * max(
                compute, channel
            )
            used.update(channels.channel_of[b] for b, size in bundle_bytes.items() if size)
    n = len(positions)
    cycles = sum(row.runs * row.cycles for row in sums.values()) / n
    compute = sum(row.runs * row.compute for row in sums.values()) / n
    per_token = sum(row.runs * row.bytes for row in sums.values()) / n
    hz = clock_mhz * 1e6
    channel_rate = hz / cycles
    roofline = memory.sustained_total_gbps * 1e9 / per_token
    if roofline <= channel_rate:
        bound = "memory"
    else:
        bound = "channel" if limited["channel"] > limited["compute"] else "compute"
    weights = sum(sum(inputs.weight_bytes[k].values()) * sums[k].runs for k in ("pre", "post"))
    weights += sum(inputs.weight_bytes["head"].values())
    return {
        "bytes_per_token": int(per_token),
        "weight_bytes_per_token": int(weights),
        "embed_bytes_per_token": int(sum(inputs.weight_bytes["embed"].values())),
        "kv_bytes_per_token": int(
            sum(sums[k].runs * sums[k].bytes for k in ("kv_append", "attention")) / n
        ),
        "logits_bytes_per_token": int(sum(inputs.logits_bytes.values())),
        "decode_cycles": math.ceil(cycles),
        "compute_cycles": math.ceil(compute),
        "attention_cycles_per_layer": round(sums["attention"].compute / n),
        "kv_append_cycles_per_layer": round(sums["kv_append"].compute / n),
        "compute_bound_tokens_per_s": _down(hz / compute),
        "channel_bound_tokens_per_s": _down(channel_rate),
        "memory": memory.kind,
        "memory_gbps": memory.sustained_total_gbps,
        "peak_memory_gbps": memory.total_gbps,
        "channel_gbps": memory.sustained_gbps_per_channel,
        "channels": memory.channels,
        "channels_used": len(used),
        "roofline_tokens_per_s": _down(roofline),
        "peak_roofline_tokens_per_s": _down(memory.total_gbps * 1e9 / per_token),
        "estimated_tokens_per_s": _down(min(channel_rate, roofline)),
        "bound": bound,
        "stages": [
            {
                "name": name,
                "runs_per_token": row.runs,
                "compute_cycles": math.ceil(row.compute / n),
                "channel_cycles": math.ceil(row.channel / n),
                "cycles": math.ceil(row.cycles / n),
                "bytes": int(row.bytes / n),
                "busiest_bundle": row.busiest,
                "limit": "channel" if row.channel > row.compute else "compute",
            }
            for name, row in sums.items()
        ],
        "attention_loops": _average_loops(inputs.attention, op),
        "warnings": _capacity_warnings(inputs.stored_bytes, channels),
    }


def _down(rate: float) -> float:
    """A rate rounded down to 3 decimals: an estimate is never rounded above its bound."""
    return math.floor(rate * 1000) / 1000


def _average_loops(s: AttentionShape, op: OpTimes) -> dict[str, int]:
    """Cycles per layer of each kv_append / attention_window loop, averaged over the positions."""
    totals: dict[str, int] = {}
    for pos in range(s.context):
        loops = kv_append_loops(s, pos, 1, op) | attention_window_loops(s, pos, 1, op)
        for label, loop in loops.items():
            totals[label] = totals.get(label, 0) + loop.cycles
    return {label: round(total / s.context) for label, total in totals.items()}


def _capacity_warnings(stored: dict[str, int], channels: Channels) -> list[str]:
    """One line per channel whose arrays exceed what the channel holds."""
    capacity = channels.memory.capacity_mb_per_channel
    held: dict[int, list[str]] = {}
    for bundle in stored:
        held.setdefault(channels.channel_of[bundle], []).append(bundle)
    lines = []
    for channel, bundles in sorted(held.items()):
        mib = sum(stored[b] for b in bundles) / 2**20
        if mib > capacity:
            lines.append(
                f"{channels.memory.kind} channel {channel} ({', '.join(bundles)}) holds "
                f"{mib:,.1f} MiB, more than its {capacity:g} MiB"
            )
    return lines


# -- build.py's entry -------------------------------------------------------------------------
def decode_inputs(
    cfg: LlmConfig,
    builds: list[StageBuild],
    stage_arrays: dict[str, list[WeightArray]],
    decode_args: list[dict],
    options: LlmCompileOptions,
) -> DecodeInputs:
    """The model's inputs from a compiled project: stage QoR, weight arrays, kernel arguments.

    A per-layer array is read once per run (its per-layer slice) and a shared one whole,
    except the embedding tables, of which one row per token is read; the head writes the
    kernel's output buffer (the logits).
    """
    weight_bytes: dict[str, dict[str, int]] = {}
    for kind, arrays in stage_arrays.items():
        weight_bytes[kind] = {}
        for a in arrays:
            if kind == "embed":
                size = cfg.hidden_size * a.value.itemsize
            elif a.per_layer:
                size = a.per_layer * a.value.itemsize
            else:
                size = a.value.nbytes
            weight_bytes[kind] = _merge(weight_bytes[kind], {a.bundle: size})
    buffers = [arg for arg in decode_args if arg["kind"] == "buffer"]
    stored = _merge(*({a["bundle"]: a["elements"] * _ITEMSIZE[a["ctype"]]} for a in buffers))
    kv = [arg["bundle"] for arg in buffers if arg.get("state") == "kv"]
    kv_ctypes = {arg["ctype"] for arg in buffers if arg.get("state") == "kv"}
    logits = {a["bundle"]: stored[a["bundle"]] for a in buffers if a["direction"] == "out"}
    tile = min(options.attention_tile, options.max_context)
    return DecodeInputs(
        layers=cfg.num_layers,
        hidden=cfg.hidden_size,
        attention=AttentionShape(
            cfg.num_heads, cfg.num_kv_heads, options.max_context, cfg.head_dim, 1, tile
        ),
        stage_cycles={b.kind: b.build.qor.latency_cycles for b in builds if b.rows == 1},
        weight_bytes=weight_bytes,
        logits_bytes=logits,
        kv_bundles=(kv[0], kv[1]),
        kv_itemsize=_ITEMSIZE[kv_ctypes.pop()],
        stored_bytes=stored,
    )


def decode_performance(
    cfg: LlmConfig,
    builds: list[StageBuild],
    stage_arrays: dict[str, list[WeightArray]],
    decode_args: list[dict],
    options: LlmCompileOptions,
    target: Target,
    clock_mhz: float,
) -> dict[str, Any]:
    """report.json's `decode`: the estimate, the layer mapping and every assumption's source."""
    inputs = decode_inputs(cfg, builds, stage_arrays, decode_args, options)
    decode = estimate_decode(inputs, target, clock_mhz)
    chunks = -(-options.max_context // min(options.prefill_chunk, options.max_context))
    decode["layer_mapping"] = _layer_mapping(
        cfg, builds, target, options.optimize.utilization, chunks
    )
    decode["assumptions"] = _assumptions(inputs, target, clock_mhz)
    return decode


def _assumptions(inputs: DecodeInputs, target: Target, clock_mhz: float) -> list[str]:
    op = OpTimes.at(clock_mhz)
    memory = target.main_memory
    channels = Channels.assign(inputs.stored_bytes, memory, clock_mhz)
    s = inputs.attention
    return [
        "decode reads every weight once per token, the embedding one row; the head writes "
        "the logits; KV cache float32",
        f"KV bytes and attention cycles averaged over positions 0..{s.context - 1} of a "
        "--max-context generation",
        "embed/pre/post/head cycles: each stage's QoR estimate (reports/<stage>.md), not Vitis",
        "kv_append, attention_window (llmhls_kv_attention.h) and the top's loops: mirrored "
        "loop by loop (compiler/llm/performance.py) with the estimator's loop rules and "
        f"passes/analysis/costs.py latencies at {clock_mhz:g} MHz (fadd {op.fadd}, fmul "
        f"{op.fmul}, exp {op.fexp}, div {op.fdiv}); 1 float of K and of V per cycle, m_axi "
        f"first beat {op.maxi_read} cycles; tile {s.tile} positions",
        f"each m_axi bundle on its own {memory.kind} channel (bundle k on channel k mod "
        f"{memory.channels}), at most min({MAXI_WIDEN_BITS}-bit port x clock, "
        f"{memory.sustained_gbps_per_channel:g} GB/s) = "
        f"{channels.port_bytes_per_cycle:.1f} B/cycle ({memory.bandwidth_basis})",
        "stages run one after another: decode cycles = sum over stages of "
        "max(compute cycles, busiest channel bytes / bytes per cycle)",
        f"roofline: {memory.sustained_total_gbps:g} GB/s sustained over all channels "
        f"({memory.bandwidth_basis}); peak roofline {memory.total_gbps:g} GB/s ({memory.source})",
    ]


def _layer_mapping(
    cfg: LlmConfig, builds: list[StageBuild], target: Target, utilization: float, chunks: int
) -> dict[str, Any]:
    """How many decoder layers could be laid out side by side, and whether that would pay.

    Decode at batch 1 runs the layers one after another (layer l + 1 needs layer
    l's output), so extra spatial copies of the layer cannot speed it up; they only
    overlap prefill chunks (chunk c in layer 2 while chunk c + 1 is in layer 1).
    """
    layer: dict[str, int] = {}
    for stage in builds:
        if stage.kind in ("pre", "post") and stage.rows == max(b.rows for b in builds):
            for key, used in stage.build.qor.resources.items():
                layer[key] = layer.get(key, 0) + used
    available = builds[0].build.qor.available
    fits = min(
        (int(available[key] * utilization) // used for key, used in layer.items() if used),
        default=cfg.num_layers,
    )
    fits = max(0, min(fits, cfg.num_layers))
    return {
        "chosen": "temporal",
        "layer_copies": 1,
        "copies_that_fit": fits,
        "resources_per_layer": layer,
        "why": (
            f"{fits} layer cop{'y fits' if fits == 1 else 'ies fit'} in {utilization:.0%} of "
            f"{target.name}; decode "
            "(batch 1) runs layers in sequence, so copies would not raise tokens/s, and "
            f"prefill could overlap at most {min(fits, chunks)} chunk(s): one layer pipeline, "
            "reused for every layer with its own weights"
            if fits
            else f"one layer already exceeds {utilization:.0%} of {target.name}"
        ),
    }
