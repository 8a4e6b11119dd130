"""The QoR model against hand-computed cases (formulas: passes/qor/estimator.py docstring).

Figures used below (u280 at 300 MHz): on-chip load 2, store 1, m_axi load 64,
fmul 3 cycles / 3 DSP, fadd 4 cycles / 2 DSP. Buffers above 1 Kb default to BRAM.
m_axi ports are widened to 512 bits, but one HBM2 pseudo channel sustains 13.3 GB/s
(targets.json, Shuhai) = 13.3e3 / 300 = 44.33 B = 354.67 bits per cycle at 300 MHz: a
pipelined burst of E elements of w bits takes ceil(E * w / 354.67) cycles of its bundle.
Earlier cases burst one element per iteration (1 cycle either way), so only the
unrolled-burst cases below depend on the widening and the channel. m_axi adapters cost
30 BRAM18K when they move widened (> 64-bit) bursts, 16 otherwise (costs.py).
"""

from __future__ import annotations

import pytest
from torch_mlir import ir

from llmhls.compiler.context import parse_module
from llmhls.errors import LlmhlsError, OptionError
from llmhls.passes import directives as hls
from llmhls.passes.analysis.ir_utils import top_function, walk_ops
from llmhls.passes.analysis.loops import loop_forest
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.qor.estimator import QorReport, analyze, estimate
from llmhls.targets import get_target

U280 = get_target("u280")
INPUT = '{llmhls.arg = "x", llmhls.role = "input"}'
OUTPUT = '{llmhls.arg = "y", llmhls.role = "output"}'


def _module(body: str, args: str = "", functions: str = "") -> ir.Module:
    return parse_module(
        f"module {{\n{functions}\nfunc.func @k({args}) {{\n{body}\nreturn\n}}\n}}", "test"
    )


def _loops(module: ir.Module) -> list[ir.Operation]:
    """Loop ops of the top function, outer before inner (emission order)."""
    return [loop.op for top in loop_forest(top_function(module)) for loop in top.walk()]


def _allocs(module: ir.Module) -> list[ir.Operation]:
    return [op for op in walk_ops(top_function(module)) if op.name == "memref.alloc"]


def _run(module: ir.Module, clock_mhz: float = 300.0) -> QorReport:
    return estimate(module, U280, clock_mhz)


# -- a 2-deep nest: sequential vs pipelined ------------------------------------------------
NEST = """
%a = memref.alloc() : memref<16x8xf32>
%b = memref.alloc() : memref<16x8xf32>
%c2 = arith.constant 2.0 : f32
affine.for %i = 0 to 4 {
  affine.for %j = 0 to 8 {
    %x = affine.load %a[%i, %j] : memref<16x8xf32>
    %y = arith.mulf %x, %c2 : f32
    affine.store %y, %b[%i, %j] : memref<16x8xf32>
  } loc("k:scale")
} loc("k:scale")
"""
# One iteration of j: load 2 + fmul 3 + store 1 = D = 6 cycles.


def test_sequential_nest_latency() -> None:
    report = _run(_module(NEST))
    # j: 8 * (6 + 1) + 1 = 57; i: 4 * (57 + 1) + 1 = 233
    assert report.latency_cycles == 233
    assert report.interval_cycles == 233
    assert report.loop("L_k_scale_1").latency == 57
    assert report.loop("L_k_scale_0").latency == 233
    assert [loop.name for loop in report.loops] == ["L_k_scale_0"]
    assert report.resources["dsp"] == 3  # one fmul, shared by all iterations


def test_pipelined_inner_loop_latency() -> None:
    module = _module(NEST)
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    report = _run(module)
    inner = report.loop("L_k_scale_1")
    # j pipelined II=1: (8 - 1) * 1 + 6 = 13; i: 4 * (13 + 1) + 1 = 57
    assert (inner.ii_achieved, inner.depth, inner.latency) == (1, 6, 13)
    assert inner.ii_limit == "target"
    assert report.latency_cycles == 57


