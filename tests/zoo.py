"""The model zoo: small models covering every op family the emitter must handle.

Each entry builds `(module, example_inputs)` deterministically. Sizes are odd
on purpose (37 features, 5 heads, batch 3) so no power-of-two assumption hides.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ZooEntry = Callable[[], tuple[nn.Module, tuple[torch.Tensor, ...]]]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(37, 24)
        self.fc2 = nn.Linear(24, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


class Bmm(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.bmm(a, b)


class Elementwise(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a + b) * a / (b.abs() + 1.5) - 0.25


class Activations(nn.Module):
    """GELU in both forms and SiLU, each on its own output."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x)


class Softmax(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x * 3.0, dim=-1)


class LayerNormModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(37)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5, generator=_gen(1))
            self.norm.bias.uniform_(-0.5, 0.5, generator=_gen(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


class RmsNormModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.RMSNorm(37, eps=1e-6)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5, generator=_gen(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


class Embedding(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 12)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(ids)


class ShapeOps(nn.Module):
    """reshape, transpose, permute, slice and concat in one graph."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.reshape(2, 3, 5, 4).permute(0, 2, 1, 3)
        z = y.transpose(-1, -2)[:, 1:4, :, ::2]
        return torch.cat([z.reshape(2, -1), x.reshape(2, -1)[:, :7]], dim=1)


class CausalMask(nn.Module):
    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        n = scores.shape[-1]
        mask = torch.ones(n, n, dtype=torch.bool).tril()
        return scores.masked_fill(~mask, float("-inf")).softmax(-1)


class SmallCnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(6, 4, kernel_size=3, stride=2)
        self.fc = nn.Linear(4 * 2 * 2, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 1)
        return self.fc(x.flatten(1))


class SelfAttention(nn.Module):
    """Multi-head causal attention written out by hand (5 heads, batch 3)."""

    def __init__(self, dim: int = 40, heads: int = 5) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q, k, v = (t.view(b, s, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(b, s, d))


class Gpt2Block(nn.Module):
    """One transformers GPT-2 block (eager attention) with an explicit causal mask."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import GPT2Config
        from transformers.models.gpt2.modeling_gpt2 import GPT2Block

        config = GPT2Config(n_embd=40, n_head=5, n_layer=1, n_positions=16, initializer_range=0.3)
        config._attn_implementation = "eager"
        torch.manual_seed(0)
        self.block = GPT2Block(config, layer_idx=0)
        self.block.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Conv1d) or type(module).__name__ == "Conv1D":
            nn.init.normal_(module.weight, std=0.2)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        seq = hidden.shape[1]
        causal = torch.full((seq, seq), float("-inf")).triu(1)[None, None]
        out = self.block(hidden, attention_mask=causal)
        return out[0] if isinstance(out, tuple) else out


class LlamaBlock(nn.Module):
    """One transformers Llama decoder layer (GQA: 4 query heads, 2 KV heads) with RoPE."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import LlamaConfig
        from transformers.models.llama.modeling_llama import (
            LlamaDecoderLayer,
            LlamaRotaryEmbedding,
        )

        config = LlamaConfig(
            hidden_size=32,
            intermediate_size=56,
            num_attention_heads=4,
            num_key_value_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=32,
            rope_theta=10000.0,
            initializer_range=0.3,
        )
        config._attn_implementation = "eager"
        torch.manual_seed(0)
        self.layer = LlamaDecoderLayer(config, layer_idx=0)
        self.rotary = LlamaRotaryEmbedding(config)
        for module in self.layer.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.3)
        self.rotary.register_buffer("inv_freq", self.rotary.inv_freq.clone(), persistent=True)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        seq = hidden.shape[1]
        positions = torch.arange(seq)[None]
        cos, sin = self.rotary(hidden, positions)
        causal = torch.full((seq, seq), float("-inf")).triu(1)[None, None]
        out = self.layer(
            hidden, attention_mask=causal, position_ids=positions, position_embeddings=(cos, sin)
        )
        return out[0] if isinstance(out, tuple) else out


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=_gen(seed))


ZOO: dict[str, ZooEntry] = {
    "mlp": lambda: (Mlp(), (_randn(4, 37),)),
    "bmm": lambda: (Bmm(), (_randn(3, 5, 7, seed=1), _randn(3, 7, 4, seed=2))),
    "elementwise": lambda: (Elementwise(), (_randn(3, 37, seed=3), _randn(3, 37, seed=4))),
    "activations": lambda: (Activations(), (_randn(5, 37, seed=5),)),
    "softmax": lambda: (Softmax(), (_randn(3, 37, seed=6),)),
    "layernorm": lambda: (LayerNormModel(), (_randn(3, 5, 37, seed=7),)),
    "rmsnorm": lambda: (RmsNormModel(), (_randn(3, 5, 37, seed=8),)),
    "embedding": lambda: (
        Embedding(),
        (torch.randint(0, 50, (2, 7), generator=_gen(9)),),
    ),
    "shape_ops": lambda: (ShapeOps(), (_randn(2, 60, seed=10),)),
    "causal_mask": lambda: (CausalMask(), (_randn(2, 5, 6, 6, seed=11),)),
    "cnn": lambda: (SmallCnn(), (_randn(2, 3, 10, 10, seed=12),)),
    "self_attention": lambda: (SelfAttention(), (_randn(3, 6, 40, seed=13),)),
    "gpt2_block": lambda: (Gpt2Block(), (_randn(2, 7, 40, seed=14),)),
    "llama_block": lambda: (LlamaBlock(), (_randn(2, 5, 32, seed=15),)),
}


class ScanSortScatter(nn.Module):
    """TMTensor ops: cumsum (scan), topk (sort) and a KV-cache-style index_copy (scatter)."""

    def forward(
        self, x: torch.Tensor, cache: torch.Tensor, rows: torch.Tensor, pos: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return x.cumsum(-1), torch.topk(x, 3).values, cache.index_copy(1, pos, rows)


class Gpt2Tiny(nn.Module):
    """A whole 2-layer GPT-2 language model: token ids → logits."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import GPT2Config, GPT2LMHeadModel

        config = GPT2Config(
            vocab_size=97, n_embd=40, n_head=5, n_layer=2, n_positions=16, initializer_range=0.3
        )
        config._attn_implementation = "eager"
        torch.manual_seed(0)
        self.model = GPT2LMHeadModel(config).eval()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = torch.ones_like(ids)
        return self.model(input_ids=ids, attention_mask=mask, use_cache=False).logits


ZOO["scan_sort_scatter"] = lambda: (
    ScanSortScatter(),
    (_randn(3, 7, seed=17), _randn(2, 6, 4, seed=18), _randn(2, 1, 4, seed=19), torch.tensor([4])),
)
ZOO["gpt2_tiny_2layer"] = lambda: (
    Gpt2Tiny(),
    (torch.randint(0, 97, (1, 8), generator=_gen(16)),),
)
