"""--engine stream: the channel-parallel decode engine, C-simulated against its PyTorch reference.

The reference is the same decoder as the stage kernels' (compiler/llm/reference.py)
with the weights as the engine stores them; it embeds tokens from the table the
engine reads. Bounds: float formats differ from it only by summation order;
int8/int4 units multiply int16 activations (one scale per 64 elements, 2^-15 of
their largest value), an fp16 KV cache rounds K and V to half precision.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from canonical_cpp import engine_slow_forms
from llm_models import tiny_gpt2, tiny_llama

from llmhls.compiler.llm.build import compile_llm
from llmhls.compiler.llm.engine import build as engine_build
from llmhls.compiler.llm.engine.build import phase_groups
from llmhls.compiler.llm.engine.structure import PhaseSpec
from llmhls.compiler.llm.reference import ReferenceDecoder
from llmhls.compiler.llm.source import load_llm
from llmhls.compiler.llm.testbench import run_llm_csim
from llmhls.compiler.options import LlmCompileOptions
from llmhls.errors import OptionError, UnsupportedError
from llmhls.passes.analysis import op_table
from llmhls.project import load_llm_manifest
from llmhls.runtime.csim_backend import CsimBackend

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONTEXT = 64
PROMPT = [1, 5, 9, 3]
NEW_TOKENS = 12

# (weights, kv cache, bound on the prefill logits' largest error over their largest value);
# measured: 9e-7, 1.1e-6, 1.0e-4, 2.6e-4, 8.9e-4, 8.1e-4, 1.1e-6, 6.0e-3 (the reference
# rounds K/V rows as the int8 cache does: `int8_rows`).
CASES = [
    pytest.param("fp32", "fp32", 1e-5, id="fp32"),
    pytest.param("fp16", "fp32", 1e-5, id="fp16", marks=pytest.mark.slow),
    pytest.param("int8", "fp32", 1e-3, id="int8", marks=pytest.mark.slow),
    pytest.param("int4", "fp32", 2e-3, id="int4", marks=pytest.mark.slow),
    pytest.param("fp32", "fp16", 5e-3, id="fp32-kv16", marks=pytest.mark.slow),
    pytest.param("int4", "fp16", 1e-2, id="int4-kv16"),
    pytest.param("fp32", "int8", 1e-5, id="fp32-kv8"),
    pytest.param("int4", "int8", 1e-2, id="int4-kv8", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> Path:
    return tiny_llama(tmp_path_factory.mktemp("engine") / "llama")


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory) -> Path:
    return tiny_gpt2(tmp_path_factory.mktemp("engine") / "gpt2")


def _csim_greedy(project: Path) -> tuple[list[int], np.ndarray]:
    backend = CsimBackend(load_llm_manifest(project))
    backend.reset()
    logits = prefill_logits = backend.prefill(np.array(PROMPT, dtype=np.int32), 0)
    tokens: list[int] = []
    for _ in range(NEW_TOKENS):
        tokens.append(int(np.argmax(logits)))
        if len(tokens) < NEW_TOKENS:
            logits = backend.decode(tokens[-1], len(PROMPT) + len(tokens) - 1)
    return tokens, prefill_logits


def _engine_source(project: Path) -> str:
    """The engine kernel and its template header, as Vitis reads them."""
    kernel = project / "kernel"
    return (kernel / "llm_engine.cpp").read_text() + (kernel / "llmhls_engine.h").read_text()


def _check_against_reference(
    model: Path,
    out: Path,
    weights: str,
    kv: str,
    bound: float,
    chunk: int = 16,
    target: str = "u280",
) -> None:
    """Compile `model` to the engine; csim greedy tokens equal the reference's, logits near."""
    options = LlmCompileOptions(
        max_context=CONTEXT,
        weights=weights,
        engine="stream",
        kv_cache=kv,
        prefill_chunk=chunk,
        target=target,
    )
    result = compile_llm(load_llm(model), out, options)
    expected, expected_logits = ReferenceDecoder(result.reference, CONTEXT).greedy(
        PROMPT, NEW_TOKENS
    )
    assert engine_slow_forms(_engine_source(out), "llm_engine") == []
    tokens, logits = _csim_greedy(out)
    reference = expected_logits.numpy()
    error = float(np.abs(logits - reference).max() / np.abs(reference).max())
    assert error <= bound, f"prefill logits error {error:.3g} over {bound}"
    assert tokens == expected


