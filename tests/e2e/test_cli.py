"""The `llmhls` command line as a user meets it: help, errors, atomic output, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import tool

from llmhls.cli import main


class TwoLayer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 9)
        self.fc2 = torch.nn.Linear(9, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.nn.functional.silu(self.fc1(x)))


class BesselI0(torch.nn.Module):
    """aten.i0 has no lowering to linalg in torch-mlir."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.i0(x)


@pytest.fixture(scope="module")
def model_pt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("models") / "two_layer.pt2"
    torch.export.save(torch.export.export(TwoLayer().eval(), (torch.randn(3, 6),)), path)
    return path


def run_llmhls(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmhls.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_help_explains_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["compile", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--target" in text and "u55c" in text and "--trust" in text and "Partial today" in text


def test_compile_then_csim_end_to_end(model_pt2: Path, tmp_path: Path) -> None:
    out = tmp_path / "proj"
    compiled = run_llmhls("compile", str(model_pt2), "-o", str(out), "--target", "u55c")
    assert compiled.returncode == 0, compiled.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target"] == "u55c"
    assert [i["role"] for i in manifest["interfaces"]].count("weight") == 4
    tcl = (out / "run_hls.tcl").read_text()
    assert manifest["part"] in tcl
    csim = run_llmhls("csim", str(out))
    assert csim.returncode == 0, csim.stderr
    lines = csim.stdout.strip().splitlines()
    assert len(lines) == 1
    verdict = json.loads(lines[0])
    assert verdict["passed"] is True and verdict["max_rel_err"] <= 1e-4


def test_same_input_gives_identical_files(model_pt2: Path, tmp_path: Path) -> None:
    assert main(["compile", str(model_pt2), "-o", str(tmp_path / "a")]) == 0
    assert main(["compile", str(model_pt2), "-o", str(tmp_path / "b")]) == 0
    files_a = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    files_b = sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert files_a == files_b and len(files_a) >= 10
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_non_empty_output_needs_force(
    model_pt2: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "proj"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    assert main(["compile", str(model_pt2), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert (out / "keep.txt").exists()
    assert main(["compile", str(model_pt2), "-o", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists()
    assert (out / "manifest.json").exists()


def test_failure_leaves_no_half_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "i0.pt2"
    torch.export.save(torch.export.export(BesselI0(), (torch.randn(2, 5),)), bad)
    out = tmp_path / "proj"
    code = main(["compile", str(bad), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert "unsupported op 'aten.i0'" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["i0.pt2"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["compile", "missing.pt2", "-o", "x"], "does not exist"),
        (["compile", "{model}", "-o", "{out}", "--target", "u9000"], "unknown target 'u9000'"),
        (["compile", "{model}", "-o", "{out}", "--clock-mhz", "5"], "--clock-mhz"),
        (["compile", "{model}", "-o", "{out}", "--tolerance", "0"], "--tolerance"),
        (["csim", "{out}"], "no such project directory"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    args: list[str],
    expected: str,
    model_pt2: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [a.format(model=model_pt2, out=tmp_path / "out") for a in args]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error:") and expected in err
    assert "Traceback" not in err


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = run_llmhls(
        "compile", str(tmp_path / "missing.pt2"), "-o", str(tmp_path / "o"), "--debug"
    )
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "does not exist" in result.stderr


def test_print_pipeline_lists_both_stages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "unused.pt2", "-o", "unused", "--print-pipeline"]) == 0
    out = capsys.readouterr().out
    assert "convert-linalg-to-affine-loops" in out and "hls-results-to-args" in out


def test_csim_with_user_inputs_and_saved_outputs(model_pt2: Path, tmp_path: Path) -> None:
    import numpy as np

    out = tmp_path / "proj"
    assert main(["compile", str(model_pt2), "-o", str(out)]) == 0
    x = np.random.default_rng(5).standard_normal((3, 6)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x)
    result = run_llmhls(
        "csim", str(out), "--inputs", str(tmp_path / "in.npz"), "--outputs", str(tmp_path / "o.npz")
    )
    assert result.returncode == 0, result.stderr
    saved = np.load(tmp_path / "o.npz")
    program = torch.export.load(out / "program.pt2")
    expected = program.module()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(saved["output0"], expected, rtol=1e-5, atol=1e-6)


def test_opt_and_translate_tools(tmp_path: Path) -> None:
    listed = subprocess.run([tool("llmhls-opt"), "--list-passes"], capture_output=True, text=True)
    assert listed.returncode == 0
    for name in (
        "hls-results-to-args",
        "hls-f64-to-f32",
        "hls-copies-to-loops",
        "hls-drop-asserts",
    ):
        assert name in listed.stdout
    bad = subprocess.run(
        [tool("llmhls-opt"), str(tmp_path / "nope.mlir")], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "nope.mlir" in bad.stderr
    text = tmp_path / "t.mlir"
    text.write_text("func.func @f(%a: memref<2xf32>) {\n  return\n}\n")
    pipeline = subprocess.run(
        [tool("llmhls-opt"), str(text), "--pass-pipeline=builtin.module(no-such-pass)"],
        capture_output=True,
        text=True,
    )
    assert pipeline.returncode == 2 and "no-such-pass" in pipeline.stderr
    translated = subprocess.run(
        [tool("llmhls-translate"), "--emit-hlscpp", str(text)], capture_output=True, text=True
    )
    assert translated.returncode == 0 and "void f(" in translated.stdout


def test_cli_defaults_are_the_option_dataclasses() -> None:
    """Each compile flag's default is its dataclass field's; --help imports no torch."""
    code = """
import sys
from llmhls.cli import build_parser
from llmhls.compiler.optimize import OptimizeOptions
from llmhls.compiler.options import WEIGHT_FORMATS, CompileOptions
parser = build_parser()
args = parser.parse_args(["compile", "m.pt2", "-o", "out"])
parser.format_help()
compile_defaults, optimize = CompileOptions(), OptimizeOptions()
assert args.target == compile_defaults.target
# --tolerance and --seed stay None unless given (an LLM compile rejects them); --help
# shows the dataclass default.
assert args.tolerance is None and args.seed is None
compile_cmd = parser._subparsers._group_actions[0].choices["compile"]
assert f"(default: {compile_defaults.tolerance:g})" in " ".join(compile_cmd.format_help().split())
assert args.opt_level == optimize.level, args.opt_level
for name in ("max_onchip_kib", "utilization", "max_unroll", "weight_banks", "max_dsp", "max_ff"):
    assert getattr(args, name) == getattr(optimize, name), name
weights = next(a for a in compile_cmd._actions if a.dest == "weights")
assert tuple(weights.choices) == WEIGHT_FORMATS
print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torch_mlir", "numpy")))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
