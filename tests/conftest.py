"""Shared fixtures: the model zoo compiled once per session, on demand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
if "PYTEST_XDIST_WORKER" in os.environ:
    # `pytest -n N` already runs N processes: one math thread each (torch's OpenMP pool, the
    # CLI subprocesses they start), not N x cores threads spinning against each other.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
sys.path.insert(0, str(Path(__file__).parent))
pytest.register_assert_rewrite("xrt_doubles")  # its check_* helpers assert with pytest's detail

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def tool(name: str) -> str:
    """Path of a console script installed next to the running Python."""
    return str(VENV_BIN / name)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`llmhls ARGS...` with the running Python, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "llmhls.cli", *args], capture_output=True, text=True, timeout=600
    )
