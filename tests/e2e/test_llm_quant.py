"""LLM weight precision: fp16 / int8 / int4 weights, dequantized in the kernel.

The kernels are judged against a fake-quantized PyTorch reference: transformers' own model
with every quantized weight rounded to the same grid (same groups, scales, minimums) by a
second implementation of the rule (tests/quant_reference.py), then used in ordinary float32
math. Teacher-forced along one sequence (`llmhls.runtime.precision`), the kernel's logits must
agree with that reference to 1e-4 relative (quant_reference.FAKE_QUANT_REL_ERROR, justified
there) and pick the same top-1 token at every step.

The loss against the float32 model (relative logit error, top-1 agreement) is a figure to
report, printed and recorded, with loose sanity bounds only: tiny random models are far more
sensitive than trained ones (SmolLM2's figures: tests/e2e/test_smollm2.py and
`benchmarks/llm_precision.py`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from llm_models import tiny_gpt2, tiny_llama
from quant_reference import check_against_fake_quantized

from llmhls.compiler.llm.build import LlmCompileOptions, compile_llm
from llmhls.compiler.llm.source import load_llm

PROMPT = [1, 17, 4, 33, 9, 60, 12, 5, 71, 23, 8]
NEW_TOKENS = 24
# Against the float32 model, loose sanity bounds (what these random models measure, with a
# wide margin): max relative logit error, min top-1 agreement.
FLOAT_SANITY = {
    ("llama", "fp16", 32): (0.01, 0.9),
    ("llama", "int8", 32): (0.3, 0.5),
    ("llama", "int4", 32): (2.0, 0.2),
    ("gpt2", "int8", 16): (0.2, 0.6),
    ("gpt2", "int4", 16): (1.0, 0.4),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("quant_models")
    return {"llama": tiny_llama(root / "llama"), "gpt2": tiny_gpt2(root / "gpt2")}


@pytest.mark.slow  # 35-80 s a case: compile + csim + teacher-forced precision
@pytest.mark.parametrize(("arch", "weights", "group"), sorted(FLOAT_SANITY))
def test_quantized_weights(
    folders, tmp_path: Path, record_property, arch: str, weights: str, group: int
) -> None:
    out = tmp_path / f"{arch}-{weights}"
    options = LlmCompileOptions(max_context=48, prefill_chunk=8, weights=weights, group_size=group)
    loaded = load_llm(folders[arch])
    result = compile_llm(loaded, out, options)
    # The kernel computes what PyTorch computes on the stored weights (`llmhls csim`).
    csim = subprocess.run(
        [sys.executable, "-m", "llmhls.cli", "csim", str(out)], capture_output=True, text=True
    )
    assert csim.returncode == 0, csim.stdout + csim.stderr
    assert json.loads(csim.stdout)["passed"]
    # Tight against the fake-quantized model; against the float32 model, sanity bounds.
    manifest = result.manifest["llm"]
    figures = check_against_fake_quantized(
        loaded, out, manifest, PROMPT, NEW_TOKENS, record_property
    )
    assert figures.steps == NEW_TOKENS
    max_error, min_agreement = FLOAT_SANITY[(arch, weights, group)]
    assert figures.max_rel_logit_error <= max_error, (arch, weights, figures)
    assert figures.top1_agreement >= min_agreement, (arch, weights, figures)
    # Stored bytes shrink with the precision (scales included).
    assert manifest["weights"] == weights
    decode = result.report["decode"]
    fp32_bytes = sum(p.numel() * 4 for p in loaded.model.parameters())
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
