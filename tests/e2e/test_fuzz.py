"""`llmhls fuzz`: random valid graphs, shrinking, reproducers, and a seeded run per level."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from llmhls.compiler.fuzz import (
    Failure,
    GraphSpec,
    build_model_from_spec,
    is_valid_spec,
    random_spec,
    run_fuzz,
    shrink,
    write_reproducer,
)


def test_graphs_are_valid_varied_and_seeded() -> None:
    ops: set[str] = set()
    dtypes: set[str] = set()
    output_dtypes: set[str] = set()
    sizes: set[int] = set()
    for seed in range(150):
        spec = random_spec(seed)
        assert spec == random_spec(seed)
        assert GraphSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
        assert is_valid_spec(spec), spec
        ops.update(node.op for node in spec.nodes)
        module, inputs = build_model_from_spec(spec)
        output_dtypes.update(str(t.dtype).removeprefix("torch.") for t in module(*inputs))
        dtypes.update(dtype for dtype, _ in spec.inputs)
        sizes.update(d for _, shape in spec.inputs for d in shape)
    wanted = {"linear", "matmul", "softmax", "layer_norm", "where", "embedding", "transpose"}
    assert wanted | {"reshape", "slice", "sum", "add"} <= ops
    integral = {"argmax", "cumsum", "masked_fill", "to_float", "remainder", "floor_divide"}
    assert integral | {"lt", "eq", "logical_and", "logical_not"} <= ops
    assert dtypes == {"float32", "bool", "int64"}
    assert {1, 2, 3, 5, 7, 11} <= sizes
    assert {"float32", "bool", "int64"} == output_dtypes


def test_layer_norm_never_sees_a_constant_row() -> None:
    """A constant row normalizes to rounding error x 1/sqrt(eps): such draws are dropped."""
    for seed in range(200):
        spec = random_spec(seed)
        module, inputs = build_model_from_spec(spec)
        values = module.all_values(*inputs)
        for node in spec.nodes:
            if node.op == "layer_norm" and values[node.args[0]].shape[-1] > 1:
                rows = values[node.args[0]]
                assert bool((rows.var(dim=-1, unbiased=False) > 0).all()), (seed, spec)


def _has_softmax(spec: GraphSpec, level: int, workdir: Path) -> Failure | None:
    """A stand-in compiler that 'fails' on any softmax (shrinking needs no real compile)."""
    if any(node.op == "softmax" for node in spec.nodes):
        return Failure("mismatch", "softmax")
    return None


def test_shrink_keeps_the_failure_and_drops_the_rest(tmp_path: Path) -> None:
    spec = next(
        s
        for s in map(random_spec, range(1000))
        if len(s.nodes) >= 4 and any(n.op == "softmax" for n in s.nodes[:-1])
    )
    small = shrink(
        spec, 0, Failure("mismatch", "softmax"), tmp_path, budget=200, check=_has_softmax
    )
    assert [node.op for node in small.nodes] == ["softmax"]
    assert all(d <= 2 for _, shape in small.inputs for d in shape[1:])
    assert is_valid_spec(small)


def test_reproducer_rebuilds_the_graph(tmp_path: Path) -> None:
    spec = random_spec(7)
    path = write_reproducer(tmp_path, spec, 2, Failure("crash", "RuntimeError: boom"))
    assert path.name == "fuzz_seed7_O2.py"
    loader = importlib.util.spec_from_file_location("repro", path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    assert (module.SEED, module.LEVEL, module.FAILURE) == (7, 2, "crash")
    rebuilt, inputs = module.build_model()
    original, expected_inputs = build_model_from_spec(spec)
    for got, want in zip(inputs, expected_inputs, strict=True):
        assert torch.equal(got, want)
    for got, want in zip(rebuilt(*inputs), original(*inputs), strict=True):
        assert torch.equal(got, want)


def test_cli_json_summary(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "llmhls.cli", "fuzz", "--seed", "36", "--count", "2"]
    result = subprocess.run(
        [*command, "-O0", "-o", str(tmp_path), "-j", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "[1/2] seed 36000108 -O0: 3 nodes, ok"  # progress, in order
    assert all(line.startswith("[") for line in lines), lines  # workers print no warnings
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["graphs"] == 2 and summary["failures"] == 0
    assert summary["failures_by_class"] == {}


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killing_the_parent_stops_its_workers(tmp_path: Path) -> None:
    """SIGTERM to `llmhls fuzz -j 2` alone (not its process group): its workers exit too."""
    command = [sys.executable, "-m", "llmhls.cli", "fuzz", "--seed", "5", "--count", "40"]
    parent = subprocess.Popen(
        [*command, "-O0", "-o", str(tmp_path), "-j", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        assert parent.stderr is not None
        parent.stderr.readline()  # the first graph is done: the workers run
        workers = _children(parent.pid)
        assert workers, "no worker processes found"
        os.kill(parent.pid, signal.SIGTERM)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(_alive(w) for w in workers), "workers outlived their parent"
    finally:
        parent.kill()
        for worker in [w for w in workers if _alive(w)]:
            os.kill(worker, signal.SIGKILL)


def test_jobs_give_the_same_run(tmp_path: Path) -> None:
    """Graphs checked in two processes: the same summary and progress, in the same order."""
    lines: dict[int, list[str]] = {1: [], 2: []}
    summaries = {
        jobs: run_fuzz(36, 2, (0,), tmp_path / str(jobs), lines[jobs].append, jobs=jobs)
        for jobs in (1, 2)
    }
    assert lines[1] == lines[2] and len(lines[1]) == 2
    assert summaries[1].graphs == summaries[2].graphs == 2
    assert summaries[1].failures == summaries[2].failures == 0


@pytest.mark.slow
@pytest.mark.parametrize("level", [0, 1, 2])
def test_seeded_graphs_compile_and_match(level: int, tmp_path: Path) -> None:
    """The suite's seeded run: ten graphs per level (about 40 s a level)."""
    summary = run_fuzz(11, 10, (level,), tmp_path)
    assert summary.graphs == 10
    assert summary.failures == 0, summary.reproducers
