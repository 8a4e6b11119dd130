"""Optimization levels as pass pipelines: plain lists of pass names with options.

`llmhls compile --print-pipeline` prints them, so a user can copy one, edit
it, and run it through `llmhls-opt`.

-O0  no directives: the kernel as lowered (every access on m_axi).
-O1  safe defaults: small interfaces buffered on chip.
-O2  -O1 plus dataflow tasks over the loop nests (default).
"""

from __future__ import annotations

from dataclasses import dataclass

from llmhls.errors import OptionError

OPT_LEVELS = (0, 1, 2)
DEFAULT_OPT_LEVEL = 2


@dataclass(frozen=True)
class OptimizeOptions:
    level: int = DEFAULT_OPT_LEVEL
    max_onchip_kib: int = 512  # interfaces up to this size get an on-chip copy


def optimization_pipeline(options: OptimizeOptions) -> str:
    """The pipeline string for an optimization level ("" for -O0)."""
    if options.level not in OPT_LEVELS:
        raise OptionError(f"unknown optimization level -O{options.level} (use -O0, -O1 or -O2)")
    if options.max_onchip_kib < 0:
        raise OptionError(f"--max-onchip-kib must be >= 0, got {options.max_onchip_kib}")
    passes: list[str] = []
    if options.level >= 1:
        passes.append(f"hls-buffer-interfaces{{max-kib={options.max_onchip_kib}}}")
    if options.level >= 2:
        passes.append("hls-dataflow-tasks")
    return f"builtin.module({', '.join(passes)})" if passes else ""
