"""hls-stream-channels: turn in-order ping-pong buffers between dataflow tasks into FIFOs.

After hls-dataflow-tasks every channel between tasks is a buffer, which Vitis
makes a ping-pong (PIPO): two copies of the whole array, and the consumer
starts only when the producer has finished. When the producer writes every
element exactly once in row-major order and the consumer reads every element
exactly once in the same order, an `hls::stream` FIFO carries the same data:
the two tasks overlap element by element and only a few entries are stored.

A `memref.alloc` of the `hlsdf.dataflow` top becomes an `hlsdf.stream_create`
when all of these hold (anything else stays a buffer):
- its only uses are two task calls, each passing it directly (no view) once;
  each callee is a private `hlsdf.task` called from nowhere else;
- the earlier task's argument is used by exactly one store, the later task's
  by exactly one load (so neither reads back, read-modify-writes or passes it
  on to another call);
- that access sits directly in the innermost of the loops around it (no
  if around it), those loops form a perfect chain from the task's top level
  (each one's body is the next loop only) with constant bounds, and its flat
  offset enumerates 0..N-1 once in loop order: a zero base, each counter's
  stride (times its step) equal to the product of the trip counts inside it,
  and the trip counts multiplying to the N elements of the buffer;
- no deadlock can arise through the FIFO: a producer blocked on a full FIFO
  waits for the consumer, and a task waits for the producers of its inputs;
  the channel is kept a buffer when the consumer can come back to the
  producer through such waits (another channel between the two tasks, or a
  reconvergent path through other streams).

Rewrite: the alloc becomes `hlsdf.stream_create` (same location, so the
emitter names it like the buffer), the two task arguments take the stream
type, the store becomes `hlsdf.stream_write` and the load `hlsdf.stream_read`.

Depth: the producer and consumer run concurrently element by element, so a
small FIFO suffices. It holds the producer's in-flight iterations, so a
stalled consumer does not back up into the middle of the producer's
pipeline: depth = max(min-depth, D), never more than N, where D is the
producer's estimated latency from the start of an iteration to its write
(the longest def-use path of loads, operators and the write itself, loads
of m_axi arguments at the m_axi read latency, other buffers at the BRAM
read latency).

A FIFO moves one element per access: a pipelined loop that now reads or
writes a stream k times per iteration (unrolled copies) cannot go below
II = k, which the QoR model derives from the stream accesses. Such loops
were unrolled by the DSE for parallel buffer ports; `max-copies=n` (0: no
limit) keeps a buffer instead when either task would access the FIFO more
than n times per pipelined iteration.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.dialects import hlsdf
from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.costs import (
    BRAM_READ_LATENCY,
    MAXI_READ_LATENCY,
    REFERENCE_CLOCK_MHZ,
    STREAM_LATENCY,
    op_latency_for,
)
from llmhls.passes.analysis.ir_utils import (
    functions,
    has_body,
    set_function_type,
    symbol_name,
    top_function,
    walk_ops,
    yielded_values,
)
from llmhls.passes.analysis.loops import (
    LOAD_OPS,
    LOOP_OPS,
    STORE_OPS,
    Access,
    Loop,
    accesses,
    loop_forest,
    root_buffer,
)
from llmhls.passes.analysis.memory_uses import STREAM_READ, access_kinds
from llmhls.passes.analysis.nest import constant_bounds, only_child
from llmhls.passes.analysis.storage import is_top_argument, storage
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

# Index arithmetic left without users once an access is gone.
_INDEX_OPS = (
    "affine.apply",
    "arith.addi",
    "arith.subi",
    "arith.muli",
    "arith.index_cast",
    "arith.index_castui",
)


@register_pass
@dataclass(frozen=True)
class StreamChannels(Pass):
    """Replace dataflow buffers written and read once, in the same order, by hls::stream FIFOs."""

    name = "hls-stream-channels"
    summary = "turn in-order producer/consumer buffers between dataflow tasks into streams"
    min_depth: int = 2
    max_copies: int = 0  # 0: no limit (see the module doc)
    clock_mhz: float = REFERENCE_CLOCK_MHZ

    def run(self, module: ir.Module) -> None:
        if self.min_depth < 1:
            raise OptionError(f"hls-stream-channels min-depth must be >= 1, got {self.min_depth}")
        if self.max_copies < 0:
            raise OptionError(f"hls-stream-channels max-copies must be >= 0, got {self.max_copies}")
        if not 10.0 <= self.clock_mhz <= 1000.0:
            raise OptionError(
                f"hls-stream-channels clock-mhz {self.clock_mhz:g} is outside 10..1000"
            )
        with module.context, ir.Location.unknown():
            top = top_function(module)
            if not directives.is_dataflow(top):
                return
            funcs = {symbol_name(f): f for f in functions(module) if has_body(f)}
            call_counts: dict[str, int] = {}
            for func in funcs.values():
                for op in walk_ops(func):
                    if op.name == "func.call":
                        callee = _callee(op)
                        call_counts[callee] = call_counts.get(callee, 0) + 1
            allocs = [
                op.operation
                for op in top.regions[0].blocks[0].operations
                if op.operation.name == "memref.alloc"
            ]
            for alloc in allocs:
                channel = _candidate(alloc, top, funcs, call_counts)
                if channel is None or _may_deadlock(top, funcs, channel):
                    continue
                copies = max(_copies(channel.write_loops)[1], _copies(channel.read_loops)[1])
                if self.max_copies and copies > self.max_copies:
                    continue  # the DSE's unrolling would lose its parallelism
                self._convert(channel)

    def _convert(self, channel: _Channel) -> None:
        buffer = channel.alloc.results[0]
        elements = _elements(ir.MemRefType(buffer.type))
        depth = min(elements, max(self.min_depth, self._write_latency(channel)))
        stream_t = hlsdf.stream_type(ir.MemRefType(buffer.type).element_type, max(1, depth))
        stream = hlsdf.create_stream(
            hlsdf.stream_element(stream_t),
            hlsdf.stream_depth(stream_t),
            loc=channel.alloc.location,
            ip=ir.InsertionPoint(channel.alloc),
        )
        buffer.replace_all_uses_with(stream)
        channel.alloc.erase()
        for func, arg in (
            (channel.producer, channel.write_arg),
            (channel.consumer, channel.read_arg),
        ):
            arg.set_type(stream_t)
            old = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
            block = func.regions[0].blocks[0]
            set_function_type(func, [a.type for a in block.arguments], list(old.results))
        hlsdf.stream_write(
            channel.write_arg,
            channel.store.operands[0],
            loc=channel.store.location,
            ip=ir.InsertionPoint(channel.store),
        )
        read = hlsdf.stream_read(
            channel.read_arg, loc=channel.load.location, ip=ir.InsertionPoint(channel.load)
        )
        channel.load.results[0].replace_all_uses_with(read)
        _erase_access(channel.store, first_index=2)
        _erase_access(channel.load, first_index=1)

    def _write_latency(self, channel: _Channel) -> int:
        """Cycles from the start of a producer iteration to the end of its write (estimate)."""
        store = channel.store
        scope = store.parent
        clock = self.clock_mhz
        memo: dict[ir.Value, int] = {}

        def ready(value: ir.Value, within: ir.Operation) -> int:
            owner = value.owner
            if isinstance(owner, ir.Block) or not _nested_in(owner.operation, within):
                return 0  # available when the iteration starts
            if value in memo:
                return memo[value]
            memo[value] = 0  # cycle guard
            op = owner.operation
            inputs = max((ready(v, within) for v in op.operands), default=0)
            if op.name in LOAD_OPS:
                if is_top_argument(storage(op.operands[0])):
                    result = inputs + math.ceil(MAXI_READ_LATENCY * clock / REFERENCE_CLOCK_MHZ)
                else:
                    result = inputs + BRAM_READ_LATENCY
            elif op.name == STREAM_READ:
                result = STREAM_LATENCY
            elif op.name in LOOP_OPS:
                index = ir.OpResult(value).result_number
                body = op.regions[0].blocks[0]
                yielded = list(body.operations)[-1].operation.operands[index]
                bounds = constant_bounds(op)
                trips = bounds.trip_count if bounds is not None else 1
                result = inputs + trips * ready(yielded, op)
            else:
                result = inputs + op_latency_for(op, clock)
                if op.regions and len(op.results):
                    index = ir.OpResult(value).result_number
                    for yielded_value in yielded_values(op, index):
                        result = max(result, ready(yielded_value, within))
            memo[value] = result
            return result

        return ready(store.operands[0], scope) + STREAM_LATENCY


@dataclass(eq=False)
class _Channel:
    """A buffer that can become a stream: its alloc, both tasks and both accesses."""

    alloc: ir.Operation
    producer: ir.Operation  # the task functions
    consumer: ir.Operation
    producer_call: ir.Operation
    consumer_call: ir.Operation
    write_arg: ir.Value
    read_arg: ir.Value
    store: ir.Operation
    load: ir.Operation
    write_loops: list[Loop]
    read_loops: list[Loop]


def _callee(call: ir.Operation) -> str:
    return ir.FlatSymbolRefAttr(call.attributes["callee"]).value


def _elements(mem: ir.MemRefType) -> int:
    return math.prod(mem.shape) if mem.rank else 1


def _candidate(
    alloc: ir.Operation,
    top: ir.Operation,
    funcs: dict[str, ir.Operation],
    call_counts: dict[str, int],
) -> _Channel | None:
    """The channel `alloc` would become, or None when a rule of the module doc fails."""
    buffer = alloc.results[0]
    mem = ir.MemRefType(buffer.type)
    if not mem.has_static_shape or not _is_row_major(mem) or _elements(mem) == 0:
        return None
    try:
        hlsdf.stream_type(mem.element_type, 1)
    except TypeError:
        return None
    uses = list(buffer.uses)
    if len(uses) != 2:
        return None
    calls = [use.owner.operation for use in uses]
    if any(c.name != "func.call" or not _same(c.parent, top) for c in calls):
        return None
    if calls[0] == calls[1]:
        return None
    ends = []
    for call, use in zip(calls, uses, strict=True):
        func = funcs.get(_callee(call))
        if func is None or not directives.is_task(func) or call_counts.get(_callee(call)) != 1:
            return None
        if not _is_private(func):
            return None
        ends.append((call, func, func.regions[0].blocks[0].arguments[use.operand_number]))
    if ends[1][0].is_before_in_block(ends[0][0]):
        ends.reverse()
    (p_call, producer, write_arg), (c_call, consumer, read_arg) = ends
    store = _only_access(write_arg, STORE_OPS, operand=1)
    load = _only_access(read_arg, LOAD_OPS, operand=0)
    if store is None or load is None:
        return None
    elements = _elements(mem)
    write_loops = _in_order(store, producer, elements)
    read_loops = _in_order(load, consumer, elements)
    if write_loops is None or read_loops is None:
        return None
    return _Channel(
        alloc,
        producer,
        consumer,
        p_call,
        c_call,
        write_arg,
        read_arg,
        store,
        load,
        write_loops,
        read_loops,
    )


def _is_private(func: ir.Operation) -> bool:
    attrs = func.attributes
    return "sym_visibility" in attrs and ir.StringAttr(attrs["sym_visibility"]).value == "private"


def _is_row_major(mem: ir.MemRefType) -> bool:
    strides, offset = mem.get_strides_and_offset()
    expected = [math.prod(mem.shape[i + 1 :]) for i in range(mem.rank)]
    return offset == 0 and list(strides) == expected


def _only_access(arg: ir.Value, kinds: tuple[str, ...], operand: int) -> ir.Operation | None:
    """The one load (or store) using `arg` as its memref, when that is its only use."""
    uses = list(arg.uses)
    if len(uses) != 1:
        return None
    op = uses[0].owner.operation
    if op.name not in kinds or uses[0].operand_number != operand:
        return None
    return op


def _in_order(op: ir.Operation, func: ir.Operation, elements: int) -> list[Loop] | None:
    """The loops around `op` when it touches elements 0..N-1 once each, in loop order."""
    found = [a for a in accesses(func, loop_forest(func)) if a.op == op]
    if len(found) != 1 or found[0].coefficients is None:
        return None
    access: Access = found[0]
    chain = access.loops
    if not _same(op.parent, chain[-1].op if chain else func):
        return None  # under an if, or nested in a non-loop region
    if chain and not _same(chain[0].op.parent, func):
        return None
    for outer, inner in itertools.pairwise(chain):
        child = only_child(outer)
        if child is None or child.op != inner.op:
            return None
    base = access.constant
    inner_trips = 1
    strides: list[tuple[int, int]] = []  # (stride per trip, trips), innermost first
    for loop in reversed(chain):
        bounds = constant_bounds(loop.op)
        if bounds is None:
            return None
        trips = bounds.trip_count
        coeff = access.coefficients.get(loop.iv, 0)
        base += coeff * bounds.lower
        strides.append((coeff * bounds.step, trips))
        inner_trips *= trips
    if base != 0 or inner_trips != elements:
        return None
    expected = 1
    for stride, trips in strides:
        if trips > 1 and stride != expected:
            return None
        expected *= trips
    return chain


def _same(a: ir.Operation | ir.OpView | None, b: ir.Operation | ir.OpView) -> bool:
    return a is not None and a.operation == b.operation


def _nested_in(op: ir.Operation, container: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None and parent.name != "builtin.module":
        if _same(parent, container):
            return True
        parent = parent.parent
    return False


# -- deadlock ----------------------------------------------------------------------------
def _may_deadlock(top: ir.Operation, funcs: dict[str, ir.Operation], channel: _Channel) -> bool:
    """Whether the consumer could end up waiting (transitively) on the blocked producer.

    Wait arcs between the top's calls: every channel (a value two calls share,
    one of them writing it) makes its reader wait on its writer; a stream also
    makes its writer wait on its reader (full FIFO). With the new stream, the
    producer waits on the consumer, so a path of waits from the consumer back
    to the producer that does not use this channel's own arc is a cycle.
    """
    calls = [op.operation for op in top.regions[0].blocks[0].operations]
    calls = [op for op in calls if op.name == "func.call"]
    effects: list[dict[ir.Value, set[str]]] = []
    for call in calls:
        func = funcs.get(_callee(call))
        found: dict[ir.Value, set[str]] = {}
        for index, operand in enumerate(call.operands):
            if func is None:
                used = {"read", "write"}
            else:
                used = access_kinds(func.regions[0].blocks[0].arguments[index])
            found.setdefault(root_buffer(operand), set()).update(used)
        effects.append(found)
    buffer = channel.alloc.results[0]
    producer = calls.index(channel.producer_call)
    consumer = calls.index(channel.consumer_call)
    arcs: dict[int, set[int]] = {i: set() for i in range(len(calls))}
    for i in range(len(calls)):
        for j in range(i + 1, len(calls)):
            for value, used in effects[i].items():
                later = effects[j].get(value)
                if later is None or "write" not in used | later:
                    continue
                if value == buffer and (i, j) == (producer, consumer):
                    continue  # the channel being converted
                arcs[j].add(i)
                if _is_stream(value):
                    arcs[i].add(j)
    seen = {consumer}
    pending = deque([consumer])
    while pending:
        node = pending.popleft()
        if node == producer:
            return True
        for nxt in arcs[node] - seen:
            seen.add(nxt)
            pending.append(nxt)
    return False


def _is_stream(value: ir.Value) -> bool:
    return hlsdf.is_stream_type(value.type)


# -- rewrite -----------------------------------------------------------------------------
def _erase_access(op: ir.Operation, first_index: int) -> None:
    """Erase a load/store and the index arithmetic that only fed it."""
    pending = list(op.operands)[first_index:]
    op.erase()
    erased: set[ir.Value] = set()  # results of erased ops (an index may be used twice)
    while pending:
        value = pending.pop()
        if value in erased or isinstance(value.owner, ir.Block):
            continue
        producer = value.owner.operation
        if producer.name not in _INDEX_OPS or any(True for r in producer.results for _ in r.uses):
            continue
        pending.extend(producer.operands)
        erased.update(producer.results)
        producer.erase()


def _copies(loops: list[Loop]) -> tuple[Loop | None, int]:
    """The innermost pipelined loop around an access and its copies per pipelined iteration.

    Copies: the loop's own unroll factor times the trip counts of the loops
    inside it (Vitis fully unrolls them), as the QoR model counts stream
    accesses; (None, 1) when no loop around the access is pipelined.
    """
    pipelined = [loop for loop in loops if directives.get_pipeline(loop.op) is not None]
    if not pipelined:
        return None, 1
    loop = pipelined[-1]
    factor = directives.get_unroll(loop.op)
    trips = loop.trip_count or 1
    copies = 1 if factor is None else max(1, trips if factor == 0 else min(factor, trips))
    for inner in loops[loops.index(loop) + 1 :]:
        copies *= inner.trip_count or 1
    return loop, copies
