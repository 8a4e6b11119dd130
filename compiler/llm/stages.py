"""A decoder-only LLM rebuilt from its Hugging Face weights as plain torch modules.

`DecoderLayer` is one layer written the usual PyTorch way: it takes its KV
cache as inputs, appends this step's K/V rows with `index_copy` and attends
with `scaled_dot_product_attention` under a causal-window mask. The
KV-cache buffering pass (`kv_cache.py`) finds that update in the exported
graph and cuts the layer into the stages the MLIR flow compiles:

- `layer_pre`: norm, Q/K/V projections and RoPE (the layer's `pre` part);
- `layer_post`: output projection, residual, norm, MLP, residual (`post`).

A transformer's decoder layers are identical, so llmhls compiles one layer once
and the top kernel calls it for every layer with that layer's weights (temporal
reuse). `embed` (token, and for GPT-2 position, embeddings) and `head` (final
norm + LM head) run once per step.

Each layer is built from its own Hugging Face weights so the weights can be
quantized per layer; layer 0 is the one exported and compiled. Formulas follow
transformers' own modules (RMSNorm in float32, rotate-half RoPE, GPT-2's tanh
GELU) so the kernels match `generate` token for token.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from llmhls.compiler.llm.source import LlmConfig

LinearFactory = Callable[[Tensor, Tensor | None], nn.Module]
ROPE_BUFFER = "rope_inv_freq"  # shared by every layer, stored once


class Linear(nn.Module):
    """y = x W^T + b with float32 weights (what `--weights fp32` uses)."""

    def __init__(self, weight: Tensor, bias: Tensor | None) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.detach().float().contiguous(), requires_grad=False)
        self.bias = (
            None
            if bias is None
            else nn.Parameter(bias.detach().float().contiguous(), requires_grad=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.weight, self.bias)


def fp32_linear(weight: Tensor, bias: Tensor | None) -> nn.Module:
    return Linear(weight, bias)


def _frozen(tensor: Tensor) -> nn.Parameter:
    return nn.Parameter(tensor.detach().float().contiguous().clone(), requires_grad=False)


class RMSNorm(nn.Module):
    """Llama's RMSNorm, computed the way transformers computes it."""

    def __init__(self, weight: Tensor, eps: float) -> None:
        super().__init__()
        self.weight = _frozen(weight)
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


class LayerNorm(nn.Module):
    def __init__(self, weight: Tensor, bias: Tensor, eps: float) -> None:
        super().__init__()
        self.weight = _frozen(weight)
        self.bias = _frozen(bias)
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


