"""Precision of a compiled LLM against its float32 model, teacher-forced.

Quantized weights (fp16, int8, int4) change the logits; how much is measured
along the float32 model's own greedy continuation: the compiled kernels are fed
that continuation token by token (teacher forcing, so one early disagreement
does not derail every later step), and each step's logits are compared with
the model's. Two figures come out: the largest logit error relative to that
step's largest logit magnitude, and the rate at which the top-1 token agrees.
Used by the precision tests and `benchmarks/llm_precision.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from llmhls.runtime.generate import Backend


@dataclass(frozen=True)
class PrecisionFigures:
    """How far a compiled model's logits are from the float32 model's."""

    steps: int
    max_rel_logit_error: float  # max over steps of max|kernel - ref| / max|ref|
    top1_agreement: float  # share of steps whose argmax token agrees

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "max_rel_logit_error": round(self.max_rel_logit_error, 6),
            "top1_agreement": round(self.top1_agreement, 6),
        }


def greedy_tokens(model: Any, prompt: list[int], new_tokens: int) -> list[int]:
    """The model's greedy continuation of `prompt`: exactly `new_tokens` token ids.

    EOS is a token like any other here, as in `llmhls run --ignore-eos`: each step takes the
    argmax of the model's own forward pass over its KV cache. transformers' `generate` cannot
    serve as this reference: with `min_new_tokens` it masks EOS out of the logits, and
    without it stops at EOS.
    """
    import torch

    tokens: list[int] = []
    with torch.no_grad():
        out = model(torch.tensor([prompt]), use_cache=True)
        for _ in range(new_tokens):
            token = int(out.logits[0, -1].argmax())
            tokens.append(token)
            if len(tokens) == new_tokens:
                break
            out = model(
                torch.tensor([[token]]), past_key_values=out.past_key_values, use_cache=True
            )
    return tokens


def reference_continuation(model: Any, prompt: list[int], new_tokens: int) -> tuple[list, Any]:
    """(prompt + greedy continuation, the float32 logits predicting each new token).

    Row i of the logits predicts token len(prompt) + i of the sequence.
    """
    import torch

    sequence = [*prompt, *greedy_tokens(model, prompt, new_tokens)]
    with torch.no_grad():
        logits = model(torch.tensor([sequence])).logits[0].float().numpy()
    return sequence, logits[len(prompt) - 1 : len(sequence) - 1]


def teacher_forced_logits(backend: Backend, prompt: list[int], sequence: list[int]) -> np.ndarray:
    """The kernels' logits predicting each token of `sequence` after `prompt`, fed `sequence`."""
    backend.reset()
    logits = [backend.prefill(np.asarray(prompt, dtype=np.int32), 0)]
    for pos in range(len(prompt), len(sequence) - 1):
        logits.append(backend.decode(sequence[pos], pos))
    return np.stack(logits)


def compare_logits(logits: np.ndarray, reference: np.ndarray) -> PrecisionFigures:
    """Figures for kernel logits against reference logits, both [steps, vocab]."""
    if logits.shape != reference.shape:
        raise ValueError(f"logits {logits.shape} and reference {reference.shape} differ in shape")
    error = np.abs(logits - reference).max(axis=1) / np.abs(reference).max(axis=1)
    agreement = (logits.argmax(axis=1) == reference.argmax(axis=1)).mean()
    return PrecisionFigures(len(logits), float(error.max()), float(agreement))
