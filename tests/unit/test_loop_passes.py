"""The loop passes on IR lowered from real PyTorch models.

Permutation and tiling promise bit-identical results, and the directive
passes must not change what the C++ computes: every optimized kernel is
compiled with g++ next to the unoptimized one and both run on the same data;
outputs must match bit for bit (and PyTorch within float tolerance). The II
model is checked on the lowered matmul before and after hls-loop-permute.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_mlir import ir

from llmhls.compiler.context import parse_module
from llmhls.compiler.emit.hlscpp import EmittedKernel, emit_hlscpp
from llmhls.compiler.frontend import LoadedModel, export_module
from llmhls.compiler.importer import (
    ROLE_INPUT,
    ROLE_OUTPUT,
    Interface,
    find_function,
    import_program,
)
from llmhls.compiler.legalize import HLS_LEGALIZE_PIPELINE
from llmhls.compiler.lowering import lower_to_affine
from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import functions
from llmhls.passes.analysis.loops import Loop, accesses, loop_forest
from llmhls.passes.dataflow.weight_layout import weight_layouts
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.registry import all_passes
from llmhls.toolchain import ap_types_include_dir, hls_include_dir

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

ALL_LOOP_PASSES = (
    "builtin.module(hls-loop-permute, hls-loop-tile{tile-size=4}, hls-loop-unroll{factor=2}, "
    "hls-loop-pipeline, hls-array-partition, hls-bind-storage)"
)
# Small tiles: more partial tiles, fully unrolled point loops, pipelines one level up.
SMALL_TILES = (
    "builtin.module(hls-loop-permute, hls-loop-tile{tile-sizes=2x2x2x2x2x2x2}, "
    "hls-loop-unroll{factor=2}, hls-loop-pipeline{level=outer-of-innermost}, "
    "hls-array-partition{max-factor=8}, hls-bind-storage)"
)
_NUMPY = {"float": np.float32, "int64_t": np.int64, "int32_t": np.int32, "bool": np.bool_}


@dataclass
class Lowered:
    """A model lowered to HLS-legal affine IR, kept as text so each test parses a fresh copy."""

    loaded: LoadedModel
    interfaces: list[Interface]
    text: str

    def module(self):
        return parse_module(self.text, f"<{self.loaded.name}>")


def _lower(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], name: str) -> Lowered:
    torch.manual_seed(0)
    loaded = export_module(model.eval(), inputs, name)
    imported = import_program(loaded.program, func_name=loaded.name)
    lower_to_affine(imported.module)
    run_pipeline(imported.module, HLS_LEGALIZE_PIPELINE)
    text = imported.module.operation.get_asm(enable_debug_info=True)
    return Lowered(loaded, imported.interfaces, text)


class LinearRelu(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(16, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(x))


class TinyCnn(torch.nn.Module):
    """conv (three reduction loops) → relu → linear → softmax (max/sum reductions)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3)
        self.fc = torch.nn.Linear(48, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.fc(torch.relu(self.conv(x)).flatten(1)), -1)


@pytest.fixture(scope="module")
def linear() -> Lowered:
    torch.manual_seed(0)
    return _lower(LinearRelu(), (torch.randn(4, 16),), "linear_relu")


@pytest.fixture(scope="module")
def cnn() -> Lowered:
    torch.manual_seed(0)
    return _lower(TinyCnn(), (torch.randn(1, 2, 6, 6),), "tiny_cnn")


