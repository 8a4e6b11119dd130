"""Export one GPT-2 block (transformers, random weights, GPT-2-small width by default) to a .pt2.

    python examples/export_gpt2_block.py block.pt2 [--embd 768 --heads 12 --seq 8]

The block gets an explicit causal mask, as GPT2Model would give it.
"""

from __future__ import annotations

import argparse
import os

import torch
from torch import nn

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class CausalGpt2Block(nn.Module):
    def __init__(self, embd: int, heads: int) -> None:
        super().__init__()
        from transformers import GPT2Config
        from transformers.models.gpt2.modeling_gpt2 import GPT2Block

        config = GPT2Config(n_embd=embd, n_head=heads, n_layer=1)
        config._attn_implementation = "eager"
        self.block = GPT2Block(config, layer_idx=0)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        seq = hidden.shape[1]
        causal = torch.full((seq, seq), float("-inf")).triu(1)[None, None]
        out = self.block(hidden, attention_mask=causal)
        return out[0] if isinstance(out, tuple) else out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="where to write the .pt2")
    parser.add_argument("--embd", type=int, default=768)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--seq", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    block = CausalGpt2Block(args.embd, args.heads).eval()
    hidden = torch.randn(1, args.seq, args.embd)
    torch.export.save(torch.export.export(block, (hidden,)), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