def test_pipelined_outer_loop_unrolls_inner_and_is_port_bound() -> None:
    module = _module(NEST)
    hls.set_pipeline(_loops(module)[0], hls.Pipeline(1))
    report = _run(module)
    outer = report.loop("L_k_scale_0")
    # 8 reads of `a` per iteration on one dual-port bank: II = ceil(8 / 2) = 4;
    # latency = (4 - 1) * 4 + 6 = 18; 8 fmul copies = 24 DSP.
    assert (outer.ii_achieved, outer.ii_limit) == (4, "memory:buf")
    assert outer.latency == report.latency_cycles == 18
    assert report.loop("L_k_scale_1").unrolled_in_pipeline
    assert report.resources["dsp"] == 24


def test_flattened_nest_fills_the_pipeline_once() -> None:
    module = _module(NEST)
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    hls.set_flatten(_loops(module)[1], 1)
    report = _run(module)
    # One pipeline through 4 * 8 iterations: (32 - 1) * 1 + 6 = 37 (57 unflattened).
    inner, outer = report.loop("L_k_scale_1"), report.loop("L_k_scale_0")
    assert (inner.ii_achieved, inner.depth, inner.latency) == (1, 6, 37)
    assert (outer.latency, outer.ii_limit, outer.pipelined) == (37, "flattened", False)
    assert report.latency_cycles == 37
    assert report.loop("L_k_scale_1").flops == 32  # every fmul counted once per run


# A GEMV with the reduction outside: y[j] comes back one sweep (8 iterations) later.
GEMV = """
%x = memref.alloc() : memref<16xf32>
%w = memref.alloc() : memref<16x8xf32>
%y = memref.alloc() : memref<8xf32>
affine.for %k = 0 to 16 {
  affine.for %j = 0 to SWEEP {
    %a = affine.load %x[%k] : memref<16xf32>
    %b = affine.load %w[%k, %j] : memref<16x8xf32>
    %c = affine.load %y[%j] : memref<8xf32>
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    affine.store %s, %y[%j] : memref<8xf32>
  } loc("k:mv")
} loc("k:mv")
"""


@pytest.mark.parametrize(
    ("sweep", "ii", "latency"),
    [
        (8, 2, 266),  # 16 x 8 = 128 iterations: 127 x 2 + 12
        (2, 5, 167),  # 16 x 2 = 32 iterations: 31 x 5 + 12
    ],
)
def test_flattened_recurrence_across_the_outer_loop(sweep: int, ii: int, latency: int) -> None:
    module = _module(GEMV.replace("SWEEP", str(sweep)))
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    hls.set_flatten(_loops(module)[1], 1)
    inner = _run(module).loop("L_k_mv_1")
    # By hand, fadd 6 cycles at 300 MHz (op table): y[j]: load 2 + fadd 6 + store 1 = 9 cycles,
    # read again a sweep later: II >= ceil(9 / sweep) = 2 (sweep 8), 5 (sweep 2).
    # D = 2 + fmul 3 + fadd 6 + 1 = 12; latency = (16 * sweep - 1) * II + 12.
    assert inner.ii_achieved == ii
    assert inner.ii_limit == ("target" if ii == 1 else "recurrence (flattened)")
    assert inner.latency == latency


# -- recurrences ----------------------------------------------------------------------
ACCUMULATE = """
%x = memref.alloc() : memref<16x32xf32>
%s = memref.alloc() : memref<64xf32>
affine.for %i = 0 to 16 {
  affine.for %k = 0 to 32 {
    %v = affine.load %x[%i, %k] : memref<16x32xf32>
    %acc = affine.load %s[%i] : memref<64xf32>
    %sum = arith.addf %acc, %v : f32
    affine.store %sum, %s[%i] : memref<64xf32>
  } loc("k:sum")
} loc("k:sum")
"""


def test_accumulator_recurrence_sets_ii() -> None:
    module = _module(ACCUMULATE)
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    report = _run(module)
    inner = report.loop("L_k_sum_1")
    # By hand, fadd 6 cycles at 300 MHz: s[i] does not move with k: II = load 2 + fadd 6 +
    # store 1 = 9; latency = (32 - 1) * 9 + 9 = 288; outer 16 * (288 + 1) + 1 = 4625
    assert (inner.ii_target, inner.ii_achieved, inner.ii_limit) == (1, 9, "recurrence")
    assert inner.latency == 288
    assert report.latency_cycles == 4625


