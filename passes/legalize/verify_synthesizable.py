"""hls-verify-synthesizable: reject IR that Vitis HLS could not synthesize.

Checked without Vitis, the way its front end would complain first:
- only dialects the emitter prints (func, affine, scf, arith, math, memref, hlsdf);
- only ops with a row for their dtype in the op table (`passes/analysis/op_table.py`),
  the one list of what llmhls can print and price;
- no dynamic allocation (every memref.alloc/alloca has a static shape);
- static trip counts: loop bounds depend only on constants and enclosing
  loop counters, never on values loaded from memory or passed in;
- no recursion (the call graph is acyclic).
The first violation is one error naming the op and its PyTorch origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from torch_mlir import ir

from llmhls.errors import UnsupportedError
from llmhls.passes.analysis import op_table
from llmhls.passes.analysis.ir_utils import (
    describe_location,
    functions,
    has_body,
    symbol_name,
    walk_ops,
)
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

SYNTHESIZABLE_DIALECTS = ("func", "affine", "scf", "arith", "math", "memref", "hlsdf")

# Ops whose results may feed a loop bound without making the trip count dynamic.
_STATIC_INDEX_OPS = {
    "arith.constant",
    "arith.addi",
    "arith.subi",
    "arith.muli",
    "arith.index_cast",
    "affine.apply",
    "affine.min",
    "affine.max",
}


@register_pass
@dataclass(frozen=True)
class VerifySynthesizable(Pass):
    """Fail with one clear line on the first construct HLS cannot synthesize."""

    name = "hls-verify-synthesizable"
    summary = "check static shapes, static trip counts, no recursion, known dialects"

    def run(self, module: ir.Module) -> None:
        defined = [f for f in functions(module) if has_body(f)]
        _check_no_recursion(defined)
        for func in defined:
            for op in walk_ops(func):
                _check_op(op)


def _check_op(op: ir.Operation) -> None:
    dialect = op.name.split(".", 1)[0]
    if dialect not in SYNTHESIZABLE_DIALECTS:
        raise UnsupportedError(
            f"op '{op.name}' (from {describe_location(op)}) is not synthesizable by llmhls: "
            f"only {', '.join(SYNTHESIZABLE_DIALECTS)} ops reach HLS C++"
        )
    op_table.row_for(op)
    if op.name in ("memref.alloc", "memref.alloca"):
        if not op.results[0].type.has_static_shape:
            raise UnsupportedError(
                f"dynamic allocation {op.results[0].type} (from {describe_location(op)}): "
                "HLS needs static buffer sizes"
            )
    elif op.name == "affine.for":
        view = op.opview
        for value in [*view.lowerBoundOperands, *view.upperBoundOperands]:
            _check_static_index(value, op)
    elif op.name == "scf.for":
        for value in list(op.operands)[:3]:
            _check_static_index(value, op)


def _check_static_index(value: ir.Value, loop: ir.Operation) -> None:
    """A loop bound is static when it derives from constants and loop counters only."""
    pending = [value]
    seen: set[ir.Value] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        owner = current.owner
        if isinstance(owner, ir.Block):
            parent = owner.owner
            if parent is not None and parent.name in ("affine.for", "scf.for"):
                continue  # a loop counter: bounded by its own (checked) loop
            raise UnsupportedError(
                f"loop (from {describe_location(loop)}) has a trip count set by a function "
                "argument: HLS needs static trip counts"
            )
        producer = owner.operation
        if producer.name not in _STATIC_INDEX_OPS:
            raise UnsupportedError(
                f"loop (from {describe_location(loop)}) has a data-dependent trip count "
                f"(bound computed by '{producer.name}'): HLS needs static trip counts"
            )
        pending.extend(producer.operands)


def _check_no_recursion(defined: list[ir.Operation]) -> None:
    graph = nx.DiGraph()
    for func in defined:
        caller = symbol_name(func)
        graph.add_node(caller)
        for op in walk_ops(func):
            if op.name == "func.call":
                graph.add_edge(caller, ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    path = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    raise UnsupportedError(f"recursive calls ({path}) cannot be synthesized")
