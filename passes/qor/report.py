"""QoR report files: report.json, report.md, the CLI summary table and two PNG plots.

Everything here works from `QorReport.to_dict()` (the report.json content), so a
report read back from disk prints and plots the same way as a fresh one.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from llmhls.passes.qor.estimator import QorReport

RESOURCE_LABELS = (
    ("dsp", "DSP"),
    ("bram", "BRAM18K"),
    ("uram", "URAM"),
    ("lut", "LUT"),
    ("ff", "FF"),
)
TOP_LOOPS_SHOWN = 10


def write_report(project_dir: Path, report: QorReport) -> None:
    """Write report.json (sorted keys, indent 2) and report.md into `project_dir`."""
    project_dir = Path(project_dir)
    data = report.to_dict()
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False)
    (project_dir / "report.json").write_text(text + "\n", encoding="utf-8")
    (project_dir / "report.md").write_text(render_markdown(data), encoding="utf-8")


# -- text ------------------------------------------------------------------------------
def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def _roofline_line(data: dict[str, Any]) -> str:
    roof = data["roofline"]
    intensity = roof["operational_intensity"]
    where = "no off-chip traffic" if intensity is None else f"intensity {intensity:.4g} flop/B"
    return (
        f"{roof['bound']}-bound ({where}; ridge {roof['ridge_intensity']:.4g} flop/B): "
        f"attainable {roof['attainable_gflops']:.4g} GFLOP/s of {roof['peak_gflops']:.4g} "
        f"peak at {roof['bandwidth_gbps']:.4g} GB/s; achieved {roof['achieved_gflops']:.4g} "
        "GFLOP/s"
    )


def _walk_loops(loops: list[dict[str, Any]], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for loop in loops:
        rows.append((depth, loop))
        rows.extend(_walk_loops(loop["loops"], depth + 1))
    return rows


def _ii_text(loop: dict[str, Any]) -> str:
    if loop.get("unrolled_in_pipeline"):
        return "unrolled"
    if not loop["pipelined"]:
        return "-"
    text = f"{loop['ii_target']}/{loop['ii_achieved']}"
    return text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


BOUND_TEXT = {
    "compute": "compute (operators, recurrences, on-chip ports)",
    "channel": "one memory channel per m_axi bundle",
    "total": "all memory channels together (the part's sustained total)",
}


def render_markdown(data: dict[str, Any]) -> str:
    """report.md: totals against the target, loops, tasks, memories, assumptions."""
    lines = [
        f"# QoR estimate: `{data['top']}` on {data['target']} ({data['part']}) at "
        f"{data['clock_mhz']:g} MHz",
        "",
        "Analytical estimate by llmhls's QoR model (not a synthesis result); "
        "the assumptions are listed at the end.",
        "",
    ]
    lines += _table(
        ["metric", "value"],
        [
            ["latency", f"{_num(data['latency_cycles'])} cycles ({data['latency_us']:.4g} us)"],
            [
                "interval",
                f"{_num(data['interval_cycles'])} cycles ({data['interval_us']:.4g} us)",
            ],
            ["dataflow", "yes" if data["dataflow"] else "no"],
            ["bound", BOUND_TEXT[data["bound"]]],
            ["off-chip traffic", f"{_num(data['offchip_bytes'])} bytes"],
            ["floating-point ops", _num(data["flops"])],
            ["roofline", _roofline_line(data)],
        ],
    )
    lines += ["", "## Resources", ""]
    rows = [
        [
            label,
            _num(data["resources"][key]),
            _num(data["available"][key]),
            _pct(data["utilization"][key]),
        ]
        for key, label in RESOURCE_LABELS
    ]
    lines += _table(["resource", "used", "available", "utilization"], rows)
    lines += ["", f"Fits the part: {'yes' if data['fits'] else 'no'}.", "", "## Loops", ""]
    rows = []
    for depth, loop in _walk_loops(data["loops"]):
        rows.append(
            [
                "&nbsp;&nbsp;" * depth + f"`{loop['name']}`",
                loop["function"],
                _num(loop["trip_count"]),
                _num(loop["unroll"]),
                _ii_text(loop),
                loop["ii_limit"] or "-",
                loop["bound"],
                _num(loop["depth"]),
                _num(loop["latency"]),
                _num(loop["entries"]),
                _num(loop["dsp"]),
                _num(loop["lut"]),
                _num(loop["ff"]),
            ]
        )
    header = ["loop", "function", "trips", "unroll", "II target/achieved", "II limit", "bound"]
    header += ["depth", "latency", "entries", "DSP", "LUT", "FF"]
    lines += _table(header, rows) if rows else ["(no loops)"]
    lines += ["", "## Tasks", ""]
    rows = [
        [
            f"`{task['name']}`",
            task["kind"],
            _num(task["latency"]),
            _num(task["interval"]),
            _num(task["dsp"]),
            _num(task["lut"]),
            _num(task["ff"]),
            ", ".join(task["reads"]) or "-",
            ", ".join(task["writes"]) or "-",
        ]
        for task in data["tasks"]
    ]
    header = ["task", "kind", "latency", "interval", "DSP", "LUT", "FF", "reads", "writes"]
    lines += _table(header, rows)
    edges = data["task_graph"]["edges"]
    if edges:
        lines += ["", "Channels:", ""]
        lines += [f"- `{src}` → `{dst}` via `{buffer}`" for src, dst, buffer in edges]
    lines += ["", "## On-chip memories", ""]
    rows = [
        [
            f"`{m['name']}`",
            m["function"],
            _num(m["elements"]),
            _num(m["width"]),
            m["impl"],
            m["partition"] if m["partition"] == "none" else f"{m['partition']} x{m['banks']}",
            _num(m["copies"]),
            _num(m["bram"]),
            _num(m["uram"]),
            _num(m["lut"]),
            _num(m["ff"]),
        ]
        for m in data["memories"]
    ]
    header = ["buffer", "function", "elements", "bits", "impl", "partition", "copies"]
    header += ["BRAM18K", "URAM", "LUT", "FF"]
    lines += _table(header, rows) if rows else ["(none)"]
    if data["warnings"]:
        lines += ["", "## Warnings", ""]
        lines += [f"- {warning}" for warning in data["warnings"]]
    lines += ["", "## Assumptions", ""]
    lines += [f"- {assumption}" for assumption in data["assumptions"]]
    return "\n".join(lines) + "\n"


def _shorten(text: str, width: int = 56) -> str:
    if len(text) <= width:
        return text
    keep = (width - 3) // 2
    return text[:keep] + "..." + text[len(text) - (width - 3 - keep) :]


def print_report_table(report_dict: dict[str, Any]) -> str:
    """A plain-text summary for the terminal: totals vs the target and the slowest loop nests."""
    data = report_dict
    lines = [
        f"QoR estimate: {data['top']} on {data['target']} ({data['part']}) at "
        f"{data['clock_mhz']:g} MHz",
        f"latency  {_num(data['latency_cycles'])} cycles ({data['latency_us']:.4g} us)",
        f"interval {_num(data['interval_cycles'])} cycles ({data['interval_us']:.4g} us)"
        + ("  [dataflow]" if data["dataflow"] else ""),
        "",
        f"{'resource':<9} {'used':>12} {'available':>12} {'util':>9}",
    ]
    for key, label in RESOURCE_LABELS:
        lines.append(
            f"{label:<9} {_num(data['resources'][key]):>12} {_num(data['available'][key]):>12} "
            f"{_pct(data['utilization'][key]):>9}"
        )
    lines += [
        f"fits: {'yes' if data['fits'] else 'NO'}",
        "",
        f"off-chip {_num(data['offchip_bytes'])} bytes, {_num(data['flops'])} flops",
        _roofline_line(data),
    ]
    loops = sorted(
        data["loops"], key=lambda loop: (-loop["latency"] * loop["entries"], loop["name"])
    )[:TOP_LOOPS_SHOWN]
    if loops:
        prefix = f"{data['top']}_"
        names = [
            _shorten(f"{loop['function'].removeprefix(prefix)}/{loop['name']}")
            if data["dataflow"]
            else _shorten(loop["name"])
            for loop in loops
        ]
        width = max(len("slowest loop nests"), *(len(name) for name in names))
        lines += ["", f"{'slowest loop nests':<{width}} {'trips':>7} {'II':>9} {'cycles':>14}"]
        for name, loop in zip(names, loops, strict=True):
            lines.append(
                f"{name:<{width}} {loop['trip_count']:>7} {_ii_text(loop):>9} "
                f"{_num(loop['latency'] * loop['entries']):>14}"
            )
    for warning in data["warnings"]:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


# -- plots -----------------------------------------------------------------------------
def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg canvas (no pyplot state, no display needed)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: Path) -> None:
    figure.savefig(path, format="png", metadata={"Software": None})


def write_plots(project_dir: Path, report_dict: dict[str, Any]) -> list[Path]:
    """roofline.png and task_graph.png in `project_dir`; returns their paths."""
    project_dir = Path(project_dir)
    paths = [project_dir / "roofline.png", project_dir / "task_graph.png"]
    _plot_roofline(paths[0], report_dict)
    _plot_task_graph(paths[1], report_dict)
    return paths


def _plot_roofline(path: Path, data: dict[str, Any]) -> None:
    roof = data["roofline"]
    peak, bandwidth, ridge = roof["peak_gflops"], roof["bandwidth_gbps"], roof["ridge_intensity"]
    intensity = roof["operational_intensity"]
    shown = intensity if intensity is not None and intensity > 0 else None
    low = min(ridge, shown or ridge) / 100.0
    high = max(ridge, shown or ridge) * 100.0
    figure = new_figure(7.0, 5.0)
    ax = figure.add_subplot(1, 1, 1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs = [low, ridge, high]
    ax.plot(xs, [min(peak, bandwidth * x) for x in xs], color="tab:blue", linewidth=2)
    ax.plot([low, ridge], [bandwidth * low, peak], color="tab:blue", linestyle=":", linewidth=1)
    ax.annotate(
        f"memory {bandwidth:.4g} GB/s",
        (math.sqrt(low * ridge), bandwidth * math.sqrt(low * ridge)),
        textcoords="offset points",
        xytext=(4, 8),
        rotation=30,
        fontsize=8,
    )
    ax.annotate(
        f"compute {peak:.4g} GFLOP/s",
        (ridge * 2, peak),
        textcoords="offset points",
        xytext=(0, 5),
        fontsize=8,
    )
    achieved = roof["achieved_gflops"]
    if data["flops"] == 0:
        ax.text(0.5, 0.1, "no floating-point work", transform=ax.transAxes, ha="center")
    else:
        x = shown if shown is not None else high / 10.0
        note = "" if shown is not None else " (no off-chip traffic)"
        ax.scatter([x], [roof["attainable_gflops"]], marker="_", s=200, color="tab:gray")
        if achieved > 0:
            ax.scatter([x], [achieved], color="tab:red", zorder=3)
            ax.annotate(
                f"{data['top']}: {achieved:.3g} GFLOP/s, {roof['bound']}-bound{note}",
                (x, achieved),
                textcoords="offset points",
                xytext=(6, -12),
                fontsize=8,
                color="tab:red",
            )
    ax.set_xlabel("operational intensity (flop / off-chip byte)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"Roofline: {data['target']} at {data['clock_mhz']:g} MHz", fontsize=10)
    ax.grid(True, which="both", linewidth=0.3)
    figure.tight_layout()
    _save(figure, path)


def _wrap(name: str, width: int = 16) -> str:
    """Break a long identifier at underscores so node labels stay inside their node."""
    lines: list[str] = []
    for part in name.split("_"):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "_" + part
        else:
            lines.append(part)
    return "\n".join(lines)


def _plot_task_graph(path: Path, data: dict[str, Any]) -> None:
    import networkx as nx

    graph = nx.DiGraph()
    nodes = data["task_graph"]["nodes"]
    for node in nodes:
        graph.add_node(node["name"], latency=node["latency"])
    labels_of: dict[tuple[str, str], list[str]] = {}
    for src, dst, buffer in data["task_graph"]["edges"]:
        graph.add_edge(src, dst)
        labels_of.setdefault((src, dst), []).append(buffer)
    layers = (
        list(nx.topological_generations(graph))
        if nx.is_directed_acyclic_graph(graph)
        else [list(graph.nodes)]
    )
    pos: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(layers):
        for y, name in enumerate(layer):
            pos[name] = (float(x), -float(y) + (len(layer) - 1) / 2.0)
    width = min(40.0, 2.0 + 2.2 * len(layers))
    height = min(20.0, 2.5 + 1.2 * max((len(layer) for layer in layers), default=1))
    figure = new_figure(width, height)
    ax = figure.add_subplot(1, 1, 1)
    ax.set_axis_off()
    prefix = f"{data['top']}_"
    labels = {
        n["name"]: f"{_wrap(n['name'].removeprefix(prefix))}\n{n['latency']:,} cycles"
        for n in nodes
    }
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color="#cfe2f3", node_size=2600)
    nx.draw_networkx_labels(graph, pos, labels=labels, ax=ax, font_size=6)
    if graph.number_of_edges():
        nx.draw_networkx_edges(graph, pos, ax=ax, arrows=True, node_size=2600)
        edge_labels = {edge: ", ".join(names) for edge, names in labels_of.items()}
        nx.draw_networkx_edge_labels(graph, pos, edge_labels=edge_labels, ax=ax, font_size=6)
    title = "dataflow task graph" if data["dataflow"] else "single function (no dataflow)"
    ax.set_title(f"{data['top']}: {title}", fontsize=10)
    if len(pos) == 1:
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
    figure.tight_layout()
    _save(figure, path)
