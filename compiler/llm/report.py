"""An LLM project's report: the decode figures as text, report.md, and decode_stages.png.

The figures come from report.json's `decode` section (compiler/llm/performance.py);
nothing here estimates anything, it only lays the estimate out for a reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmhls.passes.qor.report import new_figure

DECODE_PLOT = "decode_stages.png"


def format_llm_report(report: dict[str, Any]) -> str:
    """The decode figures of an LLM project's report.json as a short readable table."""
    if "engine" in report:  # --engine stream
        from llmhls.compiler.llm.engine.performance import render_engine_markdown

        return render_engine_markdown(report).strip()
    decode = report["decode"]
    rows = [
        ("bytes per decoded token", f"{decode['bytes_per_token']:,}"),
        ("  weights", f"{decode['weight_bytes_per_token']:,}"),
        ("  KV cache (average)", f"{decode['kv_bytes_per_token']:,}"),
        ("estimated decode cycles", f"{decode['decode_cycles']:,}"),
        ("compute-bound tokens/s", f"{decode['compute_bound_tokens_per_s']:,}"),
        (
            f"channel-bound tokens/s ({decode['channel_gbps']:g} GB/s a channel)",
            f"{decode['channel_bound_tokens_per_s']:,}",
        ),
        (
            f"{decode['memory']} roofline tokens/s ({decode['memory_gbps']:g} GB/s sustained)",
            f"{decode['roofline_tokens_per_s']:,}",
        ),
        (
            f"{decode['memory']} peak roofline tokens/s ({decode['peak_memory_gbps']:g} GB/s)",
            f"{decode['peak_roofline_tokens_per_s']:,}",
        ),
        (f"estimated tokens/s ({decode['bound']}-bound)", f"{decode['estimated_tokens_per_s']:,}"),
        (
            "memory channels used",
            f"{decode['channels_used']} of {decode['channels']}",
        ),
        ("layer mapping", decode["layer_mapping"]["chosen"]),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{report['model']} on {report['target']} at {report['clock_mhz']:g} MHz"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    lines.append(f"  why: {decode['layer_mapping']['why']}")
    lines += [f"  warning: {text}" for text in decode["warnings"]]
    return "\n".join(lines)


def render_llm_markdown(report: dict[str, Any]) -> str:
    """report.md of an LLM project: the decode figures, then one row per stage."""
    decode = report["decode"]
    lines = [
        f"# QoR estimate: `{report['model']}` decoding accelerator",
        "",
        "Analytical estimate by llmhls's QoR model (not a synthesis result).",
        "",
        "```",
        format_llm_report(report),
        "```",
        "",
        "## Decode step, stage by stage (per token)",
        "",
        "Each stage takes the longer of its compute and the bytes through its busiest "
        "memory channel; stages run one after another.",
        "",
        "| stage | runs | compute cycles | channel cycles | cycles | bytes | limit |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for stage in decode["stages"]:
        lines.append(
            f"| {stage['name']} | {stage['runs_per_token']} | {stage['compute_cycles']:,} | "
            f"{stage['channel_cycles']:,} | {stage['cycles']:,} | {stage['bytes']:,} | "
            f"{stage['limit']} |"
        )
    lines += [
        "",
        "## Stage kernels",
        "",
        "Each stage is compiled once and called per layer (`layer_*`) or per token; "
        "`reports/<stage>.md` breaks each one down loop by loop.",
        "",
        "| stage | latency (cycles) | DSP | BRAM18K | URAM | LUT | FF |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, stage in report["stages"].items():
        used = stage["resources"]
        lines.append(
            f"| [`{name}`](reports/{name}.md) | {stage['latency_cycles']:,} | "
            + " | ".join(f"{used[key]:,}" for key in ("dsp", "bram", "uram", "lut", "ff"))
            + " |"
        )
    lines += ["", "## Assumptions", ""]
    lines += [f"- {text}" for text in decode["assumptions"]]
    return "\n".join(lines) + "\n"


def plot_decode_stages(project_dir: Path, report: dict[str, Any]) -> Path:
    """decode_stages.png: cycles per token of each stage (compute and channel) vs the roofline.

    One pair of bars per stage, its compute cycles and the cycles its busiest channel
    needs, both summed over the stage's runs in one token; the vertical line is the
    cycles per token at which the part's sustained memory bandwidth would deliver the
    token's bytes (the roofline), so the gap between the bars' total and the line is
    what the engine leaves on the table.
    """
    decode = report["decode"]
    stages = decode["stages"]
    names = [s["name"] for s in stages]
    compute = [s["compute_cycles"] * s["runs_per_token"] for s in stages]
    channel = [s["channel_cycles"] * s["runs_per_token"] for s in stages]
    roofline_cycles = report["clock_mhz"] * 1e6 / decode["roofline_tokens_per_s"]
    fig = new_figure(8.0, 0.6 * len(stages) + 2.0)
    ax = fig.add_subplot(1, 1, 1)
    rows = list(range(len(stages)))
    ax.barh([r + 0.2 for r in rows], compute, height=0.4, color="tab:blue", label="compute")
    ax.barh([r - 0.2 for r in rows], channel, height=0.4, color="tab:orange", label="channel")
    ax.axvline(roofline_cycles, color="tab:red", linestyle="--", label="roofline (whole token)")
    ax.set_yticks(rows)
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlabel("cycles per token")
    ax.set_title(
        f"{report['model']} decode on {report['target']}: "
        f"{decode['decode_cycles']:,} cycles/token, {decode['bound']}-bound"
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(project_dir) / DECODE_PLOT
    fig.savefig(path, dpi=100)
    return path
