"""The sparse candidate tree a Medusa step verifies, chosen from the heads' acceptance rates.

A node is a path of top-k ranks, one per head: (0, 2) is head 0's best token followed
by head 1's third best. The root (index 0) is the token the model itself already chose
greedily; node i sits at position `prefix + depth[i]` and attends to its ancestors only.
The tree is fixed for a given set of rates and budget, so an accelerator can bake its
mask and positions in.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import torch

from llmhls.errors import OptionError


@dataclass(frozen=True)
class MedusaTree:
    """A candidate tree in breadth-first order; index 0 is the root (the greedy token)."""

    paths: tuple[tuple[int, ...], ...]  # paths[0] == (); paths[i] the top-k ranks to node i

    @property
    def size(self) -> int:
        """Tokens one verification step feeds the model (the root included)."""
        return len(self.paths)

    @property
    def depth(self) -> int:
        """Heads the tree uses (its longest path)."""
        return max(len(p) for p in self.paths)

    @property
    def ranks(self) -> int:
        """Guesses the tree takes from each head: its nodes' highest rank + 1 (1 for a chain)."""
        return 1 + max((p[-1] for p in self.paths[1:]), default=0)

    @property
    def parents(self) -> list[int]:
        """Parent index of every node; -1 for the root."""
        index = {p: i for i, p in enumerate(self.paths)}
        return [-1] + [index[p[:-1]] for p in self.paths[1:]]

    @property
    def depths(self) -> list[int]:
        """Depth of every node (root 0): its position offset after the prefix."""
        return [len(p) for p in self.paths]

    def position_ids(self, prefix: int) -> torch.Tensor:
        """Positions of the tree tokens when `prefix` tokens are already in the cache."""
        return torch.tensor(self.depths, dtype=torch.int64) + prefix

    def attention_mask(self) -> torch.Tensor:
        """[size, size] bool: node i sees node j iff j is i or one of its ancestors."""
        parents = self.parents
        mask = torch.zeros(self.size, self.size, dtype=torch.bool)
        for i in range(self.size):
            j = i
            while j >= 0:
                mask[i, j] = True
                j = parents[j]
        return mask

    def children(self) -> list[list[int]]:
        """Children of every node, in tree order (best rank first)."""
        kids: list[list[int]] = [[] for _ in self.paths]
        for i, parent in enumerate(self.parents[1:], start=1):
            kids[parent].append(i)
        return kids


def _ordered(paths: list[tuple[int, ...]]) -> MedusaTree:
    """Breadth-first, then by ranks: parents come before their children."""
    return MedusaTree(tuple([(), *sorted(paths, key=lambda p: (len(p), p))]))


def chain_tree(heads: int) -> MedusaTree:
    """Every head's top-1 token in a row: the cheapest tree (`heads` candidate nodes)."""
    if heads < 1:
        raise OptionError(f"a chain tree needs at least one head, got {heads}")
    return _ordered([(0,) * d for d in range(1, heads + 1)])


def build_tree(rates: list[list[float]], nodes: int) -> MedusaTree:
    """Medusa's greedy tree: add, `nodes` times, the candidate with the highest expected acceptance.

    rates[h][r] is how often head h's rank-r token is the one greedy decoding picks
    (measured on calibration prompts). A path's expected acceptance is the product of
    its ranks' rates; the candidates are the children of the nodes already chosen, so
    the tree stays closed under prefixes. `nodes` excludes the root.
    """
    if nodes < 1:
        raise OptionError(f"a Medusa tree needs at least one node, got {nodes}")
    if not rates or any(not row for row in rates):
        raise OptionError("a Medusa tree needs acceptance rates for at least one head and rank")
    if any(not 0.0 <= r <= 1.0 for row in rates for r in row):
        raise OptionError("Medusa acceptance rates must lie in [0, 1]")
    chosen: list[tuple[int, ...]] = []
    # Max-heap on expected acceptance; ties go to the shorter path, then the lower ranks.
    frontier: list[tuple[float, tuple[int, ...]]] = [(-r, (k,)) for k, r in enumerate(rates[0])]
    heapq.heapify(frontier)
    while frontier and len(chosen) < nodes:
        negative, path = heapq.heappop(frontier)
        chosen.append(path)
        if len(path) < len(rates):
            for k, r in enumerate(rates[len(path)]):
                heapq.heappush(frontier, (negative * r, (*path, k)))
    return _ordered(chosen)
