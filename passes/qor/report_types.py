"""What `estimate` returns: the QoR report of a kernel, its loops, tasks and memories."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoopReport:
    """One loop: directives, achieved II, latency of one entry, its subtree's operators."""

    name: str
    function: str
    trip_count: int
    unroll: int
    pipelined: bool
    ii_target: int | None
    ii_achieved: int | None  # the II this model predicts (pipelined loops)
    # What sets the II: target, recurrence, memory:<buffer or bundle>, channel:<bundle>
    # (the bundle's memory channel caps its bursts), stream, flattened.
    ii_limit: str
    depth: int  # cycles of one iteration (pipelined) or one unrolled group (sequential)
    latency: int  # cycles of one entry of the loop
    entries: int  # times the loop is entered per kernel run
    dsp: int
    lut: int
    ff: int
    flops: int  # per kernel run
    offchip_bytes: int  # per kernel run
    bound: str = "compute"  # compute, channel (one memory channel) or total (all channels)
    unrolled_in_pipeline: bool = False
    loops: list[LoopReport] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "loops"}
        data["loops"] = [loop.to_dict() for loop in self.loops]
        return data


@dataclass
class TaskReport:
    """A dataflow process (task call or top-level loop), or the whole function."""

    name: str
    kind: str  # "function", "task" or "loop"
    latency: int
    interval: int
    dsp: int
    lut: int
    ff: int
    reads: list[str]
    writes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MemoryReport:
    """One on-chip buffer and what it costs."""

    name: str
    function: str
    elements: int
    width: int
    impl: str  # bram, uram, lutram, registers, fifo
    partition: str
    banks: int
    copies: int  # 2 for a dataflow ping-pong buffer
    bram: int
    uram: int
    lut: int
    ff: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Roofline:
    peak_gflops: float
    bandwidth_gbps: float
    operational_intensity: float | None  # flop/byte; None without off-chip traffic
    ridge_intensity: float
    attainable_gflops: float
    achieved_gflops: float
    bound: str  # "memory" or "compute"
    dsp_per_fma: int

    def to_dict(self) -> dict[str, Any]:
        return {k: _round(v) for k, v in self.__dict__.items()}


def _round(value: Any) -> Any:
    return float(f"{value:.6g}") if isinstance(value, float) else value


RESOURCE_KEYS = ("dsp", "bram", "uram", "lut", "ff")


@dataclass
class QorReport:
    """What `estimate` predicts; `to_dict()` is the JSON form written to report.json."""

    target: str
    part: str
    clock_mhz: float
    top: str
    dataflow: bool
    latency_cycles: int
    interval_cycles: int
    bound: str  # what limits the kernel: compute, channel or total (see qor/loops.py)
    resources: dict[str, int]
    available: dict[str, int]
    offchip_bytes: int
    flops: int
    roofline: Roofline
    loops: list[LoopReport]
    tasks: list[TaskReport]
    task_edges: list[tuple[str, str, str]]
    memories: list[MemoryReport]
    warnings: list[str]
    assumptions: list[str]

    @property
    def latency_us(self) -> float:
        return self.latency_cycles / self.clock_mhz

    @property
    def interval_us(self) -> float:
        return self.interval_cycles / self.clock_mhz

    @property
    def utilization(self) -> dict[str, float]:
        """Percent of the target's resources (0 when the part has none and none is used)."""
        result = {}
        for key in RESOURCE_KEYS:
            used, have = self.resources[key], self.available[key]
            result[key] = (100.0 * used / have) if have else (0.0 if not used else math.inf)
        return result

    @property
    def fits(self) -> bool:
        return all(self.resources[k] <= self.available[k] for k in RESOURCE_KEYS)

    def loop(self, name: str) -> LoopReport:
        """The loop labelled `name` (anywhere in the nests)."""
        stack = list(self.loops)
        while stack:
            loop = stack.pop()
            if loop.name == name:
                return loop
            stack.extend(loop.loops)
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        utilization = {
            k: (round(v, 2) if math.isfinite(v) else None) for k, v in self.utilization.items()
        }
        return {
            "target": self.target,
            "part": self.part,
            "clock_mhz": self.clock_mhz,
            "top": self.top,
            "dataflow": self.dataflow,
            "latency_cycles": self.latency_cycles,
            "interval_cycles": self.interval_cycles,
            "bound": self.bound,
            "latency_us": _round(self.latency_us),
            "interval_us": _round(self.interval_us),
            "resources": dict(self.resources),
            "available": dict(self.available),
            "utilization": utilization,
            "fits": self.fits,
            "offchip_bytes": self.offchip_bytes,
            "flops": self.flops,
            "roofline": self.roofline.to_dict(),
            "loops": [loop.to_dict() for loop in self.loops],
            "tasks": [task.to_dict() for task in self.tasks],
            "task_graph": {
                "nodes": [{"name": t.name, "latency": t.latency} for t in self.tasks],
                "edges": [list(edge) for edge in self.task_edges],
            },
            "memories": [memory.to_dict() for memory in self.memories],
            "warnings": list(self.warnings),
            "assumptions": list(self.assumptions),
        }
