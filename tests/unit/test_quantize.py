"""Weight precision of LLM linear layers: quantization error, packing, bytes, and kernels.

Expected weights come from tests/quant_reference.py, a separate implementation of the
documented rounding rule, or from bytes written out by hand; never from the product's
own scale formula or `dequantized_weight`.

Every format's forward must also compile through the MLIR flow and C-simulate
like PyTorch, since the dequantization runs inside the kernel.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from quant_reference import decode_stored, fake_quantize

from llmhls.compiler.csim import run_csim
from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.llm.quantize import (
    FP16_MAX,
    WEIGHT_FORMATS,
    QuantLinear,
    dequantized_weight,
    pack_int4,
    unpack_int4,
)
from llmhls.compiler.optimize import OptimizeOptions
from llmhls.errors import InputError, OptionError

OUT, IN, BATCH = 48, 64, 2

# Stored arrays per format for an OUT x IN layer with bias (group size 32): name → (dtype, shape).
STORED = {
    "fp32": {"weight": (torch.float32, (OUT, IN))},
    "fp16": {"weight_fp16": (torch.int16, (OUT, IN))},
    "int8": {"weight_q": (torch.int8, (OUT, IN)), "weight_scale": (torch.float32, (OUT,))},
    "int4": {
        "weight_packed": (torch.int8, (IN // 2, OUT)),
        "weight_scale": (torch.float32, (IN // 32, OUT)),
        "weight_min": (torch.float32, (IN // 32, OUT)),
    },
}


def layer_weights(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of very different scales, one all-zero row, and a bias."""
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(OUT, IN, generator=gen) * torch.logspace(-3, 1, OUT).unsqueeze(1)
    weight[5] = 0.0
    weight[7, :5] = torch.tensor([6.0e-8, -2.0e-6, 3.0e-5, 0.0, -0.0])  # fp16 subnormals, zeros
    return weight, torch.randn(OUT, generator=gen)


def _stored(layer: QuantLinear) -> dict[str, torch.Tensor]:
    return dict(layer.named_buffers())


@pytest.mark.parametrize(
    ("fmt", "group_size"),
    [("fp32", 32), ("fp16", 32), ("int8", 32), ("int4", 32), ("int4", 16), ("int4", 2)],
)
def test_stored_weights_hold_the_reference_grid(fmt: str, group_size: int) -> None:
    """Read by the documented layout (tests/quant_reference.py, a second implementation of
    the rule), the stored arrays hold exactly the weight rounded to the format's grid; the
    product's own `dequantized_weight` reads the same."""
    for seed in range(3):
        weight, _ = layer_weights(seed)
        layer = QuantLinear.from_weight(weight, None, fmt, group_size)
        expected = fake_quantize(weight, fmt, group_size)
        assert torch.equal(decode_stored(_stored(layer), fmt, group_size), expected), seed
        assert torch.equal(dequantized_weight(layer), expected), seed


def test_int8_error_is_within_half_a_step_per_channel() -> None:
    weight, _ = layer_weights()
    layer = QuantLinear.from_weight(weight, None, "int8")
    assert int(layer.weight_q.abs().max()) == 127
    err = (weight - decode_stored(_stored(layer), "int8")).abs().amax(1)
    step = weight.abs().amax(1) / 127  # per output channel
    assert bool((err <= step / 2 * (1 + 1e-6)).all()), (err / step).max()
    assert float(err[5]) == 0.0 and float(layer.weight_scale[5]) == 0.0  # zero row stays exact


@pytest.mark.parametrize("group_size", [32, 16, 2])
def test_int4_error_is_within_half_a_step_per_group(group_size: int) -> None:
    weight, _ = layer_weights(1)
    layer = QuantLinear.from_weight(weight, None, "int4", group_size)
    groups = IN // group_size
    assert layer.weight_scale.shape == (groups, OUT)
    grouped = weight.reshape(OUT, groups, group_size)
    decoded = decode_stored(_stored(layer), "int4", group_size).reshape(OUT, groups, group_size)
    err = (grouped - decoded).abs().amax(-1)
    step = (grouped.amax(-1) - grouped.amin(-1)) / 15
    # Half a step, plus the fp16 rounding of min and scale (half an fp16 ulp: 2^-11 of each,
    # or 2^-25 below the normal range; scale taken up to 15 times), plus float32 rounding of
    # q * scale + min.
    span = grouped.abs().amax(-1)
    fp16 = 2.0**-11 * (grouped.amin(-1).abs() + 15 * step) + 16 * 2.0**-25
    assert bool((err <= step / 2 * (1 + 1e-6) + fp16 + 1e-6 * span).all())
    # the stored scale and minimum are fp16 values
    for stored in (layer.weight_scale, layer.weight_min):
        assert torch.equal(stored, stored.half().float())


