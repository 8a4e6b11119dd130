"""The C-simulation testbench: the manifest's interfaces, checked, rendered as C++.

The testbench (`hls_templates/tb.cpp.j2`) and the Python side of `llmhls csim`
(`compiler/csim.py`) must agree on file names, dtypes and the error metric, so
both read the manifest through `llmhls.project` and both compute
`compare` the same way: max |out - golden| relative to max |golden|.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmhls.errors import InputError
from llmhls.hls_templates import render
from llmhls.names import CPP_KEYWORDS
from llmhls.project import (
    DEFAULT_FLOOR_TOLERANCE,
    MANIFEST_FILE,
    Interface,
    manifest_floor_tolerance,
    manifest_interfaces,
    manifest_rel_tolerance,
    manifest_top,
)

# Floor of the output scale, so an all-zero golden output does not divide by zero.
SCALE_FLOOR = 1e-30

# Names the testbench itself uses in main() and its helpers; an argument may not take one.
_TB_NAMES_TEXT = (
    "argc argv root inputs_dir golden_dir results_dir weights_dir failures main std Buffer "
    "read_bin write_bin Check compare_float compare_exact report kRelTolerance kScaleFloor"
)
TESTBENCH_RESERVED = frozenset(_TB_NAMES_TEXT.split()) | CPP_KEYWORDS


def check_testbench_names(interfaces: list[Interface], source: str = MANIFEST_FILE) -> None:
    """InputError if an argument would clash with a name the testbench itself declares."""
    taken = {f"{i.arg}_golden" for i in interfaces if i.role == "output"}
    for iface in interfaces:
        if iface.arg in TESTBENCH_RESERVED or iface.arg in taken:
            raise InputError(
                f"{source}: interface '{iface.name}': arg {iface.arg!r} clashes with a "
                "C++ keyword or a testbench name; rename it"
            )


@dataclass(frozen=True)
class Check:
    """One output compared with its golden values, as the testbench prints it."""

    max_abs_err: float
    max_rel_err: float  # largest error over the output's scale (reported, not the verdict)
    tolerance_ratio: float  # largest error over what its element may have: passes at <= 1
    passed: bool


def compare(
    out: np.ndarray,
    golden: np.ndarray,
    *,
    is_float: bool,
    rel_tol: float,
    floor_tol: float = DEFAULT_FLOOR_TOLERANCE,
) -> Check:
    """The testbench's verdict in numpy, element for element the same double arithmetic.

    Float: every element |out - golden| <= rel_tol * |golden| + floor_tol * max|golden|
    (llmhls/project.py says why); NaN/inf equal only where the golden value has the same,
    else an infinite error. Integer/bool: exact match. max_rel_err, the largest error over
    the output's scale, is kept as a figure.
    """
    o = np.asarray(out).astype(np.float64).ravel()
    g = np.asarray(golden).astype(np.float64).ravel()
    if is_float:
        finite = np.isfinite(o) & np.isfinite(g)
        same_special = (np.isnan(o) & np.isnan(g)) | (o == g)
        with np.errstate(invalid="ignore"):
            err = np.where(finite, np.abs(o - g), np.where(same_special, 0.0, np.inf))
        scale_values = np.abs(g[np.isfinite(g)])
    else:
        differs = np.asarray(out).ravel() != np.asarray(golden).ravel()
        err = np.where(differs, np.maximum(1.0, np.abs(o - g)), 0.0)
        scale_values = np.abs(g)
    max_abs = float(err.max()) if err.size else 0.0
    scale = float(scale_values.max()) if scale_values.size else 0.0
    max_rel = max_abs / max(scale, SCALE_FLOOR)
    if not is_float:
        return Check(max_abs, max_rel, float(err.any()) * math.inf, not bool(err.any()))
    with np.errstate(invalid="ignore"):
        allowed = rel_tol * np.where(np.isfinite(g), np.abs(g), 0.0) + floor_tol * scale
        ratio = np.where(err == 0, 0.0, err / np.maximum(allowed, SCALE_FLOOR))
    worst = float(ratio.max()) if ratio.size else 0.0
    return Check(max_abs, max_rel, worst, bool(np.all((err == 0) | (err <= allowed))))


def _c_string(text: str) -> str:
    """A C string literal holding `text` (names are printable; quote and backslash escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment_text(text: str) -> str:
    """`text` made safe for a // comment (non-printable characters escaped)."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _c_type_text(iface: Interface) -> str:
    dims = "".join(f"[{d}]" for d in iface.shape)
    if iface.layout is not None and iface.original_shape is not None:
        original = "".join(f"[{d}]" for d in iface.original_shape)
        layout = ", ".join(map(str, iface.layout))
        return f"{iface.info.ctype}{dims} = {original} permuted ({layout})"
    return f"{iface.info.ctype}{dims}" if dims else f"{iface.info.ctype} (scalar)"


def _argument_table(interfaces: list[Interface]) -> list[str]:
    """Aligned comment rows: arg, role, C type, PyTorch name."""
    rows = [(i.arg, i.role, _c_type_text(i), i.name) for i in interfaces]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    return [
        f"{a.ljust(widths[0])}  {r.ljust(widths[1])}  {t.ljust(widths[2])}  (PyTorch: {n})"
        for a, r, t, n in rows
    ]


def render_testbench(manifest: dict[str, Any]) -> str:
    """C++14 testbench source for the manifest's top function (deterministic text)."""
    top = manifest_top(manifest)
    interfaces = manifest_interfaces(manifest)
    check_testbench_names(interfaces)
    if any(i.arg == top for i in interfaces):
        raise InputError(f"manifest.json: an interface's arg equals the top function name {top!r}")
    args = [
        {
            "arg": i.arg,
            "role": i.role,
            "ctype": i.info.ctype,
            "count": i.count,
            "is_float": i.info.is_float,
            "name_literal": _c_string(i.name),
            "type_text": _c_type_text(i),
        }
        for i in interfaces
    ]
    return render(
        "tb.cpp.j2",
        top=top,
        model=_comment_text(str(manifest.get("model", top))),
        target=_comment_text(str(manifest.get("target", "unspecified"))),
        rel_tolerance=repr(manifest_rel_tolerance(manifest)),
        floor_tolerance=repr(manifest_floor_tolerance(manifest)),
        scale_floor=repr(SCALE_FLOOR),
        argument_table=_argument_table(interfaces),
        inputs=[a for a in args if a["role"] == "input"],
        weights=[a for a in args if a["role"] == "weight"],
        outputs=[a for a in args if a["role"] == "output"],
        call_args=[a["arg"] for a in args],
    )