# -- running an emitted kernel with g++ --------------------------------------------
def _main_source(kernel: EmittedKernel) -> str:
    """A main() that reads every non-output argument from DIR/<arg>.bin and writes outputs."""
    lines = [
        "#include <cstdint>",
        "#include <cstdio>",
        "#include <string>",
        "#include <vector>",
        f'#include "{kernel.top}.h"',
        "",
        "template <typename T>",
        "static std::vector<T> load(const std::string& path, size_t n) {",
        "  std::vector<T> data(n);",
        '  FILE* f = std::fopen(path.c_str(), "rb");',
        "  if (!f || std::fread(data.data(), sizeof(T), n, f) != n) std::exit(2);",
        "  std::fclose(f);",
        "  return data;",
        "}",
        "",
        "template <typename T>",
        "static void save(const std::string& path, const std::vector<T>& data) {",
        '  FILE* f = std::fopen(path.c_str(), "wb");',
        "  std::fwrite(data.data(), sizeof(T), data.size(), f);",
        "  std::fclose(f);",
        "}",
        "",
        "int main(int argc, char** argv) {",
        "  const std::string dir = argv[1];",
    ]
    names = []
    for index, arg in enumerate(kernel.arguments):
        size = int(np.prod([int(d) for d in arg["shape"].split("x") if d]))
        name = f"a{index}"
        names.append(f"{name}.data()")
        if arg["role"] == ROLE_OUTPUT:
            lines.append(f"  std::vector<{arg['ctype']}> {name}({size});")
        else:
            lines.append(
                f"  std::vector<{arg['ctype']}> {name} = "
                f'load<{arg["ctype"]}>(dir + "/{arg["arg"]}.bin", {size});'
            )
    lines.append(f"  {kernel.top}({', '.join(names)});")
    for index, arg in enumerate(kernel.arguments):
        if arg["role"] == ROLE_OUTPUT:
            lines.append(f'  save(dir + "/{arg["arg"]}.out", a{index});')
    lines += ["  return 0;", "}", ""]
    return "\n".join(lines)


