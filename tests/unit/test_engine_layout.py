"""The engine's weight layout, read back by a second, independent reader.

The reader below follows the stream order the C++ units consume (meta words
of a block, then word w of round r at w * b + r) without the writer's code,
so a writer that drops, repeats or misplaces a row fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmhls.compiler.llm.engine.layout import build_layout, choose_interleave, encode
from llmhls.compiler.llm.quantize import QuantLinear, dequantized_weight
from llmhls.compiler.llm.stages import fp32_linear


def _read_back(stream: np.ndarray, rows: int, inputs: int, channels: int, channel: int, il: int):
    """Rows of one fp32 matrix held by `channel`, decoded from its words (fp32: 16 lanes),
    in blocks of `il` rounds."""
    mine = list(range(channel, rows, channels))
    out = {}
    position = 0
    words = -(-inputs // 16)
    for start in range(0, len(mine), il):
        block = mine[start : start + il]
        b = len(block)
        data = stream[position : position + words * b].reshape(words, b, 16)
        position += words * b
        for r, row in enumerate(block):
            out[row] = data[:, r, :].reshape(-1).view(np.float32)[:inputs]
    return out, position


@pytest.mark.parametrize(("rows", "inputs", "channels"), [(37, 48, 5), (8, 16, 30), (100, 64, 7)])
def test_fp32_rows_land_once_in_consumption_order(rows, inputs, channels) -> None:
    weight = torch.randn(rows, inputs, generator=torch.Generator().manual_seed(rows))
    matrix = encode("m", [fp32_linear(weight, None)])
    layout = build_layout([[matrix]], matrix, None, channels)
    seen = {}
    for c in range(channels):
        il = layout.layer_phases[0].interleave
        got, used = _read_back(layout.streams[c], rows, inputs, channels, c, il)
        assert used == layout.layer_words[c]
        seen.update(got)
    assert sorted(seen) == list(range(rows))
    for row, values in seen.items():
        np.testing.assert_array_equal(values, weight[row].numpy())
    # the tied embedding is the head itself: stored once, found at the head's start
    assert layout.lookup_base == layout.layer_words


@pytest.mark.parametrize(
    ("rounds", "interleave"), [(1, 8), (8, 8), (10, 10), (16, 8), (20, 10), (52, 13), (1639, 11)]
)
def test_blocks_waste_the_fewest_steps(rounds, interleave) -> None:
    # 10 rounds: one block of 10 (10 steps a word) rather than two of 8 (16); 52: four of 13;
    # 1639 = 149 x 11: no empty slot; 20: two of 10 rather than 3 x 8 = 24
    assert choose_interleave(rounds) == interleave


def test_int4_words_hold_two_rows_of_nibbles_and_their_group_pairs() -> None:
    weight = torch.randn(2, 64, generator=torch.Generator().manual_seed(1))
    module = QuantLinear.from_weight(weight, None, "int4", 32)
    matrix = encode("m", [module])
    layout = build_layout([[matrix]], matrix, None, 1)
    # 1 row group of 2 rows x 2 groups x (scale, min) = 8 halves: one meta word, then one data
    # word; the halves are the quantizer's values exactly (it rounds them to fp16)
    assert layout.layer_words == [2]
    words = layout.streams[0][:2]
    meta = words[0].view(np.float16)[:8].reshape(2, 2, 2).astype(np.float32)
    assert not words[0].view(np.float16)[8:].any()
    data = words[1].view(np.uint8)
    nibbles = np.stack([data & 0xF, data >> 4], axis=-1).reshape(2, 64)  # row, input
    rebuilt = nibbles.reshape(2, 2, 32) * meta[:, :, :1] + meta[:, :, 1:]
    np.testing.assert_allclose(
        rebuilt.reshape(2, 64), dequantized_weight(module).numpy(), rtol=1e-6
    )


def test_aux_blocks_are_whole_vectors_in_the_order_the_loader_streams_them() -> None:
    """Every vector padded to whole kVec (64) floats: layer blocks, the final norm's, then
    one block per position."""
    import torch

    from llmhls.compiler.llm.engine.build import _aux_layout

    layer = {"norm1_w": torch.arange(3.0), "norm2_w": torch.arange(70.0)}
    aux = _aux_layout([layer, layer], [("final_w", torch.ones(5))], torch.full((4, 64), 2.0))
    assert aux.offsets == {"norm1_w": 0, "norm2_w": 64, "final_w": 0}
    assert aux.layer_floats == 64 + 128
    assert (aux.final_base, aux.final_floats) == (384, 64)
    assert (aux.positions_base, aux.position_floats) == (448, 64)
    assert aux.values.size == 448 + 4 * 64
    assert list(aux.values[:4]) == [0.0, 1.0, 2.0, 0.0]
    assert aux.values[192 + 64 + 69] == 69.0  # layer 1's norm2_w, its last value
    assert aux.values[384:390].tolist() == [1.0] * 5 + [0.0]
    assert set(aux.values[448:].tolist()) == {2.0}
