"""Medusa decoding: extra heads that guess several tokens ahead, checked in one tree step.

heads.py holds the heads and their file, tree.py the candidate tree, decode.py the
PyTorch reference decoder with exact greedy verification, data.py, train.py and
recipe.py the self-distillation that trains the heads on the model's own answers
(options.py: its numbers, torch-free).

What an accelerator needs, one step after a prefix of P tokens:
- `tree.build_tree(heads.rates, nodes)` (or `chain_tree(K)`): a `MedusaTree` whose
  `paths`, `parents`, `depths`, `attention_mask()` [n, n] and `position_ids(P)` are
  fixed for the run; node i takes head `len(paths[i]) - 1`'s rank-`paths[i][-1]` token.
- `MedusaHeads.logits(hidden, lm_head)`: every head's logits from the last accepted
  token's final hidden state; `MedusaHeads.guesses` keeps each head's top ranks (among
  the heads' guessing vocabulary when they carry one), and `MedusaDecoder.tree_tokens`
  lays them out as the tree's n tokens (the root first).
- `decode.verify_tree(tree, tokens, logits)`: the accepted node indices (root first);
  `decode.keep_path` moves their K/V rows to P, P + 1, ... and drops the rest.
"""
