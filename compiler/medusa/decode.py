"""The PyTorch reference of Medusa decoding: model + heads + tree, verified exactly against greedy.

A step feeds the tree (root = the model's own greedy token, then the heads' guesses) to
the model in one forward pass with the tree's attention mask and positions, accepts
the longest path whose every token is the model's greedy choice after its parent, and
moves that path's K/V rows into place behind the prefix. Its output is plain greedy
decoding's, token for token; only the number of forward passes changes. (Exactly so up
to floating-point near-ties: a node's logits come from one masked pass over the tree
rather than token by token, which may round differently; in float32 no difference was
seen on SmolLM2, benchmarks/medusa.py counts it.) Llama-family and GPT-2 models.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn

from llmhls.compiler.medusa.heads import MedusaHeads
from llmhls.compiler.medusa.tree import MedusaTree
from llmhls.errors import OptionError


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class CausalLm:
    """A transformers causal LM as: tokens at positions (with a mask) -> hidden states, logits."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model.eval()
        self.body = model.base_model
        self.lm_head = model.get_output_embeddings()
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype

    @torch.no_grad()
    def forward(
        self, tokens: torch.Tensor, positions: torch.Tensor, cache, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, object]:
        """Run tokens [n] at positions [n] behind `cache`; mask [n, n]: which of them each sees.

        Returns the final (normed) hidden states [n, d], the logits [n, vocab] and the cache.
        """
        kwargs = {}
        if mask is not None:
            past = 0 if cache is None else cache.get_seq_length()
            full = torch.ones(len(tokens), past + len(tokens), dtype=torch.bool, device=self.device)
            full[:, past:] = mask.to(self.device)
            additive = torch.zeros(full.shape, dtype=self.dtype, device=self.device)
            additive.masked_fill_(~full, torch.finfo(self.dtype).min)
            kwargs["attention_mask"] = additive[None, None]
        out = self.body(
            input_ids=tokens[None].to(self.device),
            position_ids=positions[None].to(self.device),
            past_key_values=cache,
            use_cache=True,
            **kwargs,
        )
        hidden = out.last_hidden_state[0]
        return hidden, self.lm_head(hidden), out.past_key_values


def keep_path(cache, prefix: int, accepted: list[int]) -> None:
    """Keep, after the first `prefix` cache rows, only the tree nodes `accepted` (in that order)."""
    index = torch.tensor([*range(prefix), *(prefix + a for a in accepted)])
    for layer in cache.layers:  # transformers' DynamicLayer: [batch, kv_heads, rows, head_dim]
        layer.keys = layer.keys.index_select(2, index.to(layer.keys.device))
        layer.values = layer.values.index_select(2, index.to(layer.values.device))


def verify_tree(tree: MedusaTree, tokens: torch.Tensor, logits: torch.Tensor) -> list[int]:
    """The longest root path whose every node is the greedy token after its parent.

    tokens [size] are the tree's tokens, logits [size, vocab] the model's output at each
    node. Returns node indices, the root first; the next token after the path is
    logits[path[-1]].argmax().
    """
    greedy = logits.argmax(dim=-1).tolist()
    ids = tokens.tolist()
    children = tree.children()
    path = [0]
    while True:
        wanted = greedy[path[-1]]
        step = next((c for c in children[path[-1]] if ids[c] == wanted), None)
        if step is None:
            return path
        path.append(step)


@dataclass
class Generation:
    """Tokens produced and how: one entry of `accepted` per model forward pass after the prefill."""

    tokens: list[int]
    accepted: list[int] = field(default_factory=list)  # tokens each step produced
    prefill_s: float = 0.0
    decode_s: float = 0.0

    @property
    def tokens_per_step(self) -> float:
        return sum(self.accepted) / max(len(self.accepted), 1)