def test_int4_keeps_a_q4_1_grid_exactly() -> None:
    """Weights already on an asymmetric 4-bit grid (a Q4_1 GGUF's) come back exactly."""
    gen = torch.Generator().manual_seed(4)
    q = torch.randint(0, 16, (OUT, IN), generator=gen)
    q[:, 0::32], q[:, 1::32] = 0, 15  # every group uses both ends of its grid
    scale = (torch.rand(OUT, IN // 32, generator=gen) + 0.01).half().float()  # Q4_1: fp16 d, m
    minimum = -torch.rand(OUT, IN // 32, generator=gen).half().float()
    weight = (q.reshape(OUT, -1, 32) * scale[..., None] + minimum[..., None]).reshape(OUT, IN)
    layer = QuantLinear.from_weight(weight, None, "int4")
    assert torch.equal(unpack_int4(layer.weight_packed.t()), q.to(torch.int8))
    decoded = decode_stored(_stored(layer), "int4")
    torch.testing.assert_close(decoded, weight, rtol=0, atol=1e-6)


def test_int4_packing_order() -> None:
    """Byte j of a row: low nibble = q[2j], high nibble = q[2j + 1]."""
    q = torch.tensor([[0, 15, 8, 7], [9, 10, 5, 11]], dtype=torch.int8)
    packed = pack_int4(q)
    assert packed.dtype == torch.int8 and packed.shape == (2, 2)
    assert packed.view(torch.uint8).tolist() == [[0xF0, 0x78], [0xA9, 0xB5]]
    assert torch.equal(unpack_int4(packed), q)
    every = torch.arange(0, 16, dtype=torch.int8).repeat(16).reshape(16, 16)
    every = every[:, torch.randperm(16, generator=torch.Generator().manual_seed(2))]
    assert torch.equal(unpack_int4(pack_int4(every)), every)
    with pytest.raises(InputError, match=r"\[0, 15\]"):
        pack_int4(torch.tensor([[16, 0]]))


def _bytes(t: torch.Tensor, dtype: type) -> list:
    return t.numpy().view(dtype).tolist()


def test_stored_bytes_of_a_tiny_matrix_by_hand() -> None:
    """Every format's stored arrays for a matrix small enough to quantize on paper."""
    # int4, group 2, out 3 x in 4. Per (row, group): min, scale = (max - min) / 15, q:
    #   row 0: [0, 1.5] min 0 scale 0.1 q [0, 15];  [0.8, 0.2] min 0.2 scale 0.04 q [15, 0]
    #   row 1: [-1, 0.5] min -1 scale 0.1 q [0, 15]; [0.3, 0.3] constant: scale 0, q [0, 0]
    #   row 2: [3, 0] min 0 scale 0.2 q [15, 0];     [-0.75, 0.75] min -0.75 scale 0.1 q [0, 15]
    # Bytes [in / 2, out], byte [j, o] = q[o, 2j] | q[o, 2j + 1] << 4:
    #   j 0: 0 | 15 << 4 = 0xF0, 0 | 15 << 4 = 0xF0, 15 | 0 << 4 = 0x0F
    #   j 1: 15 | 0 << 4 = 0x0F, 0 | 0 << 4 = 0x00, 0 | 15 << 4 = 0xF0
    weight = torch.tensor([[0.0, 1.5, 0.8, 0.2], [-1.0, 0.5, 0.3, 0.3], [3.0, 0.0, -0.75, 0.75]])
    layer = QuantLinear.from_weight(weight, None, "int4", 2)
    assert _bytes(layer.weight_packed, np.uint8) == [[0xF0, 0xF0, 0x0F], [0x0F, 0x00, 0xF0]]
    assert layer.weight_packed.numpy().tobytes() == bytes([0xF0, 0xF0, 0x0F, 0x0F, 0x00, 0xF0])
    # Scales and minimums are fp16 values: 0.1 -> 1638 / 16384 = 0.0999755859375, 0.2 ->
    # 0.199951171875, 0.04 -> 0.0400085449, 0.3 -> 0.300048828125 (0, -1, -0.75 exact); the
    # q above stay (e.g. 1.5 / 0.0999755859375 = 15.004 -> 15).
    expected_scale = [
        [0.0999755859375, 0.0999755859375, 0.199951171875],
        [0.040008544921875, 0.0, 0.0999755859375],
    ]
    torch.testing.assert_close(layer.weight_scale, torch.tensor(expected_scale), rtol=1e-9, atol=0)
    assert layer.weight_min.tolist() == [[0.0, -1.0, 0.0], [0.199951171875, 0.300048828125, -0.75]]
    # int8, out 2 x in 3: scale = max|w| / 127 = 0.01, 0.02; q = [127, -50, 0], [-127, 50, 3],
    # two's complement bytes 0x7F 0xCE 0x00, 0x81 0x32 0x03.
    layer = QuantLinear.from_weight(
        torch.tensor([[1.27, -0.5, 0.0], [-2.54, 1.0, 0.06]]), None, "int8"
    )
    assert _bytes(layer.weight_q, np.uint8) == [[0x7F, 0xCE, 0x00], [0x81, 0x32, 0x03]]
    torch.testing.assert_close(layer.weight_scale, torch.tensor([0.01, 0.02]), rtol=1e-6, atol=0)
    # fp16: IEEE half bits (sign | exponent 5 | mantissa 10): 1.0 = 0x3C00, -2.0 = 0xC000,
    # 0.5 = 0x3800, 65504 (largest) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001, -0 = 0x8000.
    halves = torch.tensor([[1.0, -2.0, 0.5], [65504.0, 2.0**-24, -0.0]])
    layer = QuantLinear.from_weight(halves, None, "fp16")
    assert _bytes(layer.weight_fp16, np.uint16) == [
        [0x3C00, 0xC000, 0x3800],
        [0x7BFF, 0x0001, 0x8000],
    ]


def test_fp16_stores_ieee_half_bits() -> None:
    weight, _ = layer_weights()
    layer = QuantLinear.from_weight(weight, None, "fp16")
    assert torch.equal(layer.weight_fp16.view(torch.float16), weight.half())


def test_fp16_decode_is_exact_for_every_finite_half() -> None:
    """The in-graph integer decode reproduces all 63,488 finite halves bit for bit.

    With x = identity, each output is one product x·w plus zeros, so y = W^T exactly.
    """
    bits = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16)
    finite = bits[torch.isfinite(bits.view(torch.float16))]
    assert finite.numel() == 63488
    values = finite.view(torch.float16).float().reshape(-1, 128)
    layer = QuantLinear.from_weight(values, None, "fp16")
    assert torch.equal(layer.weight_fp16.reshape(-1), finite)
    out = layer(torch.eye(128))
    assert torch.equal(out, values.t())


@pytest.mark.parametrize("fmt", WEIGHT_FORMATS)
def test_forward_equals_the_reference_linear(fmt: str) -> None:
    weight, bias = layer_weights(4)
    x = torch.randn(3, 5, IN, generator=torch.Generator().manual_seed(5))
    for b in (bias, None):
        layer = QuantLinear.from_weight(weight, b, fmt)
        expected = x @ fake_quantize(weight, fmt).t() + (0.0 if b is None else b)
        got = layer(x)
        assert got.shape == (3, 5, OUT)
        scale = float(expected.abs().max())
        torch.testing.assert_close(got, expected, rtol=0, atol=2e-6 * scale)


@pytest.mark.parametrize("fmt", WEIGHT_FORMATS)
def test_weight_bytes_and_stored_arrays(fmt: str) -> None:
    weight, bias = layer_weights()
    expected = {
        "fp32": OUT * IN * 4,
        "fp16": OUT * IN * 2,
        "int8": OUT * IN + OUT * 4,
        "int4": OUT * IN // 2 + 2 * OUT * (IN // 32) * 4,  # nibbles, scales and minimums
    }[fmt]
    assert QuantLinear.from_weight(weight, None, fmt).weight_bytes() == expected
    layer = QuantLinear.from_weight(weight, bias, fmt)
    assert layer.weight_bytes() == expected + OUT * 4
    stored = {name: (t.dtype, tuple(t.shape)) for name, t in layer.named_buffers()}
    assert stored == {**STORED[fmt], "bias": (torch.float32, (OUT,))}
    assert set(layer.state_dict()) == set(stored)  # persistent: the weights of the kernel


def test_format_and_group_size_errors() -> None:
    weight, bias = layer_weights()
    with pytest.raises(OptionError, match="unknown weight format 'q4_0'"):
        QuantLinear.from_weight(weight, bias, "q4_0")
    with pytest.raises(OptionError, match="--group-size 48 does not divide the layer's 64 inputs"):
        QuantLinear.from_weight(weight, bias, "int4", 48)
    with pytest.raises(OptionError, match="must be even"):
        QuantLinear.from_weight(torch.randn(4, 66), None, "int4", 3)
    for bad in (0, -32, 2.0, True):
        with pytest.raises(OptionError, match="positive integer"):
            QuantLinear.from_weight(weight, bias, "int4", bad)
    QuantLinear.from_weight(weight, bias, "int8", 48)  # group_size matters to int4 only
    with pytest.raises(OptionError, match="fp16 cannot hold"):
        QuantLinear.from_weight(torch.full((2, 4), FP16_MAX * 1.01), None, "fp16")


def test_weight_errors() -> None:
    weight, bias = layer_weights()
    bad = weight.clone()
    bad[3, 3] = float("nan")
    with pytest.raises(InputError, match="NaN or inf"):
        QuantLinear.from_weight(bad, bias, "int8")
    with pytest.raises(InputError, match=r"float \[out, in\]"):
        QuantLinear.from_weight(weight[0], bias, "int8")
    with pytest.raises(InputError, match=r"bias must have shape \(48,\)"):
        QuantLinear.from_weight(weight, bias[:5], "int4")
    with pytest.raises(InputError, match="takes 64 input features"):
        QuantLinear.from_weight(weight, bias, "int4")(torch.ones(4, 32))


def _largest_local_float_array(kernel: str) -> int:
    """Elements of the largest local `float name[N]` buffer that is not a port copy.

    Dataflow channels are non-static locals, other buffers `static`; a port copy
    read by several tasks has copies named `<port>_buffer_copy<k>`.
    """
    sizes = [
        int(size)
        for name, size in re.findall(r"^\s*(?:static )?float (\w+)\[(\d+)\];", kernel, re.M)
        if "_buffer" not in name
    ]
    return max(sizes, default=0)


@pytest.mark.parametrize("rows", [1, BATCH])
@pytest.mark.parametrize("level", [1, 2])
@pytest.mark.parametrize("fmt", WEIGHT_FORMATS)
def test_kernel_csim_matches_pytorch(fmt: str, level: int, rows: int, tmp_path: Path) -> None:
    """The dequantizing kernel compiles at -O1/-O2 and C-simulates within 1e-4.

    One row is the decode GEMV, several the prefill GEMM (int4 has a form for each).
    """
    weight, bias = layer_weights(6)
    layer = QuantLinear.from_weight(weight, bias, fmt)
    x = torch.randn(rows, IN, generator=torch.Generator().manual_seed(7))
    name = f"linear_{fmt}"
    loaded = export_module(layer, (x,), name)
    options = CompileOptions(optimize=OptimizeOptions(level=level))
    result = compile_model(loaded, tmp_path / name, options)

    weights = {i["name"]: i for i in result.manifest["interfaces"] if i["role"] == "weight"}
    assert list(weights) == [*STORED[fmt], "bias"]
    assert sum(i["bytes"] for i in weights.values()) == layer.weight_bytes()
    ctypes = {"fp32": "float", "fp16": "int16_t", "int8": "int8_t", "int4": "int8_t"}
    first = next(iter(weights.values()))
    kernel = (tmp_path / name / "kernel" / f"{name}.cpp").read_text()
    assert f"const {ctypes[fmt]}* {first['arg']}" in kernel
    # No float copy of the weight: the decode is recomputed at each read. int4 keeps
    # [groups, out] partial sums for one row, one [rows, out] partial sum for several.
    int4 = IN // 32 * OUT if rows == 1 else rows * OUT
    limit = {"fp32": 0, "fp16": 0, "int8": 0, "int4": int4}[fmt]
    assert _largest_local_float_array(kernel) <= limit

    csim = run_csim(tmp_path / name)
    assert csim.passed, csim.to_json()
    assert csim.max_rel_err <= 1e-4
    # The golden outputs csim checked against are the layer's on the reference grid.
    golden = np.fromfile(tmp_path / name / "data/golden/output0.bin", dtype="<f4")
    expected = (x @ fake_quantize(weight, fmt).t() + bias).reshape(-1).numpy()
    assert np.abs(golden - expected).max() <= 1e-5 * np.abs(expected).max()
