"""Lower linalg-on-tensors to bufferized affine loops: the one upstream pipeline llmhls uses."""

from __future__ import annotations

from torch_mlir import ir

from llmhls.passes.pipeline import run_upstream

# One-shot bufferization first, leaving TMTensor ops (scatter/scan/sort) for
# tm-tensor-bufferize (the other order leaves `to_tensor` ops that one-shot
# analysis rejects, so cumsum and scatter would not lower); identity layouts
# at function boundaries so every argument is a plain contiguous array; then
# linalg and TMTensor ops become loops.
BUFFERIZE_PASSES = (
    "one-shot-bufferize{allow-unknown-ops bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}, "
    "func.func(tm-tensor-bufferize), "
    "canonicalize, cse"
)
"""linalg-on-tensors -> linalg on memrefs: the level the decode engine's passes match on."""
LOOP_PASSES = (
    "func.func(tm-tensor-to-loops, convert-linalg-to-affine-loops), "
    "fold-memref-alias-ops, "
    "func.func(affine-loop-normalize, affine-simplify-structures), "
    "canonicalize, cse"
)
AFFINE_LOWERING_PIPELINE = f"builtin.module({BUFFERIZE_PASSES}, {LOOP_PASSES})"


def lower_to_affine(module: ir.Module) -> None:
    """linalg-on-tensors → memrefs + affine loops, in place."""
    run_upstream(module, AFFINE_LOWERING_PIPELINE)
