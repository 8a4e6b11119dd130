"""Fuzzing benchmark: random graphs at every -O level, compiled and C-simulated.

    .venv/bin/python benchmarks/fuzz.py [--seed 0 --count 1000 -O0 -O1 -O2 --out DIR --jobs N]

Issue 11's bar is 1,000 graphs per level with no failure. Progress goes to
stderr; the last line is the run's JSON summary (graphs, failures,
failures_by_class, reproducers, seconds). Reproducers of failures are written
to --out (default: tests/regressions, which the test suite runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from llmhls.compiler.fuzz import run_fuzz

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("-O", dest="levels", type=int, action="append")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "regressions")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # as the CLI: progress lines and the summary only
    levels = tuple(args.levels or (0, 1, 2))
    summary = run_fuzz(
        args.seed,
        args.count,
        levels,
        args.out,
        lambda line: print(line, file=sys.stderr),
        jobs=args.jobs,
    )
    print(summary.to_json())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
