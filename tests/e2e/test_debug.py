"""`llmhls debug`: the first task whose arrays diverge from PyTorch, on broken kernels.

A small multi-task model (linear -> relu -> linear -> softmax) is compiled once;
each variant breaks one task's C++ (a loop bound, an operator, an index) in a copy
of the project, and `llmhls debug` must name that task.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from conftest import run_cli

from llmhls.compiler.csim import run_csim
from llmhls.compiler.debug import debug_project, loop_nests, parse_functions
from llmhls.compiler.driver import compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.optimize import OptimizeOptions
from llmhls.compiler.options import CompileOptions


class Mlp(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=-1)


def _compile(tmp_path_factory: pytest.TempPathFactory, level: int) -> Path:
    torch.manual_seed(0)
    loaded = export_module(Mlp().eval(), (torch.randn(2, 8),), "mlp")
    out = tmp_path_factory.mktemp("debug") / f"mlp_O{level}"
    compile_model(loaded, out, CompileOptions(force=True, optimize=OptimizeOptions(level=level)))
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """-O2: a dataflow region of tasks (loads, linear+relu, linear+softmax, store)."""
    return _compile(tmp_path_factory, 2)


@pytest.fixture(scope="module")
def project_o1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """-O1: one function; its top-level loop nests stand in for tasks."""
    return _compile(tmp_path_factory, 1)


def _kernel(project: Path) -> Path:
    return project / "kernel" / "mlp.cpp"


def _mutations(body: str) -> Iterator[tuple[str, str]]:
    """(kind, broken body): a loop bound one short, an operator swapped, an index moved."""
    bound = re.search(r"(i\d+ < )(\d+);", body)
    if bound and int(bound.group(2)) > 1:
        start, end = bound.span(2)
        yield "bound", body[:start] + str(int(bound.group(2)) - 1) + body[end:]
    for old, new in ((" + ", " - "), (" * ", " + "), (" / ", " * "), (" : 0.0f", " : 1.0f")):
        operator = re.search(rf"= t\d+{re.escape(old)}", body) or (
            re.search(re.escape(old), body) if old.startswith(" :") else None
        )
        if operator:
            at = body.index(old, operator.start())
            yield "operator", body[:at] + new + body[at + len(old) :]
            break
    load = re.search(r"= (\w+)\[([^\]]+)\];", body)
    if load and load.group(2) != "0":
        start, end = load.span(2)
        yield "index", body[:start] + "0" + body[end:]


def _variants(project: Path) -> Iterator[tuple[str, str, str]]:
    """(task, kind, broken source) for every task of the kernel (else loop nest), in order."""
    source = _kernel(project).read_text()
    functions = parse_functions(source)
    units = [f for name, f in functions.items() if "_task" in name]
    if not units:  # -O0/-O1: one function, whose top-level loop nests are the units
        top = json.loads((project / "manifest.json").read_text())["top"]
        units = loop_nests(functions[top], {"output0": 8})
    for unit in units:
        for kind, body in _mutations(unit.body):
            yield unit.name, kind, source.replace(unit.body, body, 1)


def _named(project: Path, work: Path, variants: list[tuple[str, str, str]]) -> tuple[int, int, int]:
    """(variants csim rejects reproducibly, of those the ones whose broken task debug names,
    and the ones it names or lists among its suspects)."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("*_build"))
    mismatches = named = located = 0
    for task, kind, source in variants:
        _kernel(work).write_text(source)
        if run_csim(work).passed:  # the break does not change the outputs: nothing to find
            continue
        found = debug_project(work).divergence
        if found is None and kind == "bound":
            # A loop bound one short leaves an element of a stack array uninitialised: csim
            # failed on what the memory held then, and the debug build's run may hold the
            # right value. Not reproducible, so not counted either way.
            continue
        mismatches += 1
        named += found is not None and found.task == task
        located += found is not None and task in (found.task, *found.suspects)
        print(task, kind, "->", found.task if found else None, found and found.suspects)
    return mismatches, named, located


def test_clean_project_has_no_divergence(project: Path) -> None:
    proc = run_cli("debug", str(project), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"checked": 8, "diverged": False}
    summary = run_cli("debug", str(project))
    assert "no divergence" in summary.stdout
    assert (project / "kernel" / "mlp.cpp").read_text().count("LLMHLS_DUMP") == 0


