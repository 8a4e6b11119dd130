"""Emit Vitis HLS C++ from HLS-legal affine IR (`llmhls-translate --emit-hlscpp`).

The emitter only prints: every decision (loop order, directives, which
tensors are interfaces) was made by passes and sits in the IR as ops and
attributes. Conventions of the printed code:

- the top function takes one pointer per interface, in argument order, each
  on an `m_axi` bundle with `s_axilite` control; outputs are the trailing
  non-const pointers;
- every array is flat (row-major, `float name[N]` with the shape in a comment)
  so reshapes and views are free aliases; the element offset of each access
  is the simplified affine expression of the view's strides;
- local buffers are `static` (large activations do not fit a C stack in
  C-simulation; HLS maps them to on-chip RAM either way), except the
  channels of a dataflow region: UG1399's canonical body wants local,
  non-static arrays there (hls::stream locals are fine either way);
- loops are labelled `L_<module>_<op>_<n>` after the PyTorch op they came
  from, one statement per line, scalars as `const` temporaries.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field

import numpy as np
from torch_mlir import ir

from llmhls.compiler.emit.affine_expr import affine_expr_to_c, linearize
from llmhls.dialects.hlsdf import is_stream_type, stream_depth, stream_element
from llmhls.errors import UnsupportedError
from llmhls.passes import directives
from llmhls.passes.analysis import op_table
from llmhls.passes.analysis.costs import MAXI_WIDEN_BITS
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    describe_location,
    fresh_name,
    function_arg_attrs,
    functions,
    has_body,
    location_label,
    loop_label_base,
    maxi_bundle,
    symbol_name,
    walk_ops,
)

INDENT = "  "
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# C comparisons are false on NaN (except !=), so ordered `one` and the unordered
# predicates (true on NaN, e.g. ReLU's `ugt` that keeps NaN) are written around that.
_CMPF = {
    "oeq": "{0} == {1}", "ogt": "{0} > {1}", "oge": "{0} >= {1}", "olt": "{0} < {1}",
    "ole": "{0} <= {1}", "one": "{0} < {1} || {0} > {1}", "ueq": "!({0} < {1} || {0} > {1})",
    "ugt": "!({0} <= {1})", "uge": "!({0} < {1})", "ult": "!({0} >= {1})",
    "ule": "!({0} > {1})", "une": "{0} != {1}",
}  # fmt: skip
_CMPF_PREDICATES = [
    "false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
    "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true",
]  # fmt: skip
_CMPI_PREDICATES = ["==", "!=", "<", "<=", ">", ">=", "<", "<=", ">", ">="]
_UNSIGNED_CMPI = {6, 7, 8, 9}


def c_type(type_: ir.Type) -> str:
    """The C++ scalar type of an MLIR element type."""
    if isinstance(type_, ir.F32Type):
        return "float"
    if isinstance(type_, ir.F64Type):
        return "double"
    if isinstance(type_, ir.IndexType):
        return "int"
    if isinstance(type_, ir.IntegerType):
        width = type_.width
        if width == 1:
            return "bool"
        if width in (8, 16, 32, 64):
            return f"uint{width}_t" if type_.is_unsigned else f"int{width}_t"
    raise UnsupportedError(f"element type {type_} has no C++ mapping in llmhls")


def _float_literal(value: float, type_: ir.Type) -> str:
    """Shortest text that reads back as the same f32/f64; <cmath>'s macros for inf/NaN."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "-INFINITY" if value < 0 else "INFINITY"
    if isinstance(type_, ir.F64Type):
        return repr(float(value))
    as_f32 = struct.unpack("f", struct.pack("f", value))[0]
    text = f"{as_f32:.9g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return f"{text}f"


@dataclass
class BufferView:
    """A memref value as storage name + the strided layout of this view."""

    storage: str
    shape: list[int]
    strides: list[int]
    offset: int
    element: ir.Type


@dataclass
class EmittedKernel:
    top: str
    source: str
    header: str
    arguments: list[dict[str, str]] = field(default_factory=list)


