"""Kernel arguments of an LLM project as the manifest records them, and their interface pragmas.

Both LLM kernel structures (the stage kernels' llm_prefill/llm_decode and the
decode engine's llm_engine) describe their arguments the same way, so the
manifest, the hosts and the link configuration read one form.
"""

from __future__ import annotations


def buffer_arg(name: str, ctype: str, elements: int, direction: str, bundle: str) -> dict:
    """A buffer argument: `elements` of `ctype` on m_axi bundle `bundle`."""
    return {
        "name": name,
        "kind": "buffer",
        "ctype": ctype,
        "elements": int(elements),
        "direction": direction,
        "bundle": bundle,
    }


def interface_pragmas(args: list[dict], m_axi_options: str) -> list[str]:
    """One m_axi INTERFACE per buffer (with `m_axi_options`), s_axilite for all and return."""
    pragmas = []
    for arg in args:
        name = arg["name"]
        if arg["kind"] == "buffer":
            pragmas.append(
                f"#pragma HLS INTERFACE m_axi port={name} offset=slave bundle={arg['bundle']} "
                f"depth={arg['elements']} {m_axi_options}"
            )
        pragmas.append(f"#pragma HLS INTERFACE s_axilite port={name} bundle=control")
    pragmas.append("#pragma HLS INTERFACE s_axilite port=return bundle=control")
    return pragmas
