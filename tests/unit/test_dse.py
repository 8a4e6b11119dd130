"""-O levels and the design-space exploration: faster designs, budgets honoured, deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.optimize import OptimizeOptions, optimization_pipeline
from llmhls.errors import OptionError


class Matmul(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a @ b


@pytest.fixture(scope="module")
def matmul() -> object:
    generator = torch.Generator().manual_seed(0)
    inputs = (torch.randn(64, 48, generator=generator), torch.randn(48, 64, generator=generator))
    return export_module(Matmul(), inputs, "matmul")


def _compile(loaded: object, tmp_path: Path, **optimize: object) -> dict:
    options = CompileOptions(target="u280", optimize=OptimizeOptions(**optimize))
    name = "_".join(f"{k}{v}" for k, v in sorted(optimize.items()))
    return compile_model(loaded, tmp_path / name, options).report


def test_levels_reduce_estimated_latency(matmul: object, tmp_path: Path) -> None:
    o0 = _compile(matmul, tmp_path, level=0)
    o1 = _compile(matmul, tmp_path, level=1)
    o2 = _compile(matmul, tmp_path, level=2)
    assert o0["latency_cycles"] > o1["latency_cycles"] > o2["latency_cycles"]
    assert o0["latency_cycles"] / o2["latency_cycles"] >= 50
    assert o2["fits"]


def test_dse_honours_an_explicit_dsp_budget(matmul: object, tmp_path: Path) -> None:
    free = _compile(matmul, tmp_path, level=2)
    tight = _compile(matmul, tmp_path, level=2, max_dsp=40)
    assert tight["resources"]["dsp"] <= 40 < free["resources"]["dsp"]
    assert tight["latency_cycles"] > free["latency_cycles"]


def test_dse_is_deterministic(matmul: object, tmp_path: Path) -> None:
    first = compile_model(matmul, tmp_path / "a", CompileOptions()).out_dir
    second = compile_model(matmul, tmp_path / "b", CompileOptions()).out_dir
    for name in ("kernel/matmul.cpp", "report.json", "manifest.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_o2_kernel_carries_the_directives(matmul: object, tmp_path: Path) -> None:
    compile_model(matmul, tmp_path / "o2", CompileOptions())
    kernel = (tmp_path / "o2" / "kernel" / "matmul.cpp").read_text()
    assert "#pragma HLS pipeline II=1" in kernel
    assert "#pragma HLS unroll" in kernel  # full or partial: the DSE picks
    assert "#pragma HLS array_partition variable=" in kernel


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"level": 3}, "-O3"),
        ({"max_dsp": -1}, "--max-dsp"),
        ({"utilization": 0.0}, "--utilization"),
        ({"max_unroll": 0}, "--max-unroll"),
        ({"max_onchip_kib": -5}, "--max-onchip-kib"),
    ],
)
def test_bad_optimization_options_are_one_line_errors(options: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message.replace("-", r"\-")):
        optimization_pipeline(OptimizeOptions(**options))


def test_pipelines_are_plain_pass_lists() -> None:
    assert optimization_pipeline(OptimizeOptions(level=0)) == ""
    o1 = optimization_pipeline(OptimizeOptions(level=1))
    assert "hls-loop-pipeline" in o1 and "hls-dse" not in o1
    o2 = optimization_pipeline(OptimizeOptions(level=2, max_bram=100))
    assert "hls-dse{target=u280" in o2 and "max-bram=100" in o2 and "hls-dataflow-tasks" in o2