def _run_kernel(lowered: Lowered, pipeline: str, work: Path) -> tuple[list[np.ndarray], str]:
    """Apply `pipeline`, emit, compile and run; the outputs in argument order and the C++."""
    module = lowered.module()
    if pipeline:
        run_pipeline(module, pipeline)
    with module.context:
        layouts = weight_layouts(find_function(module, lowered.loaded.name))
    kernel = emit_hlscpp(module, top=lowered.loaded.name)
    work.mkdir()
    (work / f"{kernel.top}.h").write_text(kernel.header)
    (work / f"{kernel.top}.cpp").write_text(kernel.source)
    (work / "main.cpp").write_text(_main_source(kernel))
    inputs = iter(lowered.loaded.example_inputs)
    by_arg = {iface.arg: iface for iface in lowered.interfaces}
    for arg in kernel.arguments:
        iface = by_arg[arg["arg"]]
        if iface.role == ROLE_OUTPUT:
            continue
        value = next(inputs).numpy() if iface.role == ROLE_INPUT else iface.value
        if arg["arg"] in layouts:  # a weight hls-weight-layout permuted is stored permuted
            value = np.transpose(value, layouts[arg["arg"]])
        (work / f"{arg['arg']}.bin").write_bytes(
            np.ascontiguousarray(value, dtype=_NUMPY[arg["ctype"]]).tobytes()
        )
    binary = work / "kernel"
    compile_cmd = [
        "g++",
        "-std=c++14",
        "-O1",
        "-ffp-contract=off",  # no fused multiply-add: the kernels must round like the IR
        f"-I{hls_include_dir()}",
        f"-I{ap_types_include_dir()}",
        f"-I{work}",
        str(work / "main.cpp"),
        str(work / f"{kernel.top}.cpp"),
        "-o",
        str(binary),
    ]
    built = subprocess.run(compile_cmd, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    ran = subprocess.run([str(binary), str(work)], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-2000:]
    outputs = [
        np.fromfile(work / f"{arg['arg']}.out", dtype=_NUMPY[arg["ctype"]])
        for arg in kernel.arguments
        if arg["role"] == ROLE_OUTPUT
    ]
    return outputs, kernel.source


def _assert_bit_identical(optimized: list[np.ndarray], reference: list[np.ndarray]) -> None:
    assert len(optimized) == len(reference)
    for got, want in zip(optimized, reference, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), np.max(np.abs(got - want))


def _assert_matches_torch(outputs: list[np.ndarray], lowered: Lowered) -> None:
    golden = [t.detach().numpy().ravel() for t in lowered.loaded.run()]
    for got, want in zip(outputs, golden, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# -- helpers on IR ----------------------------------------------------------------
def _loops(module) -> list[Loop]:
    return [loop for func in functions(module) for top in loop_forest(func) for loop in top.walk()]


def _qor_ii(loop: Loop) -> int:
    """The II hls-qor-annotate wrote on a pipelined loop."""
    return ir.IntegerAttr(ir.DictAttr(loop.op.attributes["hlsdf.qor"])["ii"]).value


def _matmul_innermost(module) -> Loop:
    """The innermost loop of the one 3-deep nest (the Linear's matmul)."""
    deep = [loop for loop in _loops(module) if loop.depth == 2]
    assert len(deep) == 1, [loop.trip_count for loop in deep]
    return deep[0]


# -- tests ---------------------------------------------------------------------------
def test_permute_makes_matmul_parallel_innermost_and_keeps_bits(
    linear: Lowered, tmp_path: Path
) -> None:
    before = linear.module()
    with before.context:
        assert _matmul_innermost(before).trip_count == 16  # k, the reduction
    after = linear.module()
    run_pipeline(after, "builtin.module(hls-loop-permute)")
    with after.context:
        assert _matmul_innermost(after).trip_count == 8  # j, unit stride on the output

    reference, _ = _run_kernel(linear, "", tmp_path / "reference")
    permuted, _ = _run_kernel(linear, "builtin.module(hls-loop-permute)", tmp_path / "permuted")
    _assert_bit_identical(permuted, reference)
    _assert_matches_torch(permuted, linear)


def test_weight_layout_streams_the_permuted_matmul_and_keeps_bits(
    linear: Lowered, tmp_path: Path
) -> None:
    module = linear.module()
    run_pipeline(module, "builtin.module(hls-loop-permute, hls-weight-layout)")
    with module.context:
        # j (the 8 output features) innermost walked dim 0 of fc.weight [8][16]: now [16][8].
        assert weight_layouts(find_function(module, "linear_relu")) == {"fc_weight": (1, 0)}
        innermost = _matmul_innermost(module)
        weight = [a for a in accesses(innermost.op) if "16x8" in str(a.memref.type)]
        assert len(weight) == 1 and weight[0].stride(innermost.iv) == 1
    reference, _ = _run_kernel(linear, "builtin.module(hls-loop-permute)", tmp_path / "plain")
    laid_out, source = _run_kernel(
        linear, "builtin.module(hls-loop-permute, hls-weight-layout)", tmp_path / "laid_out"
    )
    # Row stride 8 (the output features) on the outer counter, unit stride on the inner one.
    assert re.search(r"fc_weight\[i\d \+ i\d\*8\]", source), source
    _assert_bit_identical(laid_out, reference)
    _assert_matches_torch(laid_out, linear)


@pytest.mark.parametrize(
    ("passes", "ii"),
    [
        # By hand: k innermost: the output is accumulated on chip (hls-buffer-read-back, never
        # on its m_axi port), so each step waits for the BRAM read (2), fadd (6 at 300 MHz,
        # op table) and write (1): 9. At 150 MHz the fadd takes 4 (its <= 200 MHz band): 7.
        ("hls-loop-pipeline, hls-qor-annotate", 9),
        ("hls-loop-pipeline, hls-qor-annotate{clock-mhz=150}", 7),
        ("hls-loop-pipeline{target-ii=80}, hls-qor-annotate", 80),
        # j innermost: one read and one write per cycle on the on-chip output, no recurrence.
        ("hls-loop-permute, hls-loop-pipeline, hls-qor-annotate", 1),
    ],
)
def test_achieved_ii_before_and_after_permute(linear: Lowered, passes: str, ii: int) -> None:
    module = linear.module()
    run_pipeline(module, f"builtin.module({passes})")
    with module.context:
        assert _qor_ii(_matmul_innermost(module)) == ii


@pytest.fixture(scope="module")
def cnn_reference(cnn: Lowered, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    outputs, _ = _run_kernel(cnn, "", tmp_path_factory.mktemp("cnn") / "reference")
    _assert_matches_torch(outputs, cnn)
    return outputs


@pytest.mark.parametrize("pipeline", [ALL_LOOP_PASSES, SMALL_TILES], ids=["default", "small"])
def test_all_loop_passes_keep_cnn_bits(
    cnn: Lowered, cnn_reference: list[np.ndarray], pipeline: str, tmp_path: Path
) -> None:
    optimized, source = _run_kernel(cnn, pipeline, tmp_path / "optimized")
    _assert_bit_identical(optimized, cnn_reference)
    for pragma in (
        "#pragma HLS pipeline II=1",
        "#pragma HLS unroll",
        "#pragma HLS loop_tripcount min=",
        "#pragma HLS array_partition variable=",
        "#pragma HLS bind_storage variable=",
    ):
        assert pragma in source, pragma


def test_all_loop_passes_write_consistent_directives(cnn: Lowered) -> None:
    module = cnn.module()
    run_pipeline(module, ALL_LOOP_PASSES.replace(")", ", hls-qor-annotate)"))
    with module.context:
        loops = _loops(module)
        pipelined = [loop for loop in loops if directives.get_pipeline(loop.op)]
        assert pipelined
        for loop in pipelined:
            pipeline = directives.get_pipeline(loop.op)
            assert _qor_ii(loop) >= pipeline.ii
            inner = list(loop.walk())[1:]
            assert not any(directives.get_pipeline(other.op) for other in inner)
        # The conv's w loop (stride 1 on the output) went innermost: consecutive pipelined
        # iterations write different elements, so the conv does not wait for its adder
        # (II 7); its two unrolled copies read two adjacent input pixels, which the next
        # iteration continues: a burst, one beat of the 512-bit widened m_axi port: II 1
        # (without port widening, two reads on one port: II 2).
        conv = max(pipelined, key=lambda loop: loop.depth)
        assert conv.depth == 6 and conv.trip_count == 4
        assert directives.get_pipeline(conv.op) == directives.Pipeline(1)
        assert _qor_ii(conv) == 1
        assert directives.get_unroll(conv.op) == 2
        for loop in loops:
            factor = directives.get_unroll(loop.op)
            if factor:
                assert loop.trip_count % factor == 0


def test_loop_passes_are_deterministic(cnn: Lowered) -> None:
    texts = []
    for _ in range(2):
        module = cnn.module()
        run_pipeline(module, ALL_LOOP_PASSES)
        texts.append(module.operation.get_asm(enable_debug_info=True))
    assert texts[0] == texts[1]


@pytest.mark.parametrize(
    ("trip_count", "requested", "expected"),
    [(12, 5, 4), (7, 4, None), (3, 4, 0), (16, 0, 0), (16, 16, 0), (1, 4, None), (None, 4, None)],
)
def test_unroll_factor_is_a_divisor_of_the_trip_count(
    trip_count: int | None, requested: int, expected: int | None
) -> None:
    # Registry discovery is skipped once any pass is registered, so importing a pass
    # module directly must wait until every pass has been found.
    all_passes()
    from llmhls.passes.loop.unroll import unroll_factor

    assert unroll_factor(trip_count, requested) == expected


@pytest.mark.parametrize(
    "item",
    [
        "hls-loop-pipeline{target-ii=0}",
        "hls-qor-annotate{clock-mhz=5}",
        "hls-qor-annotate{target=nope}",
        "hls-loop-tile{tile-size=-1}",
        "hls-loop-unroll{depth=-2}",
        "hls-array-partition{complete-threshold=-1}",
        "hls-bind-storage{lutram-threshold-bits=-1}",
    ],
)
def test_bad_options_are_one_line_option_errors(linear: Lowered, item: str) -> None:
    with pytest.raises(OptionError) as error:
        run_pipeline(linear.module(), f"builtin.module({item})")
    assert "\n" not in str(error.value) and item.split("{")[0] in str(error.value)
