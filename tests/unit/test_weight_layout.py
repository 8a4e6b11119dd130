"""Weights stored in the order the kernel streams them, and spread over m_axi bundles.

hls-weight-layout permutes an off-chip weight so the innermost loop reads it
contiguously; the project must then hold the permuted array (manifest
`shape` = stored shape, `layout` + `original_shape`), C-simulate like before
(also with new inputs), and the -O2 search must find that unrolling a
streamed GEMV pays off once bursts use the 512-bit widened port.
hls-weight-banks (`--weight-banks`) gives weights their own bundles.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from llmhls.cli import main
from llmhls.compiler.csim import run_csim
from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.importer import find_function, import_program
from llmhls.compiler.legalize import HLS_LEGALIZE_PIPELINE
from llmhls.compiler.lowering import lower_to_affine
from llmhls.compiler.optimize import OptimizeOptions, optimization_pipeline
from llmhls.errors import InputError
from llmhls.passes.dataflow.weight_banks import assign_banks
from llmhls.passes.dataflow.weight_layout import weight_layouts
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.qor.estimator import QorReport, estimate
from llmhls.project import manifest_interfaces
from llmhls.targets import get_target

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


class TwoLinear(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(24, 40)
        self.b = torch.nn.Linear(40, 8, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x)))


class Gemv(torch.nn.Module):
    """y[o] = sum_i W[o, i] x[i], as nn.Linear computes it for one row."""

    def __init__(self, outputs: int, inputs: int) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(inputs, outputs, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x)


@pytest.fixture(scope="module")
def model() -> TwoLinear:
    torch.manual_seed(0)
    return TwoLinear().eval()


@pytest.fixture(scope="module")
def project(model: TwoLinear, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """-O2 with every interface off chip (so the weights are streamed) on two weight bundles."""
    loaded = export_module(model, (torch.randn(2, 24),), "two_linear")
    out = tmp_path_factory.mktemp("layout") / "proj"
    optimize = OptimizeOptions(level=2, max_onchip_kib=0, weight_banks=2)
    compile_model(loaded, out, CompileOptions(optimize=optimize))
    return out


def test_manifest_holds_stored_shape_layout_and_original_shape(
    project: Path, model: TwoLinear
) -> None:
    entries = {
        e["name"]: e for e in json.loads((project / "manifest.json").read_text())["interfaces"]
    }
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    # After hls-loop-permute both matmuls run the output-feature loop innermost: W[o][i] is
    # stored transposed so that loop reads it with unit stride.
    for name, original in (("a.weight", [40, 24]), ("b.weight", [8, 40])):
        entry = entries[name]
        assert entry["layout"] == [1, 0]
        assert entry["original_shape"] == original
        assert entry["shape"] == original[::-1]
        stored = (project / entry["file"]).read_bytes()
        assert stored == np.ascontiguousarray(state[name].T).tobytes()
        assert stored != state[name].tobytes()
    for name in ("a.bias", "x", "output0"):
        assert "layout" not in entries[name] and "original_shape" not in entries[name]
    assert (project / entries["a.bias"]["file"]).read_bytes() == state["a.bias"].tobytes()
    kernel = (project / "kernel/two_linear.cpp").read_text()
    assert "const float* a_weight" in kernel
    testbench = (project / "tb/tb_two_linear.cpp").read_text()
    assert "float[24][40] = [40][24] permuted (1, 0)" in testbench


def test_weight_banks_name_the_bundles(project: Path) -> None:
    kernel = (project / "kernel/two_linear.cpp").read_text()
    # a.weight (3840 B) -> gmem_w0, b.weight (1280 B) -> gmem_w1, a.bias (160 B) -> gmem_w1.
    assert "port=a_weight offset=slave bundle=gmem_w0 " in kernel
    assert "port=b_weight offset=slave bundle=gmem_w1 " in kernel
    assert "port=a_bias offset=slave bundle=gmem_w1 " in kernel
    assert "bundle=gmem_w " not in kernel
    assert kernel.count("max_widen_bitwidth=512") == 5  # every m_axi port of the top
    assert "hls-weight-banks{banks=2}" in kernel


@needs_gxx
def test_csim_passes_with_permuted_weights(project: Path, tmp_path: Path) -> None:
    assert run_csim(project).passed
    x = np.random.default_rng(3).standard_normal((2, 24)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x)
    result = run_csim(project, inputs_npz=tmp_path / "in.npz", outputs_npz=tmp_path / "out.npz")
    assert result.passed
    program = torch.export.load(project / "program.pt2")
    expected = program.module()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(np.load(tmp_path / "out.npz")["output0"], expected, rtol=1e-5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layout": [0, 0]}, "is not a permutation"),
        ({"layout": [1, 0, 2]}, "is not a permutation"),
        ({"original_shape": [24, 40]}, "is not original_shape"),
        ({"original_shape": None}, "original_shape None"),
    ],
)
def test_bad_layout_entries_are_input_errors(project: Path, change: dict, message: str) -> None:
    manifest = json.loads((project / "manifest.json").read_text())
    entry = next(e for e in manifest["interfaces"] if e["name"] == "a.weight")
    for key, value in change.items():
        if value is None:
            del entry[key]
        else:
            entry[key] = value
    with pytest.raises(InputError, match=message):
        manifest_interfaces(manifest)


def test_assign_banks_largest_first_to_least_filled() -> None:
    # 256 (b) -> 0, 256 (d) -> 1, 128 (c) -> 0 (tie at 256), 64 (a) -> 1 (320 < 384)
    assert assign_banks([64, 256, 128, 256], 2) == [1, 0, 0, 1]
    assert assign_banks([64, 256, 128, 256], 4) == [3, 0, 2, 1]
    assert assign_banks([10, 10, 10], 1) == [0, 0, 0]


def test_weight_banks_cli_option(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compile", "unused.pt2", "-o", "unused", "--print-pipeline"]
    assert main([*argv, "--weight-banks", "3"]) == 0
    assert (
        "hls-weight-layout, hls-weight-banks{banks=3}, hls-loop-pipeline" in capsys.readouterr().out
    )
    assert main(argv) == 0
    assert "hls-weight-banks" not in capsys.readouterr().out
    assert main([*argv, "--weight-banks", "-1"]) != 0
    assert "--weight-banks must be >= 0, got -1" in capsys.readouterr().err


def _gemv_estimate(with_layout: bool) -> tuple[QorReport, dict[str, tuple[int, ...]]]:
    """A GEMV whose 576 KiB weight stays off chip, optimized at -O2 with or without layouts."""
    torch.manual_seed(0)
    loaded = export_module(Gemv(1024, 144).eval(), (torch.randn(1, 144),), "gemv")
    imported = import_program(loaded.program, func_name="gemv")
    lower_to_affine(imported.module)
    run_pipeline(imported.module, HLS_LEGALIZE_PIPELINE)
    pipeline = optimization_pipeline(OptimizeOptions(level=2))
    if not with_layout:
        pipeline = pipeline.replace("hls-weight-layout, ", "")
    run_pipeline(imported.module, pipeline)
    with imported.module.context:
        layouts = weight_layouts(find_function(imported.module, "gemv"))
    return estimate(imported.module, get_target("u280"), 300.0, top="gemv"), layouts


def _streaming_loop(report: QorReport):
    return max(
        (loop for top in report.loops for loop in _walk(top) if loop.pipelined),
        key=lambda loop: loop.latency * loop.entries,
    )


def _walk(loop):
    yield loop
    for child in loop.loops:
        yield from _walk(child)


def test_dse_unrolls_a_streamed_gemv_once_the_weight_is_laid_out() -> None:
    before, no_layouts = _gemv_estimate(with_layout=False)
    after, layouts = _gemv_estimate(with_layout=True)
    assert no_layouts == {} and layouts == {"lin_weight": (1, 0)}
    loop = _streaming_loop(after)
    # The output loop (1024) walks the stored W^T[i][o] contiguously: an unrolled iteration
    # is one widened burst of 32U bits, which one HBM2 channel carries at 13.3 GB/s =
    # 354.67 bits per cycle at 300 MHz (targets.json): II = ceil(32U / 354.67), so unrolling
    # pays until the channel is full.
    channel_bits = 8 * 13.3e3 / 300
    assert loop.trip_count == 1024 and loop.unroll >= 16
    assert loop.ii_achieved == math.ceil(32 * loop.unroll / channel_bits)
    assert loop.ii_limit in ("target", "channel:gmem_w")
    # The 144-trip input loop above it is flattened in (hls-loop-flatten): one pipeline
    # through 144 x 1024 / U iterations, 1024 x 144 weights at 354.67 / 32 per cycle, its
    # depth paid once (plus about 3 x 1024 cycles of accumulator init, x load and output
    # store).
    assert loop.latency == (144 * (1024 // loop.unroll) - 1) * loop.ii_achieved + loop.depth
    assert after.latency_cycles < 1024 * 144 * 32 / channel_bits + loop.depth + 4 * 1024
    # Without the layout the same reads are 144 elements apart: no burst, no widening.
    assert before.latency_cycles > 5 * after.latency_cycles
