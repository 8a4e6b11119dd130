"""The C++ that `llmhls-translate` prints for the lit inputs compiles, and a few kernels run.

FileCheck only matches text; g++ catches what text cannot: a call before the
callee's declaration, a store through a `const` pointer, a literal of the wrong
type, a missing include. The run test checks values the text checks only imply
(NaN through `ugt`, iter_args fed from each other, views passed to callees).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT, tool

from llmhls.toolchain import ap_types_include_dir, hls_include_dir

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

LIT = REPO_ROOT / "tests" / "lit"
LEGALIZE_PIPELINE = (
    "builtin.module(hls-results-to-args, hls-f64-to-f32, hls-copies-to-loops, "
    "hls-drop-asserts, canonicalize, cse)"
)

# (lit input, --top or None for the default, run the legalize pipeline first)
COMPILE_CASES = [
    ("emit/affine-for-if.mlir", None, False),
    ("emit/scf-reduction.mlir", None, False),
    ("emit/index-arithmetic.mlir", None, False),
    ("emit/global-constants.mlir", None, False),
    ("emit/casts-and-compares.mlir", None, False),
    ("emit/strided-views.mlir", None, False),
    ("emit/math-and-literals.mlir", None, False),
    ("emit/functions-and-header.mlir", None, False),
    ("emit/functions-and-header.mlir", "other", False),
    ("emit/loop-directives.mlir", None, False),
    ("legalize/pipeline-legalize-full.mlir", None, True),
]


def _run(cmd: list[str], stdin: str | None = None) -> str:
    """Run a tool; a non-zero exit fails the test with its stderr."""
    result = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


def emit_kernel(source: Path, out_dir: Path, top: str | None, legalize: bool = False) -> Path:
    """Write <top>.cpp and <top>.h (the .cpp includes the header) into out_dir."""
    text = source.read_text()
    if legalize:
        text = _run([tool("llmhls-opt"), "-", f"--pass-pipeline={LEGALIZE_PIPELINE}"], text)
    top_args = ["--top", top] if top else []
    cpp = _run([tool("llmhls-translate"), "-", "--emit-hlscpp", *top_args], text)
    header = _run([tool("llmhls-translate"), "-", "--emit-header", *top_args], text)
    match = re.match(r'#include "(\w+)\.h"', cpp)
    assert match, cpp[:200]
    name = match.group(1)
    assert f"void {name}(" in header
    (out_dir / f"{name}.h").write_text(header)
    path = out_dir / f"{name}.cpp"
    path.write_text(cpp)
    return path


def _gxx(*args: str) -> subprocess.CompletedProcess[str]:
    includes = [f"-I{hls_include_dir()}", f"-I{ap_types_include_dir()}"]
    return subprocess.run(
        ["g++", "-std=c++14", *includes, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("lit_input", "top", "legalize"),
    COMPILE_CASES,
    ids=[f"{path}:{top or 'default'}" for path, top, _ in COMPILE_CASES],
)
def test_emitted_cpp_compiles(
    lit_input: str, top: str | None, legalize: bool, tmp_path: Path
) -> None:
    cpp = emit_kernel(LIT / lit_input, tmp_path, top, legalize)
    result = _gxx("-fsyntax-only", f"-I{tmp_path}", str(cpp))
    assert result.returncode == 0, f"{cpp.name} does not compile:\n{result.stderr[-4000:]}"


DRIVER = r"""
#include <cstdint>
#include <cstdio>
#include <limits>

#include "block.h"
#include "fib.h"
#include "relu_sum.h"

int main() {
  float x[8], y[8];
  for (int i = 0; i < 8; ++i) { x[i] = (float)i; y[i] = -1.0f; }
  block(x, y);
  for (int i = 0; i < 8; ++i) std::printf("block %g\n", y[i]);
  float r[16], s[1];
  for (int i = 0; i < 16; ++i) r[i] = (i % 2) ? -1.0f : 1.0f;
  relu_sum(r, s);
  std::printf("relu %g\n", s[0]);
  r[3] = std::numeric_limits<float>::quiet_NaN();
  relu_sum(r, s);
  std::printf("relu_nan %g\n", s[0]);
  int32_t f[1];
  fib(10, f);
  std::printf("fib %d\n", (int)f[0]);
  return 0;
}
"""


def test_emitted_kernels_compute(tmp_path: Path) -> None:
    """Link three emitted kernels with a driver and check what they compute."""
    sources = [
        emit_kernel(LIT / "emit/functions-and-header.mlir", tmp_path, None),
        emit_kernel(LIT / "emit/scf-reduction.mlir", tmp_path, None),
        emit_kernel(LIT / "emit/scf-reduction.mlir", tmp_path, "fib"),
    ]
    assert [s.name for s in sources] == ["block.cpp", "relu_sum.cpp", "fib.cpp"]
    driver = tmp_path / "main.cpp"
    driver.write_text(DRIVER)
    exe = tmp_path / "kernels"
    build = _gxx("-O0", f"-I{tmp_path}", "-o", str(exe), str(driver), *map(str, sources))
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, check=True)
    values: dict[str, list[float]] = {}
    for line in run.stdout.splitlines():
        key, value = line.split()
        values.setdefault(key, []).append(float(value))
    # Row 0 scaled by 2 through @scale; row 1 copied through @shift_row, whose
    # parameter layout carries the offset 4 (the caller passes the base pointer).
    assert values["block"] == [0.0, 2.0, 4.0, 6.0, 4.0, 5.0, 6.0, 7.0]
    assert values["relu"] == [8.0]  # eight 1.0s kept, eight -1.0s clamped to 0
    assert math.isnan(values["relu_nan"][0])  # `ugt` is true on NaN: it flows through
    # (a, b) <- (a + b, a) five times from (0, 1): 1, 1, 2, 3, 5.
    assert values["fib"] == [5.0]
