"""No slow forms in any emitted kernel: zoo models and tiny LLMs at every level.

Read on the emitted C++, independently of the passes that promise it:
- no function reads an m_axi output of the kernel (a read-modify-write of
  off-chip memory: no burst, II >= 64 in Vitis);
- every `#pragma HLS dataflow` region is in UG1399 canonical form: its arrays
  are local and non-static, each local array or stream reaches exactly two
  task calls (one producer, one consumer), and no call passes one name twice.
The compile itself runs hls-verify-dataflow at every level (the legalization
pipeline and the end of -O1/-O2); the first test pins that down.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from llm_models import tiny_gpt2, tiny_llama
from zoo import ZOO

from llmhls.compiler.driver import build_kernel, pipelines
from llmhls.compiler.frontend import export_module
from llmhls.compiler.llm.build import LlmCompileOptions, compile_llm
from llmhls.compiler.llm.source import load_llm
from llmhls.compiler.optimize import OPT_LEVELS, OptimizeOptions
from llmhls.targets import get_target

_FUNCTION = re.compile(r"^(?:static )?void (\w+)\(\n(.*?)\n\) \{\n(.*?)^\}", re.S | re.M)
_OUTPUT_PARAM = re.compile(r"^  (?!const )[\w:<>]+\* (\w+),?$", re.M)
_LOCAL = re.compile(
    r"^  (static )?(?:hls::stream<[\w:<> ]+>|[\w:<> ]+?) (\w+)(?:\[\d+\]|\(\"\w+\"\));", re.M
)
_CALL = re.compile(r"^  (\w+)\((.*)\);$", re.M)


def slow_forms(source: str, top: str) -> list[str]:
    """What in `source` breaks the rules of the module doc, one line each."""
    functions = {m.group(1): (m.group(2), m.group(3)) for m in _FUNCTION.finditer(source)}
    assert top in functions, f"top function '{top}' not found in the emitted source"
    outputs = _OUTPUT_PARAM.findall(functions[top][0])
    problems = []
    for name, (_, body) in functions.items():
        for output in outputs:
            if re.search(rf"=\s*{output}\[", body):
                problems.append(f"{name} reads the m_axi output '{output}'")
        if "#pragma HLS dataflow" not in body:
            continue
        locals_ = {m.group(2): bool(m.group(1)) for m in _LOCAL.finditer(body)}
        calls = [[a.strip() for a in m.group(2).split(",")] for m in _CALL.finditer(body)]
        uses: Counter[str] = Counter()
        for args in calls:
            repeated = [a for a, n in Counter(args).items() if n > 1]
            if repeated:
                problems.append(f"{name} passes {repeated} twice to one task")
            uses.update(set(args))
        for local, is_static in locals_.items():
            if is_static:
                problems.append(f"{name}: channel '{local}' is static")
            if uses[local] != 2:
                problems.append(f"{name}: channel '{local}' reaches {uses[local]} tasks, not 2")
    return problems


def test_checker_sees_each_slow_form() -> None:
    """The C++ reader above finds what it looks for (so the tests below can fail)."""
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


@pytest.mark.parametrize("level", OPT_LEVELS)
@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_kernels_have_no_slow_forms(name: str, level: int) -> None:
    module, inputs = ZOO[name]()
    loaded = export_module(module.eval(), inputs, name)
    target = get_target("u280")
    optimize = OptimizeOptions(level=level, target=target.name, clock_mhz=target.clock_mhz)
    kernel = build_kernel(loaded, target, optimize).kernel
    assert slow_forms(kernel.source, kernel.top) == []


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
