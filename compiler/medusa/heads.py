"""Medusa-1 heads: one zero-initialized residual block per head before the model's own LM head.

Head k maps the last hidden state h at position t (after the final norm) to
h + SiLU(W_k h + b_k) and guesses the token at t + k + 2 through the model's LM head,
shared and frozen, so one pass over the LM-head weights serves every head. With W and
b zero a head starts as the model's own next-token guess.

The file is safetensors: `medusa.{k}.weight` [d, d] and `medusa.{k}.bias` [d], and a
`medusa` metadata entry (JSON) with the head count, the hidden size, the per-head
top-k acceptance rates and how the heads were made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from llmhls.errors import InputError

METADATA_KEY = "medusa"


def smollm2_heads() -> Path:
    """The trained Medusa heads shipped for SmolLM2-135M-Instruct (README.md beside them)."""
    import llmhls

    return Path(llmhls.__file__).parent / "data" / "medusa" / "smollm2-135m.safetensors"


class MedusaHeads(nn.Module):
    """K residual blocks on a hidden state; `logits` runs them through an LM head."""

    def __init__(self, hidden_size: int, heads: int = 4) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(hidden_size, hidden_size) for _ in range(heads))
        for block in self.blocks:
            nn.init.zeros_(block.weight)
            nn.init.zeros_(block.bias)
        self.info: dict[str, Any] = {}
        # the tokens the heads guess among on the accelerator (`llmhls medusa vocab`):
        # the model's most frequent answer tokens; None, every token
        self.vocab: torch.Tensor | None = None

    @property
    def count(self) -> int:
        return len(self.blocks)

    @property
    def hidden_size(self) -> int:
        return self.blocks[0].in_features

    def head(self, k: int, hidden: torch.Tensor) -> torch.Tensor:
        """[..., d] -> [..., d]: head k's residual block, h + SiLU(W_k h + b_k)."""
        return hidden + nn.functional.silu(self.blocks[k](hidden))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """[..., d] -> [..., K, d]: every head's hidden state."""
        return torch.stack([self.head(k, hidden) for k in range(self.count)], dim=-2)

    def logits(self, hidden: torch.Tensor, lm_head: nn.Module) -> torch.Tensor:
        """[..., d] -> [..., K, vocab] through the (shared) LM head."""
        return lm_head(self(hidden.to(self.blocks[0].weight.dtype)).to(hidden.dtype))

    def guesses(
        self, hidden: torch.Tensor, lm_head: nn.Module, ranks: int, vocab: torch.Tensor | None
    ) -> torch.Tensor:
        """[..., d] -> [..., K, ranks]: each head's best token ids, best first, among `vocab`
        (token ids, a guessing vocabulary) when given, else among every token."""
        logits = self.logits(hidden, lm_head)
        if vocab is None:
            return logits.topk(ranks, dim=-1).indices
        kept = vocab.to(logits.device)
        return kept[logits[..., kept].topk(ranks, dim=-1).indices]

    @property
    def rates(self) -> list[list[float]] | None:
        """Per-head top-k acceptance rates measured after training, if recorded."""
        return self.info.get("acceptance_rates")

    @property
    def vocab_rates(self) -> list[list[float]] | None:
        """The rates with the guesses restricted to `vocab`, as measured with it."""
        return self.info.get("vocab", {}).get("acceptance_rates")


VOCAB_TENSOR = "medusa.vocab"  # int32 token ids, when the heads guess among those only


def save_heads(heads: MedusaHeads, path: Path, dtype: torch.dtype = torch.float16) -> None:
    """Write the heads (in `dtype`) and their metadata to a safetensors file."""
    from safetensors.torch import save_file

    tensors = {}
    for k, block in enumerate(heads.blocks):
        tensors[f"medusa.{k}.weight"] = block.weight.detach().to("cpu", dtype).contiguous()
        tensors[f"medusa.{k}.bias"] = block.bias.detach().to("cpu", dtype).contiguous()
    if heads.vocab is not None:
        tensors[VOCAB_TENSOR] = heads.vocab.to("cpu", torch.int32).contiguous()
    info = {"heads": heads.count, "hidden_size": heads.hidden_size, **heads.info}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={METADATA_KEY: json.dumps(info, sort_keys=True)})


def load_heads(path: Path, hidden_size: int | None = None) -> MedusaHeads:
    """Read heads written by `save_heads` (as float32); check them against a model's hidden size."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise InputError(f"Medusa heads file '{path}' does not exist")
    try:
        with safe_open(str(path), framework="pt") as handle:
            info = json.loads((handle.metadata() or {}).get(METADATA_KEY, "null") or "null")
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"'{path}' is not a safetensors file ({exc})") from None
    if not isinstance(info, dict) or "heads" not in info or "hidden_size" not in info:
        raise InputError(f"'{path}' has no '{METADATA_KEY}' metadata: not a Medusa heads file")
    count, size = int(info["heads"]), int(info["hidden_size"])
    if hidden_size is not None and size != hidden_size:
        raise InputError(
            f"Medusa heads '{path}' are for hidden size {size}, the model has {hidden_size}"
        )
    heads = MedusaHeads(size, count)
    state = {}
    for k in range(count):
        for part, shape in (("weight", (size, size)), ("bias", (size,))):
            name = f"medusa.{k}.{part}"
            if name not in tensors or tuple(tensors[name].shape) != shape:
                raise InputError(f"Medusa heads '{path}' lack tensor '{name}' of shape {shape}")
            state[f"blocks.{k}.{part}"] = tensors[name].float()
    heads.load_state_dict(state)
    heads.info = {k: v for k, v in info.items() if k not in ("heads", "hidden_size")}
    if VOCAB_TENSOR in tensors:
        vocab = tensors[VOCAB_TENSOR]
        if vocab.ndim != 1 or vocab.numel() == 0 or int(vocab.min()) < 0:
            raise InputError(f"Medusa heads '{path}': '{VOCAB_TENSOR}' is not a list of token ids")
        if not isinstance(heads.vocab_rates, list):
            raise InputError(
                f"Medusa heads '{path}' have a vocabulary but no rates measured with it"
            )
        heads.vocab = vocab.to(torch.int64)
    return heads.eval()
