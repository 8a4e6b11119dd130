"""Import an ExportedProgram into MLIR (torch dialect → linalg-on-tensors).

Every placeholder of the program (parameters, buffers, lifted constants and
user inputs) becomes an argument of the top function, so weights never enter
the IR as literals: the emitter reads them from `.bin` files instead. Each
argument is tagged with `llmhls.name`/`llmhls.arg`/`llmhls.role`, and every op
gets a name location `"<module path>:<aten op>"` so later stages can name
loops and buffers after the PyTorch code they came from.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind
from torch_mlir import ir
from torch_mlir.compiler_utils import OutputType
from torch_mlir.extras.fx_importer import ContextCache, FxImporter
from torch_mlir.fx import _module_lowering

from llmhls.compiler.context import make_context
from llmhls.compiler.decompositions import decomposition_table
from llmhls.compiler.testbench import TESTBENCH_RESERVED
from llmhls.errors import LlmhlsError, UnsupportedError
from llmhls.passes.analysis.ir_utils import c_identifier, describe_label, location_label_text
from llmhls.passes.pipeline import DiagnosticCollector

ROLE_INPUT = "input"
ROLE_WEIGHT = "weight"
ROLE_OUTPUT = "output"

_TORCH_TO_NUMPY = {
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.float16: np.float16,
    torch.int64: np.int64,
    torch.int32: np.int32,
    torch.int16: np.int16,
    torch.int8: np.int8,
    torch.uint8: np.uint8,
    torch.bool: np.bool_,
}


@dataclass
class Interface:
    """One argument of the top function: a user input, a weight or an output."""

    name: str  # the PyTorch name ("x", "l.weight", "output0")
    arg: str  # the C identifier ("x", "l_weight", "output0")
    role: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name ("float32", "int64", ...)
    value: np.ndarray | None = field(default=None, repr=False)  # weights only
    # Weights whose dimensions hls-weight-layout permuted: stored = value.transpose(layout).
    layout: tuple[int, ...] | None = None

    @property
    def stored_shape(self) -> tuple[int, ...]:
        """The shape the kernel indexes and the .bin file holds (`shape` permuted by layout)."""
        if self.layout is None:
            return self.shape
        return tuple(self.shape[axis] for axis in self.layout)


@dataclass
class ImportedModel:
    module: ir.Module
    interfaces: list[Interface]
    timings: dict[str, float]


def _numpy_value(tensor: torch.Tensor) -> np.ndarray:
    tensor = tensor.detach().contiguous().cpu()
    if tensor.dtype not in _TORCH_TO_NUMPY:
        raise UnsupportedError(f"tensor dtype {tensor.dtype} is not supported")
    return tensor.numpy().astype(_TORCH_TO_NUMPY[tensor.dtype], copy=True)


def _dtype_name(dtype: torch.dtype, what: str) -> str:
    if dtype not in _TORCH_TO_NUMPY:
        raise UnsupportedError(f"{what} has dtype {dtype}, which llmhls does not support")
    return np.dtype(_TORCH_TO_NUMPY[dtype]).name


def _op_label(node: torch.fx.Node) -> str:
    """`<innermost module path>:<aten op>` of the op this node came from."""
    original = node.meta.get("original_aten")
    op_name = getattr(original, "_opname", None) or getattr(node.target, "_opname", None)
    op_name = op_name or str(node.target).split(".")[-1]
    stack = node.meta.get("nn_module_stack") or {}
    module_path = ""
    if stack:
        module_path = list(stack.values())[-1][0]
    module_path = module_path.replace("L['self'].", "").replace("L__self___", "")
    return f"{module_path}:{op_name}"


def _check_dtypes(program: ExportedProgram) -> None:
    """Reject complex/unsupported tensor types up front, naming the op that makes them."""
    for node in program.graph.nodes:
        val = node.meta.get("val")
        if node.op == "call_function" and isinstance(val, torch.Tensor) and val.is_complex():
            module_path, _, op_name = _op_label(node).partition(":")
            raise UnsupportedError(
                f"complex tensors are not supported (aten.{op_name} in module "
                f"'{module_path or '<top>'}' produces {val.dtype})"
            )


class _NamedLocationCache(ContextCache):
    """Gives every imported op a `module:op` name location instead of a file location."""

    def get_node_location(self, node: torch.fx.Node) -> ir.Location:
        return ir.Location.name(_op_label(node), context=self._c)


def _interfaces(program: ExportedProgram) -> tuple[list[Interface], list[torch.fx.Node]]:
    signature = program.graph_signature
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder"]
    interfaces: list[Interface] = []
    used_args: set[str] = set()

    def unique(ident: str) -> str:
        # Arguments also live in the testbench's main(): avoid its names too.
        ident = c_identifier(ident, TESTBENCH_RESERVED)
        base, n = ident, 1
        while ident in used_args:
            ident, n = f"{base}_{n}", n + 1
        used_args.add(ident)
        return ident

    for spec, node in zip(signature.input_specs, placeholders, strict=True):
        val = node.meta.get("val")
        if spec.kind == InputKind.USER_INPUT:
            if not isinstance(val, torch.Tensor):
                raise UnsupportedError(
                    f"input '{node.name}' is not a tensor ({type(val).__name__})"
                )
            interfaces.append(
                Interface(
                    node.name,
                    unique(c_identifier(node.name)),
                    ROLE_INPUT,
                    tuple(int(d) for d in val.shape),
                    _dtype_name(val.dtype, f"input '{node.name}'"),
                )
            )
            continue
        if spec.kind in (InputKind.PARAMETER, InputKind.BUFFER):
            tensor = (
                program.state_dict[spec.target]
                if spec.target in program.state_dict
                else program.constants[spec.target]
            )
        elif spec.kind in (InputKind.CONSTANT_TENSOR,):
            tensor = program.constants[spec.target]
        elif spec.kind == InputKind.TOKEN:
            raise UnsupportedError(
                "the program threads a side-effect token (ops with runtime checks such as "
                "torch.linalg.inv create one); llmhls compiles pure tensor programs only"
            )
        else:
            raise UnsupportedError(f"program input '{node.name}' of kind {spec.kind.name}")
        interfaces.append(
            Interface(
                spec.target,
                unique(c_identifier(spec.target)),
                ROLE_WEIGHT,
                tuple(tensor.shape),
                _dtype_name(tensor.dtype, f"weight '{spec.target}'"),
                _numpy_value(tensor),
            )
        )
    output_node = next(n for n in program.graph.nodes if n.op == "output")
    outputs = output_node.args[0]
    for index, spec in enumerate(signature.output_specs):
        if spec.kind != OutputKind.USER_OUTPUT:
            raise UnsupportedError(
                f"the program mutates '{spec.target}' in place ({spec.kind.name}); "
                "llmhls compiles functional programs only"
            )
        val = outputs[index].meta.get("val") if isinstance(outputs[index], torch.fx.Node) else None
        if not isinstance(val, torch.Tensor):
            raise UnsupportedError(f"output {index} is not a tensor")
        name = f"output{index}"
        interfaces.append(
            Interface(
                name,
                unique(name),
                ROLE_OUTPUT,
                tuple(int(d) for d in val.shape),
                _dtype_name(val.dtype, f"output {index}"),
            )
        )
    return interfaces, placeholders


def import_program(program: ExportedProgram, *, func_name: str) -> ImportedModel:
    """ExportedProgram → MLIR module at linalg-on-tensors, arguments tagged with interfaces."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    program = program.run_decompositions(decomposition_table())
    interfaces, _ = _interfaces(program)
    _check_dtypes(program)
    timings["decompose_s"] = time.perf_counter() - start

    start = time.perf_counter()
    context = make_context()
    importer = FxImporter(context=context)
    importer._cc = _NamedLocationCache(context, py_attr_tracker=importer._py_attr_tracker)
    try:
        importer.import_stateless_graph(program.graph, func_name=func_name)
    except NotImplementedError as exc:
        raise UnsupportedError(f"torch-mlir cannot import this program: {exc}") from None
    module = importer.module
    timings["import_s"] = time.perf_counter() - start

    start = time.perf_counter()
    with DiagnosticCollector(context) as diagnostics:
        try:
            module = _module_lowering(False, False, OutputType.LINALG_ON_TENSORS, module)
        except Exception as exc:  # torch-mlir raises a bare Exception holding a repro dump
            raise LlmhlsError(_lowering_failure(diagnostics, exc)) from None
    timings["to_linalg_s"] = time.perf_counter() - start
    tag_interfaces(module, func_name, interfaces)
    return ImportedModel(module, interfaces, timings)


