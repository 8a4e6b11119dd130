"""Where the C++ headers for C-simulation come from.

ap_int/ap_fixed are Xilinx's Apache-2.0 headers shipped inside the hls4ml
wheel; `hls_stream.h`/`hls_math.h` are llmhls's own behavioural versions in
`hls_templates/include`. Found without importing hls4ml (slow, heavy).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from llmhls.errors import CSimError


def ap_types_include_dir() -> Path:
    """The folder holding ap_int.h / ap_fixed.h from the hls4ml wheel."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise CSimError("hls4ml is not installed: it provides ap_int.h/ap_fixed.h for csim")
    folder = Path(next(iter(spec.submodule_search_locations))) / "templates/vivado/ap_types"
    if not (folder / "ap_fixed.h").is_file():
        raise CSimError(f"ap_fixed.h not found under {folder}: reinstall hls4ml")
    return folder


def hls_include_dir() -> Path:
    """llmhls's own hls_stream.h / hls_math.h for g++ C-simulation."""
    return Path(__file__).resolve().parent.parent / "hls_templates" / "include"
