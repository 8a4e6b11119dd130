"""Compile-time benchmark: stage times and peak memory for a GPT-2-small-sized block,
and the end-to-end time of a tiny 2-layer GPT-2 (compile + C-simulation).

    .venv/bin/python benchmarks/compile_time.py [--embd 768 --heads 12 --seq 8]

Prints one JSON line. Peak memory is this process's maximum resident set
(ru_maxrss), so the tiny-model figures run after the block's do not lower it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "examples"))
sys.path.insert(0, str(REPO / "tests"))

from export_gpt2_block import CausalGpt2Block  # noqa: E402

from llmhls.compiler.csim import run_csim  # noqa: E402
from llmhls.compiler.driver import CompileOptions, compile_model  # noqa: E402
from llmhls.compiler.frontend import export_module  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _compile_and_csim(module: torch.nn.Module, inputs: tuple, name: str, work: Path) -> dict:
    start = time.perf_counter()
    loaded = export_module(module.eval(), inputs, name)
    export_s = time.perf_counter() - start
    result = compile_model(loaded, work / name, CompileOptions(target="u280"))
    compile_s = time.perf_counter() - start
    csim = run_csim(work / name)
    t = result.timings
    return {
        "export_s": round(export_s, 3),
        "import_s": round(t["import_total_s"], 3),
        "lowering_s": round(t["lowering_s"], 3),
        "optimize_s": round(t["optimize_s"], 3),
        "estimate_s": round(t["estimate_s"], 3),
        "emission_s": round(t["emit_s"], 3),
        "write_s": round(t["write_s"], 3),
        "compile_total_s": round(compile_s, 3),
        "csim_build_s": round(csim.build_s, 3),
        "csim_run_s": round(csim.run_s, 3),
        "csim_passed": csim.passed,
        "csim_max_rel_err": csim.max_rel_err,
        "end_to_end_s": round(time.perf_counter() - start, 3),
        "kernel_lines": len((work / name / "kernel" / f"{name}.cpp").read_text().splitlines()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embd", type=int, default=768)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--seq", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        block = CausalGpt2Block(args.embd, args.heads)
        hidden = torch.randn(1, args.seq, args.embd)
        block_stats = _compile_and_csim(block, (hidden,), "gpt2_small_block", work)
        block_stats["peak_rss_mb"] = round(_peak_mb(), 1)

        from zoo import ZOO

        tiny_module, tiny_inputs = ZOO["gpt2_tiny_2layer"]()
        tiny_stats = _compile_and_csim(tiny_module, tiny_inputs, "gpt2_tiny_2layer", work)
    print(
        json.dumps(
            {
                "benchmark": "compile_time",
                "block": {"embd": args.embd, "heads": args.heads, "seq": args.seq, **block_stats},
                "gpt2_tiny_2layer": tiny_stats,
                "peak_rss_mb": round(_peak_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