class FunctionEmitter:
    """Prints one func.func; values get names as they are defined."""

    def __init__(
        self,
        func: ir.Operation,
        globals_: dict[str, str],
        is_top: bool,
        written: set[int] | None = None,
        interface_pragmas: bool = True,
    ) -> None:
        self.func = func
        self.name = symbol_name(func)
        self.globals = globals_
        self.is_top = is_top
        self.interface_pragmas = interface_pragmas
        self.written = written or set()  # argument indices stored to (see _written_arguments)
        self.lines: list[str] = []
        # Keyed by the ir.Value itself (hashes by identity): Value.get_name()
        # builds an AsmState per call and made emission quadratic.
        self.scalars: dict[ir.Value, str] = {}  # SSA value → C expression
        self.buffers: dict[ir.Value, BufferView] = {}
        self.used_names: set[str] = set()
        self.loop_labels: dict[str, int] = {}
        self.temp_count = 0
        self.arg_infos: list[dict[str, str]] = []

    # -- naming -------------------------------------------------------
    @staticmethod
    def _key(value: ir.Value) -> ir.Value:
        return value

    def _fresh(self, base: str) -> str:
        return fresh_name(base, self.used_names)

    def _label(self, op: ir.Operation) -> str:
        base = loop_label_base(op)
        index = self.loop_labels.get(base, 0)
        self.loop_labels[base] = index + 1
        return f"{base}_{index}"

    # -- values -------------------------------------------------------
    def scalar(self, value: ir.Value) -> str:
        key = self._key(value)
        if key not in self.scalars:
            owner = value.owner
            where = describe_location(owner) if isinstance(owner, ir.Operation | ir.OpView) else ""
            raise UnsupportedError(f"value {value.get_name()} used before definition ({where})")
        return self.scalars[key]

    def buffer(self, value: ir.Value) -> BufferView:
        key = self._key(value)
        if key not in self.buffers:
            raise UnsupportedError(
                f"memref {value.get_name()} has no storage in the emitted function"
            )
        return self.buffers[key]

    def bind_temp(self, value: ir.Value, expr: str, indent: int) -> None:
        """`const T tN = expr;` so each statement is one line."""
        name = self._fresh(f"t{self.temp_count}")
        self.temp_count += 1
        self.emit(indent, f"const {c_type(value.type)} {name} = {expr};")
        self.scalars[self._key(value)] = name

    def emit(self, indent: int, text: str) -> None:
        self.lines.append(INDENT * indent + text)

    # -- function -----------------------------------------------------
    def signature(self) -> tuple[str, list[str]]:
        block = self.func.regions[0].blocks[0]
        attrs = function_arg_attrs(self.func)
        params: list[str] = []
        pragmas: list[str] = []
        for index, arg in enumerate(block.arguments):
            info = attrs[index] if index < len(attrs) else {}
            role = info.get("llmhls.role", "input")
            name = self._fresh(info.get("llmhls.arg", f"arg{index}"))
            if is_stream_type(arg.type):
                if self.is_top:
                    raise UnsupportedError(
                        f"argument '{name}' of the top function '@{self.name}' is a stream; "
                        "llmhls kernels take memory (m_axi) ports only"
                    )
                params.append(f"{_stream_ctype(arg.type)}& {name}")
                self.scalars[self._key(arg)] = name  # a stream prints as its name
                continue
            if not isinstance(arg.type, ir.MemRefType):
                ctype = c_type(arg.type)
                params.append(f"{ctype} {name}")
                self.scalars[self._key(arg)] = name
                pragmas.append(f"#pragma HLS INTERFACE s_axilite port={name} bundle=control")
                continue
            mem = arg.type
            if not mem.has_static_shape:
                raise UnsupportedError(
                    f"argument '{name}' of '@{self.name}' has dynamic shape {mem}"
                )
            ctype = c_type(mem.element_type)
            const = "" if role == "output" or index in self.written else "const "
            size = int(np.prod(mem.shape)) if mem.rank else 1
            if self.is_top:
                params.append(f"{const}{ctype}* {name}")
            else:
                # Sized array parameters let Vitis see each dataflow channel's extent
                # (for a strided view: up to the last element it can address).
                params.append(f"{const}{ctype} {name}[{_addressed_extent(mem)}]")
            self._bind_storage(arg, name)
            bundle = maxi_bundle(info)
            if not _IDENTIFIER.fullmatch(bundle):
                raise UnsupportedError(
                    f"argument '{name}' of '@{self.name}' has m_axi bundle {bundle!r}, "
                    "not a C identifier"
                )
            # Vitis widens bursts of narrow elements to 512-bit beats (AXI data width).
            pragmas.append(
                f"#pragma HLS INTERFACE m_axi port={name} offset=slave bundle={bundle} "
                f"depth={size} max_widen_bitwidth={MAXI_WIDEN_BITS}"
            )
            pragmas.append(f"#pragma HLS INTERFACE s_axilite port={name} bundle=control")
            self.arg_infos.append(
                {"arg": name, "role": role, "ctype": ctype, "shape": "x".join(map(str, mem.shape))}
            )
        pragmas.append("#pragma HLS INTERFACE s_axilite port=return bundle=control")
        return f"void {self.name}(\n{INDENT}" + f",\n{INDENT}".join(params) + "\n)", pragmas

    def _bind_storage(self, value: ir.Value, storage: str) -> None:
        mem = value.type
        strides, offset = mem.get_strides_and_offset()
        if any(mem.is_dynamic_stride_or_offset(s) for s in [*strides, offset]):
            raise UnsupportedError(f"memref {mem} has a dynamic layout")
        self.buffers[self._key(value)] = BufferView(
            storage, list(mem.shape), list(strides), offset, mem.element_type
        )

    def emit_function(self) -> str:
        signature, pragmas = self.signature()
        body_start = len(self.lines)
        self.emit_block(self.func.regions[0].blocks[0], 1)
        body = self.lines[body_start:]
        self.lines = self.lines[:body_start]
        # INTERFACE pragmas only mean something on the top function's ports.
        function_pragmas = list(pragmas) if self.is_top and self.interface_pragmas else []
        if directives.is_dataflow(self.func):
            function_pragmas.append("#pragma HLS dataflow")
        if directives.is_task(self.func):
            function_pragmas.append("#pragma HLS inline off")
        out = [signature + " {", *function_pragmas, *body, "}"]
        return "\n".join(out) + "\n"

    def emit_block(self, block: ir.Block, indent: int) -> None:
        for op in block.operations:
            self.emit_op(op.operation, indent)

    # -- ops ----------------------------------------------------------
    def emit_op(self, op: ir.Operation, indent: int) -> None:
        """Print `op` in the C++ form its op-table row gives (a method for structural ops)."""
        name = op.name
        row = op_table.find(name, op_table.op_dtype(op))
        if row is None:
            raise UnsupportedError(
                f"cannot emit op '{name}' (from {describe_location(op)}) as HLS C++"
            )
        if row.form == op_table.METHOD:
            getattr(self, "_op_" + name.replace(".", "_"))(op, indent)
        elif row.form == op_table.BINARY:
            lhs, rhs = (self.scalar(v) for v in op.operands)
            self.bind_temp(op.results[0], f"{lhs} {row.cpp} {rhs}", indent)
        elif row.form == op_table.CALL:
            args = ", ".join(self._typed_operand(op, v) for v in op.operands)
            self.bind_temp(op.results[0], f"{row.cpp}({args})", indent)
        elif row.form == op_table.CAST:
            self.bind_temp(op.results[0], self._cast(op), indent)

    def _cast(self, op: ir.Operation) -> str:
        """A C cast; zero-extending casts read the (signless) source as unsigned first."""
        source, result = op.operands[0].type, op.results[0].type
        value = self.scalar(op.operands[0])
        if isinstance(result, ir.IntegerType) and result.width == 1 and op.name == "arith.trunci":
            return f"({value} & 1) != 0"  # the low bit, not `!= 0`
        unsigned = op.name in ("arith.extui", "arith.uitofp", "arith.index_castui")
        if unsigned and isinstance(source, ir.IntegerType) and source.width > 1:
            value = f"(uint{source.width}_t){value}"
        elif unsigned and isinstance(source, ir.IndexType):
            value = f"(unsigned){value}"
        return f"({c_type(result)}){value}"

    def _typed_operand(self, op: ir.Operation, value: ir.Value) -> str:
        """std::max/min need both operands of one type: cast literals explicitly."""
        text = self.scalar(value)
        is_min_max = op.name.startswith(("arith.max", "arith.min"))
        if is_min_max and not isinstance(value.type, ir.FloatType):
            return f"({c_type(value.type)}){text}"
        return text

    def _op_arith_constant(self, op: ir.Operation, indent: int) -> None:
        attr = op.attributes["value"]
        type_ = op.results[0].type
        if isinstance(attr, ir.BoolAttr):
            text = "true" if attr.value else "false"
        elif isinstance(attr, ir.FloatAttr):
            text = _float_literal(attr.value, type_)
        elif isinstance(attr, ir.IntegerAttr):
            if isinstance(type_, ir.IntegerType) and type_.width == 1:
                text = "true" if attr.value else "false"
            else:
                value = attr.value
                text = f"{value}LL" if c_type(type_) == "int64_t" else str(value)
        else:
            raise UnsupportedError(
                f"non-scalar constant {type_} (from {describe_location(op)}) is not emitted "
                "inline; it should have been bufferized into a memref.global"
            )
        self.scalars[self._key(op.results[0])] = text

    def _op_arith_negf(self, op: ir.Operation, indent: int) -> None:
        self.bind_temp(op.results[0], f"-{self.scalar(op.operands[0])}", indent)

    def _op_arith_select(self, op: ir.Operation, indent: int) -> None:
        cond, lhs, rhs = (self.scalar(v) for v in op.operands)
        self.bind_temp(op.results[0], f"{cond} ? {lhs} : {rhs}", indent)

    def _op_arith_cmpf(self, op: ir.Operation, indent: int) -> None:
        predicate = _CMPF_PREDICATES[ir.IntegerAttr(op.attributes["predicate"]).value]
        lhs, rhs = (self.scalar(v) for v in op.operands)
        if predicate in _CMPF:
            expr = _CMPF[predicate].format(lhs, rhs)
        elif predicate == "ord":
            expr = f"!std::isnan({lhs}) && !std::isnan({rhs})"
        elif predicate == "uno":
            expr = f"std::isnan({lhs}) || std::isnan({rhs})"
        else:
            expr = predicate
        self.bind_temp(op.results[0], expr, indent)

    def _op_arith_cmpi(self, op: ir.Operation, indent: int) -> None:
        predicate = ir.IntegerAttr(op.attributes["predicate"]).value
        lhs, rhs = (self.scalar(v) for v in op.operands)
        if predicate in _UNSIGNED_CMPI:
            width = op.operands[0].type
            cast = (
                "uint64_t"
                if not isinstance(width, ir.IntegerType)
                else f"uint{max(8, width.width)}_t"
            )
            lhs, rhs = f"({cast}){lhs}", f"({cast}){rhs}"
        self.bind_temp(op.results[0], f"{lhs} {_CMPI_PREDICATES[predicate]} {rhs}", indent)

    def _op_math_fpowi(self, op: ir.Operation, indent: int) -> None:
        base, exponent = (self.scalar(v) for v in op.operands)
        ctype = c_type(op.results[0].type)
        self.bind_temp(op.results[0], f"hls::pow({base}, ({ctype}){exponent})", indent)

    def _op_math_absi(self, op: ir.Operation, indent: int) -> None:
        value = self.scalar(op.operands[0])
        self.bind_temp(op.results[0], f"{value} < 0 ? -{value} : {value}", indent)

    # memory
    def _op_memref_alloc(self, op: ir.Operation, indent: int) -> None:
        mem = op.results[0].type
        if not mem.has_static_shape:
            raise UnsupportedError(
                f"dynamically sized buffer {mem} (from {describe_location(op)}): "
                "llmhls needs static shapes"
            )
        label = location_label(op.location)
        base = label.replace(":", "_") if label else "buf"
        storage = self._fresh(base)
        size = int(np.prod(mem.shape)) if mem.rank else 1
        shape = "][".join(map(str, mem.shape)) or "1"
        storage_class = "" if directives.is_dataflow(self.func) else "static "
        self.emit(
            indent,
            f"{storage_class}{c_type(mem.element_type)} {storage}[{size}];  // [{shape}]",
        )
        self._emit_array_directives(op, storage, indent)
        self._bind_storage(op.results[0], storage)

    def _emit_array_directives(self, op: ir.Operation, storage: str, indent: int) -> None:
        """hlsdf.partition / hlsdf.bind_storage of a local buffer (arrays are flat: dim=1)."""
        partition = directives.get_partition(op)
        if partition is not None:
            factor = "" if partition.kind == "complete" else f" factor={partition.factor}"
            self.emit(
                indent,
                f"#pragma HLS array_partition variable={storage} {partition.kind}{factor} dim=1",
            )
        storage_binding = directives.get_bind_storage(op)
        if storage_binding is not None:
            self.emit(
                indent,
                f"#pragma HLS bind_storage variable={storage} type={storage_binding.type} "
                f"impl={storage_binding.impl}",
            )

    _op_memref_alloca = _op_memref_alloc

    # streams (hls::stream FIFOs between dataflow tasks)
    def _op_hlsdf_stream_create(self, op: ir.Operation, indent: int) -> None:
        label = location_label(op.location)
        name = self._fresh(label.replace(":", "_") if label else "stream")
        stream = op.results[0].type
        self.emit(indent, f'{_stream_ctype(stream)} {name}("{name}");')
        self.emit(indent, f"#pragma HLS stream variable={name} depth={stream_depth(stream)}")
        self.scalars[self._key(op.results[0])] = name  # a stream prints as its name

    def _op_hlsdf_stream_read(self, op: ir.Operation, indent: int) -> None:
        self.bind_temp(op.results[0], f"{self.scalar(op.operands[0])}.read()", indent)

    def _op_hlsdf_stream_write(self, op: ir.Operation, indent: int) -> None:
        stream, value = (self.scalar(v) for v in op.operands)
        self.emit(indent, f"{stream}.write({value});")

    def _op_memref_get_global(self, op: ir.Operation, indent: int) -> None:
        symbol = ir.FlatSymbolRefAttr(op.attributes["name"]).value
        self._bind_storage(op.results[0], self.globals[symbol])

    def _alias(self, op: ir.Operation, indent: int) -> None:
        """Views (reshape, cast, subview) share storage; their type carries the layout."""
        source = self.buffer(op.operands[0])
        self._bind_storage(op.results[0], source.storage)

    _op_memref_expand_shape = _alias
    _op_memref_collapse_shape = _alias
    _op_memref_cast = _alias
    _op_memref_subview = _alias
    _op_memref_reinterpret_cast = _alias

    def _access(
        self,
        view: BufferView,
        results: list[ir.AffineExpr],
        dims: list[str],
        symbols: list[str],
        num_dims: int,
        num_symbols: int,
    ) -> str:
        if not view.shape:
            return f"{view.storage}[{view.offset}]"
        linear = linearize(results, view.strides, view.offset, num_dims, num_symbols)
        return f"{view.storage}[{affine_expr_to_c(linear, dims, symbols)}]"

    def _affine_access(self, op: ir.Operation, memref: ir.Value, indices: list[ir.Value]) -> str:
        affine_map = ir.AffineMapAttr(op.attributes["map"]).value
        names = [self.scalar(v) for v in indices]
        dims, symbols = names[: affine_map.n_dims], names[affine_map.n_dims :]
        return self._access(
            self.buffer(memref), list(affine_map.results), dims, symbols,
            affine_map.n_dims, affine_map.n_symbols,
        )  # fmt: skip

    def _plain_access(self, memref: ir.Value, indices: list[ir.Value]) -> str:
        dims = [self.scalar(v) for v in indices]
        results = [ir.AffineDimExpr.get(i) for i in range(len(dims))]
        return self._access(self.buffer(memref), results, dims, [], len(dims), 0)

    def _op_affine_load(self, op: ir.Operation, indent: int) -> None:
        access = self._affine_access(op, op.operands[0], list(op.operands)[1:])
        self.bind_temp(op.results[0], access, indent)

    def _op_affine_store(self, op: ir.Operation, indent: int) -> None:
        access = self._affine_access(op, op.operands[1], list(op.operands)[2:])
        self.emit(indent, f"{access} = {self.scalar(op.operands[0])};")

    def _op_memref_load(self, op: ir.Operation, indent: int) -> None:
        access = self._plain_access(op.operands[0], list(op.operands)[1:])
        self.bind_temp(op.results[0], access, indent)

    def _op_memref_store(self, op: ir.Operation, indent: int) -> None:
        access = self._plain_access(op.operands[1], list(op.operands)[2:])
        self.emit(indent, f"{access} = {self.scalar(op.operands[0])};")

    # index arithmetic
    def _map_values(self, affine_map: ir.AffineMap, operands: list[ir.Value]) -> list[str]:
        names = [self.scalar(v) for v in operands]
        dims, symbols = names[: affine_map.n_dims], names[affine_map.n_dims :]
        return [affine_expr_to_c(e, dims, symbols) for e in affine_map.results]

    def _op_affine_apply(self, op: ir.Operation, indent: int) -> None:
        affine_map = ir.AffineMapAttr(op.attributes["map"]).value
        (expr,) = self._map_values(affine_map, list(op.operands))
        self.bind_temp(op.results[0], expr, indent)

    def _min_max(self, op: ir.Operation, indent: int, func: str) -> None:
        affine_map = ir.AffineMapAttr(op.attributes["map"]).value
        self.bind_temp(
            op.results[0],
            _fold_calls(func, self._map_values(affine_map, list(op.operands))),
            indent,
        )

    def _op_affine_min(self, op: ir.Operation, indent: int) -> None:
        self._min_max(op, indent, "std::min")

    def _op_affine_max(self, op: ir.Operation, indent: int) -> None:
        self._min_max(op, indent, "std::max")

    def _op_affine_delinearize_index(self, op: ir.Operation, indent: int) -> None:
        static = list(ir.DenseI64ArrayAttr(op.attributes["static_basis"]))
        if any(b < 0 for b in static) or len(op.operands) != 1:
            raise UnsupportedError(
                f"dynamic affine.delinearize_index (from {describe_location(op)})"
            )
        linear = self.scalar(op.operands[0])
        basis = (
            static[len(static) - len(op.results) :] if len(static) >= len(op.results) else static
        )
        if len(basis) == len(op.results) - 1:
            basis = [0, *basis]
        for index, result in enumerate(op.results):
            inner = int(np.prod(basis[index + 1 :])) if index + 1 < len(basis) else 1
            expr = f"({linear} / {inner})" if inner != 1 else linear
            if index > 0:
                expr = f"{expr} % {basis[index]}"
            self.bind_temp(result, expr, indent)

    def _op_affine_linearize_index(self, op: ir.Operation, indent: int) -> None:
        """Row-major offset of [i0, ..., iN-1] in `basis` (whose outer bound may be left out)."""
        static = list(ir.DenseI64ArrayAttr(op.attributes["static_basis"]))
        indices = [self.scalar(v) for v in op.operands]
        if any(b < 0 for b in static) or len(static) not in (len(indices), len(indices) - 1):
            raise UnsupportedError(f"dynamic affine.linearize_index (from {describe_location(op)})")
        terms = []
        for position, index in enumerate(indices):
            stride = int(np.prod(static[len(static) - len(indices) + position + 1 :]))
            terms.append(index if stride == 1 else f"{index} * {stride}")
        self.bind_temp(op.results[0], " + ".join(terms), indent)

    # control flow
    def _declare_results(self, op: ir.Operation, inits: list[ir.Value], indent: int) -> list[str]:
        names = []
        for result, init in zip(op.results, inits, strict=True):
            name = self._fresh(f"acc{self.temp_count}")
            self.temp_count += 1
            self.emit(indent, f"{c_type(result.type)} {name} = {self.scalar(init)};")
            self.scalars[self._key(result)] = name
            names.append(name)
        return names

    def _assign_yield(self, block: ir.Block, targets: list[str], indent: int) -> None:
        terminator = block.operations[len(block.operations) - 1].operation
        values = [self.scalar(value) for value in terminator.operands]
        if any(v in targets and v != t for t, v in zip(targets, values, strict=True)):
            # `scf.yield %b, %a` swaps iter_args: read every value before writing any.
            staged = []
            for value, text in zip(terminator.operands, values, strict=True):
                name = self._fresh(f"t{self.temp_count}")
                self.temp_count += 1
                self.emit(indent, f"const {c_type(value.type)} {name} = {text};")
                staged.append(name)
            values = staged
        for target, text in zip(targets, values, strict=True):
            self.emit(indent, f"{target} = {text};")

    def _loop(self, op: ir.Operation, indent: int, lower: str, upper: str, step: str,
              inits: list[ir.Value]) -> None:  # fmt: skip
        accumulators = self._declare_results(op, inits, indent)
        body = op.regions[0].blocks[0]
        iv = self._fresh(f"i{indent - 1}")
        self.used_names.discard(iv)  # a loop counter is scoped to its loop
        self.scalars[self._key(body.arguments[0])] = iv
        for arg, acc in zip(list(body.arguments)[1:], accumulators, strict=True):
            self.scalars[self._key(arg)] = acc
        increment = f"++{iv}" if step == "1" else f"{iv} += {step}"
        self.emit(
            indent, f"{self._label(op)}: for (int {iv} = {lower}; {iv} < {upper}; {increment}) {{"
        )
        self._emit_loop_directives(op, indent + 1)
        self.emit_block(body, indent + 1)
        self._assign_yield(body, accumulators, indent + 1)
        self.emit(indent, "}")

    def _emit_loop_directives(self, op: ir.Operation, indent: int) -> None:
        """Print the hlsdf.* directive attributes that passes put on a loop."""
        pipeline = directives.get_pipeline(op)
        if pipeline is not None:
            self.emit(indent, f"#pragma HLS pipeline II={pipeline.ii}")
        if directives.get_flatten(op) is not None:
            self.emit(indent, "#pragma HLS loop_flatten")
        factor = directives.get_unroll(op)
        if factor is not None:
            self.emit(
                indent, f"#pragma HLS unroll factor={factor}" if factor else "#pragma HLS unroll"
            )
        tripcount = directives.get_tripcount(op)
        if tripcount is not None:
            self.emit(
                indent,
                f"#pragma HLS loop_tripcount min={tripcount.min} max={tripcount.max} "
                f"avg={tripcount.avg}",
            )

    def _op_affine_for(self, op: ir.Operation, indent: int) -> None:
        view = op.opview
        lower_map = view.lowerBoundMap.value
        upper_map = view.upperBoundMap.value
        lower = _fold_calls("std::max", self._map_values(lower_map, list(view.lowerBoundOperands)))
        upper = _fold_calls("std::min", self._map_values(upper_map, list(view.upperBoundOperands)))
        step = str(ir.IntegerAttr(op.attributes["step"]).value)
        self._loop(op, indent, lower, upper, step, list(view.inits))

    def _op_scf_for(self, op: ir.Operation, indent: int) -> None:
        lower, upper, step = (self.scalar(v) for v in list(op.operands)[:3])
        self._loop(op, indent, lower, upper, step, list(op.operands)[3:])

    def _op_scf_if(self, op: ir.Operation, indent: int) -> None:
        results = []
        for result in op.results:
            name = self._fresh(f"sel{self.temp_count}")
            self.temp_count += 1
            self.emit(indent, f"{c_type(result.type)} {name};")
            self.scalars[self._key(result)] = name
            results.append(name)
        self.emit(indent, f"if ({self.scalar(op.operands[0])}) {{")
        self.emit_block(op.regions[0].blocks[0], indent + 1)
        self._assign_yield(op.regions[0].blocks[0], results, indent + 1)
        if len(op.regions) > 1 and len(op.regions[1].blocks) > 0:
            self.emit(indent, "} else {")
            self.emit_block(op.regions[1].blocks[0], indent + 1)
            self._assign_yield(op.regions[1].blocks[0], results, indent + 1)
        self.emit(indent, "}")

    def _op_affine_if(self, op: ir.Operation, indent: int) -> None:
        if len(op.results):
            raise UnsupportedError(f"affine.if with results (from {describe_location(op)})")
        constraints, is_eq = _integer_set(op.attributes["condition"])
        names = [self.scalar(v) for v in op.operands]
        dims, symbols = names[: constraints.n_dims], names[constraints.n_dims :]
        conditions = []
        for expr, eq in zip(constraints.results, is_eq, strict=True):
            text = affine_expr_to_c(expr, dims, symbols)
            conditions.append(f"{text} == 0" if eq else f"{text} >= 0")
        self.emit(indent, f"if ({' && '.join(conditions) or 'true'}) {{")
        self.emit_block(op.regions[0].blocks[0], indent + 1)
        if len(op.regions) > 1 and len(op.regions[1].blocks) > 0:
            self.emit(indent, "} else {")
            self.emit_block(op.regions[1].blocks[0], indent + 1)
        self.emit(indent, "}")

    def _op_func_return(self, op: ir.Operation, indent: int) -> None:
        if len(op.operands):
            raise UnsupportedError(
                f"'@{self.name}' still returns values; run hls-results-to-args before emission"
            )

    def _op_func_call(self, op: ir.Operation, indent: int) -> None:
        callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
        if len(op.results):
            raise UnsupportedError(f"call to '@{callee}' returns values; run hls-results-to-args")
        args = []
        for value in op.operands:
            if isinstance(value.type, ir.MemRefType):
                # The callee's parameter type has the same layout (offset included), so it
                # indexes from the base pointer, as the caller does.
                args.append(self.buffer(value).storage)
            else:
                args.append(self.scalar(value))
        self.emit(indent, f"{callee}({', '.join(args)});")


