"""Build and run the C++ unit tests of hls_templates/include through the root CMakeLists.txt.

The behavioural hls_stream.h / hls_math.h are what every C-simulation compiles
against, so their tests run in the normal pytest suite: configure with CMake
in a temporary build dir, build, and require `ctest` to pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CPP_TESTS = sorted(p.stem for p in (REPO / "hls_templates" / "tests").glob("*.cpp"))

pytestmark = pytest.mark.skipif(
    shutil.which("cmake") is None or shutil.which("ctest") is None,
    reason="cmake/ctest not on PATH: cannot build the C++ header tests",
)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a build command, capturing output for the assertion message."""
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Configure (warnings as errors) and build once for all tests of this module."""
    build = tmp_path_factory.mktemp("cmake-build")
    configure = _run(
        [
            "cmake",
            "-S",
            str(REPO),
            "-B",
            str(build),
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DLLMHLS_WERROR=ON",
            "-DCMAKE_BUILD_TYPE=Debug",
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        ],
        REPO,
    )
    assert configure.returncode == 0, configure.stdout + configure.stderr
    compiled = _run(["cmake", "--build", str(build), "-j2"], REPO)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return build


def test_every_cpp_file_is_a_ctest(build_dir: Path) -> None:
    """A new hls_templates/tests/*.cpp must be picked up without editing CMakeLists.txt."""
    assert len(CPP_TESTS) >= 3
    listing = _run(["ctest", "-N"], build_dir)
    assert listing.returncode == 0, listing.stderr
    registered = sorted(
        line.split(":", 1)[1].strip()
        for line in listing.stdout.splitlines()
        if line.strip().startswith("Test") and "#" in line
    )
    assert registered == CPP_TESTS


def test_ctest_passes(build_dir: Path) -> None:
    """Every header test program exits 0."""
    result = _run(["ctest", "--output-on-failure"], build_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"0 tests failed out of {len(CPP_TESTS)}" in result.stdout


def test_configure_names_the_include_dirs(build_dir: Path) -> None:
    """Our header dir precedes hls4ml's ap_types (as reported by llmhls) in every compile."""
    from llmhls.toolchain import ap_types_include_dir

    cache = (build_dir / "CMakeCache.txt").read_text()
    assert "LLMHLS_WERROR:BOOL=ON" in cache
    commands = json.loads((build_dir / "compile_commands.json").read_text())
    assert sorted(Path(c["file"]).stem for c in commands) == CPP_TESTS
    for entry in commands:
        command = entry["command"]
        ours = command.index(f"-I{REPO / 'hls_templates' / 'include'}")
        theirs = command.index(f"-isystem {ap_types_include_dir()}")
        assert ours < theirs, "llmhls headers must come before hls4ml's ap_types"
        assert "-std=c++14" in command
