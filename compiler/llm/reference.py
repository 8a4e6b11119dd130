"""PyTorch reference of the accelerator: the same layers, the same weights, a KV cache in torch.

It is the golden model the LLM testbench checks against. It runs the whole
decoder layers as written (weights as stored, quantized or not; PyTorch's own
scaled_dot_product_attention over the cache), before the KV-cache pass cuts
them, so it is independent of that pass and of the C++ attention template.
For float32 weights it reproduces transformers' greedy generation.
"""

from __future__ import annotations

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
        stages = self.stages
        ids = torch.tensor(tokens, dtype=torch.int64)
        positions = torch.arange(pos, pos + len(tokens), dtype=torch.int64)
        hidden = stages.embed(ids, positions) if stages.embed_takes_positions else stages.embed(ids)
        for index, layer in enumerate(self.layers):
            hidden, self.k_cache[index], self.v_cache[index] = layer(
                hidden, positions, self.k_cache[index], self.v_cache[index]
            )
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
