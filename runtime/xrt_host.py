"""Standalone XRT host program (C++17) for an llmhls LLM project, rendered from its manifest.

The manifest's "llm" section is the contract between the compiled kernels and every host: the
order, kind and C type of each kernel argument, which buffers are weights (and their .bin files),
which are KV-cache state. `parse_llm_section` validates that section once into `HostSpec`, which
both this renderer and the Python XRT backend use, so a malformed manifest fails with one line
naming the field instead of producing a host that calls the kernel with its arguments shuffled.

The C++ host bakes the argument tables in at render time: it needs no JSON parser, and the order of
the arguments in each `kernel(...)` call is exactly the manifest's order.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath

import jinja2

from llmhls.errors import InputError

__all__ = [
    "BUFFER_CTYPES",
    "CTYPE_SIZES",
    "HostArg",
    "HostKernel",
    "HostSpec",
    "parse_llm_section",
    "render_xrt_host",
]

# Size in bytes of every C type a kernel buffer may have (weights: float, int8_t, uint8_t for
# packed int4, uint16_t for fp16 bits; int32_t for token ids).
CTYPE_SIZES: dict[str, int] = {
    "float": 4,
    "int32_t": 4,
    "uint16_t": 2,
    "int16_t": 2,
    "int8_t": 1,
    "uint8_t": 1,
}
BUFFER_CTYPES = tuple(CTYPE_SIZES)
SCALAR_CTYPES = ("int32_t",)

# Scalars each kernel may take; the host supplies their values, so no others can be served.
_SCALARS = {"prefill": ("n_tokens", "start_pos"), "decode": ("token", "pos")}
_REQUIRED = {
    "prefill": ("tokens", "n_tokens", "start_pos", "logits"),
    "decode": ("token", "pos", "logits"),
}
_DIRECTIONS = ("in", "out", "inout")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ROLE_ENUMS = {
    "weight": "Weight",
    "kv": "Kv",
    "tokens": "Tokens",
    "logits": "Logits",
    "scratch": "Scratch",
}
_ROLE_USES = {
    "weight": "weight, loaded from",
    "kv": "KV cache, zeroed once, kept between calls",
    "tokens": "prompt token ids",
    "logits": "logits of the last token, read back",
    "scratch": "scratch, zeroed once",
    "n_tokens": "tokens in this call",
    "start_pos": "position of the first token",
    "token": "the token to decode",
    "pos": "its position",
}
_OUTPUTS = {
    "host/llm_host.cpp": "llm_host.cpp.j2",
    "host/CMakeLists.txt": "CMakeLists.txt.j2",
    "host/README.md": "README.md.j2",
}


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
    decode: HostKernel

    @property
    def kernels(self) -> tuple[HostKernel, HostKernel]:
        """Prefill then decode."""
        return (self.prefill, self.decode)

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
    if not isinstance(name, str) or not _IDENT_RE.fullmatch(name):
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
    if not isinstance(function, str) or not _IDENT_RE.fullmatch(function):
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
                f"(expected {' and '.join(_SCALARS[which])})"
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


def c_string(text: str) -> str:
    """`text` as a C string literal; non-printable and non-ASCII bytes become octal escapes."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F and char != "?":  # '?' escaped so no trigraph can form
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _template_source(name: str) -> str:
    """A template bundled in runtime/templates/ (read through importlib, so zips work too)."""
    folder = resources.files("llmhls.runtime").joinpath("templates")
    return folder.joinpath(name).read_text("utf-8")


@functools.cache
def _environment() -> jinja2.Environment:
    """The Jinja environment of the host templates, built once."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["c_string"] = c_string
    return env


def render_xrt_host(manifest: Mapping[str, object]) -> dict[str, str]:
    """The host program, its CMake build and README, keyed by path relative to the project."""
    spec = parse_llm_section(manifest)
    context = {
        "spec": spec,
        "ctype_sizes": CTYPE_SIZES,
        "eos": -1 if spec.eos_token_id is None else spec.eos_token_id,
        "roles": _ROLE_ENUMS,
        "uses": _ROLE_USES,
    }
    env = _environment()
    return {path: env.get_template(name).render(context) for path, name in _OUTPUTS.items()}
