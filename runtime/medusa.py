"""Medusa decoding on a project compiled with `--medusa`: one engine call verifies a tree.

Each step builds the tree's tokens (the root is the greedy token after the text so
far, already output; the other nodes the heads' guesses by head and rank), runs
llm_engine in tree mode at the next position, and outputs the guesses on the path the
kernel accepted and the greedy token after them (the next root): every accepted token
is the model's own greedy choice after its parent, so the text is plain greedy
decoding's, whatever the heads guess, and no call is spent on a root alone. The
guesses are the kernel's own: it ends every tree call (and the prompt's, asked with
`propose`) with each head's best tokens after the kept row, as many ranks as the tree
takes (manifest `llm.medusa.proposal_heads` x `proposal_ranks`, after the tree's slots
in `result`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmhls.errors import OptionError
from llmhls.project import MANIFEST_FILE, LlmManifest, medusa_tree
from llmhls.runtime.generate import GenerationResult, check_prompt

TREE_PROPOSE = 2  # llm_engine's `tree`: 0 plain, 1 verify the tree, 2 plain and then guess


class ChipProposals:
    """The kernel's own guesses: head k's `ranks` best tokens after the last call's kept
    row, best first, in the `result` slots after the tree's."""

    def __init__(self, backend, tree_size: int, heads: int, ranks: int) -> None:
        self.backend, self.first = backend, 2 + tree_size
        self.heads, self.ranks = heads, ranks

    def propose(self, state: np.ndarray, heads: int, ranks: int, produced: int = 0) -> np.ndarray:
        """[heads, ranks] token ids (`produced`, the tokens output before the tree's root,
        is for proposers that guess from elsewhere, a test's oracle)."""
        count = self.heads * self.ranks
        guesses = self.backend.result()[self.first : self.first + count]
        table = np.asarray(guesses, dtype=np.int64).reshape(self.heads, self.ranks)
        return table[:heads, :ranks]


def tree_result(result: np.ndarray) -> tuple[list[int], int]:
    """A tree call's `result` buffer ([m, next token, the m accepted nodes, ...]): the
    accepted nodes (the root first) and the greedy token after them."""
    accepted = int(result[0])
    return [int(n) for n in result[2 : 2 + accepted]], int(result[1])


def medusa_section(manifest: LlmManifest) -> tuple[list[list[int]], int, int]:
    """manifest.json's llm.medusa tree: its nodes' paths, the heads it uses and the guesses
    each leaves (`medusa_tree`); a clear error when the project has no Medusa tree."""
    data = json.loads((manifest.root / MANIFEST_FILE).read_text())
    section = data.get("llm", {}).get("medusa")
    if not isinstance(section, dict):
        raise OptionError(
            f"project '{manifest.root}' was compiled without --medusa: it has no tree to verify"
        )
    return medusa_tree(section, f"{manifest.root / MANIFEST_FILE}: ")


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
    paths, depth, ranks = medusa_section(manifest)  # breadth-first; paths[0] the root
    size = len(paths)
    on_chip = proposals is None
    if on_chip:
        proposals = ChipProposals(backend, size, depth, ranks)
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
