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

import jinja2

from llmhls.hls_templates import TEMPLATES_DIR
from llmhls.project import CTYPE_SIZES, parse_llm_section

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
    "the heads' guesses when the kernel runs them (this host passes 0)",
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
