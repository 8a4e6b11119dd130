"""hls-results-to-args: returned memrefs become output arguments.

An HLS top function returns nothing: every output is an `m_axi` pointer the
host passes in. When the returned buffer is a local allocation, the
allocation is replaced by the new argument (no copy); otherwise the value is
copied into it with `memref.copy` (lowered later by hls-copies-to-loops).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir
from torch_mlir.dialects import func as func_d
from torch_mlir.dialects import memref

from llmhls.errors import UnsupportedError
from llmhls.passes.analysis.ir_utils import functions, has_body, set_function_type, symbol_name
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class ResultsToArgs(Pass):
    """Turn returned memrefs of every defined function into trailing output arguments."""

    name = "hls-results-to-args"
    summary = "returned memrefs become output arguments (alloc replaced, else copied)"

    def run(self, module: ir.Module) -> None:
        with module.context:
            for func in functions(module):
                if has_body(func):
                    _convert(func)


def _convert(func: ir.Operation) -> None:
    block = func.regions[0].blocks[0]
    ret = block.operations[len(block.operations) - 1].operation
    values = list(ret.operands)
    if not values:
        return
    func_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    arg_attrs = (
        list(ir.ArrayAttr(func.attributes["arg_attrs"]))
        if "arg_attrs" in func.attributes
        else [ir.DictAttr.get({}) for _ in func_type.inputs]
    )
    res_attrs = (
        list(ir.ArrayAttr(func.attributes["res_attrs"]))
        if "res_attrs" in func.attributes
        else [ir.DictAttr.get({}) for _ in func_type.results]
    )
    for index in range(len(values)):
        # Read the operand afresh: a buffer returned twice was replaced by the first
        # output argument when its allocation went, and is copied from it the second time.
        value = ret.operands[index]
        if not isinstance(value.type, ir.MemRefType):
            raise UnsupportedError(
                f"function '@{symbol_name(func)}' returns a scalar ({value.type}); "
                "llmhls needs tensor outputs"
            )
        out_arg = block.add_argument(value.type, ret.location)
        owner = value.owner
        owner_op = owner.operation if isinstance(owner, ir.OpView | ir.Operation) else None
        is_fresh_alloc = (
            owner_op is not None
            and owner_op.name in ("memref.alloc", "memref.alloca")
            and owner_op.parent.name == "func.func"
        )
        if is_fresh_alloc:
            value.replace_all_uses_with(out_arg)
            owner_op.erase()
        else:
            memref.CopyOp(value, out_arg, ip=ir.InsertionPoint(ret), loc=ret.location)
    inputs = [arg.type for arg in block.arguments]
    set_function_type(func, inputs, [])
    func.attributes["arg_attrs"] = ir.ArrayAttr.get(arg_attrs + res_attrs)
    if "res_attrs" in func.attributes:
        del func.attributes["res_attrs"]
    func_d.ReturnOp([], ip=ir.InsertionPoint(ret), loc=ret.location)
    ret.erase()
