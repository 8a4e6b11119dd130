"""Loop-nest and memory-access analysis shared by the loop passes, the DSE and the QoR model.

A function body is a sequence of top-level ops; its affine.for/scf.for ops
form a forest of `Loop`s. Every load/store becomes an `Access` whose flat
element offset (the same row-major/strided offset the emitter prints) is,
where possible, a linear function of the enclosing loop counters:
`offset = const + Σ coeff[iv] * iv`. Strides of loop counters in that offset
decide array partitioning, burst access and II limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from torch_mlir import ir

LOOP_OPS = ("affine.for", "scf.for")
LOAD_OPS = ("affine.load", "memref.load")
STORE_OPS = ("affine.store", "memref.store")
VIEW_OPS = (
    "memref.expand_shape",
    "memref.collapse_shape",
    "memref.cast",
    "memref.subview",
    "memref.reinterpret_cast",
)


@dataclass(eq=False)
class Loop:
    """One loop: its op, counter, static trip count (max when bounds vary) and nesting."""

    op: ir.Operation
    iv: ir.Value
    trip_count: int | None
    step: int
    parent: Loop | None = None
    children: list[Loop] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def is_innermost(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[Loop]:
        """This loop and every loop nested in it, pre-order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def enclosing(self) -> list[Loop]:
        """Outermost first, ending with this loop."""
        chain: list[Loop] = []
        loop: Loop | None = self
        while loop is not None:
            chain.append(loop)
            loop = loop.parent
        return chain[::-1]

    def body_block(self) -> ir.Block:
        return self.op.regions[0].blocks[0]

    def is_perfect_nest(self) -> bool:
        """Each loop but the innermost holds exactly one op besides its terminator: a loop."""
        loop = self
        while loop.children:
            ops = [op.operation for op in loop.body_block().operations]
            if len(loop.children) != 1 or len(ops) != 2 or ops[0].name not in LOOP_OPS:
                return False
            loop = loop.children[0]
        return True


@dataclass(eq=False)
class Access:
    """One load or store, with its flat offset as a linear function of loop counters."""

    op: ir.Operation
    is_store: bool
    memref: ir.Value  # the value indexed (possibly a view)
    root: ir.Value  # the underlying storage: an alloc, get_global or function argument
    coefficients: dict[ir.Value, int] | None  # loop counter → stride; None: not linear
    constant: int = 0
    loops: list[Loop] = field(default_factory=list)  # enclosing loops, outermost first

    def stride(self, iv: ir.Value) -> int | None:
        """Elements between consecutive iterations of the loop with counter `iv`."""
        if self.coefficients is None:
            return None
        return self.coefficients.get(iv, 0)


def root_buffer(value: ir.Value) -> ir.Value:
    """Follow reshapes/casts/subviews back to the storage they alias."""
    while True:
        owner = value.owner
        if isinstance(owner, ir.Block):
            return value
        op = owner.operation
        if op.name not in VIEW_OPS:
            return value
        value = op.operands[0]


def root_op(value: ir.Value) -> ir.Operation | None:
    """The alloc/get_global defining a root buffer; None for function arguments."""
    owner = value.owner
    return None if isinstance(owner, ir.Block) else owner.operation