@torch.no_grad()
def greedy_generate(lm: CausalLm, prompt: list[int], new_tokens: int) -> Generation:
    """Plain greedy decoding, one forward pass a token (the reference Medusa must equal)."""
    _check(prompt, new_tokens)
    start = time.perf_counter()
    positions = torch.arange(len(prompt))
    _, logits, cache = lm.forward(torch.tensor(prompt), positions, None)
    tokens = [int(logits[-1].argmax())]
    _sync(lm.device)
    prefill = time.perf_counter()
    result = Generation(tokens, prefill_s=prefill - start)
    while len(tokens) < new_tokens:
        position = torch.tensor([len(prompt) + len(tokens) - 1])
        _, logits, cache = lm.forward(torch.tensor(tokens[-1:]), position, cache)
        tokens.append(int(logits[-1].argmax()))
        result.accepted.append(1)
    _sync(lm.device)
    result.decode_s = time.perf_counter() - prefill
    return result


class MedusaDecoder:
    """Greedy decoding that checks a tree of the heads' guesses in each forward pass. The
    heads guess among their guessing vocabulary when they carry one, as the accelerator
    does (`every_token`: among every token)."""

    def __init__(
        self, lm: CausalLm, heads: MedusaHeads, tree: MedusaTree, every_token: bool = False
    ) -> None:
        if tree.depth > heads.count:
            raise OptionError(f"the tree is {tree.depth} deep but there are {heads.count} heads")
        self.lm = lm
        self.heads = heads.to(lm.device).eval()
        self.vocab = None if every_token else heads.vocab
        self.tree = tree
        self.ranks = tree.ranks
        self.mask = tree.attention_mask()
        self.depth_of = torch.tensor(tree.depths)
        self.head_of = torch.tensor([max(len(p) - 1, 0) for p in tree.paths])
        self.rank_of = torch.tensor([p[-1] if p else 0 for p in tree.paths])

    def propose(self, hidden: torch.Tensor, produced: int) -> torch.Tensor:
        """[K, ranks] token ids: each head's best guesses from the hidden state [d].

        `produced` (tokens output before this step's root) is unused by the heads; a
        subclass guessing from elsewhere (a test's oracle) places itself by it.
        """
        return self.heads.guesses(hidden, self.lm.lm_head, self.ranks, self.vocab)

    def tree_tokens(self, root: int, guesses: torch.Tensor) -> torch.Tensor:
        """The tree's tokens: the root, then each node's head and rank looked up in `guesses`."""
        tokens = guesses.cpu()[self.head_of, self.rank_of]
        tokens[0] = root
        return tokens

    @torch.no_grad()
    def generate(self, prompt: list[int], new_tokens: int) -> Generation:
        _check(prompt, new_tokens)
        lm = self.lm
        start = time.perf_counter()
        hidden, logits, cache = lm.forward(torch.tensor(prompt), torch.arange(len(prompt)), None)
        root, state = int(logits[-1].argmax()), hidden[-1]
        _sync(lm.device)
        prefill = time.perf_counter()
        result = Generation([], prefill_s=prefill - start)
        prefix = len(prompt)
        while len(result.tokens) < new_tokens:
            tokens = self.tree_tokens(root, self.propose(state, len(result.tokens)))
            hidden, logits, cache = lm.forward(tokens, self.depth_of + prefix, cache, self.mask)
            path = verify_tree(self.tree, tokens, logits)
            keep_path(cache, prefix, path)
            result.tokens.extend(tokens[path].tolist())
            result.accepted.append(len(path))
            prefix += len(path)
            root, state = int(logits[path[-1]].argmax()), hidden[path[-1]]
        del result.tokens[new_tokens:]
        _sync(lm.device)
        result.decode_s = time.perf_counter() - prefill
        return result


def _check(prompt: list[int], new_tokens: int) -> None:
    if not prompt:
        raise OptionError("the prompt is empty: decoding needs at least one token")
    if new_tokens < 1:
        raise OptionError(f"new tokens must be at least 1, got {new_tokens}")
