"""PyTorch reference of the accelerator: the same stages, the same weights, a KV cache in torch.

It is the golden model the LLM testbench checks against. It runs the stage
modules (with the weights as stored, quantized or not) and a plain softmax
attention over the cache, so it is independent of the C++ attention template;
for float32 weights it reproduces transformers' greedy generation exactly.
"""

from __future__ import annotations

import math

import torch

from llmhls.compiler.llm.stages import LlmStages


class ReferenceDecoder:
    """Prefill and decode steps in PyTorch over a [layer][kv_head][position][head_dim] cache."""

    def __init__(self, stages: LlmStages, max_context: int) -> None:
        cfg = self.cfg = stages.cfg
        self.stages = stages
        self.layers = [stages.layer(i) for i in range(cfg.num_layers)]
        shape = (cfg.num_layers, cfg.num_kv_heads, max_context, cfg.head_dim)
        self.k_cache = torch.zeros(shape)
        self.v_cache = torch.zeros(shape)

    @torch.no_grad()
    def step(self, tokens: list[int], pos: int) -> torch.Tensor:
        """Run `tokens` at positions pos.. and return the last token's logits."""
        cfg, stages = self.cfg, self.stages
        ids = torch.tensor(tokens, dtype=torch.int64)
        positions = torch.arange(pos, pos + len(tokens), dtype=torch.int64)
        hidden = stages.embed(ids, positions) if stages.embed_takes_positions else stages.embed(ids)
        group = cfg.num_heads // cfg.num_kv_heads
        end = pos + len(tokens)
        causal = positions[:, None] >= torch.arange(end)[None, :]
        for index, (pre, post) in enumerate(self.layers):
            q, k, v = pre(hidden, positions) if stages.pre_takes_positions else pre(hidden)
            self.k_cache[index, :, pos:end] = k.transpose(0, 1)
            self.v_cache[index, :, pos:end] = v.transpose(0, 1)
            keys = self.k_cache[index, :, :end].repeat_interleave(group, dim=0)
            values = self.v_cache[index, :, :end].repeat_interleave(group, dim=0)
            scores = torch.einsum("chd,htd->hct", q, keys) / math.sqrt(cfg.head_dim)
            scores = scores.masked_fill(~causal[None], float("-inf"))
            attention = torch.einsum("hct,htd->chd", scores.softmax(-1), values)
            hidden = post(attention.reshape(len(tokens), -1), hidden)
        return stages.head(hidden[-1:])[0]

    def greedy(self, prompt: list[int], new_tokens: int) -> tuple[list[int], torch.Tensor]:
        """Greedy continuation of `prompt` and the prefill logits."""
        self.k_cache.zero_()
        self.v_cache.zero_()
        logits = prefill_logits = self.step(prompt, 0)
        tokens: list[int] = []
        for _ in range(new_tokens):
            tokens.append(int(logits.argmax()))
            if len(tokens) < new_tokens:
                logits = self.step([tokens[-1]], len(prompt) + len(tokens) - 1)
        return tokens, prefill_logits
