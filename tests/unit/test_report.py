"""QoR report files: report.json/report.md, the CLI table, and the PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

from test_qor import MAXI_ARGS, STREAM_SQUARE, _module, dataflow_module

from llmhls.passes.qor.estimator import QorReport, estimate
from llmhls.passes.qor.report import print_report_table, write_plots, write_report
from llmhls.targets import get_target

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _single() -> QorReport:
    return estimate(
        _module(STREAM_SQUARE.replace("{stride}", "1"), MAXI_ARGS), get_target("u280"), 300.0
    )


def test_write_report_json_and_markdown(tmp_path: Path) -> None:
    report = _single()
    write_report(tmp_path, report)
    text = (tmp_path / "report.json").read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    for key in ("target", "clock_mhz", "latency_cycles", "interval_cycles", "latency_us"):
        assert key in data
    assert data["latency_cycles"] == 8833
    assert data["resources"]["bram"] == 2 * 16  # two narrow m_axi adapters (costs.py)
    assert data["roofline"]["bound"] == "memory"
    assert data["loops"][0]["name"] == "L_k_sq_0"
    assert data["task_graph"]["nodes"] == [{"name": "k", "latency": 8833}]
    markdown = (tmp_path / "report.md").read_text()
    assert "| latency | 8,833 cycles" in markdown
    assert "| BRAM18K | 32 | 4,032 |" in markdown
    # a sequential loop of single m_axi reads: latency-bound, not bandwidth-bound
    assert "| bound | compute (operators, recurrences, on-chip ports) |" in markdown
    assert "`L_k_sq_0`" in markdown
    assert "## Assumptions" in markdown and "memory-bound" in markdown
    # same input, same bytes
    write_report(tmp_path, _single())
    assert (tmp_path / "report.json").read_text() == text


def test_print_report_table_shows_totals() -> None:
    table = print_report_table(_single().to_dict())
    assert "latency  8,833 cycles" in table
    lines = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.strip()}
    assert lines["BRAM18K"][:2] == ["32", "4,032"]
    assert lines["DSP"][:2] == ["3", "9,024"]
    assert "fits: yes" in table
    assert "L_k_sq_0" in table


def test_print_report_table_dataflow() -> None:
    table = print_report_table(estimate(dataflow_module(), get_target("u280"), 300.0).to_dict())
    assert "interval 4,417 cycles" in table and "[dataflow]" in table


def test_write_plots(tmp_path: Path) -> None:
    for name, report in (
        ("single", _single()),
        ("dataflow", estimate(dataflow_module(), get_target("u280"), 300.0)),
    ):
        folder = tmp_path / name
        folder.mkdir()
        paths = write_plots(folder, report.to_dict())
        assert [p.name for p in paths] == ["roofline.png", "task_graph.png"]
        for path in paths:
            data = path.read_bytes()
            assert data.startswith(PNG_SIGNATURE)
            assert len(data) > 2000
            assert b"Software" not in data and b"matplotlib" not in data


def test_plots_from_report_read_back(tmp_path: Path) -> None:
    report = estimate(dataflow_module(), get_target("u280"), 300.0)
    write_report(tmp_path, report)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["task_graph"]["edges"] == [["t0", "t1", "buf"]]
    assert [n["name"] for n in data["task_graph"]["nodes"]] == ["t0", "t1"]
    assert all(p.exists() for p in write_plots(tmp_path, data))