def _rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def gelu_tanh(x: Tensor) -> Tensor:
    """GPT-2's `gelu_new`."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class LlamaPre(nn.Module):
    def __init__(self, cfg: LlmConfig, layer: nn.Module, linear: LinearFactory) -> None:
        super().__init__()
        attn = layer.self_attn
        self.cfg = cfg
        self.input_layernorm = RMSNorm(layer.input_layernorm.weight, cfg.norm_eps)
        self.q_proj = linear(attn.q_proj.weight, attn.q_proj.bias)
        self.k_proj = linear(attn.k_proj.weight, attn.k_proj.bias)
        self.v_proj = linear(attn.v_proj.weight, attn.v_proj.bias)
        exponents = torch.arange(0, cfg.head_dim, 2, dtype=torch.int64).float() / cfg.head_dim
        self.register_buffer(ROPE_BUFFER, 1.0 / (cfg.rope_theta**exponents))

    def forward(self, hidden: Tensor, positions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        cfg = self.cfg
        rows = hidden.shape[0]
        x = self.input_layernorm(hidden)
        q = self.q_proj(x).view(rows, cfg.num_heads, cfg.head_dim)
        k = self.k_proj(x).view(rows, cfg.num_kv_heads, cfg.head_dim)
        v = self.v_proj(x).view(rows, cfg.num_kv_heads, cfg.head_dim)
        freqs = positions.float()[:, None] * getattr(self, ROPE_BUFFER)[None, :]
        angles = torch.cat((freqs, freqs), dim=-1)[:, None, :]
        cos, sin = angles.cos(), angles.sin()
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        return q, k, v


class LlamaPost(nn.Module):
    def __init__(self, cfg: LlmConfig, layer: nn.Module, linear: LinearFactory) -> None:
        super().__init__()
        mlp = layer.mlp
        self.o_proj = linear(layer.self_attn.o_proj.weight, layer.self_attn.o_proj.bias)
        self.post_attention_layernorm = RMSNorm(layer.post_attention_layernorm.weight, cfg.norm_eps)
        self.gate_proj = linear(mlp.gate_proj.weight, mlp.gate_proj.bias)
        self.up_proj = linear(mlp.up_proj.weight, mlp.up_proj.bias)
        self.down_proj = linear(mlp.down_proj.weight, mlp.down_proj.bias)

    def forward(self, attention: Tensor, hidden: Tensor) -> Tensor:
        hidden = hidden + self.o_proj(attention)
        x = self.post_attention_layernorm(hidden)
        gate = self.gate_proj(x)
        return hidden + self.down_proj(nn.functional.silu(gate) * self.up_proj(x))


def _conv1d_parts(conv: nn.Module, parts: int) -> list[tuple[Tensor, Tensor]]:
    """GPT-2's Conv1D stores W as [in, out]; split it into `parts` nn.Linear-layout pieces."""
    weights = conv.weight.detach().t().chunk(parts, dim=0)
    biases = conv.bias.detach().chunk(parts, dim=0)
    return list(zip(weights, biases, strict=True))


