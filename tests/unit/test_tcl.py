"""Tests of compiler/tcl.py: the rendered run_hls.tcl is executed by a real tclsh.

Vitis HLS is not available here, so a Tcl prelude defines every HLS command as a
stub that records its arguments, then sources the generated script exactly as
vitis_hls would. The tests assert the recorded command sequence and arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from llmhls.compiler.tcl import (
    format_period_ns,
    render_operator_bindings,
    render_run_hls_tcl,
    tcl_word,
)
from llmhls.errors import OptionError

TCLSH = shutil.which("tclsh")
needs_tclsh = pytest.mark.skipif(TCLSH is None, reason="tclsh not on PATH: cannot run run_hls.tcl")

HLS_COMMANDS = (
    "open_project",
    "set_top",
    "add_files",
    "open_solution",
    "set_part",
    "create_clock",
    "csim_design",
    "csynth_design",
    "cosim_design",
    "export_design",
    "close_project",
    "close_solution",
    "config_compile",
    "config_dataflow",
    "config_op",
    "config_export",
    "config_interface",
    "config_schedule",
    "set_directive_pipeline",
)

# Each stub appends one line to the log: the command and its arguments joined by \x1f.
# `exit` records itself and ends the sourced script, like vitis_hls ending the session.
PRELUDE = r"""
set llmhls_test_log [open [lindex $argv 0] w]
proc llmhls_record {args} {
    puts $::llmhls_test_log [join $args "\x1f"]
}
foreach llmhls_cmd {@COMMANDS@} {
    proc $llmhls_cmd {args} "llmhls_record $llmhls_cmd {*}\$args"
}
proc exit {args} {
    llmhls_record exit {*}$args
    return -code return
}
source [lindex $argv 1]
llmhls_record pwd [pwd]
close $llmhls_test_log
""".replace("@COMMANDS@", " ".join(HLS_COMMANDS))

DEFAULTS = {
    "project_name": "mlp_prj",
    "top": "mlp_top",
    "kernel_files": ["src/mlp.cpp", "src/layers.cpp"],
    "testbench_files": ["tb/tb_mlp.cpp"],
    "part": "xcu280-fsvh2892-2L-e",
    "clock_mhz": 300.0,
    "cosim": False,
    "header_comment": "model: mlp.pt\ntarget: u280",
}


def render(**overrides: object) -> str:
    """Render with DEFAULTS updated by overrides."""
    return render_run_hls_tcl(**{**DEFAULTS, **overrides})  # type: ignore[arg-type]


def run_script(
    tmp_path: Path, script: str, env: dict[str, str] | None = None
) -> tuple[list[list[str]], Path]:
    """Write script to <tmp>/proj/run_hls.tcl, source it from another cwd, return the log."""
    project = tmp_path / "proj"
    project.mkdir(exist_ok=True)
    (project / "run_hls.tcl").write_text(script)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (tmp_path / "prelude.tcl").write_text(PRELUDE)
    log = tmp_path / "log.txt"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("LLMHLS_")}
    result = subprocess.run(
        [TCLSH, "../prelude.tcl", str(log), "../proj/run_hls.tcl"],
        cwd=elsewhere,
        env={**clean_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    records = [line.split("\x1f") for line in log.read_text().splitlines()]
    return records, project.resolve()


def commands(records: list[list[str]]) -> list[str]:
    """Just the command names, in order."""
    return [r[0] for r in records]


def find(records: list[list[str]], name: str) -> list[list[str]]:
    """All records of one command, arguments only."""
    return [r[1:] for r in records if r[0] == name]


@needs_tclsh
def test_default_sequence_and_arguments(tmp_path: Path) -> None:
    records, root = run_script(tmp_path, render())
    assert commands(records) == [
        "open_project",
        "set_top",
        "add_files",
        "add_files",
        "add_files",
        "open_solution",
        "set_part",
        "create_clock",
        "config_compile",
        "csim_design",
        "csynth_design",
        "export_design",
        "exit",
        "pwd",
    ]
    assert find(records, "open_project") == [["-reset", "mlp_prj"]]
    assert find(records, "set_top") == [["mlp_top"]]
    assert find(records, "add_files") == [
        [str(root / "src/mlp.cpp"), "-cflags", "-std=c++14"],
        [str(root / "src/layers.cpp"), "-cflags", "-std=c++14"],
        ["-tb", str(root / "tb/tb_mlp.cpp"), "-cflags", "-std=c++14"],
    ]
    assert find(records, "open_solution") == [["-flow_target", "vitis", "solution1"]]
    assert find(records, "set_part") == [["xcu280-fsvh2892-2L-e"]]
    (clock,) = find(records, "create_clock")
    assert clock[0] == "-period"
    assert float(clock[1]) == pytest.approx(1000.0 / 300.0, abs=1e-4)
    assert clock[2:] == ["-name", "default"]
    assert find(records, "config_compile") == [["-pipeline_loops", "0"]]
    # The testbench gets the project root, computed by the script from its own location.
    assert find(records, "csim_design") == [["-argv", str(root)]]
    assert find(records, "export_design") == [["-format", "xo"]]
    # The HLS project is created next to the script, whatever the caller's cwd.
    assert find(records, "pwd") == [[str(root)]]


@needs_tclsh
def test_solution_scripts_bind_operators_before_simulation_and_synthesis(tmp_path: Path) -> None:
    """The operator bindings file is sourced from the project root once the solution is
    open, so every later step sees `config_op`; the same file is what v++ -c takes."""
    bindings = render_operator_bindings({"fadd": "fabric", "fsub": "fabric"}, "adds on LUTs")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "hls_ops.tcl").write_text(bindings)
    records, _ = run_script(tmp_path, render(solution_scripts=["hls_ops.tcl"]))
    names = commands(records)
    assert find(records, "config_op") == [["fadd", "-impl", "fabric"], ["fsub", "-impl", "fabric"]]
    assert names.index("open_solution") < names.index("config_op") < names.index("csim_design")
    assert bindings.startswith("# adds on LUTs\n")


def test_operator_bindings_name_what_vitis_knows() -> None:
    with pytest.raises(OptionError, match="'fadd' to 'luts'"):
        render_operator_bindings({"fadd": "luts"}, "")
    with pytest.raises(OptionError, match="operator 'fma'"):
        render_operator_bindings({"fma": "fabric"}, "")


@needs_tclsh
def test_cosim_flag_renders_cosim_after_csynth(tmp_path: Path) -> None:
    records, root = run_script(tmp_path, render(cosim=True))
    names = commands(records)
    assert names.index("csynth_design") < names.index("cosim_design") < names.index("export_design")
    assert find(records, "cosim_design") == [["-argv", str(root)]]


@needs_tclsh
@pytest.mark.parametrize(
    ("cosim", "env_value", "expect_cosim"),
    [(False, "1", True), (False, "yes", True), (True, "0", False), (True, "off", False)],
)
def test_llmhls_cosim_env_overrides_default(
    tmp_path: Path, cosim: bool, env_value: str, expect_cosim: bool
) -> None:
    records, _ = run_script(tmp_path, render(cosim=cosim), {"LLMHLS_COSIM": env_value})
    assert ("cosim_design" in commands(records)) is expect_cosim
    assert "export_design" in commands(records)


@needs_tclsh
def test_skip_switches(tmp_path: Path) -> None:
    records, _ = run_script(tmp_path, render(cosim=True), {"LLMHLS_SKIP_CSYNTH": "1"})
    names = commands(records)
    assert "csim_design" in names
    for step in ("csynth_design", "cosim_design", "export_design"):
        assert step not in names
    assert names[-2:] == ["exit", "pwd"]

    records, _ = run_script(tmp_path, render(), {"LLMHLS_SKIP_CSIM": "true"})
    assert "csim_design" not in commands(records)
    assert "csynth_design" in commands(records)

    records, _ = run_script(tmp_path, render(cosim=True), {"LLMHLS_SKIP_EXPORT": "1"})
    assert "export_design" not in commands(records)
    assert "cosim_design" in commands(records)


@needs_tclsh
def test_bad_switch_value_fails_with_one_clear_line(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "run_hls.tcl").write_text(render())
    (tmp_path / "prelude.tcl").write_text(PRELUDE)
    result = subprocess.run(
        [TCLSH, str(tmp_path / "prelude.tcl"), str(tmp_path / "log"), str(project / "run_hls.tcl")],
        env={**os.environ, "LLMHLS_COSIM": "maybe"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "LLMHLS_COSIM must be 1 or 0, got 'maybe'" in result.stderr
    assert "open_project" not in (tmp_path / "log").read_text()


@needs_tclsh
def test_vivado_flow_exports_ip_catalog(tmp_path: Path) -> None:
    records, _ = run_script(tmp_path, render(flow_target="vivado", part="xczu9eg-ffvb1156-2-e"))
    assert find(records, "open_solution") == [["-flow_target", "vivado", "solution1"]]
    assert find(records, "export_design") == [["-format", "ip_catalog"]]
    assert find(records, "set_part") == [["xczu9eg-ffvb1156-2-e"]]


@needs_tclsh
def test_no_testbench_means_no_simulation(tmp_path: Path) -> None:
    records, _ = run_script(tmp_path, render(testbench_files=[]), {"LLMHLS_COSIM": "1"})
    names = commands(records)
    assert "csim_design" not in names
    assert "cosim_design" not in names
    assert [r for r in find(records, "add_files") if "-tb" in r] == []
    assert "csynth_design" in names


@needs_tclsh
def test_awkward_paths_are_passed_literally(tmp_path: Path) -> None:
    odd = 'src/a b$c[d]{e}"f\\g;h.cpp'
    absolute = "/opt/kernels/k.cpp"
    script = render(kernel_files=[odd, absolute], include_dirs=["inc", "third party/x"])
    records, root = run_script(tmp_path, script)
    adds = find(records, "add_files")
    cflags = f"-std=c++14 -I{root / 'inc'} -I{root / 'third party/x'}"
    assert adds[0] == [str(root / odd), "-cflags", cflags]
    assert adds[1] == [absolute, "-cflags", cflags]
    assert adds[2] == ["-tb", str(root / "tb/tb_mlp.cpp"), "-cflags", cflags]


@needs_tclsh
def test_header_comment_cannot_swallow_the_next_line(tmp_path: Path) -> None:
    script = render(header_comment="ends with a backslash \\\nsecond line")
    assert "# ends with a backslash \\ \n# second line\n" in script
    records, _ = run_script(tmp_path, script)
    assert commands(records)[0] == "open_project"


def test_render_is_deterministic_and_carries_the_header() -> None:
    first = render()
    assert first == render()
    assert first.endswith("exit\n")
    assert "# model: mlp.pt\n# target: u280\n" in first
    assert "create_clock -period 3.3333 -name default" in first
    assert "cosim_design" in first  # present, behind the LLMHLS_COSIM switch
    assert "set llmhls_cosim [llmhls_flag LLMHLS_COSIM 0]" in first
    assert "set llmhls_cosim [llmhls_flag LLMHLS_COSIM 1]" in render(cosim=True)
    assert all(line == line.rstrip() for line in first.splitlines())


@pytest.mark.parametrize(
    ("clock_mhz", "period"),
    [(300.0, "3.3333"), (250.0, "4"), (100, "10"), (200.0, "5"), (450.0, "2.2222")],
)
def test_format_period_ns(clock_mhz: float, period: str) -> None:
    assert format_period_ns(clock_mhz) == period


def test_tcl_word_quotes_only_when_needed() -> None:
    assert tcl_word("src/k.cpp") == "src/k.cpp"
    assert tcl_word("a b") == '"a b"'
    assert tcl_word("$x[y]") == '"\\$x\\[y\\]"'
    with pytest.raises(OptionError, match="control character"):
        tcl_word("a\nb")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"top": "1bad"}, "top function '1bad' is not a C identifier"),
        ({"top": "a b"}, "top function 'a b'"),
        ({"project_name": "my proj"}, "project name 'my proj'"),
        ({"part": "xcu280 ; exit"}, "part 'xcu280 ; exit'"),
        ({"part": ""}, "part ''"),
        ({"clock_mhz": 0}, "clock frequency must be a positive number of MHz, got 0"),
        ({"clock_mhz": -5.0}, "got -5.0"),
        ({"clock_mhz": float("nan")}, "got nan"),
        ({"clock_mhz": True}, "got True"),
        ({"clock_mhz": 1e9}, "period rounds to 0 ns"),
        ({"kernel_files": []}, "kernel_files is empty"),
        ({"kernel_files": "src/k.cpp"}, "must be a list of paths"),
        ({"kernel_files": [""]}, "empty or non-string path"),
        ({"testbench_files": [], "cosim": True}, "cosim requested but testbench_files is empty"),
        ({"flow_target": "quartus"}, "unknown HLS flow target 'quartus' (known: vitis, vivado)"),
        ({"kernel_files": ["a\nb.cpp"]}, "control character"),
    ],
)
def test_bad_arguments_raise_option_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError) as info:
        render(**overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