@pytest.mark.parametrize(("clock", "ii", "latency"), [(200.0, 7, 224), (100.0, 4, 128)])
def test_recurrence_scales_with_clock(clock: float, ii: int, latency: int) -> None:
    module = _module(ACCUMULATE)
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    inner = _run(module, clock).loop("L_k_sum_1")
    # By hand, the op table's fadd bands: 4 cycles up to 200 MHz, 1 up to 100 MHz.
    # 200 MHz: II = 2 + 4 + 1 = 7 = D: 31 * 7 + 7 = 224; 100 MHz: II = 2 + 1 + 1 = 4: 31 * 4 + 4
    assert (inner.ii_achieved, inner.latency) == (ii, latency)


def test_unrolled_accumulator_chains_copies() -> None:
    module = _module(ACCUMULATE)
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    hls.set_unroll(_loops(module)[1], 4)
    inner = _run(module).loop("L_k_sum_1")
    # By hand, fadd 6: 4 chained fadds per iteration: II = 2 + 4*6 + 1 = 27, D = 9 + 3*6 = 27;
    # latency = (32/4 - 1) * 27 + 27 = 216
    assert (inner.ii_achieved, inner.depth, inner.latency) == (27, 27, 216)


def test_sequential_unroll_chains_copies_and_shares_ports() -> None:
    module = _module(ACCUMULATE)
    hls.set_unroll(_loops(module)[1], 4)
    inner = _run(module).loop("L_k_sum_1")
    # By hand, fadd 6: G = D + max(0, (U-1)*C, P-1) = 9 + max(0, 3*6, ceil(4/2)-1) = 27;
    # 8 * (27 + 1) + 1 = 225
    assert (inner.depth, inner.latency) == (27, 225)


SCAN = """
%x = memref.alloc() : memref<128xf32>
%y = memref.alloc() : memref<128xf32>
affine.for %i = 2 to 128 {
  %prev = affine.load %y[%i - {d}] : memref<128xf32>
  %v = affine.load %x[%i] : memref<128xf32>
  %s = arith.addf %prev, %v : f32
  affine.store %s, %y[%i] : memref<128xf32>
} loc("k:scan")
"""


@pytest.mark.parametrize(("distance", "ii"), [("1", 9), ("2", 5), ("(-1)", 1)])
def test_recurrence_distance(distance: str, ii: int) -> None:
    module = _module(SCAN.replace("{d}", distance))
    hls.set_pipeline(_loops(module)[0], hls.Pipeline(1))
    # By hand, fadd 6: chain load 2 + fadd 6 + store 1 = 9 over d iterations: ceil(9 / d);
    # reading ahead of the store is no recurrence
    assert _run(module).loop("L_k_scan_0").ii_achieved == ii


def test_iter_args_recurrence() -> None:
    module = _module(
        """
        %x = memref.alloc() : memref<256xf32>
        %out = memref.alloc() : memref<64xf32>
        %zero = arith.constant 0.0 : f32
        %r = affine.for %k = 0 to 256 iter_args(%acc = %zero) -> (f32) {
          %v = affine.load %x[%k] : memref<256xf32>
          %s = arith.addf %acc, %v : f32
          affine.yield %s : f32
        } loc("k:red")
        affine.store %r, %out[0] : memref<64xf32>
        """
    )
    hls.set_pipeline(_loops(module)[0], hls.Pipeline(1))
    loop = _run(module).loop("L_k_red_0")
    # By hand, fadd 6: the yielded sum feeds the next fadd: II = 6; D = load 2 + fadd 6 = 8:
    # 255 * 6 + 8 = 1538
    assert (loop.ii_achieved, loop.ii_limit, loop.latency) == (6, "recurrence", 1538)


# -- memory ports and partitioning ----------------------------------------------------
SQUARE = """
%a = memref.alloc() : memref<64x64xf32>
%b = memref.alloc() : memref<64x64xf32>
affine.for %i = 0 to 64 {
  affine.for %j = 0 to 64 {
    %v = affine.load %a[%i, %j] : memref<64x64xf32>
    %w = arith.mulf %v, %v : f32
    affine.store %w, %b[%i, %j] : memref<64x64xf32>
  } loc("k:sq")
} loc("k:sq")
"""


