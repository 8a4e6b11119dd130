"""The memory model against hand-computed cases and against what each part's memory can carry.

Formulas: passes/analysis/initiation_interval.py (ports, bundles, channels) and
passes/qor/loops.py (the total-bandwidth bound). Memory figures: llmhls/data/targets.json.
"""

from __future__ import annotations

import math

import pytest
from torch_mlir import ir

from llmhls.compiler.context import parse_module
from llmhls.passes import directives as hls
from llmhls.passes.analysis.ir_utils import function_arg_attrs, maxi_bundle, top_function
from llmhls.passes.analysis.loops import loop_forest
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.qor.estimator import estimate
from llmhls.targets import get_target, target_names

IN = '{llmhls.arg = "x", llmhls.role = "input"}'
OUT = '{llmhls.arg = "y", llmhls.role = "output"}'
N = 1 << 16  # elements streamed

COPY = f"""
affine.for %i = 0 to {N} {{
  %v = affine.load %x[%i] : memref<{N}xf32>
  affine.store %v, %y[%i] : memref<{N}xf32>
}} loc("k:copy")
"""
COPY_ARGS = f"%x: memref<{N}xf32> {IN}, %y: memref<{N}xf32> {OUT}"

# Eight weights summed into one output: with hls-weight-banks{banks=8} nine bundles.
WEIGHTS = 8
SUM = (
    f"affine.for %i = 0 to {N} {{\n"
    + "".join(f"  %w{k} = affine.load %a{k}[%i] : memref<{N}xf32>\n" for k in range(WEIGHTS))
    + "".join(f"  %s{k} = arith.addf %s{k - 1}, %w{k} : f32\n" for k in range(1, WEIGHTS)).replace(
        "%s0", "%w0"
    )
    + f'  affine.store %s{WEIGHTS - 1}, %y[%i] : memref<{N}xf32>\n}} loc("k:sum")\n'
)
SUM_ARGS = ", ".join(
    [
        f'%a{k}: memref<{N}xf32> {{llmhls.arg = "a{k}", llmhls.role = "weight"}}'
        for k in range(WEIGHTS)
    ]
    + [f"%y: memref<{N}xf32> {OUT}"]
)


def _module(body: str, args: str) -> ir.Module:
    return parse_module(f"module {{\nfunc.func @k({args}) {{\n{body}\nreturn\n}}\n}}", "test")


def _pipelined(module: ir.Module, unroll: int) -> ir.Module:
    with module.context:
        loop = loop_forest(top_function(module))[0].op
        hls.set_pipeline(loop, hls.Pipeline(1))
        if unroll > 1:
            hls.set_unroll(loop, unroll)
    return module


def _bundles(module: ir.Module) -> int:
    """m_axi bundles the kernel's arguments use, as the emitter assigns them."""
    with module.context:
        return len({maxi_bundle(attrs) for attrs in function_arg_attrs(top_function(module))})


def _kernels() -> list[tuple[str, ir.Module]]:
    kernels = []
    for unroll in (1, 16, 64):
        kernels.append((f"copy-u{unroll}", _pipelined(_module(COPY, COPY_ARGS), unroll)))
    banked = _module(SUM, SUM_ARGS)
    run_pipeline(banked, f"builtin.module(hls-weight-banks{{banks={WEIGHTS}}})")
    kernels.append(("sum-8-banks-u32", _pipelined(banked, 32)))
    return kernels


@pytest.mark.parametrize("part", target_names())
def test_estimate_never_exceeds_what_the_used_channels_carry(part: str) -> None:
    target = get_target(part)
    memory = target.main_memory
    for name, module in _kernels():
        report = estimate(module, target, target.clock_mhz)
        seconds = report.latency_cycles / (target.clock_mhz * 1e6)
        gbps = report.offchip_bytes / seconds / 1e9
        bundles = _bundles(module)
        assert report.offchip_bytes >= N * 4 * 2, name
        assert gbps <= bundles * memory.sustained_gbps_per_channel * (1 + 1e-9), (name, gbps)
        assert gbps <= memory.sustained_total_gbps * (1 + 1e-9), (name, gbps)


def test_the_parts_are_the_seven_of_the_table() -> None:
    assert set(target_names()) == {"u280", "u55c", "u250", "u50", "vck5000", "zcu102", "zcu104"}


