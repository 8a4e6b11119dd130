"""Standalone XRT host program (C++17) for an llmhls LLM project, rendered from its manifest.

The manifest's "llm" section (`llmhls.project.parse_llm_section` -> `HostSpec`) is the
contract between the compiled kernels and every host, this generated one and the Python
XRT backend alike, so a malformed manifest fails with one line naming the field instead
of producing a host that calls the kernel with its arguments shuffled.

The C++ host bakes the argument tables in at render time: it needs no JSON parser, and the order of
the arguments in each `kernel(...)` call is exactly the manifest's order. Its templates live in
`hls_templates/host/`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import jinja2

from llmhls.errors import InputError
from llmhls.hls_templates import TEMPLATES_DIR
from llmhls.project import CTYPE_SIZES, HostSpec, medusa_tree, parse_llm_section

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
    "tree": "0: the tokens as given; 1: verify the kernel's Medusa tree; 2: the tokens, then "
    "the heads' guesses when the kernel runs them (this host passes 0, or with --medusa 2 for "
    "the prompt's last call and 1 for each tree)",
}
_OUTPUTS = {
    "host/llm_host.cpp": "llm_host.cpp.j2",
    "host/llmhls_sha256.h": "llmhls_sha256.h.j2",
    "host/CMakeLists.txt": "CMakeLists.txt.j2",
    "host/README.md": "README.md.j2",
}


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


@functools.cache
def _environment() -> jinja2.Environment:
    """The Jinja environment of the host templates, built once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "host")),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["c_string"] = c_string
    return env


@dataclass(frozen=True)
class ChipTree:
    """The Medusa tree the C++ host decodes with (`--medusa`): llm_engine makes its guesses
    itself (each head's best ranks after the kept row), so the host only places each
    call's guesses in the next tree's nodes."""

    size: int
    depth: int  # heads the tree uses
    ranks: int  # guesses a head leaves in `result`, best first
    parents: tuple[int, ...]  # every node's parent, -1 for the root
    guess_of: tuple[int, ...]  # node i's slot among the guesses (head * ranks + rank); root -1
    result_elements: int  # [m, next token, the m accepted nodes, up to size, the guesses]


NO_MEDUSA = "the project was compiled without --medusa"


def chip_tree(manifest: Mapping[str, object], spec: HostSpec) -> ChipTree | None:
    """The project's Medusa tree, None without one; a malformed llm.medusa section is an
    InputError."""
    section = manifest["llm"].get("medusa")  # type: ignore[union-attr]
    if section is None:
        return None
    if not isinstance(section, dict):
        raise InputError("manifest llm.medusa must be an object")
    paths, depth, ranks = medusa_tree(section, "manifest ")
    args = {a.name: a for a in spec.prefill.args}
    result, elements = args.get("result"), 2 + len(paths) + depth * ranks
    if "tree" not in args or result is None or result.kind != "buffer" or result.ctype != "int32_t":
        raise InputError(
            f"manifest llm.kernels.prefill: {spec.prefill.function} has no 'tree' scalar and "
            "int32_t 'result' buffer for its Medusa tree"
        )
    if result.elements != elements:
        raise InputError(
            f"manifest llm.kernels.prefill: 'result' has {result.elements} elements, a tree "
            f"of {len(paths)} tokens with {depth} x {ranks} guesses needs {elements}"
        )
    if len(paths) > spec.tokens_capacity:
        raise InputError(
            f"manifest llm.medusa: a tree of {len(paths)} tokens does not fit the "
            f"{spec.tokens_capacity}-token tokens buffer"
        )
    parents = [-1] + [paths.index(p[:-1]) for p in paths[1:]]
    guess_of = [-1] + [(len(p) - 1) * ranks + p[-1] for p in paths[1:]]
    return ChipTree(len(paths), depth, ranks, tuple(parents), tuple(guess_of), elements)


def render_xrt_host(manifest: Mapping[str, object]) -> dict[str, str]:
    """The host program, its CMake build and README, keyed by path relative to the project."""
    spec = parse_llm_section(manifest)
    context = {
        "spec": spec,
        "tree": chip_tree(manifest, spec),
        "refusal": f"--medusa: {NO_MEDUSA}",
        "ctype_sizes": CTYPE_SIZES,
        "eos": -1 if spec.eos_token_id is None else spec.eos_token_id,
        "roles": _ROLE_ENUMS,
        "uses": _ROLE_USES,
    }
    env = _environment()
    return {path: env.get_template(name).render(context) for path, name in _OUTPUTS.items()}
