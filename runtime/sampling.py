"""Next-token selection for the LLM host runtime.

The rules follow Hugging Face `generate` so that a model compiled by llmhls picks the same tokens as
the reference: temperature 0 is greedy decoding (argmax, ties to the lowest index like
`torch.argmax`); otherwise the logits go through temperature, then top-k, then top-p (the order of
`TemperatureLogitsWarper`, `TopKLogitsWarper`, `TopPLogitsWarper`), and the next token is drawn from
the softmax of what is left. All arithmetic is float64 and the draws come from one seeded
`numpy.random.Generator(PCG64(seed))`, so a seed and a logits sequence always give the same tokens.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from llmhls.errors import OptionError

__all__ = ["Sampler", "SamplingOptions", "token_probabilities", "warp_logits"]


def _is_integer(value: object) -> bool:
    """True for Python/numpy integers; bool is excluded because `--top-k True` is a mistake."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    """True for Python/numpy real numbers other than bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _show(value: object) -> str:
    """The value as the user would have typed it (`-1`, not `-1.0`)."""
    if _is_real(value):
        return f"{float(value):g}" if not _is_integer(value) else str(int(value))
    return repr(value)


@dataclass(frozen=True)
class SamplingOptions:
    """How the next token is chosen; the defaults are greedy decoding."""

    temperature: float = 0.0  # 0 = greedy (argmax); > 0 divides the logits before sampling
    top_k: int = 0  # 0 = off; otherwise keep the k highest logits (ties at the k-th all kept)
    top_p: float = 1.0  # 1.0 = off; otherwise keep the smallest head with mass >= top_p
    seed: int = 0  # seed of the PCG64 generator used for the draws

    @property
    def greedy(self) -> bool:
        """Temperature 0 means argmax; top-k and top-p then have no effect (as in HF greedy)."""
        return self.temperature == 0

    def validate(self) -> None:
        """Raise OptionError naming the first bad option, so the CLI can print one line."""
        t = self.temperature
        if not _is_real(t):
            raise OptionError(f"--temperature {_show(t)} must be a number >= 0")
        if not math.isfinite(float(t)):
            raise OptionError(f"--temperature {_show(t)} must be a finite number >= 0")
        if t < 0:
            raise OptionError(f"--temperature {_show(t)} must be >= 0")

        k = self.top_k
        if not _is_integer(k):
            raise OptionError(f"--top-k {_show(k)} must be an integer >= 0")
        if k < 0:
            raise OptionError(f"--top-k {_show(k)} must be >= 0")

        p = self.top_p
        if not _is_real(p) or not (0.0 < float(p) <= 1.0):
            raise OptionError(f"--top-p {_show(p)} must be in (0, 1]")

        s = self.seed
        if not _is_integer(s) or s < 0:
            raise OptionError(f"--seed {_show(s)} must be a non-negative integer")


def _checked_logits(logits: np.ndarray) -> np.ndarray:
    """The logits as float64; a bad array is a bug in the caller (ValueError), not user input."""
    array = np.asarray(logits)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D array, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"logits must be a real numeric array, got dtype {array.dtype}")
    values = array.astype(np.float64)
    bad = np.flatnonzero(np.isnan(values) | np.isposinf(values))
    if bad.size:
        raise ValueError(f"logits contain {values[bad[0]]} at index {int(bad[0])}")
    if np.isneginf(values).all():
        raise ValueError("logits are all -inf: no token can be chosen")
    return values


def _softmax(scores: np.ndarray) -> np.ndarray:
    """Float64 softmax where -inf scores get probability 0 (at least one score is finite)."""
    shifted = scores - scores.max()
    weights = np.exp(shifted)
    return weights / weights.sum()


def warp_logits(logits: np.ndarray, options: SamplingOptions) -> np.ndarray:
    """Float64 scores after temperature, top-k and top-p, removed tokens set to -inf.

    Mirrors HF's warpers (min_tokens_to_keep=1), including their edge cases: top-k keeps every
    token tied with the k-th highest score; top-p sorts ascending with a stable sort, drops tokens
    whose ascending cumulative probability is <= 1 - top_p and always keeps the highest one. With
    temperature 0 only the argmax is kept, like greedy decoding.
    """
    options.validate()
    return _warp(_checked_logits(logits), options)


def _warp(scores: np.ndarray, options: SamplingOptions) -> np.ndarray:
    """warp_logits on already checked float64 logits with already validated options."""
    if options.greedy:
        kept = np.full_like(scores, -np.inf)
        best = int(np.argmax(scores))
        kept[best] = scores[best]
        return kept

    # Temperature: shifting by the max first is exact up to rounding and keeps a tiny temperature
    # from overflowing to +inf.
    if options.temperature != 1.0:
        scores = (scores - scores.max()) / float(options.temperature)

    if options.top_k != 0:
        k = min(int(options.top_k), scores.size)
        threshold = np.partition(scores, scores.size - k)[scores.size - k]
        scores = np.where(scores < threshold, -np.inf, scores)

    if options.top_p < 1.0:
        order = np.argsort(scores, kind="stable")
        cumulative = np.cumsum(_softmax(scores[order]))
        remove_sorted = cumulative <= 1.0 - float(options.top_p)
        remove_sorted[-1] = False
        remove = np.empty_like(remove_sorted)
        remove[order] = remove_sorted
        scores = np.where(remove, -np.inf, scores)
    return scores


def token_probabilities(logits: np.ndarray, options: SamplingOptions) -> np.ndarray:
    """Float64 probability of each token under `options` (zeros for removed tokens)."""
    return _softmax(warp_logits(logits, options))


class Sampler:
    """Picks tokens one at a time; holds the seeded generator so a generation is reproducible."""

    def __init__(self, options: SamplingOptions) -> None:
        options.validate()
        self.options = options
        self._rng = np.random.Generator(np.random.PCG64(int(options.seed)))

    def next_token(self, logits: np.ndarray) -> int:
        """The next token id for these logits; advances the generator by one draw when sampling."""
        if self.options.greedy:
            return int(np.argmax(_checked_logits(logits)))
        probs = _softmax(_warp(_checked_logits(logits), self.options))
        kept = np.flatnonzero(probs > 0.0)
        cdf = np.cumsum(probs[kept])
        u = self._rng.random() * cdf[-1]
        index = min(int(np.searchsorted(cdf, u, side="right")), kept.size - 1)
        return int(kept[index])
