"""The numbers that shape Medusa heads, torch-free so that `llmhls medusa train --help` is fast."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class TrainOptions:
    """How the heads are trained."""

    steps: int = 1500
    lr: float = 1e-3
    batch_tokens: int = 8192  # padded tokens per batch, at most
    warmup: int = 50
    weight_decay: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Recipe:
    """Which prompts, how the model answers them, and how the heads learn from the answers."""

    heads: int = 4
    prompts: int = 1000  # each answered greedily and sampled
    calibration_prompts: int = 64
    max_new_tokens: int = 256
    temperature: float = 0.7  # of the sampled answers
    top_k: int = 10  # ranks whose acceptance rate is measured
    batch_size: int = 64  # prompts answered at once
    train: TrainOptions = field(default_factory=TrainOptions)
