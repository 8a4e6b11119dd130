"""C-simulation: the generated testbench and `run_csim` on small hand-written projects.

Each project is what the compiler would write (manifest, kernel, testbench from
`render_testbench`, .bin data, program.pt2), with a hand-written kernel, so these
tests check the csim side alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from llmhls.compiler.csim import CSimResult, run_csim
from llmhls.compiler.testbench import compare, render_testbench
from llmhls.errors import CSimError, InputError, OptionError

LINEAR_HEADER = """\
#pragma once
void linear(const float* x, const float* l_weight, const float* l_bias, float* output0);
"""

LINEAR_KERNEL = """\
#include "linear.h"

// y = x @ W^T + b for x[2][8], W[16][8], b[16].
void linear(const float* x, const float* l_weight, const float* l_bias, float* output0) {
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 16; ++j) {
      float acc = BIAS;
      for (int k = 0; k < 8; ++k) {
        acc += x[i * 8 + k] * l_weight[j * 8 + k];
      }
      output0[i * 16 + j] = acc;
    }
  }
}
"""
GOOD_KERNEL = LINEAR_KERNEL.replace("BIAS", "l_bias[j]")
NO_BIAS_KERNEL = LINEAR_KERNEL.replace("BIAS", "0.0f")  # wrong: forgets the bias


def linear_manifest(rel_tolerance: float = 1e-4) -> dict[str, Any]:
    return {
        "llmhls_version": "0.0.0",
        "top": "linear",
        "model": "tiny_linear",
        "target": "u280",
        "part": "xcu280-fsvh2892-2L-e",
        "clock_mhz": 300.0,
        "kernel_files": ["kernel/linear.cpp"],
        "kernel_headers": ["kernel/linear.h"],
        "testbench": "tb/tb_linear.cpp",
        "tolerance": {"rel": rel_tolerance},
        "interfaces": [
            _iface("x", "x", "input", [2, 8], "float32"),
            _iface("l.weight", "l_weight", "weight", [16, 8], "float32"),
            _iface("l.bias", "l_bias", "weight", [16], "float32"),
            _iface("output0", "output0", "output", [2, 16], "float32"),
        ],
    }


def _iface(name: str, arg: str, role: str, shape: list[int], dtype: str) -> dict[str, Any]:
    ctype = {"float32": "float", "int64": "int64_t", "bool": "bool"}[dtype]
    folder = {"input": "inputs", "weight": "weights", "output": "golden"}[role]
    return {
        "name": name,
        "arg": arg,
        "role": role,
        "shape": shape,
        "dtype": dtype,
        "ctype": ctype,
        "file": f"data/{folder}/{arg}.bin",
    }


def write_project(
    root: Path,
    manifest: dict[str, Any],
    kernel: str,
    header: str,
    data: dict[str, np.ndarray],
    tb_manifest: dict[str, Any] | None = None,
) -> Path:
    """Lay out a compiled project; `data` maps arg -> array for every interface."""
    top = manifest["top"]
    (root / "kernel").mkdir(parents=True)
    (root / "tb").mkdir()
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (root / "kernel" / f"{top}.cpp").write_text(kernel)
    (root / "kernel" / f"{top}.h").write_text(header)
    (root / "tb" / f"tb_{top}.cpp").write_text(render_testbench(tb_manifest or manifest))
    folders = {"input": "inputs", "weight": "weights", "output": "golden"}
    for iface in manifest["interfaces"]:
        path = root / "data" / folders[iface["role"]] / f"{iface['arg']}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(np.ascontiguousarray(data[iface["arg"]]).tobytes())
    return root


@pytest.fixture(scope="module")
def linear_model() -> torch.nn.Linear:
    torch.manual_seed(0)
    return torch.nn.Linear(8, 16).eval()


@pytest.fixture(scope="module")
def linear_data(linear_model: torch.nn.Linear) -> dict[str, np.ndarray]:
    x = np.random.default_rng(1).standard_normal((2, 8)).astype(np.float32)
    with torch.no_grad():
        y = linear_model(torch.from_numpy(x)).numpy()
    return {
        "x": x,
        "l_weight": linear_model.weight.detach().numpy(),
        "l_bias": linear_model.bias.detach().numpy(),
        "output0": y,
    }


@pytest.fixture(scope="module")
def linear_project(
    tmp_path_factory: pytest.TempPathFactory,
    linear_model: torch.nn.Linear,
    linear_data: dict[str, np.ndarray],
) -> Path:
    """A correct project, built once; tests that change files make their own."""
    root = tmp_path_factory.mktemp("linear") / "project"
    write_project(root, linear_manifest(), GOOD_KERNEL, LINEAR_HEADER, linear_data)
    program = torch.export.export(linear_model, (torch.from_numpy(linear_data["x"]),))
    torch.export.save(program, str(root / "program.pt2"))
    return root


def test_testbench_text_is_deterministic_and_names_everything() -> None:
    first = render_testbench(linear_manifest())
    assert first == render_testbench(linear_manifest())
    assert first.startswith("// C-simulation testbench for the llmhls kernel `linear`")
    assert "(model tiny_linear, target u280)" in first
    assert '#include "linear.h"' in first
    assert "l_weight  weight  float[16][8]  (PyTorch: l.weight)" in first
    assert 'read_bin(weights_dir + "/l_weight.bin", l_weight);' in first
    assert 'read_bin(inputs_dir + "/x.bin", x);' in first
    assert "const double kRelTolerance = 0.0001;" in first
    assert "linear(\n      x.data.get(),\n" in first
    assert 'report("output0", compare_float(output0, output0_golden));' in first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dtype": "float64"}, "dtype 'float64'"),
        ({"arg": "root"}, "clashes"),
        ({"arg": "l-weight"}, "not a C identifier"),
        ({"ctype": "double"}, "ctype 'double'"),
        ({"shape": [16, -8]}, "shape"),
    ],
)
def test_testbench_rejects_bad_interfaces(change: dict[str, Any], message: str) -> None:
    manifest = linear_manifest()
    manifest["interfaces"][1].update(change)
    with pytest.raises(InputError, match=message):
        render_testbench(manifest)


def test_compare_matches_the_testbench_rules() -> None:
    golden = np.array([1.0, -4.0, np.nan, np.inf], dtype=np.float32)
    close = np.array([1.0, -4.0002, np.nan, np.inf], dtype=np.float32)
    check = compare(close, golden, is_float=True, rel_tol=1e-4)
    assert check.passed
    assert check.max_rel_err == pytest.approx(0.0002 / 4, rel=1e-2)
    nan_where_golden_is_finite = np.array([np.nan, -4.0, np.nan, np.inf], dtype=np.float32)
    check = compare(nan_where_golden_is_finite, golden, is_float=True, rel_tol=1e-4)
    assert not check.passed and check.max_abs_err == np.inf
    zeros = np.zeros(3, dtype=np.float32)
    assert compare(zeros, zeros, is_float=True, rel_tol=0.0).passed
    ints = np.array([3, 7], dtype=np.int64)
    check = compare(ints, np.array([3, 8], dtype=np.int64), is_float=False, rel_tol=1.0)
    assert not check.passed and check.max_abs_err == 1.0


def test_a_wrong_small_element_fails_though_its_error_is_small_against_the_scale() -> None:
    """A softmax tail wholly wrong: 1e-5 of the scale passed the old max-error-over-scale
    verdict (<= 1e-4); element-wise, it is 100% of its own value and fails."""
    golden = np.array([0.9, 0.09, 1e-5, 1e-5], dtype=np.float32)
    wrong_tail = np.array([0.9, 0.09, 0.0, 2e-5], dtype=np.float32)
    check = compare(wrong_tail, golden, is_float=True, rel_tol=1e-4)
    assert check.max_rel_err <= 1e-4  # what the old verdict judged: a pass
    assert not check.passed and check.tolerance_ratio > 1
    # Float rounding of the same values passes: 1 ulp on every element.
    rounded = np.nextafter(golden, np.float32(1))
    assert compare(rounded, golden, is_float=True, rel_tol=1e-4).passed


def test_testbench_fails_a_wrong_small_element_as_python_does(
    tmp_path: Path, linear_data: dict[str, np.ndarray]
) -> None:
    data = dict(linear_data)
    golden = data["output0"].copy()
    smallest = int(np.argmin(np.abs(golden)))
    scale = float(np.abs(golden).max())
    golden.flat[smallest] += np.float32(2e-5 * scale)  # 2e-5 of the scale: the old bar passed it
    data["output0"] = golden
    root = write_project(tmp_path, linear_manifest(), GOOD_KERNEL, LINEAR_HEADER, data)
    result = run_csim(root)
    assert result.max_rel_err <= 1e-4
    assert not result.passed and result.tb_exit_code == 1 and result.note == ""
    assert result.outputs[0]["tolerance_ratio"] > 1


def test_correct_kernel_passes_and_reports_one_json_line(linear_project: Path) -> None:
    result = run_csim(linear_project)
    assert result.passed, result.log
    assert result.tb_exit_code == 0 and result.note == ""
    assert result.max_rel_err < 1e-5
    assert [o["name"] for o in result.outputs] == ["output0"]
    assert result.outputs[0]["shape"] == [2, 16] and result.outputs[0]["passed"]
    assert "output0: max_abs_err=" in result.log and "PASS: 0 of 1 outputs failed" in result.log
    line = result.to_json()
    assert "\n" not in line
    data = json.loads(line)
    assert {"passed", "max_abs_err", "max_rel_err", "outputs", "build_s", "run_s"} <= set(data)
    assert data["passed"] is True and data["outputs"][0]["name"] == "output0"
    assert (linear_project / "csim_build" / "tb_linear").is_file()
    assert not list((linear_project / "csim_build").glob("*.tmp"))


def test_build_is_reused_until_a_source_changes(linear_project: Path) -> None:
    run_csim(linear_project)
    assert run_csim(linear_project).cached
    build = linear_project / "csim_build"
    for source in ("kernel/linear.cpp", "kernel/linear.h"):
        # Edited just after the last build (a past time: what is built next is newer).
        edited = (build / "tb_linear").stat().st_mtime_ns + 1_000_000
        os.utime(linear_project / source, ns=(edited, edited))
        assert not run_csim(linear_project, jobs=1).cached
        assert run_csim(linear_project).cached


def test_testbench_exits_2_naming_a_missing_file(linear_project: Path, tmp_path: Path) -> None:
    run_csim(linear_project)
    binary = linear_project / "csim_build" / "tb_linear"
    # With no arguments it reads the project it runs in, as Vitis csim would run it.
    proc = subprocess.run([str(binary)], cwd=linear_project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("PASS: 0 of 1 outputs failed\n")
    proc = subprocess.run(
        [str(binary), str(linear_project), str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert f"cannot open {tmp_path}/x.bin" in proc.stderr
    short = tmp_path / "x.bin"
    short.write_bytes(b"\0" * 60)
    proc = subprocess.run(
        [str(binary), str(linear_project), str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "holds 60 bytes, expected 64" in proc.stderr


def test_wrong_kernel_fails(
    tmp_path: Path, linear_project: Path, linear_data: dict[str, np.ndarray]
) -> None:
    root = write_project(tmp_path, linear_manifest(), NO_BIAS_KERNEL, LINEAR_HEADER, linear_data)
    result = run_csim(root)
    assert not result.passed
    assert result.tb_exit_code == 1 and result.note == ""
    assert not result.outputs[0]["passed"]
    assert result.max_rel_err > 1e-2
    assert "output0: max_abs_err=" in result.log and "FAIL" in result.log
    assert json.loads(result.to_json())["passed"] is False


def test_testbench_and_python_must_agree(
    tmp_path: Path, linear_data: dict[str, np.ndarray]
) -> None:
    # The testbench was generated with a loose tolerance the manifest no longer states:
    # it passes the wrong kernel, Python does not, so the run fails and says why.
    lax = linear_manifest(rel_tolerance=1e9)
    root = write_project(
        tmp_path, linear_manifest(), NO_BIAS_KERNEL, LINEAR_HEADER, linear_data, tb_manifest=lax
    )
    result = run_csim(root)
    assert result.tb_exit_code == 0
    assert not result.passed
    assert "disagrees" in result.note


def test_user_inputs_recompute_golden_and_outputs_are_saved(
    linear_project: Path, linear_model: torch.nn.Linear, tmp_path: Path
) -> None:
    x = np.random.default_rng(7).standard_normal((2, 8)) * 3  # float64: cast to float32
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=x)
    outputs = tmp_path / "outputs.npz"
    result = run_csim(linear_project, inputs_npz=inputs, outputs_npz=outputs)
    assert result.passed, result.log
    assert result.golden_s > 0
    with torch.no_grad():
        expected = linear_model(torch.from_numpy(x.astype(np.float32))).numpy()
    with np.load(outputs) as saved:
        assert saved.files == ["output0"]
        assert saved["output0"].dtype == np.float32
        np.testing.assert_allclose(saved["output0"], expected, rtol=1e-5, atol=1e-5)
    # The project's own data was not touched.
    stored = np.fromfile(linear_project / "data/inputs/x.bin", dtype=np.float32)
    assert not np.allclose(stored, x.astype(np.float32).ravel())


def test_user_inputs_that_a_wrong_kernel_gets_wrong_fail(
    tmp_path: Path,
    linear_project: Path,
    linear_data: dict[str, np.ndarray],
) -> None:
    root = write_project(
        tmp_path / "p", linear_manifest(), NO_BIAS_KERNEL, LINEAR_HEADER, linear_data
    )
    shutil.copy(linear_project / "program.pt2", root / "program.pt2")
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=np.ones((2, 8), dtype=np.float32))
    result = run_csim(root, inputs_npz=inputs)
    assert not result.passed and result.tb_exit_code == 1


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"y": np.zeros((2, 8), np.float32)}, "unexpected key 'y'"),
        ({}, "missing input 'x'"),
        ({"x": np.zeros((8, 2), np.float32)}, r"shape \[8, 2\], expected \[2, 8\]"),
        ({"x": np.zeros((2, 8), np.int32)}, "dtype int32, expected float32"),
        (
            {"x": np.zeros((2, 8), np.float32), "extra": np.zeros(1, np.float32)},
            "unexpected key 'extra'",
        ),
    ],
)
def test_bad_user_inputs_are_input_errors(
    linear_project: Path, tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, **arrays)
    with pytest.raises(InputError, match=message):
        run_csim(linear_project, inputs_npz=inputs)


def test_user_inputs_accept_the_argument_name(linear_project: Path, tmp_path: Path) -> None:
    # Names and args differ only where PyTorch names are not C identifiers.
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=np.full((2, 8), 0.5, dtype=np.float32))
    assert run_csim(linear_project, inputs_npz=inputs).passed
    not_npz = tmp_path / "x.npy"
    np.save(not_npz, np.zeros((2, 8), np.float32))
    with pytest.raises(InputError, match=r"not an \.npz archive"):
        run_csim(linear_project, inputs_npz=not_npz)


def test_project_problems_are_input_errors(
    tmp_path: Path, linear_data: dict[str, np.ndarray]
) -> None:
    with pytest.raises(InputError, match=r"manifest\.json: missing"):
        run_csim(tmp_path)
    root = write_project(tmp_path / "p", linear_manifest(), GOOD_KERNEL, LINEAR_HEADER, linear_data)
    weight = root / "data/weights/l_bias.bin"
    weight.write_bytes(weight.read_bytes()[:-4])
    with pytest.raises(InputError, match=r"l_bias\.bin: holds 60 bytes, expected 64"):
        run_csim(root)
    weight.unlink()
    with pytest.raises(InputError, match=r"l_bias\.bin: missing weight file"):
        run_csim(root)
    with pytest.raises(InputError, match=r"program\.pt2: missing"):
        run_csim(root, inputs_npz=tmp_path / "any.npz")
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        run_csim(root)
    with pytest.raises(OptionError, match="jobs"):
        run_csim(root, jobs=0)


def test_compile_error_is_a_csim_error(tmp_path: Path, linear_data: dict[str, np.ndarray]) -> None:
    broken = GOOD_KERNEL.replace("float acc", "flaot acc")
    root = write_project(tmp_path, linear_manifest(), broken, LINEAR_HEADER, linear_data)
    with pytest.raises(CSimError, match=r"compiling kernel/linear\.cpp: .*linear\.cpp:7:7: error"):
        run_csim(root)
    build = root / "csim_build"
    assert not list(build.glob("*.tmp")) and not (build / "tb_linear").exists()
    renamed = GOOD_KERNEL.replace("void linear(", "void linear_v2(")
    (root / "kernel" / "linear.cpp").write_text(renamed)
    with pytest.raises(CSimError, match=r"linking tb_linear: .*undefined reference to `linear\("):
        run_csim(root)


@pytest.mark.parametrize(
    ("prologue", "message"),
    [
        ("volatile int spin = 1;\n  while (spin) {\n  }", "ran past the 1 s time limit"),
        ("std::abort();", "crashed with SIGABRT"),
    ],
)
def test_hung_or_crashing_kernel_is_a_csim_error(
    tmp_path: Path, linear_data: dict[str, np.ndarray], prologue: str, message: str
) -> None:
    kernel = "#include <cstdlib>\n" + GOOD_KERNEL.replace(
        "for (int i = 0;", f"{prologue}\n  for (int i = 0;", 1
    )
    root = write_project(tmp_path, linear_manifest(), kernel, LINEAR_HEADER, linear_data)
    with pytest.raises(CSimError, match=message):
        run_csim(root, timeout_s=1.0)


ARGMAX_HEADER = """\
#pragma once
#include <cstdint>
void argmax(const float* x, int64_t* idx, bool* positive);
"""

ARGMAX_KERNEL = """\
#include "argmax.h"