@pytest.mark.parametrize(
    ("partition", "ii", "latency"),
    [
        (None, 2, 36),  # 4 reads on one dual-port bank: II 2; (64/4 - 1) * 2 + 6
        (hls.Partition("cyclic", 4), 1, 21),  # a[j..j+3] on 4 banks: II 1; 15 + 6
        (hls.Partition("block", 4), 2, 36),  # consecutive elements share a block bank
    ],
)
def test_unroll_by_4_port_limited_ii(
    partition: hls.Partition | None, ii: int, latency: int
) -> None:
    module = _module(SQUARE)
    inner = _loops(module)[1]
    hls.set_pipeline(inner, hls.Pipeline(1))
    hls.set_unroll(inner, 4)
    if partition is not None:
        for alloc in _allocs(module):
            hls.set_partition(alloc, partition)
    loop = _run(module).loop("L_k_sq_1")
    assert (loop.ii_achieved, loop.latency) == (ii, latency)
    assert loop.ii_limit == ("target" if ii == 1 else "memory:buf")


# -- operator resources ------------------------------------------------------------------
MULADD = """
%a = memref.alloc() : memref<64xf32>
%b = memref.alloc() : memref<64xf32>
%c = memref.alloc() : memref<64xf32>
affine.for %j = 0 to 64 {
  %x = affine.load %a[%j] : memref<64xf32>
  %y = affine.load %b[%j] : memref<64xf32>
  %p = arith.mulf %x, %y : f32
  %q = arith.addf %p, %x : f32
  affine.store %q, %c[%j] : memref<64xf32>
} loc("k:fma")
"""


@pytest.mark.parametrize(
    ("pipeline", "unroll", "dsp"),
    [
        (False, None, 5),  # fmul 3 + fadd 2, shared across iterations
        (False, 4, 20),  # 4 unrolled copies
        (True, 4, 20),
        (True, 0, 320),  # fully unrolled: 64 copies
    ],
)
def test_dsp_counts_unrolled_fmul_fadd(pipeline: bool, unroll: int | None, dsp: int) -> None:
    module = _module(MULADD)
    loop = _loops(module)[0]
    if pipeline:
        hls.set_pipeline(loop, hls.Pipeline(1))
    if unroll is not None:
        hls.set_unroll(loop, unroll)
    report = _run(module)
    assert report.resources["dsp"] == report.loop("L_k_fma_0").dsp == dsp


def test_sequential_loop_lut_includes_control() -> None:
    loop = _run(_module(MULADD)).loop("L_k_fma_0")
    # fmul 78 + fadd 198 LUT (the op table's U280 report rows) + loop control 40
    assert loop.lut == 78 + 198 + 40


# -- memories ------------------------------------------------------------------------------
def _memories(body: str, setup=None) -> dict[str, dict]:
    module = _module(body)
    if setup is not None:
        setup(_allocs(module))
    return {m.name: m.to_dict() for m in _run(module).memories}


def test_bram_for_64x64_f32_and_i64() -> None:
    memories = _memories(
        """
        %m = memref.alloc() : memref<64x64xf32>
        %n = memref.alloc() : memref<64x64xi64>
        """
    )
    # f32: 4096 words x 32 bits = 128 Kb; as 512x36 BRAM18Ks: ceil(4096/512) * ceil(32/36) = 8
    assert memories["buf"]["bram"] == 8
    # i64: 256 Kb; a 64-bit word needs two 36-bit wide BRAMs side by side:
    # ceil(4096/512) * ceil(64/36) = 16 (capacity alone, ceil(262144/18432), would say 15)
    assert memories["buf_1"]["bram"] == 16
    assert memories["buf"]["impl"] == "bram"


def test_uram_when_bound_and_partitioned_banks_round_up() -> None:
    def bind(allocs: list[ir.Operation]) -> None:
        hls.set_bind_storage(allocs[0], hls.BindStorage("uram"))
        hls.set_partition(allocs[1], hls.Partition("cyclic", 16))
        hls.set_bind_storage(allocs[2], hls.BindStorage("lutram"))
        hls.set_partition(allocs[3], hls.Partition("complete", 0))

    memories = _memories(
        """
        %m = memref.alloc() : memref<64x64xf32>
        %n = memref.alloc() : memref<64x64xf32>
        %o = memref.alloc() : memref<64x64xf32>
        %p = memref.alloc() : memref<4x4xf32>
        %q = memref.alloc() : memref<4x8xf32>
        """,
        bind,
    )
    # URAM 4096 x 72: ceil(4096/4096) * ceil(32/72) = 1
    assert (memories["buf"]["uram"], memories["buf"]["bram"]) == (1, 0)
    # 16 banks of 256 words: each a whole BRAM18K
    assert (memories["buf_1"]["bram"], memories["buf_1"]["banks"]) == (16, 16)
    # LUTRAM: 131072 bits / 64 per LUT
    assert memories["buf_2"]["lut"] == 2048
    # complete partition: 16 registers of 32 bits
    assert (memories["buf_3"]["ff"], memories["buf_3"]["impl"]) == (512, "registers")
    # unbound 1 Kb (32 x 32 bits): LUTRAM by default
    assert (memories["buf_4"]["impl"], memories["buf_4"]["lut"]) == ("lutram", 16)


