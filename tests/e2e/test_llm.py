"""LLMs end to end: compile a HF folder, generate through C-simulation, match transformers.

Tiny random Llama (GQA) and GPT-2 models (tests/llm_models.py) are compiled
once per module (at the default -O2; the other levels once each); `llmhls run
--backend csim` must produce the same greedy tokens as transformers' `generate`,
with prompts that span several prefill chunks and continuations that vary (so
equality proves something). The emitted XRT host and `--backend xrt` run on a
stand-in XRT whose device is the project's own kernels (tests/xrt_doubles.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli
from llm_models import VOCAB, tiny_gpt2, tiny_llama
from xrt_doubles import check_xclbin_files, check_xrt_generates_csim_tokens

from llmhls.compiler.llm.build import LlmCompileOptions, compile_llm
from llmhls.compiler.llm.source import load_llm
from llmhls.errors import InputError, OptionError, UnsupportedError
from llmhls.project import load_llm_manifest, manifest_floor_tolerance, manifest_rel_tolerance
from llmhls.runtime.csim_backend import CsimBackend
from llmhls.runtime.generate import generate
from llmhls.runtime.precision import greedy_tokens
from llmhls.runtime.sampling import SamplingOptions

# Compiling each tiny model takes about 30 s and the module about 3 min: the slow tier.
pytestmark = pytest.mark.slow

MAX_CONTEXT = 48
CHUNK = 8
PROMPT = [1, 17, 4, 33, 9, 60, 12, 5, 71, 23, 8]  # 11 tokens: two prefill chunks


def compile_tiny(arch: str, root: Path, *flags: str) -> tuple[Path, Path]:
    """The tiny `arch` model's HF folder and its project compiled by `llmhls compile`."""
    folder = (tiny_llama if arch == "llama" else tiny_gpt2)(root / "hf")
    out = root / "project"
    context = ("--max-context", str(MAX_CONTEXT), "--prefill-chunk", str(CHUNK))
    result = run_cli("compile", str(folder), "-o", str(out), *context, *flags)
    assert result.returncode == 0, result.stderr
    assert "roofline tokens/s" in result.stdout
    return folder, out


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def project(request, tmp_path_factory) -> tuple[str, Path, Path]:
    """(arch, HF folder, compiled project) for each tiny model."""
    root = tmp_path_factory.mktemp(f"llm_{request.param}")
    return request.param, *compile_tiny(request.param, root)


def test_csim_tokens_equal_transformers_greedy(project) -> None:
    check_csim_tokens(*project)


