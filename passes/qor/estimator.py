"""Analytical QoR model: latency, interval, resources and roofline of an HLS-legal module.

Reads the loop structure (`analysis/loops.py`), the operator table
(`analysis/costs.py`) and the `hlsdf.*` directives (`passes/directives.py`)
and predicts what Vitis HLS would report, fast enough for a design-space
exploration to call on every candidate: `analyze()` keeps the
directive-independent structure, so repeated `estimate(..., analysis=a)` calls
only re-read directives (see `QorAnalysis`): on a GPT-2 block (247 loops) about
20 ms per call, 4-10 ms with a reused analysis. Cycle counts are at `clock_mhz`:
operator latencies come from the op table's clock band for that clock (each row with
its source, `llmhls costs`), the m_axi latency is a fixed time (`costs.scale_cycles`).

The model is split along its seams: `structure` (analysis of loops and accesses),
`memory` (storages, ports, on-chip resources), `timing` (latencies, recurrences),
`loops` (sequential, pipelined, flattened loops), `dataflow` (functions and
processes), `roofline`, and `report_types` (what `estimate` returns).
"""

from __future__ import annotations

import math

from torch_mlir import ir

from llmhls.errors import LlmhlsError, OptionError
from llmhls.passes.analysis import costs
from llmhls.passes.analysis.initiation_interval import Storage, adapter_bram18k
from llmhls.passes.qor.dataflow import _DataflowModel
from llmhls.passes.qor.loops import _LoopModel
from llmhls.passes.qor.memory import _memory_report, _MemoryModel
from llmhls.passes.qor.report_types import (
    RESOURCE_KEYS,
    LoopReport,
    MemoryReport,
    QorReport,
    Roofline,
    TaskReport,
)
from llmhls.passes.qor.roofline import _peak_gflops, _roofline
from llmhls.passes.qor.state import _Cost, _EvaluatorState
from llmhls.passes.qor.structure import QorAnalysis, analyze
from llmhls.passes.qor.timing import _TimingModel
from llmhls.targets import Target

__all__ = [
    "RESOURCE_KEYS",
    "LoopReport",
    "MemoryReport",
    "QorAnalysis",
    "QorReport",
    "Roofline",
    "TaskReport",
    "analyze",
    "estimate",
]


class _Evaluator(_DataflowModel, _LoopModel, _TimingModel, _MemoryModel, _EvaluatorState):
    """The QoR model over one analysis at one clock: the mixins share its state."""