_VIEW_OPS = (
    "memref.subview",
    "memref.expand_shape",
    "memref.collapse_shape",
    "memref.cast",
    "memref.reinterpret_cast",
)


def _written_arguments(funcs: list[ir.Operation]) -> dict[str, set[int]]:
    """Per function, the argument indices it stores to (through views and calls).

    A pointer parameter is printed `const` unless it is an output or written here,
    so that callees without `llmhls.role` attributes still compile.
    """
    written: dict[str, set[int]] = {}
    calls: list[tuple[str, str, list[int | None]]] = []  # (caller, callee, arg index per operand)
    for func in funcs:
        name = symbol_name(func)
        owner = {arg: index for index, arg in enumerate(func.regions[0].blocks[0].arguments)}
        written[name] = set()
        for op in walk_ops(func):
            if op.name in _VIEW_OPS and op.operands[0] in owner:
                owner[op.results[0]] = owner[op.operands[0]]
            elif op.name in ("affine.store", "memref.store") and op.operands[1] in owner:
                written[name].add(owner[op.operands[1]])
            elif op.name == "func.call":
                callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
                calls.append((name, callee, [owner.get(v) for v in op.operands]))
    changed = True
    while changed:
        changed = False
        for caller, callee, owners in calls:
            for position, index in enumerate(owners):
                if index is not None and position in written.get(callee, ()):
                    changed |= index not in written[caller]
                    written[caller].add(index)
    return written


