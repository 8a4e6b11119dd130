"""Lower linalg-on-tensors to bufferized affine loops: the one upstream pipeline llmhls uses."""

from __future__ import annotations

from torch_mlir import ir

from llmhls.passes.pipeline import run_upstream

# tm-tensor-bufferize first (TMTensor ops such as scatter/scan/sort), then
# one-shot bufferization with identity layouts at function boundaries so every
# argument is a plain contiguous array, then linalg → affine loops.
AFFINE_LOWERING_PIPELINE = (
    "builtin.module("
    "func.func(tm-tensor-bufferize), "
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}, "
    "canonicalize, cse, "
    "func.func(tm-tensor-to-loops, convert-linalg-to-affine-loops), "
    "fold-memref-alias-ops, "
    "func.func(affine-loop-normalize, affine-simplify-structures), "
    "canonicalize, cse)"
)


def lower_to_affine(module: ir.Module) -> None:
    """linalg-on-tensors → memrefs + affine loops, in place."""
    run_upstream(module, AFFINE_LOWERING_PIPELINE)
