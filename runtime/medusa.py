"""Medusa decoding on a project compiled with `--medusa`: one engine call verifies a tree.

Each step builds the tree's tokens (the root is the greedy token after the text so
far, already output; the other nodes the heads' guesses by head and rank), runs
llm_engine in tree mode at the next position, and outputs the guesses on the path the
kernel accepted and the greedy token after them (the next root): every accepted token
is the model's own greedy choice after its parent, so the text is plain greedy
decoding's, whatever the heads guess, and no call is spent on a root alone. Where the
guesses come from is the project's (manifest `llm.medusa.proposals`): "chip", the
kernel ends every tree call (and the prompt's, asked with `propose`) with each head's
argmax after the kept row; "host", a tree through ranks > 0, the heads' blocks and the
LM head as the engine reads it run here on the kernel's `state` (the last kept row's
final hidden state).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llmhls.errors import InputError, OptionError
from llmhls.project import MANIFEST_FILE, LlmManifest, check_file_bytes
from llmhls.runtime.generate import GenerationResult, check_prompt


class HostProposals:
    """The heads' guesses from a hidden state: h + SiLU(W_k h + b_k), then the LM head."""

    def __init__(self, root: Path, section: dict[str, Any], hidden: int, vocab: int) -> None:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        path = root / section["heads"]
        try:
            tensors = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise InputError(f"{path}: not the project's Medusa heads ({exc})") from None
        self.weights, self.biases = [], []
        for k in range(int(section["head_count"])):
            for name, shape, kept in (
                ("weight", (hidden, hidden), self.weights),
                ("bias", (hidden,), self.biases),
            ):
                value = tensors.get(f"medusa.{k}.{name}")
                if value is None or value.shape != shape:
                    raise InputError(f"{path}: no medusa.{k}.{name} of shape {shape}")
                kept.append(value.astype(np.float32))
        self.vocab = None  # the heads' guessing vocabulary: lm_head.bin's rows' token ids
        if "vocab" in section:
            path = root / section["vocab"]
            self.vocab = np.fromfile(path, dtype=np.int32) if path.is_file() else np.zeros(0)
            if self.vocab.size == 0 or not ((self.vocab >= 0) & (self.vocab < vocab)).all():
                raise InputError(f"{path}: not the Medusa heads' guessing vocabulary")
        rows = vocab if self.vocab is None else self.vocab.size
        path = root / section["lm_head"]
        check_file_bytes(path, rows * hidden * 2, "Medusa", "lm_head", f"{rows} x {hidden} fp16")
        self.lm_head = np.fromfile(path, dtype=np.float16).reshape(rows, hidden).astype(np.float32)

    def propose(self, state: np.ndarray, heads: int, ranks: int, produced: int = 0) -> np.ndarray:
        """[heads, ranks] token ids, best first (`produced`, the tokens output before the
        tree's root, is for proposers that guess from elsewhere, a test's oracle)."""
        rows = []
        for k in range(heads):
            z = self.weights[k] @ state + self.biases[k]
            rows.append(state + z / (1.0 + np.exp(-z)))
        logits = np.stack(rows) @ self.lm_head.T
        best = np.argsort(-logits, axis=-1, kind="stable")[:, :ranks]
        return best if self.vocab is None else self.vocab[best]


TREE_PROPOSE = 2  # llm_engine's `tree`: 0 plain, 1 verify the tree, 2 plain and then guess


class ChipProposals:
    """The kernel's own guesses: head k's argmax after the last call's kept row, in the
    `result` slots after the tree's."""

    def __init__(self, backend, tree_size: int, heads: int) -> None:
        self.backend, self.first, self.heads = backend, 2 + tree_size, heads

    def propose(self, state: np.ndarray, heads: int, ranks: int, produced: int = 0) -> np.ndarray:
        guesses = self.backend.result()[self.first : self.first + self.heads]
        return np.asarray(guesses, dtype=np.int64).reshape(self.heads, 1)[:heads, :ranks]


def tree_result(result: np.ndarray) -> tuple[list[int], int]:
    """A tree call's `result` buffer ([m, next token, the m accepted nodes, ...]): the
    accepted nodes (the root first) and the greedy token after them."""
    accepted = int(result[0])
    return [int(n) for n in result[2 : 2 + accepted]], int(result[1])


