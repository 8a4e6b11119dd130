"""`llmhls-opt`: run upstream MLIR passes and llmhls passes in one pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from llmhls.cli import run_cli, write_output
from llmhls.compiler.context import read_module
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.registry import all_passes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmhls-opt",
        description=(
            "Run a pass pipeline on an MLIR file and print the result. The pipeline mixes "
            "upstream passes (canonicalize, func.func(affine-loop-tile{tile-size=4}), ...) "
            "with llmhls passes (see --list-passes), e.g. "
            "--pass-pipeline='builtin.module(hls-results-to-args, canonicalize)'."
        ),
    )
    parser.add_argument("input", nargs="?", default="-", help="input .mlir file ('-' = stdin)")
    parser.add_argument("--pass-pipeline", default="", help="the pipeline to run")
    parser.add_argument("-o", "--output", default="-", help="output file ('-' = stdout)")
    parser.add_argument("--list-passes", action="store_true", help="list llmhls passes and exit")
    parser.add_argument(
        "--mlir-print-debuginfo",
        action="store_true",
        help="print locations (they carry the PyTorch module:op names the emitter uses)",
    )
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    parser.set_defaults(handler=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.list_passes:
        for name, cls in all_passes().items():
            options = ", ".join(cls.option_help())
            print(f"{name:28s} {cls.summary}" + (f"  [{options}]" if options else ""))
        return 0
    module = read_module(args.input)
    if args.pass_pipeline:
        run_pipeline(module, args.pass_pipeline)
    text = module.operation.get_asm(enable_debug_info=args.mlir_print_debuginfo)
    write_output(text, args.output)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(argv, build_parser)


if __name__ == "__main__":
    sys.exit(main())