def _integer_set(attr: ir.Attribute) -> tuple[ir.AffineMap, list[bool]]:
    """An affine.if set as (map of its constraint expressions, is-equality flags).

    The Python bindings cannot read the set back out of an IntegerSetAttr, so its
    text `affine_set<(d0)[s0] : (d0 - 2 >= 0, d0 - s0 == 0)>` is reparsed as a map.
    """
    header, _, body = str(attr).removeprefix("affine_set<").removesuffix(">").partition(" : ")
    exprs, is_eq = [], []
    for constraint in body.strip().removeprefix("(").removesuffix(")").split(","):
        text = constraint.strip()
        if not text.endswith((" >= 0", " == 0")):
            raise UnsupportedError(f"cannot read the affine.if condition {attr}")
        exprs.append(text[: -len(" >= 0")])
        is_eq.append(text.endswith(" == 0"))
    affine_map = ir.AffineMapAttr(
        ir.Attribute.parse(f"affine_map<{header} -> ({', '.join(exprs)})>")
    )
    return affine_map.value, is_eq


def _stream_ctype(stream: ir.Type) -> str:
    """`hls::stream<float>` for `!hlsdf.stream<f32, depth>` (the depth is a pragma)."""
    return f"hls::stream<{c_type(stream_element(stream))}>"


