"""hls-stream-channels end to end: FIFOs in the -O2 kernel, C-simulation still exact.

The lit tests under tests/lit/dataflow/stream-channels*.mlir check the rules
one by one; here a PyTorch elementwise chain goes through the whole flow, so
the emitted `hls::stream` code must compile with our hls_stream.h and give
PyTorch's results, and the QoR report must see the FIFO.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from llmhls.compiler.context import parse_module
from llmhls.compiler.csim import run_csim
from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.emit.hlscpp import emit_hlscpp
from llmhls.compiler.frontend import export_module
from llmhls.compiler.optimize import OptimizeOptions, optimization_pipeline
from llmhls.errors import OptionError
from llmhls.passes.legalize.verify_synthesizable import VerifySynthesizable
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.qor.estimator import estimate
from llmhls.targets import get_target


class ElementwiseChain(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(torch.relu(x) * 2.0 + 1.0)


def test_elementwise_chain_streams_and_csimulates(tmp_path: Path) -> None:
    x = torch.randn(4, 24, generator=torch.Generator().manual_seed(0))
    loaded = export_module(ElementwiseChain().eval(), (x,), "chain")
    options = CompileOptions(target="u280", optimize=OptimizeOptions(level=2))
    result = compile_model(loaded, tmp_path / "chain", options)
    kernel = (tmp_path / "chain" / "kernel" / "chain.cpp").read_text()

    assert '#include "hls_stream.h"' in kernel
    # The input copy feeds the computation through a FIFO declared in the dataflow top.
    assert 'hls::stream<float> x_buffer("x_buffer");' in kernel
    depth = re.search(r"#pragma HLS stream variable=x_buffer depth=(\d+)", kernel)
    assert depth is not None and 2 <= int(depth.group(1)) <= 96
    assert "hls::stream<float>& x_buffer" in kernel
    assert "x_buffer.write(" in kernel and "x_buffer.read()" in kernel
    assert "static float x_buffer[" not in kernel
    fifos = [m for m in result.report["memories"] if m["impl"] == "fifo"]
    assert [m["name"] for m in fifos] == ["x_buffer"]

    csim = run_csim(tmp_path / "chain")
    assert csim.passed, csim.to_json()
    assert csim.max_rel_err <= 1e-4


# Two tasks in a dataflow top: the copy writes %t in order, the scale reads it in order.
_PAIR = """
func.func private @k_task0_copy(%x: memref<6x5xf32>, %t: memref<6x5xf32> {llmhls.arg = "t"})
    attributes {hlsdf.task} {
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 5 {
      %v = affine.load %x[%i, %j] : memref<6x5xf32>
      affine.store %v, %t[%i, %j] : memref<6x5xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
  }
  return
}
func.func private @k_task1_scale(%t: memref<6x5xf32> {llmhls.arg = "t"}, %y: memref<6x5xf32>)
    attributes {hlsdf.task} {
  %two = arith.constant 2.0 : f32
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 5 {
      %v = affine.load %t[%i, %j] : memref<6x5xf32>
      %m = arith.mulf %v, %two : f32
      affine.store %m, %y[%i, %j] : memref<6x5xf32>
    } {hlsdf.pipeline = {ii = 1 : i64}}
  }
  return
}
func.func @k(%x: memref<6x5xf32> {llmhls.arg = "x", llmhls.role = "input"},
             %y: memref<6x5xf32> {llmhls.arg = "y", llmhls.role = "output"})
    attributes {hlsdf.dataflow} {
  %t = memref.alloc() : memref<6x5xf32> loc("scale_in")
  call @k_task0_copy(%x, %t) : (memref<6x5xf32>, memref<6x5xf32>) -> ()
  call @k_task1_scale(%t, %y) : (memref<6x5xf32>, memref<6x5xf32>) -> ()
  return
}
"""


def test_stream_ir_verifies_and_later_stages_accept_it() -> None:
    """The rewritten module verifies, stays synthesizable, and the QoR model sees a FIFO."""
    module = parse_module(_PAIR, "pair")
    before = estimate(module, get_target("u280"), 300.0)
    run_pipeline(module, "builtin.module(hls-stream-channels{min-depth=4})")
    module.operation.verify()
    VerifySynthesizable().run(module)
    text = str(module)
    assert "memref.alloc" not in text
    assert text.count('"hlsdf.stream_write"') == 1 and text.count('"hlsdf.stream_read"') == 1
    # m_axi read (64 cycles) + the write, capped at the 30 elements the FIFO carries.
    assert '"hlsdf.stream_create"() : () -> !hlsdf.stream<f32, 30 : i64>' in text

    after = estimate(module, get_target("u280"), 300.0)
    fifo = [m for m in after.memories if m.name == "scale_in"]
    assert len(fifo) == 1 and fifo[0].impl == "fifo" and fifo[0].elements == 30
    assert fifo[0].bram == 0 and fifo[0].copies == 1
    pipo = [m for m in before.memories if m.name == "scale_in"]
    assert len(pipo) == 1 and pipo[0].impl != "fifo" and pipo[0].copies == 2
    assert [t.writes for t in after.tasks] == [["scale_in"], ["y"]]

    source = emit_hlscpp(module).source
    assert "#pragma HLS stream variable=scale_in depth=30" in source
    assert "k_task1_scale(scale_in, y);" in source


def test_only_o2_runs_the_pass_and_options_are_checked() -> None:
    assert "hls-stream-channels{min-depth=2" in optimization_pipeline(OptimizeOptions(level=2))
    assert "hls-stream-channels" not in optimization_pipeline(OptimizeOptions(level=1))
    module = parse_module(_PAIR, "pair")
    with pytest.raises(OptionError, match="max-copies must be >= 0"):
        run_pipeline(module, "builtin.module(hls-stream-channels{max-copies=-1})")