@pytest.mark.parametrize(("weights", "kv", "bound"), CASES)
def test_engine_matches_its_reference(llama, tmp_path, weights, kv, bound) -> None:
    _check_against_reference(llama, tmp_path / "p", weights, kv, bound)


# (rows a step, rows a unit takes a cycle): the 4-token prompt runs as steps of 3 and 1
# rows, a word held for 3 cycles or served to 3 rows at once (the last step's 2 lanes
# idle), or as one step of 4 rows 2 a cycle.
ROW_CASES = [(3, 1), (3, 3), (4, 2)]


@pytest.mark.parametrize(("chunk", "lanes"), ROW_CASES, ids=[f"T{t}-P{p}" for t, p in ROW_CASES])
def test_multi_row_steps_match_the_reference(llama, tmp_path, monkeypatch, chunk, lanes) -> None:
    """Every row of a step reads the same weight words: prompt logits and tokens as the
    reference's, whatever the step's rows and the units' row lanes."""
    monkeypatch.setattr(engine_build, "choose_units", lambda *_: (lanes, "dsp"))
    _check_against_reference(llama, tmp_path / "p", "fp32", "fp32", 1e-5, chunk)
    source = (tmp_path / "p" / "kernel" / "llm_engine.cpp").read_text()
    assert f"constexpr int kRows = {chunk};" in source
    assert f"constexpr int kRowLanes = {lanes};" in source


def test_engine_project_is_one_kernel_with_a_port_per_channel(llama, tmp_path) -> None:
    result = compile_llm(
        load_llm(llama), tmp_path / "p", LlmCompileOptions(max_context=CONTEXT, engine="stream")
    )
    kernels = result.manifest["llm"]["kernels"]
    assert list(kernels) == ["prefill"]  # decode steps are one-token calls of the same kernel
    args = kernels["prefill"]["args"]
    ports = [a for a in args if a["name"].startswith("w") and a["name"][1:].isdigit()]
    assert len(ports) == result.report["engine"]["channels"] == 30  # u280: 32 HBM - K and V
    assert [a["memory"] for a in ports] == [f"HBM[{c}]" for c in range(30)]  # as link.cfg binds
    assert all(a["ctype"] == "word512" for a in ports)
    source = (tmp_path / "p" / "kernel" / "llm_engine.cpp").read_text()
    assert source.count("load_channel<kRows, kContext>(w") == 30
    assert "#pragma HLS dataflow" in source
    # every port moves 512-bit beats: the narrow ones (tokens, KV cache, logits) widened
    m_axi = [line for line in source.splitlines() if "INTERFACE m_axi" in line]
    assert len(m_axi) == 30 + 5 and all("max_widen_bitwidth=512" in line for line in m_axi)
    # the norms and position rows reach the vector unit through the aux loader's stream
    assert source.count("      aux, aux_words, n_tokens, start_pos") == 1
    assert "compute(weights, token_ids, n_tokens, start_pos, aux_words," in source
    for a in ports:  # every channel file holds exactly its declared words
        assert (tmp_path / "p" / a["file"]).stat().st_size == 64 * a["elements"]
    assert result.manifest["llm"]["kv_cache"]["dtype"] == "float16"