def _addressed_extent(mem: ir.MemRefType) -> int:
    """Elements from the storage base to the last element a (strided) memref can address."""
    strides, offset = mem.get_strides_and_offset()
    if not mem.rank:
        return offset + 1
    pairs = zip(mem.shape, strides, strict=True)
    return offset + sum((extent - 1) * stride for extent, stride in pairs) + 1


def _fold_calls(func: str, values: list[str]) -> str:
    result = values[0]
    for value in values[1:]:
        result = f"{func}({result}, {value})"
    return result


def _global_definition(op: ir.Operation, name: str) -> str:
    mem = ir.TypeAttr(op.attributes["type"]).value
    if "initial_value" not in op.attributes or "constant" not in op.attributes:
        raise UnsupportedError(
            f"memref.global @{name} is not a constant; llmhls emits constants only"
        )
    values = np.array(op.attributes["initial_value"])
    size = int(np.prod(mem.shape)) if mem.rank else 1
    values = np.broadcast_to(values, mem.shape).reshape(-1) if values.size else values
    ctype = c_type(mem.element_type)
    if ctype in ("float", "double"):
        items = [_float_literal(float(v), mem.element_type) for v in values]
    elif ctype == "bool":
        items = ["true" if v else "false" for v in values]
    else:
        items = [str(int(v)) for v in values]
    body = ",\n".join(INDENT + ", ".join(items[i : i + 8]) for i in range(0, len(items), 8))
    shape = "][".join(map(str, mem.shape)) or "1"
    return f"static const {ctype} {name}[{size}] = {{  // [{shape}]\n{body}\n}};\n"


