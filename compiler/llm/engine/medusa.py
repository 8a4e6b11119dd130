"""The engine's Medusa tree: which tree a verify step checks, and what it is estimated to gain.

A verify step feeds the engine the tree's T nodes as one step of T rows: every weight
word serves all of them, so the step costs about one decode step while T rows fit the
units' row lanes, and more once the MACs bind. Its gain is the expected accepted length
(1 + the sum over the tree's nodes of the product of their ranks' acceptance rates,
Medusa's own estimate) times decode steps per verify step. The tree is the hardware's
choice: `--tree auto` takes the size with the most estimated tokens/s on the part.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from llmhls.compiler.llm.engine.banks import head_shares_units
from llmhls.compiler.llm.engine.layout import EncodedMatrix, Phase, blocked_phase, encode
from llmhls.compiler.medusa.heads import MedusaHeads, load_heads
from llmhls.compiler.medusa.tree import MedusaTree, build_tree
from llmhls.errors import InputError
from llmhls.targets import Target

HEADS_FILE = "data/medusa/heads.safetensors"  # the heads the project was built with, as given


def tree_heads(path: str, hidden_size: int, vocab_size: int) -> MedusaHeads:
    """The heads `--medusa` names, with the acceptance rates their tree is built from."""
    heads = load_heads(Path(path), hidden_size)
    if not heads.rates:
        raise InputError(
            f"Medusa heads '{path}' record no acceptance rates (`llmhls medusa train` "
            "measures them): the verify tree is built from them"
        )
    if heads.vocab is not None and int(heads.vocab.max()) >= vocab_size:
        raise InputError(
            f"Medusa heads '{path}': their guessing vocabulary names token "
            f"{int(heads.vocab.max())}, the model has {vocab_size} tokens"
        )
    return heads


def heads_phase(fmt: str, hidden: int, channels: int) -> Phase:
    """One head's block (hidden x hidden) as the layers' units stream it."""
    return blocked_phase(Phase("medusa", fmt, hidden, hidden), channels)


def heads_matrices(heads: MedusaHeads, depth: int, linear) -> list[EncodedMatrix]:
    """The blocks of heads 0..depth-1 in the layers' format, in the order the kernel
    runs them (their biases go to the aux stream's final block)."""
    return [
        encode("medusa", [linear(block.weight.detach().to(torch.float32), None)])
        for block in list(heads.blocks)[:depth]
    ]


def proposals_phase(fmt: str, rows: int, hidden: int, channels: int) -> Phase:
    """The LM head's rows of the heads' guessing vocabulary, as the LM head's units stream
    them."""
    return blocked_phase(Phase("proposals", fmt, rows, hidden), channels)


def proposals_matrix(heads: MedusaHeads, lm_head) -> EncodedMatrix | None:
    """The LM head's rows of the heads' guessing vocabulary (its codes as the head stores
    them), or None: the heads guess among every token, over the LM head itself."""
    if heads.vocab is None:
        return None
    return encode("proposals", [lm_head], rows=heads.vocab.numpy())


def heads_biases(heads: MedusaHeads, depth: int) -> torch.Tensor:
    """Heads 0..depth-1's biases, one after another."""
    return torch.cat([block.bias.detach().to(torch.float32) for block in heads.blocks[:depth]])


def expected_accepted(tree: MedusaTree, rates: list[list[float]]) -> float:
    """Tokens a verify step is expected to produce: the root plus each node's chance."""
    total = 1.0
    for path in tree.paths[1:]:
        total += math.prod(rates[head][rank] for head, rank in enumerate(path))
    return total


def sees_masks(tree: MedusaTree) -> list[str]:
    """Each node's ancestors (itself included) as a C++ 64-bit mask: bit s, node s."""
    mask = tree.attention_mask()
    return [
        f"0x{sum(1 << s for s in range(tree.size) if mask[t, s]):x}ULL" for t in range(tree.size)
    ]


@dataclass(frozen=True)
class TreeEstimate:
    """A tree's estimate on the part: tokens a step and the step's cycles against decode's."""

    tree: MedusaTree
    accepted: float
    verify_cycles: float
    decode_cycles: float
    bound: str
    head_lanes: int = 1  # rows the LM head's own units take a cycle (EnginePlan.head_lanes)

    @property
    def speedup(self) -> float:
        return self.accepted * self.decode_cycles / self.verify_cycles

    @property
    def ceiling(self) -> float:
        """The speed-up if the heads were always right (a step accepts the tree's depth
        + 1 tokens): what the step's cost allows, whatever heads are trained."""
        return (self.tree.depth + 1) * self.decode_cycles / self.verify_cycles

    def as_dict(self, clock: float) -> dict[str, Any]:
        return {
            "tree_tokens": self.tree.size,
            "tree_depth": self.tree.depth,
            "expected_accepted_per_step": round(self.accepted, 3),
            "verify_step_cycles": round(self.verify_cycles),
            "verify_bound": self.bound,
            "estimated_tokens_per_s": round(self.accepted * clock * 1e6 / self.verify_cycles, 2),
            "estimated_speedup": round(self.speedup, 3),
            "head_lanes": self.head_lanes,
        }


MACS_BOUND = "the units' MACs (row lanes)"


def estimate_tree(
    plan, cfg, target: Target, clock: float, tree: MedusaTree, rates, decode_cycles: float
) -> TreeEstimate:
    """The verify step of `tree` at position 0 (the engine model) against a decode step of
    `decode_cycles` on the same plan."""
    from llmhls.compiler.llm.engine.build import FIFO_DEPTH
    from llmhls.compiler.llm.engine.performance import step_cycles

    verify = step_cycles(plan, cfg, target, clock, 0, FIFO_DEPTH, tree.size, tree=True)
    parts = {  # the step's largest share names what bounds it
        MACS_BOUND: verify.gemv_compute,
        "weight streaming (bandwidth)": verify.gemv_memory,
        "the vector unit, row by row": verify.vector + verify.attention,
    }
    bound = max(parts, key=parts.__getitem__)
    accepted = expected_accepted(tree, rates)
    return TreeEstimate(tree, accepted, verify.cycles, decode_cycles, bound, plan.head_lanes)


def head_lane_trials(plan, cfg, target: Target, clock: float, tree: MedusaTree) -> list:
    """The plan with each number of row lanes the LM head's own units may take for `tree`:
    1, and the divisors of its size that keep the build within the resource budget; only
    1 when the head runs on the layers' units, whose lanes are the layers'."""
    from llmhls.compiler.llm.engine.build import FIFO_DEPTH
    from llmhls.compiler.llm.engine.performance import fits

    trials = [dataclasses.replace(plan, head_lanes=1)]
    if head_shares_units(plan.layout):
        return trials
    for lanes in [d for d in range(2, tree.size + 1) if tree.size % d == 0]:
        trial = dataclasses.replace(plan, head_lanes=lanes)
        if fits(trial, cfg, target, clock, FIFO_DEPTH):
            trials.append(trial)
    return trials


def choose_tree(plan, cfg, target: Target, clock: float, rates, size: str) -> list[TreeEstimate]:
    """Every candidate tree's estimate, the chosen one first: `size` nodes, or (auto) the
    size from 2 to the step's rows with the most estimated tokens/s. Each size takes the
    LM head's own units at the row lanes that give it the most (the fewest of equals)."""
    from llmhls.compiler.llm.engine.build import FIFO_DEPTH
    from llmhls.compiler.llm.engine.performance import step_cycles

    sizes = [int(size)] if size != "auto" else list(range(2, max(plan.rows, 2) + 1))
    estimates = []
    decode: dict[int, float] = {}  # a decode step's cycles, by the step's rows (its banks)
    for n in sizes:
        tree = build_tree(rates, n - 1)
        rows = max(plan.rows, tree.size)
        with plan_rows(plan, rows, tree):
            if rows not in decode:
                decode[rows] = step_cycles(plan, cfg, target, clock, 0, FIFO_DEPTH).cycles
            options = [
                estimate_tree(trial, cfg, target, clock, tree, rates, decode[rows])
                for trial in head_lane_trials(plan, cfg, target, clock, tree)
            ]
            estimates.append(max(options, key=lambda e: (round(e.speedup, 9), -e.head_lanes)))
    best = max(estimates, key=lambda e: (round(e.speedup, 9), -e.tree.size))
    return [best, *(e for e in estimates if e is not best)]


def wider_units(plan, cfg, target: Target, clock: float, rates) -> dict[str, Any] | None:
    """The chosen tree's step on the next wider layer units (row lanes: the next divisor
    of the step's rows) when the units' MACs bind it: the hardware a gain asks for, its
    estimate against that build's own decode step, and its share of the part (its float adds
    on DSPs when that fits, else on LUTs when that does). None when the MACs do not bind
    or no wider units exist."""
    from llmhls.compiler.llm.engine.build import FIFO_DEPTH
    from llmhls.compiler.llm.engine.performance import (
        FLOAT_ADDS,
        RESOURCE_BUDGET,
        engine_resources,
        step_cycles,
        utilization,
    )

    chosen = plan.trees[0]
    wider = [d for d in range(plan.row_lanes + 1, plan.rows + 1) if plan.rows % d == 0]
    if chosen.bound != MACS_BOUND or not wider:
        return None
    trials = [dataclasses.replace(plan, row_lanes=wider[0], float_adds=a) for a in FLOAT_ADDS]
    shares = [utilization(engine_resources(t, cfg, clock, FIFO_DEPTH), target) for t in trials]
    # the float adds on DSPs when that fits, else on LUTs if that does, else the build least
    # over the budget
    fitting = [max(used.values()) <= RESOURCE_BUDGET for used in shares]
    pick = (
        fitting.index(True)
        if any(fitting)
        else min(range(len(trials)), key=lambda i: max(shares[i].values()))
    )
    trial, used = trials[pick], shares[pick]
    decode = step_cycles(trial, cfg, target, clock, 0, FIFO_DEPTH).cycles
    estimate = estimate_tree(trial, cfg, target, clock, chosen.tree, rates, decode)
    return {
        "row_lanes": trial.row_lanes,
        "float_adds": trial.float_adds,
        "verify_step_cycles": round(estimate.verify_cycles),
        "decode_step_cycles": round(decode),
        "verify_bound": estimate.bound,
        "estimated_speedup": round(estimate.speedup, 3),
        "utilization": {k: round(v, 3) for k, v in used.items()},
        "fits": fitting[pick],
    }


@contextmanager
def plan_rows(plan, rows: int, tree: MedusaTree) -> Iterator[None]:
    """The plan with `rows` and `tree` for the duration of an estimate."""
    saved = (plan.rows, plan.tree)
    plan.rows, plan.tree = rows, tree
    try:
        yield
    finally:
        plan.rows, plan.tree = saved


CHIP = "chip"  # manifest llm.medusa.proposals: the kernel runs the heads


def medusa_manifest(plan, heads: MedusaHeads) -> dict[str, Any]:
    """manifest.json's `llm.medusa`: the tree the kernel has built in and where a call
    leaves the heads' guesses for the next tree."""
    tree = plan.tree
    heads_used, ranks = plan.proposal_heads, plan.proposal_ranks
    return {
        "heads": HEADS_FILE,
        "head_count": heads.count,
        "tree_paths": [list(p) for p in tree.paths],
        "tree_parents": tree.parents,
        "tree_depths": tree.depths,
        "proposals": CHIP,
        "proposal_heads": heads_used,
        "proposal_ranks": ranks,
        "result_layout": "[accepted m, next token, the m accepted nodes, unused up to "
        f"{tree.size} slots, then head 0..{heads_used - 1}'s {ranks} best guesses, "
        "best first]",
    }


def medusa_report(plan, clock: float) -> dict[str, Any]:
    """report.json's `medusa`: the chosen tree's estimate, then every size considered."""
    chosen, *others = plan.trees
    verdict = (
        "a verify step gains on plain decode"
        if chosen.speedup > 1.0
        else f"plain decode is faster on this part: even the best tree's step is bound by "
        f"{chosen.bound}"
    )
    return {
        **chosen.as_dict(clock),
        "verdict": verdict,
        "speedup_if_every_guess_accepted": round(chosen.ceiling, 3),
        "decode_step_cycles": round(chosen.decode_cycles),
        "chosen_by": "--tree auto: the most estimated tokens/s"
        if others
        else f"--tree {chosen.tree.size}",
        "proposals": (
            "on chip: each head's block and the LM head over the heads' rows, after the tree, "
            + (
                "each head's argmax"
                if plan.proposal_ranks == 1
                else f"each head's {plan.proposal_ranks} best"
            )
        )
        + (
            ""
            if plan.proposal_vocab is None
            else f", among the {len(plan.proposal_vocab):,} tokens of the heads' guessing "
            "vocabulary (its LM-head rows only; the tree from the rates measured with it)"
        ),
        "wider_units": plan.wider_units,
        "candidates": [e.as_dict(clock) for e in sorted(plan.trees, key=lambda e: e.tree.size)],
    }


def medusa_files(heads_path: str) -> dict[str, Any]:
    """The heads file as given: the record of what the kernel's heads were built from."""
    import numpy as np

    return {HEADS_FILE: np.frombuffer(Path(heads_path).read_bytes(), dtype=np.uint8)}