# -- m_axi traffic -------------------------------------------------------------------------
STREAM_SQUARE = """
affine.for %i = 0 to 128 {
  %v = affine.load %x[%i * {stride}] : memref<256xf32>
  %w = arith.mulf %v, %v : f32
  affine.store %w, %y[%i] : memref<128xf32>
} loc("k:sq")
"""
MAXI_ARGS = f"%x: memref<256xf32> {INPUT}, %y: memref<128xf32> {OUTPUT}"


def test_offchip_bytes_and_sequential_maxi_latency() -> None:
    report = _run(_module(STREAM_SQUARE.replace("{stride}", "1"), MAXI_ARGS))
    assert report.offchip_bytes == 128 * 4 + 128 * 4  # reads of x + writes of y
    assert report.flops == 128
    # each read pays 64: 128 * (64 + 3 + 1 + 1) + 1
    assert report.latency_cycles == 8833
    # two narrow m_axi bundles (gmem_in, gmem_out; no pipelined burst): 16 BRAM18K each
    assert report.resources["bram"] == 2 * 16


@pytest.mark.parametrize(("stride", "ii", "latency"), [("1", 1, 195), ("2", 4, 576)])
def test_maxi_burst_vs_single_reads(stride: str, ii: int, latency: int) -> None:
    module = _module(STREAM_SQUARE.replace("{stride}", stride), MAXI_ARGS)
    hls.set_pipeline(_loops(module)[0], hls.Pipeline(1))
    loop = _run(module).loop("L_k_sq_0")
    # stride 1 is a burst: II 1; stride 2: <= 16 reads in flight over 64 cycles, II 64/16 = 4;
    # D = 64 + 3 + 1 = 68; latency = 127 * II + 68
    assert (loop.ii_achieved, loop.latency) == (ii, latency)
    assert loop.offchip_bytes == 1024


@pytest.mark.parametrize(
    ("stride", "unroll", "ii", "latency", "limit"),
    [
        # A pipelined burst of U f32 takes ceil(32U / 354.67) cycles of its bundle (the
        # 512-bit port capped by one HBM2 channel), reads (x, gmem_in) and writes (y,
        # gmem_out) alike. D = 64 + 3 + 1 = 68 as above; latency = (128/U - 1) * II + 68.
        ("1", 4, 1, 99, "target"),  # 128 bits: 1 beat; 31 * 1 + 68
        # 512 bits: ceil(1.44) = 2 beats (1 at the port's 512 bits); 7 * 2 + 68
        ("1", 16, 2, 82, "channel:gmem_in"),
        ("1", 32, 3, 77, "channel:gmem_in"),  # 1024 bits: ceil(2.89) = 3 beats; 3 * 3 + 68
        # stride 2 is no burst: 4 single reads, 4 * 64 / 16 = 16 >= 4; the 4 contiguous
        # writes are a burst (1 beat). 31 * 16 + 68.
        ("2", 4, 16, 564, "memory:gmem_in"),
    ],
)
def test_unrolled_maxi_bursts_use_widened_port(
    stride: str, unroll: int, ii: int, latency: int, limit: str
) -> None:
    module = _module(STREAM_SQUARE.replace("{stride}", stride), MAXI_ARGS)
    loop_op = _loops(module)[0]
    hls.set_pipeline(loop_op, hls.Pipeline(1))
    hls.set_unroll(loop_op, unroll)
    loop = _run(module).loop("L_k_sq_0")
    assert (loop.ii_achieved, loop.latency, loop.ii_limit) == (ii, latency, limit)
    assert loop.bound == ("channel" if limit.startswith("channel") else "compute")


