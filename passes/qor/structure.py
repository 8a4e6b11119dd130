"""The directive-independent structure the QoR model evaluates: loops, accesses, def-use graphs.

`analyze()` builds it once per module; `estimate(..., analysis=a)` then only re-reads
hlsdf.* directives, which keeps a design-space exploration's calls cheap.

Notation (per loop X)
  N  trip count: static bounds; bounds that depend on enclosing counters at their
     worst case; else hlsdf.tripcount max; else 1 (with a warning). Worst case throughout.
  U  unroll copies: hlsdf.unroll factor clamped to 1..N (0 = N); 1 without it.
  T  = N for a loop inside a pipelined loop (fully unrolled, as Vitis does).
Ops
  lat(op)  op_latency(op, clock); index math, casts and constants are 0.
  load     BRAM/URAM/LUTRAM 2 (BRAM_READ_LATENCY), registers (complete partition) 0,
           m_axi (memref argument of the top function) MAXI_READ_LATENCY (64 at 300 MHz),
           in pipelines too (a burst's first beat is part of D); store 1; stream r/w 1.
  crit(B)  longest path through block B's ops (if/else bodies flattened in) along SSA
           def-use edges plus store -> later load of the same buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch_mlir import ir

from llmhls.dialects.hlsdf import STREAM_CREATE, STREAM_READ, STREAM_WRITE
from llmhls.errors import OptionError, UnsupportedError
from llmhls.passes.analysis import costs, op_table
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    fresh_name,
    function_arg_attrs,
    functions,
    has_body,
    location_label,
    loop_label_base,
    symbol_name,
    top_function,
)
from llmhls.passes.analysis.loops import (
    LOOP_OPS,
    VIEW_OPS,
    Access,
    Loop,
    accesses,
    constant_index,
    linear_form,
    loop_forest,
    root_buffer,
)

_BUFFER_OPS = ("memref.alloc", "memref.alloca", "memref.get_global")
_SKIP_OPS = frozenset(
    {"arith.constant", "memref.dealloc", "func.return", *_BUFFER_OPS, *VIEW_OPS, STREAM_CREATE}
)
_TERMINATORS = ("affine.yield", "scf.yield")


# -- structure (independent of directives) ------------------------------------------
@dataclass(eq=False)
class _Node:
    """One scheduled op of a block: SSA predecessors, the store it must follow, its access."""

    op: ir.Operation
    name: str
    row: op_table.OpRow  # its op-table row (own dtype), resolved once per analysis
    preds: tuple[int, ...]
    mem_pred: int | None
    access: Access | None
    stream: ir.Value | None


@dataclass(eq=False)
class _Block:
    """A loop or function body with if/else bodies flattened in."""

    nodes: list[_Node] = field(default_factory=list)
    items: list[_LoopInfo | _Call] = field(default_factory=list)  # loops and calls, in order
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (load node, store node)
    iter_chains: list[tuple[tuple[int, ...], int | None]] = field(default_factory=list)
    cost: tuple[int, int, int] = (0, 0, 0)  # DSP, LUT, FF of one copy of its nodes
    flops: int = 0  # per execution of the block

    @property
    def loops(self) -> list[_LoopInfo]:
        return [item for item in self.items if isinstance(item, _LoopInfo)]

    @property
    def calls(self) -> list[_Call]:
        return [item for item in self.items if isinstance(item, _Call)]


@dataclass(eq=False)
class _LoopInfo:
    loop: Loop
    label: str
    body: _Block
    direct: list[Access]  # accesses whose innermost loop is this one
    subtree: list[Access]
    trip_bound: int | None  # static trip count, or its worst case over enclosing counters

    def walk(self) -> list[_LoopInfo]:
        found = [self]
        for child in self.body.loops:
            found.extend(child.walk())
        return found


@dataclass(eq=False)
class _Call:
    op: ir.Operation
    callee: str
    operands: list[ir.Value]


@dataclass(eq=False)
class _FuncInfo:
    op: ir.Operation
    name: str
    args: list[ir.Value]
    arg_attrs: list[dict[str, str]]
    body: _Block
    buffers: list[ir.Operation]  # alloc / alloca / get_global ops
    streams: list[ir.Operation]  # hlsdf.stream_create ops
    names: dict[ir.Value, str]  # buffer and argument names, emitter style
    arg_reads: set[int] = field(default_factory=set)
    arg_writes: set[int] = field(default_factory=set)
    loop_of: dict[Loop, _LoopInfo] = field(default_factory=dict)


def _loop_labels(forest: list[Loop]) -> dict[Loop, str]:
    """`L_<module>_<op>_<n>` per loop, counted in emission order like the C++ emitter."""
    counts: dict[str, int] = {}
    labels: dict[Loop, str] = {}
    for top in forest:
        for loop in top.walk():
            base = loop_label_base(loop.op)
            index = counts.get(base, 0)
            counts[base] = index + 1
            labels[loop] = f"{base}_{index}"
    return labels


class _FunctionBuilder:
    """Builds the `_Block` tree of one function."""

    def __init__(self, func: ir.Operation) -> None:
        self.forest = loop_forest(func)
        self.by_op: dict[ir.Operation, Loop] = {}
        for top in self.forest:
            for loop in top.walk():
                self.by_op[loop.op] = loop
        self.access_of = {a.op: a for a in accesses(func, self.forest)}
        self.labels = _loop_labels(self.forest)
        self.iv_range: dict[ir.Value, tuple[int, int] | None] = {}
        self.enclosing: dict[ir.Value, Loop] = {}  # counters of the loops built so far
        self.buffers: list[ir.Operation] = []
        self.streams: list[ir.Operation] = []
        self.loop_of: dict[Loop, _LoopInfo] = {}

    # bounds ---------------------------------------------------------------------
    def _value_range(self, value: ir.Value) -> tuple[int, int] | None:
        constant = constant_index(value)
        if constant is not None:
            return constant, constant
        if value not in self.iv_range:
            loop = self.enclosing.get(value)
            self.iv_range[value] = self._bounds(loop)[1] if loop is not None else None
        return self.iv_range[value]

    def _map_range(
        self, affine_map: ir.AffineMap, operands: list[ir.Value], lower: bool
    ) -> tuple[int, int] | None:
        ranges = [self._value_range(v) for v in operands]
        if any(r is None for r in ranges):
            return None
        results = []
        for expr in affine_map.results:
            form = linear_form(expr, affine_map.n_dims)
            if form is None:
                return None
            low = high = form[1]
            for position, coeff in form[0].items():
                a, b = ranges[position][0] * coeff, ranges[position][1] * coeff
                low, high = low + min(a, b), high + max(a, b)
            results.append((low, high))
        if not results:
            return None
        pick = max if lower else min  # lower bound = max of results, upper = min
        return pick(r[0] for r in results), pick(r[1] for r in results)

    def _bounds(self, loop: Loop) -> tuple[int | None, tuple[int, int] | None]:
        """(worst-case trip count, range of the counter); computed only when needed."""
        op = loop.op
        if op.name == "affine.for":
            view = op.opview
            low = self._map_range(
                view.lowerBoundMap.value, list(view.lowerBoundOperands), lower=True
            )
            high = self._map_range(
                view.upperBoundMap.value, list(view.upperBoundOperands), lower=False
            )
        else:
            operands = list(op.operands)
            low, high = self._value_range(operands[0]), self._value_range(operands[1])
        trips = loop.trip_count
        if trips is None and low is not None and high is not None:
            trips = max(0, -(-(high[1] - low[0]) // loop.step))
        if low is None or not trips:
            return trips, None
        return trips, (low[0], low[1] + (trips - 1) * loop.step)

    # blocks -----------------------------------------------------------------------
    def loop(self, loop: Loop) -> _LoopInfo:
        trips = loop.trip_count
        if trips is None:  # bounds depend on enclosing counters: take the worst case
            trips = self._bounds(loop)[0]
        self.enclosing[loop.iv] = loop
        body = self.block(loop.body_block(), iter_args=True)
        direct = [node.access for node in body.nodes if node.access is not None]
        subtree = list(direct)
        for child in body.loops:
            subtree.extend(child.subtree)
        info = _LoopInfo(loop, self.labels[loop], body, direct, subtree, trips)
        self.loop_of[loop] = info
        return info

    def block(self, block: ir.Block, iter_args: bool = False) -> _Block:
        out = _Block()
        index: dict[ir.Operation, int] = {}
        last_store: dict[ir.Value, int] = {}
        arg_users: dict[ir.Value, list[int]] = {}
        yielded = self._visit(block, out, index, last_store, arg_users)
        if iter_args:
            for arg, value in zip(list(block.arguments)[1:], yielded, strict=False):
                owner = value.owner
                sink = None if isinstance(owner, ir.Block) else index.get(owner.operation)
                out.iter_chains.append((tuple(arg_users.get(arg, ())), sink))
        self._pairs(out)
        dsp = lut = ff = flops = 0
        for node in out.nodes:
            dsp, lut, ff = dsp + node.row.dsp, lut + node.row.lut, ff + node.row.ff
            flops += costs.FLOPS_PER_OP.get(node.name, 0)
        out.cost, out.flops = (dsp, lut, ff), flops
        return out

    def _visit(
        self,
        block: ir.Block,
        out: _Block,
        index: dict[ir.Operation, int],
        last_store: dict[ir.Value, int],
        arg_users: dict[ir.Value, list[int]],
    ) -> list[ir.Value]:
        """Append the block's ops to `out`; returns the operands of its terminator."""
        yielded: list[ir.Value] = []
        for op in block.operations:
            op = op.operation
            name = op.name
            if name in LOOP_OPS:
                out.items.append(self.loop(self.by_op[op]))
                continue
            if name == "func.call":
                callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
                out.items.append(_Call(op, callee, list(op.operands)))
                continue
            if name in _TERMINATORS:
                yielded = list(op.operands)
                continue
            if name in _SKIP_OPS:
                if name in _BUFFER_OPS:
                    self.buffers.append(op)
                elif name == STREAM_CREATE:
                    self.streams.append(op)
                continue
            inputs = list(op.operands)
            for region in op.regions:  # if/else: both branches are scheduled here
                for inner in region.blocks:
                    inputs.extend(self._visit(inner, out, index, last_store, arg_users))
            position = len(out.nodes)
            preds: set[int] = set()
            for value in inputs:
                owner = value.owner
                if isinstance(owner, ir.Block):
                    arg_users.setdefault(value, []).append(position)
                    continue
                pred = index.get(owner.operation)
                if pred is not None:
                    preds.add(pred)
            access = self.access_of.get(op)
            mem_pred = None
            if access is not None:
                if access.is_store:
                    last_store[access.root] = position
                else:
                    mem_pred = last_store.get(access.root)
            stream = op.operands[0] if name in (STREAM_READ, STREAM_WRITE) else None
            index[op] = position
            row = op_table.row_for(op)
            node = _Node(op, name, row, tuple(sorted(preds)), mem_pred, access, stream)
            out.nodes.append(node)
        return yielded

    @staticmethod
    def _pairs(out: _Block) -> None:
        """Load/store pairs of one buffer where the stored value depends on the load."""
        loads_before: list[frozenset[int]] = []
        for position, node in enumerate(out.nodes):
            found: set[int] = set()
            for pred in node.preds:
                found |= loads_before[pred]
            if node.access is not None and not node.access.is_store:
                found.add(position)
            loads_before.append(frozenset(found))
            if node.access is not None and node.access.is_store:
                root = node.access.root
                for load in sorted(found):
                    if out.nodes[load].access.root == root:
                        out.pairs.append((load, position))