def test_float_adds_on_luts_are_bound_in_both_build_scripts(llama, tmp_path, monkeypatch) -> None:
    """A build whose float adds go to LUTs (choose_units, when the DSPs bind) says so to
    Vitis once, in hls_ops.tcl, which run_hls.tcl sources and v++ -c takes; each add the
    model counts trades the default core's DSPs for the fabric core's LUTs."""
    options = LlmCompileOptions(max_context=CONTEXT, engine="stream")
    monkeypatch.setattr(engine_build, "choose_units", lambda *_: (1, "dsp"))
    on_dsp = compile_llm(load_llm(llama), tmp_path / "dsp", options)
    assert not (tmp_path / "dsp" / "hls_ops.tcl").exists()
    assert (
        "hls_ops" not in on_dsp.manifest
        and "pre_tcl" not in (tmp_path / "dsp" / "build_xclbin.sh").read_text()
    )
    monkeypatch.setattr(engine_build, "choose_units", lambda *_: (1, "fabric"))
    on_luts = compile_llm(load_llm(llama), tmp_path / "lut", options)
    project = tmp_path / "lut"
    bindings = (project / "hls_ops.tcl").read_text().splitlines()
    assert bindings[-2:] == ["config_op fadd -impl fabric", "config_op fsub -impl fabric"]
    assert "source [file join $llmhls_root hls_ops.tcl]" in (project / "run_hls.tcl").read_text()
    assert '--hls.pre_tcl "$PWD/hls_ops.tcl"' in (project / "build_xclbin.sh").read_text()
    assert on_luts.manifest["hls_ops"] == "hls_ops.tcl"
    dsp, lut = on_dsp.report["engine"], on_luts.report["engine"]
    assert (dsp["float_adds"], lut["float_adds"]) == ("dsp", "fabric")
    default = op_table.default_row("arith.addf")
    fabric = op_table.implementation("arith.addf", "fabric")
    adds, rest = divmod(dsp["resources"]["dsp"] - lut["resources"]["dsp"], default.dsp)
    assert adds > 0 and rest == 0
    assert lut["resources"]["lut"] - dsp["resources"]["lut"] == adds * (fabric.lut - default.lut)
    assert lut["decode_cycles"] < dsp["decode_cycles"]  # the fabric core is 4 cycles, not 6
    assert "float adds on LUTs" in (project / "report.md").read_text()
    # the kernel itself is the same C++: the binding is the tools' configuration
    assert _engine_source(project) == _engine_source(tmp_path / "dsp")


def test_ddr_part_engine_matches_its_reference(llama, tmp_path) -> None:
    """u250: 4 DDR channels, so int4's 8 units (two rows a word) split their banks 4 ways:
    GATHER's 64-element tile reads each of the 32 banks twice (measured error 3.2e-4)."""
    _check_against_reference(llama, tmp_path / "p", "int4", "fp32", 2e-3, target="u250")
    source = (tmp_path / "p" / "kernel" / "llm_engine.cpp").read_text()
    assert "constexpr int kUnits = 8;" in source and "constexpr int kSplit = 4;" in source


@pytest.mark.parametrize(("weights", "unit_sets"), [("fp32", 1), ("int4", 2)])
def test_one_set_of_units_per_weight_format(llama, tmp_path, weights, unit_sets) -> None:
    """The four layer phases run on one set of units (Vitis builds one instance:
    `allocation ... limit = 1`), and so does an LM head of their format; an int8 head
    under int4 layers has its own. The report's resources count exactly these sets."""
    options = LlmCompileOptions(max_context=CONTEXT, engine="stream", weights=weights)
    compile_llm(load_llm(llama), tmp_path / "p", options)
    source = (tmp_path / "p" / "kernel" / "llm_engine.cpp").read_text()
    assert source.count("gemv_unit<") == unit_sets
    assert "#pragma HLS allocation function instances = layer_units limit = 1" in source
    calls = source.count("layer_units(weights, a_layer,")
    assert calls == (5 if unit_sets == 1 else 4)  # the head's too when it shares them
    assert ("head_units(weights, a, rows);" in source) == (unit_sets == 2)


@pytest.mark.parametrize(
    ("weights", "kv", "bound"), [("fp32", "fp32", 1e-5), ("int8", "fp16", 5e-3)]
)  # measured: 5.6e-7, 5.0e-4
def test_gpt2_engine_matches_its_reference(gpt2, tmp_path, weights, kv, bound) -> None:
    """LayerNorm, tanh GELU, learned positions and biases (qkv, out, fc, down)."""
    _check_against_reference(gpt2, tmp_path / "p", weights, kv, bound)