@pytest.mark.parametrize("level", ["-O0", "-O1"])
@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_every_level_matches_transformers(arch: str, level: str, tmp_path: Path) -> None:
    """-O0 and -O1 stages (the fixture's are -O2) generate transformers' tokens in csim, and
    their testbench passes."""
    folder, out = compile_tiny(arch, tmp_path, level)
    stages = "".join(p.read_text() for p in (out / "kernel").glob("layer_*_c*.cpp"))
    assert ("#pragma HLS pipeline" in stages) == (level == "-O1")  # the level was applied
    assert "#pragma HLS dataflow" not in stages
    check_csim_tokens(arch, folder, out)
    result = run_cli("csim", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["passed"]


def check_csim_tokens(arch: str, folder: Path, out: Path) -> None:
    """`llmhls run --backend csim` on PROMPT generates transformers' 16 greedy tokens."""
    prompt = ",".join(map(str, PROMPT))
    result = run_cli(
        "run", str(out), "--prompt-ids", prompt, "--max-new-tokens", "16", "--ignore-eos", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["prompt_tokens"] == len(PROMPT)
    assert data["tokens_per_s"] > 0
    tokens = data["tokens"]
    expected = greedy_tokens(load_llm(folder).model, PROMPT, 16)
    assert tokens == expected, arch
    assert len(set(tokens)) >= 4, f"{arch}: the continuation barely varies: {tokens}"


def _prompt(length: int) -> list[int]:
    """A BOS token then `length - 1` varied ids (never EOS), deterministic."""
    return [1, *((7 * i + 5) % (VOCAB - 3) + 3 for i in range(length - 1))]


# (prompt length, new tokens asked): one token (the tiny Llama then emits EOS at its 4th
# step, which the reference must keep as a token, like --ignore-eos), exactly one prefill
# chunk, 2C+1 tokens (a chunk boundary plus one), a prompt that fills --max-context (one
# token from the prefill logits, then the context is full), and a generation that runs
# into the context limit (48 - 40 + 1 = 9 tokens).
EDGE_CASES = [(1, 8, 8), (CHUNK, 8, 8), (2 * CHUNK + 1, 8, 8), (MAX_CONTEXT, 5, 1), (40, 20, 9)]


@pytest.mark.parametrize(("length", "asked", "produced"), EDGE_CASES)
def test_edge_prompts_match_the_greedy_reference(project, length, asked, produced) -> None:
    arch, folder, out = project
    prompt = _prompt(length)
    manifest = load_llm_manifest(out)
    backend = CsimBackend(manifest)
    result = generate(backend, manifest.llm, prompt, asked, SamplingOptions(), stop_at_eos=False)
    assert len(result.tokens) == produced
    assert result.stopped_by == ("max_context" if produced < asked else "max_new_tokens")
    assert result.tokens == greedy_tokens(load_llm(folder).model, prompt, produced), arch


def test_greedy_reference_keeps_eos_as_a_token(project) -> None:
    """The tiny Llama's own forward picks EOS (2) as the 4th token after [1]; so must the
    reference (transformers' generate with min_new_tokens masks EOS out instead)."""
    arch, folder, _ = project
    if arch != "llama":
        pytest.skip("the EOS case is the tiny Llama's")
    model = load_llm(folder).model
    tokens = greedy_tokens(model, [1], 6)
    sequence = [1]
    with torch.no_grad():  # a second implementation: full forward, no KV cache
        for _ in range(6):
            sequence.append(int(model(torch.tensor([sequence])).logits[0, -1].argmax()))
    assert tokens == sequence[1:]
    assert tokens[3] == 2


def test_logits_match_transformers(project) -> None:
    """Prefill and decode logits agree with transformers' forward within float32 noise."""
    _, folder, out = project
    model = load_llm(folder).model
    backend = CsimBackend(load_llm_manifest(out))
    backend.reset()
    logits = backend.prefill(np.array(PROMPT, dtype=np.int32), 0)
    with torch.no_grad():
        reference = model(torch.tensor([PROMPT])).logits[0, -1].numpy()
    np.testing.assert_allclose(logits, reference, rtol=0, atol=1e-4 * np.abs(reference).max())
    token = int(np.argmax(logits))
    logits = backend.decode(token, len(PROMPT))
    with torch.no_grad():
        reference = model(torch.tensor([[*PROMPT, token]])).logits[0, -1].numpy()
    np.testing.assert_allclose(logits, reference, rtol=0, atol=1e-4 * np.abs(reference).max())


def test_generation_restarts_cleanly(project) -> None:
    """A second generation on the same backend forgets the first one's KV cache."""
    _, _, out = project
    backend = CsimBackend(load_llm_manifest(out))
    manifest = load_llm_manifest(out)
    greedy = SamplingOptions()
    first = generate(backend, manifest.llm, PROMPT, 6, greedy, stop_at_eos=False)
    generate(backend, manifest.llm, [3, 4, 5], 4, greedy, stop_at_eos=False)
    again = generate(backend, manifest.llm, PROMPT, 6, greedy, stop_at_eos=False)
    assert first.tokens == again.tokens


def test_sampling_is_seeded(project) -> None:
    _, _, out = project
    args = ["run", str(out), "--prompt-ids", "1,2,3", "--max-new-tokens", "12", "--ignore-eos"]
    sampled = ["--temperature", "1.5", "--top-k", "40", "--top-p", "0.95", "--json"]
    runs = [run_cli(*args, *sampled, "--seed", seed) for seed in ("7", "7", "8")]
    tokens = [json.loads(r.stdout.strip().splitlines()[-1])["tokens"] for r in runs]
    assert tokens[0] == tokens[1]
    assert tokens[0] != tokens[2]


def test_text_prompt_streams_text(project) -> None:
    _, _, out = project
    result = run_cli("run", str(out), "--prompt", "w3 w9 w27", "--max-new-tokens", "5", "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    data = json.loads(lines[-1])
    assert data["prompt_ids"] == [6, 12, 30]
    assert data["text"] and lines[0].startswith(data["text"])
    assert "tokens/s" in result.stderr


def test_project_layout(project) -> None:
    _, _, out = project
    manifest = json.loads((out / "manifest.json").read_text())
    llm = manifest["llm"]
    assert llm["kv_cache"]["layout"] == "[layer][kv_head][position][head_dim]"
    assert llm["kv_cache"]["shape"] == [2, llm["num_kv_heads"], MAX_CONTEXT, llm["head_dim"]]
    decode_args = llm["kernels"]["decode"]["args"]
    weights = [a for a in decode_args if "file" in a]
    assert len({a["bundle"] for a in weights}) == len(weights)  # one bank per weight
    for arg in weights:
        assert (out / arg["file"]).stat().st_size == arg["elements"] * 4
    # One compiled layer serves every layer: stage kernels exist once per row count.
    stage_files = sorted(p.name for p in (out / "kernel").glob("layer_*.cpp"))
    assert stage_files == [f"layer_{s}_c{r}.cpp" for s in ("post", "pre") for r in (1, CHUNK)]
    top = (out / "kernel" / "llm_top.cpp").read_text()
    assert "for (int layer = 0; layer < kLayers; ++layer)" in top
    assert "llmhls::attention_window" in top
    report = json.loads((out / "report.json").read_text())
    assert report["decode"]["bytes_per_token"] >= report["decode"]["weight_bytes_per_token"] > 0
    # report.md: the decode figures and a row per stage, linking its loop-by-loop report.
    summary = (out / "report.md").read_text()
    assert "roofline tokens/s" in summary
    for name, stage in report["stages"].items():
        assert f"| [`{name}`](reports/{name}.md) | {stage['latency_cycles']:,} |" in summary
        assert "## Loops" in (out / "reports" / f"{name}.md").read_text()


def test_prompt_errors(project) -> None:
    _, _, out = project
    too_long = ",".join(["5"] * (MAX_CONTEXT + 1))
    cases = {
        (
            "--prompt-ids",
            too_long,
        ): f"the prompt has {MAX_CONTEXT + 1} tokens, more than the project's --max-context",
        ("--prompt", "  "): "the prompt is empty",
        ("--prompt-ids", "1,x"): "--prompt-ids '1,x' is not a comma-separated list",
        ("--prompt-ids", "1,999"): "prompt token id 999 is outside the vocabulary",
        ("--prompt-ids", "1", "--temperature", "-1"): "--temperature -1",
        ("--prompt-ids", "1", "--top-p", "0"): "--top-p 0",
        ("--prompt-ids", "1", "--top-k", "-3"): "--top-k -3",
        ("--prompt-ids", "1", "--max-new-tokens", "0"): "--max-new-tokens 0",
        ("--prompt-ids", "1", "--backend", "fpga"): "--backend fpga",
        ("--prompt-ids", "1", "--backend", "xrt"): "pyxrt",
    }
    for args, message in cases.items():
        result = run_cli("run", str(out), *args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unsupported_architecture(tmp_path: Path) -> None:
    folder = tmp_path / "bert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(UnsupportedError, match="architecture 'bert' is not supported"):
        load_llm(folder)
    result = run_cli("compile", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 3
    assert result.stderr.startswith("error: architecture 'bert' is not supported")


def test_compile_option_errors(tmp_path: Path) -> None:
    folder = tiny_llama(tmp_path / "hf", layers=1)
    loaded = load_llm(folder)
    with pytest.raises(OptionError, match="--max-context 1000 exceeds the model's 256 positions"):
        compile_llm(loaded, tmp_path / "o", LlmCompileOptions(max_context=1000))
    with pytest.raises(OptionError, match="--max-context 0 must be at least 1"):
        compile_llm(loaded, tmp_path / "o", LlmCompileOptions(max_context=0))
    with pytest.raises(InputError, match="not a compiled llmhls project"):
        load_llm_manifest(tmp_path)
    result = run_cli("compile", str(tmp_path / "missing.gguf"), "-o", str(tmp_path / "o"))
    assert result.returncode != 0 and "does not exist" in result.stderr


def test_llm_testbench_and_report(project) -> None:
    """`llmhls csim` runs the emitted testbench (what Vitis csim runs) against PyTorch."""
    _, _, out = project
    result = run_cli("csim", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["passed"]
    assert any("greedy tokens: 8 of 8 match" in line for line in data["checks"])
    assert "tb/tb_llm.cpp" in (out / "run_hls.tcl").read_text()
    report = run_cli("report", str(out))
    assert report.returncode == 0, report.stderr
    assert "bytes per decoded token" in report.stdout
    assert "channel-bound tokens/s" in report.stdout
    picture = out / "decode_stages.png"
    assert f"wrote {picture}" in report.stdout
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 1000
    # report.md lays out the decode step stage by stage, as report.json has it.
    summary = (out / "report.md").read_text()
    for stage in json.loads((out / "report.json").read_text())["decode"]["stages"]:
        assert f"| {stage['name']} | {stage['runs_per_token']} | {stage['compute_cycles']:,} |" in (
            summary
        )


def test_llm_testbench_fails_a_wrong_small_logit(project, tmp_path: Path) -> None:
    """tb_llm judges each prefill logit against its own size (manifest `tolerance`): the
    smallest golden logit moved by 20x the floor fails, though the largest error over the
    logits' scale, the old verdict, stays within `rel`."""
    _, _, out = project
    copy = tmp_path / "project"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("csim_build"))
    manifest = json.loads((copy / "manifest.json").read_text())
    rel, floor = manifest_rel_tolerance(manifest), manifest_floor_tolerance(manifest)
    path = copy / "data/golden/prefill_logits.bin"
    golden = np.fromfile(path, dtype=np.float32)
    scale = float(np.abs(golden).max())
    small = int(np.argmin(np.abs(golden)))
    golden[small] += np.float32(20 * floor * scale)
    golden.tofile(path)
    result = run_cli("csim", str(copy))
    assert result.returncode != 0
    data = json.loads(result.stdout)
    assert not data["passed"]
    logits_line, tokens_line = data["checks"]
    assert logits_line.endswith("(FAIL)") and tokens_line.endswith("(pass)")
    max_rel_error = float(re.search(r"max rel error (\S+),", logits_line).group(1))
    assert max_rel_error <= rel  # the old form: largest error over the scale within rel


def test_xrt_host_and_backend_generate_the_csim_tokens(
    project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The emitted host/ folder, built by its CMakeLists.txt, and `llmhls run --backend xrt`
    generate the csim backend's tokens on a stand-in XRT whose device runs the project's
    kernels, each call checked against the signatures in kernel/llm_top.h."""
    arch, folder, out = project
    run_args = ("--prompt-ids", ",".join(map(str, PROMPT)), "--max-new-tokens", "16")
    csim_tokens, log, _ = check_xrt_generates_csim_tokens(
        out, tmp_path, monkeypatch, capsys, run_args
    )
    assert csim_tokens == greedy_tokens(load_llm(folder).model, PROMPT, len(csim_tokens)), arch
    calls = [entry[0] for entry in log if entry[0].startswith("llm_")]
    prefills = -(-len(PROMPT) // load_llm_manifest(out).llm.tokens_capacity)
    assert calls == ["llm_prefill"] * prefills + ["llm_decode"] * (len(csim_tokens) - 1)


def test_xclbin_flow_files(project) -> None:
    """link.cfg maps every buffer argument of every kernel in the manifest once, on the bank the
    manifest records; build_xclbin.sh is executable shell naming the part's platform."""
    _, _, out = project
    manifest = check_xclbin_files(out)
    assert manifest["platform"] == "xilinx_u280_gen3x16_xdma_1_202211_1"
    # The tiny models are saved in float32, so the default --weights keeps fp32.
    assert manifest["llm"]["weights"] == "fp32"
    assert manifest["llm"]["source_precision"] == "config.json dtype float32"


def test_compile_is_deterministic(tmp_path: Path) -> None:
    folder = tiny_llama(tmp_path / "hf", layers=1)
    loaded = load_llm(folder)
    options = LlmCompileOptions(max_context=16, prefill_chunk=4)
    first, second = tmp_path / "a", tmp_path / "b"
    compile_llm(loaded, first, options)
    compile_llm(loaded, second, options)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


@pytest.mark.parametrize(
    "flag", [["--cosim"], ["--tolerance", "1e-3"], ["--seed", "3"], ["--trust"]]
)
def test_kernel_only_flags_are_rejected_for_llms(tmp_path: Path, flag: list[str]) -> None:
    """An LLM compile has no use for these; it says so instead of ignoring them."""
    folder = tiny_llama(tmp_path / "hf", layers=1)
    result = run_cli("compile", str(folder), "-o", str(tmp_path / "out"), *flag)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {flag[0]} applies to .pt2/.py")
    assert not (tmp_path / "out").exists()
