"""Analytical QoR model: latency, interval, resources and roofline of an HLS-legal module.

Reads the loop structure (`analysis/loops.py`), the operator table
(`analysis/costs.py`) and the `hlsdf.*` directives (`passes/directives.py`)
and predicts what Vitis HLS would report, fast enough for a design-space
exploration to call on every candidate: `analyze()` keeps the
directive-independent structure, so repeated `estimate(..., analysis=a)` calls
only re-read directives (see `QorAnalysis`): on a GPT-2 block (247 loops) about
20 ms per call, 4-10 ms with a reused analysis. Cycle counts are at `clock_mhz`;
operator and m_axi latencies scale with it (`costs.scale_cycles`).

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
Recurrences: a load and a later store of one root buffer where the stored value depends
  (SSA) on the loaded one; path = compute latency from the load's result to the store.
  Carried across X when the address is the same every iteration (same linear form, X's
  counter absent), or when the forms are unknown/different (as Vitis assumes), or at
  distance d = (store const - load const) / stride_X iterations (d = 1 when copies of
  loops unrolled inside X may overlap the two addresses).
  chain = load + k*path + store, k = copies that hit the same address in one iteration.
  C_X = path of the distance-1 pairs (and iter_args: block argument -> yield) of X's body:
  what each further copy adds when unrolled copies chain.
Memory ports (one pipelined iteration, or one unrolled group of a sequential loop): the
  distinct addresses of each access over the copies are binned into banks (cyclic a mod P,
  block a div ceil(E/P)); cycles per bank by bind type (t2p/unbound ceil((r+w)/2), 1p r+w,
  2p max(ceil((r+w)/2), w), s2p max(r, w), rom_2p ceil(r/2)); accesses whose
  non-unrolled part differs are assumed to meet in one bank; registers have no limit.
  m_axi bundle (the argument's llmhls.bundle, else gmem_in/gmem_w/gmem_out by role): per
  cycle 1 read + 1 write element, and in a pipelined loop ceil(non-burst reads *
  MAXI_READ_LATENCY / MAXI_MAX_OUTSTANDING). In a pipelined loop a read or write is a burst
  when one iteration's addresses are contiguous and the next iteration continues them;
  ports are widened to MAXI_WIDEN_BITS = 512 (max_widen_bitwidth), so a burst of E elements
  of w bits takes ceil(E*w/512) cycles of its bundle instead of E (a pipelined loop unrolled
  U times over a unit-stride f32 weight: ceil(32U/512) = ceil(U/16)). Reads invariant in
  the loop (no store to that argument in it) are hoisted.
  P_X = the busiest memory's cycles.
Pipelined loop L (hlsdf.pipeline ii = II_t)
  depth(X) = crit(X body) + sum_M [depth(M) + (T_M - 1)*C_M] + sum calls latency
  D        = depth(L) + (U - 1)*C_L
  II_rec   = max ceil(chain / g) over pairs carried across L, g = max(1, d div U);
             k = U * prod T_M of the loops inside L the address ignores (d = 1),
             ceil(U/d) when d < U, else 1; iter_args: U*path
  II       = max(II_t, II_rec, P_L, accesses per iteration of one hlsdf stream);
             a recorded achieved_ii replaces it (both reported, with a warning)
  latency  = (ceil(N/U) - 1)*II + D
Flattened nest (hlsdf.flatten = {levels = k} on L: the k loops above it, a perfect nest of
  O = prod of their trip counts, run as one pipeline with L)
  II       = max(II of L, ceil(chain / ceil(N/U)) over L's load/store pairs): a stored
             element comes back a whole sweep of L later or more (hls-loop-flatten's rule)
  latency  = (O * ceil(N/U) - 1)*II + D, reported on every loop of the nest
Sequential loop X
  D        = crit(X body) + sum latency(inner loops) + sum latency(calls)
  G        = D + max(0, (U - 1)*C_X, P_X - 1)     (P over X's own accesses, U copies)
  latency  = ceil(N/U)*(G + 1) + 1                (+1/iteration: counter; +1: exit)
Functions: latency = crit(top-level ops) + sum latency(loops, calls); interval = latency.
  hlsdf.dataflow: its calls and top-level loops are processes; latency = sum of process
  latencies (first invocation), interval = max process interval.
Resources
  Operators (op_cost): an op of a pipelined loop counts U * prod T (loops inside); of a
  sequential loop U times; times the copies of enclosing unrolled loops. Loops not fully
  unrolled add LOOP_CONTROL; pipelined ones PIPELINE_CONTROL + PIPELINE_FF_PER_STAGE*D FF.
  Callees outside a dataflow region are shared (counted once); dataflow tasks per call.
  On-chip buffers (alloc/alloca, memref.global): E elements of w bits in B banks (partition
  factor; complete = registers, E*w FF); impl = bind_storage, else LUTRAM when a bank holds
  <= 1 Kb, else BRAM. Per bank of depth ceil(E/B): BRAM18K = min over the 18 Kb shapes
  (16384x1 .. 512x36) of ceil(depth/d)*ceil(w/wd); URAM = ceil(depth/4096)*ceil(w/72);
  LUTRAM LUT = ceil(depth*w/64). A buffer shared by dataflow processes is ping-pong (x2).
  m_axi: MAXI_ADAPTER + MAXI_ADAPTER_BRAM18K per bundle; s_axilite AXILITE_CONTROL + per arg.
Traffic and roofline
  offchip bytes = sum over m_axi accesses of executions * element bytes;
  flops = executions of addf/subf/mulf/divf (+2 per math.fma);
  peak = target DSPs / DSP_PER_FMA * 2 flop * clock; bandwidth = target main memory GB/s;
  intensity = flops / offchip bytes; attainable = min(peak, intensity * bandwidth);
  memory-bound when intensity < peak / bandwidth; achieved = flops / (latency / clock).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from torch_mlir import ir

from llmhls.errors import LlmhlsError, OptionError, UnsupportedError
from llmhls.passes import directives
from llmhls.passes.analysis import costs
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    function_arg_attrs,
    functions,
    has_body,
    location_label,
    maxi_bundle,
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
from llmhls.passes.loop.bind_storage import element_bits
from llmhls.targets import Target

MAX_ENUMERATED = 4096  # addresses enumerated per access for banking; above: worst case
STREAM_READ = "hlsdf.stream_read"
STREAM_WRITE = "hlsdf.stream_write"
STREAM_CREATE = "hlsdf.stream_create"
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
            module_path, _, aten_op = location_label(loop.op.location).partition(":")
            parts = [p for p in (c_identifier(module_path) if module_path else "", aten_op) if p]
            base = c_identifier("L_" + "_".join(parts)) if parts else "L_loop"
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
            cost = costs.op_cost(node.name)
            dsp, lut, ff = dsp + cost.dsp, lut + cost.lut, ff + cost.ff
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
            out.nodes.append(_Node(op, name, tuple(sorted(preds)), mem_pred, access, stream))
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
            base = c_identifier(base) or "t"
            name, n = base, 0
            while name in used:
                n += 1
                name = f"{base}_{n}"
            used.add(name)
            return name

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


# -- report -------------------------------------------------------------------------
@dataclass
class LoopReport:
    """One loop: directives, achieved II, latency of one entry, its subtree's operators."""

    name: str
    function: str
    trip_count: int
    unroll: int
    pipelined: bool
    ii_target: int | None
    ii_model: int | None  # what this model computes
    ii_recorded: int | None  # hlsdf.pipeline achieved_ii written by a pass
    ii_achieved: int | None  # the one used: recorded when present, else the model's
    ii_limit: str  # what sets the II: target, recurrence, memory:<buffer>, stream, recorded
    depth: int  # cycles of one iteration (pipelined) or one unrolled group (sequential)
    latency: int  # cycles of one entry of the loop
    entries: int  # times the loop is entered per kernel run
    dsp: int
    lut: int
    ff: int
    flops: int  # per kernel run
    offchip_bytes: int  # per kernel run
    unrolled_in_pipeline: bool = False
    loops: list[LoopReport] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "loops"}
        data["loops"] = [loop.to_dict() for loop in self.loops]
        return data


