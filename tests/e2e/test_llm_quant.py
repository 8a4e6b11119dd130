"""LLM weight precision: fp16 / int8 / int4 weights, dequantized in the kernel.

Two things are checked apart. The kernels must compute exactly what PyTorch
computes on the same stored weights (`llmhls csim`: the emitted testbench
against the reference decoder). And the precision loss against the float32
model is stated and bounded, teacher-forced along transformers' own greedy
continuation (`llmhls.runtime.precision`): the largest logit error relative to
the largest logit, and the rate at which the top-1 token agrees. Tiny random
models are far more sensitive than trained ones (SmolLM2's bounds are in
tests/e2e/test_smollm2.py, its figures from `benchmarks/llm_precision.py`); the
bounds here are what these models measure, with a margin.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from llm_models import tiny_gpt2, tiny_llama

from llmhls.compiler.llm.build import LlmCompileOptions, compile_llm
from llmhls.compiler.llm.source import load_llm
from llmhls.project import load_llm_manifest
from llmhls.runtime.csim_backend import CsimBackend
from llmhls.runtime.precision import (
    PrecisionFigures,
    compare_logits,
    reference_continuation,
    teacher_forced_logits,
)

PROMPT = [1, 17, 4, 33, 9, 60, 12, 5, 71, 23, 8]
NEW_TOKENS = 24
# (model, weights, group size): max relative logit error, min top-1 agreement
BOUNDS = {
    ("llama", "fp16", 32): (0.01, 1.0),
    ("llama", "int8", 32): (0.15, 0.75),
    ("llama", "int4", 32): (1.2, 0.3),
    ("gpt2", "int8", 16): (0.08, 0.9),
    ("gpt2", "int4", 16): (0.6, 0.6),
}


def _precision(folder: Path, out: Path) -> PrecisionFigures:
    """Kernel logits against float32 transformers along transformers' greedy continuation."""
    sequence, reference = reference_continuation(load_llm(folder).model, PROMPT, NEW_TOKENS)
    backend = CsimBackend(load_llm_manifest(out))
    return compare_logits(teacher_forced_logits(backend, PROMPT, sequence), reference)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("quant_models")
    return {"llama": tiny_llama(root / "llama"), "gpt2": tiny_gpt2(root / "gpt2")}


@pytest.mark.slow  # 35-80 s a case: compile + csim + teacher-forced precision
@pytest.mark.parametrize(("arch", "weights", "group"), sorted(BOUNDS))
def test_quantized_weights(folders, tmp_path: Path, arch: str, weights: str, group: int) -> None:
    out = tmp_path / "project"
    options = LlmCompileOptions(max_context=48, prefill_chunk=8, weights=weights, group_size=group)
    result = compile_llm(load_llm(folders[arch]), out, options)
    # The kernel computes exactly what PyTorch computes on the stored weights.
    csim = subprocess.run(
        [sys.executable, "-m", "llmhls.cli", "csim", str(out)], capture_output=True, text=True
    )
    assert csim.returncode == 0, csim.stdout + csim.stderr
    assert json.loads(csim.stdout)["passed"]
    # Against the float32 model: stated bounds.
    figures = _precision(folders[arch], out)
    assert figures.steps == NEW_TOKENS
    max_error, min_agreement = BOUNDS[(arch, weights, group)]
    assert figures.max_rel_logit_error <= max_error, (arch, weights, figures)
    assert figures.top1_agreement >= min_agreement, (arch, weights, figures)
    # Stored bytes shrink with the precision (scales included).
    manifest = result.manifest["llm"]
    assert manifest["weights"] == weights
    decode = result.report["decode"]
    fp32_bytes = sum(p.numel() * 4 for p in load_llm(folders[arch]).model.parameters())
    ratio = decode["weight_bytes_per_token"] / fp32_bytes
    assert ratio < {"fp16": 0.6, "int8": 0.4, "int4": 0.3}[weights], ratio


def test_group_size_must_divide(folders, tmp_path: Path) -> None:
    from llmhls.errors import OptionError

    with pytest.raises(OptionError, match="--group-size 32 does not divide"):
        compile_llm(load_llm(folders["gpt2"]), tmp_path / "o", LlmCompileOptions(weights="int4"))


@pytest.mark.slow  # two int4 compiles, about 60 s
def test_head_weights_default_to_int8_under_int4(folders, tmp_path: Path) -> None:
    """--weights int4 keeps the LM head int8 unless --head-weights says otherwise."""
    loaded = load_llm(folders["llama"])
    dtypes = {}
    bytes_per_token = {}
    for head in (None, "int4"):
        options = LlmCompileOptions(
            max_context=16, prefill_chunk=4, weights="int4", head_weights=head
        )
        result = compile_llm(loaded, tmp_path / str(head), options)
        assert result.manifest["llm"]["head_weights"] == (head or "int8")
        dtypes[head] = {w["name"]: w["dtype"] for w in result.report["weights"]}
        bytes_per_token[head] = result.report["decode"]["weight_bytes_per_token"]
    assert dtypes[None]["head_lm_head_weight_q"] == "int8"
    assert "head_lm_head_weight_packed" in dtypes["int4"]
    assert not any(name.startswith("head_") and name.endswith("_q") for name in dtypes["int4"])
    # The layers are int4 either way; an int4 head reads fewer bytes.
    assert dtypes[None]["pre_pre_q_proj_weight_packed"] == "int8"
    assert bytes_per_token["int4"] < bytes_per_token[None]


def test_head_weights_option_errors(folders, tmp_path: Path) -> None:
    from llmhls.errors import OptionError

    with pytest.raises(OptionError, match="--head-weights int3 is not one of"):
        compile_llm(
            load_llm(folders["llama"]), tmp_path / "o", LlmCompileOptions(head_weights="int3")
        )
    result = subprocess.run(
        [sys.executable, "-m", "llmhls.cli", "compile", str(folders["llama"]), "-o",
         str(tmp_path / "p"), "--head-weights", "int3"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "--head-weights" in result.stderr
    assert "Traceback" not in result.stderr
