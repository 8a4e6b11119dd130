"""The decode engine's cycles and resources per step, loop by loop from its templates.

`llm_engine` runs steps of up to T tokens (one for a decode step, the prefill
chunk for a prompt): the embedding rows, per layer the vector unit's loops (the
activations and RMS sums through all rows in one pipeline, the rest row by row)
and four matrix phases (`gemv_unit`, each weight word serving every row
of the step, P rows a cycle, its results leaving through GATHER), attention over
the KV cache, then the final norm and the LM head for the last token. Every loop
below mirrors one loop of `llmhls_engine.h` / `llm_engine.cpp.j2` (the template is
the reference: a changed loop there must change here,
`tests/unit/test_engine_performance.py` checks the labels), priced with the op
table's latencies at the clock (`OpTimes`, `passes/analysis/op_table.py`) as the
stage model prices its loops:
a pipelined loop of N iterations costs (N - 1) * II + depth.

Memory: a matrix phase cannot run faster than its busiest channel delivers its
words (`MemorySpec.sustained_gbps_per_channel`, measured where published), and
the loaders run ahead by up to a FIFO of words during the vector unit's work,
so a phase's memory time is shortened by what was prefetched. Attention reads
K and V rows from one channel each. The token is also at least all its bytes
over the part's sustained total.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Any

from llmhls.compiler.llm.engine.banks import (
    VEC,
    UnitBanks,
    engine_banks,
    head_shares_units,
    prepare_format,
    stream_logits,
    unit_phases,
)
from llmhls.compiler.llm.engine.layout import WORD_BYTES, WORD_LANES, Phase
from llmhls.compiler.llm.performance import OpTimes, _pipelined
from llmhls.passes.analysis import op_table
from llmhls.passes.analysis.costs import (
    MAXI_ADAPTER,
    MAXI_ADAPTER_BRAM18K_NARROW,
    MAXI_ADAPTER_BRAM18K_WIDE,
    op_latency,
)
from llmhls.targets import Target

PARTIALS = 8  # kPartials
GROUP = 32  # int4 group: PREPARE sums x over each
NARROW_BUNDLES = 4  # gmem_io (tokens, logits), gmem_aux, gmem_k, gmem_v
KV_BYTES = {"float": 4, "uint16_t": 2, "int8_t": 1}  # a KV-cache element, by its C type
KV_SCALE_BYTES = 4  # an int8 cache row's float scale (k_scale / v_scale)


def kv_row_bytes(kv_ctype: str, head_dim: int) -> int:
    """Bytes one cache row (a kv head at a position) takes in memory, its scale included."""
    return head_dim * KV_BYTES[kv_ctype] + (KV_SCALE_BYTES if kv_ctype == "int8_t" else 0)


TEMPLATE_LOOPS = (
    "GEMV",
    "PREPARE",
    "RMS_SUM",
    "RMS_ROWS",
    "LN_SUM",
    "LN_CENTER",
    "LN_SCALE",
    "GELU",
    "ROPE",
    "SILU",
    "RESIDUAL",
    "GATHER",
    "KV_STORE",
    "KV_STORE_ROWS",
    "ATTN_SCORES",
    "ATTN_VALUES",
    "ATTN_OUT",
    "EMBED_READ",
    "DECODE_ROW",
    "LOGITS",
    # a Medusa tree step: the argmax cells, acceptance, the kept path's K/V and state
    # (a row's K|V copied to the stage, a RESIDUAL loop, takes KV_STORE's place and trips)
    "BEST_RESET",
    "BEST_ROW",
    "BEST_RANKS",
    "ACCEPT",
    "KV_KEEP",
    "STATE",
    # the Medusa heads on chip: each head's block, its result and SiLU, their argmax tokens
    "MEDUSA_HEADS",
    "HEAD_CLEAR",
    "HEAD_SILU",
    "PROPOSE",
    # the loaders and the dispatch (the memory side of the model), the token and layer loops
    "DISPATCH",
    "EMBED_META",
    "EMBED_DATA",
    "EMBED_ROWS",
    "AUX_STEPS",
    "AUX_ROWS",
    "AUX_WORDS",
    "AUX_TAKE",
    "STREAM",
    "MEDUSA_STREAM",
    "HEAD_AGAIN",
    "STEPS",
    "LAYERS",
)


def _tree(levels_of: int, latency: int) -> int:
    """Depth of a balanced reduction tree over `levels_of` inputs."""
    return math.ceil(math.log2(levels_of)) * latency if levels_of > 1 else 0


@dataclass(frozen=True)
class EngineOps:
    """Latencies the engine's loops are built from, at one clock."""

    t: OpTimes
    rsqrt: int
    sitofp: int
    imul: int  # int8/int4 x int16 multiply (one DSP48E2)
    iadd: int
    fadd_fabric: int  # the fp units' adder trees (bind_op impl=fabric)

    @classmethod
    def at(cls, clock_mhz: float, float_adds: str = "dsp") -> EngineOps:
        """`float_adds` "fabric": every float add and subtract on LUTs (FLOAT_ADDS)."""
        times = OpTimes.at(clock_mhz)
        fabric = op_table.implementation("arith.addf", "fabric").cycles(clock_mhz)
        if float_adds == "fabric":
            times = dataclasses.replace(times, fadd=fabric, fsub=fabric)
        return cls(
            times,
            op_latency("math.rsqrt", clock_mhz),
            op_latency("arith.sitofp", clock_mhz),
            op_table.find("arith.muli", "i8").cycles(clock_mhz),
            op_latency("arith.addi", clock_mhz),
            fabric,
        )


def unit_depth(phase: Phase, op: EngineOps) -> int:
    """One GEMV step's latency: unpack, multiply, reduce the lanes, scale, accumulate."""
    t = op.t
    if phase.fmt in ("fp32", "fp16"):  # the adder tree on LUTs (FabricAdd)
        return t.fmul + _tree(phase.sub, op.fadd_fabric) + t.fadd + t.store
    lanes = GROUP if phase.fmt == "int4" else phase.sub
    product = op.imul if phase.fmt == "int8" else 2 * max(op.iadd, 1)  # nibble_times: 2 add levels
    integer = product + _tree(lanes, max(op.iadd, 1))
    tail = op.sitofp + 2 * t.fmul + t.fadd  # s * sx * sum (+ m * group sum)
    if phase.fmt == "int4":
        tail += t.fadd  # the word's two groups
    return integer + tail + t.fadd + t.store