@dataclass
class TaskReport:
    """A dataflow process (task call or top-level loop), or the whole function."""

    name: str
    kind: str  # "function", "task" or "loop"
    latency: int
    interval: int
    dsp: int
    lut: int
    ff: int
    reads: list[str]
    writes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MemoryReport:
    """One on-chip buffer and what it costs."""

    name: str
    function: str
    elements: int
    width: int
    impl: str  # bram, uram, lutram, registers, fifo
    partition: str
    banks: int
    copies: int  # 2 for a dataflow ping-pong buffer
    bram: int
    uram: int
    lut: int
    ff: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Roofline:
    peak_gflops: float
    bandwidth_gbps: float
    operational_intensity: float | None  # flop/byte; None without off-chip traffic
    ridge_intensity: float
    attainable_gflops: float
    achieved_gflops: float
    bound: str  # "memory" or "compute"
    dsp_per_fma: int

    def to_dict(self) -> dict[str, Any]:
        return {k: _round(v) for k, v in self.__dict__.items()}


def _round(value: Any) -> Any:
    return float(f"{value:.6g}") if isinstance(value, float) else value


RESOURCE_KEYS = ("dsp", "bram", "uram", "lut", "ff")


@dataclass
class QorReport:
    """What `estimate` predicts; `to_dict()` is the JSON form written to report.json."""

    target: str
    part: str
    clock_mhz: float
    top: str
    dataflow: bool
    latency_cycles: int
    interval_cycles: int
    resources: dict[str, int]
    available: dict[str, int]
    offchip_bytes: int
    flops: int
    roofline: Roofline
    loops: list[LoopReport]
    tasks: list[TaskReport]
    task_edges: list[tuple[str, str, str]]
    memories: list[MemoryReport]
    warnings: list[str]
    assumptions: list[str]

    @property
    def latency_us(self) -> float:
        return self.latency_cycles / self.clock_mhz

    @property
    def interval_us(self) -> float:
        return self.interval_cycles / self.clock_mhz

    @property
    def utilization(self) -> dict[str, float]:
        """Percent of the target's resources (0 when the part has none and none is used)."""
        result = {}
        for key in RESOURCE_KEYS:
            used, have = self.resources[key], self.available[key]
            result[key] = (100.0 * used / have) if have else (0.0 if not used else math.inf)
        return result

    @property
    def fits(self) -> bool:
        return all(self.resources[k] <= self.available[k] for k in RESOURCE_KEYS)

    def loop(self, name: str) -> LoopReport:
        """The loop labelled `name` (anywhere in the nests)."""
        stack = list(self.loops)
        while stack:
            loop = stack.pop()
            if loop.name == name:
                return loop
            stack.extend(loop.loops)
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        utilization = {
            k: (round(v, 2) if math.isfinite(v) else None) for k, v in self.utilization.items()
        }
        return {
            "target": self.target,
            "part": self.part,
            "clock_mhz": self.clock_mhz,
            "top": self.top,
            "dataflow": self.dataflow,
            "latency_cycles": self.latency_cycles,
            "interval_cycles": self.interval_cycles,
            "latency_us": _round(self.latency_us),
            "interval_us": _round(self.interval_us),
            "resources": dict(self.resources),
            "available": dict(self.available),
            "utilization": utilization,
            "fits": self.fits,
            "offchip_bytes": self.offchip_bytes,
            "flops": self.flops,
            "roofline": self.roofline.to_dict(),
            "loops": [loop.to_dict() for loop in self.loops],
            "tasks": [task.to_dict() for task in self.tasks],
            "task_graph": {
                "nodes": [{"name": t.name, "latency": t.latency} for t in self.tasks],
                "edges": [list(edge) for edge in self.task_edges],
            },
            "memories": [memory.to_dict() for memory in self.memories],
            "warnings": list(self.warnings),
            "assumptions": list(self.assumptions),
        }


