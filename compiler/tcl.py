"""Render the Vitis HLS Tcl script (run_hls.tcl) of a generated project.

The script locates itself (`info script`), so the project folder can be moved
or run from any directory; steps can be switched by environment variables
(LLMHLS_SKIP_CSIM, LLMHLS_SKIP_CSYNTH, LLMHLS_COSIM, LLMHLS_SKIP_EXPORT) without
regenerating it. Every user-supplied string is validated or Tcl-quoted here, so
a file name can never inject Tcl.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from importlib import resources

import jinja2

from llmhls.errors import OptionError

_TEMPLATE = "run_hls.tcl.j2"
_EXPORT_FORMATS = {"vitis": "xo", "vivado": "ip_catalog"}
_TOP_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PROJECT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_PART_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_BARE_WORD_RE = re.compile(r"[A-Za-z0-9_./:+=@%,-]+")
_TCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "\\$", "[": "\\[", "]": "\\]", "\t": "\\t"}


def tcl_word(text: str) -> str:
    """Quote `text` as one literal Tcl word (no substitution can happen inside it)."""
    if _BARE_WORD_RE.fullmatch(text):
        return text
    if any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in text):
        raise OptionError(f"control character in Tcl argument {text!r}")
    return '"' + "".join(_TCL_ESCAPES.get(c, c) for c in text) + '"'


def format_period_ns(clock_mhz: float) -> str:
    """Clock period in ns for `create_clock -period`, to 0.1 ps, without trailing zeros."""
    text = f"{1000.0 / clock_mhz:.4f}".rstrip("0").rstrip(".")
    if text in ("", "0"):
        raise OptionError(f"clock {clock_mhz} MHz is too fast: the period rounds to 0 ns")
    return text


def _comment_lines(header_comment: str) -> list[str]:
    """Each header line as a Tcl comment; a trailing backslash must not continue the comment."""
    lines = []
    for line in header_comment.splitlines():
        line = line.rstrip()
        if line.endswith("\\"):
            line += " "
        lines.append(f"# {line}" if line else "#")
    return lines


def _check_files(kind: str, files: Sequence[str]) -> list[str]:
    """Validate a list of project-relative (or absolute) paths and Tcl-quote each."""
    if isinstance(files, str):
        raise OptionError(f"{kind} must be a list of paths, not the string {files!r}")
    words = []
    for path in files:
        if not isinstance(path, str) or not path.strip():
            raise OptionError(f"{kind} contains an empty or non-string path: {path!r}")
        words.append(tcl_word(path))
    return words


def _check_name(kind: str, value: str, pattern: re.Pattern[str], what: str) -> str:
    """Validate a name that is written into the script unquoted."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise OptionError(f"{kind} {value!r} is not {what}")
    return value


@functools.cache
def _template() -> jinja2.Template:
    """The bundled run_hls.tcl.j2, loaded once."""
    source = resources.files("llmhls.hls_templates").joinpath(_TEMPLATE).read_text("utf-8")
    env = jinja2.Environment(
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.from_string(source)


def render_run_hls_tcl(
    *,
    project_name: str,
    top: str,
    kernel_files: list[str],
    testbench_files: list[str],
    part: str,
    clock_mhz: float,
    cosim: bool,
    header_comment: str,
    flow_target: str = "vitis",
    include_dirs: Sequence[str] = (),
    solution_scripts: Sequence[str] = (),
) -> str:
    """Return the text of run_hls.tcl for one HLS project.

    Paths in kernel_files, testbench_files and include_dirs are relative to the
    project root (the folder the script is written to) or absolute. The
    testbench gets the project root's absolute path as argv[1], in C simulation
    and in co-simulation. `cosim` is the default of the LLMHLS_COSIM switch.
    `flow_target` "vitis" exports a kernel (.xo), "vivado" an IP-catalog core.
    `solution_scripts` (project-relative) are sourced once the solution is open: the
    project's operator bindings (`render_operator_bindings`), which `v++ -c` also takes.
    """
    _check_name("project name", project_name, _PROJECT_RE, "a valid folder name")
    _check_name("top function", top, _TOP_RE, "a C identifier")
    _check_name("part", part, _PART_RE, "a Xilinx part name")
    if flow_target not in _EXPORT_FORMATS:
        known = ", ".join(sorted(_EXPORT_FORMATS))
        raise OptionError(f"unknown HLS flow target {flow_target!r} (known: {known})")
    if (
        isinstance(clock_mhz, bool)
        or not isinstance(clock_mhz, int | float)
        or not math.isfinite(clock_mhz)
        or clock_mhz <= 0
    ):
        raise OptionError(f"clock frequency must be a positive number of MHz, got {clock_mhz!r}")
    kernel_words = _check_files("kernel_files", kernel_files)
    if not kernel_words:
        raise OptionError("kernel_files is empty: an HLS project needs at least one source")
    testbench_words = _check_files("testbench_files", testbench_files)
    if cosim and not testbench_words:
        raise OptionError("cosim requested but testbench_files is empty")
    include_words = _check_files("include_dirs", include_dirs)
    script_words = _check_files("solution_scripts", solution_scripts)

    text = _template().render(
        header_lines=_comment_lines(header_comment),
        project_name=project_name,
        top=top,
        kernel_files=kernel_words,
        testbench_files=testbench_words,
        include_dirs=include_words,
        solution_scripts=script_words,
        part=part,
        period_ns=format_period_ns(float(clock_mhz)),
        cosim_default=1 if cosim else 0,
        flow_target=flow_target,
        export_format=_EXPORT_FORMATS[flow_target],
    )
    return text.rstrip("\n") + "\n"


# config_op's operators and implementations llmhls binds (UG1399 config_op).
_BOUND_OPERATORS = ("fadd", "fsub", "fmul", "fdiv", "mul", "add", "sub")
_OPERATOR_IMPLS = ("dsp", "fabric", "meddsp", "fulldsp", "maxdsp")


def render_operator_bindings(bindings: dict[str, str], header_comment: str) -> str:
    """A Tcl file of `config_op OP -impl IMPL` lines: every OP of the design on IMPL unless
    a bind_op pragma says otherwise. run_hls.tcl sources it and `v++ -c --hls.pre_tcl`
    takes it, so Vitis HLS and v++ bind the same operators."""
    lines = _comment_lines(header_comment)
    for op, impl in bindings.items():
        if op not in _BOUND_OPERATORS or impl not in _OPERATOR_IMPLS:
            raise OptionError(f"no config_op binding of operator {op!r} to {impl!r}")
        lines.append(f"config_op {op} -impl {impl}")
    return "\n".join(lines) + "\n"
