"""hls-dse: design-space exploration of unroll factors under the target part's budget.

The search is greedy and deterministic. Its candidates are the pipelined
innermost loops (innermost but for fully unrolled loops); a candidate's
choices are unroll factors 1, 2, 4, ... up to `max-unroll`, plus a full
unroll when the trip count fits under it. Each step:
1. takes the top-level loop nest with the largest estimated latency that is
   not yet saturated (ties go to the earlier nest);
2. doubles the unroll factor of that nest's candidates;
3. re-derives array partitions and storage binding for the new factors;
4. re-runs the QoR estimate.
A loop the search unrolls fully hands its pipeline to its parent at the end
(`hoist_unrolled_pipelines`): Vitis has no loop left to pipeline there.
The step is kept when the design still fits the budget and the objective
(latency, or the dataflow interval) improved. Otherwise it is undone and
the nest is saturated. The search ends when every nest is saturated or
after `max-steps`.

Nests under `min-share` of the total estimated latency are left as they
are (each try costs an estimate). The budget is the part's resources times
`utilization` (0.8 by default), tightened by any explicit `max-*` option.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import symbol_name, top_function
from llmhls.passes.analysis.loops import Loop, loop_forest
from llmhls.passes.analysis.unrolled import fully_unrolled, hoist_unrolled_pipelines
from llmhls.passes.base import Pass
from llmhls.passes.loop.array_partition import ArrayPartition
from llmhls.passes.loop.bind_storage import BindStorage
from llmhls.passes.qor.estimator import analyze, estimate
from llmhls.passes.registry import register_pass
from llmhls.targets import DEFAULT_TARGET, get_target

RESOURCE_KEYS = ("dsp", "bram", "uram", "lut", "ff")
PROGRESS_AFTER_S = 2.0


@register_pass
@dataclass(frozen=True)
class DesignSpaceExploration(Pass):
    """Pick unroll factors (and the partitions they need) minimizing estimated latency."""

    name = "hls-dse"
    summary = "greedy unroll/partition search minimizing estimated latency under a resource budget"
    target: str = DEFAULT_TARGET
    clock_mhz: float = 300.0
    objective: str = "latency"  # or "interval" (dataflow throughput)
    utilization: float = 0.8
    max_dsp: int = 0  # 0: utilization x the part's total
    max_bram: int = 0
    max_uram: int = 0
    max_lut: int = 0
    max_ff: int = 0
    max_unroll: int = 64
    max_steps: int = 400
    min_share: float = 0.01  # nests under this share of the total latency are not explored

    def run(self, module: ir.Module) -> None:
        if self.objective not in ("latency", "interval"):
            raise OptionError(
                f"hls-dse objective must be latency or interval, got '{self.objective}'"
            )
        if not 0.0 < self.utilization <= 1.0:
            raise OptionError(f"hls-dse utilization must be in (0, 1], got {self.utilization:g}")
        if self.max_unroll < 1:
            raise OptionError(f"hls-dse max-unroll must be >= 1, got {self.max_unroll}")
        search = _Search(module, self)
        search.run()


class _Search:
    def __init__(self, module: ir.Module, options: DesignSpaceExploration) -> None:
        self.module = module
        self.options = options
        self.target = get_target(options.target)
        self.top = top_function(module)
        self.budget = self._budget()
        # Only hlsdf.* attributes change during the search, so the structural
        # analysis is built once and reused by every estimate.
        self.analysis = analyze(module, symbol_name(self.top))
        self.started = time.perf_counter()
        self.evaluations = 0
        self.last_progress = self.started

    def _budget(self) -> dict[str, float]:
        totals = self.target.resources
        part = {
            "dsp": totals.dsp,
            "bram": totals.bram_18k,
            "uram": totals.uram,
            "lut": totals.lut,
            "ff": totals.ff,
        }
        budget = {key: part[key] * self.options.utilization for key in RESOURCE_KEYS}
        for key in RESOURCE_KEYS:
            explicit = getattr(self.options, f"max_{key}")
            if explicit < 0:
                raise OptionError(f"hls-dse max-{key} must be >= 0, got {explicit}")
            if explicit:
                budget[key] = min(budget[key], explicit) if part[key] else explicit
        return budget

    # -- evaluation -----------------------------------------------------------
    def _refresh_directives(self) -> None:
        """Partitions and storage for the current unroll factors."""
        ArrayPartition().run(self.module)
        BindStorage().run(self.module)

    def _evaluate(self) -> tuple[float, bool, dict]:
        self.evaluations += 1
        report = estimate(
            self.module,
            self.target,
            self.options.clock_mhz,
            top=symbol_name(self.top),
            analysis=self.analysis,
        ).to_dict()
        used = report["resources"]
        fits = all(used.get(key, 0) <= self.budget[key] for key in RESOURCE_KEYS)
        key = "latency_cycles" if self.options.objective == "latency" else "interval_cycles"
        self._progress(report[key])
        return float(report[key]), fits, report

    def _progress(self, objective: float) -> None:
        now = time.perf_counter()
        if now - self.started > PROGRESS_AFTER_S and now - self.last_progress > 1.0:
            self.last_progress = now
            print(
                f"llmhls dse: {self.evaluations} designs evaluated, "
                f"current {self.options.objective} {objective:,.0f} cycles",
                file=sys.stderr,
                flush=True,
            )

    # -- search ---------------------------------------------------------------
    def run(self) -> None:
        nests = loop_forest(self.top)
        candidates = {index: _candidates(nest) for index, nest in enumerate(nests)}
        candidates = {i: c for i, c in candidates.items() if c}
        if not candidates:
            return
        self._refresh_directives()
        best, _, report = self._evaluate()
        # Nests too small to matter are not explored: each try costs an estimate.
        latencies = self._nest_latencies(report)
        total = max(1, sum(latencies))
        saturated: set[int] = {
            index
            for index in candidates
            if index < len(latencies) and latencies[index] < self.options.min_share * total
        }
        steps = 0
        while steps < self.options.max_steps and len(saturated) < len(candidates):
            steps += 1
            nest_index = self._slowest(report, candidates, saturated)
            previous = {loop.op: directives.get_unroll(loop.op) for loop in candidates[nest_index]}
            if not self._grow(candidates[nest_index]):
                saturated.add(nest_index)
                continue
            self._refresh_directives()
            objective, new_fits, new_report = self._evaluate()
            if new_fits and objective < best:
                best, report = objective, new_report
                continue
            self._restore(previous)
            self._refresh_directives()
            saturated.add(nest_index)
        hoist_unrolled_pipelines(self.top)  # a fully unrolled loop's pipeline goes up a level
        self._refresh_directives()

    @staticmethod
    def _nest_latencies(report: dict) -> list[int]:
        return [entry["latency"] * entry["entries"] for entry in report["loops"]]

    def _slowest(self, report: dict, candidates: dict[int, list[Loop]], saturated: set[int]) -> int:
        latencies = self._nest_latencies(report)
        open_nests = [i for i in sorted(candidates) if i not in saturated]
        return max(open_nests, key=lambda i: (latencies[i] if i < len(latencies) else 0, -i))

    def _grow(self, loops: list[Loop]) -> bool:
        grown = False
        for loop in loops:
            current = directives.get_unroll(loop.op) or 1
            trips = loop.trip_count or 1
            if current == 0 or current >= trips:
                continue
            factor = current * 2
            if factor > self.options.max_unroll:
                continue
            directives.set_unroll(loop.op, 0 if factor >= trips else factor)
            grown = True
        return grown

    @staticmethod
    def _restore(previous: dict[ir.Operation, int | None]) -> None:
        for op, factor in previous.items():
            if factor is None:
                if directives.UNROLL in op.attributes:
                    del op.attributes[directives.UNROLL]
            else:
                directives.set_unroll(op, factor)


def _candidates(nest: Loop) -> list[Loop]:
    """Pipelined loops of a nest with a known trip count above one and nothing inside them
    but fully unrolled loops (hls-loop-permute's weight-reuse rows)."""
    return [
        loop
        for loop in nest.walk()
        if all(fully_unrolled(inner) for inner in list(loop.walk())[1:])
        and directives.get_pipeline(loop.op) is not None
        and (loop.trip_count or 0) > 1
    ]
