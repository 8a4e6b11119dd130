"""The C-simulation testbench: the manifest's interfaces, checked, rendered as C++.

The testbench (`hls_templates/tb.cpp.j2`) and the Python side of `llmhls csim`
(`compiler/csim.py`) must agree on file names, dtypes and the error metric, so
both read the manifest through `manifest_interfaces` here and both compute
`compare` the same way: max |out - golden| relative to max |golden|.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmhls.errors import InputError
from llmhls.hls_templates import render
from llmhls.names import CPP_KEYWORDS

# Folder, relative to the project root, that holds each role's `<arg>.bin`.
ROLE_DIRS = {"input": "data/inputs", "weight": "data/weights", "output": "data/golden"}

# Relative error to output scale allowed when a manifest states none (DESIGN.md, fp32).
DEFAULT_REL_TOLERANCE = 1e-4

# Floor of the output scale, so an all-zero golden output does not divide by zero.
SCALE_FLOOR = 1e-30

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Names the testbench itself uses in main() and its helpers; an argument may not take one.
_TB_NAMES_TEXT = (
    "argc argv root inputs_dir golden_dir results_dir weights_dir failures main std Buffer "
    "read_bin write_bin Check compare_float compare_exact report kRelTolerance kScaleFloor"
)
TESTBENCH_RESERVED = frozenset(_TB_NAMES_TEXT.split()) | CPP_KEYWORDS


@dataclass(frozen=True)
class DType:
    """How one manifest dtype looks in C++ and in numpy (`.bin` files are little-endian)."""

    ctype: str
    numpy: str
    is_float: bool


DTYPES: dict[str, DType] = {
    "float32": DType("float", "<f4", True),
    "int64": DType("int64_t", "<i8", False),
    "int32": DType("int32_t", "<i4", False),
    "int16": DType("int16_t", "<i2", False),
    "int8": DType("int8_t", "i1", False),
    "uint8": DType("uint8_t", "u1", False),
    "bool": DType("bool", "?", False),
}


@dataclass(frozen=True)
class Interface:
    """One argument of the top function, as the manifest describes it."""

    name: str
    arg: str
    role: str
    shape: tuple[int, ...]  # as stored in the .bin file and indexed by the kernel
    dtype: str
    # A weight stored permuted (hls-weight-layout): shape = original_shape permuted by layout.
    layout: tuple[int, ...] | None = None
    original_shape: tuple[int, ...] | None = None

    @property
    def info(self) -> DType:
        return DTYPES[self.dtype]

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * _itemsize(self.dtype)

    @property
    def rel_file(self) -> str:
        """Where the project keeps this argument's data (outputs: the golden values)."""
        return f"{ROLE_DIRS[self.role]}/{self.arg}.bin"

    def check_size(self, path: Path) -> None:
        """InputError unless `path` exists and holds exactly this interface's bytes."""
        if not path.is_file():
            raise InputError(f"{path}: missing {self.role} file for '{self.name}'")
        size = path.stat().st_size
        if size != self.nbytes:
            raise InputError(
                f"{path}: holds {size} bytes, expected {self.nbytes} for '{self.name}' "
                f"({self.dtype}{list(self.shape)})"
            )


def _itemsize(dtype: str) -> int:
    sizes = {"float32": 4, "int64": 8, "int32": 4, "int16": 2, "int8": 1, "uint8": 1, "bool": 1}
    return sizes[dtype]