def slices(rows: int, row_lanes: int) -> int:
    """Cycles a unit holds a word to serve `rows` rows, `row_lanes` a cycle."""
    return -(-rows // row_lanes)


def gemv_cycles(
    phase: Phase, channels: int, op: EngineOps, rows: int = 1, row_lanes: int = 1
) -> int:
    """GEMV: one flat loop over every block's meta and data steps (blocks of the phase's
    interleave), II = 1, each data word held for the step's row slices."""
    blocks = len(phase.block_sizes(channels, 0))
    il = phase.interleave
    steps = blocks * (phase.meta_words(il) + phase.words * il * slices(rows, row_lanes))
    return _pipelined("GEMV", 1, steps, 1, unit_depth(phase, op)).cycles


def _vec(n: int) -> int:
    return -(-n // VEC)


@dataclass(frozen=True)
class VectorII:
    """IIs of the vector unit's elementwise loops that run once a row and layer (or token):
    at II > 1 each operator serves II of a loop's kVec lanes in turn, so the loop takes II
    times the cycles for 1 / II of the operators (`choose_vector_ii`)."""

    rope: int = 1
    activation: int = 1  # SILU / GELU
    decode: int = 1  # DECODE_ROW, the token's embedding row


def gather_cycles(n: int, banks: UnitBanks, op: EngineOps, add: bool = False) -> int:
    """GATHER: a row's n results from the units' banks, a tile an iteration at the banks' II;
    with `add`, into the residual."""
    t = op.t
    depth = t.ram_read + (t.ram_read + t.fadd if add else 0) + t.store
    ii = banks.gather_add_ii if add else banks.gather_ii
    return _pipelined("GATHER", 1, -(-n // banks.tile), ii, depth).cycles


def prepare_cycles(op: EngineOps, n: int, fmt: str, rows: int, normed: bool = False) -> int:
    """PREPARE of `rows` rows of n elements, all rows in one pipeline (with llama's RMS
    scaling, the int4 group sums and, for int units, each kVec chunk's scale and
    quantization in the same iteration)."""
    t = op.t
    values = t.ram_read + (2 * t.fmul if normed else 0)
    depth = values + t.store
    if fmt in ("int8", "int4"):  # the chunk's max, 32767 / max, x * that, rounded
        depth = values + _tree(VEC, t.fcmp) + t.fdiv + t.fmul + 2 + t.store
    if fmt == "int4":
        depth = max(depth, values + _tree(GROUP, t.fadd) + t.store)
    return _pipelined("PREPARE", 1, rows * _vec(n), 1, depth).cycles


def vector_segments(
    cfg,
    op: EngineOps,
    biases: bool,
    formats: list[str],
    banks: UnitBanks,
    vector_ii: VectorII = VectorII(),
    kv_scaled: bool = False,
    steps: int = 1,
) -> list[int]:
    """Cycles of one layer's vector-unit loops before each of its four matrix phases (of
    `formats`), and after the last (attention apart: it comes before the output projection),
    for a step of `steps` rows. Each phase's results come through GATHER first; the residual
    adds are GATHER's. PREPARE and llama's RMS sums run through the rows in one pipeline
    (`prepare_rows`, `rms_inverse_rows`); every other loop runs once a row."""
    t = op.t
    h, inter = cfg.hidden_size, cfg.intermediate_size
    q = cfg.num_heads * cfg.head_dim
    kv = cfg.num_kv_heads * cfg.head_dim
    rows = {"qkv": q + 2 * kv, "out": h, "mlp": inter * (2 if cfg.arch == "llama" else 1)}
    reduce_tail = _tree(PARTIALS, t.fadd)
    elementwise = t.ram_read + t.fadd + t.store

    def loop(label: str, n: int, depth: int, ii: int = 1) -> int:
        """A row's loop, once for each of the step's rows."""
        return steps * _pipelined(label, 1, _vec(n), ii, depth).cycles

    def rows_loop(label: str, n: int, depth: int) -> int:
        """A loop through every row of the step, n elements a row, at II 1."""
        return _pipelined(label, 1, steps * _vec(n), 1, depth).cycles

    def prepare(n: int, fmt: str, normed: bool = False) -> int:
        return prepare_cycles(op, n, fmt, steps, normed)

    square_sums = t.ram_read + t.fmul + _tree(VEC, t.fadd) + t.fadd  # RMS_SUM's depth
    inverse = reduce_tail + t.fdiv + t.fadd + op.rsqrt  # the partial sums' tree, / H, + eps

    def rms_inverse_rows() -> int:
        """llama: RMS_SUM through the rows, then RMS_ROWS, a row's inverse a cycle."""
        return (
            rows_loop("RMS_SUM", h, square_sums)
            + _pipelined("RMS_ROWS", 1, steps, 1, inverse + t.store).cycles
        )

    def normed_prepare(n: int, fmt: str) -> int:
        """The norm before a phase and its activation: llama scales inside PREPARE;
        GPT-2's LayerNorm runs a row at a time (LN_SUM, LN_CENTER, RMS_SUM, LN_SCALE)."""
        if cfg.arch == "llama":
            return rms_inverse_rows() + prepare(n, fmt, normed=True)
        mean = loop("LN_SUM", h, t.ram_read + _tree(VEC, t.fadd) + t.fadd)
        center = loop("LN_CENTER", h, elementwise)
        sum_of_squares = loop("RMS_SUM", h, square_sums) + steps * inverse
        scale = loop("LN_SCALE", h, elementwise + 2 * t.fmul)
        tails = steps * (reduce_tail + t.fdiv)  # the mean's
        return mean + tails + center + sum_of_squares + scale + prepare(n, fmt)

    def bias(n: int) -> int:
        return loop("RESIDUAL", n, elementwise) if biases else 0

    rope = 0
    if cfg.arch == "llama":
        # the query heads and the key heads after them, kVec / 2 pairs a cycle
        rope = loop("ROPE", q + kv, t.ram_read + t.fmul + t.fadd + t.store, vector_ii.rope)
    if cfg.arch == "llama":
        depth = t.ram_read + t.fexp + t.fadd + t.fdiv + t.fmul + t.store
        activation = loop("SILU", inter, depth, vector_ii.activation)
    else:
        tanh = op_latency("math.tanh", 300)
        depth = t.ram_read + 4 * t.fmul + t.fadd + tanh + t.fmul
        activation = loop("GELU", inter, depth, vector_ii.activation)
    kv_store = steps * kv_store_cycles(cfg, op, kv_scaled)

    def gather(n: int, add: bool = False) -> int:
        return steps * gather_cycles(n, banks, op, add)

    return [
        normed_prepare(h, formats[0]),
        gather(rows["qkv"]) + bias(rows["qkv"]) + rope + kv_store + prepare(q, formats[1]),
        gather(h, add=True) + bias(h) + normed_prepare(h, formats[2]),
        gather(rows["mlp"]) + bias(rows["mlp"]) + activation + prepare(inter, formats[3]),
        gather(h, add=True) + bias(h),
    ]


def attention_partials(row_ii: int, op: EngineOps) -> int:
    """Running sums ATTN_VALUES keeps over positions: an iteration takes ROW_II cycles, so
    a sum revisited every PARTS iterations waits out the fp32 add latency."""
    return max(1, -(-op.t.fadd // row_ii))


def kv_store_cycles(cfg, op: EngineOps, kv_scaled: bool) -> int:
    """kv_store of one layer's K/V rows: KV_STORE, 32 values a cycle, or (int8) KV_STORE_ROWS,
    a kv head's row a cycle: its largest magnitude, the scale, the codes."""
    t = op.t
    if kv_scaled:
        depth = t.ram_read + row_scale_depth(cfg.head_dim, op) + t.fmul + 2 + t.store
        return _pipelined("KV_STORE_ROWS", 1, cfg.num_kv_heads, 1, depth).cycles
    kv = cfg.num_kv_heads * cfg.head_dim
    return _pipelined("KV_STORE", 1, -(-kv // 32), 1, t.ram_read + 2 + t.store).cycles


def row_scale_depth(head_dim: int, op: EngineOps) -> int:
    """row_scale: an int8 cache row's largest magnitude (a tree of compares), then the
    scale and its inverse (dividers side by side)."""
    return _tree(head_dim, op.t.fcmp) + op.t.fdiv


def attention_cycles(
    cfg,
    pos: int,
    row_ii: int,
    op: EngineOps,
    rows: int = 1,
    row_lanes: int = 1,
    kv_scaled: bool = False,
) -> int:
    """ATTN_SCORES / ATTN_VALUES (one cache row and `row_lanes` query rows an iteration,
    every KV head in one pass, II = the cycles a row takes from its channel) and ATTN_OUT
    of one layer, for a step of `rows` query rows from position `pos`. An int8 row is
    dequantized on the way in (cache_row: a step's own rows rounded through row_scale)."""
    t = op.t
    d = cfg.head_dim
    dequantize = row_scale_depth(d, op) + 2 * t.fmul if kv_scaled else 0
    iterations = cfg.num_kv_heads * (pos + rows) * slices(rows, row_lanes)
    scores = _pipelined(
        "ATTN_SCORES",
        1,
        iterations,
        row_ii,
        t.maxi_read + dequantize + t.fmul + _tree(d, t.fadd) + t.fmul + t.fcmp,
    )
    values = _pipelined(
        "ATTN_VALUES",
        1,
        iterations,
        row_ii,
        t.maxi_read + dequantize + t.fsub + t.fexp + t.fmul + t.fadd,
    )
    out = _pipelined(
        "ATTN_OUT",
        1,
        rows * cfg.num_heads,
        1,
        2 * _tree(attention_partials(row_ii, op), t.fadd) + t.fdiv + t.fmul + t.store,
    )
    return scores.cycles + values.cycles + out.cycles


def logits_cycles(layout, channels: int, banks: UnitBanks, op: EngineOps) -> int:
    """LOGITS after the head's last step. On the layers' units the head's results wait in
    their banks and leave a tile of whole beats an iteration; a head with units of its own
    streams its rows to the writer while it runs (head_logits' dataflow), so only the last
    block's rows are left."""
    t = op.t
    head = layout.head
    if head_shares_units(layout):
        trips = -(-head.rows // banks.logits_tile)
        return _pipelined("LOGITS", 1, trips, banks.logits_ii, t.ram_read + t.store).cycles
    units = channels * head.rows_per_group
    tile, ii = stream_logits(units)
    trips = -(-head.interleave * units // tile)
    return _pipelined("LOGITS", 1, trips, ii, t.ram_read + t.store).cycles


def tree_head_lanes(plan) -> int:
    """Rows the LM head's units take a cycle in a tree step: the layers' row lanes when it
    runs on their units, else its own units' (plan.head_lanes)."""
    return plan.row_lanes if head_shares_units(plan.layout) else plan.head_lanes


def best_cycles(plan, op: EngineOps, banks: UnitBanks, rows: int, ranks: int = 0) -> int:
    """BEST_RESET, then for each of `rows` rows BEST_ROW, its argmax over the head's units
    and cells (a cell per accumulator of the units' largest interleave and row slice: the
    layers' units' slices of a step, or the tree's rows on the head's own), or with `ranks`
    BEST_RANKS, its `ranks` best over every cell's kept ranks, one entry an iteration."""
    t = op.t
    layout = plan.layout
    shared = head_shares_units(layout)
    units = banks.units if shared else plan.channels * layout.head.rows_per_group
    row_slices = slices(plan.rows if shared else plan.tree.size, tree_head_lanes(plan))
    layer_units, head_units = unit_phases(layout, plan.chip_proposals)
    cells = max(p.interleave for p in (layer_units if shared else head_units)) * row_slices
    cycles = _pipelined("BEST_RESET", 1, cells, 1, 1 + t.store).cycles
    per_row = units * (cells // row_slices)
    # the running best is a recurrence: a compare and a select an iteration
    recurrence = t.fcmp + 1
    label = "BEST_RANKS" if ranks else "BEST_ROW"
    per_row *= max(ranks, 1)
    cycles += rows * _pipelined(label, 1, per_row, recurrence, t.ram_read + recurrence).cycles
    return cycles


def tree_tail_cycles(plan, cfg, op: EngineOps, banks: UnitBanks, rows: int) -> int:
    """A tree step's end: BEST_RESET, BEST_ROW per node, ACCEPT, KV_KEEP for the longest
    path (the tree's depth + 1 rows, every layer) and STATE."""
    t = op.t
    cycles = best_cycles(plan, op, banks, rows)
    cycles += _pipelined("ACCEPT", 1, rows - 1, 1, t.ram_read + 2).cycles
    store = kv_store_cycles(cfg, op, plan.kv_ctype == "int8_t")
    path = 1 + max(plan.tree.depths)
    cycles += path * cfg.num_layers * store
    cycles += _pipelined("STATE", 1, cfg.hidden_size, 1, t.ram_read + t.store).cycles
    return cycles


def head_block_gap(cfg, op: EngineOps, banks: UnitBanks) -> int:
    """After a Medusa head's block: its results added into a cleared row (HEAD_CLEAR,
    GATHER), then x + SiLU(z + b) an element a cycle (HEAD_SILU)."""
    t = op.t
    h = cfg.hidden_size
    clear = _vec(h) + 1
    silu = t.ram_read + t.fadd + t.fexp + t.fadd + t.fdiv + t.fadd + t.store
    return (
        clear
        + gather_cycles(h, banks, op, add=True)
        + _pipelined("HEAD_SILU", 1, h, 1, silu).cycles
    )


def heads_passes(plan, cfg, op: EngineOps, banks: UnitBanks, tail: int) -> list[tuple]:
    """A tree step's Medusa heads on chip, as (phase, vector work before it, rows, row
    lanes): after the tree's tail and the state's PREPARE, each head's block (one row),
    then the LM head over the heads' rows (their PREPARE before it)."""
    layout = plan.layout
    depth = plan.proposal_heads
    h = cfg.hidden_size
    block = layout.medusa
    after_block = head_block_gap(cfg, op, banks)
    passes = [(block, tail + prepare_cycles(op, h, block.fmt, 1), 1, plan.row_lanes)]
    passes += [(block, after_block, 1, plan.row_lanes)] * (depth - 1)
    before_head = after_block + prepare_cycles(op, h, layout.head.fmt, depth)
    vocab_rows = layout.proposals or layout.head  # the guessing vocabulary's, or every row
    return [*passes, (vocab_rows, before_head, depth, tree_head_lanes(plan))]


def proposal_words(plan, cfg, channel: int) -> int:
    """Words channel `channel` streams for the Medusa heads in a tree step: every head's
    block and the guessing vocabulary's LM-head rows (or the LM head again)."""
    layout = plan.layout
    depth = plan.proposal_heads
    block = layout.medusa.channel_words(plan.channels, channel)
    if layout.proposals is None:
        return depth * block + layout.head_words[channel]
    return depth * block + layout.proposals.channel_words(plan.channels, channel)


def stream_phase(
    fill: float, steps: int, words: int, rate: float, fifo_words: int
) -> tuple[float, float]:
    """A matrix phase fed by its channel's loader FIFO, `fill` words already buffered: it
    takes its `steps`, or longer while the words not yet buffered arrive at `rate` a cycle.
    What the loader fetches meanwhile beyond what the phase reads stays buffered, up to the
    FIFO's depth. Returns (the phase's cycles, the words buffered after it)."""
    duration = max(steps, (words - fill) / rate)
    return duration, min(fifo_words, fill + rate * duration - words)


@dataclass(frozen=True)
class StepCycles:
    """One step (a decode token, or a prefill chunk's rows) at one position: the time and
    what bounds it."""

    cycles: float
    gemv_compute: int
    gemv_memory: float
    vector: int
    attention: int
    total_floor: float


def step_cycles(
    plan,
    cfg,
    target: Target,
    clock: float,
    pos: int,
    fifo_words: int,
    rows: int = 1,
    tree: bool = False,
) -> StepCycles:
    """Cycles of one step of `rows` tokens from position `pos` (the loop model above,
    memory-capped): the vector unit's loops run through the rows (`vector_segments`), the
    GEMVs once a step. With
    `tree` the step verifies a Medusa tree of `rows` nodes: every row takes the final norm
    and the LM head (its argmax kept on chip, `tree_tail_cycles`), none writes logits."""
    op = EngineOps.at(clock, plan.float_adds)
    layout = plan.layout
    memory = target.main_memory
    rate = memory.bytes_per_cycle_per_channel(clock)  # bytes a cycle, one channel
    kv_bytes = kv_row_bytes(plan.kv_ctype, cfg.head_dim) / cfg.head_dim
    formats = [p.fmt for p in layout.layer_phases]
    banks = engine_banks(layout, plan.channels, plan.rows, plan.row_lanes)
    biases = "bias_qkv" in plan.aux.offsets
    scaled = plan.kv_ctype == "int8_t"
    segments = vector_segments(cfg, op, biases, formats, banks, plan.vector_ii, scaled, rows)
    attention = attention_cycles(cfg, pos, plan.attention_row_ii, op, rows, plan.row_lanes, scaled)
    t = op.t
    aux = plan.aux

    def take(floats: int) -> int:
        """AUX_TAKE: a block of the aux stream into the vector unit's buffer."""
        return _pipelined("AUX_TAKE", 1, floats // VEC, 1, 1 + t.store).cycles

    # The vector work before each phase, during which the loaders prefetch; a layer starts
    # by taking its block of norms (and biases) from the aux stream.
    layer_aux = take(aux.layer_floats)
    before = [layer_aux + segments[0], segments[1] + attention, segments[2], segments[3]]
    layer_vector = layer_aux + sum(segments)
    # The loaders stream continuously at `rate`, ahead of the compute by at most a FIFO:
    # a phase of W words takes max(W steps, the words not yet buffered at the rate), and
    # every cycle the compute spends elsewhere buffers up to `rate` words a cycle.
    words_per_cycle = rate / WORD_BYTES
    fill = 0.0
    total = 0.0
    compute = 0.0
    phases = list(zip(layout.layer_phases, before, strict=True)) * cfg.num_layers
    head = layout.head
    # the final norm and the head's activations, as before qkv but in the head's format
    final_rows = rows if tree else 1
    formats = [layout.head.fmt] * 4
    final = vector_segments(cfg, op, False, formats, banks, plan.vector_ii, steps=final_rows)[0]
    final += take(aux.final_floats)
    rest = segments[4]  # after the last phase: the residual (and bias)
    n_phases = len(layout.layer_phases)
    # (matrix, vector work before it, its rows, row lanes): a layer starts after the
    # previous layer's remaining vector work; the head takes the last token only, or every
    # node of a tree
    passes = [
        (phase, gap + (rest if index and index % n_phases == 0 else 0), rows, plan.row_lanes)
        for index, (phase, gap) in enumerate(phases)
    ]
    passes.append((head, final + rest, rows if tree else 1, tree_head_lanes(plan)))
    # a tree step is charged its Medusa heads (as the chip runs them) when the plan has them
    heads_charged = tree and layout.medusa is not None
    if not tree:
        end = logits_cycles(layout, plan.channels, banks, op)
    elif heads_charged:  # the tree's tail comes before the heads' blocks
        passes += heads_passes(plan, cfg, op, banks, tree_tail_cycles(plan, cfg, op, banks, rows))
        depth, ranks = plan.proposal_heads, plan.proposal_ranks
        end = best_cycles(plan, op, banks, depth, ranks)
        end += depth * ranks * (t.ram_read + t.store)  # PROPOSE
    else:
        end = tree_tail_cycles(plan, cfg, op, banks, rows)
    for phase, gap, phase_rows, lanes in passes:
        fill = min(fifo_words, fill + words_per_cycle * gap)
        total += gap
        steps = gemv_cycles(phase, plan.channels, op, phase_rows, lanes)
        words = max(phase.channel_words(plan.channels, c) for c in range(plan.channels))
        duration, fill = stream_phase(fill, steps, words, words_per_cycle, fifo_words)
        total += duration
        compute += steps
    lookup = layout.lookup
    embed_words = lookup.meta_words(1) + lookup.words
    embed = t.maxi_read + embed_words  # EMBED_READ: the row's words, behind its loader's fetch
    if cfg.arch == "gpt2":  # the position embedding's add
        embed += _pipelined("RESIDUAL", 1, _vec(cfg.hidden_size), 1, t.ram_read + t.fadd + 1).cycles
    depth = t.fmul + t.fadd + t.store
    embed += _pipelined("DECODE_ROW", 1, lookup.words, plan.vector_ii.decode, depth).cycles
    embed += take(aux.position_floats)
    total += rows * embed
    # The aux loader fetches the step's position rows and layer 0's block (a word a cycle,
    # behind the port's first-beat latency) while the rows are embedded; what is left waits.
    aux_words = (rows * aux.position_floats + aux.layer_floats) // WORD_LANES
    total += max(0, t.maxi_read + aux_words - rows * embed)
    total += end
    channel_words = [
        cfg.num_layers * layout.layer_words[c]
        + layout.head_words[c]
        + (proposal_words(plan, cfg, c) if heads_charged else 0)
        for c in range(plan.channels)
    ]
    memory_time = sum(channel_words) / plan.channels / words_per_cycle
    weights = sum(channel_words) * WORD_BYTES
    kv = 2 * cfg.num_layers * cfg.num_kv_heads * (pos + rows) * cfg.head_dim * kv_bytes
    floor = (weights + kv) / (memory.sustained_total_gbps * 1e3 / clock)
    return StepCycles(
        max(total, floor),
        int(compute),
        memory_time,
        cfg.num_layers * layer_vector + final,
        cfg.num_layers * attention,
        floor,
    )


def _bits(row: op_table.OpRow, bits: int) -> int:
    """LUTs of an integer op `bits` wide from its row's 32-bit figure (one slice bit a bit)."""
    return math.ceil(row.lut * bits / 32)


def _prepare_operators(fmt: str, normed: bool) -> dict[str, int]:
    """One PREPARE loop's float operators: llama's norm scaling (two products an element),
    then for int units the chunk's two scale divisions, x * 1/sx and its rounding add, and
    int4's two 32-element group trees."""
    ops = {"fmul": 2 * VEC if normed else 0}
    if fmt in ("int8", "int4"):
        ops |= {"fmul": ops["fmul"] + VEC, "fadd": VEC, "fdiv": 2}
    if fmt == "int4":
        ops["fadd"] += 2 * (GROUP - 1)
    return ops


def vector_operators(cfg, plan, clock: float) -> dict[str, int]:
    """The vector unit's float operators, instance by instance as the kernel builds them:
    the shared layer_prepare (the LM head's activation too), layer_rms (llama) or layer_ln
    (GPT-2) and layer_residual once each, every other loop once (the `allocation` pragmas
    and call sites of llm_engine.cpp.j2).
    A pipelined loop whose II exceeds 1 shares an operator over its II cycles."""
    layout = plan.layout
    llama = cfg.arch == "llama"
    ii = plan.vector_ii
    lanes = VEC // ii.activation
    banks = engine_banks(layout, plan.channels, plan.rows, plan.row_lanes)
    readers = [*layout.layer_phases, layout.head]
    instances: list[dict[str, int]] = [
        _prepare_operators(prepare_format(readers), normed=True),  # layer_prepare
        {"fadd": -(-banks.tile // banks.gather_add_ii)},  # layer_residual's GATHER
    ]
    if llama:
        instances += [
            {"fmul": VEC, "fadd": VEC, "fdiv": 1, "rsqrt": 1},  # layer_rms: RMS_SUM's tree
            # ROPE: kVec / 2 pairs an iteration, 4 products and 2 adds each
            {"fmul": 2 * VEC // ii.rope, "fadd": VEC // ii.rope},
            {"fmul": lanes, "fadd": lanes, "fdiv": lanes, "exp": lanes},  # SILU
        ]
    else:
        instances += [  # layer_ln: LN_SUM, LN_CENTER, RMS_SUM, LN_SCALE and its tail
            {"fmul": 3 * VEC, "fadd": 4 * VEC, "fdiv": 2, "rsqrt": 1},
            {"fmul": 5 * lanes, "fadd": 2 * lanes, "tanh": lanes},  # GELU
            {"fadd": 5 * VEC},  # the bias adds (qkv, out, fc, down) and the position add
        ]
    if plan.chip_proposals:  # HEAD_SILU: z + b, 1 + exp(-g), x + g / that, one lane
        instances.append({"fadd": 3, "fdiv": 1, "exp": 1})
    lookup = layout.lookup  # DECODE_ROW: q * scale (+ minimum), a word's lanes
    if lookup.fmt in ("int8", "int4"):
        decoded = -(-lookup.sub // ii.decode)
        instances.append({"fmul": decoded, "fadd": decoded if lookup.fmt == "int4" else 0})
    g = cfg.num_heads // cfg.num_kv_heads
    d = cfg.head_dim
    # attention: P query rows' products with a cache row and their trees, shared over the
    # ROW_II cycles a row takes; exp per head; ATTN_OUT: the 8 partial sums' trees of the
    # total and every output element, one reciprocal and D products
    shared = -(-2 * g * d * plan.row_lanes // plan.attention_row_ii)
    parts = attention_partials(plan.attention_row_ii, EngineOps.at(clock))
    instances += [
        {"fmul": shared, "fadd": shared, "exp": g},
        {"fmul": d, "fadd": (d + 1) * (parts - 1), "fdiv": 1},
    ]
    total: dict[str, int] = {}
    for instance in instances:
        for name, count in instance.items():
            total[name] = total.get(name, 0) + count
    return total


def engine_resources(plan, cfg, clock: float, fifo_words: int) -> dict[str, int]:
    """DSP/LUT/FF from the op table's rows for the units' operators; BRAM/URAM for buffers."""
    fmul = op_table.default_row("arith.mulf")
    fabric_add = op_table.implementation("arith.addf", "fabric")
    fadd = op_table.default_row("arith.addf")
    if plan.float_adds == "fabric":  # hls_ops.tcl: config_op fadd -impl fabric
        fadd = fabric_add
    imul = op_table.find("arith.muli", "i8")
    iadd = op_table.default_row("arith.addi")
    iand = op_table.default_row("arith.andi")
    fexp = op_table.default_row("math.exp")
    fdiv = op_table.default_row("arith.divf")
    floats: dict[str, int] = {"fmul": 0, "fadd": 0, "fadd_fabric": 0}
    lut = dsp = 0
    # The layers' units take row_lanes rows a cycle; the head's own, head_lanes (a tree's
    # rows; one otherwise: the last token's).
    row_lanes = {plan.layout.head.fmt: plan.head_lanes} | {
        p.fmt: plan.row_lanes for p in plan.layout.layer_phases
    }
    for phase in {p.fmt: p for p in [*plan.layout.layer_phases, plan.layout.head]}.values():
        lanes = plan.channels * phase.sub * phase.rows_per_group * row_lanes[phase.fmt]
        if phase.fmt in ("fp32", "fp16"):  # products; the tree on LUTs; the running sum
            unit_rows = lanes // phase.sub
            floats["fmul"] += lanes
            floats["fadd_fabric"] += lanes - unit_rows
            floats["fadd"] += unit_rows
            continue
        unit_rows = lanes // phase.sub
        if phase.fmt == "int8":  # a word's sum * (s * sx), into the running sum
            floats["fmul"] += 2 * unit_rows
            floats["fadd"] += unit_rows
        else:  # each group of 32: sum * (s * sx) + m * group sum; the terms and running sum
            groups = unit_rows * (phase.sub // GROUP)
            floats["fmul"] += 3 * groups
            floats["fadd"] += 2 * groups
        if phase.fmt == "int8":  # int8 x int16 on a DSP48E2, 24-bit adder tree
            dsp += lanes * imul.dsp
            lut += lanes * _bits(iadd, 24)
        else:  # nibble_times, a 4 x 16-bit fabric multiply: the 4 masks of 16 bits and 3 adds
            # of 20 bits of its shift-and-add form; then a 24-bit adder-tree add
            lut += lanes * (4 * _bits(iand, 16) + 3 * _bits(iadd, 20) + _bits(iadd, 24))
    for name, count in vector_operators(cfg, plan, clock).items():
        floats[name] = floats.get(name, 0) + count
    rows = {
        "fmul": fmul,
        "fadd": fadd,
        "fadd_fabric": fabric_add,
        "exp": fexp,
        "fdiv": fdiv,
        "rsqrt": op_table.default_row("math.rsqrt"),
        "tanh": op_table.default_row("math.tanh"),
    }
    resources = {"dsp": dsp, "lut": lut, "ff": 0}
    for name, count in floats.items():
        resources["dsp"] += count * rows[name].dsp
        resources["lut"] += count * rows[name].lut
        resources["ff"] += count * rows[name].ff
    # BRAM18K: the m_axi adapters (costs.py MEMORY_FACTS: 30 for a 512-bit port, 16 for a
    # narrow one), the on-chip activations and the units' output banks; URAM (288 Kb): the
    # weight FIFOs (512 bits x depth each) and the attention scores.
    # One adapter per bundle: a wide one per weight channel, narrow ones for gmem_io,
    # gmem_aux, gmem_k and gmem_v (build.kernel_args); their LUT/FF as the estimator charges.
    bundles = plan.channels + NARROW_BUNDLES
    resources["lut"] += bundles * MAXI_ADAPTER.lut
    resources["ff"] += bundles * MAXI_ADAPTER.ff
    adapters = MAXI_ADAPTER_BRAM18K_WIDE * plan.channels
    adapters += MAXI_ADAPTER_BRAM18K_NARROW * NARROW_BUNDLES
    # per row of a step: hidden, qkv, attn, mlp_in; the activation's x and int16 xq
    q = cfg.num_heads * cfg.head_dim
    qkv = q + 2 * cfg.num_kv_heads * cfg.head_dim
    mlp = cfg.intermediate_size * (2 if cfg.arch == "llama" else 1)
    inputs = max(p.padded_inputs for p in plan.layout.layer_phases)
    per_row = cfg.hidden_size + qkv + q + mlp + inputs * 3 // 2
    activations = plan.rows * per_row + cfg.hidden_size + cfg.intermediate_size
    banks = engine_banks(plan.layout, plan.channels, plan.rows, plan.row_lanes)
    bank_brams = banks.banks * plan.row_lanes * math.ceil(banks.depth * 32 / 18432)
    resources["bram_18k"] = adapters + math.ceil(activations * 32 / 18432) + bank_brams
    uram_bits = 288 * 1024
    fifo = plan.channels * math.ceil(WORD_BYTES * 8 * fifo_words / uram_bits)
    scores = plan.rows * cfg.num_heads * plan.max_context * 32  # attention's scores
    resources["uram"] = fifo + math.ceil(scores / uram_bits)
    if plan.tree is not None:  # a tree's K|V rows staged (URAM) and its argmax cells (BRAM)
        kv = 2 * cfg.num_kv_heads * cfg.head_dim
        resources["uram"] += math.ceil(cfg.num_layers * plan.rows * kv * 32 / uram_bits)
        head = plan.layout.head
        units = plan.channels * head.rows_per_group
        ranks = plan.proposal_ranks  # a cell keeps its rows' R best (value, row)
        cells = units * head.interleave * plan.rows * ranks  # P x rows / P cells a unit
        resources["bram_18k"] += math.ceil(cells * 64 / 18432)
        # keep_best: each unit and row lane compares a result with its cell's R entries and
        # selects value and row for each at once
        compare = op_table.default_row("arith.cmpf").lut + op_table.find("arith.select", "i32").lut
        resources["lut"] += units * tree_head_lanes(plan) * ranks * compare
    if plan.chip_proposals:  # the kept state; the guessing vocabulary's token ids (a ROM)
        vocab = len(plan.proposal_vocab) if plan.proposal_vocab else 0
        resources["bram_18k"] += math.ceil((cfg.hidden_size + vocab) * 32 / 18432)
    return resources


RESOURCE_BUDGET = 0.8  # of each resource a build may use: the rest is the shell's and routing's


def utilization(resources: dict[str, int], target: Target) -> dict[str, float]:
    """Each resource's share of the part."""
    available = target.resources
    return {
        "dsp": resources["dsp"] / available.dsp,
        "lut": resources["lut"] / available.lut,
        "ff": resources["ff"] / available.ff,
        "bram_18k": resources["bram_18k"] / available.bram_18k,
        "uram": resources["uram"] / available.uram if available.uram else 0.0,
    }


def fits(plan, cfg, target: Target, clock: float, fifo_words: int) -> bool:
    """Whether the build keeps every resource within RESOURCE_BUDGET."""
    used = utilization(engine_resources(plan, cfg, clock, fifo_words), target)
    return all(v <= RESOURCE_BUDGET for v in used.values())


# Where the engine's float adds go: "dsp", the core Vitis picks by default (2 DSP each), or
# "fabric", every fadd/fsub on LUTs (`config_op fadd -impl fabric` in the project's
# hls_ops.tcl, UG1399): the trade a build takes when its DSPs bind and its LUTs do not.
FLOAT_ADDS = ("dsp", "fabric")


def choose_units(plan, cfg, target: Target, clock: float, fifo_words: int) -> tuple[int, str]:
    """Rows a unit takes a cycle (P, a divisor of the step's rows) and where the float adds
    go (FLOAT_ADDS): of the builds that keep every resource within RESOURCE_BUDGET, the
    smallest P whose prefill step is within 1% of the fastest (beyond that the step waits
    on the memory, and wider units only cost area), its adds on DSPs when that fits.
    (1, "dsp") when none fits: the report then says the part is over budget."""
    rates: dict[tuple[int, str], float] = {}
    for lanes in [d for d in range(1, plan.rows + 1) if plan.rows % d == 0]:
        for adds in FLOAT_ADDS:
            trial = dataclasses.replace(plan, row_lanes=lanes, float_adds=adds)
            if fits(trial, cfg, target, clock, fifo_words):
                step = step_cycles(trial, cfg, target, clock, 0, fifo_words, plan.rows)
                rates[lanes, adds] = plan.rows / step.cycles
    if not rates:
        return 1, "dsp"
    best = max(rates.values())
    near = [unit for unit, rate in rates.items() if rate >= 0.99 * best]
    return min(near, key=lambda unit: (unit[0], FLOAT_ADDS.index(unit[1])))


VECTOR_IIS = (1, 2, 4)


def choose_vector_ii(plan, cfg, target: Target, clock: float, fifo_words: int) -> VectorII:
    """IIs of the elementwise loops (RoPE, the MLP activation, the embedding row's decode):
    of the combinations that keep every resource within RESOURCE_BUDGET, the one with the
    fastest decode step (then the fewest operators). All at the largest II when none fits:
    the report then says the part is over budget."""
    best: tuple[float, int, VectorII] | None = None
    for rope, activation, decode in itertools.product(VECTOR_IIS, repeat=3):
        trial = dataclasses.replace(plan, vector_ii=VectorII(rope, activation, decode))
        if not fits(trial, cfg, target, clock, fifo_words):
            continue
        cycles = step_cycles(trial, cfg, target, clock, 0, fifo_words).cycles
        key = (cycles, -(rope + activation + decode), trial.vector_ii)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        return VectorII(*(3 * [VECTOR_IIS[-1]]))
    return best[2]


def engine_performance(plan, cfg, options, target: Target, clock: float) -> dict[str, Any]:
    """Bytes, channels, estimated decode and prefill tokens/s and resources."""
    from llmhls.compiler.llm.engine.build import FIFO_DEPTH

    layout = plan.layout
    memory = target.main_memory
    per_channel = [
        (cfg.num_layers * layout.layer_words[c] + layout.head_words[c]) * WORD_BYTES
        for c in range(plan.channels)
    ]
    weight_bytes = sum(per_channel)
    model_bytes = cfg.num_layers * sum(p.model_bytes() for p in layout.layer_phases)
    model_bytes += layout.head.model_bytes()
    roofline = memory.total_gbps * 1e9 / model_bytes
    start = step_cycles(plan, cfg, target, clock, 0, FIFO_DEPTH)
    mid_pos = options.max_context // 2
    mid = step_cycles(plan, cfg, target, clock, mid_pos, FIFO_DEPTH)
    prefill = step_cycles(plan, cfg, target, clock, 0, FIFO_DEPTH, plan.rows)
    resources = engine_resources(plan, cfg, clock, FIFO_DEPTH)
    used = utilization(resources, target)

    def rate(t: StepCycles, tokens: int = 1) -> float:
        return round(tokens * clock * 1e6 / t.cycles, 2)

    return {
        "engine": "stream",
        "weights": options.weights,
        "head_weights": options.head_weights,
        "kv_cache": options.kv_cache,
        "channels": plan.channels,
        "memory": f"{memory.kind} ({plan.memory_kind}), {memory.bandwidth_basis}",
        "bytes_per_token": int(weight_bytes),
        "model_bytes_per_token": int(model_bytes),
        "padding_bytes": int(layout.padding_bytes),
        "channel_bytes_max": int(max(per_channel)),
        "channel_bytes_min": int(min(per_channel)),
        "roofline_tokens_per_s": round(roofline, 2),
        "decode_tokens_per_s": rate(start),
        "percent_of_roofline": round(100.0 * rate(start) / roofline, 1),
        "decode_cycles": round(start.cycles),
        "cycles_gemv_compute": start.gemv_compute,
        "cycles_gemv_memory": round(start.gemv_memory),
        "cycles_vector": start.vector,
        "cycles_attention": start.attention,
        "mid_context_position": mid_pos,
        "mid_context_tokens_per_s": rate(mid),
        "mid_context_percent_of_roofline": round(100.0 * rate(mid) / roofline, 1),
        "mid_context_cycles_attention": mid.attention,
        "rows_per_step": plan.rows,
        "row_lanes": plan.row_lanes,
        "float_adds": plan.float_adds,
        "prefill_tokens_per_s": rate(prefill, plan.rows),
        "prefill_step_cycles": round(prefill.cycles),
        "prefill_cycles_gemv_compute": prefill.gemv_compute,
        "prefill_cycles_vector": prefill.vector,
        "prefill_cycles_attention": prefill.attention,
        "prefill_bound": "weight streaming"
        if prefill.gemv_memory >= prefill.gemv_compute
        else "the units' MACs (row lanes)",
        "vector_ii": dataclasses.asdict(plan.vector_ii),
        "resources": resources,
        "utilization": {k: round(v, 3) for k, v in used.items()},
        "fits": all(v <= RESOURCE_BUDGET for v in used.values()),
        "not_modelled": "Medusa verify steps: built with --medusa (report medusa)"
        if plan.tree is None
        else "nothing of the Medusa step: its heads are charged as the chip runs them",
    }


def _wider_units_line(wider: dict[str, Any] | None) -> list[str]:
    """report.md's line on the chosen tree with wider layer units, when MACs bind it."""
    if not wider:
        return []
    u = wider["utilization"]
    verdict = "within" if wider["fits"] else "over"
    return [
        f"- with {wider['row_lanes']} row lanes (the layers' units that much wider"
        + (", every float add on LUTs" if wider["float_adds"] == "fabric" else "")
        + ") the step "
        f"would take {wider['verify_step_cycles']:,} cycles against {wider['decode_step_cycles']:,}"
        f" for that build's decode step, {wider['estimated_speedup']}x, bound by "
        f"{wider['verify_bound']}; it would use DSP {u['dsp']:.0%}, LUT {u['lut']:.0%}, "
        f"FF {u['ff']:.0%}, BRAM18K {u['bram_18k']:.0%}, URAM {u['uram']:.0%} of the part "
        f"({verdict} the {RESOURCE_BUDGET:.0%} budget)"
    ]


def render_engine_markdown(report: dict[str, Any]) -> str:
    """report.md of an engine project."""
    e = report["engine"]
    u = e["utilization"]
    lines = [
        f"# {report['model']} on {report['target']} at {report['clock_mhz']:g} MHz: decode engine",
        "",
        f"- weights {e['weights']}, LM head {e['head_weights']}, KV cache {e['kv_cache']}",
        f"- {e['channels']} weight channels, {e['memory']}",
        f"- bytes per token: {e['bytes_per_token']:,} streamed "
        f"({e['model_bytes_per_token']:,} at the formats' density, "
        f"{e['padding_bytes']:,} padding)",
        f"- busiest channel: {e['channel_bytes_max']:,} B, lightest {e['channel_bytes_min']:,} B",
        f"- estimated decode at position 0: {e['decode_tokens_per_s']} tokens/s, "
        f"{e['percent_of_roofline']}% of the {e['roofline_tokens_per_s']} tokens/s HBM roofline "
        f"({e['decode_cycles']:,} cycles: GEMV compute {e['cycles_gemv_compute']:,}, "
        f"weight streaming {e['cycles_gemv_memory']:,}, vector unit {e['cycles_vector']:,}, "
        f"attention {e['cycles_attention']:,})",
        f"- at position {e['mid_context_position']}: {e['mid_context_tokens_per_s']} tokens/s "
        f"({e['mid_context_percent_of_roofline']}%; attention "
        f"{e['mid_context_cycles_attention']:,} cycles: K and V on one channel each)",
        f"- estimated prefill: {e['prefill_tokens_per_s']} tokens/s in steps of "
        f"{e['rows_per_step']} tokens ({e['prefill_step_cycles']:,} cycles a step: GEMV compute "
        f"{e['prefill_cycles_gemv_compute']:,}, vector unit {e['prefill_cycles_vector']:,}, "
        f"attention {e['prefill_cycles_attention']:,}); the units take {e['row_lanes']} "
        f"row(s) a cycle, so a step is bound by {e['prefill_bound']}; float adds on "
        + ("DSPs" if e["float_adds"] == "dsp" else "LUTs (hls_ops.tcl: config_op fadd/fsub)"),
        f"- resources: DSP {e['resources']['dsp']:,} ({u['dsp']:.0%}), "
        f"LUT {e['resources']['lut']:,} ({u['lut']:.0%}), "
        f"FF {e['resources']['ff']:,} ({u['ff']:.0%}), "
        f"BRAM18K {e['resources']['bram_18k']:,} ({u['bram_18k']:.0%}), "
        f"URAM {e['resources']['uram']:,} ({u['uram']:.0%})"
        + ("" if e["fits"] else " -- over 80% of the part")
        + "; one instance of the units per weight format, the elementwise loops at II "
        + ", ".join(f"{k} {v}" for k, v in e["vector_ii"].items()),
        f"- not modelled: {e['not_modelled']}",
        "",
    ]
    medusa = report.get("medusa")
    if medusa:
        lines += [
            "## Medusa verify step",
            "",
            f"- tree of {medusa['tree_tokens']} tokens ({medusa['tree_depth']} heads deep), "
            f"chosen by {medusa['chosen_by']}: {medusa['expected_accepted_per_step']} tokens "
            f"expected a step (the heads' acceptance rates), {medusa['verify_step_cycles']:,} "
            f"cycles a step against {medusa['decode_step_cycles']:,} for a decode step, bound by "
            f"{medusa['verify_bound']}"
            + (
                f"; the LM head's own units take the tree's rows {medusa['head_lanes']} a cycle"
                if medusa["head_lanes"] > 1
                else ""
            ),
            f"- estimated {medusa['estimated_tokens_per_s']} tokens/s, "
            f"{medusa['estimated_speedup']}x plain decode ({medusa['verdict']}); heads that "
            f"were always right ({medusa['tree_depth'] + 1} tokens a step) would give "
            f"{medusa['speedup_if_every_guess_accepted']}x on this step",
            f"- the heads' guesses: {medusa['proposals']}",
            *_wider_units_line(medusa.get("wider_units")),
            "",
            "| tree tokens | expected tokens a step | cycles a step | bound | speed-up |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c['tree_tokens']} | {c['expected_accepted_per_step']} | "
            f"{c['verify_step_cycles']:,} | {c['verify_bound']} | {c['estimated_speedup']}x |"
            for c in medusa["candidates"]
        ]
        lines.append("")
    return "\n".join(lines)
