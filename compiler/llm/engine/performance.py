"""What the decode engine's weight streams cost per token, from the memory's published figures.

Decode is bound by the weights every token reads. Each channel streams its
own words (`layout.py`), so a token takes at least the busiest channel's bytes
over what one channel sustains (a 512-bit port asks 64 B per cycle; the
channel gives less: `MemorySpec.sustained_gbps_per_channel`, measured where
published), and at least all bytes over the part's sustained total. The
processing units take one word per channel per cycle (II = 1), 8 rounds per
block, so a matrix also costs its block steps on the busiest channel.

Not modelled yet, and said so in every report: the vector unit (norms, RoPE,
SiLU, residuals), attention over the KV cache, and pipeline fill between
phases. The figure here is therefore the weight-streaming bound of the engine,
an upper bound on its decode speed, not an estimate of it.
"""

from __future__ import annotations

from typing import Any

from llmhls.compiler.llm.engine.layout import INTERLEAVE, WORD_BYTES, Phase
from llmhls.targets import Target

NOT_MODELLED = (
    "vector unit (norms, RoPE, SiLU, residuals), attention over the KV cache and "
    "pipeline fill between phases are not modelled yet: this is an upper bound"
)


def unit_cycles(phase: Phase, channels: int) -> int:
    """Cycles the busiest unit spends on one matrix: meta words, then 8 rounds per data word."""
    return sum(
        phase.meta_words(INTERLEAVE) + phase.words * INTERLEAVE
        for _ in phase.block_sizes(channels, 0)
    )


def engine_performance(plan, cfg, options, target: Target, clock: float) -> dict[str, Any]:
    """Bytes, channels and the weight-streaming bound of one decode token."""
    layout = plan.layout
    memory = target.main_memory
    per_channel = [
        (cfg.num_layers * layout.layer_words[c] + layout.head_words[c]) * WORD_BYTES
        for c in range(plan.channels)
    ]
    weight_bytes = sum(per_channel)
    model_bytes = cfg.num_layers * sum(p.model_bytes() for p in layout.layer_phases)
    model_bytes += layout.head.model_bytes()
    channel_rate = memory.bytes_per_cycle_per_channel(clock)
    channel_cycles = max(per_channel) / channel_rate
    total_cycles = weight_bytes / (memory.sustained_total_gbps * 1e3 / clock)
    compute_cycles = cfg.num_layers * sum(
        unit_cycles(p, plan.channels) for p in layout.layer_phases
    )
    compute_cycles += unit_cycles(layout.head, plan.channels)
    cycles = max(channel_cycles, total_cycles, compute_cycles)
    bound = {"channel": channel_cycles, "total": total_cycles, "compute": compute_cycles}
    tokens_per_s = clock * 1e6 / cycles
    roofline = memory.total_gbps * 1e9 / model_bytes
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
        "cycles_per_token": round(cycles),
        "bound_by": max(bound, key=bound.get),
        "weight_stream_bound_tokens_per_s": round(tokens_per_s, 2),
        "roofline_tokens_per_s": round(roofline, 2),
        "percent_of_roofline": round(100.0 * tokens_per_s / roofline, 1),
        "not_modelled": NOT_MODELLED,
    }


def render_engine_markdown(report: dict[str, Any]) -> str:
    """report.md of an engine project."""
    e = report["engine"]
    lines = [
        f"# {report['model']} on {report['target']} at {report['clock_mhz']:g} MHz: decode engine",
        "",
        f"- weights {e['weights']}, LM head {e['head_weights']}, KV cache {e['kv_cache']}",
        f"- {e['channels']} weight channels, {e['memory']}",
        f"- bytes per token: {e['bytes_per_token']:,} streamed "
        f"({e['model_bytes_per_token']:,} at the formats' density, "
        f"{e['padding_bytes']:,} padding)",
        f"- busiest channel: {e['channel_bytes_max']:,} B, lightest {e['channel_bytes_min']:,} B",
        f"- weight-streaming bound: {e['weight_stream_bound_tokens_per_s']} tokens/s "
        f"({e['percent_of_roofline']}% of the {e['roofline_tokens_per_s']} tokens/s roofline), "
        f"bound by {e['bound_by']}",
        f"- {e['not_modelled']}",
        "",
    ]
    return "\n".join(lines)
