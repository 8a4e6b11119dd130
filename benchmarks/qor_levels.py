"""Estimated QoR per optimization level: one JSON line per model.

    .venv/bin/python benchmarks/qor_levels.py [--target u280] [--models mlp,gpt2_block,...]

For each model of the test zoo, plus a 256x256x256 matmul and a GPT-2-small
block, compiles at -O0, -O1 and -O2 and prints the estimated latency,
interval, resources and the -O2 speed-up over -O0. Estimates come from the
analytical QoR model (passes/qor); nothing here runs Vitis.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "examples"))

from export_gpt2_block import CausalGpt2Block  # noqa: E402
from zoo import ZOO  # noqa: E402

from llmhls.compiler.driver import CompileOptions, compile_model  # noqa: E402
from llmhls.compiler.frontend import export_module  # noqa: E402
from llmhls.compiler.optimize import OPT_LEVELS, OptimizeOptions  # noqa: E402


class Matmul(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a @ b


def _models() -> dict:
    models = dict(ZOO)
    models["matmul_256"] = lambda: (
        Matmul(),
        (torch.randn(256, 256), torch.randn(256, 256)),
    )
    models["gpt2_small_block"] = lambda: (
        CausalGpt2Block(768, 12),
        (torch.randn(1, 8, 768),),
    )
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="u280")
    parser.add_argument("--models", default="", help="comma-separated subset")
    args = parser.parse_args()
    models = _models()
    names = [n for n in args.models.split(",") if n] or sorted(models)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            module, inputs = models[name]()
            loaded = export_module(module.eval(), inputs, name)
            levels = {}
            for level in OPT_LEVELS:
                start = time.perf_counter()
                options = CompileOptions(
                    target=args.target, optimize=OptimizeOptions(level=level), force=True
                )
                result = compile_model(loaded, Path(tmp) / f"{name}_O{level}", options)
                report = result.report
                levels[f"O{level}"] = {
                    "latency_cycles": report["latency_cycles"],
                    "interval_cycles": report["interval_cycles"],
                    "resources": report["resources"],
                    "fits": report["fits"],
                    "offchip_bytes": report["offchip_bytes"],
                    "compile_s": round(time.perf_counter() - start, 2),
                }
            speedup = levels["O0"]["latency_cycles"] / max(1, levels["O2"]["latency_cycles"])
            print(
                json.dumps(
                    {
                        "benchmark": "qor_levels",
                        "model": name,
                        "target": args.target,
                        **levels,
                        "speedup_O2_vs_O0": round(speedup, 2),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
