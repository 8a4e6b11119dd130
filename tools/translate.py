"""`llmhls-translate --emit-hlscpp`: print HLS-legal affine IR as Vitis HLS C++."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from llmhls.cli import run_cli, write_output
from llmhls.compiler.context import read_module
from llmhls.compiler.emit.engine_table import emit_engine_table
from llmhls.compiler.emit.hlscpp import emit_hlscpp
from llmhls.errors import OptionError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmhls-translate",
        description=(
            "Translate MLIR (memrefs + affine/scf/arith/math ops, no returned values: run "
            "llmhls-opt with the legalize pipeline first) into Vitis HLS C++."
        ),
    )
    parser.add_argument("input", nargs="?", default="-", help="input .mlir file ('-' = stdin)")
    parser.add_argument("--emit-hlscpp", action="store_true", help="emit the kernel .cpp")
    parser.add_argument("--emit-header", action="store_true", help="emit the kernel .h instead")
    parser.add_argument(
        "--emit-engine-table",
        action="store_true",
        help="emit the decode engine's phase table and KV-cache traffic (after "
        "hls-kv-cache-buffer and hls-weight-streaming)",
    )
    parser.add_argument(
        "--top", default=None, help="top function (default: the last public function)"
    )
    parser.add_argument("-o", "--output", default="-", help="output file ('-' = stdout)")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    parser.set_defaults(handler=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    if not (args.emit_hlscpp or args.emit_header or args.emit_engine_table):
        raise OptionError(
            "choose a translation: --emit-hlscpp, --emit-header or --emit-engine-table"
        )
    module = read_module(args.input)
    if args.emit_engine_table:
        write_output(emit_engine_table(module), args.output)
        return 0
    kernel = emit_hlscpp(module, top=args.top)
    text = kernel.header if args.emit_header else kernel.source
    write_output(text, args.output)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(argv, build_parser)


if __name__ == "__main__":
    sys.exit(main())
