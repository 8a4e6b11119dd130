"""hls-dataflow-tasks: outline the top function's loop nests into dataflow tasks.

Each task (see `task_graph.group_tasks` for the grouping rules) becomes a
private `func.func` marked `hlsdf.task`; the top function keeps its buffers
and becomes a sequence of `func.call`s marked `hlsdf.dataflow`, which the
emitter prints as `#pragma HLS dataflow` over task functions. Buffers between
tasks become ping-pong (PIPO) channels in Vitis.

Balancing: a dataflow region runs at the pace of its slowest task, and each
task costs a pipeline stage plus ping-pong copies of its channels, so tasks
whose estimated latency (QoR model) is below `fuse-below` x the slowest
task's are fused into their cheaper neighbour, and with `max-tasks` the
cheapest adjacent pairs are fused until the limit holds. Splitting a slow
task further is not attempted: the grouping rules already give the finest
legal tasks.

Canonical form (UG1399 "Canonical Body", UG1448 214-114): every array in the
region is a local, non-static channel with one writing and one reading
task, and no task gets one array through two parameters. So:
- a task receives each root buffer once; the views (reshapes, subviews) it
  reads through are rebuilt inside it, and constants and ROM globals are
  referenced inside it rather than passed in;
- a buffer that only one task touches is that task's own local array, not a
  channel;
- a buffer read by k > 1 later tasks gets k - 1 copies: the producer stores
  each value to every copy next to the original store (separate memories,
  so its II is unchanged, and no extra pass over the data), and each extra
  reader reads its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir
from torch_mlir.dialects import func as func_d
from torch_mlir.dialects import memref

from llmhls.errors import OptionError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    function_arg_attrs,
    location_label,
    replace_uses_inside,
    symbol_name,
    top_function,
    walk_ops,
)
from llmhls.passes.analysis.loops import STORE_OPS, VIEW_OPS, loop_forest, root_buffer
from llmhls.passes.base import Pass
from llmhls.passes.dataflow.task_graph import TASK_GROUP_ATTR, Task, group_tasks, steps_of
from llmhls.passes.qor.estimator import estimate
from llmhls.passes.registry import register_pass
from llmhls.targets import get_target


@register_pass
@dataclass(frozen=True)
class CreateDataflowTasks(Pass):
    """Split the top function into dataflow tasks connected by buffers."""

    name = "hls-dataflow-tasks"
    summary = "outline loop nests into hlsdf.task functions under an hlsdf.dataflow top"
    max_tasks: int = 0  # 0: as many as the grouping rules allow
    fuse_below: float = 0.0  # fuse tasks faster than this share of the slowest one
    target: str = "u280"
    clock_mhz: float = 300.0

    def run(self, module: ir.Module) -> None:
        if self.max_tasks < 0:
            raise OptionError(f"hls-dataflow-tasks max-tasks must be >= 0, got {self.max_tasks}")
        if not 0.0 <= self.fuse_below < 1.0:
            raise OptionError(
                f"hls-dataflow-tasks fuse-below must be in [0, 1), got {self.fuse_below:g}"
            )
        with module.context, ir.Location.unknown():
            top = top_function(module)
            steps = steps_of(top)
            if steps is None:
                return
            tasks = group_tasks(steps)
            if self.max_tasks or self.fuse_below:
                latency = self._step_latencies(module, top)
                tasks = fuse_tasks(tasks, latency, self.fuse_below, self.max_tasks)
            if len(tasks) < 2:
                return
            uses = _buffer_uses(tasks)
            for alloc in _allocs(top):
                _split_readers(alloc, uses.get(alloc.results[0], []))
            names = _buffer_names(top)
            owners = _task_owners(tasks)
            base = symbol_name(top)
            for index, task in enumerate(tasks):
                own = {value for value, users in owners.items() if users == {index}}
                name = f"{base}_task{index}" + (f"_{task.group}" if task.group else "")
                _outline(module, top, task, name, names, own)
                for op in task.ops:
                    if TASK_GROUP_ATTR in op.attributes:
                        del op.attributes[TASK_GROUP_ATTR]
                _erase_dead_views(top)
            directives.set_dataflow(top)

    def _step_latencies(self, module: ir.Module, top: ir.Operation) -> dict[ir.Operation, int]:
        """Estimated latency of each top-level loop nest (the QoR model's per-nest figure)."""
        report = estimate(module, get_target(self.target), self.clock_mhz, top=symbol_name(top))
        forest = loop_forest(top)
        if len(forest) != len(report.loops):
            return {}
        return {
            nest.op: entry.latency * entry.entries
            for nest, entry in zip(forest, report.loops, strict=True)
        }


def fuse_tasks(
    tasks: list[Task], latency: dict[ir.Operation, int], fuse_below: float, max_tasks: int
) -> list[Task]:
    """Fuse the cheapest task into its cheaper neighbour while it is tiny or there are too many."""
    tasks = list(tasks)

    def cost(task: Task) -> int:
        return sum(latency.get(op, 1) for op in task.ops)

    def may_fuse(first: Task, second: Task) -> bool:
        """Two task groups (parallel by construction, e.g. Medusa heads) never fuse."""
        return first.group is None or second.group is None or first.group == second.group

    while len(tasks) > 1:
        costs = [cost(t) for t in tasks]
        too_many = bool(max_tasks) and len(tasks) > max_tasks
        fusion = None
        for index in sorted(range(len(tasks)), key=lambda i: (costs[i], i)):
            if not too_many and costs[index] >= fuse_below * max(costs):
                break
            neighbours = [i for i in (index - 1, index + 1) if 0 <= i < len(tasks)]
            neighbours = [i for i in neighbours if may_fuse(tasks[index], tasks[i])]
            if neighbours:
                fusion = (index, min(neighbours, key=lambda i: (costs[i], i)))
                break
        if fusion is None:
            break
        first, second = sorted(fusion)
        tasks[first : second + 1] = [Task(tasks[first].steps + tasks[second].steps)]
    return tasks


def _buffer_names(top: ir.Operation) -> dict[ir.Value, str]:
    """C-friendly names for the values a task may capture (used for its parameters)."""
    names: dict[ir.Value, str] = {}
    attrs = function_arg_attrs(top)
    for index, arg in enumerate(top.regions[0].blocks[0].arguments):
        names[arg] = (
            attrs[index].get("llmhls.arg", f"arg{index}") if index < len(attrs) else f"arg{index}"
        )
    for op in top.regions[0].blocks[0].operations:
        op = op.operation
        if op.results and isinstance(op.results[0].type, ir.MemRefType):
            label = location_label(op.location).replace(":", "_")
            names[op.results[0]] = c_identifier(label or "buf")
    return names


def _captured(task: Task) -> list[ir.Value]:
    """Values used in the task but defined outside it, in first-use order."""
    inside: set[ir.Operation] = set()
    for op in task.ops:
        inside.add(op)
        inside.update(walk_ops(op))
    defined: set[ir.Value] = set()
    for op in inside:
        defined.update(op.results)
        for region in op.regions:
            for block in region.blocks:
                defined.update(block.arguments)
    captured: list[ir.Value] = []
    seen: set[ir.Value] = set()
    for op in task.ops:
        for inner in [op, *walk_ops(op)]:
            for operand in inner.operands:
                if operand not in defined and operand not in seen:
                    seen.add(operand)
                    captured.append(operand)
    return captured


# Ops a task rebuilds inside itself instead of taking them as parameters.
_REBUILT_OPS = ("arith.constant", "memref.get_global", *VIEW_OPS)
_ALLOC_OPS = ("memref.alloc", "memref.alloca")


def _allocs(top: ir.Operation) -> list[ir.Operation]:
    return [
        op.operation
        for op in top.regions[0].blocks[0].operations
        if op.operation.name in _ALLOC_OPS
    ]


def _task_owners(tasks: list[Task]) -> dict[ir.Value, set[int]]:
    """For each root buffer, the indices of the tasks that use it."""
    owners: dict[ir.Value, set[int]] = {}
    for index, task in enumerate(tasks):
        for value in _captured(task):
            if isinstance(value.type, ir.MemRefType):
                owners.setdefault(root_buffer(value), set()).add(index)
    return owners


def _ops_of(task: Task) -> list[ir.Operation]:
    return [inner for op in task.ops for inner in (op, *walk_ops(op))]


@dataclass(eq=False)
class _Use:
    """One memref operand of an op inside a task (views excluded: their users count)."""

    task: int
    op: ir.Operation
    operand: int
    writes: bool  # a store to it, or a call/copy (which cannot be mirrored)


def _buffer_uses(tasks: list[Task]) -> dict[ir.Value, list[_Use]]:
    """Every use of every root buffer inside the tasks, in task order (one walk)."""
    uses: dict[ir.Value, list[_Use]] = {}
    for number, task in enumerate(tasks):
        for op in _ops_of(task):
            if op.name in VIEW_OPS:
                continue
            for index, value in enumerate(op.operands):
                if not isinstance(value.type, ir.MemRefType):
                    continue
                writes = (op.name in STORE_OPS and index == 1) or op.name in (
                    "func.call",
                    "memref.copy",
                )
                uses.setdefault(root_buffer(value), []).append(_Use(number, op, index, writes))
    return uses


def _split_readers(alloc: ir.Operation, uses: list[_Use]) -> None:
    """Give every reader task of `alloc` after the first its own copy, written by the producer."""
    buffer = alloc.results[0]
    writers = {use.task for use in uses if use.writes}
    if len(writers) != 1:
        return  # unwritten, or several writers: left to hls-verify-dataflow to report
    readers = sorted({use.task for use in uses} - writers)
    if len(readers) < 2:
        return
    stores = [use.op for use in uses if use.writes]
    if any(op.name not in STORE_OPS for op in stores):
        return  # written through a call: cannot be mirrored
    label = location_label(alloc.location) or "buf"
    for number, reader in enumerate(readers[1:], start=1):
        copy = _copy_alloc(alloc, f"{label}_copy{number}")
        views: dict[ir.Value, ir.Value] = {}
        for store in stores:
            mirror = store.clone(ip=ir.InsertionPoint(store))
            mirror.operands[1] = _view_on(store.operands[1], buffer, copy, views)
        for use in uses:
            if use.task == reader:
                value = use.op.operands[use.operand]
                use.op.operands[use.operand] = _view_on(value, buffer, copy, views)


def _copy_alloc(alloc: ir.Operation, label: str) -> ir.Value:
    """A new buffer like `alloc` (same type and array directives), named `label`."""
    with ir.Location.name(label, childLoc=alloc.location):
        copy = memref.AllocOp(alloc.results[0].type, [], [], ip=ir.InsertionPoint(alloc))
    for key in alloc.attributes:
        copy.operation.attributes[key] = alloc.attributes[key]
    return copy.result


def _view_on(
    value: ir.Value, buffer: ir.Value, copy: ir.Value, views: dict[ir.Value, ir.Value]
) -> ir.Value:
    """`value` (the buffer or a chain of views of it) rebuilt on `copy`."""
    if value == buffer:
        return copy
    if value not in views:
        op = value.owner.operation
        source = _view_on(op.operands[0], buffer, copy, views)
        clone = op.clone(ip=ir.InsertionPoint(op))
        clone.operands[0] = source
        views[value] = clone.results[ir.OpResult(value).result_number]
    return views[value]


def _erase_dead_views(top: ir.Operation) -> None:
    """Views (and constants) left in the region without a user since their tasks moved out."""
    ops = [op.operation for op in top.regions[0].blocks[0].operations]
    for op in reversed(ops):
        if op.name in _REBUILT_OPS and not any(True for r in op.results for _ in r.uses):
            op.erase()


def _outline(
    module: ir.Module,
    top: ir.Operation,
    task: Task,
    name: str,
    names: dict[ir.Value, str],
    own: set[ir.Value],
) -> None:
    """Move `task` into a new function; buffers in `own` (used by no other task) move with it."""
    params: list[ir.Value] = []
    rebuilt: list[ir.Operation] = []  # operands before users
    local: list[ir.Operation] = []

    def visit(value: ir.Value) -> None:
        owner = value.owner
        if not isinstance(owner, ir.Block):
            op = owner.operation
            if op.name in _REBUILT_OPS:
                if op not in rebuilt:
                    for operand in op.operands:
                        visit(operand)
                    rebuilt.append(op)
                return
            if op.name in _ALLOC_OPS and value in own:
                if op not in local:
                    local.append(op)
                return
        if value not in params:
            params.append(value)

    for value in _captured(task):
        visit(value)
    label = location_label(task.ops[0].location).replace(":", "_")
    func_name = c_identifier(f"{name}_{label}") if label else name
    func_op = func_d.FuncOp(
        func_name,
        ([v.type for v in params], []),
        ip=ir.InsertionPoint(top),
        loc=task.ops[0].location,
    )
    func_op.attributes["sym_visibility"] = ir.StringAttr.get("private")
    used: dict[str, int] = {}
    arg_attrs = []
    for value in params:
        base = names.get(value, "arg")
        count = used.get(base, 0)
        used[base] = count + 1
        arg_name = base if count == 0 else f"{base}_{count}"
        arg_attrs.append(ir.DictAttr.get({"llmhls.arg": ir.StringAttr.get(arg_name)}))
    func_op.attributes["arg_attrs"] = ir.ArrayAttr.get(arg_attrs)
    directives.set_task(func_op.operation)
    entry = func_op.add_entry_block()
    ret = func_d.ReturnOp([], ip=ir.InsertionPoint(entry))
    # The call takes the place of the task's last op: every buffer the task uses is
    # defined by then.
    func_d.CallOp(
        [], ir.FlatSymbolRefAttr.get(func_name), params, ip=ir.InsertionPoint(task.ops[-1])
    )
    for op in local:
        op.move_before(ret.operation)
    clones = [(op, op.clone(ip=ir.InsertionPoint(ret))) for op in rebuilt]
    for op in task.ops:
        op.move_before(ret.operation)
    for value, arg in zip(params, entry.arguments, strict=True):
        replace_uses_inside(value, arg, func_op.operation)
    for op, clone in clones:
        for old, new in zip(op.results, clone.results, strict=True):
            replace_uses_inside(old, new, func_op.operation)
