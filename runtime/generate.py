"""Text generation on a compiled LLM project: tokenize, prefill, decode, sample, stream.

The backend (csim or xrt) owns the kernels and the KV cache; this loop owns the
positions, the sampling and the text. Tokens/s are measured over the decode
steps only (prefill is timed apart), the way decoding rates are usually quoted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from llmhls.errors import InputError, OptionError
from llmhls.project import HostSpec, LlmManifest
from llmhls.runtime.sampling import Sampler, SamplingOptions

BACKENDS = ("csim", "xrt")


class Backend(Protocol):
    name: str

    def reset(self) -> None: ...
    def prefill(self, tokens: np.ndarray, start_pos: int) -> np.ndarray: ...
    def decode(self, token: int, pos: int) -> np.ndarray: ...


@dataclass
class GenerationResult:
    prompt_tokens: list[int]
    tokens: list[int]
    text: str | None
    prefill_s: float
    decode_s: float
    stopped_by: str  # "max_new_tokens", "eos" or "max_context"
    logits: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def tokens_per_s(self) -> float:
        """New tokens per second of decode (the first new token comes from prefill)."""
        steps = max(len(self.tokens) - 1, 0)
        return steps / self.decode_s if self.decode_s > 0 else 0.0

    def to_json(self, backend: str) -> dict[str, Any]:
        return {
            "backend": backend,
            "prompt_tokens": len(self.prompt_tokens),
            "prompt_ids": self.prompt_tokens,
            "tokens": self.tokens,
            "text": self.text,
            "stopped_by": self.stopped_by,
            "prefill_s": round(self.prefill_s, 6),
            "decode_s": round(self.decode_s, 6),
            "tokens_per_s": round(self.tokens_per_s, 3),
        }


def open_backend(name: str, manifest: LlmManifest, xclbin: Path | None) -> Backend:
    """The backend `name` over the project, once every weight file checks (size, digest)."""
    if name not in BACKENDS:
        raise OptionError(f"--backend {name} is not one of {', '.join(BACKENDS)}")
    for arg in manifest.llm.weights:  # before a backend builds or loads anything
        arg.weight_path(manifest.root)
    if name == "csim":
        from llmhls.runtime.csim_backend import CsimBackend

        return CsimBackend(manifest)
    from llmhls.runtime.xrt_backend import XrtBackend

    return XrtBackend(manifest.root, manifest.llm, xclbin)


def load_tokenizer(manifest: LlmManifest) -> Any:
    if not manifest.tokenizer:
        raise InputError(
            f"project '{manifest.root}' has no tokenizer (the model shipped none): use --prompt-ids"
        )
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(manifest.root / manifest.tokenizer, local_files_only=True)


def check_prompt(prompt_ids: list[int], max_new_tokens: int, llm: HostSpec) -> None:
    """Reject what the kernels cannot run, each with one line naming the limit."""
    if not prompt_ids:
        raise OptionError("the prompt is empty: give --prompt text or --prompt-ids with a token")
    if max_new_tokens < 1:
        raise OptionError(f"--max-new-tokens {max_new_tokens} must be at least 1")
    context = llm.max_context
    if len(prompt_ids) > context:
        raise OptionError(
            f"the prompt has {len(prompt_ids)} tokens, more than the project's "
            f"--max-context {context}"
        )
    vocab = llm.vocab_size
    bad = [t for t in prompt_ids if not 0 <= t < vocab]
    if bad:
        raise OptionError(f"prompt token id {bad[0]} is outside the vocabulary 0..{vocab - 1}")


def generate(
    backend: Backend,
    llm: HostSpec,
    prompt_ids: list[int],
    max_new_tokens: int,
    sampling: SamplingOptions,
    *,
    stop_at_eos: bool = True,
    on_token: Callable[[int], None] | None = None,
    keep_logits: bool = False,
) -> GenerationResult:
    """Prefill the prompt, then decode until max_new_tokens, EOS or the context is full."""
    check_prompt(prompt_ids, max_new_tokens, llm)
    sampler = Sampler(sampling)
    context = llm.max_context
    eos = llm.eos_token_id if stop_at_eos else None
    backend.reset()
    start = time.perf_counter()
    logits = backend.prefill(np.asarray(prompt_ids, dtype=np.int32), 0)
    prefill_s = time.perf_counter() - start
    tokens: list[int] = []
    kept: list[np.ndarray] = []
    pos = len(prompt_ids)
    stopped_by = "max_new_tokens"
    start = time.perf_counter()
    while True:
        if keep_logits:
            kept.append(logits)
        token = sampler.next_token(logits)
        tokens.append(token)
        if on_token is not None:
            on_token(token)
        if eos is not None and token == eos:
            stopped_by = "eos"
            break
        if len(tokens) >= max_new_tokens:
            break
        if pos >= context:
            stopped_by = "max_context"
            break
        logits = backend.decode(token, pos)
        pos += 1
    decode_s = time.perf_counter() - start
    return GenerationResult(list(prompt_ids), tokens, None, prefill_s, decode_s, stopped_by, kept)


class TextStream:
    """Prints decoded text as tokens arrive, only the part that is new since the last token."""

    def __init__(self, tokenizer: Any, write: Callable[[str], None]) -> None:
        self.tokenizer = tokenizer
        self.write = write
        self.tokens: list[int] = []
        self.shown = ""

    def __call__(self, token: int) -> None:
        self.tokens.append(token)
        text = self.tokenizer.decode(self.tokens, skip_special_tokens=True)
        # A partial multi-byte character decodes to U+FFFD: wait for the next token.
        if text.endswith("\ufffd"):
            return
        if text.startswith(self.shown):
            self.write(text[len(self.shown) :])
        self.shown = text