def constant_index(value: ir.Value) -> int | None:
    """The value of an integer/index `arith.constant`, None for anything else."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    op = owner.operation
    if op.name == "arith.constant" and isinstance(op.attributes["value"], ir.IntegerAttr):
        return ir.IntegerAttr(op.attributes["value"]).value
    return None


# -- affine expressions as linear forms ---------------------------------------
Linear = tuple[dict[int, int], int]  # (dim/symbol position → coefficient, constant)


def linear_form(expr: ir.AffineExpr, n_dims: int) -> Linear | None:
    """`expr` as Σ coeff·operand + const (dims, then symbols); None when not linear."""
    expr = expr.maybe_downcast()
    if isinstance(expr, ir.AffineConstantExpr):
        return {}, expr.value
    if isinstance(expr, ir.AffineDimExpr):
        return {expr.position: 1}, 0
    if isinstance(expr, ir.AffineSymbolExpr):
        return {n_dims + expr.position: 1}, 0
    if isinstance(expr, ir.AffineAddExpr):
        lhs, rhs = linear_form(expr.lhs, n_dims), linear_form(expr.rhs, n_dims)
        if lhs is None or rhs is None:
            return None
        coeffs = dict(lhs[0])
        for key, value in rhs[0].items():
            coeffs[key] = coeffs.get(key, 0) + value
        return {k: v for k, v in coeffs.items() if v}, lhs[1] + rhs[1]
    if isinstance(expr, ir.AffineMulExpr):
        lhs, rhs = linear_form(expr.lhs, n_dims), linear_form(expr.rhs, n_dims)
        if lhs is None or rhs is None:
            return None
        if not lhs[0]:
            lhs, rhs = rhs, lhs
        if rhs[0]:
            return None  # product of two variables
        scale = rhs[1]
        return {k: v * scale for k, v in lhs[0].items() if v * scale}, lhs[1] * scale
    return None  # floordiv / mod / ceildiv


def _index_form(
    value: ir.Value, ivs: set[ir.Value], depth: int = 0
) -> tuple[dict[ir.Value, int], int] | None:
    """An index SSA value as a linear form over loop counters (constants, IVs, affine.apply)."""
    if value in ivs:
        return {value: 1}, 0
    constant = constant_index(value)
    if constant is not None:
        return {}, constant
    owner = value.owner
    if depth > 8 or isinstance(owner, ir.Block):
        return None
    op = owner.operation
    if op.name == "affine.apply":
        affine_map = ir.AffineMapAttr(op.attributes["map"]).value
        return _map_result_form(
            affine_map.results[0], affine_map.n_dims, list(op.operands), ivs, depth + 1
        )
    if op.name in ("arith.addi", "arith.subi"):
        lhs = _index_form(op.operands[0], ivs, depth + 1)
        rhs = _index_form(op.operands[1], ivs, depth + 1)
        if lhs is None or rhs is None:
            return None
        sign = 1 if op.name == "arith.addi" else -1
        coeffs = dict(lhs[0])
        for key, coeff in rhs[0].items():
            coeffs[key] = coeffs.get(key, 0) + sign * coeff
        return coeffs, lhs[1] + sign * rhs[1]
    if op.name == "arith.muli":
        lhs = _index_form(op.operands[0], ivs, depth + 1)
        rhs = _index_form(op.operands[1], ivs, depth + 1)
        if lhs is None or rhs is None:
            return None
        if lhs[0] and rhs[0]:
            return None
        var, scale = (lhs, rhs[1]) if not rhs[0] else (rhs, lhs[1])
        return {k: c * scale for k, c in var[0].items()}, var[1] * scale
    if op.name in ("arith.index_cast", "arith.index_castui"):
        return _index_form(op.operands[0], ivs, depth + 1)
    return None


def _map_result_form(
    expr: ir.AffineExpr,
    n_dims: int,
    operands: list[ir.Value],
    ivs: set[ir.Value],
    depth: int,
) -> tuple[dict[ir.Value, int], int] | None:
    form = linear_form(expr, n_dims)
    if form is None:
        return None
    coeffs: dict[ir.Value, int] = {}
    constant = form[1]
    for position, coeff in form[0].items():
        operand = _index_form(operands[position], ivs, depth)
        if operand is None:
            return None
        constant += coeff * operand[1]
        for iv, inner in operand[0].items():
            coeffs[iv] = coeffs.get(iv, 0) + coeff * inner
    return {k: v for k, v in coeffs.items() if v}, constant


def index_forms(
    op: ir.Operation, ivs: set[ir.Value]
) -> list[tuple[dict[ir.Value, int], int] | None]:
    """Each index of an affine/memref load or store as Σ coeff·iv + const over `ivs`.

    One entry per memref dimension; None where the index is not linear in `ivs`
    (floordiv/mod, or an operand that is neither a counter, a constant nor index math).
    """
    is_store = op.name in STORE_OPS
    operands = list(op.operands)[2:] if is_store else list(op.operands)[1:]
    if op.name in ("affine.load", "affine.store"):
        affine_map = ir.AffineMapAttr(op.attributes["map"]).value
        return [
            _map_result_form(result, affine_map.n_dims, operands, ivs, 0)
            for result in affine_map.results
        ]
    return [_index_form(value, ivs) for value in operands]


def _flat_form(
    op: ir.Operation, memref: ir.Value, indices: list[ir.Value], ivs: set[ir.Value]
) -> tuple[dict[ir.Value, int], int] | None:
    mem = ir.MemRefType(memref.type)
    strides, offset = mem.get_strides_and_offset()
    if any(mem.is_dynamic_stride_or_offset(s) for s in [*strides, offset]):
        return None
    if op.name in ("affine.load", "affine.store"):
        affine_map = ir.AffineMapAttr(op.attributes["map"]).value
        results = list(affine_map.results)
        forms = [_map_result_form(r, affine_map.n_dims, indices, ivs, 0) for r in results]
    else:
        forms = [_index_form(v, ivs) for v in indices]
    coeffs: dict[ir.Value, int] = {}
    constant = offset
    for form, stride in zip(forms, strides, strict=True):
        if form is None:
            return None
        constant += form[1] * stride
        for iv, coeff in form[0].items():
            coeffs[iv] = coeffs.get(iv, 0) + coeff * stride
    return {k: v for k, v in coeffs.items() if v}, constant


# -- loops ----------------------------------------------------------------------
def _trip_count(op: ir.Operation) -> tuple[int | None, int]:
    if op.name == "affine.for":
        view = op.opview
        step = ir.IntegerAttr(op.attributes["step"]).value
        lower_map, upper_map = view.lowerBoundMap.value, view.upperBoundMap.value
        lower_ops, upper_ops = list(view.lowerBoundOperands), list(view.upperBoundOperands)
        if lower_map.n_inputs == 0 and upper_map.n_inputs == 0:
            lower = max(ir.AffineConstantExpr(e).value for e in lower_map.results)
            upper = min(ir.AffineConstantExpr(e).value for e in upper_map.results)
            return max(0, -(-(upper - lower) // step)), step
        # Tiled loops: upper = min(lower + T, N) over the same operands bounds the count by T.
        if len(lower_map.results) == 1 and lower_ops == upper_ops[: len(lower_ops)]:
            lower_form = linear_form(lower_map.results[0], lower_map.n_dims)
            spans = []
            for result in upper_map.results:
                upper_form = linear_form(result, upper_map.n_dims)
                if (
                    lower_form is not None
                    and upper_form is not None
                    and upper_form[0] == lower_form[0]
                ):
                    spans.append(upper_form[1] - lower_form[1])
            if spans:
                return max(0, -(-min(spans) // step)), step
        return None, step
    lower, upper, step_value = (constant_index(v) for v in list(op.operands)[:3])
    step = step_value or 1
    if lower is None or upper is None:
        return None, step
    return max(0, -(-(upper - lower) // step)), step


def _build(op: ir.Operation, parent: Loop | None) -> Loop:
    trip_count, step = _trip_count(op)
    body = op.regions[0].blocks[0]
    loop = Loop(op, body.arguments[0], trip_count, step, parent)
    loop.children = _loops_in_block(body, loop)
    return loop


def _loops_in_block(block: ir.Block, parent: Loop | None) -> list[Loop]:
    loops: list[Loop] = []
    for op in block.operations:
        op = op.operation
        if op.name in LOOP_OPS:
            loops.append(_build(op, parent))
        else:
            for region in op.regions:  # loops under scf.if / affine.if
                for inner in region.blocks:
                    loops.extend(_loops_in_block(inner, parent))
    return loops


def loop_forest(func: ir.Operation) -> list[Loop]:
    """Top-level loop nests of a function body, in program order."""
    return _loops_in_block(func.regions[0].blocks[0], None)


def accesses(root: ir.Operation, loops: list[Loop] | None = None) -> list[Access]:
    """Every load/store nested in `root` (a loop or function op), with flat linear offsets."""
    by_op: dict[ir.Operation, Loop] = {}
    for top in loops if loops is not None else loop_forest(_function_of(root)):
        for loop in top.walk():
            by_op[loop.op] = loop
    found: list[Access] = []

    def visit(op: ir.Operation, enclosing: list[Loop]) -> None:
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    inner = inner.operation
                    chain = enclosing
                    if inner in by_op:
                        chain = [*enclosing, by_op[inner]]
                    if inner.name in LOAD_OPS or inner.name in STORE_OPS:
                        found.append(_access(inner, chain))
                    visit(inner, chain)

    start = [by_op[root]] if root in by_op else []
    if root in by_op and by_op[root].parent is not None:
        start = by_op[root].enclosing()
    visit(root, start)
    return found


def _function_of(op: ir.Operation) -> ir.Operation:
    while op.name != "func.func":
        op = op.parent
    return op


def _access(op: ir.Operation, chain: list[Loop]) -> Access:
    is_store = op.name in STORE_OPS
    operands = list(op.operands)
    memref, indices = (operands[1], operands[2:]) if is_store else (operands[0], operands[1:])
    ivs = {loop.iv for loop in chain}
    form = _flat_form(op, memref, indices, ivs)
    coefficients, constant = (form[0], form[1]) if form is not None else (None, 0)
    return Access(op, is_store, memref, root_buffer(memref), coefficients, constant, list(chain))