COPY = """
affine.for %i = 0 to 256 {
  %v = affine.load %x[%i] : memref<256x{t}>
  affine.store %v, %y[%i] : memref<256x{t}>
} loc("k:copy")
"""


@pytest.mark.parametrize(("element", "ii", "latency"), [("f32", 6, 83), ("i8", 2, 71)])
def test_widened_burst_beats_follow_element_width(element: str, ii: int, latency: int) -> None:
    args = f"%x: memref<256x{element}> {INPUT}, %y: memref<256x{element}> {OUTPUT}"
    module = _module(COPY.replace("{t}", element), args)
    loop_op = _loops(module)[0]
    hls.set_pipeline(loop_op, hls.Pipeline(1))
    hls.set_unroll(loop_op, 64)
    loop = _run(module).loop("L_k_copy_0")
    # 64 elements per iteration: f32 2048 bits = ceil(5.77) = 6 beats of 354.67 bits,
    # i8 512 bits = ceil(1.44) = 2 beats.
    # D = m_axi read 64 + store 1 = 65; latency = (256/64 - 1) * II + 65.
    assert (loop.ii_achieved, loop.latency) == (ii, latency)


WEIGHT_SUM = """
affine.for %i = 0 to 1024 {
  %a = affine.load %w0[%i] : memref<1024xf32>
  %b = affine.load %w1[%i] : memref<1024xf32>
  %s = arith.addf %a, %b : f32
  affine.store %s, %y[%i] : memref<1024xf32>
} loc("k:add")
"""
WEIGHT_ARGS = (
    '%w0: memref<1024xf32> {llmhls.arg = "w0", llmhls.role = "weight"}, '
    '%w1: memref<1024xf32> {llmhls.arg = "w1", llmhls.role = "weight"}, '
    f"%y: memref<1024xf32> {OUTPUT}"
)


@pytest.mark.parametrize(
    ("banks", "ii", "latency", "bram"), [(None, 6, 257, 2 * 30), (2, 3, 164, 3 * 30)]
)
def test_weight_bundles_stream_in_parallel(
    banks: int | None, ii: int, latency: int, bram: int
) -> None:
    module = _module(WEIGHT_SUM, WEIGHT_ARGS)
    if banks is not None:
        run_pipeline(module, f"builtin.module(hls-weight-banks{{banks={banks}}})")
    loop_op = _loops(module)[0]
    hls.set_pipeline(loop_op, hls.Pipeline(1))
    hls.set_unroll(loop_op, 32)
    report = _run(module)
    loop = report.loop("L_k_add_0")
    # Two bursts of 32 f32 (1024 bits: ceil(2.89) = 3 beats each): on one gmem_w bundle 6
    # cycles, on gmem_w0 and gmem_w1 3 each (y: 3 beats on gmem_out). By hand, fadd 6 (op
    # table, 300 MHz): D = 64 + 6 + 1 = 71; latency = (1024/32 - 1) * II + 71. Each bundle
    # moves widened bursts: 30 BRAM18K (gmem_w + gmem_out, or 3 bundles).
    assert (loop.ii_achieved, loop.latency) == (ii, latency)
    assert loop.ii_limit == ("channel:gmem_w" if banks is None else "channel:gmem_out")
    assert report.resources["bram"] == bram


# -- dataflow --------------------------------------------------------------------------------
DATAFLOW_TASKS = """
func.func private @t0(%a: memref<64xf32>, %b: memref<64xf32>) {
  affine.for %i = 0 to 64 {
    %v = affine.load %a[%i] : memref<64xf32>
    %w = arith.mulf %v, %v : f32
    affine.store %w, %b[%i] : memref<64xf32>
  } loc("t0:mul")
  return
}
func.func private @t1(%b: memref<64xf32>, %c: memref<64xf32>) {
  affine.for %i = 0 to 64 {
    %v = affine.load %b[%i] : memref<64xf32>
    %w = arith.addf %v, %v : f32
    affine.store %w, %c[%i] : memref<64xf32>
  } loc("t1:add")
  return
}
"""
DATAFLOW_TOP = """
%buf = memref.alloc() : memref<64xf32>
func.call @t0(%x, %buf) : (memref<64xf32>, memref<64xf32>) -> ()
func.call @t1(%buf, %y) : (memref<64xf32>, memref<64xf32>) -> ()
"""


