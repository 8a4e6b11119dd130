"""What one evaluation of the QoR model carries: costs, runs, frames and the evaluator state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch_mlir import ir

from llmhls.passes.analysis import costs
from llmhls.passes.analysis.initiation_interval import MaxiTiming, Storage
from llmhls.passes.analysis.op_table import OpRow
from llmhls.passes.qor.report_types import LoopReport
from llmhls.passes.qor.structure import QorAnalysis, _FuncInfo
from llmhls.targets import MemorySpec


class _Cost:
    __slots__ = ("dsp", "ff", "lut")

    def __init__(self, dsp: int = 0, lut: int = 0, ff: int = 0) -> None:
        self.dsp, self.lut, self.ff = dsp, lut, ff

    def add(self, other: _Cost | tuple[int, int, int] | costs.OpCost, times: int = 1) -> None:
        if isinstance(other, tuple):
            dsp, lut, ff = other
        else:
            dsp, lut, ff = other.dsp, other.lut, other.ff
        self.dsp += dsp * times
        self.lut += lut * times
        self.ff += ff * times


@dataclass
class _Run:
    """What evaluating a loop or function gives its caller."""

    latency: int
    interval: int
    cost: _Cost  # one instance
    flops: int  # per entry
    offchip: int  # per entry
    report: LoopReport | None = None
    bound: str = "compute"  # what limits it: compute, channel or total (see loops.py)


@dataclass
class _Flat:
    """One iteration of a loop inside a pipelined loop, fully unrolled."""

    depth: int
    cost: _Cost
    flops: int
    offchip: int
    streams: dict[ir.Value, int]
    reports: list[LoopReport]


class _Frame:
    """A function evaluated with its memref arguments bound to storages."""

    def __init__(self, info: _FuncInfo, bindings: dict[ir.Value, Storage]) -> None:
        self.info = info
        self.bindings = bindings
        self.runs: list[_Run] = []  # one per item of the function body, in order


class _EvaluatorState:
    """Caches and outputs shared by the mixins of `_Evaluator`."""

    def __init__(self, analysis: QorAnalysis, clock_mhz: float, memory: MemorySpec) -> None:
        self.analysis = analysis
        self.clock = clock_mhz
        self.memory = memory  # the target's main memory: every m_axi bundle reads it
        self.maxi = MaxiTiming.of(memory, clock_mhz)
        self.wide_bundles: set[str] = set()  # bundles that moved widened bursts
        self._op_latency: dict[OpRow, int] = {}
        self._storage: dict[Any, Storage] = {}
        self.shared: dict[str, _Cost] = {}  # non-dataflow callees, counted once
        self.frames: list[_Frame] = []
        self.reports: list[LoopReport] = []
        self._reported: set[str] = set()
        self._memo: dict[tuple, _Run] = {}
        self.warnings: list[str] = []