def manifest_interfaces(manifest: dict[str, Any], source: str = "manifest.json") -> list[Interface]:
    """The manifest's interfaces in call order, or InputError naming the bad entry."""
    items = manifest.get("interfaces")
    if not isinstance(items, list) or not items:
        raise InputError(f"{source}: 'interfaces' must be a non-empty list")
    result: list[Interface] = []
    for index, item in enumerate(items):
        where = f"{source}: interfaces[{index}]"
        if not isinstance(item, dict):
            raise InputError(f"{where} is not an object")
        for key in ("name", "arg", "role", "shape", "dtype"):
            if key not in item:
                raise InputError(f"{where} has no '{key}'")
        name, arg, role, shape, dtype = (
            item["name"],
            item["arg"],
            item["role"],
            item["shape"],
            item["dtype"],
        )
        where = f"{source}: interface '{name}'"
        if not isinstance(name, str) or not name or not name.isprintable():
            raise InputError(f"{source}: interfaces[{index}] has a bad name {name!r}")
        if not isinstance(arg, str) or not _IDENTIFIER.match(arg):
            raise InputError(f"{where}: arg {arg!r} is not a C identifier")
        if role not in ROLE_DIRS:
            raise InputError(f"{where}: role {role!r} is not one of {sorted(ROLE_DIRS)}")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise InputError(f"{where}: shape {shape!r} is not a list of sizes")
        if dtype not in DTYPES:
            raise InputError(f"{where}: dtype {dtype!r} is not one of {sorted(DTYPES)}")
        ctype = item.get("ctype", DTYPES[dtype].ctype)
        if ctype != DTYPES[dtype].ctype:
            raise InputError(
                f"{where}: ctype {ctype!r} does not match dtype {dtype} ({DTYPES[dtype].ctype})"
            )
        layout, original = _layout(item, tuple(shape), where)
        result.append(Interface(name, arg, role, tuple(shape), dtype, layout, original))
    for field in ("name", "arg"):
        seen: set[str] = set()
        for iface in result:
            value = getattr(iface, field)
            if value in seen:
                raise InputError(f"{source}: two interfaces share the {field} {value!r}")
            seen.add(value)
    if not any(iface.role == "output" for iface in result):
        raise InputError(f"{source}: no interface has role 'output'")
    taken = {f"{i.arg}_golden" for i in result if i.role == "output"}
    for iface in result:
        if iface.arg in TESTBENCH_RESERVED or iface.arg in taken:
            raise InputError(
                f"{source}: interface '{iface.name}': arg {iface.arg!r} clashes with a "
                "C++ keyword or a testbench name; rename it"
            )
    return result


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


def _layout(
    item: dict[str, Any], shape: tuple[int, ...], where: str
) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """An entry's (layout, original_shape), both or neither, checked against its shape."""
    if "layout" not in item and "original_shape" not in item:
        return None, None
    layout, original = item.get("layout"), item.get("original_shape")
    if not _int_list(layout) or sorted(layout) != list(range(len(shape))):
        raise InputError(f"{where}: layout {layout!r} is not a permutation of {len(shape)} dims")
    if not _int_list(original) or len(original) != len(shape):
        raise InputError(f"{where}: original_shape {original!r} does not match its layout")
    if any(shape[k] != original[axis] for k, axis in enumerate(layout)):
        raise InputError(
            f"{where}: shape {list(shape)} is not original_shape {original} permuted by {layout}"
        )
    return tuple(layout), tuple(original)


@dataclass(frozen=True)
class Check:
    """One output compared with its golden values, as the testbench prints it."""

    max_abs_err: float
    max_rel_err: float
    passed: bool


def compare(out: np.ndarray, golden: np.ndarray, *, is_float: bool, rel_tol: float) -> Check:
    """The testbench's metric in numpy, element for element the same double arithmetic.

    Float: max |out - golden| / max(max |golden|, 1e-30) <= rel_tol; NaN/inf equal only
    where the golden value has the same, else an infinite error. Integer/bool: exact match.
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
    passed = max_rel <= rel_tol if is_float else not bool(err.any())
    return Check(max_abs, max_rel, passed)


def manifest_top(manifest: dict[str, Any], source: str = "manifest.json") -> str:
    """The top function's name, checked to be a C identifier."""
    top = manifest.get("top")
    if not isinstance(top, str) or not _IDENTIFIER.match(top):
        raise InputError(f"{source}: 'top' must be a C identifier, got {top!r}")
    return top


def manifest_rel_tolerance(manifest: dict[str, Any], source: str = "manifest.json") -> float:
    """The `tolerance.rel` that float outputs must meet (DESIGN.md's 1e-4 when absent)."""
    tolerance = manifest.get("tolerance", {})
    if not isinstance(tolerance, dict):
        raise InputError(f"{source}: 'tolerance' must be an object like {{\"rel\": 1e-4}}")
    rel = tolerance.get("rel", DEFAULT_REL_TOLERANCE)
    if isinstance(rel, bool) or not isinstance(rel, (int, float)) or not 0 <= rel < math.inf:
        raise InputError(f"{source}: tolerance.rel must be a finite number >= 0, got {rel!r}")
    return float(rel)


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
        scale_floor=repr(SCALE_FLOOR),
        argument_table=_argument_table(interfaces),
        inputs=[a for a in args if a["role"] == "input"],
        weights=[a for a in args if a["role"] == "weight"],
        outputs=[a for a in args if a["role"] == "output"],
        call_args=[a["arg"] for a in args],
    )