def _lowering_failure(diagnostics: DiagnosticCollector, exc: Exception) -> str:
    """One line naming the torch op that has no linalg lowering and where it came from."""
    first = diagnostics.first()
    if first is None:
        return f"lowering to linalg failed: {str(exc).strip().splitlines()[0]}"
    location, message = first
    where = describe_label(location_label_text(location))
    operator = re.search(r'name = "torch\.([^"]+)"', message)
    illegal = re.search(r"failed to legalize operation '([^']+)'", message)
    if operator or illegal:
        op_name = operator.group(1) if operator else illegal.group(1)
        return f"unsupported op '{op_name}' ({where}): torch-mlir has no lowering of it to linalg"
    return f"lowering to linalg failed at {where}: {message.splitlines()[0]}"


def tag_interfaces(module: ir.Module, func_name: str, interfaces: list[Interface]) -> None:
    """Record each argument's name/arg/role on the top function for later stages."""
    func = find_function(module, func_name)
    with module.context:
        arg_attrs = []
        for iface in interfaces:
            if iface.role == ROLE_OUTPUT:
                continue
            arg_attrs.append(_interface_attr(iface))
        func.attributes["arg_attrs"] = ir.ArrayAttr.get(arg_attrs)
        result_attrs = [_interface_attr(i) for i in interfaces if i.role == ROLE_OUTPUT]
        func.attributes["res_attrs"] = ir.ArrayAttr.get(result_attrs)


def _interface_attr(iface: Interface) -> ir.Attribute:
    return ir.DictAttr.get(
        {
            "llmhls.name": ir.StringAttr.get(iface.name),
            "llmhls.arg": ir.StringAttr.get(iface.arg),
            "llmhls.role": ir.StringAttr.get(iface.role),
        }
    )


def find_function(module: ir.Module, func_name: str) -> ir.Operation:
    for op in module.body.operations:
        if (
            op.operation.name == "func.func"
            and ir.StringAttr(op.attributes["sym_name"]).value == func_name
        ):
            return op.operation
    raise LlmhlsError(f"function '@{func_name}' not found in module")