def test_broken_relu_is_named_with_node_and_line(project: Path, tmp_path: Path) -> None:
    work = tmp_path / "broken"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("*_build"))
    source = _kernel(work).read_text()
    broken = re.sub(r"(const float t\d+ = )t\d+ \? (t\d+) : 0\.0f;", r"\1\2;", source, count=1)
    assert broken != source
    _kernel(work).write_text(broken)
    proc = run_cli("debug", str(work), "--json")
    assert proc.returncode == 1, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["diverged"] and found["node"] == "relu"
    assert found["task"].endswith("_fc1_addmm") and found["array"] == "fc1_addmm"
    assert found["loop"].startswith("L_fc1_addmm_") and found["max_abs_error"] > 0.01
    assert found["source_line"].endswith(f"{Path(__file__).name}:{_line_of('torch.relu')}")
    text = run_cli("debug", str(work)).stdout
    assert "first divergence: task mlp_task5_fc1_addmm" in text


def _line_of(fragment: str) -> int:
    lines = Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if fragment in line and "return" in line)


def test_debug_names_the_broken_task_in_a_few_variants(project: Path, tmp_path: Path) -> None:
    # One variant of each kind on the compute tasks (the sweep below covers every task).
    variants = [v for v in _variants(project) if "_load" not in v[0] and "_store" not in v[0]]
    picked = [next(v for v in variants if v[1] == kind) for kind in ("bound", "operator", "index")]
    # A loop bound one short leaves an element uninitialised, which csim may or may not catch
    # (it varies run to run); every variant csim rejects reproducibly must be named.
    mismatches, named, located = _named(project, tmp_path / "work", picked)
    assert mismatches >= 2
    assert named == located == mismatches


@pytest.mark.slow
def test_debug_names_the_broken_task_in_90_percent_of_variants(
    project: Path, tmp_path: Path
) -> None:
    # 18 variants; 17 or 18 change the outputs (a bound one short leaves a dataflow
    # channel's last element uninitialized, so whether csim notices depends on the stack),
    # and debug names the broken task in 17 of them.
    variants = list(_variants(project))
    assert len(variants) >= 15
    mismatches, named, _ = _named(project, tmp_path / "work", variants)
    print(f"{len(variants)} variants, {mismatches} mismatch, {named} named")
    assert mismatches >= 15
    assert named >= 0.9 * mismatches, f"{named} of {mismatches} named"


@pytest.mark.slow
def test_debug_names_the_broken_loop_nest_without_tasks(project_o1: Path, tmp_path: Path) -> None:
    clean = debug_project(project_o1)
    assert clean.divergence is None and len(clean.checked) >= 6
    # 34 variants change the outputs. A nest that only starts an op (the zero fill and
    # accumulation of a linear, softmax's max and sum) holds nothing PyTorch computes, so
    # it goes unchecked: debug names the nest that finishes the op, with the unchecked
    # ones as suspects. Today: 21 of 34 named exactly, all 34 named or suspected.
    variants = list(_variants(project_o1))
    mismatches, named, located = _named(project_o1, tmp_path / "work", variants)
    print(f"{len(variants)} variants, {mismatches} mismatch, {named} named, {located} located")
    assert mismatches >= 30
    assert named >= 0.6 * mismatches, f"{named} of {mismatches} named"
    assert located >= 0.9 * mismatches, f"{located} of {mismatches} named or suspected"


def test_bad_directory_is_one_line_error(tmp_path: Path) -> None:
    proc = run_cli("debug", str(tmp_path / "missing"))
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


def test_fuzz_labels_a_mismatch_with_the_first_diverging_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmhls.compiler import fuzz

    spec = fuzz.random_spec(136)  # one `add`
    assert [node.op for node in spec.nodes] == ["add"]
    compile_and_check = fuzz.check_spec

    def broken_check(spec: fuzz.GraphSpec, level: int, workdir: Path) -> fuzz.Failure | None:
        """The real compile, then the add task's `+` turned into `-`, then csim."""
        assert compile_and_check(spec, level, workdir) is None
        kernel = next((workdir / f"O{level}" / "kernel").glob("*.cpp"))
        functions = parse_functions(kernel.read_text())
        task = next(f for name, f in functions.items() if "_task" in name and "_add" in name)
        kernel.write_text(kernel.read_text().replace(task.body, task.body.replace(" + ", " - ")))
        passed = run_csim(workdir / f"O{level}").passed
        return None if passed else fuzz.Failure("mismatch", "max_rel_err 1")

    monkeypatch.setattr(fuzz, "check_spec", broken_check)
    labelled = fuzz._with_debug_label(spec, 2, tmp_path, fuzz.Failure("mismatch", "max_rel_err 1"))
    assert labelled.message.startswith("max_rel_err 1; llmhls debug: first divergence in task ")
    assert "_add" in labelled.message.split("task ", 1)[1].split(" ", 1)[0]