// idx[i] = argmax_j x[i][j]; positive[i][j] = x[i][j] > 0, for x[3][5].
void argmax(const float* x, int64_t* idx, bool* positive) {
  for (int i = 0; i < 3; ++i) {
    int64_t best = 0;
    for (int j = 0; j < 5; ++j) {
      if (x[i * 5 + j] > x[i * 5 + best]) {
        best = j;
      }
      positive[i * 5 + j] = x[i * 5 + j] > 0.0f;
    }
    idx[i] = best;
  }
}
"""


def test_integer_and_bool_outputs_must_match_exactly(tmp_path: Path) -> None:
    manifest = {
        **linear_manifest(),
        "top": "argmax",
        "model": "argmax",
        "kernel_files": ["kernel/argmax.cpp"],
        "kernel_headers": ["kernel/argmax.h"],
        "testbench": "tb/tb_argmax.cpp",
        "tolerance": {"rel": 1e-4},
        "interfaces": [
            _iface("x", "x", "input", [3, 5], "float32"),
            _iface("output0", "idx", "output", [3], "int64"),
            _iface("output1", "positive", "output", [3, 5], "bool"),
        ],
    }
    x = np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32)
    data = {"x": x, "idx": x.argmax(axis=1).astype(np.int64), "positive": x > 0}
    root = write_project(tmp_path, manifest, ARGMAX_KERNEL, ARGMAX_HEADER, data)
    result = run_csim(root, outputs_npz=tmp_path / "out.npz")
    assert result.passed, result.log
    assert [o["max_abs_err"] for o in result.outputs] == [0.0, 0.0]
    with np.load(tmp_path / "out.npz") as saved:
        np.testing.assert_array_equal(saved["output0"], data["idx"])
        np.testing.assert_array_equal(saved["output1"], data["positive"])
        assert saved["output1"].dtype == np.bool_
    wrong = data["idx"].copy()
    wrong[1] = (wrong[1] + 2) % 5
    (root / "data/golden/idx.bin").write_bytes(wrong.tobytes())
    result = run_csim(root)
    assert not result.passed and result.tb_exit_code == 1 and result.note == ""
    assert [o["passed"] for o in result.outputs] == [False, True]
    assert result.outputs[0]["max_abs_err"] >= 1.0


def test_result_json_writes_non_finite_errors_as_null() -> None:
    result = CSimResult(
        passed=False,
        max_abs_err=float("inf"),
        max_rel_err=float("nan"),
        outputs=[{"name": "y", "shape": [1], "max_abs_err": float("inf"), "passed": False}],
        build_s=0.5,
        run_s=0.25,
    )
    data = json.loads(result.to_json())
    assert data["max_abs_err"] is None and data["max_rel_err"] is None
    assert data["outputs"][0]["max_abs_err"] is None
