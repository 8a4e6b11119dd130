"""A compiled project directory: its manifest.json, typed and checked, and where one may go.

Every writer (`compiler/driver.py` for a kernel, `compiler/llm/build.py` for an LLM)
builds the manifest as a plain dict and writes it as JSON; every reader (csim, the
runtime's backends, `llmhls run`/`csim`/`report`) goes through `load_manifest`, which checks
each field once and answers with one line naming the file and the field at fault.
`is_llm_manifest` is the one test of which kind a project is, and
`check_output_dir` the one rule for where a project may be written.

Two sections differ by kind:
- a kernel project lists the top function's `interfaces` (name, arg, role, shape,
  dtype, .bin file), which the testbench and `llmhls csim` read;
- an LLM project has an "llm" section, the contract between the compiled kernels
  and every host: the order, kind and C type of each kernel argument, which
  buffers are weights (and their .bin files), which are KV-cache state
  (`parse_llm_section` -> `HostSpec`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from llmhls.errors import InputError

MANIFEST_FILE = "manifest.json"
LLM_KIND = "llm"


# -- kernel projects: the top function's interfaces ---------------------------------------

# Folder, relative to the project root, that holds each role's `<arg>.bin`.
ROLE_DIRS = {"input": "data/inputs", "weight": "data/weights", "output": "data/golden"}

# A float output element passes when |out - golden| <= rel * |golden| + floor * max|golden|
# (numpy's allclose form, with the absolute part stated as a fraction of the output's
# scale so that one figure serves every model). rel: DESIGN.md's 1e-4 for fp32. floor:
# 1e-6 of the scale, about 8 float32 ulps (2^-23) at the largest output, what summing in a
# different order leaves; a small output that is wholly wrong (a softmax tail) fails.
DEFAULT_REL_TOLERANCE = 1e-4
DEFAULT_FLOOR_TOLERANCE = 1e-6

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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
        check_file_bytes(path, self.nbytes, self.role, self.name, f"{self.dtype}{list(self.shape)}")


def check_file_bytes(path: Path, nbytes: int, role: str, name: str, layout: str) -> None:
    """InputError unless the data file `path` of argument `name` holds exactly `nbytes`.

    A weight must also match the digest compile wrote beside it, so a file
    edited or damaged by hand (same size, other bytes) is caught before a run.
    """
    if not path.is_file():
        raise InputError(f"{path}: missing {role} file for '{name}'")
    size = path.stat().st_size
    if size != nbytes:
        raise InputError(f"{path}: holds {size} bytes, expected {nbytes} for '{name}' ({layout})")
    if role == "weight":
        check_weight_digest(path)


# Beside the weights (data/weights/), in `sha256sum -c` form: "<hex>  <file>" per line.
WEIGHT_DIGESTS = "SHA256SUMS"


@functools.lru_cache(maxsize=4096)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    """SHA-256 of a file, cached while its size and mtime stay (the backends check twice)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of `path`'s contents."""
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def write_weight_digests(project_root: Path) -> None:
    """Write data/weights/SHA256SUMS for every weight file a compile wrote (if any)."""
    folder = project_root / ROLE_DIRS["weight"]
    if not folder.is_dir():
        return
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != WEIGHT_DIGESTS)
    lines = [f"{file_sha256(p)}  {p.name}\n" for p in files]
    (folder / WEIGHT_DIGESTS).write_text("".join(lines))