def dataflow_module() -> ir.Module:
    module = _module(
        DATAFLOW_TOP,
        f"%x: memref<64xf32> {INPUT}, %y: memref<64xf32> {OUTPUT}",
        DATAFLOW_TASKS,
    )
    for func in module.body.operations:
        name = ir.StringAttr(func.operation.attributes["sym_name"]).value
        if name == "k":
            hls.set_dataflow(func.operation)
        else:
            hls.set_task(func.operation)
    return module


def test_dataflow_interval_is_slowest_task() -> None:
    report = _run(dataflow_module())
    # t0: m_axi read 64 + fmul 3 + store 1 = 68: 64 * 69 + 1 = 4417
    # t1, by hand with fadd 6: BRAM read 2 + fadd 6 + store 1 = 9: 64 * 10 + 1 = 641
    assert [(t.name, t.kind, t.latency) for t in report.tasks] == [
        ("t0", "task", 4417),
        ("t1", "task", 641),
    ]
    assert report.dataflow
    assert report.latency_cycles == 4417 + 641
    assert report.interval_cycles == 4417
    assert report.task_edges == [("t0", "t1", "buf")]
    assert [loop.name for loop in report.loops] == ["L_t0_mul_0", "L_t1_add_0"]
    # the channel is a ping-pong buffer: 2 x 1 BRAM18K, plus 2 narrow bundles x 16
    (channel,) = report.memories
    assert (channel.copies, channel.bram) == (2, 2)
    assert report.resources["bram"] == 2 + 2 * 16
    assert report.offchip_bytes == 64 * 4 * 2


def test_without_dataflow_calls_run_in_sequence() -> None:
    module = _module(
        DATAFLOW_TOP,
        f"%x: memref<64xf32> {INPUT}, %y: memref<64xf32> {OUTPUT}",
        DATAFLOW_TASKS,
    )
    report = _run(module)
    assert not report.dataflow
    assert report.latency_cycles == report.interval_cycles == 4417 + 641  # t0 then t1
    assert [t.name for t in report.tasks] == ["k"]


# -- roofline ---------------------------------------------------------------------------------
def test_roofline_memory_bound() -> None:
    report = _run(_module(STREAM_SQUARE.replace("{stride}", "1"), MAXI_ARGS))
    roof = report.roofline
    peak = 9024 / 5 * 2 * 300 / 1000  # u280 DSPs / 5 per FMA x 2 flop x 0.3 GHz
    assert roof.peak_gflops == pytest.approx(peak)
    assert roof.operational_intensity == pytest.approx(128 / 1024)
    # bandwidth: HBM2 sustained in all (targets.json, Shuhai), 425 GB/s
    assert roof.attainable_gflops == pytest.approx(128 / 1024 * 425.0)
    assert roof.bound == "memory"
    assert roof.achieved_gflops == pytest.approx(128 / (8833 / 300.0) / 1000)


def test_roofline_compute_bound() -> None:
    module = _module(
        """
        %buf = memref.alloc() : memref<64xf32>
        %out = memref.alloc() : memref<64xf32>
        affine.for %i = 0 to 64 {
          %v = affine.load %x[%i] : memref<256xf32>
          affine.store %v, %buf[%i] : memref<64xf32>
        } loc("k:copy")
        affine.for %i = 0 to 64 {
          affine.for %j = 0 to 64 {
            %v = affine.load %buf[%j] : memref<64xf32>
            %p = arith.mulf %v, %v : f32
            %q = arith.addf %p, %v : f32
            affine.store %q, %out[%j] : memref<64xf32>
          } loc("k:work")
        } loc("k:work")
        """,
        MAXI_ARGS,
    )
    report = _run(module)
    assert report.flops == 64 * 64 * 2
    assert report.offchip_bytes == 64 * 4
    assert report.roofline.operational_intensity == pytest.approx(32.0)
    assert report.roofline.bound == "compute"
    assert report.roofline.attainable_gflops == pytest.approx(report.roofline.peak_gflops)


