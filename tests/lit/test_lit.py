"""The lit + FileCheck suite under tests/lit, one pytest case per .mlir file.

Each case runs lit on its one file, so a failing pass test is named by pytest
and the others still run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tool

SUITE = Path(__file__).resolve().parent
# Files under Inputs/ are inputs of other tests (lit.cfg.py excludes them), not tests.
LIT_FILES = sorted(
    p.relative_to(SUITE).as_posix() for p in SUITE.rglob("*.mlir") if "Inputs" not in p.parts
)


def test_suite_is_not_empty() -> None:
    assert len(LIT_FILES) >= 6


@pytest.mark.parametrize("name", LIT_FILES)
def test_lit_file(name: str) -> None:
    result = subprocess.run(
        [sys.executable, tool("lit"), "-q", "-v", str(SUITE / name)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
