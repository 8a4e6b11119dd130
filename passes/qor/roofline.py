"""Roofline of a kernel: peak compute, memory bandwidth, intensity.

Traffic and roofline
  offchip bytes = sum over m_axi accesses of executions * element bytes;
  flops = executions of addf/subf/mulf/divf (+2 per math.fma);
  peak = target DSPs / DSP_PER_FMA * 2 flop * clock;
  bandwidth = the target main memory's sustained GB/s (measured where published);
  intensity = flops / offchip bytes; attainable = min(peak, intensity * bandwidth);
  memory-bound when intensity < peak / bandwidth; achieved = flops / (latency / clock).
"""

from __future__ import annotations

from llmhls.passes.analysis import costs
from llmhls.passes.qor.report_types import Roofline
from llmhls.targets import Target


def _peak_gflops(target: Target, clock_mhz: float) -> float:
    return target.resources.dsp / costs.DSP_PER_FMA * 2 * clock_mhz / 1000.0


def _roofline(target: Target, clock_mhz: float, flops: int, offchip: int, latency: int) -> Roofline:
    peak = _peak_gflops(target, clock_mhz)
    bandwidth = target.main_memory.sustained_total_gbps
    ridge = peak / bandwidth
    intensity = flops / offchip if offchip else None
    attainable = peak if intensity is None else min(peak, intensity * bandwidth)
    achieved = flops / (latency / clock_mhz) / 1000.0 if latency else 0.0
    bound = "compute" if intensity is None or intensity >= ridge else "memory"
    return Roofline(
        peak_gflops=peak,
        bandwidth_gbps=bandwidth,
        operational_intensity=intensity,
        ridge_intensity=ridge,
        attainable_gflops=attainable,
        achieved_gflops=achieved,
        bound=bound,
        dsp_per_fma=costs.DSP_PER_FMA,
    )
