"""Per-operation latency and resource costs of Vitis HLS operators (UltraScale+, float32).

Figures are the typical operator cores Vitis HLS picks at 300 MHz on
UltraScale+ parts (fadd: fabric+2 DSP, 4 cycles; fmul: 3 DSP, 3 cycles; ...).
Latencies scale with the clock: an operator that needs L cycles at 300 MHz
needs ceil(L * f / 300) at f MHz (never below 1 for pipelined operators).
They are estimates, not synthesis results: the QoR report prints them as
assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

REFERENCE_CLOCK_MHZ = 300.0


@dataclass(frozen=True)
class OpCost:
    latency: int  # cycles at REFERENCE_CLOCK_MHZ; 0 = combinational (wires, index math)
    dsp: int = 0
    lut: int = 0
    ff: int = 0


_FLOAT_OPS: dict[str, OpCost] = {
    "arith.addf": OpCost(4, dsp=2, lut=220, ff=350),
    "arith.subf": OpCost(4, dsp=2, lut=220, ff=350),
    "arith.mulf": OpCost(3, dsp=3, lut=120, ff=150),
    "arith.divf": OpCost(12, dsp=0, lut=800, ff=1400),
    "arith.remf": OpCost(16, dsp=0, lut=900, ff=1500),
    "arith.negf": OpCost(0, lut=2),
    "arith.maximumf": OpCost(1, lut=70, ff=40),
    "arith.minimumf": OpCost(1, lut=70, ff=40),
    "arith.maxnumf": OpCost(1, lut=70, ff=40),
    "arith.minnumf": OpCost(1, lut=70, ff=40),
    "arith.cmpf": OpCost(1, lut=70, ff=40),
    "arith.sitofp": OpCost(4, lut=250, ff=300),
    "arith.uitofp": OpCost(4, lut=250, ff=300),
    "arith.fptosi": OpCost(3, lut=250, ff=200),
    "arith.fptoui": OpCost(3, lut=250, ff=200),
    "arith.extf": OpCost(1, lut=60, ff=60),
    "arith.truncf": OpCost(1, lut=60, ff=60),
    "math.exp": OpCost(8, dsp=7, lut=700, ff=900),
    "math.log": OpCost(12, dsp=14, lut=900, ff=1200),
    "math.sqrt": OpCost(12, lut=500, ff=700),
    "math.rsqrt": OpCost(14, dsp=3, lut=700, ff=900),
    "math.fma": OpCost(7, dsp=5, lut=340, ff=500),  # fmul + fadd cores, fused in one chain
    "math.powf": OpCost(24, dsp=21, lut=1800, ff=2400),
    "math.fpowi": OpCost(24, dsp=21, lut=1800, ff=2400),
    "math.tanh": OpCost(20, dsp=10, lut=1500, ff=1800),
    "math.erf": OpCost(20, dsp=12, lut=1600, ff=1900),
    "math.sin": OpCost(20, dsp=12, lut=1500, ff=1800),
    "math.cos": OpCost(20, dsp=12, lut=1500, ff=1800),
    "math.absf": OpCost(0, lut=2),
    "math.floor": OpCost(2, lut=150, ff=100),
    "math.ceil": OpCost(2, lut=150, ff=100),
    "math.round": OpCost(2, lut=150, ff=100),
}

_INT_OPS: dict[str, OpCost] = {
    "arith.addi": OpCost(1, lut=32, ff=32),
    "arith.subi": OpCost(1, lut=32, ff=32),
    "arith.muli": OpCost(3, dsp=3, lut=20, ff=60),
    "arith.divsi": OpCost(36, lut=1200, ff=1500),
    "arith.divui": OpCost(36, lut=1200, ff=1500),
    "arith.remsi": OpCost(36, lut=1200, ff=1500),
    "arith.remui": OpCost(36, lut=1200, ff=1500),
    "arith.cmpi": OpCost(0, lut=20),
    "arith.select": OpCost(0, lut=32),
    "arith.andi": OpCost(0, lut=32),
    "arith.ori": OpCost(0, lut=32),
    "arith.xori": OpCost(0, lut=32),
    "arith.maxsi": OpCost(1, lut=40, ff=32),
    "arith.minsi": OpCost(1, lut=40, ff=32),
}

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

# Peak float compute: one fused multiply-add (2 flops) per cycle needs the DSPs of an
# fmul (3) and an fadd (2) core.
DSP_PER_FMA = 5
FLOPS_PER_OP = {
    "arith.addf": 1,
    "arith.subf": 1,
    "arith.mulf": 1,
    "arith.divf": 1,
    "math.fma": 2,
}

FREE = OpCost(0)


def op_cost(name: str) -> OpCost:
    """Cost of one operator instance; index arithmetic, casts and constants are free."""
    return _FLOAT_OPS.get(name) or _INT_OPS.get(name) or FREE


def scale_cycles(cycles: int, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> int:
    """`cycles` at REFERENCE_CLOCK_MHZ as cycles at `clock_mhz` (0 stays 0, else >= 1)."""
    if cycles == 0:
        return 0
    return max(1, math.ceil(cycles * clock_mhz / REFERENCE_CLOCK_MHZ))


def op_latency(name: str, clock_mhz: float = REFERENCE_CLOCK_MHZ) -> int:
    """Cycles for `name` at `clock_mhz` (latencies grow with the clock)."""
    return scale_cycles(op_cost(name).latency, clock_mhz)