@pytest.mark.parametrize(
    ("part", "ii", "limit"),
    [
        # 16 f32 = 512 bits a cycle each way. u280 HBM2 channel: 13.3 GB/s / 300 MHz x 8 =
        # 354.67 bits: ceil(512 / 354.67) = 2. u250 DDR4 channel: 19.25 GB/s = 513.3 bits,
        # wider than the 512-bit port: 1 beat.
        ("u280", 2, "channel:gmem_in"),
        ("u250", 1, "target"),
    ],
)
def test_a_bundle_is_capped_by_its_channel_or_its_port(part: str, ii: int, limit: str) -> None:
    module = _pipelined(_module(COPY, COPY_ARGS), 16)
    loop = estimate(module, get_target(part), 300.0).loop("L_k_copy_0")
    assert (loop.ii_achieved, loop.ii_limit) == (ii, limit)


def test_reads_and_writes_of_one_bundle_share_its_channel() -> None:
    # x and y on one bundle: 512 bits read + 512 bits written per iteration go through one
    # HBM2 channel of 354.67 bits a cycle: ceil(1024 / 354.67) = 3 (each port side: 1 beat).
    args = COPY_ARGS.replace('role = "output"}', 'role = "output", llmhls.bundle = "gmem_in"}')
    module = _pipelined(_module(COPY, args), 16)
    loop = estimate(module, get_target("u280"), 300.0).loop("L_k_copy_0")
    assert (loop.ii_achieved, loop.ii_limit) == (3, "channel:gmem_in")


RMW = """
affine.for %i = 0 to 128 {
  %a = affine.load %x[%i] : memref<128xf32>
  %b = affine.load %y[%i] : memref<128xf32>
  %s = arith.addf %a, %b : f32
  affine.store %s, %y[%i] : memref<128xf32>
} loc("k:acc")
"""
RMW_ARGS = f"%x: memref<128xf32> {IN}, %y: memref<128xf32> {OUT}"


@pytest.mark.parametrize(
    ("unroll", "ii", "latency"),
    [
        (1, 8, 1087),  # 127 x 8 + 71
        (4, 32, 1063),  # 31 x 32 + 71
    ],
)
def test_read_modify_write_of_an_maxi_array_is_single_beats(
    unroll: int, ii: int, latency: int
) -> None:
    # y is read and written by the loop: no burst; its U reads and U writes each pay the
    # 64-cycle m_axi latency with 16 in flight: ceil(2U x 64 / 16) = 8U. x alone would burst
    # (1 beat). By hand, D = m_axi read 64 + fadd 6 (op table, 300 MHz) + store 1 = 71;
    # latency = (128/U - 1) x II + D.
    module = _pipelined(_module(RMW, RMW_ARGS), unroll)
    loop = estimate(module, get_target("u280"), 300.0).loop("L_k_acc_0")
    assert (loop.ii_achieved, loop.ii_limit) == (ii, "memory:gmem_out")
    assert loop.latency == latency


def test_all_channels_together_cap_a_loop_and_the_function() -> None:
    # zcu102 at 200 MHz: one DDR4 channel of 19.2 GB/s = 96 B (768 bits) a cycle, 19.2 GB/s
    # in all. Copying 16 f32 a cycle: each bundle's port moves 512 bits (1 beat) and its
    # channel could carry that, but reads + writes are 128 B a cycle over the part's 96.
    # Pipeline: (4096/16 - 1) x 1 + D, D = m_axi read ceil(64 x 200/300) = 43 + store 1:
    # 299 cycles; the traffic, 4096 x 4 x 2 = 32768 B, needs ceil(32768 / 96) = 342.
    copy = COPY.replace(str(N), "4096")
    module = _pipelined(_module(copy, COPY_ARGS.replace(str(N), "4096")), 16)
    report = estimate(module, get_target("zcu102"), 200.0)
    loop = report.loop("L_k_copy_0")
    assert (loop.ii_achieved, loop.latency, loop.bound) == (1, 342, "total")
    assert (report.latency_cycles, report.bound) == (342, "total")
    assert math.ceil(32768 / (19.2e3 / 200)) == 342


@pytest.mark.parametrize(("unroll", "pipelined", "bram"), [(16, True, 2 * 30), (1, False, 2 * 16)])
def test_maxi_adapter_bram_follows_its_width(unroll: int, pipelined: bool, bram: int) -> None:
    # A bundle that moves widened (> 64-bit) bursts gets the 512-bit adapter, 30 BRAM18K;
    # one that moves single elements the narrow one, 16 (costs.py, DESIGN.md).
    module = _module(COPY.replace(str(N), "4096"), COPY_ARGS.replace(str(N), "4096"))
    if pipelined:
        module = _pipelined(module, unroll)
    assert estimate(module, get_target("u280"), 300.0).resources["bram"] == bram
