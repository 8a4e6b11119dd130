"""Names in generated C++: identifiers derived from PyTorch names, never a keyword."""

from __future__ import annotations

import re

# C++20 keywords and alternative tokens, plus `main`: none may name a kernel,
# a buffer or an argument.
CPP_KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
    char16_t char32_t class compl concept const consteval constexpr constinit const_cast
    continue co_await co_return co_yield decltype default delete do double dynamic_cast else
    enum explicit export extern false float for friend goto if inline int long mutable
    namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast requires return short signed sizeof static static_assert
    static_cast struct switch template this thread_local throw true try typedef typeid
    typename union unsigned using virtual void volatile wchar_t while xor xor_eq main""".split()  # noqa: SIM905
)


def c_identifier(name: str, reserved: frozenset[str] = CPP_KEYWORDS) -> str:
    """`layers.0.attn.q_proj.weight` → `layers_0_attn_q_proj_weight`; `new` → `new_`."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "t"
    ident = re.sub(r"__+", "_", ident)
    if ident[0].isdigit():
        ident = f"t_{ident}"
    return f"{ident}_" if ident in reserved else ident
