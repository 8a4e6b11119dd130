"""The dataflow view of a kernel: top-level loop nests grouped into tasks, buffers as edges.

Vitis runs the functions called from a `#pragma HLS dataflow` region
concurrently, connected by ping-pong buffers or FIFOs, and needs each buffer
to have a single producer. Grouping rules that keep that and the program's
meaning:
- every op with a region or a side effect (loop nests, stores, calls) is a
  *step*; allocations, constants and views stay in the dataflow region;
- for each buffer, the steps from the first one that touches it before its
  last write, up to its last write, form one task (so one task produces it,
  and no task reads it while another may still overwrite it);
- readers after the last write are consumers in later tasks.
The QoR report (`passes/qor`) draws the resulting task graph with networkx.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch_mlir import ir

from llmhls.errors import UnsupportedError
from llmhls.passes.analysis.ir_utils import describe_place, walk_ops
from llmhls.passes.analysis.loops import LOAD_OPS, STORE_OPS, root_buffer

# Ops that stay in the dataflow region: they allocate, name or reshape storage.
STAY_OPS = {
    "memref.alloc",
    "memref.alloca",
    "memref.get_global",
    "memref.expand_shape",
    "memref.collapse_shape",
    "memref.cast",
    "memref.subview",
    "memref.reinterpret_cast",
    "arith.constant",
    "func.return",
}


# A top-level op's task group (set by hls-medusa-heads): hls-dataflow-tasks keeps the steps of
# one group in one task named after it, and never fuses two groups.
TASK_GROUP_ATTR = "hlsdf.task_group"


@dataclass(eq=False)
class Step:
    """One top-level op with effects and the root buffers it reads and writes."""

    op: ir.Operation
    reads: set[ir.Value] = field(default_factory=set)
    writes: set[ir.Value] = field(default_factory=set)

    @property
    def touches(self) -> set[ir.Value]:
        return self.reads | self.writes

    @property
    def group(self) -> str | None:
        """The step's task group, if a pass gave it one."""
        if TASK_GROUP_ATTR not in self.op.attributes:
            return None
        return ir.StringAttr(self.op.attributes[TASK_GROUP_ATTR]).value


@dataclass(eq=False)
class Task:
    steps: list[Step]

    @property
    def ops(self) -> list[ir.Operation]:
        return [step.op for step in self.steps]

    @property
    def group(self) -> str | None:
        """The one task group among the steps (None: ungrouped); two groups are an error."""
        groups = {s.group for s in self.steps} - {None}
        if len(groups) > 1:
            raise UnsupportedError(
                f"steps of task groups {sorted(groups)} share a buffer at "
                f"{describe_place(self.steps[0].op)}, so they cannot be separate tasks"
            )
        return groups.pop() if groups else None

    @property
    def reads(self) -> set[ir.Value]:
        return set().union(*(s.reads for s in self.steps))

    @property
    def writes(self) -> set[ir.Value]:
        return set().union(*(s.writes for s in self.steps))


def _effects(op: ir.Operation) -> Step:
    step = Step(op)
    for inner in [op, *walk_ops(op)]:
        if inner.name in LOAD_OPS:
            step.reads.add(root_buffer(inner.operands[0]))
        elif inner.name in STORE_OPS:
            step.writes.add(root_buffer(inner.operands[1]))
        elif inner.name in ("func.call", "memref.copy"):
            for operand in inner.operands:
                if isinstance(operand.type, ir.MemRefType):
                    step.reads.add(root_buffer(operand))
                    step.writes.add(root_buffer(operand))
    return step


def steps_of(func: ir.Operation) -> list[Step] | None:
    """The function's steps in order, None when an op can neither stay nor move."""
    steps = []
    for op in func.regions[0].blocks[0].operations:
        op = op.operation
        if op.name in STAY_OPS:
            continue
        if op.name.startswith(("arith.", "math.", "affine.apply")):
            return None  # top-level scalar computation: keep the function whole
        steps.append(_effects(op))
    return steps


def group_tasks(steps: list[Step]) -> list[Task]:
    """Merge steps into tasks so every buffer has one producer and no overwrite races."""
    count = len(steps)
    # span[i] = last index that step i must share a task with (interval merging).
    reach = list(range(count))
    buffers = set().union(*(s.touches for s in steps)) if steps else set()
    for buffer in buffers:
        writers = [i for i, s in enumerate(steps) if buffer in s.writes]
        if not writers:
            continue
        last_write = writers[-1]
        first = min(i for i, s in enumerate(steps) if buffer in s.touches and i <= last_write)
        reach[first] = max(reach[first], last_write)
    tasks: list[Task] = []
    start = 0
    while start < count:
        end = reach[start]
        index = start
        while index <= end:
            end = max(end, reach[index])
            index += 1
        tasks.append(Task(steps[start : end + 1]))
        start = end + 1
    return merge_groups(tasks)


def merge_groups(tasks: list[Task]) -> list[Task]:
    """Adjacent tasks of one task group become one task (ungrouped ones stay as they are)."""
    merged: list[Task] = []
    for task in tasks:
        if merged and task.group is not None and merged[-1].group == task.group:
            merged[-1] = Task(merged[-1].steps + task.steps)
        else:
            merged.append(task)
    return merged