def _assumptions(target: Target, clock_mhz: float, evaluator: _Evaluator) -> list[str]:

    def lat(name: str) -> int:
        return costs.op_latency(name, clock_mhz)

    peak = _peak_gflops(target, clock_mhz)
    memory = target.main_memory
    maxi = evaluator.maxi
    return [
        f"operator latencies at {clock_mhz:g} MHz (f32, the op table's clock band; "
        "`llmhls costs` lists every row and its source): "
        f"fadd/fsub {lat('arith.addf')}, fmul {lat('arith.mulf')}, fdiv {lat('arith.divf')}, "
        f"exp {lat('math.exp')}, sqrt {lat('math.sqrt')}, rsqrt {lat('math.rsqrt')}, "
        f"tanh {lat('math.tanh')}, fma {lat('math.fma')} cycles",
        f"loads: BRAM/URAM/LUTRAM {costs.BRAM_READ_LATENCY}, "
        f"registers {costs.REGISTER_READ_LATENCY}, m_axi {maxi.read_latency} cycles; "
        f"stores {costs.BRAM_WRITE_LATENCY}",
        f"m_axi bundles move 1 read + 1 write element per cycle, or "
        f"{costs.MAXI_WIDEN_BITS} bits per port cycle of a pipelined burst (ports widened "
        f"to max_widen_bitwidth); each bundle's {memory.kind} channel carries its reads and "
        f"writes together at {memory.sustained_gbps_per_channel:g} GB/s = "
        f"{maxi.channel_bits:.4g} bits per cycle at {clock_mhz:g} MHz (a one-way burst of E "
        f"elements of w bits: ceil(E x w / {maxi.burst_bits:.4g}) cycles); pipelined burst "
        "reads need "
        f"one {maxi.read_latency}-cycle latency, non-burst reads are limited to "
        f"{costs.MAXI_MAX_OUTSTANDING} outstanding (II >= reads x {maxi.read_latency} / "
        f"{costs.MAXI_MAX_OUTSTANDING}); a loop that reads back an m_axi array it writes gets "
        "no burst, and its reads and writes all pay that latency; loop-invariant reads are "
        "hoisted; bundles are gmem_in/gmem_w/gmem_out by role unless hls-weight-banks "
        "assigned gmem_w<k>",
        f"all bundles together: a loop or function moving B off-chip bytes takes at least "
        f"B / {memory.sustained_total_gbps * 1e3 / clock_mhz:.4g} cycles ({memory.kind} "
        f"{memory.sustained_total_gbps:g} GB/s sustained in all; {memory.bandwidth_basis})",
        "pipelined loop: latency = (ceil(N/U) - 1) x II + D, II = max(target, recurrence, "
        "memory ports); loops inside it are fully unrolled",
        "sequential loop: latency = ceil(N/U) x (D + max(0, (U-1) x C, P - 1) + 1) + 1",
        "trip counts are worst case (static bounds, counter-dependent bounds at their maximum, "
        "else hlsdf.tripcount max)",
        f"on-chip RAM banks serve {costs.RAM_PORTS} accesses per cycle (true dual port unless "
        "bound otherwise); completely partitioned arrays are registers",
        "dataflow: latency = sum of process latencies (first invocation), interval = max "
        "process interval; buffers shared by processes are ping-pong (2 copies)",
        "operators: each op of a pipelined body (x unroll x inner trips) is its own instance; "
        "sequential loops instantiate once per unrolled copy; non-task callees are shared",
        f"control: {costs.LOOP_CONTROL.lut} LUT + {costs.LOOP_CONTROL.ff} FF per loop; "
        f"pipelined +{costs.PIPELINE_CONTROL.lut} LUT, +{costs.PIPELINE_CONTROL.ff} FF "
        f"+ {costs.PIPELINE_FF_PER_STAGE} FF per stage",
        f"interfaces: {costs.MAXI_ADAPTER.lut} LUT + {costs.MAXI_ADAPTER.ff} FF + "
        f"{costs.MAXI_ADAPTER_BRAM18K_WIDE} BRAM18K per m_axi bundle moving widened bursts, "
        f"{costs.MAXI_ADAPTER_BRAM18K_NARROW} per narrow (<= {costs.MAXI_NARROW_BITS}-bit) one; "
        f"s_axilite "
        f"{costs.AXILITE_CONTROL.lut} LUT + {costs.AXILITE_CONTROL.ff} FF + "
        f"{costs.AXILITE_PER_ARG.ff} FF per argument",
        "memories: BRAM18K per bank = best of 16384x1..512x36 shapes; URAM 4096x72; LUTRAM "
        f"{costs.LUTRAM_BITS_PER_LUT} bits per LUT; unbound banks <= {costs.LUTRAM_MAX_BITS} "
        "bits use LUTRAM, larger BRAM",
        f"roofline: peak = {target.resources.dsp} DSP / {costs.DSP_PER_FMA} per FMA x 2 flop x "
        f"{clock_mhz:g} MHz = {peak:.6g} GFLOP/s; bandwidth = {memory.kind} "
        f"{memory.sustained_total_gbps:g} GB/s sustained",
        "flops: addf/subf/mulf/divf count 1, math.fma 2; special functions are not counted",
    ]