def check_weight_digest(path: Path) -> None:
    """InputError if `path` differs from its SHA256SUMS line (projects without one pass)."""
    digests = path.parent / WEIGHT_DIGESTS
    if not digests.is_file():
        return
    expected = {}
    for line in digests.read_text(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        expected[name] = digest
    if path.name not in expected:
        raise InputError(f"{path}: not listed in {digests}, so not written by llmhls compile")
    if file_sha256(path) != expected[path.name]:
        raise InputError(
            f"{path}: contents differ from the SHA-256 in {digests} written at compile time "
            "(edited or damaged): recompile the project"
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


def manifest_top(manifest: dict[str, Any], source: str = "manifest.json") -> str:
    """The top function's name, checked to be a C identifier."""
    top = manifest.get("top")
    if not isinstance(top, str) or not _IDENTIFIER.match(top):
        raise InputError(f"{source}: 'top' must be a C identifier, got {top!r}")
    return top


def _manifest_tolerance(manifest: dict[str, Any], key: str, default: float, source: str) -> float:
    tolerance = manifest.get("tolerance", {})
    if not isinstance(tolerance, dict):
        raise InputError(f"{source}: 'tolerance' must be an object like {{\"rel\": 1e-4}}")
    value = tolerance.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InputError(f"{source}: tolerance.{key} must be a finite number >= 0, got {value!r}")
    return float(value)


def manifest_rel_tolerance(manifest: dict[str, Any], source: str = "manifest.json") -> float:
    """`tolerance.rel`: each float element's error relative to itself (1e-4 when absent)."""
    return _manifest_tolerance(manifest, "rel", DEFAULT_REL_TOLERANCE, source)


def manifest_floor_tolerance(manifest: dict[str, Any], source: str = "manifest.json") -> float:
    """`tolerance.floor`: the absolute part, as a fraction of the output's scale (1e-6)."""
    return _manifest_tolerance(manifest, "floor", DEFAULT_FLOOR_TOLERANCE, source)


# -- LLM projects: the "llm" section -------------------------------------------------------

# Size in bytes of every C type a kernel buffer may have (weights: float, int8_t, uint8_t for
# packed int4, uint16_t for fp16 bits; int32_t for token ids).
CTYPE_SIZES: dict[str, int] = {
    "float": 4,
    "int32_t": 4,
    "uint16_t": 2,
    "int16_t": 2,
    "int8_t": 1,
    "uint8_t": 1,
    "word512": 64,  # one 512-bit word of a decode-engine weight channel
}
BUFFER_CTYPES = tuple(CTYPE_SIZES)
SCALAR_CTYPES = ("int32_t",)

# Scalars each kernel may take; the host supplies their values, so no others can be served.
# `tree`: llm_engine built with Medusa heads (0: plain tokens, 1: verify its tree)
_SCALARS = {"prefill": ("n_tokens", "start_pos", "tree"), "decode": ("token", "pos")}
_REQUIRED = {
    "prefill": ("tokens", "n_tokens", "start_pos", "logits"),
    "decode": ("token", "pos", "logits"),
}
_DIRECTIONS = ("in", "out", "inout")


@dataclass(frozen=True)
class HostArg:
    """One kernel argument as the host sees it: a buffer (passed as an xrt::bo) or a scalar."""

    name: str
    kind: str  # "buffer" or "scalar"
    ctype: str
    elements: int = 0  # buffers only
    direction: str = "in"
    file: str | None = None  # weights: .bin path relative to the project dir
    state: str | None = None  # "kv" for the persistent KV cache

    @property
    def role(self) -> str:
        """What the host does with the argument: weight, kv, tokens, logits, scratch or a scalar."""
        if self.kind == "scalar":
            return self.name
        if self.file is not None:
            return "weight"
        if self.state == "kv":
            return "kv"
        if self.name in ("tokens", "logits"):
            return self.name
        return "scratch"

    @property
    def nbytes(self) -> int:
        """Bytes of the buffer (elements * sizeof(ctype)); 0 for scalars."""
        return self.elements * CTYPE_SIZES[self.ctype] if self.kind == "buffer" else 0

    def weight_path(self, root: Path) -> Path:
        """The weight's .bin under project `root`, checked to hold exactly `nbytes`."""
        path = root / str(self.file)
        check_file_bytes(path, self.nbytes, "weight", self.name, f"{self.elements} x {self.ctype}")
        return path


@dataclass(frozen=True)
class HostKernel:
    """One top function (llm_prefill or llm_decode) and its arguments in call order."""

    which: str  # "prefill" or "decode"
    function: str
    args: tuple[HostArg, ...]

    @property
    def buffers(self) -> tuple[HostArg, ...]:
        """The buffer arguments, in call order."""
        return tuple(a for a in self.args if a.kind == "buffer")

    def arg(self, name: str) -> HostArg:
        """The argument called `name` (the manifest guarantees the required ones exist)."""
        return next(a for a in self.args if a.name == name)

    def index(self, name: str) -> int:
        """Position of argument `name` in the call (what kernel.group_id takes)."""
        return next(i for i, a in enumerate(self.args) if a.name == name)


@dataclass(frozen=True)
class HostSpec:
    """The validated "llm" section: what a host needs to load, run and sample the kernels."""

    arch: str
    vocab_size: int
    max_context: int
    eos_token_id: int | None
    prefill: HostKernel
    decode: HostKernel | None  # None: a decode step is a one-token prefill call

    @property
    def kernels(self) -> tuple[HostKernel, ...]:
        """Prefill then decode (when the project has a kernel of its own for it)."""
        return (self.prefill,) if self.decode is None else (self.prefill, self.decode)

    @property
    def tokens_capacity(self) -> int:
        """Most prompt tokens one prefill call takes (the tokens buffer length)."""
        return self.prefill.arg("tokens").elements

    @property
    def weights(self) -> tuple[HostArg, ...]:
        """Every weight argument, once per name, in first-use order."""
        seen: dict[str, HostArg] = {}
        for kernel in self.kernels:
            for a in kernel.buffers:
                if a.role == "weight":
                    seen.setdefault(a.name, a)
        return tuple(seen.values())


def _is_int(value: object) -> bool:
    """A JSON integer (bool excluded: `true` is never a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _positive_int(section: Mapping[str, object], key: str, where: str) -> int:
    value = section.get(key)
    if not _is_int(value) or int(value) < 1:  # type: ignore[arg-type]
        raise InputError(f"manifest {where}.{key} must be a positive integer, got {value!r}")
    return int(value)  # type: ignore[arg-type]


def _weight_file(value: object, where: str) -> str:
    """A weight path relative to the project dir; never absolute or climbing out of it."""
    if not isinstance(value, str) or not value:
        raise InputError(f"manifest {where}.file must be a non-empty path, got {value!r}")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise InputError(f"manifest {where}.file {value!r} must be relative to the project dir")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise InputError(f"manifest {where}.file {value!r} has a control character")
    return value


def _parse_arg(raw: object, where: str) -> HostArg:
    if not isinstance(raw, Mapping):
        raise InputError(f"manifest {where} must be an object, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise InputError(f"manifest {where}.name must be a C identifier, got {name!r}")
    where = f"{where} ({name})"
    kind = raw.get("kind")
    ctype = raw.get("ctype")
    if kind == "scalar":
        if ctype not in SCALAR_CTYPES:
            raise InputError(f"manifest {where}.ctype {ctype!r}: scalars must be int32_t")
        return HostArg(name=name, kind="scalar", ctype="int32_t")
    if kind != "buffer":
        raise InputError(f"manifest {where}.kind must be 'buffer' or 'scalar', got {kind!r}")
    if ctype not in CTYPE_SIZES:
        raise InputError(
            f"manifest {where}.ctype {ctype!r} is not one of {', '.join(BUFFER_CTYPES)}"
        )
    direction = raw.get("direction", "in")
    if direction not in _DIRECTIONS:
        raise InputError(f"manifest {where}.direction must be in/out/inout, got {direction!r}")
    file = raw.get("file")
    state = raw.get("state")
    if state not in (None, "kv"):
        raise InputError(f"manifest {where}.state must be 'kv' when present, got {state!r}")
    arg = HostArg(
        name=name,
        kind="buffer",
        ctype=str(ctype),
        elements=_positive_int(raw, "elements", where),
        direction=str(direction),
        file=None if file is None else _weight_file(file, where),
        state=state,
    )
    if arg.file is not None and arg.state is not None:
        raise InputError(f"manifest {where} is both a weight (file) and state")
    if arg.role == "tokens" and arg.ctype != "int32_t":
        raise InputError(f"manifest {where}.ctype must be int32_t, got {arg.ctype!r}")
    if arg.role == "logits" and arg.ctype != "float":
        raise InputError(f"manifest {where}.ctype must be float, got {arg.ctype!r}")
    return arg


def _parse_kernel(which: str, raw: object, vocab_size: int) -> HostKernel:
    where = f"llm.kernels.{which}"
    if not isinstance(raw, Mapping):
        raise InputError(f"manifest {where} must be an object")
    function = raw.get("function")
    if not isinstance(function, str) or not _IDENTIFIER.match(function):
        raise InputError(f"manifest {where}.function must be a C identifier, got {function!r}")
    raw_args = raw.get("args")
    if not isinstance(raw_args, Sequence) or isinstance(raw_args, str) or not raw_args:
        raise InputError(f"manifest {where}.args must be a non-empty list")
    args = tuple(_parse_arg(a, f"{where}.args[{i}]") for i, a in enumerate(raw_args))
    names = [a.name for a in args]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"manifest {where}: argument {name!r} appears twice")
    for a in args:
        if a.kind == "scalar" and a.name not in _SCALARS[which]:
            raise InputError(
                f"manifest {where}: scalar {a.name!r} has no value the host can pass "
                f"(expected {', '.join(_SCALARS[which])})"
            )
        if a.kind == "buffer" and a.name in _SCALARS["prefill"] + _SCALARS["decode"]:
            raise InputError(f"manifest {where}: {a.name!r} must be a scalar")
    for name in _REQUIRED[which]:
        if name not in names:
            raise InputError(f"manifest {where} has no {name!r} argument")
    if which == "decode" and "tokens" in names:
        raise InputError(f"manifest {where}: decode takes its token as the scalar 'token'")
    logits = next(a for a in args if a.name == "logits")
    if logits.elements != vocab_size:
        raise InputError(
            f"manifest {where}: logits has {logits.elements} elements, vocab_size is {vocab_size}"
        )
    return HostKernel(which=which, function=function, args=args)


def parse_llm_section(manifest: Mapping[str, object]) -> HostSpec:
    """Validate the manifest's "llm" section; raise InputError naming the first bad field."""
    llm = manifest.get("llm") if isinstance(manifest, Mapping) else None
    if not isinstance(llm, Mapping):
        raise InputError("manifest has no 'llm' section (was the project compiled from an LLM?)")
    vocab_size = _positive_int(llm, "vocab_size", "llm")
    max_context = _positive_int(llm, "max_context", "llm")
    eos = llm.get("eos_token_id")
    if eos is not None and (not _is_int(eos) or not 0 <= int(eos) < vocab_size):  # type: ignore[arg-type]
        raise InputError(f"manifest llm.eos_token_id must be a token id or null, got {eos!r}")
    kernels = llm.get("kernels")
    if not isinstance(kernels, Mapping):
        raise InputError("manifest llm.kernels must be an object with 'prefill' and 'decode'")
    prefill = _parse_kernel("prefill", kernels.get("prefill"), vocab_size)
    if "decode" not in kernels:  # one kernel serves prompts and one-token decode steps
        return HostSpec(
            arch=str(llm.get("arch", "unknown")),
            vocab_size=vocab_size,
            max_context=max_context,
            eos_token_id=None if eos is None else int(eos),  # type: ignore[arg-type]
            prefill=prefill,
            decode=None,
        )
    decode = _parse_kernel("decode", kernels.get("decode"), vocab_size)
    if prefill.function == decode.function:
        raise InputError(f"manifest llm.kernels: prefill and decode are both {prefill.function!r}")
    by_name = {a.name: a for a in prefill.buffers}
    for a in decode.buffers:
        other = by_name.get(a.name)
        if other is not None and (other.ctype, other.elements, other.role) != (
            a.ctype,
            a.elements,
            a.role,
        ):
            raise InputError(
                f"manifest llm.kernels: buffer {a.name!r} differs between prefill "
                f"({other.elements} x {other.ctype}, {other.role}) and decode "
                f"({a.elements} x {a.ctype}, {a.role})"
            )
    kv_prefill = sorted(a.name for a in prefill.buffers if a.role == "kv")
    kv_decode = sorted(a.name for a in decode.buffers if a.role == "kv")
    if kv_prefill != kv_decode:
        raise InputError(
            f"manifest llm.kernels: prefill keeps KV state in {kv_prefill}, decode in {kv_decode}"
        )
    arch = llm.get("arch")
    return HostSpec(
        arch=arch if isinstance(arch, str) else "unknown",
        vocab_size=vocab_size,
        max_context=max_context,
        eos_token_id=None if eos is None else int(eos),  # type: ignore[arg-type]
        prefill=prefill,
        decode=decode,
    )


def medusa_tree(section: Mapping[str, object], where: str) -> tuple[list[list[int]], int, int]:
    """llm.medusa's tree as every host reads it: its nodes' paths (the root's [] first, every
    parent before its children), the heads it uses and the guesses each leaves in `result`
    (its highest rank + 1), checked against proposal_heads / proposal_ranks. `where` starts
    each error (the manifest's path, or "manifest ")."""
    if section.get("proposals") != "chip":
        raise InputError(f"{where}llm.medusa.proposals must be 'chip' (the kernel's guesses)")
    for key in ("tree_paths", "proposal_heads", "proposal_ranks"):
        if section.get(key) is None:
            raise InputError(f"{where}llm.medusa has no '{key}'")
    paths = section["tree_paths"]
    if (
        not isinstance(paths, list)
        or len(paths) < 2
        or paths[0] != []
        or not all(_int_list(p) and p and min(p) >= 0 for p in paths[1:])
        or any(p[:-1] not in paths[:i] for i, p in enumerate(paths[1:], start=1))
    ):
        raise InputError(
            f"{where}llm.medusa.tree_paths is not a tree: it must list the tree's nodes' "
            "paths, the root's ([]) first and every parent before its children"
        )
    depth, ranks = max(len(p) for p in paths), 1 + max(p[-1] for p in paths[1:])
    heads, kept = section["proposal_heads"], section["proposal_ranks"]
    if (heads, kept) != (depth, ranks):
        raise InputError(
            f"{where}llm.medusa.proposal_heads/proposal_ranks must be {depth}/{ranks} for its "
            f"tree of {len(paths)} tokens, got {heads!r}/{kept!r}"
        )
    return paths, depth, ranks


# -- the whole manifest ----------------------------------------------------------------------


def manifest_text(data: Mapping[str, Any]) -> str:
    """manifest.json as the writers store it (indented, key order kept, newline at the end)."""
    return json.dumps(data, indent=2) + "\n"


def is_llm_manifest(data: Mapping[str, Any]) -> bool:
    """Whether a manifest (as read from JSON) describes an LLM project rather than one kernel."""
    return data.get("kind") == LLM_KIND


@dataclass(frozen=True)
class Manifest:
    """What every project's manifest.json holds."""

    path: Path  # the manifest file itself
    data: dict[str, Any]  # as read from disk
    llmhls_version: str
    model: str
    target: str
    part: str
    clock_mhz: float
    kernel_files: tuple[str, ...]
    kernel_headers: tuple[str, ...]

    @property
    def root(self) -> Path:
        """The project directory."""
        return self.path.parent

    @property
    def is_llm(self) -> bool:
        return is_llm_manifest(self.data)


@dataclass(frozen=True)
class KernelManifest(Manifest):
    """A kernel project: one top function, its testbench and interfaces."""

    top: str
    testbench: str
    rel_tolerance: float
    floor_tolerance: float
    interfaces: tuple[Interface, ...]

    def of_role(self, role: str) -> list[Interface]:
        return [i for i in self.interfaces if i.role == role]


@dataclass(frozen=True)
class LlmManifest(Manifest):
    """An LLM project: prefill and decode kernels over a persistent KV cache."""

    source: str  # the model file or folder it was compiled from
    llm: HostSpec
    weights: str  # --weights
    head_weights: str  # --head-weights
    tokenizer: str | None  # folder of the saved tokenizer, relative to the project


def load_manifest(project_dir: Path) -> KernelManifest | LlmManifest:
    """Read and check PROJECT/manifest.json; InputError naming the file and field if it is bad."""
    root = Path(project_dir)
    if not root.is_dir():
        raise InputError(f"{project_dir}: no such project directory")
    path = root / MANIFEST_FILE
    if not path.is_file():
        raise InputError(f"{path}: missing (not a compiled llmhls project?)")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: must hold a JSON object")
    source = str(path)
    common = {
        "path": path,
        "data": data,
        "llmhls_version": _field(data, "llmhls_version", str, source),
        "model": _field(data, "model", str, source),
        "target": _field(data, "target", str, source),
        "part": _field(data, "part", str, source),
        "clock_mhz": float(_field(data, "clock_mhz", (int, float), source)),
        "kernel_files": _paths(data, "kernel_files", source),
        "kernel_headers": _paths(data, "kernel_headers", source),
    }
    if is_llm_manifest(data):
        llm = _field(data, "llm", dict, source)
        tokenizer = llm.get("tokenizer")
        if tokenizer is not None and not isinstance(tokenizer, str):
            raise InputError(
                f"{source}: 'llm.tokenizer' must be a folder or null, got {tokenizer!r}"
            )
        return LlmManifest(
            **common,
            source=_field(data, "source", str, source),
            llm=_llm_spec(data, source),
            weights=_field(llm, "weights", str, source, "llm."),
            head_weights=_field(llm, "head_weights", str, source, "llm."),
            tokenizer=tokenizer,
        )
    return KernelManifest(
        **common,
        top=manifest_top(data, source),
        testbench=_field(data, "testbench", str, source),
        rel_tolerance=manifest_rel_tolerance(data, source),
        floor_tolerance=manifest_floor_tolerance(data, source),
        interfaces=tuple(manifest_interfaces(data, source)),
    )


def load_llm_manifest(project_dir: Path) -> LlmManifest:
    """`load_manifest` for what needs an LLM project (`llmhls run`, the runtime backends)."""
    manifest = load_manifest(project_dir)
    if not isinstance(manifest, LlmManifest):
        raise InputError(
            f"'{project_dir}' holds a kernel project, not an LLM one "
            "(compile a Hugging Face folder or GGUF file for `llmhls run`)"
        )
    return manifest


def load_kernel_manifest(project_dir: Path) -> KernelManifest:
    """`load_manifest` for commands that need one kernel (`llmhls csim` of a kernel project)."""
    manifest = load_manifest(project_dir)
    if not isinstance(manifest, KernelManifest):
        raise InputError(f"'{project_dir}' holds an LLM project, not a single kernel")
    return manifest


def _llm_spec(data: dict[str, Any], source: str) -> HostSpec:
    try:
        return parse_llm_section(data)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None


def _field(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], source: str, prefix: str = ""
) -> Any:
    """data[key], present and of `kind` (a JSON true is never a number)."""
    if key not in data:
        raise InputError(f"{source}: missing field '{prefix}{key}'")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise InputError(f"{source}: '{prefix}{key}' must be {names}, got {value!r}")
    return value


def _paths(data: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InputError(f"{source}: '{key}' must be a non-empty list of paths")
    return tuple(value)


# -- where a project may be written ----------------------------------------------------------


def check_output_dir(out_dir: Path, force: bool) -> None:
    """InputError unless a project can be written at `out_dir`.

    It must be a directory or not exist yet (then the nearest existing folder above
    it must be a writable directory: the project is staged beside it and renamed
    in), and a non-empty one is replaced only with --force.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output path '{out_dir}' exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise InputError(
                f"output directory '{out_dir}' is not empty (use --force to replace it)"
            )
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise InputError(f"output directory '{out_dir}' is not writable, cannot replace it")
    parent = out_dir.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"output path '{out_dir}': '{parent}' is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"output path '{out_dir}': cannot write in '{parent}'")