def test_the_engine_reader_finds_non_canonical_regions(llama, tmp_path) -> None:
    """engine_slow_forms, which passes every engine above, fails on each broken rule."""
    compile_llm(
        load_llm(llama), tmp_path / "p", LlmCompileOptions(max_context=CONTEXT, engine="stream")
    )
    source = _engine_source(tmp_path / "p")
    assert engine_slow_forms(source, "llm_engine") == []
    static = source.replace(
        "  hls::stream<int32_t> token_ids;", "  static hls::stream<int32_t> token_ids;"
    )
    assert engine_slow_forms(static, "llm_engine") == ["llm_engine: stream 'token_ids' is static"]
    shared = source.replace("(w4, requests[4], weights[4]", "(w4, requests[4], weights[3]")
    assert sorted(engine_slow_forms(shared, "llm_engine")) == [
        "llm_engine: stream 'weights'[3] reaches 3 tasks, not 2",
        "llm_engine: stream 'weights'[4] reaches 1 tasks, not 2",
    ]
    twice = source.replace("(w5, requests[5]", "(w5, requests[5], w5")
    assert "llm_engine passes ['w5'] twice to load_channel" in engine_slow_forms(
        twice, "llm_engine"
    )
    read = source.replace(
        "if (j < VOCAB) logits[j] = v;", "if (j < VOCAB) logits[j] = logits[j] + v;"
    )
    assert "write_logits reads the m_axi output 'logits'" in engine_slow_forms(read, "llm_engine")


@pytest.mark.parametrize(
    ("weights", "kv", "chunk", "floor"),
    [("fp32", "fp32", 3, 1e-6), ("int4", "fp16", 16, 1e-6 + 1e-3 + 5e-3)],
    ids=["fp32", "int4"],
)
def test_engine_project_passes_its_own_testbench(
    llama, tmp_path, weights, kv, chunk, floor
) -> None:
    """tb/tb_llm.cpp (what Vitis csim runs) prefills a prompt longer than a step, decodes
    greedily and checks both against PyTorch; a wrong kernel fails it."""
    out = tmp_path / "p"
    options = LlmCompileOptions(
        max_context=CONTEXT, weights=weights, engine="stream", kv_cache=kv, prefill_chunk=chunk
    )
    compile_llm(load_llm(llama), out, options)
    manifest = load_llm_manifest(out)
    # the verdict's floor: int4 units and an fp16 cache each add theirs
    assert json.loads((out / "manifest.json").read_text())["tolerance"] == {
        "rel": 1e-4,
        "floor": floor,
    }
    result = run_llm_csim(manifest)
    assert result["passed"], result["checks"]
    assert "run_hls.tcl" in {p.name for p in out.iterdir()}
    assert "set_top llm_engine" in (out / "run_hls.tcl").read_text()
    kernel = out / "kernel" / "llm_engine.cpp"
    kernel.write_text(kernel.read_text().replace("kv_store<", "if (layer < 0) kv_store<"))
    broken = run_llm_csim(manifest)
    assert not broken["passed"], broken["checks"]


def test_engine_phases_come_from_the_structure_passes() -> None:
    """The engine runs the phases hls-weight-streaming found, or refuses in one line."""
    cfg = SimpleNamespace(arch="llama")
    spec = [
        PhaseSpec("qkv", ("pre.q_proj.weight", "pre.k_proj.weight"), 8, 4, (4, 4), 2, 0),
        PhaseSpec("out", ("post.o_proj.weight",), 4, 4, (4,), 2, 0),
    ]
    with pytest.raises(UnsupportedError, match=r"found 2 weight phases .* runs 4"):
        phase_groups(cfg, spec)


def test_kv_cache_option_needs_the_engine() -> None:
    with pytest.raises(OptionError, match="--kv-cache fp16 needs --engine stream"):
        LlmCompileOptions(weights="fp32", kv_cache="fp16").resolved(256, "fp32", "F32")
