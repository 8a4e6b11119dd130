"""llmhls's own decompositions: GELU keeps PyTorch's constants through to the kernel."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from llmhls.compiler.csim import run_csim
from llmhls.compiler.decompositions import decomposition_table, gelu
from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.optimize import OptimizeOptions


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_decomposition_is_pytorchs_gelu(approximate: str) -> None:
    x = torch.linspace(-8, 8, 4001)
    expected = torch.nn.functional.gelu(x.double(), approximate=approximate)
    got = gelu(x, approximate).double()
    assert (got - expected).abs().max() <= 2e-7 * expected.abs().max()
    assert decomposition_table()[torch.ops.aten.gelu.default] is gelu


class TanhGelu(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.gelu(x, approximate="tanh")


def test_tanh_gelu_kernel_matches_pytorch_to_float_rounding(tmp_path: Path) -> None:
    """torch-mlir's own decomposition used sqrt(2/pi) = 0.7977240 and left 1.8e-5 of error."""
    x = torch.randn(5, 37, generator=torch.Generator().manual_seed(5))
    loaded = export_module(TanhGelu().eval(), (x,), "tanh_gelu")
    options = CompileOptions(target="u280", optimize=OptimizeOptions(level=0))
    compile_model(loaded, tmp_path / "p", options)
    kernel = (tmp_path / "p" / "kernel" / "tanh_gelu.cpp").read_text()
    assert "0.797884" in kernel and "0.797724" not in kernel
    assert "hls::pow" not in kernel  # x^3 as two multiplies, not a pow core
    result = run_csim(tmp_path / "p")
    assert result.passed and result.max_rel_err <= 1e-6, result.to_json()
