"""The KV-cache buffering pass: recognize the cache update in a layer's graph and cut there."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from llmhls.compiler.llm.kv_cache import split_at_kv_cache
from llmhls.errors import UnsupportedError

NAMES = ["hidden", "positions", "k_cache", "v_cache"]
HEADS, KV_HEADS, HEAD_DIM, CONTEXT, ROWS = 4, 2, 8, 12, 3


class Layer(nn.Module):
    """A GQA layer written the PyTorch way; `variant` breaks it in one way for the negatives."""

    def __init__(self, variant: str = "ok") -> None:
        super().__init__()
        torch.manual_seed(0)
        self.variant = variant
        self.q = nn.Linear(32, HEADS * HEAD_DIM)
        self.kv = nn.Linear(32, 2 * KV_HEADS * HEAD_DIM)
        self.out = nn.Linear(HEADS * HEAD_DIM, 32)

    def forward(self, hidden, positions, k_cache, v_cache):
        rows = hidden.shape[0]
        x = hidden * 2.0
        q = self.q(x).view(rows, HEADS, HEAD_DIM) + positions[:, None, None]
        k, v = self.kv(x).view(rows, 2, KV_HEADS, HEAD_DIM).unbind(1)
        if self.variant != "no_cache":
            k_cache = k_cache.index_copy(1, positions, k.transpose(0, 1))
            v_cache = v_cache.index_copy(1, positions, v.transpose(0, 1))
        mask = positions[:, None] >= torch.arange(CONTEXT)[None, :]
        if self.variant == "wrong_mask":
            mask = positions[:, None] > torch.arange(CONTEXT)[None, :]
        keys, values = k_cache, v_cache
        if self.variant == "repeat_kv":
            keys = keys.repeat_interleave(HEADS // KV_HEADS, dim=0)
            values = values.repeat_interleave(HEADS // KV_HEADS, dim=0)
        attention = F.scaled_dot_product_attention(
            q.transpose(0, 1),
            keys,
            values,
            attn_mask=mask,
            enable_gqa=self.variant != "repeat_kv",
        )
        attention = attention.transpose(0, 1).reshape(rows, HEADS * HEAD_DIM)
        residual = x if self.variant == "crossing" else hidden
        return residual + self.out(attention), k_cache, v_cache


def _example() -> tuple[torch.Tensor, ...]:
    hidden = torch.randn(ROWS, 32)
    positions = torch.arange(ROWS) + 4
    k_cache = torch.randn(KV_HEADS, CONTEXT, HEAD_DIM)
    return hidden, positions, k_cache, torch.randn(KV_HEADS, CONTEXT, HEAD_DIM)


def test_split_parts_recompose_the_layer() -> None:
    layer = Layer().eval()
    example = _example()
    split = split_at_kv_cache(layer, example, NAMES)
    assert split.pre_inputs == ["hidden", "positions"]
    assert split.post_inputs == ["hidden"]
    site = split.site
    assert (site.num_heads, site.num_kv_heads, site.head_dim, site.max_context) == (4, 2, 8, 12)
    assert site.scale == pytest.approx(1 / math.sqrt(HEAD_DIM))

    hidden, positions, k_cache, v_cache = example
    with torch.no_grad():
        expected, k_expected, v_expected = layer(*example)
        q, k, v = split.pre(hidden, positions)
    assert q.shape == (ROWS, HEADS, HEAD_DIM) and k.shape == (ROWS, KV_HEADS, HEAD_DIM)
    # What the top kernel does between the parts: append in place, attend over [0, pos].
    k_cache, v_cache = k_cache.clone(), v_cache.clone()
    k_cache[:, positions] = k.transpose(0, 1)
    v_cache[:, positions] = v.transpose(0, 1)
    torch.testing.assert_close(k_cache, k_expected)
    torch.testing.assert_close(v_cache, v_expected)
    attention = torch.zeros(ROWS, HEADS, HEAD_DIM)
    for c in range(ROWS):
        for h in range(HEADS):
            g = h // (HEADS // KV_HEADS)
            window = int(positions[c]) + 1
            scores = k_cache[g, :window] @ q[c, h] * site.scale
            attention[c, h] = scores.softmax(-1) @ v_cache[g, :window]
    with torch.no_grad():
        result = split.post(attention.reshape(ROWS, -1), hidden)
    torch.testing.assert_close(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("no_cache", "no KV-cache update found"),
        ("repeat_kv", "does not read the updated caches directly"),
        ("wrong_mask", "is not the causal window"),
        ("crossing", "values cross the KV-cache cut"),
    ],
)
def test_unsupported_layers_are_named(variant: str, message: str) -> None:
    with pytest.raises(UnsupportedError, match=message) as info:
        split_at_kv_cache(Layer(variant).eval(), _example(), NAMES)
    assert "layer 'Layer'" in str(info.value)
    assert "\n" not in str(info.value)
