"""`--weights` defaults to the source's own precision: a GGUF by its tensor types, a HF folder
by config.json's dtype; an explicit --weights / --head-weights still wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from llm_models import tiny_llama

from llmhls.compiler.llm.source import (
    SMOLLM2_MISSING,
    SourcePrecision,
    gguf_precision,
    hf_precision,
    load_llm,
    smollm2_gguf,
)
from llmhls.compiler.options import LlmCompileOptions
from llmhls.errors import OptionError


def resolved(precision: SourcePrecision, **options) -> tuple[str, str]:
    """(weights, head_weights) that compile uses for a source of `precision`."""
    out = LlmCompileOptions(**options).resolved(256, precision.weights, precision.description)
    return out.weights, out.head_weights


@pytest.mark.parametrize(
    ("dtype", "weights", "description"),
    [
        (torch.float16, "fp16", "config.json dtype float16"),
        (torch.bfloat16, "fp16", "config.json dtype bfloat16"),
        (torch.float32, "fp32", "config.json dtype float32"),
    ],
)
def test_hf_folder_keeps_its_dtype(
    tmp_path: Path, dtype: torch.dtype, weights: str, description: str
) -> None:
    loaded = load_llm(tiny_llama(tmp_path / "hf", layers=1, dtype=dtype))
    assert loaded.precision == SourcePrecision(description, weights)
    assert resolved(loaded.precision) == (weights, weights)
    # The loader still hands the compiler float32 weights to quantize from.
    assert next(loaded.model.parameters()).dtype == torch.float32


def test_explicit_formats_win() -> None:
    q4 = SourcePrecision("GGUF Q4_1", "int4")
    assert resolved(q4) == ("int4", "int8")  # 4-bit layers, int8 LM head
    assert resolved(q4, weights="fp16") == ("fp16", "fp16")
    assert resolved(q4, head_weights="int4") == ("int4", "int4")
    assert resolved(SourcePrecision("GGUF Q8_0", "int8")) == ("int8", "int8")


def test_config_dtype_rules() -> None:
    assert hf_precision({"torch_dtype": "float16"}).weights == "fp16"  # transformers < 4.56
    assert hf_precision({}) == SourcePrecision(
        "config.json names no dtype; float32 assumed", "fp32"
    )
    with pytest.raises(OptionError) as error:
        resolved(hf_precision({"dtype": "int8"}))
    assert str(error.value) == (
        "no --weights format keeps the source's precision (config.json dtype int8); "
        "pass --weights fp32|fp16|int8|int4"
    )


@pytest.mark.smollm2
@pytest.mark.skipif(smollm2_gguf() is None, reason=SMOLLM2_MISSING)
def test_smollm2_q4_1_gguf_defaults_to_int4_with_int8_head() -> None:
    """Its layers are Q4_1 (106 M elements), its embedding / tied head Q8_0 (28 M)."""
    precision = gguf_precision(smollm2_gguf())
    assert precision == SourcePrecision("GGUF Q4_1", "int4")
    assert resolved(precision) == ("int4", "int8")


def test_compile_help_states_the_rule() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "llmhls.cli", "compile", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "default: the source's own precision" in text
    assert "Q4_x -> int4 (LM head int8)" in text and "float16/bfloat16 -> fp16" in text
