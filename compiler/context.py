"""The one place llmhls creates MLIR contexts, so every context knows the same dialects."""

from __future__ import annotations

from pathlib import Path

from torch_mlir import ir
from torch_mlir.dialects import torch as torch_d
from torch_mlir.passmanager import PassManager

from llmhls.dialects.hlsdf import load_hlsdf
from llmhls.errors import InputError


def make_context() -> ir.Context:
    """A context with the upstream dialects, torch, TMTensor and llmhls's hlsdf loaded."""
    context = ir.Context()
    torch_d.register_dialect(context)
    _load_tm_tensor(context)
    load_hlsdf(context)
    return context


def _load_tm_tensor(context: ir.Context) -> None:
    """Load the TMTensor dialect so IR dumped after import (scatter, scan, sort) parses.

    torch-mlir's bindings register it only as a dependency of its passes, so an
    empty run of one such pass loads it (about 2 ms).
    """
    with context, ir.Location.unknown():
        PassManager.parse("builtin.module(func.func(tm-tensor-bufferize))").run(
            ir.Module.create().operation
        )


def parse_module(text: str, source: str, context: ir.Context | None = None) -> ir.Module:
    """Parse MLIR text; a syntax error becomes one line naming `source` and the position."""
    context = context or make_context()
    try:
        return ir.Module.parse(text, context)
    except ir.MLIRError as exc:
        diagnostics = getattr(exc, "error_diagnostics", None) or []
        detail = f"{diagnostics[0].location}: {diagnostics[0].message}" if diagnostics else str(exc)
        raise InputError(f"cannot parse '{source}' as MLIR: {detail.splitlines()[0]}") from None


def read_module(path: str, context: ir.Context | None = None) -> ir.Module:
    """Read and parse an .mlir file ('-' reads standard input)."""
    import sys

    if path == "-":
        return parse_module(sys.stdin.read(), "<stdin>", context)
    file = Path(path)
    if not file.is_file():
        raise InputError(f"MLIR file '{path}' does not exist")
    return parse_module(file.read_text(), path, context)