class Gpt2Pre(nn.Module):
    def __init__(self, cfg: LlmConfig, layer: nn.Module, linear: LinearFactory) -> None:
        super().__init__()
        self.cfg = cfg
        self.ln_1 = LayerNorm(layer.ln_1.weight, layer.ln_1.bias, cfg.norm_eps)
        (wq, bq), (wk, bk), (wv, bv) = _conv1d_parts(layer.attn.c_attn, 3)
        self.q_proj = linear(wq, bq)
        self.k_proj = linear(wk, bk)
        self.v_proj = linear(wv, bv)

    def forward(self, hidden: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        cfg = self.cfg
        rows = hidden.shape[0]
        x = self.ln_1(hidden)
        q = self.q_proj(x).view(rows, cfg.num_heads, cfg.head_dim)
        k = self.k_proj(x).view(rows, cfg.num_kv_heads, cfg.head_dim)
        v = self.v_proj(x).view(rows, cfg.num_kv_heads, cfg.head_dim)
        return q, k, v


class Gpt2Post(nn.Module):
    def __init__(self, cfg: LlmConfig, layer: nn.Module, linear: LinearFactory) -> None:
        super().__init__()
        ((w_o, b_o),) = _conv1d_parts(layer.attn.c_proj, 1)
        ((w_fc, b_fc),) = _conv1d_parts(layer.mlp.c_fc, 1)
        ((w_proj, b_proj),) = _conv1d_parts(layer.mlp.c_proj, 1)
        self.o_proj = linear(w_o, b_o)
        self.ln_2 = LayerNorm(layer.ln_2.weight, layer.ln_2.bias, cfg.norm_eps)
        self.fc_in = linear(w_fc, b_fc)
        self.fc_out = linear(w_proj, b_proj)

    def forward(self, attention: Tensor, hidden: Tensor) -> Tensor:
        hidden = hidden + self.o_proj(attention)
        return hidden + self.fc_out(gelu_tanh(self.fc_in(self.ln_2(hidden))))


class DecoderLayer(nn.Module):
    """One decoder layer over its own KV cache slices [kv_heads, max_context, head_dim].

    forward(hidden [C, D], positions [C], k_cache, v_cache) → (hidden, k_cache, v_cache),
    the caches returned with rows `positions` replaced (functional update).
    """

    def __init__(self, cfg: LlmConfig, pre: nn.Module, post: nn.Module, rope: bool) -> None:
        super().__init__()
        self.cfg = cfg
        self.pre = pre
        self.post = post
        self.rope = rope
        # How the cache stores a K/V row [rows, kv_heads, head_dim] (the engine's reference
        # rounds as its cache format does: `int8_rows`); None keeps float32.
        self.kv_round: Callable[[Tensor], Tensor] | None = None

    def forward(
        self, hidden: Tensor, positions: Tensor, k_cache: Tensor, v_cache: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        cfg = self.cfg
        rows = hidden.shape[0]
        q, k, v = self.pre(hidden, positions) if self.rope else self.pre(hidden)
        if self.kv_round is not None:
            k, v = self.kv_round(k), self.kv_round(v)
        k_cache = k_cache.index_copy(1, positions, k.transpose(0, 1))
        v_cache = v_cache.index_copy(1, positions, v.transpose(0, 1))
        mask = positions[:, None] >= torch.arange(k_cache.shape[1])[None, :]
        attention = nn.functional.scaled_dot_product_attention(
            q.transpose(0, 1),
            k_cache,
            v_cache,
            attn_mask=mask,
            enable_gqa=cfg.num_heads != cfg.num_kv_heads,
        )
        attention = attention.transpose(0, 1).reshape(rows, cfg.num_heads * cfg.head_dim)
        return self.post(attention, hidden), k_cache, v_cache


class TokenEmbed(nn.Module):
    """Llama: the token embedding row of each token."""

    def __init__(self, table: Tensor) -> None:
        super().__init__()
        self.embed_tokens = _frozen(table)

    def forward(self, tokens: Tensor) -> Tensor:
        return nn.functional.embedding(tokens, self.embed_tokens)


class TokenPositionEmbed(nn.Module):
    """GPT-2: token embedding plus learned position embedding."""

    def __init__(self, tokens_table: Tensor, positions_table: Tensor) -> None:
        super().__init__()
        self.wte = _frozen(tokens_table)
        self.wpe = _frozen(positions_table)

    def forward(self, tokens: Tensor, positions: Tensor) -> Tensor:
        return nn.functional.embedding(tokens, self.wte) + nn.functional.embedding(
            positions, self.wpe
        )


class Head(nn.Module):
    """Final norm and LM head on one hidden row: the next token's logits."""

    def __init__(self, norm: nn.Module, lm_head: nn.Module) -> None:
        super().__init__()
        self.norm = norm
        self.lm_head = lm_head

    def forward(self, hidden: Tensor) -> Tensor:
        return self.lm_head(self.norm(hidden))


@dataclass
class LlmStages:
    """Builders of every stage; `layer(l)` gives layer l with its own weights."""

    cfg: LlmConfig
    embed: nn.Module
    head: nn.Module
    layer: Callable[[int], DecoderLayer]
    embed_takes_positions: bool


def build_stages(
    cfg: LlmConfig, model: nn.Module, linear: LinearFactory, head_linear: LinearFactory
) -> LlmStages:
    """The stage modules of `model` (a transformers causal LM).

    Decoder-layer weights go through `linear`, the LM head's through `head_linear`.
    """
    if cfg.arch == "llama":
        body = model.model
        norm = RMSNorm(body.norm.weight, cfg.norm_eps)
        head = Head(norm, head_linear(model.lm_head.weight, None))
        return LlmStages(
            cfg,
            TokenEmbed(body.embed_tokens.weight),
            head,
            lambda i: DecoderLayer(
                cfg,
                LlamaPre(cfg, body.layers[i], linear),
                LlamaPost(cfg, body.layers[i], linear),
                rope=True,
            ),
            embed_takes_positions=False,
        )
    body = model.transformer
    norm = LayerNorm(body.ln_f.weight, body.ln_f.bias, cfg.norm_eps)
    head = Head(norm, head_linear(model.lm_head.weight, None))
    return LlmStages(
        cfg,
        TokenPositionEmbed(body.wte.weight, body.wpe.weight),
        head,
        lambda i: DecoderLayer(
            cfg, Gpt2Pre(cfg, body.h[i], linear), Gpt2Post(cfg, body.h[i], linear), rope=False
        ),
        embed_takes_positions=True,
    )