# -- entry point ---------------------------------------------------------------------------
def estimate(
    module: ir.Module,
    target: Target,
    clock_mhz: float,
    *,
    top: str | None = None,
    analysis: QorAnalysis | None = None,
) -> QorReport:
    """Predict latency, interval, resources and off-chip traffic of `module`'s top function.

    Pass `analysis=analyze(module)` to reuse the structural analysis across calls that only
    change hlsdf.* directives.
    """
    if not (isinstance(clock_mhz, int | float) and math.isfinite(clock_mhz) and clock_mhz > 0):
        raise OptionError(f"clock {clock_mhz!r} MHz must be a positive number")
    if analysis is None:
        analysis = QorAnalysis(module, top)
    elif analysis.module is not module or (top is not None and top != analysis.top):
        raise LlmhlsError("estimate: the analysis was built for another module or top function")
    with module.context:
        return _estimate(analysis, target, float(clock_mhz))


def _estimate(analysis: QorAnalysis, target: Target, clock_mhz: float) -> QorReport:
    evaluator = _Evaluator(analysis, clock_mhz, target.main_memory)
    info = analysis.function(analysis.top)
    bindings = {
        arg: evaluator._maxi(info, arg) for arg in info.args if isinstance(arg.type, ir.MemRefType)
    }
    run = evaluator.run_function(info, bindings)
    frame = evaluator.frames[0]
    tasks, edges, pipo = evaluator.processes(frame)
    dataflow = bool(tasks)
    if not dataflow:
        reads = sorted(info.names[info.args[i]] for i in info.arg_reads)
        writes = sorted(info.names[info.args[i]] for i in info.arg_writes)
        cost = run.cost
        tasks = [
            TaskReport(
                info.name,
                "function",
                run.latency,
                run.interval,
                cost.dsp,
                cost.lut,
                cost.ff,
                reads,
                writes,
            )
        ]
    logic = _Cost()
    logic.add(run.cost)
    for cost in evaluator.shared.values():
        logic.add(cost)
    memories: list[MemoryReport] = []
    seen: set[Storage] = set()
    for item_frame in evaluator.frames:
        for op in item_frame.info.buffers:
            storage = evaluator.storage(item_frame, op.results[0])
            if storage not in seen:
                seen.add(storage)
                memories.append(_memory_report(storage, 2 if storage in pipo else 1))
        for op in item_frame.info.streams:
            storage = evaluator.stream(item_frame, op.results[0])
            if storage not in seen:
                seen.add(storage)
                memories.append(_memory_report(storage, 1))
    used_args = info.arg_reads | info.arg_writes
    bundles = {bindings[info.args[i]].bundle for i in used_args if info.args[i] in bindings}
    adapters = sum(adapter_bram18k(bundle in evaluator.wide_bundles) for bundle in bundles)
    resources = {
        "dsp": logic.dsp,
        "bram": sum(m.bram for m in memories) + adapters,
        "uram": sum(m.uram for m in memories),
        "lut": logic.lut
        + sum(m.lut for m in memories)
        + costs.MAXI_ADAPTER.lut * len(bundles)
        + costs.AXILITE_CONTROL.lut
        + costs.AXILITE_PER_ARG.lut * len(info.args),
        "ff": logic.ff
        + sum(m.ff for m in memories)
        + costs.MAXI_ADAPTER.ff * len(bundles)
        + costs.AXILITE_CONTROL.ff
        + costs.AXILITE_PER_ARG.ff * len(info.args),
    }
    have = target.resources
    available = {
        "dsp": have.dsp,
        "bram": have.bram_18k,
        "uram": have.uram,
        "lut": have.lut,
        "ff": have.ff,
    }
    return QorReport(
        target=target.name,
        part=target.part,
        clock_mhz=clock_mhz,
        top=info.name,
        dataflow=dataflow,
        latency_cycles=run.latency,
        interval_cycles=run.interval,
        bound=run.bound,
        resources=resources,
        available=available,
        offchip_bytes=run.offchip,
        flops=run.flops,
        roofline=_roofline(target, clock_mhz, run.flops, run.offchip, run.latency),
        loops=evaluator.reports,
        tasks=tasks,
        task_edges=edges,
        memories=memories,
        warnings=list(dict.fromkeys(evaluator.warnings)),
        assumptions=_assumptions(target, clock_mhz, evaluator),
    )
