"""The lit + FileCheck suite under tests/lit (one file per pass and emitter feature)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import tool


def test_lit_suite_passes(repo_root: Path) -> None:
    suite = repo_root / "tests" / "lit"
    result = subprocess.run(
        [sys.executable, tool("lit"), "-q", "-v", str(suite)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert len(list(suite.rglob("*.mlir"))) >= 6
