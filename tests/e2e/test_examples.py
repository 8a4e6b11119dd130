"""The README's "compile a real model" commands keep working (at a smaller width)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow  # the README's whole GPT-2 block flow, about 50 s
def test_readme_gpt2_block_flow(repo_root: Path, tmp_path: Path) -> None:
    model = tmp_path / "block.pt2"
    export = subprocess.run(
        [sys.executable, str(repo_root / "examples" / "export_gpt2_block.py"), str(model),
         "--embd", "64", "--heads", "4", "--seq", "5"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    out = tmp_path / "out"
    for command in (
        ["compile", str(model), "-o", str(out), "--target", "u280"],
        ["csim", str(out)],
        ["report", str(out)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "llmhls.cli", *command],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, (command, result.stderr)
        if command[0] == "csim":
            assert json.loads(result.stdout.strip().splitlines()[-1])["passed"] is True
    assert (out / "roofline.png").stat().st_size > 1000
    report = json.loads((out / "report.json").read_text())
    assert report["fits"] and report["latency_cycles"] > 0
