"""An --engine stream project on XRT: one kernel, llm_engine, for prompts and decode steps.

The tiny Llama compiled with `--engine stream` gets the stage projects' XRT side: link.cfg
binds each of its ~35 ports to a bank, build_xclbin.sh compiles and links llm_engine alone,
and the emitted host/ and `llmhls run --backend xrt` decode with one-token llm_engine calls
on a stand-in XRT whose device is the project's own kernel (tests/xrt_doubles.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_models import tiny_llama
from xrt_doubles import (
    check_xclbin_files,
    check_xrt_generates_csim_tokens,
    fake_vpp_path,
    run_build_script,
)

from llmhls.compiler.llm.build import compile_llm
from llmhls.compiler.llm.source import load_llm
from llmhls.compiler.options import LlmCompileOptions
from llmhls.project import load_llm_manifest

CONTEXT = 64
PROMPT = [1, 5, 9, 3, 17, 60, 12]
NEW_TOKENS = 10


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engine_xrt")
    out = root / "project"
    options = LlmCompileOptions(max_context=CONTEXT, engine="stream")
    compile_llm(load_llm(tiny_llama(root / "hf")), out, options)
    return out


def test_link_cfg_and_build_script_for_the_one_kernel(project: Path, tmp_path: Path) -> None:
    manifest = check_xclbin_files(project)
    args = manifest["llm"]["kernels"]["prefill"]["args"]
    buffers = [a for a in args if a["kind"] == "buffer"]
    weights = [a for a in buffers if a["name"].startswith("w") and a["name"][1:].isdigit()]
    assert len(buffers) == len(weights) + 5 == 35  # tokens, aux, k_cache, v_cache, logits
    # Every channel on its own HBM bank; K and V on the two left over, with aux and the io.
    assert [a["memory"] for a in weights] == [f"HBM[{c}]" for c in range(30)]
    assert {a["ctype"] for a in weights} == {"word512"}
    banks = {a["name"]: a["memory"] for a in buffers if a not in weights}
    assert banks == dict.fromkeys(("tokens", "aux", "k_cache", "logits"), "HBM[30]") | {
        "v_cache": "HBM[31]"
    }

    result = run_build_script(project, fake_vpp_path(tmp_path), "hw")
    assert result.returncode == 0, result.stderr
    calls = [line.split() for line in (project / "vpp.log").read_text().splitlines()]
    assert [c[0] for c in calls] == ["-c", "-l"]
    compile_call, link_call = calls
    assert compile_call[compile_call.index("-k") + 1] == "llm_engine"
    assert compile_call[compile_call.index("-o") + 1] == "build/hw/llm_engine.xo"
    assert compile_call[-1] == "kernel/llm_engine.cpp"
    assert link_call[link_call.index("--config") + 1] == "link.cfg"
    assert link_call[-2:] == ["build/llm.xclbin", "build/hw/llm_engine.xo"]


def test_xrt_host_and_backend_generate_the_csim_tokens(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """host/ and --backend xrt prefill once, then decode with one-token llm_engine calls,
    every buffer allocated once, and generate the csim tokens."""
    run_args = ("--prompt-ids", ",".join(map(str, PROMPT)), "--max-new-tokens", str(NEW_TOKENS))
    tokens, log, bos = check_xrt_generates_csim_tokens(
        project, tmp_path, monkeypatch, capsys, run_args
    )
    assert len(tokens) == NEW_TOKENS and len(set(tokens)) > 1  # the equality says something
    kernel = load_llm_manifest(project).llm.prefill
    assert len(bos) == len(kernel.buffers)  # weights, aux, K/V, tokens, logits: one bo each
    calls = [entry for entry in log if entry[0].startswith("llm_")]
    assert [c[0] for c in calls] == ["llm_engine"] * NEW_TOKENS
    n_tokens, start_pos, tokens_arg = (
        1 + kernel.index(name) for name in ("n_tokens", "start_pos", "tokens")
    )
    scalars = [(c[n_tokens], c[start_pos]) for c in calls]
    assert scalars == [(len(PROMPT), 0)] + [(1, len(PROMPT) + i) for i in range(NEW_TOKENS - 1)]
    for call, token in zip(calls[1:], tokens, strict=False):  # each decode step's token, padded
        fed = call[tokens_arg][2]
        assert fed[:4] == token.to_bytes(4, "little") and not any(fed[4:])
