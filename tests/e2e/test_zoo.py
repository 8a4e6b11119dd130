"""Every zoo model compiles to HLS C++ whose C-simulation matches PyTorch within 1e-4."""

from __future__ import annotations

from pathlib import Path

import pytest
from canonical_cpp import slow_forms
from zoo import ZOO

from llmhls.compiler.csim import run_csim
from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.optimize import OPT_LEVELS, OptimizeOptions

TOLERANCE = 1e-4


# The whole 2-layer GPT-2 LM takes 10-30 s a level: the slow tier.
ZOO_CASES = [
    pytest.param(name, marks=pytest.mark.slow) if name == "gpt2_tiny_2layer" else name
    for name in sorted(ZOO)
]


@pytest.mark.parametrize("level", OPT_LEVELS)
@pytest.mark.parametrize("name", ZOO_CASES)
def test_zoo_model_csim_matches_pytorch(name: str, level: int, tmp_path: Path) -> None:
    """Optimizations are proven not to change results: every level C-simulates exactly."""
    module, inputs = ZOO[name]()
    loaded = export_module(module.eval(), inputs, name)
    options = CompileOptions(target="u280", optimize=OptimizeOptions(level=level))
    result = compile_model(loaded, tmp_path / name, options)
    kernel = (tmp_path / name / "kernel" / f"{name}.cpp").read_text()
    assert "#pragma HLS INTERFACE m_axi" in kernel
    # No read-back m_axi output, canonical dataflow regions (tests/canonical_cpp.py).
    assert slow_forms(kernel, name) == []
    assert result.manifest["interfaces"][-1]["role"] == "output"

    csim = run_csim(tmp_path / name)
    assert csim.passed, csim.to_json()
    assert csim.max_rel_err <= TOLERANCE
    assert len(csim.outputs) == sum(
        1 for i in result.manifest["interfaces"] if i["role"] == "output"
    )
