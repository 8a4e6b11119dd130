"""No slow forms in any emitted kernel (see tests/canonical_cpp.py): tiny LLMs at every level.

The zoo models are checked where test_zoo.py compiles them at every level. The
compile itself runs hls-verify-dataflow at every level (the legalization
pipeline and the end of -O1/-O2); a test here pins that down.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from canonical_cpp import slow_forms
from llm_models import tiny_gpt2, tiny_llama

from llmhls.compiler.driver import pipelines
from llmhls.compiler.llm.build import LlmCompileOptions, compile_llm
from llmhls.compiler.llm.source import load_llm
from llmhls.compiler.optimize import OPT_LEVELS, OptimizeOptions


def test_checker_sees_each_slow_form() -> None:
    """The C++ reader finds what it looks for (so the checks built on it can fail)."""
    source = """void k(
  const float* x,
  const int64_t* y_ids,
  float* y
) {
#pragma HLS dataflow
  static float a[4];  // [4]
  float b[4];  // [4]
  k_task0(x, a, a);
  k_task1(a, b);
  k_task2(b, y);
  k_task3(b, y);
}
static void k_task2(
  const float b[4],
  float y[4]
) {
  const float t0 = y[0];
  const float t1 = x[0];
  const float t2 = y_ids[0];
}
"""
    assert sorted(slow_forms(source, "k")) == sorted(
        [
            "k passes ['a'] twice to one task",
            "k: channel 'a' is static",
            "k: channel 'b' reaches 3 tasks, not 2",
            "k_task2 reads the m_axi output 'y'",
        ]
    )


@pytest.mark.parametrize("level", OPT_LEVELS)
def test_every_level_verifies_dataflow(level: int) -> None:
    stages = pipelines(OptimizeOptions(level=level))
    assert "hls-buffer-read-back" in stages["legalize"]
    last = stages.get("optimize", stages["legalize"])
    assert last.rstrip(")").endswith("hls-verify-dataflow")


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def tiny_llm(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"canon_{request.param}")
    maker = tiny_llama if request.param == "llama" else tiny_gpt2
    return root, load_llm(maker(root / "hf"))


@pytest.mark.parametrize("level", OPT_LEVELS)
def test_llm_stage_kernels_have_no_slow_forms(tiny_llm, level: int) -> None:
    root, loaded = tiny_llm
    out = root / f"O{level}"
    options = LlmCompileOptions(
        max_context=32, prefill_chunk=8, optimize=OptimizeOptions(level=level)
    )
    compile_llm(loaded, out, options)
    kernels = sorted(Path(out, "kernel").glob("*.cpp"))
    stages = [k for k in kernels if k.stem != "llm_top"]
    assert {"head", "layer_pre_c1", "layer_post_c1"} <= {k.stem for k in stages}
    for kernel in stages:
        assert slow_forms(kernel.read_text(), kernel.stem) == [], kernel.name
