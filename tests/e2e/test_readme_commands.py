"""Each promise of the README's commands table, exercised the way a user types it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import tool

from llmhls.targets import get_target, target_names


class TwoLayer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(12, 16)
        self.fc2 = torch.nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


def llmhls(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmhls.cli", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A -O2 project (dataflow tasks) compiled with --dump-ir and --cosim."""
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("readme")
    model = root / "two_layer.pt2"
    torch.export.save(torch.export.export(TwoLayer().eval(), (torch.randn(3, 12),)), model)
    out = root / "proj"
    result = llmhls("compile", str(model), "-o", str(out), "--dump-ir", "--cosim")
    assert result.returncode == 0, result.stderr
    return out


def test_dump_ir_writes_each_stage_and_llmhls_opt_reads_it_back(compiled: Path) -> None:
    dumps = sorted((compiled / "ir").glob("*.mlir"))
    assert len(dumps) >= 3, [p.name for p in dumps]
    for dump in dumps:
        result = subprocess.run(
            [tool("llmhls-opt"), str(dump)], capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{dump.name}: {result.stderr}"
        assert "func.func" in result.stdout


def test_cosim_flag_turns_cosimulation_on_in_the_tcl(compiled: Path) -> None:
    tcl = (compiled / "run_hls.tcl").read_text()
    assert "set llmhls_cosim [llmhls_flag LLMHLS_COSIM 1]" in tcl


def test_report_json_prints_report_json(compiled: Path) -> None:
    result = llmhls("report", str(compiled), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((compiled / "report.json").read_text())


def test_report_draws_the_roofline_and_the_task_graph(compiled: Path) -> None:
    result = llmhls("report", str(compiled))
    assert result.returncode == 0, result.stderr
    for picture in ("roofline.png", "task_graph.png"):
        path = compiled / picture
        assert f"wrote {path}" in result.stdout
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 1000


def test_targets_lists_every_part() -> None:
    result = llmhls("targets")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["name"] for row in rows] == target_names()
    assert all(row["part"] == get_target(row["name"]).part for row in rows)
    for name in ("u280", "u55c", "u250", "u50", "vck5000", "zcu102", "zcu104"):
        assert name in target_names()