def emit_hlscpp(
    module: ir.Module,
    *,
    header_comment: str = "",
    top: str | None = None,
    interface_pragmas: bool = True,
) -> EmittedKernel:
    """Print the module's functions as one Vitis HLS C++ translation unit + header.

    `interface_pragmas=False` is for a kernel that another kernel calls (an LLM
    stage): its ports are then the caller's, and only the caller declares them.
    """
    with module.context:
        globals_: dict[str, str] = {}
        global_defs: list[str] = []
        for op in module.body.operations:
            op = op.operation
            if op.name == "memref.global":
                symbol = ir.StringAttr(op.attributes["sym_name"]).value
                name = c_identifier(f"const_{symbol}")
                globals_[symbol] = name
                global_defs.append(_global_definition(op, name))
            elif op.name != "func.func":
                raise UnsupportedError(f"cannot emit top-level op '{op.name}' as HLS C++")
        defined = [f for f in functions(module) if has_body(f)]
        if not defined:
            raise UnsupportedError("the module has no function to emit")
        # Default top: the last public function (a private one is a callee, never the kernel).
        public = [
            f
            for f in defined
            if "sym_visibility" not in f.attributes
            or ir.StringAttr(f.attributes["sym_visibility"]).value == "public"
        ]
        top_name = top or symbol_name((public or defined)[-1])
        bodies: list[str] = []
        declarations: list[str] = []
        prototypes: list[str] = []  # static functions may be called before their definition
        top_emitter = None
        written = _written_arguments(defined)
        uses_streams = any(
            op.name.startswith("hlsdf.stream_") for f in defined for op in walk_ops(f)
        )
        for func in defined:
            name = symbol_name(func)
            emitter = FunctionEmitter(
                func, globals_, name == top_name, written[name], interface_pragmas
            )
            text = emitter.emit_function()
            if emitter.is_top:
                top_emitter = emitter
                declarations.append(text.split(" {\n", 1)[0] + ";")
            else:
                text = "static " + text
                prototypes.append(text.split(" {\n", 1)[0] + ";")
            bodies.append(text)
        if top_emitter is None:
            raise UnsupportedError(f"top function '{top_name}' not found in the module")
    comment = "".join(
        f"// {line}\n".replace("// \n", "//\n") for line in header_comment.splitlines()
    )
    guard = f"LLMHLS_{top_name.upper()}_H"
    header = (
        f"{comment}#ifndef {guard}\n#define {guard}\n\n#include <cstdint>\n\n"
        + "\n".join(declarations)
        + f"\n\n#endif  // {guard}\n"
    )
    declared = ["\n".join(prototypes) + "\n"] if prototypes else []
    source = (
        f'{comment}#include "{top_name}.h"\n\n#include <algorithm>\n#include <cmath>\n'
        '#include <cstdint>\n\n#include "hls_math.h"\n'
        + ('#include "hls_stream.h"\n' if uses_streams else "")
        + "\n"
        + "\n".join(global_defs + declared + bodies)
    )
    return EmittedKernel(top_name, source, header, top_emitter.arg_infos)
