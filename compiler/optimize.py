"""Optimization levels as pass pipelines: plain lists of pass names with options.

`llmhls compile --print-pipeline` prints them, so a user can copy one, edit
it, and run it through `llmhls-opt`.

-O0  no directives: the kernel as lowered (every access on m_axi).
-O1  safe defaults: transposed weight copies folded into the loads that use
     them, small interfaces buffered on chip, off-chip weights stored in the
     order their innermost loops read them, innermost loops
     pipelined at II=1 (achieved II computed), partitions and storage that the
     pipelines need.
-O2  (default) -O1 plus loop permutation (reductions outward, an interface
     weight read once for a few rows, weight layouts chosen after it), a
     design-space exploration of unroll factors under the part's resource
     budget, and dataflow tasks over the loop nests.
-O1/-O2 end with hls-verify-dataflow; at -O0 the legalization pipeline runs it.

`weight_banks` (not None) adds hls-weight-banks to -O1/-O2: the weights are
spread over that many m_axi bundles (0: one each) instead of sharing `gmem_w`.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmhls.errors import OptionError
from llmhls.targets import DEFAULT_TARGET

OPT_LEVELS = (0, 1, 2)
DEFAULT_OPT_LEVEL = 2
BUDGET_KEYS = ("dsp", "bram", "uram", "lut", "ff")
# Dataflow tasks faster than 2% of the slowest are fused into a neighbour.
DATAFLOW_FUSE_BELOW = 0.02


@dataclass(frozen=True)
class OptimizeOptions:
    level: int = DEFAULT_OPT_LEVEL
    target: str = DEFAULT_TARGET
    clock_mhz: float = 300.0
    max_onchip_kib: int = 512  # interfaces up to this size get an on-chip copy
    utilization: float = 0.8  # share of the part the DSE may use
    max_dsp: int = 0  # 0: no explicit limit (utilization x the part's total)
    max_bram: int = 0
    max_uram: int = 0
    max_lut: int = 0
    max_ff: int = 0
    max_unroll: int = 64
    weight_banks: int | None = None  # None: every weight on gmem_w; N: hls-weight-banks{banks=N}


def optimization_pipeline(options: OptimizeOptions) -> str:
    """The pipeline string for an optimization level ("" for -O0)."""
    if options.level not in OPT_LEVELS:
        raise OptionError(f"unknown optimization level -O{options.level} (use -O0, -O1 or -O2)")
    if options.max_onchip_kib < 0:
        raise OptionError(f"--max-onchip-kib must be >= 0, got {options.max_onchip_kib}")
    for key in BUDGET_KEYS:
        if getattr(options, f"max_{key}") < 0:
            raise OptionError(f"--max-{key} must be >= 0, got {getattr(options, f'max_{key}')}")
    if not 0.0 < options.utilization <= 1.0:
        raise OptionError(f"--utilization must be in (0, 1], got {options.utilization:g}")
    if options.max_unroll < 1:
        raise OptionError(f"--max-unroll must be >= 1, got {options.max_unroll}")
    if options.weight_banks is not None and options.weight_banks < 0:
        raise OptionError(f"--weight-banks must be >= 0, got {options.weight_banks}")
    clock = f"clock-mhz={options.clock_mhz:g}"
    passes: list[str] = []
    if options.level >= 1:
        passes.append("hls-fold-transposes")
        passes.append(f"hls-buffer-interfaces{{max-kib={options.max_onchip_kib}}}")
    if options.level >= 2:
        # Weights left on the interface (above what is buffered on chip) share their reads.
        passes.append(f"hls-loop-permute{{reuse-min-kib={options.max_onchip_kib}}}")
    if options.level >= 1:
        # After the loop order is final (and after buffering, so on-chip copies keep theirs).
        passes.append("hls-weight-layout")
        if options.weight_banks is not None:
            passes.append(f"hls-weight-banks{{banks={options.weight_banks}}}")
        passes.append("hls-loop-pipeline{target-ii=1}")
        passes.append("hls-loop-flatten")
    if options.level >= 2:
        budget = " ".join(
            f"max-{key}={getattr(options, f'max_{key}')}"
            for key in BUDGET_KEYS
            if getattr(options, f"max_{key}")
        )
        dse = (
            f"target={options.target} {clock} utilization={options.utilization:g} "
            f"max-unroll={options.max_unroll} {budget}"
        ).strip()
        passes.append(f"hls-dse{{{dse}}}")
    if options.level >= 1:
        passes.append("hls-array-partition")
        passes.append("hls-bind-storage")
    if options.level >= 2:
        passes.append("hls-medusa-heads")  # Medusa heads (if any) as parallel task groups
        passes.append(
            f"hls-dataflow-tasks{{fuse-below={DATAFLOW_FUSE_BELOW:g} "
            f"target={options.target} {clock}}}"
        )
        passes.append(f"hls-stream-channels{{min-depth=2 {clock}}}")
    if options.level >= 1:
        # Canonical dataflow regions and no read-back m_axi output, whatever ran before.
        passes.append("hls-verify-dataflow")
    return f"builtin.module({', '.join(passes)})" if passes else ""
