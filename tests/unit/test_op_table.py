"""The op table is the one place for an op's C++ form, latency, resources and source.

Checks that the emitter, the cost model, the verifier and `llmhls costs` all read it, that
every row names its source, and that an op without a row is rejected rather than costed 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from torch_mlir import ir

from llmhls.cli import main
from llmhls.compiler.context import parse_module
from llmhls.compiler.emit.hlscpp import FunctionEmitter
from llmhls.errors import OptionError, UnsupportedError
from llmhls.passes.analysis import costs, op_table
from llmhls.passes.analysis.ir_utils import top_function, walk_ops
from llmhls.passes.legalize.verify_synthesizable import VerifySynthesizable

HLS_MATH = Path(__file__).resolve().parents[2] / "hls_templates" / "include" / "hls_math.h"


def _costs_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["costs", "--target", "u280", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _row(data: dict, op: str, dtype: str) -> dict:
    return next(r for r in data["ops"] if r["op"] == op and r["dtype"] == dtype)


def test_costs_json_lists_fp32_add_by_clock_band(capsys: pytest.CaptureFixture[str]) -> None:
    at_300 = _costs_json(capsys)
    assert (at_300["target"], at_300["clock_mhz"]) == ("u280", 300.0)
    add = _row(at_300, "arith.addf", "f32")
    # The default (first) fadd row: at 300 MHz the full-DSP core of the U280 report, 6 cycles.
    assert add["impl"] == "default" and add["latency"] >= 6 and add["dsp"] == 2
    assert _row(_costs_json(capsys, "--clock-mhz", "200"), "arith.addf", "f32")["latency"] == 4
    # A clock between two bands takes the faster band (more cycles): 250 MHz -> 6.
    assert _row(_costs_json(capsys, "--clock-mhz", "250"), "arith.addf", "f32")["latency"] == 6
    for key in ("op", "dtype", "impl", "latency", "dsp", "lut", "ff", "source"):
        assert all(key in row for row in at_300["ops"]), key
    assert {fact["name"] for fact in at_300["memory"]} >= {"BRAM_READ_LATENCY", "MAXI_READ_LATENCY"}
    assert all(fact["source"] for fact in at_300["memory"])


def test_costs_rejects_unknown_target_and_too_fast_clock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["costs", "--target", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown target 'nope'" in err[0]
    assert main(["costs", "--target", "u280", "--clock-mhz", "450"]) == 2
    assert "up to 300 MHz only, not 450 MHz" in capsys.readouterr().err


def test_costs_prints_a_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["costs", "--target", "u55c", "--clock-mhz", "100"]) == 0
    out = capsys.readouterr().out
    line = next(t for t in out.splitlines() if t.startswith("arith.mulf"))
    assert line.split()[1:6] == ["f32", "maxdsp", "1", "3", "78"]


def test_every_row_names_its_source_and_ascending_bands() -> None:
    for row in op_table.OP_TABLE:
        assert row.source.strip(), row
        clocks = [mhz for mhz, _ in row.latency]
        assert clocks == sorted(clocks) and len(set(clocks)) == len(clocks), row
        cycles = [c for _, c in row.latency]
        assert cycles == sorted(cycles), row  # a faster clock never needs fewer cycles


def _hls_math_functions() -> set[str]:
    text = HLS_MATH.read_text()
    macro = re.findall(r"^LLMHLS_MATH_(?:UNARY|BINARY)\((\w+),", text, re.MULTILINE)
    inline = re.findall(r"^inline [\w:<>, ]+? (\w+)\(", text, re.MULTILINE)
    return set(macro) | set(inline)


def test_every_call_row_exists_in_hls_math() -> None:
    known = _hls_math_functions()
    assert {"exp", "fmax", "fabs", "fma"} <= known  # the parse above finds both styles
    calls = [row for row in op_table.OP_TABLE if row.form == op_table.CALL]
    assert calls
    for row in calls:
        namespace, _, name = row.cpp.partition("::")
        assert namespace in ("hls", "std"), row
        if namespace == "hls":
            assert name in known, f"{row.op}: {row.cpp} is not in hls_math.h"


def _method_ops() -> set[str]:
    """Op names the emitter prints with an `_op_<dialect>_<name>` method."""
    return {
        name.removeprefix("_op_").replace("_", ".", 1)
        for name in dir(FunctionEmitter)
        if name.startswith("_op_")
    }


def test_every_emitter_method_has_a_row_and_every_method_row_a_method() -> None:
    method_rows = {row.op for row in op_table.OP_TABLE if row.form == op_table.METHOD}
    assert _method_ops() == method_rows
    # Binary, call and cast rows carry their whole C++ form; `none` rows print nothing.
    for row in op_table.OP_TABLE:
        assert bool(row.cpp) == (row.form in (op_table.BINARY, op_table.CALL)), row


KERNEL = """
module {
  func.func @k(%a: memref<4xf32>, %n: memref<4xi8>, %m: memref<4xi32>) {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      %s = arith.addf %v, %v : f32
      %x = affine.load %n[%i] : memref<4xi8>
      %p = arith.muli %x, %x : i8
      %y = affine.load %m[%i] : memref<4xi32>
      %q = arith.muli %y, %y : i32
      %r = math.OP %v : f32 loc("blk:pow")
      affine.store %r, %a[%i] : memref<4xf32>
    }
    return
  }
}
"""


def _ops(op: str = "sqrt") -> tuple[ir.Module, dict[str, list[ir.Operation]]]:
    module = parse_module(KERNEL.replace("OP", op), "test")
    found: dict[str, list[ir.Operation]] = {}
    for inner in walk_ops(top_function(module)):
        found.setdefault(inner.name, []).append(inner)
    return module, found


def test_costs_read_the_dtype_from_the_op() -> None:
    module, ops = _ops()
    with module.context:
        int8, int32 = ops["arith.muli"]
        assert op_table.op_dtype(int8) == "i8" and op_table.op_dtype(int32) == "i32"
        assert costs.op_cost_for(int8).dsp == 1  # one DSP48E2 per int8 multiply
        assert costs.op_cost_for(int32).dsp == costs.op_cost("arith.muli").dsp == 3
        (add,) = ops["arith.addf"]
        assert costs.op_latency_for(add, 300.0) == costs.op_latency("arith.addf") == 6
        assert costs.op_latency_for(add, 100.0) == 1


def test_an_op_without_a_row_is_rejected_never_costed_zero() -> None:
    module, ops = _ops("cbrt")
    with module.context:
        with pytest.raises(UnsupportedError, match=r"'math\.cbrt' on f32 \(from aten\.pow"):
            VerifySynthesizable().run(module)
        with pytest.raises(UnsupportedError, match=r"math\.cbrt"):
            costs.op_cost_for(ops["math.cbrt"][0])
    with pytest.raises(UnsupportedError, match=r"math\.cbrt"):
        costs.op_cost("math.cbrt")
    module, _ = _ops("sqrt")
    with module.context:
        VerifySynthesizable().run(module)  # every op of the same kernel with sqrt has a row


def test_clock_above_the_last_band_is_an_error() -> None:
    with pytest.raises(OptionError, match="up to 300 MHz only"):
        costs.op_latency("arith.mulf", 301.0)
    assert costs.op_latency("arith.addi", 1000.0) == 0  # combinational rows hold at any clock
