"""Every reproducer `llmhls fuzz` saved here must now compile and match PyTorch in csim.

A reproducer is `fuzz_seed<S>_O<L>.py`: SPEC (the shrunk graph), LEVEL and
FAILURE (what it did when found). It stays once its bug is fixed. open_bugs.OPEN
lists the ones whose bug is not fixed yet, run as strict xfails: fixing the bug
makes the test fail until its entry is removed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from regressions.open_bugs import OPEN

from llmhls.compiler.fuzz import GraphSpec, check_spec

HERE = Path(__file__).parent


def _params() -> list:
    params = []
    for path in sorted(HERE.glob("fuzz_*.py")):
        reason = OPEN.get(path.stem)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_reproducer_now_passes(path: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    failure = check_spec(GraphSpec.from_json(module.SPEC), module.LEVEL, tmp_path)
    assert failure is None, f"{path.name} ({module.FAILURE} when found): {failure}"