# -- trip counts, names, API ---------------------------------------------------------------------
TRIANGLE = """
%a = memref.alloc() : memref<64x64xf32>
%b = memref.alloc() : memref<64x64xf32>
affine.for %i = 0 to 8 {
  affine.for %j = 0 to affine_map<(d0) -> (d0 + 1)>(%i) {
    %v = affine.load %a[%i, %j] : memref<64x64xf32>
    affine.store %v, %b[%i, %j] : memref<64x64xf32>
  } loc("k:tri")
} loc("k:tri")
"""


def test_counter_dependent_bound_is_worst_case_unless_tripcount_given() -> None:
    module = _module(TRIANGLE)
    report = _run(module)
    assert report.loop("L_k_tri_1").trip_count == 8
    assert not report.warnings
    hls.set_tripcount(_loops(module)[1], hls.TripCount(1, 4, 2))
    assert _run(module).loop("L_k_tri_1").trip_count == 4


def test_analysis_is_reusable_across_directive_changes() -> None:
    module = _module(NEST)
    analysis = analyze(module)
    assert estimate(module, U280, 300.0, analysis=analysis).latency_cycles == 233
    hls.set_pipeline(_loops(module)[1], hls.Pipeline(1))
    assert estimate(module, U280, 300.0, analysis=analysis).latency_cycles == 57
    with pytest.raises(LlmhlsError, match="another module"):
        estimate(_module(NEST), U280, 300.0, analysis=analysis)


def test_bad_top_and_clock_are_option_errors() -> None:
    module = _module(NEST)
    with pytest.raises(OptionError, match="unknown top function 'nope'"):
        estimate(module, U280, 300.0, top="nope")
    with pytest.raises(OptionError, match="clock"):
        estimate(module, U280, 0.0)


def test_report_dict_keys_and_fit() -> None:
    data = _run(_module(NEST)).to_dict()
    for key in (
        "target",
        "clock_mhz",
        "latency_cycles",
        "interval_cycles",
        "latency_us",
        "resources",
        "utilization",
        "fits",
        "offchip_bytes",
        "flops",
        "roofline",
        "loops",
        "tasks",
        "task_graph",
        "assumptions",
    ):
        assert key in data
    assert set(data["resources"]) == {"dsp", "bram", "uram", "lut", "ff"}
    assert data["fits"] is True
    assert data["latency_us"] == pytest.approx(233 / 300.0)
    assert data["utilization"]["dsp"] == pytest.approx(round(100 * 3 / 9024, 2))
    assert data["task_graph"] == {"nodes": [{"name": "k", "latency": 233}], "edges": []}
    assert any("pipelined loop: latency" in a for a in data["assumptions"])


def test_does_not_fit_a_small_part() -> None:
    module = _module(MULADD.replace("64", "1024"))
    hls.set_pipeline(_loops(module)[0], hls.Pipeline(1))
    hls.set_unroll(_loops(module)[0], 0)
    report = estimate(module, get_target("zcu104"), 200.0)
    assert report.resources["dsp"] == 1024 * 5
    assert report.resources["dsp"] > report.available["dsp"]
    assert not report.fits
    assert report.utilization["dsp"] > 100.0


def test_real_ir_loop_names_match_emitter_and_flops() -> None:
    from zoo import ZOO

    from llmhls.compiler.emit.hlscpp import emit_hlscpp
    from llmhls.compiler.frontend import export_module
    from llmhls.compiler.importer import import_program
    from llmhls.compiler.legalize import HLS_LEGALIZE_PIPELINE
    from llmhls.compiler.lowering import lower_to_affine
    from llmhls.passes.pipeline import run_pipeline

    model, inputs = ZOO["mlp"]()
    loaded = export_module(model.eval(), inputs, "mlp")
    module = import_program(loaded.program, func_name="mlp").module
    lower_to_affine(module)
    run_pipeline(module, HLS_LEGALIZE_PIPELINE)
    report = _run(module)
    source = emit_hlscpp(module, top="mlp").source
    names = []
    stack = list(report.loops)
    while stack:
        loop = stack.pop()
        names.append(loop.name)
        stack.extend(loop.loops)
    assert names and all(f"{name}: for" in source for name in names)
    # fc1 4x24x37 and fc2 4x5x24 multiply-adds (2 flops) plus the two bias adds
    assert report.flops == 2 * 4 * 24 * 37 + 4 * 24 + 2 * 4 * 5 * 24 + 4 * 5
    assert report.latency_cycles > 0 and report.fits
