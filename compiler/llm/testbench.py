"""The LLM project's C-simulation testbench: golden data, rendering, and `llmhls csim` on it.

The testbench (`hls_templates/tb_llm.cpp.j2`) is what Vitis HLS's csim step
runs too: prefill a fixed prompt, decode greedily, compare with the PyTorch
reference (`reference.py`) on the same weights.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import numpy as np
import torch

from llmhls.compiler.llm.reference import ReferenceDecoder
from llmhls.compiler.llm.stages import LlmStages
from llmhls.compiler.testbench import SCALE_FLOOR
from llmhls.errors import CSimError
from llmhls.hls_templates import render
from llmhls.project import LlmManifest, manifest_floor_tolerance, manifest_rel_tolerance
from llmhls.toolchain import compile_objects, link_binary

TESTBENCH = "tb/tb_llm.cpp"


def golden_data(stages: LlmStages, max_context: int, chunk: int) -> dict[str, np.ndarray]:
    """A prompt spanning more than one prefill chunk, its greedy tokens and prefill logits."""
    cfg = stages.cfg
    prompt_len = max(1, min(chunk + 3, max_context // 2))
    new_tokens = max(1, min(8, max_context - prompt_len))
    generator = torch.Generator().manual_seed(0)
    prompt = torch.randint(0, cfg.vocab_size, (prompt_len,), generator=generator).tolist()
    if cfg.bos_token_id is not None and 0 <= cfg.bos_token_id < cfg.vocab_size:
        prompt[0] = cfg.bos_token_id
    tokens, logits = ReferenceDecoder(stages, max_context).greedy(prompt, new_tokens)
    return {
        "inputs/prompt_ids": np.asarray(prompt, dtype=np.int32),
        "golden/tokens": np.asarray(tokens, dtype=np.int32),
        "golden/prefill_logits": logits.numpy().astype(np.float32),
    }


def render_llm_testbench(manifest: dict[str, Any], golden: dict[str, np.ndarray]) -> str:
    """tb/tb_llm.cpp: llm_prefill + llm_decode, or one llm_engine (`--engine stream`)."""
    llm = manifest["llm"]
    engine = "decode" not in llm["kernels"]
    args = llm["kernels"]["prefill" if engine else "decode"]["args"]
    weights = [a for a in args if "file" in a]
    kv_ctype = next(a["ctype"] for a in args if a["name"] == "k_cache")
    result = next((a for a in args if a["name"] == "result"), None)
    scales = next((a["elements"] for a in args if a["name"] == "k_scale"), 0)
    result_elements = 0 if result is None else result["elements"]
    return render(
        "tb_llm.cpp.j2",
        engine=engine,
        kv_ctype=kv_ctype,
        model=manifest["model"],
        target=manifest["target"],
        weights=weights,
        weight_args=", ".join(f"{a['name']}.data()" for a in weights),
        cache_elements=int(np.prod(llm["kv_cache"]["shape"])),
        vocab=llm["vocab_size"],
        max_context=llm["max_context"],
        prompt_tokens=golden["inputs/prompt_ids"].size,
        new_tokens=golden["golden/tokens"].size,
        rel_tolerance=repr(manifest_rel_tolerance(manifest)),
        floor_tolerance=repr(manifest_floor_tolerance(manifest)),
        scale_floor=repr(SCALE_FLOOR),
        result_elements=result_elements,
        scale_elements=scales,
        scale_args=", k_scale.data(), v_scale.data()" if scales else "",
        hidden=next((a["elements"] for a in args if a["name"] == "state"), 0),
        tree_args=", 0, result.data(), state.data()" if result_elements else "",
    )


def run_llm_csim(manifest: LlmManifest, timeout_s: float = 3600) -> dict:
    """Build and run tb_llm; returns its checks as a dict (`passed` plus each line)."""
    project_dir = manifest.root
    build_dir = project_dir / "csim_build" / "tb_llm"
    build_dir.mkdir(parents=True, exist_ok=True)
    sources = [project_dir / f for f in [*manifest.kernel_files, TESTBENCH]]
    start = time.perf_counter()
    objects, _ = compile_objects(project_dir, sources, build_dir, [project_dir / "kernel"])
    binary = build_dir / "tb_llm"
    link_binary(objects, binary)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(binary), str(project_dir)], capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        raise CSimError(f"{binary}: no result within {timeout_s:g} s") from None
    if proc.returncode not in (0, 1):
        first = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[0]
        raise CSimError(f"{binary.name}: {first}")
    return {
        "passed": proc.returncode == 0,
        "checks": proc.stdout.strip().splitlines(),
        "build_s": round(build_s, 3),
        "run_s": round(time.perf_counter() - start, 3),
    }


def csim_json(result: dict) -> str:
    return json.dumps(result, sort_keys=True)
