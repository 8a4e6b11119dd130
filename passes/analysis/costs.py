"""Memory, geometry and fixed-overhead constants of the cost model, plus the op-cost API.

Per-op latency and resources live in the op table (`op_table.py`, one row per op x dtype x
implementation with its source); `op_cost` / `op_latency` read it. The constants below
price what is not an operator: memory ports, m_axi, loop control, on-chip RAM geometry.
`MEMORY_FACTS` names the source of each (`llmhls costs` prints them). They are estimates,
not synthesis results: the QoR report prints them as assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.passes.analysis import op_table

REFERENCE_CLOCK_MHZ = 300.0


@dataclass(frozen=True)
class OpCost:
    latency: int  # cycles at REFERENCE_CLOCK_MHZ; 0 = combinational (wires, index math)
    dsp: int = 0
    lut: int = 0
    ff: int = 0


# Memory ports: an on-chip RAM read takes 2 cycles (address + registered output),
# a write 1; an m_axi access is modelled in the QoR model (burst vs single beat).
BRAM_READ_LATENCY = 2
BRAM_WRITE_LATENCY = 1
REGISTER_READ_LATENCY = 0  # completely partitioned arrays are plain registers
STREAM_LATENCY = 1  # hls::stream read/write (FIFO handshake)
MAXI_READ_LATENCY = 64  # first beat of an AXI read burst from HBM/DDR at 300 MHz
MAXI_MAX_OUTSTANDING = 16  # Vitis m_axi default num_read_outstanding
# max_widen_bitwidth of every m_axi port: a burst of narrow elements moves this many bits a beat.
MAXI_WIDEN_BITS = 512
RAM_PORTS = 2  # true dual-port BRAM/URAM: two accesses per cycle per bank

# On-chip memory geometry (UltraScale+). An 18 Kb BRAM is one of these depth x width
# shapes; a URAM is 4096 x 72 (288 Kb); a LUT6 holds 64 bits of distributed RAM.
BRAM18K_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
URAM_DEPTH = 4096
URAM_WIDTH = 72
LUTRAM_BITS_PER_LUT = 64
LUTRAM_MAX_BITS = 1024  # unbound arrays (per bank) up to 1 Kb go to LUTRAM, larger to BRAM

# Fixed overheads (typical Vitis HLS reports): a loop's counter, compare and FSM
# state; a pipelined loop's enable/valid chain (plus PIPELINE_FF_PER_STAGE FFs per
# stage of its depth); one m_axi adapter per bundle (with its burst FIFOs in BRAM);
# the s_axilite control slave (plus one 64-bit register per argument).
LOOP_CONTROL = OpCost(0, lut=40, ff=32)
PIPELINE_CONTROL = OpCost(0, lut=20, ff=8)
PIPELINE_FF_PER_STAGE = 2
MAXI_ADAPTER = OpCost(0, lut=1200, ff=1500)
# An m_axi adapter's BRAM is its read/write data FIFOs, sized by the UG1399 defaults
# (num_read_outstanding = num_write_outstanding = 16 x max_read/write_burst_length = 16
# beats): about 30 BRAM18K for a 512-bit (widened) port, about 16 for a narrow one
# (<= MAXI_NARROW_BITS), as committed Vitis reports for U50/U280-class kernels show
# (DESIGN.md "Cost-model facts"). A public csynth report of a 32-bit port shows fewer
# (gmem_m_axi_U: 4 BRAM18K, vadd of the KRS "ROS 2 publisher" example,
# ros-acceleration/acceleration_examples): the narrow figure is an upper estimate.
MAXI_ADAPTER_BRAM18K_WIDE = 30
MAXI_ADAPTER_BRAM18K_NARROW = 16
MAXI_NARROW_BITS = 64
AXILITE_CONTROL = OpCost(0, lut=150, ff=200)
AXILITE_PER_ARG = OpCost(0, lut=20, ff=64)

FLOPS_PER_OP = {
    "arith.addf": 1,
    "arith.subf": 1,
    "arith.mulf": 1,
    "arith.divf": 1,
    "math.fma": 2,
}


def _cost(row: op_table.OpRow) -> OpCost:
    return OpCost(row.cycles(REFERENCE_CLOCK_MHZ), dsp=row.dsp, lut=row.lut, ff=row.ff)


def op_cost(name: str) -> OpCost:
    """Cost of one instance of `name` on its natural dtype (the op table's default row)."""
    return _cost(op_table.default_row(name))


def op_cost_for(op: ir.Operation) -> OpCost:
    """Cost of one instance of `op` on its own dtype; an op without a row is an error."""
    return _cost(op_table.row_for(op))


def op_latency(name: str, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> int:
    """Cycles for `name` (natural dtype) at `clock_mhz`, from the op table's clock bands."""
    return op_table.default_row(name).cycles(clock_mhz)


def op_latency_for(op: ir.Operation, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> int:
    """Cycles for `op` on its own dtype at `clock_mhz`."""
    return op_table.row_for(op).cycles(clock_mhz)


def scale_cycles(cycles: int, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> int:
    """m_axi latency `cycles` at REFERENCE_CLOCK_MHZ as cycles at `clock_mhz` (a fixed time)."""
    if cycles == 0:
        return 0
    return max(1, math.ceil(cycles * clock_mhz / REFERENCE_CLOCK_MHZ))


# Peak float compute: one fused multiply-add (2 flops) per cycle needs the DSPs of the op
# table's math.fma row (an fmul and an fadd core).
DSP_PER_FMA = op_table.default_row("math.fma").dsp


@dataclass(frozen=True)
class Fact:
    """One constant of the cost model with the source it comes from (for `llmhls costs`)."""

    name: str
    value: object
    source: str


_ESTIMATE = "llmhls estimate, no report found"
_RAM_LATENCY = (
    "RAM_AUTO_1R1W storage cores with LATENCY 2 in jichengzh/fpt_LLM prj/baseline/kernel_hls/"
    "activation_accelerator/baseline6/.autopilot/db/autopilot.rtl.models.tcl"
)
MEMORY_FACTS: tuple[Fact, ...] = (
    Fact("BRAM_READ_LATENCY", BRAM_READ_LATENCY, _RAM_LATENCY),
    Fact("BRAM_WRITE_LATENCY", BRAM_WRITE_LATENCY, _ESTIMATE + " (one cycle to write a port)"),
    Fact(
        "REGISTER_READ_LATENCY",
        REGISTER_READ_LATENCY,
        "completely partitioned arrays are registers",
    ),
    Fact("STREAM_LATENCY", STREAM_LATENCY, _ESTIMATE + " (FIFO handshake)"),
    Fact("MAXI_READ_LATENCY", MAXI_READ_LATENCY, "UG1399 m_axi default latency (64 cycles)"),
    Fact("MAXI_MAX_OUTSTANDING", MAXI_MAX_OUTSTANDING, "UG1399 m_axi num_read_outstanding default"),
    Fact("MAXI_WIDEN_BITS", MAXI_WIDEN_BITS, "UG1399 m_axi max_widen_bitwidth (512-bit AXI beats)"),
    Fact("RAM_PORTS", RAM_PORTS, "UG573: BRAM and URAM are true dual-port"),
    Fact("BRAM18K_SHAPES", BRAM18K_SHAPES, "UG573 RAMB18E2 aspect ratios"),
    Fact("URAM_DEPTH", URAM_DEPTH, "UG573: URAM288 is 4K x 72"),
    Fact("URAM_WIDTH", URAM_WIDTH, "UG573: URAM288 is 4K x 72"),
    Fact("LUTRAM_BITS_PER_LUT", LUTRAM_BITS_PER_LUT, "UG574: a LUT6 as RAM64X1 holds 64 bits"),
    Fact("LUTRAM_MAX_BITS", LUTRAM_MAX_BITS, "llmhls rule for unbound arrays (per bank)"),
    Fact("LOOP_CONTROL", LOOP_CONTROL, _ESTIMATE),
    Fact("PIPELINE_CONTROL", PIPELINE_CONTROL, _ESTIMATE),
    Fact("PIPELINE_FF_PER_STAGE", PIPELINE_FF_PER_STAGE, _ESTIMATE),
    Fact("MAXI_ADAPTER", MAXI_ADAPTER, _ESTIMATE),
    Fact(
        "MAXI_ADAPTER_BRAM18K_WIDE",
        MAXI_ADAPTER_BRAM18K_WIDE,
        "DESIGN.md cost-model facts: about 30 BRAM18K for a 512-bit m_axi adapter in committed "
        "Vitis reports of U50/U280-class kernels (UG1399 default FIFO depths)",
    ),
    Fact(
        "MAXI_ADAPTER_BRAM18K_NARROW",
        MAXI_ADAPTER_BRAM18K_NARROW,
        "DESIGN.md cost-model facts (about 16 for narrow ports); an upper estimate: a public "
        "32-bit gmem_m_axi_U shows 4 (ros-acceleration/acceleration_examples vadd)",
    ),
    Fact("MAXI_NARROW_BITS", MAXI_NARROW_BITS, "ports up to 64 bits count as narrow adapters"),
    Fact("AXILITE_CONTROL", AXILITE_CONTROL, _ESTIMATE),
    Fact("AXILITE_PER_ARG", AXILITE_PER_ARG, _ESTIMATE),
    Fact("DSP_PER_FMA", DSP_PER_FMA, "the op table's math.fma row (fmul + fadd cores)"),
)