# -- evaluation (reads directives) ------------------------------------------------------
@dataclass(eq=False)
class _Storage:
    """Where a root buffer lives, as the directives say."""

    name: str
    function: str
    kind: str  # "maxi", "ram", "reg", "stream"
    elements: int
    width: int
    partition: str = "none"
    banks: int = 1
    impl: str = "bram"
    port_type: str = "ram_t2p"
    bundle: str = ""
    read_latency: int = costs.BRAM_READ_LATENCY
    op: ir.Operation | None = None

    def bank(self, offset: int) -> int:
        if self.partition == "cyclic":
            return offset % self.banks
        if self.partition == "block":
            return min(self.banks - 1, max(0, offset // -(-self.elements // self.banks)))
        return 0


class _Cost:
    __slots__ = ("dsp", "ff", "lut")

    def __init__(self, dsp: int = 0, lut: int = 0, ff: int = 0) -> None:
        self.dsp, self.lut, self.ff = dsp, lut, ff

    def add(self, other: _Cost | tuple[int, int, int] | costs.OpCost, times: int = 1) -> None:
        if isinstance(other, tuple):
            dsp, lut, ff = other
        else:
            dsp, lut, ff = other.dsp, other.lut, other.ff
        self.dsp += dsp * times
        self.lut += lut * times
        self.ff += ff * times


@dataclass
class _Run:
    """What evaluating a loop or function gives its caller."""

    latency: int
    interval: int
    cost: _Cost  # one instance
    flops: int  # per entry
    offchip: int  # per entry
    report: LoopReport | None = None


@dataclass
class _Flat:
    """One iteration of a loop inside a pipelined loop, fully unrolled."""

    depth: int
    cost: _Cost
    flops: int
    offchip: int
    streams: dict[ir.Value, int]
    reports: list[LoopReport]


def _port_cycles(reads: int, writes: int, port_type: str) -> int:
    """Cycles one RAM bank needs for `reads` + `writes` accesses (Vitis bind_storage types)."""
    if not reads and not writes:
        return 0
    if port_type == "ram_1p":
        cycles = reads + writes
    elif port_type == "ram_2p":  # one read/write port + one read port
        cycles = max(-(-(reads + writes) // 2), writes)
    elif port_type == "ram_s2p":  # one read port + one write port
        cycles = max(reads, writes)
    elif port_type == "rom_1p":
        cycles = reads + writes
    elif port_type.startswith("rom"):
        cycles = -(-reads // 2) + writes
    else:  # true dual port: ram_t2p and unbound buffers
        cycles = -(-(reads + writes) // costs.RAM_PORTS)
    return max(1, cycles)


def _bram18k(depth: int, width: int) -> int:
    return min(-(-depth // d) * -(-width // w) for d, w in costs.BRAM18K_SHAPES)


class _Frame:
    """A function evaluated with its memref arguments bound to storages."""

    def __init__(self, info: _FuncInfo, bindings: dict[ir.Value, _Storage]) -> None:
        self.info = info
        self.bindings = bindings
        self.runs: list[_Run] = []  # one per item of the function body, in order


class _Evaluator:
    def __init__(self, analysis: QorAnalysis, clock_mhz: float) -> None:
        self.analysis = analysis
        self.clock = clock_mhz
        self.maxi_latency = costs.scale_cycles(costs.MAXI_READ_LATENCY, clock_mhz)
        self._op_latency: dict[str, int] = {}
        self._storage: dict[Any, _Storage] = {}
        self.shared: dict[str, _Cost] = {}  # non-dataflow callees, counted once
        self.frames: list[_Frame] = []
        self.reports: list[LoopReport] = []
        self._reported: set[str] = set()
        self._memo: dict[tuple, _Run] = {}
        self.warnings: list[str] = []

    # storage ----------------------------------------------------------------------
    def storage(self, frame: _Frame, root: ir.Value) -> _Storage:
        bound = frame.bindings.get(root)
        if bound is not None:
            return bound
        owner = root.owner
        if isinstance(owner, ir.Block):  # an argument nobody bound: treat as off-chip
            return self._maxi(frame.info, root)
        op = owner.operation
        key: Any = op
        if op.name == "memref.get_global":
            key = ("global", ir.FlatSymbolRefAttr(op.attributes["name"]).value)
        found = self._storage.get(key)
        if found is None:
            found = self._on_chip(frame.info, op, root)
            self._storage[key] = found
        return found

    def _maxi(self, info: _FuncInfo, arg: ir.Value) -> _Storage:
        found = self._storage.get(arg)
        if found is not None:
            return found
        index = info.args.index(arg)
        attrs = info.arg_attrs[index] if index < len(info.arg_attrs) else {}
        mem = ir.MemRefType(arg.type)
        found = _Storage(
            name=info.names.get(arg, f"arg{index}"),
            function=info.name,
            kind="maxi",
            elements=math.prod(mem.shape) if mem.rank else 1,
            width=element_bits(mem.element_type),
            impl="maxi",
            bundle=maxi_bundle(attrs),
            read_latency=self.maxi_latency,
        )
        self._storage[arg] = found
        return found

    def _on_chip(self, info: _FuncInfo, op: ir.Operation, root: ir.Value) -> _Storage:
        holder = op
        port_default = "ram_t2p"
        if op.name == "memref.get_global":
            holder = self.analysis.globals.get(
                ir.FlatSymbolRefAttr(op.attributes["name"]).value, op
            )
            if "constant" in holder.attributes:
                port_default = "rom_2p"
        partition = directives.get_partition(op) or directives.get_partition(holder)
        bind = directives.get_bind_storage(op) or directives.get_bind_storage(holder)
        mem = ir.MemRefType(root.type)
        elements = math.prod(mem.shape) if mem.rank else 1
        width = element_bits(mem.element_type)
        kind, banks, scheme = "ram", 1, "none"
        if partition is not None:
            scheme = partition.kind
            banks = elements if scheme == "complete" else max(1, min(partition.factor, elements))
        if scheme == "complete":
            kind, impl, latency = "reg", "registers", costs.REGISTER_READ_LATENCY
        else:
            bank_bits = -(-elements // banks) * width
            impl = (
                bind.impl
                if bind is not None
                else ("lutram" if bank_bits <= costs.LUTRAM_MAX_BITS else "bram")
            )
            latency = costs.BRAM_READ_LATENCY
        return _Storage(
            name=info.names.get(root, "buf"),
            function=info.name,
            kind=kind,
            elements=elements,
            width=width,
            partition=scheme,
            banks=banks,
            impl=impl,
            port_type=bind.type if bind is not None else port_default,
            read_latency=latency,
            op=holder,
        )

    # directives ---------------------------------------------------------------------
    def trips(self, info: _LoopInfo) -> int:
        if info.loop.trip_count is not None:
            return info.loop.trip_count
        tripcount = directives.get_tripcount(info.loop.op)
        if tripcount is not None:
            return tripcount.max
        if info.trip_bound is not None:
            return info.trip_bound
        self.warnings.append(f"{info.label}: unknown trip count, counted as 1")
        return 1

    @staticmethod
    def unroll(info: _LoopInfo, trips: int) -> int:
        factor = directives.get_unroll(info.loop.op)
        if factor is None:
            return 1
        return max(1, trips if factor == 0 else min(factor, trips))

    # latencies --------------------------------------------------------------------
    def op_latency(self, name: str) -> int:
        found = self._op_latency.get(name)
        if found is None:
            found = costs.op_latency(name, self.clock)
            self._op_latency[name] = found
        return found

    def latencies(self, frame: _Frame, block: _Block) -> list[int]:
        result = []
        for node in block.nodes:
            access = node.access
            if access is not None:
                if access.is_store:
                    result.append(costs.BRAM_WRITE_LATENCY)
                else:
                    result.append(self.storage(frame, access.root).read_latency)
            elif node.stream is not None:
                result.append(costs.STREAM_LATENCY)
            else:
                result.append(self.op_latency(node.name))
        return result

    @staticmethod
    def critical_path(block: _Block, lat: list[int]) -> int:
        finish: list[int] = []
        for node, cycles in zip(block.nodes, lat, strict=True):
            start = max((finish[p] for p in node.preds), default=0)
            if node.mem_pred is not None:
                start = max(start, finish[node.mem_pred])
            finish.append(start + cycles)
        return max(finish, default=0)

    @staticmethod
    def path(
        block: _Block, lat: list[int], sources: tuple[int, ...], sink: int | None, from_load: bool
    ) -> int:
        """Compute latency from `sources` (a load's result, or users of an iter_arg) to `sink`.

        from_load: ends at the input of the store `sink`; else at the output of `sink`.
        """
        if sink is None or not sources:
            return 0
        first = min(sources)
        ready: dict[int, int] = {}
        source_set = set(sources)
        for position in range(first, sink + 1):
            node = block.nodes[position]
            inputs = [ready[p] for p in node.preds if p in ready]
            if position in source_set:
                ready[position] = 0 if from_load else max(inputs, default=0) + lat[position]
            elif inputs:
                if position == sink and from_load:
                    return max(inputs)
                ready[position] = max(inputs) + lat[position]
        return ready.get(sink, 0)

    # dependences --------------------------------------------------------------------
    def dependence(
        self, frame: _Frame, load: Access, store: Access, loop: _LoopInfo, unroll: int
    ) -> tuple[int, int] | None:
        """(distance in unrolled groups, chained copies) of a pair carried across `loop`."""
        inside = store.loops[store.loops.index(loop.loop) + 1 :] if loop.loop in store.loops else []
        infos = frame.info.loop_of

        def copies_ignoring(access: Access) -> int:
            total = unroll
            for inner in inside:
                if access.coefficients is None or access.stride(inner.iv) == 0:
                    total *= self.trips(infos[inner]) if inner in infos else 1
            return total

        if (
            load.coefficients is None
            or store.coefficients is None
            or load.coefficients != store.coefficients
        ):
            return 1, copies_ignoring(store)
        stride = load.coefficients.get(loop.loop.iv, 0) * loop.loop.step
        delta = store.constant - load.constant
        varies_inside = any(store.coefficients.get(inner.iv, 0) for inner in inside)
        if stride == 0:
            if delta == 0:
                return 1, copies_ignoring(store)
            return (1, 1) if varies_inside else None
        if delta == 0:
            return None
        if delta % stride:
            return (1, 1) if varies_inside else None
        distance = delta // stride
        if distance <= 0:
            return None
        if distance < unroll:
            return 1, -(-unroll // distance)
        return distance // unroll, 1

    def chain_cost(self, frame: _Frame, info: _LoopInfo, lat: list[int]) -> int:
        """C_X: what one more chained copy of the loop body adds (distance-1 recurrences)."""
        body = info.body
        worst = 0
        for load, store in body.pairs:
            dep = self.dependence(frame, body.nodes[load].access, body.nodes[store].access, info, 1)
            if dep is not None and dep[0] == 1:
                worst = max(worst, self.path(body, lat, (load,), store, True))
        for users, sink in body.iter_chains:
            worst = max(worst, self.path(body, lat, users, sink, False))
        return worst

    def _recurrence_pairs(
        self, frame: _Frame, info: _LoopInfo
    ) -> Iterator[tuple[_Block, list[int], int, int]]:
        """(body, its op latencies, load node, store node) of each recurrence pair in `info`."""
        for inner in info.walk():
            body = inner.body
            if not body.pairs:
                continue
            lat = self.latencies(frame, body)
            for load, store in body.pairs:
                yield body, lat, load, store

    def recurrence_ii(self, frame: _Frame, info: _LoopInfo, unroll: int) -> int:
        worst = 0
        for body, lat, load, store in self._recurrence_pairs(frame, info):
            dep = self.dependence(
                frame, body.nodes[load].access, body.nodes[store].access, info, unroll
            )
            if dep is None:
                continue
            distance, copies = dep
            chain = lat[load] + copies * self.path(body, lat, (load,), store, True) + lat[store]
            worst = max(worst, -(-chain // distance))
        lat = self.latencies(frame, info.body)
        for users, sink in info.body.iter_chains:
            worst = max(worst, unroll * self.path(info.body, lat, users, sink, False))
        return worst

    # memory ports -------------------------------------------------------------------
    def port_ii(
        self,
        frame: _Frame,
        items: list[tuple[Access, list[tuple[ir.Value, int, int]]]],
        pipelined: _LoopInfo | None,
        unroll: int,
    ) -> tuple[int, str]:
        """Cycles the busiest memory needs per iteration (group) and its name."""
        # storage → fixed part → [read offsets/count, write offsets/count]
        groups: dict[_Storage, dict[Any, list[Any]]] = {}
        maxi: dict[str, list[int]] = {}  # bundle → [reads, writes, non-burst reads]
        written: set[_Storage] = set()
        resolved = []
        for access, expansion in items:
            storage = self.storage(frame, access.root)
            resolved.append((access, expansion, storage))
            if access.is_store:
                written.add(storage)
        for access, expansion, storage in resolved:
            if storage.kind == "reg":
                continue
            expanded = {iv for iv, _, _ in expansion}
            offsets = _offsets(access, expansion)
            if access.coefficients is None:
                fixed: Any = ("opaque", id(access))
            else:
                fixed = frozenset(
                    (iv, c) for iv, c in access.coefficients.items() if iv not in expanded
                )
            if storage.kind == "maxi" and pipelined is not None:
                advance = (
                    access.coefficients.get(pipelined.loop.iv, 0) * pipelined.loop.step * unroll
                    if access.coefficients is not None
                    else None
                )
                if advance == 0 and not access.is_store and storage not in written:
                    continue  # loop-invariant: hoisted out of the pipeline
                burst = (
                    offsets is not None
                    and advance == len(offsets)
                    and max(offsets) - min(offsets) + 1 == len(offsets)
                )
                fixed = (fixed, "burst" if burst else "single")
            slot = groups.setdefault(storage, {}).setdefault(fixed, [set(), set(), 0, 0])
            which = 1 if access.is_store else 0
            if offsets is None:
                slot[2 + which] += _copy_count(access, expansion)
            else:
                slot[which].update(offsets)
        worst, worst_name = 0, ""
        for storage, by_fixed in groups.items():
            if storage.kind == "maxi":
                totals = maxi.setdefault(storage.bundle, [0, 0, 0])
                for fixed, (reads, writes, opaque_r, opaque_w) in by_fixed.items():
                    read_count, write_count = len(reads) + opaque_r, len(writes) + opaque_w
                    if isinstance(fixed, tuple) and fixed[-1] == "burst":
                        # Widened port: a burst moves MAXI_WIDEN_BITS per beat.
                        totals[0] += costs.burst_beats(read_count, storage.width)
                        totals[1] += costs.burst_beats(write_count, storage.width)
                        continue
                    totals[0] += read_count
                    totals[1] += write_count
                    if pipelined is not None:
                        totals[2] += read_count
                continue
            cycles = self._bank_cycles(storage, by_fixed)
            if cycles > worst:
                worst, worst_name = cycles, f"memory:{storage.name}"
        for bundle, (reads, writes, single) in sorted(maxi.items()):
            cycles = max(reads, writes)
            if single:
                cycles = max(cycles, -(-single * self.maxi_latency // costs.MAXI_MAX_OUTSTANDING))
            if cycles > worst:
                worst, worst_name = cycles, f"memory:{bundle}"
        return worst, worst_name

    @staticmethod
    def _bank_cycles(storage: _Storage, by_fixed: dict[Any, list[Any]]) -> int:
        per_key = []
        for reads, writes, opaque_r, opaque_w in by_fixed.values():
            banks: dict[int, list[int]] = {}
            for offset in reads:
                banks.setdefault(storage.bank(offset), [0, 0])[0] += 1
            for offset in writes:
                banks.setdefault(storage.bank(offset), [0, 0])[1] += 1
            if opaque_r or opaque_w:  # unknown addresses: all in one bank
                slot = banks.setdefault(0, [0, 0])
                slot[0] += opaque_r
                slot[1] += opaque_w
            per_key.append(banks)
        if len(per_key) == 1:
            return max(
                (_port_cycles(r, w, storage.port_type) for r, w in per_key[0].values()), default=0
            )
        # Different non-unrolled parts may meet in any bank: assume the busiest ones do.
        reads = sum(max((r for r, _ in banks.values()), default=0) for banks in per_key)
        writes = sum(max((w for _, w in banks.values()), default=0) for banks in per_key)
        return _port_cycles(reads, writes, storage.port_type)

    # loops ------------------------------------------------------------------------------
    def offchip(self, frame: _Frame, block: _Block) -> int:
        total = 0
        for node in block.nodes:
            if node.access is not None:
                storage = self.storage(frame, node.access.root)
                if storage.kind == "maxi":
                    total += -(-storage.width // 8)
        return total

    def run_loop(self, frame: _Frame, info: _LoopInfo, entries: int, instances: int) -> _Run:
        trips = self.trips(info)
        unroll = self.unroll(info, trips)
        pipeline = directives.get_pipeline(info.loop.op)
        if pipeline is not None:
            return self._pipelined(frame, info, trips, unroll, pipeline, entries, instances)
        nest = _flattened_nest(info)
        if nest is not None:
            return self._flattened(frame, nest, entries, instances)
        body = info.body
        lat = self.latencies(frame, body)
        depth = self.critical_path(body, lat)
        cost = _Cost()
        cost.add(body.cost)
        flops, offchip = body.flops, self.offchip(frame, body)
        children = []
        for item in body.items:
            if isinstance(item, _LoopInfo):
                run = self.run_loop(frame, item, entries * trips, instances * unroll)
                children.append(run.report)
            else:
                run = self.run_call(frame, item, shared=True)
            depth += run.latency
            cost.add(run.cost)
            flops += run.flops
            offchip += run.offchip
        chain = self.chain_cost(frame, info, lat) if unroll > 1 else 0
        items = [
            (a, [(info.loop.iv, unroll, info.loop.step)] if unroll > 1 else []) for a in info.direct
        ]
        ports, _ = self.port_ii(frame, items, None, unroll)
        group = depth + max(0, (unroll - 1) * chain, ports - 1)
        latency = -(-trips // unroll) * (group + 1) + 1
        total = _Cost()
        total.add(cost, unroll)
        if unroll < trips:
            total.add(costs.LOOP_CONTROL)
        report = self._report(
            frame,
            info,
            trips=trips,
            unroll=unroll,
            depth=group,
            latency=latency,
            entries=entries,
            cost=total,
            instances=instances,
            flops=flops * trips,
            offchip=offchip * trips,
            children=children,
        )
        return _Run(latency, latency, total, flops * trips, offchip * trips, report)

    def _pipelined(
        self,
        frame: _Frame,
        info: _LoopInfo,
        trips: int,
        unroll: int,
        pipeline: directives.Pipeline,
        entries: int,
        instances: int,
        outer: int = 1,
    ) -> _Run:
        """A pipelined loop; `outer` > 1: the trips of the loops flattened into it."""
        flat = self.flatten(frame, info, entries * outer * trips, instances * unroll)
        depth = flat.depth
        if unroll > 1:
            depth += (unroll - 1) * self.chain_cost(frame, info, self.latencies(frame, info.body))
        ii_target = max(1, pipeline.ii)
        ii_rec = self.recurrence_ii(frame, info, unroll)
        sweep = -(-trips // unroll)
        ii_outer = self.flattened_recurrence_ii(frame, info, sweep) if outer > 1 else 0
        infos = frame.info.loop_of
        items = []
        for access in info.subtree:
            expansion = [(info.loop.iv, unroll, info.loop.step)] if unroll > 1 else []
            position = access.loops.index(info.loop) if info.loop in access.loops else -1
            for inner in access.loops[position + 1 :]:
                inner_trips = self.trips(infos[inner]) if inner in infos else 1
                if inner_trips > 1:
                    expansion.append((inner.iv, inner_trips, inner.step))
            items.append((access, expansion))
        ii_mem, memory = self.port_ii(frame, items, info, unroll)
        ii_stream = max((count * unroll for count in flat.streams.values()), default=0)
        ii_model = max(ii_target, ii_rec, ii_mem, ii_stream)
        if ii_model == ii_target:
            limit = "target"
        elif ii_model == ii_rec:
            limit = "recurrence"
        elif ii_model == ii_mem:
            limit = memory
        else:
            limit = "stream"
        recorded = pipeline.achieved_ii
        ii = ii_model
        if recorded is not None:
            ii = recorded
            if recorded != ii_model:
                limit = "recorded"
                self.warnings.append(
                    f"{info.label}: recorded achieved_ii {recorded} differs from the model's "
                    f"{ii_model}; using the recorded one"
                )
        if ii_outer > ii:
            ii, ii_model, limit = ii_outer, max(ii_model, ii_outer), "recurrence (flattened)"
        latency = (sweep * outer - 1) * ii + depth
        total = _Cost()
        total.add(flat.cost, unroll)
        total.add(costs.LOOP_CONTROL)
        total.add(costs.PIPELINE_CONTROL)
        total.ff += costs.PIPELINE_FF_PER_STAGE * depth
        flops, offchip = flat.flops * trips * outer, flat.offchip * trips * outer
        report = self._report(
            frame,
            info,
            trips=trips,
            unroll=unroll,
            depth=depth,
            latency=latency,
            entries=entries,
            cost=total,
            instances=instances,
            flops=flops,
            offchip=offchip,
            children=flat.reports,
            pipelined=True,
            ii_target=ii_target,
            iis=(ii_model, recorded, ii),
            limit=limit,
        )
        return _Run(latency, latency, total, flops, offchip, report)

    def flattened_recurrence_ii(self, frame: _Frame, info: _LoopInfo, sweep: int) -> int:
        """II a flattened nest needs for values carried across its outer loops.

        hls-loop-flatten only flattens nests whose stored buffers are each accessed at
        one injective offset, so such a value is read again a whole sweep of the
        pipelined loop (`sweep` iterations) after it is written, or later.
        """
        worst = 0
        for body, lat, load, store in self._recurrence_pairs(frame, info):
            chain = lat[load] + self.path(body, lat, (load,), store, True) + lat[store]
            worst = max(worst, -(-chain // sweep))
        return worst

    def _flattened(
        self, frame: _Frame, nest: list[_LoopInfo], entries: int, instances: int
    ) -> _Run:
        """A perfect nest flattened into its pipelined innermost loop (hlsdf.flatten).

        One pipeline runs through every iteration of the nest, so its depth is paid
        once. Each loop of the nest reports that pipeline's whole latency, entered as
        often as the nest's outermost loop.
        """
        inner = nest[-1]
        pipeline = directives.get_pipeline(inner.loop.op)
        assert pipeline is not None
        outer_trips = [self.trips(loop) for loop in nest[:-1]]
        outer = math.prod(outer_trips)
        trips = self.trips(inner)
        run = self._pipelined(
            frame, inner, trips, self.unroll(inner, trips), pipeline, entries, instances, outer
        )
        report = run.report
        for loop, loop_trips in reversed(list(zip(nest[:-1], outer_trips, strict=True))):
            report = self._report(
                frame,
                loop,
                trips=loop_trips,
                unroll=1,
                depth=report.depth,
                latency=run.latency,
                entries=entries,
                cost=_Cost(),
                instances=instances,
                flops=run.flops,
                offchip=run.offchip,
                children=[report],
                limit="flattened",
            )
        return _Run(run.latency, run.interval, run.cost, run.flops, run.offchip, report)

    def flatten(self, frame: _Frame, info: _LoopInfo, entries: int, instances: int) -> _Flat:
        """One iteration of `info` with every loop inside it fully unrolled."""
        body = info.body
        lat = self.latencies(frame, body)
        depth = self.critical_path(body, lat)
        cost = _Cost()
        cost.add(body.cost)
        flops, offchip = body.flops, self.offchip(frame, body)
        streams: dict[ir.Value, int] = {}
        for node in body.nodes:
            if node.stream is not None:
                streams[node.stream] = streams.get(node.stream, 0) + 1
        reports = []
        for item in body.items:
            if isinstance(item, _Call):
                run = self.run_call(frame, item, shared=True)
                depth += run.latency
                cost.add(run.cost)
                flops += run.flops
                offchip += run.offchip
                continue
            trips = self.trips(item)
            if directives.get_pipeline(item.loop.op) is not None:
                self.warnings.append(
                    f"{item.label}: pipeline directive inside pipelined {info.label} is ignored "
                    "(the loop is fully unrolled)"
                )
            inner = self.flatten(frame, item, entries * trips, instances * trips)
            inner_lat = self.latencies(frame, item.body)
            chained = inner.depth + (trips - 1) * self.chain_cost(frame, item, inner_lat)
            depth += chained
            cost.add(inner.cost, trips)
            flops += inner.flops * trips
            offchip += inner.offchip * trips
            for stream, count in inner.streams.items():
                streams[stream] = streams.get(stream, 0) + count * trips
            sub = _Cost()
            sub.add(inner.cost, trips)
            report = self._report(
                frame,
                item,
                trips=trips,
                unroll=trips,
                depth=inner.depth,
                latency=chained,
                entries=entries,
                cost=sub,
                instances=instances,
                flops=inner.flops * trips * entries,
                offchip=inner.offchip * trips * entries,
                children=inner.reports,
                unrolled=True,
            )
            reports.append(report)
        return _Flat(depth, cost, flops, offchip, streams, reports)

    def _report(
        self,
        frame: _Frame,
        info: _LoopInfo,
        *,
        trips: int,
        unroll: int,
        depth: int,
        latency: int,
        entries: int,
        cost: _Cost,
        instances: int,
        flops: int,
        offchip: int,
        children: list[LoopReport],
        pipelined: bool = False,
        ii_target: int | None = None,
        iis: tuple[int, int | None, int] | None = None,
        limit: str = "",
        unrolled: bool = False,
    ) -> LoopReport:
        ii_model, ii_recorded, ii_achieved = iis if iis is not None else (None, None, None)
        per_run = 1 if unrolled else entries
        return LoopReport(
            name=info.label,
            function=frame.info.name,
            trip_count=trips,
            unroll=unroll,
            pipelined=pipelined,
            ii_target=ii_target,
            ii_model=ii_model,
            ii_recorded=ii_recorded,
            ii_achieved=ii_achieved,
            ii_limit=limit,
            depth=depth,
            latency=latency,
            entries=entries,
            dsp=cost.dsp * instances,
            lut=cost.lut * instances,
            ff=cost.ff * instances,
            flops=flops * per_run,
            offchip_bytes=offchip * per_run,
            unrolled_in_pipeline=unrolled,
            loops=children,
        )

    # functions ------------------------------------------------------------------------
    def run_call(self, frame: _Frame, call: _Call, shared: bool) -> _Run:
        if not self.analysis.has_function(call.callee):
            self.warnings.append(f"call to '@{call.callee}' without a body counts 0 cycles")
            return _Run(0, 0, _Cost(), 0, 0)
        callee = self.analysis.function(call.callee)
        bindings: dict[ir.Value, _Storage] = {}
        for arg, operand in zip(callee.args, call.operands, strict=False):
            if isinstance(operand.type, ir.MemRefType):
                bindings[arg] = self.storage(frame, root_buffer(operand))
            elif frame.bindings.get(operand) is not None:  # a stream passed through
                bindings[arg] = frame.bindings[operand]
            elif operand in frame.info.names and not isinstance(operand.owner, ir.Block):
                bindings[arg] = self.stream(frame, operand)
        run = self.run_function(callee, bindings)
        if shared:
            self.shared.setdefault(call.callee, run.cost)
            return _Run(run.latency, run.interval, _Cost(), run.flops, run.offchip)
        return run

    def stream(self, frame: _Frame, value: ir.Value) -> _Storage:
        found = self._storage.get(value)
        if found is None:
            match = re.search(r"<(.+),\s*(\d+)", str(value.type))
            element = match.group(1) if match else "f32"
            width_match = re.search(r"(\d+)", element)
            found = _Storage(
                name=frame.info.names.get(value, "stream"),
                function=frame.info.name,
                kind="stream",
                elements=int(match.group(2)) if match else 2,
                width=int(width_match.group(1)) if width_match else 32,
                impl="fifo",
                read_latency=costs.STREAM_LATENCY,
                op=value.owner.operation,
            )
            self._storage[value] = found
        return found

    def run_function(self, info: _FuncInfo, bindings: dict[ir.Value, _Storage]) -> _Run:
        key = (info.name, tuple(id(bindings.get(a)) for a in info.args))
        found = self._memo.get(key)
        if found is not None:
            return found
        frame = _Frame(info, bindings)
        self.frames.append(frame)
        first = info.name not in self._reported
        self._reported.add(info.name)
        body = info.body
        lat = self.latencies(frame, body)
        latency = self.critical_path(body, lat)
        cost = _Cost()
        cost.add(body.cost)
        flops, offchip = body.flops, self.offchip(frame, body)
        dataflow = directives.is_dataflow(info.op)
        intervals = []
        for item in body.items:
            if isinstance(item, _LoopInfo):
                run = self.run_loop(frame, item, 1, 1)
                if first:
                    self.reports.append(run.report)
            else:
                run = self.run_call(frame, item, shared=not dataflow)
            frame.runs.append(run)
            latency += run.latency
            intervals.append(run.interval)
            cost.add(run.cost)
            flops += run.flops
            offchip += run.offchip
        interval = max(intervals, default=latency) if dataflow else latency
        run = _Run(latency, max(1, interval) if dataflow else latency, cost, flops, offchip)
        self._memo[key] = run
        return run

    def processes(
        self, frame: _Frame
    ) -> tuple[list[TaskReport], list[tuple[str, str, str]], set[_Storage]]:
        """Dataflow processes of the top function, the buffers between them, and the PIPOs."""
        info = frame.info
        dataflow = directives.is_dataflow(info.op)
        if not dataflow:
            return [], [], set()
        tasks: list[TaskReport] = []
        touched: list[tuple[set[_Storage], set[_Storage]]] = []
        used: dict[str, int] = {}
        for item, run in zip(info.body.items, frame.runs, strict=True):
            reads: set[_Storage] = set()
            writes: set[_Storage] = set()
            if isinstance(item, _LoopInfo):
                base, kind = item.label, "loop"
                for access in item.subtree:
                    (writes if access.is_store else reads).add(self.storage(frame, access.root))
            else:
                base, kind = item.callee, "task"
                callee = (
                    self.analysis.function(item.callee)
                    if self.analysis.has_function(item.callee)
                    else None
                )
                for i, operand in enumerate(item.operands):
                    if callee is None:
                        continue
                    if isinstance(operand.type, ir.MemRefType):
                        storage = self.storage(frame, root_buffer(operand))
                    elif operand in info.names:
                        storage = self.stream(frame, operand)
                    else:
                        continue
                    if i in callee.arg_reads:
                        reads.add(storage)
                    if i in callee.arg_writes:
                        writes.add(storage)
            count = used.get(base, 0)
            used[base] = count + 1
            name = base if count == 0 else f"{base}_{count}"
            tasks.append(
                TaskReport(
                    name,
                    kind,
                    run.latency,
                    run.interval,
                    run.cost.dsp,
                    run.cost.lut,
                    run.cost.ff,
                    sorted(s.name for s in reads),
                    sorted(s.name for s in writes),
                )
            )
            touched.append((reads, writes))
        edges: list[tuple[str, str, str]] = []
        last_writer: dict[_Storage, int] = {}
        users: dict[_Storage, set[int]] = {}
        for index, (reads, writes) in enumerate(touched):
            for storage in sorted(reads, key=lambda s: s.name):
                writer = last_writer.get(storage)
                if writer is not None and writer != index:
                    edges.append((tasks[writer].name, tasks[index].name, storage.name))
            for storage in reads | writes:
                users.setdefault(storage, set()).add(index)
            for storage in writes:
                last_writer[storage] = index
        pipo = {s for s, who in users.items() if len(who) > 1 and s.kind in ("ram", "reg")}
        return tasks, edges, pipo


def _flattened_nest(info: _LoopInfo) -> list[_LoopInfo] | None:
    """[info, ..., pipelined loop] when `info` is the outermost loop flattened into it."""
    nest = [info]
    while len(nest[-1].body.loops) == 1 and not nest[-1].body.calls:
        nest.append(nest[-1].body.loops[0])
        if directives.get_pipeline(nest[-1].loop.op) is not None:
            levels = directives.get_flatten(nest[-1].loop.op)
            return nest if levels == len(nest) - 1 else None
    return None


def _offsets(access: Access, expansion: list[tuple[ir.Value, int, int]]) -> set[int] | None:
    """Distinct flat offsets the copies of `access` touch (None: unknown or too many)."""
    coefficients = access.coefficients
    if coefficients is None:
        return None
    offsets = [access.constant]
    for iv, copies, step in expansion:
        coeff = coefficients.get(iv, 0) * step
        if coeff == 0 or copies <= 1:
            continue
        if len(offsets) * copies > MAX_ENUMERATED:
            return None
        offsets = [base + coeff * k for base in offsets for k in range(copies)]
    return set(offsets)


def _copy_count(access: Access, expansion: list[tuple[ir.Value, int, int]]) -> int:
    total = 1
    for iv, copies, _ in expansion:
        if access.coefficients is None or access.coefficients.get(iv, 0):
            total *= copies
    return total


# -- resources of memories and interfaces ------------------------------------------------
def _memory_report(storage: _Storage, copies: int) -> MemoryReport:
    bram = uram = lut = ff = 0
    depth = -(-storage.elements // storage.banks)
    if storage.kind == "reg":
        ff = storage.elements * storage.width
    elif storage.kind == "stream":
        lut = -(-storage.elements * storage.width // costs.LUTRAM_BITS_PER_LUT)
    elif storage.impl == "uram":
        uram = storage.banks * (
            -(-depth // costs.URAM_DEPTH) * -(-storage.width // costs.URAM_WIDTH)
        )
    elif storage.impl == "lutram":
        lut = storage.banks * -(-depth * storage.width // costs.LUTRAM_BITS_PER_LUT)
    else:
        bram = storage.banks * _bram18k(depth, storage.width)
    return MemoryReport(
        storage.name,
        storage.function,
        storage.elements,
        storage.width,
        storage.impl,
        storage.partition,
        storage.banks,
        copies,
        bram * copies,
        uram * copies,
        lut * copies,
        ff * copies,
    )


def _assumptions(target: Target, clock_mhz: float, evaluator: _Evaluator) -> list[str]:
    lat = evaluator.op_latency
    ref = costs.REFERENCE_CLOCK_MHZ
    peak = _peak_gflops(target, clock_mhz)
    memory = target.main_memory
    return [
        f"operator latencies at {clock_mhz:g} MHz (from {ref:g} MHz figures, scaled): "
        f"fadd/fsub {lat('arith.addf')}, fmul {lat('arith.mulf')}, fdiv {lat('arith.divf')}, "
        f"exp {lat('math.exp')}, sqrt {lat('math.sqrt')}, rsqrt {lat('math.rsqrt')}, "
        f"tanh {lat('math.tanh')}, fma {lat('math.fma')} cycles",
        f"loads: BRAM/URAM/LUTRAM {costs.BRAM_READ_LATENCY}, "
        f"registers {costs.REGISTER_READ_LATENCY}, m_axi {evaluator.maxi_latency} cycles; "
        f"stores {costs.BRAM_WRITE_LATENCY}",
        f"m_axi bundles move 1 read + 1 write element per cycle, or "
        f"{costs.MAXI_WIDEN_BITS} bits per cycle of a pipelined burst (ports widened to "
        f"max_widen_bitwidth={costs.MAXI_WIDEN_BITS}: a burst of E elements of w bits takes "
        f"ceil(E x w / {costs.MAXI_WIDEN_BITS}) cycles); pipelined burst reads need "
        f"one {evaluator.maxi_latency}-cycle latency, non-burst reads are limited to "
        f"{costs.MAXI_MAX_OUTSTANDING} outstanding (II >= reads x {evaluator.maxi_latency} / "
        f"{costs.MAXI_MAX_OUTSTANDING}); loop-invariant reads are hoisted; bundles are "
        "gmem_in/gmem_w/gmem_out by role unless hls-weight-banks assigned gmem_w<k>",
        "pipelined loop: latency = (ceil(N/U) - 1) x II + D, II = max(target, recurrence, "
        "memory ports); loops inside it are fully unrolled",
        "sequential loop: latency = ceil(N/U) x (D + max(0, (U-1) x C, P - 1) + 1) + 1",
        "trip counts are worst case (static bounds, counter-dependent bounds at their maximum, "
        "else hlsdf.tripcount max)",
        f"on-chip RAM banks serve {costs.RAM_PORTS} accesses per cycle (true dual port unless "
        "bound otherwise); completely partitioned arrays are registers",
        "dataflow: latency = sum of process latencies (first invocation), interval = max "
        "process interval; buffers shared by processes are ping-pong (2 copies)",
        "operators: each op of a pipelined body (x unroll x inner trips) is its own instance; "
        "sequential loops instantiate once per unrolled copy; non-task callees are shared",
        f"control: {costs.LOOP_CONTROL.lut} LUT + {costs.LOOP_CONTROL.ff} FF per loop; "
        f"pipelined +{costs.PIPELINE_CONTROL.lut} LUT, +{costs.PIPELINE_CONTROL.ff} FF "
        f"+ {costs.PIPELINE_FF_PER_STAGE} FF per stage",
        f"interfaces: {costs.MAXI_ADAPTER.lut} LUT + {costs.MAXI_ADAPTER.ff} FF + "
        f"{costs.MAXI_ADAPTER_BRAM18K} BRAM18K per m_axi bundle; s_axilite "
        f"{costs.AXILITE_CONTROL.lut} LUT + {costs.AXILITE_CONTROL.ff} FF + "
        f"{costs.AXILITE_PER_ARG.ff} FF per argument",
        "memories: BRAM18K per bank = best of 16384x1..512x36 shapes; URAM 4096x72; LUTRAM "
        f"{costs.LUTRAM_BITS_PER_LUT} bits per LUT; unbound banks <= {costs.LUTRAM_MAX_BITS} "
        "bits use LUTRAM, larger BRAM",
        f"roofline: peak = {target.resources.dsp} DSP / {costs.DSP_PER_FMA} per FMA x 2 flop x "
        f"{clock_mhz:g} MHz = {peak:.6g} GFLOP/s; bandwidth = {memory.kind} "
        f"{memory.total_gbps:g} GB/s",
        "flops: addf/subf/mulf/divf count 1, math.fma 2; special functions are not counted",
    ]


def _peak_gflops(target: Target, clock_mhz: float) -> float:
    return target.resources.dsp / costs.DSP_PER_FMA * 2 * clock_mhz / 1000.0


def _roofline(target: Target, clock_mhz: float, flops: int, offchip: int, latency: int) -> Roofline:
    peak = _peak_gflops(target, clock_mhz)
    bandwidth = target.main_memory.total_gbps
    ridge = peak / bandwidth
    intensity = flops / offchip if offchip else None
    attainable = peak if intensity is None else min(peak, intensity * bandwidth)
    achieved = flops / (latency / clock_mhz) / 1000.0 if latency else 0.0
    bound = "compute" if intensity is None or intensity >= ridge else "memory"
    return Roofline(
        peak_gflops=peak,
        bandwidth_gbps=bandwidth,
        operational_intensity=intensity,
        ridge_intensity=ridge,
        attainable_gflops=attainable,
        achieved_gflops=achieved,
        bound=bound,
        dsp_per_fma=costs.DSP_PER_FMA,
    )


# -- entry point ---------------------------------------------------------------------------
def estimate(
    module: ir.Module,
    target: Target,
    clock_mhz: float,
    *,
    top: str | None = None,
    analysis: QorAnalysis | None = None,
) -> QorReport:
    """Predict latency, interval, resources and off-chip traffic of `module`'s top function.

    Pass `analysis=analyze(module)` to reuse the structural analysis across calls that only
    change hlsdf.* directives.
    """
    if not (isinstance(clock_mhz, int | float) and math.isfinite(clock_mhz) and clock_mhz > 0):
        raise OptionError(f"clock {clock_mhz!r} MHz must be a positive number")
    if analysis is None:
        analysis = QorAnalysis(module, top)
    elif analysis.module is not module or (top is not None and top != analysis.top):
        raise LlmhlsError("estimate: the analysis was built for another module or top function")
    with module.context:
        return _estimate(analysis, target, float(clock_mhz))


def _estimate(analysis: QorAnalysis, target: Target, clock_mhz: float) -> QorReport:
    evaluator = _Evaluator(analysis, clock_mhz)
    info = analysis.function(analysis.top)
    bindings = {
        arg: evaluator._maxi(info, arg) for arg in info.args if isinstance(arg.type, ir.MemRefType)
    }
    run = evaluator.run_function(info, bindings)
    frame = evaluator.frames[0]
    tasks, edges, pipo = evaluator.processes(frame)
    dataflow = bool(tasks)
    if not dataflow:
        reads = sorted(info.names[info.args[i]] for i in info.arg_reads)
        writes = sorted(info.names[info.args[i]] for i in info.arg_writes)
        cost = run.cost
        tasks = [
            TaskReport(
                info.name,
                "function",
                run.latency,
                run.interval,
                cost.dsp,
                cost.lut,
                cost.ff,
                reads,
                writes,
            )
        ]
    logic = _Cost()
    logic.add(run.cost)
    for cost in evaluator.shared.values():
        logic.add(cost)
    memories: list[MemoryReport] = []
    seen: set[_Storage] = set()
    for item_frame in evaluator.frames:
        for op in item_frame.info.buffers:
            storage = evaluator.storage(item_frame, op.results[0])
            if storage not in seen:
                seen.add(storage)
                memories.append(_memory_report(storage, 2 if storage in pipo else 1))
        for op in item_frame.info.streams:
            storage = evaluator.stream(item_frame, op.results[0])
            if storage not in seen:
                seen.add(storage)
                memories.append(_memory_report(storage, 1))
    used_args = info.arg_reads | info.arg_writes
    bundles = {bindings[info.args[i]].bundle for i in used_args if info.args[i] in bindings}
    resources = {
        "dsp": logic.dsp,
        "bram": sum(m.bram for m in memories) + costs.MAXI_ADAPTER_BRAM18K * len(bundles),
        "uram": sum(m.uram for m in memories),
        "lut": logic.lut
        + sum(m.lut for m in memories)
        + costs.MAXI_ADAPTER.lut * len(bundles)
        + costs.AXILITE_CONTROL.lut
        + costs.AXILITE_PER_ARG.lut * len(info.args),
        "ff": logic.ff
        + sum(m.ff for m in memories)
        + costs.MAXI_ADAPTER.ff * len(bundles)
        + costs.AXILITE_CONTROL.ff
        + costs.AXILITE_PER_ARG.ff * len(info.args),
    }
    have = target.resources
    available = {
        "dsp": have.dsp,
        "bram": have.bram_18k,
        "uram": have.uram,
        "lut": have.lut,
        "ff": have.ff,
    }
    return QorReport(
        target=target.name,
        part=target.part,
        clock_mhz=clock_mhz,
        top=info.name,
        dataflow=dataflow,
        latency_cycles=run.latency,
        interval_cycles=run.interval,
        resources=resources,
        available=available,
        offchip_bytes=run.offchip,
        flops=run.flops,
        roofline=_roofline(target, clock_mhz, run.flops, run.offchip, run.latency),
        loops=evaluator.reports,
        tasks=tasks,
        task_edges=edges,
        memories=memories,
        warnings=list(dict.fromkeys(evaluator.warnings)),
        assumptions=_assumptions(target, clock_mhz, evaluator),
    )
