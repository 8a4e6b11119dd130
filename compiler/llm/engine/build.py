"""Compile an LLM into the channel-parallel decode engine (`--engine stream`).

The engine is one kernel, `llm_engine`, built from the parameterized HLS
templates in `llmhls_engine.h`: one loader per memory channel, processing units
as wide as the channels' words, a vector unit, activations on chip. This
module decides its structure for the model and the part (channels, formats,
FIFO depth), writes the weights per channel (`layout.py`), renders the kernel,
and records the contract the hosts use in the manifest.

A prompt runs in steps of up to `--prefill-chunk` tokens, each reading every
weight once for all of them; a decode step is a one-token call. With Medusa
heads (`--medusa`) a call can instead verify a built-in tree of rows under its
tree mask (`engine/medusa.py` chooses the tree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from llmhls import __version__
from llmhls.compiler.llm.engine.banks import (
    engine_banks,
    head_shares_units,
    prepare_format,
    proposal_phases,
    stream_logits,
    unit_phases,
)
from llmhls.compiler.llm.engine.layout import (
    FORMAT_CODES,
    WORD_LANES,
    ChannelLayout,
    Phase,
    build_layout,
    encode,
    has_bias,
)
from llmhls.compiler.llm.engine.medusa import (
    choose_tree,
    heads_biases,
    heads_matrices,
    heads_phase,
    proposals_matrix,
    proposals_phase,
    sees_masks,
    wider_units,
)
from llmhls.compiler.llm.engine.performance import (
    VEC,
    EngineOps,
    VectorII,
    attention_partials,
    choose_units,
    choose_vector_ii,
    kv_row_bytes,
)
from llmhls.compiler.llm.engine.structure import PhaseSpec, engine_phases
from llmhls.compiler.llm.ports import buffer_arg, interface_pragmas
from llmhls.compiler.llm.quantize import QuantLinear, dequantized_weight
from llmhls.compiler.llm.stages import (
    ROPE_BUFFER,
    LlmStages,
    TokenEmbed,
    TokenPositionEmbed,
)
from llmhls.compiler.medusa.heads import MedusaHeads
from llmhls.compiler.medusa.tree import MedusaTree
from llmhls.compiler.options import LlmCompileOptions
from llmhls.compiler.tcl import render_operator_bindings
from llmhls.dialects.weight_format import LOADER_FIFO_WORDS
from llmhls.errors import LlmhlsError, UnsupportedError
from llmhls.hls_templates import TEMPLATES_DIR, render
from llmhls.project import DEFAULT_FLOOR_TOLERANCE, DEFAULT_REL_TOLERANCE
from llmhls.targets import Target

ENGINE_HEADER = TEMPLATES_DIR / "include" / "llmhls_engine.h"
ENGINE_FUNCTION = "llm_engine"
HLS_OPS = "hls_ops.tcl"  # the project's operator bindings (tcl.render_operator_bindings)
# Words per channel FIFO (URAM): the loaders keep streaming while the vector unit and
# attention work between matrix phases, up to this many words ahead.
FIFO_DEPTH = LOADER_FIFO_WORDS
# Floats each of a separate LM head's unit streams holds: a unit writes a block's rounds
# (IL <= 16) in a burst, and the logits writer reads every stream each few cycles.
HEAD_STREAM_DEPTH = 32
RESERVED_HBM_CHANNELS = 2  # the KV cache's K and V each get a channel of their own
KV_CTYPES = {"fp32": "float", "fp16": "uint16_t", "int8": "int8_t"}


@dataclass
class EnginePlan:
    """What the engine looks like for one model on one part."""

    channels: int
    memory_kind: str  # "HBM" or "DDR"
    layout: ChannelLayout
    aux: AuxLayout
    kv_ctype: str
    max_context: int
    attention_row_ii: int  # cycles one K/V row (head_dim values) takes from its channel
    rows: int = 1  # tokens a step (T): the prefill chunk; every weight word serves them all
    row_lanes: int = 1  # rows a unit takes a cycle (P): performance.choose_units
    # rows the LM head's own units (a head format unlike the layers') take a cycle in a
    # tree step: engine/medusa.choose_tree; the layers' row_lanes when they share units
    head_lanes: int = 1
    float_adds: str = "dsp"  # "dsp" or "fabric" (hls_ops.tcl): performance.choose_units
    attention_partials: int = 1  # ATTN_VALUES' running sums: performance.attention_partials
    vector_ii: VectorII = field(default_factory=VectorII)  # performance.choose_vector_ii
    tree: MedusaTree | None = None  # --medusa: the tree a verify step checks (engine/medusa.py)
    trees: list = field(default_factory=list)  # --medusa: every size's estimate, the chosen first
    wider_units: dict | None = None  # --medusa: the chosen tree on wider units (medusa.wider_units)
    proposal_vocab: list[int] | None = None  # --medusa: the heads' guessing vocabulary

    @property
    def chip_proposals(self) -> bool:
        """Whether the kernel runs the Medusa heads and makes the tree's guesses itself:
        it does for every tree (each head's top ranks, as many as the tree takes)."""
        return self.tree is not None

    @property
    def proposal_heads(self) -> int:
        """Heads the tree uses (its depth): their guesses fill its nodes."""
        return 0 if self.tree is None else max(self.tree.depths)

    @property
    def proposal_ranks(self) -> int:
        """Guesses the kernel keeps from each head: the tree's highest rank + 1."""
        return 0 if self.tree is None else self.tree.ranks


# tb_llm's verdict on the engine's prefill logits (manifest `tolerance`): the float
# formats differ from the reference by summation order only (DEFAULT_FLOOR_TOLERANCE);
# int8/int4 units multiply int16 activations (one scale per 64 elements: 2^-15 of their
# largest value) and an fp16 cache rounds K and V to 11 bits. Each adds its floor, a
# multiple of the tiny Llama's measured error over the largest logit (int8 1.0e-4, int4
# 2.6e-4; fp16 KV 8.9e-4 with fp32 weights, 8.1e-4 with int4).
INTEGER_UNITS_FLOOR = 1e-3
FP16_CACHE_FLOOR = 5e-3
# The reference rounds K/V rows as an int8 cache does (`int8_rows`); a code may still round
# the other way where summation order moves a value across a half (measured 1.1e-6).
INT8_CACHE_FLOOR = 1e-3


def engine_tolerance(options: LlmCompileOptions) -> dict[str, float]:
    """The element-wise bound tb_llm applies to the engine's prefill logits."""
    floor = DEFAULT_FLOOR_TOLERANCE
    if {options.weights, options.head_weights} & {"int8", "int4"}:
        floor += INTEGER_UNITS_FLOOR
    if options.kv_cache == "int8":
        floor += INT8_CACHE_FLOOR
    if options.kv_cache == "fp16":
        floor += FP16_CACHE_FLOOR
    return {"rel": DEFAULT_REL_TOLERANCE, "floor": floor}


def weight_channels(target: Target) -> tuple[int, str]:
    """Channels that stream weights: every HBM channel but the KV cache's, or every DDR bank."""
    memory = target.main_memory
    if memory.kind.upper().startswith("HBM"):
        return memory.channels - RESERVED_HBM_CHANNELS, "HBM"
    return memory.channels, "DDR"


def attention_row_ii(head_dim: int, kv_cache: str, target: Target, clock: float | None) -> int:
    """Cycles a cache row needs from one channel: its bytes over what the channel sustains."""
    row_bytes = kv_row_bytes(KV_CTYPES[kv_cache], head_dim)
    rate = target.main_memory.bytes_per_cycle_per_channel(clock or target.clock_mhz)
    return max(1, math.ceil(row_bytes / rate))


def _check_supported(cfg) -> None:
    if cfg.arch not in ("llama", "gpt2"):
        raise UnsupportedError(
            f"--engine stream supports llama-family and GPT-2 decoders, not '{cfg.arch}'"
        )


# What each weight phase is to the engine's compute, in execution order.
PHASE_ROLES = {"llama": ("qkv", "out", "gate_up", "down"), "gpt2": ("qkv", "out", "fc", "down")}


def phase_groups(cfg, phases: list[PhaseSpec]) -> list[tuple[str, list[str]]]:
    """The passes' weight phases as (engine role, module paths), checked against the compute.

    hls-weight-streaming decides which weights fuse and in which order they stream;
    the engine's compute has one role per phase (`PHASE_ROLES`), so a structure it
    cannot run is refused here rather than emitted.
    """
    roles = PHASE_ROLES[cfg.arch]
    if len(phases) != len(roles):
        found = ", ".join(f"{p.name}({'+'.join(p.weights)})" for p in phases)
        raise UnsupportedError(
            f"hls-weight-streaming found {len(phases)} weight phases in the decoder layer "
            f"({found}); the {cfg.arch} engine runs {len(roles)}: {', '.join(roles)}"
        )
    return [
        (role, [name.rsplit(".", 1)[0] for name in phase.weights])
        for role, phase in zip(roles, phases, strict=True)
    ]


def _check_structure(specs: list[PhaseSpec], layout: ChannelLayout) -> None:
    """The layout writes what the passes decided: each phase's format, row groups and
    interleave as its hlsdf.weight_bank states them, and the loader FIFO's depth."""
    for spec, phase in zip(specs, layout.layer_phases, strict=True):
        decided = (spec.format, spec.rows, spec.interleave, spec.depth)
        built = (phase.fmt, phase.rows, phase.interleave, FIFO_DEPTH)
        if decided != built:
            raise LlmhlsError(
                f"internal error: weight phase '{phase.name}' is built as (format, rows, "
                f"interleave, FIFO) {built}, but hls-weight-streaming decided {decided}"
            )


def _layer_linears(layer, groups) -> list[tuple[str, list[torch.nn.Module]]]:
    """This layer's modules for each phase (the layer built with its own weight format)."""
    return [(role, [layer.get_submodule(path) for path in paths]) for role, paths in groups]


def _norm_vectors(cfg, layer) -> list[tuple[str, torch.Tensor]]:
    """The layer's two norms: RMSNorm weights (llama), LayerNorm weights and biases (GPT-2)."""
    if cfg.arch == "llama":
        return [
            ("norm1_w", layer.pre.input_layernorm.weight),
            ("norm2_w", layer.post.post_attention_layernorm.weight),
        ]
    return [
        ("norm1_w", layer.pre.ln_1.weight),
        ("norm1_b", layer.pre.ln_1.bias),
        ("norm2_w", layer.post.ln_2.weight),
        ("norm2_b", layer.post.ln_2.bias),
    ]


def _rows(module: torch.nn.Module) -> int:
    return module.out_features if isinstance(module, QuantLinear) else module.weight.shape[0]


def _fused_bias(linears: list[torch.nn.Module]) -> torch.Tensor:
    """The biases of fused linears, one after another (zeros for a linear without one)."""
    return torch.cat(
        [m.bias.detach().float() if has_bias(m) else torch.zeros(_rows(m)) for m in linears]
    )


@dataclass
class AuxLayout:
    """The small float vectors the vector unit reads (`aux`), in blocks the aux loader
    streams a vector of kVec floats at a time, each vector padded to whole kVec.

    Per layer (stride `layer_floats`): the norms' vectors and, when the model has biases,
    each phase's bias; then the final norm's block; then a block per position: RoPE's cos
    and sin (llama) or the position embedding row (GPT-2).
    """

    values: np.ndarray
    layer_floats: int
    offsets: dict[str, int]  # within a layer's block, or within the final block
    final_base: int
    final_floats: int
    positions_base: int
    position_floats: int


def aux_fifo_depth(aux: AuxLayout) -> int:
    """Vectors the aux stream holds: the loader runs a whole layer's block ahead, so a
    layer's vectors are on chip before its first norm needs them."""
    return max(16, 2 * aux.layer_floats // VEC)


def _padded(vector: torch.Tensor) -> np.ndarray:
    """A vector's floats, padded with zeros to a whole number of kVec."""
    values = vector.detach().float().reshape(-1).numpy()
    return np.pad(values, (0, -len(values) % VEC)).astype(np.float32)


def _aux_block(vectors: dict[str, torch.Tensor]) -> tuple[dict[str, int], list[np.ndarray]]:
    """A block's padded vectors and where each starts within it."""
    offsets: dict[str, int] = {}
    parts: list[np.ndarray] = []
    position = 0
    for name, vector in vectors.items():
        offsets[name] = position
        parts.append(_padded(vector))
        position += len(parts[-1])
    return offsets, parts


def _aux_layout(
    layers: list[dict[str, torch.Tensor]],
    final: list[tuple[str, torch.Tensor]],
    positions: torch.Tensor,
) -> AuxLayout:
    """`positions` is [max_context][floats]: a position's block."""
    blocks = [_aux_block(layer) for layer in layers]
    final_offsets, final_parts = _aux_block(dict(final))
    rows = [_padded(row) for row in positions]
    layer_floats = sum(len(p) for p in blocks[0][1])
    final_base = layer_floats * len(layers)
    final_floats = sum(len(p) for p in final_parts)
    parts = [p for _, block in blocks for p in block] + final_parts + rows
    return AuxLayout(
        np.concatenate(parts),
        layer_floats,
        blocks[0][0] | final_offsets,
        final_base,
        final_floats,
        final_base + final_floats,
        len(rows[0]),
    )


def _position_rows(stages: LlmStages, max_context: int) -> torch.Tensor:
    """A row per position: RoPE's cos then sin (llama), or the position embedding (GPT-2)."""
    if stages.cfg.arch == "gpt2":
        return stages.embed.wpe[:max_context].detach().float()
    # The same float32 expression as LlamaPre, so the tables match the reference bit for bit.
    inv_freq = getattr(stages.layer(0).pre, ROPE_BUFFER)
    freqs = torch.arange(max_context, dtype=torch.int64).float()[:, None] * inv_freq[None, :]
    return torch.cat([freqs.cos(), freqs.sin()], dim=1)


def int8_rows(x: torch.Tensor) -> torch.Tensor:
    """K/V rows [..., head_dim] as the int8 cache stores and reads them (llmhls_engine.h
    KvCodec<int8_t>, row_scale): codes round(x * 127 / max|x|), half away from zero, times
    max|x| / 127, in float32 as the kernel computes them."""
    largest = x.abs().amax(dim=-1, keepdim=True)
    safe = torch.where(largest == 0, torch.ones_like(largest), largest)
    scale = torch.where(largest == 0, torch.zeros_like(largest), safe / 127.0)
    inverse = torch.where(largest == 0, torch.zeros_like(largest), 127.0 / safe)
    scaled = x * inverse
    codes = torch.trunc(scaled + torch.where(scaled >= 0, 0.5, -0.5)).clamp(-127, 127)
    return codes * scale


def lookup_table(stages: LlmStages, embed_linear: QuantLinear | None) -> torch.Tensor:
    """The float32 embedding table the engine effectively reads (tied: the stored LM head)."""
    module = stages.head.lm_head if embed_linear is None else embed_linear
    if isinstance(module, QuantLinear):
        return dequantized_weight(module)
    return module.weight.detach().to(torch.float32)


def plan_engine(
    stages: LlmStages,
    float_layer: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    options: LlmCompileOptions,
    target: Target,
    linear,
    heads: MedusaHeads | None = None,
    layer_linear=None,
) -> tuple[EnginePlan, LlmStages]:
    """The engine for this model and part, and the stages its numerics follow (the reference).

    The weight phases come from the structure passes run on `float_layer` (layer 0
    with float32 linears, traced with `example`); every layer is then encoded in
    its own format. The reference embeds tokens from the table the engine reads:
    the LM head as stored when the model ties them, else the embedding stored in
    the head's format. With Medusa `heads` the plan gains the verify tree (`--tree`,
    from their acceptance rates, engine/medusa.py) and, when the kernel makes the tree's
    guesses, the heads' blocks in the layers' format (`layer_linear`).
    """
    cfg = stages.cfg
    _check_supported(cfg)
    channels, kind = weight_channels(target)
    specs = engine_phases(float_layer, example, channels, options.weights)
    groups = phase_groups(cfg, specs)
    layers, vectors = [], []
    for index in range(cfg.num_layers):  # each layer built (and quantized) once
        layer = stages.layer(index)
        linears = _layer_linears(layer, groups)
        layers.append([encode(name, modules) for name, modules in linears])
        named = dict(_norm_vectors(cfg, layer))
        if any(has_bias(m) for _, modules in linears for m in modules):
            named |= {f"bias_{name}": _fused_bias(modules) for name, modules in linears}
        vectors.append(named)
    head = encode("head", [stages.head.lm_head])
    table = stages.embed.embed_tokens if cfg.arch == "llama" else stages.embed.wte
    embed_linear = None
    if not cfg.tied_embeddings:
        embed_linear = linear(table.detach().to(torch.float32), None)
    embed = None if embed_linear is None else encode("embed", [embed_linear])
    layout = build_layout(layers, head, embed, channels)
    _check_structure(specs, layout)
    norm = stages.head.norm
    final = [("final_w", norm.weight)] + ([("final_b", norm.bias)] if cfg.arch == "gpt2" else [])
    aux = _aux_layout(vectors, final, _position_rows(stages, options.max_context))
    lookup = lookup_table(stages, embed_linear)
    embedding = (
        TokenEmbed(lookup)
        if cfg.arch == "llama"
        else TokenPositionEmbed(lookup, stages.embed.wpe.detach())
    )
    layer = stages.layer
    if options.kv_cache == "int8":

        def layer(index: int, build=stages.layer) -> torch.nn.Module:
            built = build(index)
            built.kv_round = int8_rows
            return built

    reference = LlmStages(
        cfg, embedding, stages.head, layer, embed_takes_positions=cfg.arch == "gpt2"
    )
    plan = EnginePlan(
        channels,
        kind,
        layout,
        aux,
        KV_CTYPES[options.kv_cache],
        options.max_context,
        attention_row_ii(cfg.head_dim, options.kv_cache, target, options.clock_mhz),
        rows=min(options.prefill_chunk, options.max_context),
    )
    clock = options.clock_mhz or target.clock_mhz
    plan.attention_partials = attention_partials(plan.attention_row_ii, EngineOps.at(clock))
    plan.vector_ii = choose_vector_ii(plan, cfg, target, clock, FIFO_DEPTH)
    plan.row_lanes, plan.float_adds = choose_units(plan, cfg, target, clock, FIFO_DEPTH)
    if heads is not None:
        # every candidate tree is charged its heads' blocks and LM-head pass on the chip,
        # over the heads' guessing vocabulary's rows when they have one
        rates = heads.rates if heads.vocab is None else heads.vocab_rates
        fmt = layout.layer_phases[0].fmt
        plan.layout.medusa = heads_phase(fmt, cfg.hidden_size, channels)
        if heads.vocab is not None:
            plan.proposal_vocab = heads.vocab.tolist()
            rows = len(heads.vocab)
            plan.layout.proposals = proposals_phase(
                layout.head.fmt, rows, cfg.hidden_size, channels
            )
        plan.trees = choose_tree(plan, cfg, target, clock, rates, options.tree)
        plan.tree, plan.head_lanes = plan.trees[0].tree, plan.trees[0].head_lanes
        if plan.tree.size > plan.rows:  # a step must hold the whole tree
            plan.rows = plan.tree.size
            plan.vector_ii = choose_vector_ii(plan, cfg, target, clock, FIFO_DEPTH)
            units = choose_units(plan, cfg, target, clock, FIFO_DEPTH)
            plan.row_lanes, plan.float_adds = units
        plan.wider_units = wider_units(plan, cfg, target, clock, rates)
        if plan.chip_proposals:  # the kernel runs the heads the tree uses
            depth = plan.proposal_heads
            medusa = heads_matrices(heads, depth, layer_linear)
            proposals = proposals_matrix(heads, stages.head.lm_head)
            plan.layout = build_layout(layers, head, embed, channels, tuple(medusa), proposals)
            final.append(("medusa_bias", heads_biases(heads, depth)))
            plan.aux = _aux_layout(vectors, final, _position_rows(stages, options.max_context))
    return plan, reference


def _phase_view(phase: Phase, channels: int) -> dict[str, Any]:
    return {
        "name": phase.name,
        "code": FORMAT_CODES[phase.fmt],
        "rows_per_group": phase.rows_per_group,
        "words": phase.words,
        "meta_per_row": phase.meta_per_row,
        "row_groups": phase.row_groups,
        "padded_inputs": phase.padded_inputs,
        "interleave": phase.interleave,
        "sub": phase.sub,
        "meta_per_word": phase.meta_per_word,
        "blocks": len(phase.block_sizes(channels, 0)),
        "meta_words": phase.meta_words(phase.interleave),
    }


def _tree_view(tree: MedusaTree) -> dict[str, Any]:
    return {
        "rows": tree.size,
        "parents": tree.parents,
        "depths": tree.depths,
        "sees": sees_masks(tree),
    }


def _proposals_view(plan: EnginePlan) -> dict[str, Any] | None:
    """The Medusa heads on chip: how many, the ranks each guesses, and where their blocks
    lie in each channel."""
    if not plan.chip_proposals:
        return None
    layout = plan.layout
    return {
        "heads": plan.proposal_heads,
        "ranks": plan.proposal_ranks,
        "base": layout.medusa_base,
        "words": layout.medusa_words,
        "vocab": plan.proposal_vocab,
    }


def _unit_view(phases: list[Phase], channels: int) -> dict[str, Any]:
    """A set of units' constants: rows a word, and the largest interleave and meta block of
    the phases it runs (its accumulators and meta buffer are sized by them)."""
    units = channels * phases[0].rows_per_group
    tile, ii = stream_logits(units)
    return {
        "units": units,
        "rows_per_group": phases[0].rows_per_group,
        "interleave": max(p.interleave for p in phases),
        "meta_words": max(1, *(p.meta_words(p.interleave) for p in phases)),
        "stream_depth": HEAD_STREAM_DEPTH,
        "logits_tile": tile,
        "logits_ii": ii,
    }


# Each port: long bursts, many in flight; the narrow ones (tokens, the KV cache, logits)
# widened to 512-bit beats (UG1399 max_widen_bitwidth), as attention's row reads and the
# logits' tiles of whole beats are priced.
ENGINE_M_AXI = "max_widen_bitwidth=512 max_read_burst_length=64 num_read_outstanding=16"


def render_engine(
    plan: EnginePlan, cfg, options: LlmCompileOptions, args: list[dict]
) -> tuple[str, str]:
    """kernel/llm_engine.cpp and kernel/llm_top.h."""
    layout = plan.layout
    phases = [*layout.layer_phases, layout.head]
    if layout.lookup is not layout.head:
        phases.append(layout.lookup)
    lookup = layout.lookup
    shared = head_shares_units(layout)
    medusa, vocab_rows = proposal_phases(layout, plan.chip_proposals)  # the guesses on chip
    phases += medusa + vocab_rows
    layer_unit_phases, head_unit_phases = unit_phases(layout, plan.chip_proposals)
    readers = [*layout.layer_phases, layout.head]  # every unit set reads a_layer
    per_word = lookup.meta_per_word
    lookup_meta_words = -(-lookup.meta_per_row // per_word) + 1 if lookup.meta_per_row else 1
    comment = (
        f"// Generated by llmhls {__version__}: {cfg.arch} decoder, {cfg.num_layers} layers, "
        f"--engine stream, --weights {options.weights}, --head-weights {options.head_weights}, "
        f"--kv-cache {options.kv_cache}, --max-context {options.max_context}"
    )
    source = render(
        "llm_engine.cpp.j2",
        header_comment=comment,
        channels=plan.channels,
        layers=cfg.num_layers,
        hidden=cfg.hidden_size,
        heads=cfg.num_heads,
        kv_heads=cfg.num_kv_heads,
        head_dim=cfg.head_dim,
        intermediate=cfg.intermediate_size,
        vocab=cfg.vocab_size,
        max_context=options.max_context,
        eps=f"{cfg.norm_eps:.9g}f",
        scale=f"{1.0 / math.sqrt(cfg.head_dim):.9g}f",
        kv_ctype=plan.kv_ctype,
        kv_scaled=plan.kv_ctype == "int8_t",
        arch=cfg.arch,
        aux_layer=plan.aux.layer_floats,
        aux_final=plan.aux.final_floats,
        aux_final_base=plan.aux.final_base,
        aux_position=plan.aux.position_floats,
        aux_positions_base=plan.aux.positions_base,
        aux=plan.aux.offsets,
        aux_depth=aux_fifo_depth(plan.aux),
        biases="bias_qkv" in plan.aux.offsets,
        layer_format=options.weights,
        head_format=options.head_weights,
        phases=[_phase_view(p, plan.channels) for p in phases],
        lookup=_phase_view(lookup, plan.channels),
        head_shared=shared,
        layer_unit=_unit_view(layer_unit_phases, plan.channels),
        head_unit=_unit_view(head_unit_phases, plan.channels),
        banks=engine_banks(layout, plan.channels, plan.rows, plan.row_lanes),
        layer_in=max(p.padded_inputs for p in readers),
        prepare_format=FORMAT_CODES[prepare_format(readers)],
        activation_sub=max(p.sub for p in readers),  # lanes a unit reads of it a cycle
        lookup_meta_floats=lookup_meta_words * per_word,
        layer_words=layout.layer_words,
        head_words=layout.head_words,
        lookup_base=layout.lookup_base,
        fifo_depth=FIFO_DEPTH,
        vec=VEC,
        attention_row_ii=plan.attention_row_ii,
        attention_partials=plan.attention_partials,
        vector_ii=plan.vector_ii,
        rows=plan.rows,
        row_lanes=plan.row_lanes,
        head_lanes=plan.head_lanes,
        activation_lanes=math.lcm(plan.row_lanes, plan.head_lanes),
        tree=None if plan.tree is None else _tree_view(plan.tree),
        proposals=_proposals_view(plan),
        pragmas=interface_pragmas(args, ENGINE_M_AXI),
    )
    ports = "".join(f"    const word512 *w{c},\n" for c in range(plan.channels))
    scales = ", float *k_scale, float *v_scale" if plan.kv_ctype == "int8_t" else ""
    tree_params = "" if plan.tree is None else ",\n    int32_t tree, int32_t *result, float *state"
    header = (
        f"{comment}\n#ifndef LLMHLS_LLM_TOP_H\n#define LLMHLS_LLM_TOP_H\n\n#include <cstdint>\n\n"
        '#include "llmhls_engine.h"\n\n'
        "// One 512-bit word of a weight channel.\ntypedef llmhls::engine::word_t word512;\n\n"
        f"void {ENGINE_FUNCTION}(\n"
        "    const int32_t *tokens, int32_t n_tokens, int32_t start_pos,\n"
        f"{ports}    const word512 *aux, {plan.kv_ctype} *k_cache, "
        f"{plan.kv_ctype} *v_cache{scales}, float *logits{tree_params});\n\n"
        "#endif  // LLMHLS_LLM_TOP_H\n"
    )
    return source, header


def kernel_args(plan: EnginePlan, cfg, options: LlmCompileOptions) -> list[dict]:
    """llm_engine's arguments in call order, with each buffer's file, bundle and memory bank."""
    cache = cfg.num_layers * cfg.num_kv_heads * options.max_context * cfg.head_dim
    args: list[dict] = [
        buffer_arg("tokens", "int32_t", options.max_context, "in", "gmem_io"),
        {"name": "n_tokens", "kind": "scalar", "ctype": "int32_t"},
        {"name": "start_pos", "kind": "scalar", "ctype": "int32_t"},
    ]
    for c, stream in enumerate(plan.layout.streams):
        args.append(
            buffer_arg(f"w{c}", "word512", max(1, stream.shape[0]), "in", f"gmem_w{c}")
            | {"file": f"data/weights/w{c}.bin", "memory": c}
        )
    kv_bank = plan.channels if plan.memory_kind == "HBM" else 0
    v_bank = plan.channels + 1 if plan.memory_kind == "HBM" else min(1, plan.channels - 1)
    args += [
        buffer_arg("aux", "word512", plan.aux.values.size // WORD_LANES, "in", "gmem_aux")
        | {"file": "data/weights/aux.bin", "memory": kv_bank},
        buffer_arg("k_cache", plan.kv_ctype, cache, "inout", "gmem_k")
        | {"state": "kv", "memory": kv_bank},
        buffer_arg("v_cache", plan.kv_ctype, cache, "inout", "gmem_v")
        | {"state": "kv", "memory": v_bank},
    ]
    if plan.kv_ctype == "int8_t":  # a scale a cache row, beside its cache
        rows = cfg.num_layers * cfg.num_kv_heads * options.max_context
        args += [
            buffer_arg("k_scale", "float", rows, "inout", "gmem_k")
            | {"state": "kv", "memory": kv_bank},
            buffer_arg("v_scale", "float", rows, "inout", "gmem_v")
            | {"state": "kv", "memory": v_bank},
        ]
    args += [
        buffer_arg("logits", "float", cfg.vocab_size, "out", "gmem_io") | {"memory": kv_bank},
    ]
    if plan.tree is not None:  # the Medusa tree mode (llm_engine.cpp.j2)
        args += [
            {"name": "tree", "kind": "scalar", "ctype": "int32_t"},
            buffer_arg("result", "int32_t", result_elements(plan), "out", "gmem_io")
            | {"memory": kv_bank},
            buffer_arg("state", "float", cfg.hidden_size, "out", "gmem_io") | {"memory": kv_bank},
        ]
    args[0]["memory"] = kv_bank
    return args


def result_elements(plan: EnginePlan) -> int:
    """A tree call's `result`: [accepted m, next token, the tree's nodes' slots], then each
    head's guesses, best first."""
    return plan.tree.size + 2 + plan.proposal_heads * plan.proposal_ranks


def weight_files(plan: EnginePlan) -> dict[str, np.ndarray]:
    """Every channel's words and the aux floats, as the project stores them."""
    files: dict[str, np.ndarray] = {"data/weights/aux.bin": plan.aux.values}
    for c, stream in enumerate(plan.layout.streams):
        words = stream if stream.shape[0] else np.zeros((1, WORD_LANES), dtype=np.uint32)
        files[f"data/weights/w{c}.bin"] = np.ascontiguousarray(words)
    return files


def engine_files(
    plan: EnginePlan, cfg, options: LlmCompileOptions, args: list[dict]
) -> dict[str, Any]:
    source, header = render_engine(plan, cfg, options, args)
    files: dict[str, Any] = {
        f"kernel/{ENGINE_FUNCTION}.cpp": source,
        "kernel/llm_top.h": header,
        f"kernel/{ENGINE_HEADER.name}": ENGINE_HEADER.read_text(),
    }
    files.update(weight_files(plan))
    if plan.float_adds == "fabric":
        files[HLS_OPS] = render_operator_bindings(
            {"fadd": "fabric", "fsub": "fabric"},
            f"llmhls {__version__}: every float add of {ENGINE_FUNCTION} on LUTs, not DSPs: the "
            "DSPs go to the units' multiplies (report.md, float adds)",
        )
    return files


def kernel_file_list() -> tuple[list[str], list[str]]:
    return [f"kernel/{ENGINE_FUNCTION}.cpp"], ["kernel/llm_top.h", f"kernel/{ENGINE_HEADER.name}"]
