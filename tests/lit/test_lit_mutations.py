"""Lit tests that can fail: each llmhls pass removed from a RUN line must break its checks.

For every RUN line of tests/lit whose `--pass-pipeline` names llmhls passes, one
mutant per pass is written: the same file with only that RUN line, the pass
dropped from its pipeline, and `XFAIL: *`. lit runs all mutants at once; a mutant
whose CHECK lines still match (XPASS) means the test would not notice the pass
missing. The few RUN lines where dropping a pass cannot change the output by
design are listed in KEEPS_PASSING, each with its reason; a pass listed twice in a
pipeline (an idempotency check) is not dropped.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import tool

from llmhls.passes.pipeline import split_top_level
from llmhls.passes.registry import all_passes

SUITE = Path(__file__).resolve().parent
_PIPELINE = re.compile(r"--pass-pipeline='builtin\.module\((.*)\)'")
_RUN = re.compile(r"^(\s*//\s*)RUN:(.*)$")

# (lit file, pass dropped, check prefix of the RUN line) -> why its checks keep passing.
KEEPS_PASSING: dict[tuple[str, str, str], str] = {
    ("dataflow/dataflow-tasks.mlir", "hls-dataflow-tasks", "TINY"): (
        "fusing down to one task leaves the function as it was, by design"
    ),
    ("legalize/verify-synthesizable.mlir", "hls-verify-synthesizable", "OK"): (
        "a check pass leaves valid IR unchanged; the file's negative RUN lines test it"
    ),
    ("dataflow/verify-dataflow.mlir", "hls-verify-dataflow", "CHECK"): (
        "a check pass leaves a canonical region unchanged; verify-dataflow-*.mlir test it"
    ),
    ("dataflow/medusa-heads.mlir", "hls-medusa-heads", "SERIAL"): (
        "weights not named medusa.{k} are no Medusa heads: the pass leaves the function alone"
    ),
}


@dataclass(frozen=True)
class Mutant:
    """One RUN line of one lit file with one llmhls pass dropped from its pipeline."""

    source: str  # lit file, relative to the suite
    line: int  # 0-based index of the RUN line in the file
    dropped: str  # pass name
    run: str  # the mutated RUN command

    @property
    def prefix(self) -> str:
        """The FileCheck prefix the RUN line checks (CHECK unless --check-prefix says)."""
        found = re.search(r"--check-prefix[= ](\S+)", self.run)
        return found.group(1) if found else "CHECK"

    @property
    def name(self) -> str:
        stem = self.source.replace("/", "__").removesuffix(".mlir")
        return f"{stem}__L{self.line}__no-{self.dropped}.mlir"


def mutants(source: Path, llmhls_passes: set[str]) -> list[Mutant]:
    """Every (RUN line, llmhls pass) of `source` as a mutant without that pass."""
    found = []
    relative = source.relative_to(SUITE).as_posix()
    for index, text in enumerate(source.read_text().splitlines()):
        run = _RUN.match(text)
        pipeline = _PIPELINE.search(text) if run else None
        if run is None or pipeline is None:
            continue
        entries = split_top_level(pipeline.group(1))
        names = [entry.split("{", 1)[0].strip() for entry in entries]
        for position, name in enumerate(names):
            if name not in llmhls_passes or names.count(name) > 1:
                continue  # upstream pass, or a pass run twice to show it is idempotent
            kept = ", ".join(e for i, e in enumerate(entries) if i != position)
            mutated = run.group(2).replace(
                pipeline.group(0), f"--pass-pipeline='builtin.module({kept})'"
            )
            found.append(Mutant(relative, index, name, mutated.strip()))
    return found


def _mutant_text(mutant: Mutant) -> str:
    """The lit file with only the mutated RUN line, %S pointing at the original folder."""
    lines = (SUITE / mutant.source).read_text().splitlines()
    folder = (SUITE / mutant.source).parent.as_posix()
    body = [line for line in lines if not _RUN.match(line)]
    run = mutant.run.replace("%S", folder)
    return "\n".join([f"// RUN: {run}", "// XFAIL: *", *body]) + "\n"


def _all_mutants() -> list[Mutant]:
    names = set(all_passes())
    return [m for path in sorted(SUITE.rglob("*.mlir")) for m in mutants(path, names)]


def test_pipeline_split_keeps_options_whole() -> None:
    entries = split_top_level("hls-a{x=1 y=2}, func.func(b, c), hls-d")
    assert entries == ["hls-a{x=1 y=2}", "func.func(b, c)", "hls-d"]


@pytest.mark.slow
def test_every_pass_in_a_run_line_is_needed_by_its_checks(tmp_path: Path) -> None:
    found = _all_mutants()
    assert len(found) >= 40, "fewer RUN lines with llmhls passes than the suite has"
    expected_pass = {m.name for m in found if (m.source, m.dropped, m.prefix) in KEEPS_PASSING}
    for mutant in found:
        text = _mutant_text(mutant)
        if mutant.name in expected_pass:
            text = text.replace("// XFAIL: *\n", "")
        (tmp_path / mutant.name).write_text(text)
    (tmp_path / "lit.cfg.py").write_text((SUITE / "lit.cfg.py").read_text())
    result = subprocess.run(
        [sys.executable, tool("lit"), "-q", "-j", "2", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    survivors = re.findall(r"XPASS: llmhls :: (\S+)", result.stdout)
    assert not survivors, "checks still pass with the pass removed: " + ", ".join(survivors)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
