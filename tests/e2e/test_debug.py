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
from llmhls.compiler.debug import debug_project, parse_functions
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


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    loaded = export_module(Mlp().eval(), (torch.randn(2, 8),), "mlp")
    out = tmp_path_factory.mktemp("debug") / "mlp"
    compile_model(loaded, out, CompileOptions(force=True, optimize=OptimizeOptions(level=2)))
    return out


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
    """(task, kind, broken source) for every task of the kernel, in order."""
    source = _kernel(project).read_text()
    for name, function in parse_functions(source).items():
        if "_task" not in name:
            continue
        for kind, body in _mutations(function.body):
            yield name, kind, source.replace(function.body, body, 1)


def _named(project: Path, work: Path, variants: list[tuple[str, str, str]]) -> tuple[int, int]:
    """(variants csim rejects, of those the ones whose broken task debug names)."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("*_build"))
    mismatches = named = 0
    for task, kind, source in variants:
        _kernel(work).write_text(source)
        if run_csim(work).passed:  # the break does not change the outputs: nothing to find
            continue
        mismatches += 1
        found = debug_project(work).divergence
        named += found is not None and found.task == task
        print(task, kind, "->", found.task if found else None)
    return mismatches, named


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
    mismatches, named = _named(project, tmp_path / "work", picked)
    assert mismatches == 3 and named == 3


@pytest.mark.slow
def test_debug_names_the_broken_task_in_90_percent_of_variants(
    project: Path, tmp_path: Path
) -> None:
    variants = list(_variants(project))
    assert len(variants) >= 15
    mismatches, named = _named(project, tmp_path / "work", variants)
    assert mismatches >= 10
    assert named >= 0.9 * mismatches, f"{named} of {mismatches} named"


def test_bad_directory_is_one_line_error(tmp_path: Path) -> None:
    proc = run_cli("debug", str(tmp_path / "missing"))
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


def test_fuzz_labels_a_mismatch_with_the_first_diverging_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmhls.compiler import fuzz

    spec = fuzz.random_spec(0)  # one `add`
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
