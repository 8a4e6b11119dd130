"""hls-f64-to-f32: compute in f32 where PyTorch's decompositions asked for f64.

LayerNorm/variance decompositions upcast to f64; FPGA float64 costs ~4x the
DSPs and the f32 result matches PyTorch's f32 model within tolerance. Every
f64 value, memref element type, constant and function argument becomes f32;
extf/truncf that turn into no-ops are removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch_mlir import ir

from llmhls.passes.analysis.ir_utils import functions, set_function_type, walk_ops
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass


def _narrow(type_: ir.Type) -> ir.Type | None:
    """The f32 version of an f64 scalar or memref type, None when unchanged."""
    if isinstance(type_, ir.F64Type):
        return ir.F32Type.get()
    if isinstance(type_, ir.MemRefType):
        mem = ir.MemRefType(type_)
        if isinstance(mem.element_type, ir.F64Type):
            return ir.MemRefType.get(mem.shape, ir.F32Type.get(), mem.layout, mem.memory_space)
    return None


@register_pass
@dataclass(frozen=True)
class F64ToF32(Pass):
    """Narrow every f64 to f32."""

    name = "hls-f64-to-f32"
    summary = "narrow f64 values, buffers and constants to f32"

    def run(self, module: ir.Module) -> None:
        with module.context, ir.Location.unknown():
            for func in functions(module):
                self._narrow_signature(func)
            for op in walk_ops(module.operation):
                self._narrow_op(op)

    @staticmethod
    def _narrow_signature(func: ir.Operation) -> None:
        func_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        inputs = [(_narrow(t) or t) for t in func_type.inputs]
        results = [(_narrow(t) or t) for t in func_type.results]
        set_function_type(func, inputs, results)

    @staticmethod
    def _narrow_op(op: ir.Operation) -> None:
        for region in op.regions:
            for block in region.blocks:
                for arg in block.arguments:
                    if (new := _narrow(arg.type)) is not None:
                        arg.set_type(new)
        if op.name == "arith.constant" and isinstance(op.results[0].type, ir.F64Type):
            value = ir.FloatAttr(op.attributes["value"]).value
            op.attributes["value"] = ir.FloatAttr.get(ir.F32Type.get(), value)
        if op.name == "memref.global":
            global_type = ir.TypeAttr(op.attributes["type"]).value
            if (new := _narrow(global_type)) is not None:
                op.attributes["type"] = ir.TypeAttr.get(new)
                if "initial_value" in op.attributes and isinstance(
                    op.attributes["initial_value"], ir.DenseFPElementsAttr
                ):
                    values = np.array(op.attributes["initial_value"])
                    tensor_type = ir.RankedTensorType.get(
                        ir.MemRefType(new).shape, ir.F32Type.get()
                    )
                    op.attributes["initial_value"] = ir.DenseElementsAttr.get(
                        values.astype(np.float32), type=tensor_type
                    )
        for result in op.results:
            if (new := _narrow(result.type)) is not None:
                result.set_type(new)
        if op.name in ("arith.extf", "arith.truncf") and op.operands[0].type == op.results[0].type:
            op.results[0].replace_all_uses_with(op.operands[0])
            op.erase()