class QorAnalysis:
    """The directive-independent structure of a module: loops, accesses, def-use graphs.

    Valid while only `hlsdf.*` attributes change; rebuild it (`analyze`) after any pass
    that changes loops, ops or buffers.
    """

    def __init__(self, module: ir.Module, top: str | None = None) -> None:
        self.module = module
        self._funcs = {symbol_name(f): f for f in functions(module) if has_body(f)}
        if top is None:
            self.top = symbol_name(top_function(module))
        elif top in self._funcs:
            self.top = top
        else:
            known = ", ".join(sorted(self._funcs)) or "none"
            raise OptionError(f"unknown top function '{top}' (functions with a body: {known})")
        self.globals = {
            ir.StringAttr(op.operation.attributes["sym_name"]).value: op.operation
            for op in module.body.operations
            if op.operation.name == "memref.global"
        }
        self._infos: dict[str, _FuncInfo] = {}
        self._building: set[str] = set()
        self.function(self.top)

    def has_function(self, name: str) -> bool:
        return name in self._funcs

    def loop_ops(self) -> dict[tuple[str, str], ir.Operation]:
        """(function, loop label) -> loop op, over the functions analyzed so far."""
        return {
            (name, info.label): loop.op
            for name, func in self._infos.items()
            for loop, info in func.loop_of.items()
        }

    def function(self, name: str) -> _FuncInfo:
        info = self._infos.get(name)
        if info is not None:
            return info
        if name in self._building:
            raise UnsupportedError(f"function '@{name}' is recursive: HLS cannot synthesize it")
        self._building.add(name)
        try:
            info = self._build(name)
        finally:
            self._building.discard(name)
        self._infos[name] = info
        return info

    def _build(self, name: str) -> _FuncInfo:
        func = self._funcs[name]
        builder = _FunctionBuilder(func)
        entry = func.regions[0].blocks[0]
        body = builder.block(entry)
        args = list(entry.arguments)
        attrs = function_arg_attrs(func)
        info = _FuncInfo(
            func,
            name,
            args,
            attrs,
            body,
            builder.buffers,
            builder.streams,
            self._names(args, attrs, builder.buffers, builder.streams),
            loop_of=builder.loop_of,
        )
        position = {arg: i for i, arg in enumerate(args)}
        for access in builder.access_of.values():
            if access.root in position:
                target = info.arg_writes if access.is_store else info.arg_reads
                target.add(position[access.root])
        for node in _all_nodes(body):
            if node.stream is not None and node.stream in position:
                target = info.arg_writes if node.name == STREAM_WRITE else info.arg_reads
                target.add(position[node.stream])
        for call in _all_calls(body):
            if call.callee not in self._funcs:
                continue
            callee = self.function(call.callee)
            for i, operand in enumerate(call.operands):
                root = root_buffer(operand)
                if root in position:
                    if i in callee.arg_reads:
                        info.arg_reads.add(position[root])
                    if i in callee.arg_writes:
                        info.arg_writes.add(position[root])
        return info

    @staticmethod
    def _names(
        args: list[ir.Value],
        attrs: list[dict[str, str]],
        buffers: list[ir.Operation],
        streams: list[ir.Operation],
    ) -> dict[ir.Value, str]:
        """Names as the emitter prints them: argument names, then `<module>_<op>[_n]` buffers."""
        names: dict[ir.Value, str] = {}
        used: set[str] = set()

        def fresh(base: str) -> str:
            return fresh_name(base, used)

        for i, arg in enumerate(args):
            info = attrs[i] if i < len(attrs) else {}
            names[arg] = fresh(info.get("llmhls.arg", f"arg{i}"))
        for op in buffers:
            if op.name == "memref.get_global":
                symbol = ir.FlatSymbolRefAttr(op.attributes["name"]).value
                names[op.results[0]] = c_identifier(f"const_{symbol}")
                continue
            label = location_label(op.location)
            names[op.results[0]] = fresh(label.replace(":", "_") if label else "buf")
        for n, op in enumerate(streams):
            label = location_label(op.location)  # the emitter names a stream like a buffer
            names[op.results[0]] = fresh(label.replace(":", "_") if label else f"stream{n}")
        return names


def _all_nodes(block: _Block) -> list[_Node]:
    found = list(block.nodes)
    for loop in block.loops:
        found.extend(_all_nodes(loop.body))
    return found


def _all_calls(block: _Block) -> list[_Call]:
    found = list(block.calls)
    for loop in block.loops:
        found.extend(_all_calls(loop.body))
    return found


def analyze(module: ir.Module, top: str | None = None) -> QorAnalysis:
    """The reusable structural analysis `estimate(..., analysis=)` accepts."""
    return QorAnalysis(module, top)