def medusa_section(manifest: LlmManifest) -> dict[str, Any]:
    """manifest.json's llm.medusa; a clear error when the project has no Medusa tree."""
    data = json.loads((manifest.root / MANIFEST_FILE).read_text())
    section = data.get("llm", {}).get("medusa")
    if not isinstance(section, dict):
        raise OptionError(
            f"project '{manifest.root}' was compiled without --medusa: it has no tree to verify"
        )
    keys = ["heads", "tree_paths"]
    keys += ["proposal_heads"] if section.get("proposals") == "chip" else ["lm_head"]
    for key in keys:
        if key not in section:
            raise InputError(f"{manifest.root / MANIFEST_FILE}: llm.medusa has no '{key}'")
    return section


@dataclass
class MedusaResult(GenerationResult):
    accepted: list[int] = field(default_factory=list)  # tokens each verify step produced

    @property
    def accepted_per_step(self) -> float:
        return sum(self.accepted) / max(len(self.accepted), 1)

    def to_json(self, backend: str) -> dict[str, Any]:
        return super().to_json(backend) | {
            "accepted_per_step": round(self.accepted_per_step, 4),
            "verify_steps": len(self.accepted),
        }


def medusa_generate(
    backend,
    manifest: LlmManifest,
    prompt_ids: list[int],
    max_new_tokens: int,
    *,
    stop_at_eos: bool = True,
    on_token=None,
    proposals=None,
) -> MedusaResult:
    """Greedy decoding with the kernel's tree mode: the same tokens, fewer engine calls."""
    llm = manifest.llm
    check_prompt(prompt_ids, max_new_tokens, llm)
    section = medusa_section(manifest)
    paths = [tuple(p) for p in section["tree_paths"]]  # breadth-first; paths[0] the root
    size, depth = len(paths), max(len(p) for p in paths)
    hidden = backend.state().size
    on_chip = proposals is None and section.get("proposals") == "chip"
    if on_chip:
        proposals = ChipProposals(backend, size, int(section["proposal_heads"]))
    elif proposals is None:
        proposals = HostProposals(manifest.root, section, hidden, llm.vocab_size)
    ranks = 1 + max(p[-1] for p in paths[1:])
    head_of = [len(p) - 1 for p in paths]
    rank_of = [p[-1] if p else 0 for p in paths]
    eos = llm.eos_token_id if stop_at_eos else None
    backend.reset()
    start = time.perf_counter()
    logits = backend.prefill(np.asarray(prompt_ids, dtype=np.int32), 0, propose=on_chip)
    prefill_s = time.perf_counter() - start
    state = backend.state()
    prefix = len(prompt_ids)
    result = MedusaResult(list(prompt_ids), [], None, prefill_s, 0.0, "max_new_tokens")
    start = time.perf_counter()
    new = [int(np.argmax(logits))]  # the tokens to output; the last, the next call's root
    while True:
        for token in new:
            result.tokens.append(token)
            if on_token is not None:
                on_token(token)
            if eos is not None and token == eos:
                result.stopped_by = "eos"
                break
            if len(result.tokens) >= max_new_tokens:
                break
        if result.stopped_by == "eos" or len(result.tokens) >= max_new_tokens:
            break
        if prefix >= llm.max_context:
            result.stopped_by = "max_context"
            break
        root = new[-1]
        if prefix + size <= llm.max_context:
            produced = len(result.tokens) - 1  # the tokens output before the root
            guesses = proposals.propose(state, depth, ranks, produced=produced)
            nodes = [root] + [int(guesses[head_of[i], rank_of[i]]) for i in range(1, size)]
            path, after = backend.verify(np.asarray(nodes, dtype=np.int32), prefix)
            state = backend.state()
            new = [nodes[n] for n in path[1:]] + [after]
        else:  # no room for the whole tree: plain steps
            new = [int(np.argmax(backend.decode(root, prefix)))]
        result.accepted.append(len(new))  # the nodes it kept: the root and the guesses accepted
        prefix += len(new)
    result.decode_s = time.perf_counter() - start
    return result
