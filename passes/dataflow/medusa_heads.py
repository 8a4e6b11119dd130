"""hls-medusa-heads: the K Medusa heads become K parallel dataflow tasks.

Medusa head k maps the last hidden state h to h + SiLU(W_k h + b_k); every head
reads the same h and nothing another head computes, so in hardware the K
heads can run side by side. Bufferization does not see that: it gives several
heads the same scratch buffer (a SiLU temporary, an accumulator), and
hls-dataflow-tasks, which needs one producer per buffer, then puts all the
heads into one task that runs them one after another.

The pass finds the heads by their weights: top-function arguments named
`medusa.{k}.weight` / `medusa.{k}.bias` (any prefix; `medusa.blocks.{k}.…`
too, as a `MedusaHeads` module attribute named `medusa` exports them). On the
top function's loop nests (the steps of `task_graph`), in program order:

- a nest that reads head k's weights, or buffers head k's nests wrote last,
  is head k's; a nest that reads two heads' buffers, or writes a buffer seen
  through a view (a slice of the stack of the heads' results that the shared
  LM head reads), belongs to none; a nest whose every written buffer
  only head k's nests use (an accumulator's zero fill) is head k's;
- a buffer that steps of two heads touch and a head writes (bufferization
  reuses dead scratch buffers across heads) is split by live range, each
  starting at a nest that writes it without reading it: a later range takes
  a fresh allocation; within one range, the nests from a head's first write
  on take one, and when that write also reads the buffer (an accumulator
  starting from a zero fill), the fill is cloned just before it. A fill is
  first moved next to its users, so a head's fill sits among its own nests;
- every nest of head k gets `hlsdf.task_group = "medusa_head_k"`, which
  hls-dataflow-tasks keeps as one task of that name and never fuses with
  another group.

The hidden state is then read by K tasks: hls-dataflow-tasks gives each
extra reader its own copy, written by the one task that loads h (one
broadcast), and hls-stream-channels turns the copies into FIFOs where the
access order allows. A function without Medusa head weights is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import UnsupportedError
from llmhls.passes.analysis.ir_utils import (
    as_operation,
    describe_place,
    function_arg_attrs,
    replace_uses_inside,
    top_function,
)
from llmhls.passes.analysis.loops import VIEW_OPS
from llmhls.passes.base import Pass
from llmhls.passes.dataflow.task_graph import TASK_GROUP_ATTR, Step, steps_of
from llmhls.passes.registry import register_pass

NAME = "hls-medusa-heads"
MAX_ROUNDS = 64  # buffers split per function at most (each round splits one)
HEAD_WEIGHT = re.compile(r"(?:^|\.)medusa\.(?:blocks\.)?(\d+)\.(?:weight|bias)$")


def head_group(k: int) -> str:
    """The task-group name of head k (and the suffix of its task function)."""
    return f"medusa_head_{k}"


@register_pass
@dataclass(frozen=True)
class MedusaHeads(Pass):
    """Give each Medusa head its own scratch buffers and one dataflow task group."""

    name = NAME
    summary = "Medusa heads (medusa.{k}.weight) become parallel task groups, one broadcast of h"

    def run(self, module: ir.Module) -> None:
        with module.context, ir.Location.unknown():
            top = top_function(module)
            weights = _head_weights(top)
            if not weights:
                return
            for _ in range(MAX_ROUNDS):
                _fills_next_to_their_users(top)
                steps = steps_of(top)
                if steps is None:
                    raise UnsupportedError(
                        f"{NAME}: '@{ir.StringAttr(top.attributes['sym_name']).value}' "
                        "computes scalars outside loop nests, so its heads cannot be split"
                    )
                heads = _assign_heads(steps, weights)
                if not _split_one_shared_buffer(top, steps, heads):
                    break
            for step, k in heads.items():
                step.op.attributes[TASK_GROUP_ATTR] = ir.StringAttr.get(head_group(k))


def _head_weights(top: ir.Operation) -> dict[ir.Value, int]:
    """Each Medusa head weight argument of the top function, with its head index."""
    arguments = top.regions[0].blocks[0].arguments
    weights = {}
    for position, attrs in enumerate(function_arg_attrs(top)):
        match = HEAD_WEIGHT.search(attrs.get("llmhls.name", ""))
        if match and position < len(arguments):
            weights[arguments[position]] = int(match.group(1))
    return weights


def _assign_heads(steps: list[Step], weights: dict[ir.Value, int]) -> dict[Step, int]:
    """The head of each nest that belongs to one (see the module docstring)."""
    owner: dict[ir.Value, int] = dict(weights)  # buffer -> the head that wrote it last
    heads: dict[Step, int] = {}
    for step in steps:
        read = {owner[b] for b in step.reads if b in owner}
        if len(read) == 1 and not any(_viewed(b) for b in step.writes):
            (k,) = read
            heads[step] = k
            owner.update(dict.fromkeys(step.writes, k))  # a scratch buffer changes hands
        else:
            for buffer in step.writes:  # a stack of the heads' results: nobody's
                owner.pop(buffer, None)
    for step in reversed(steps):  # zero fills and copies that only feed one head
        if step in heads or not step.writes:
            continue
        users = {
            heads.get(other) for other in steps if other is not step and other.touches & step.writes
        }
        if len(users) == 1 and None not in users:
            heads[step] = users.pop()
    return heads


def _viewed(buffer: ir.Value) -> bool:
    """Whether `buffer` is also seen through a view (a slice of a stack, a reshape)."""
    return any(as_operation(use.owner).name in VIEW_OPS for use in buffer.uses)


def _split_one_shared_buffer(top: ir.Operation, steps: list[Step], heads: dict[Step, int]) -> bool:
    """Give part of one shared buffer's uses a fresh allocation; False when none is shared.

    A buffer is shared when a head writes it and steps of another group touch it too
    (bufferization reuses dead buffers across heads). Its uses split into live ranges,
    each starting at a nest that writes it without reading it: a later range takes a
    fresh allocation whole. Within one range, the steps from a head's first write on take
    one; when that write also reads the buffer (an accumulator that starts from the
    range's zero fill), the fill is cloned just before it.
    """
    block_ops = [op.operation for op in top.regions[0].blocks[0].operations]
    for alloc in (op for op in block_ops if op.name in ("memref.alloc", "memref.alloca")):
        buffer = alloc.results[0]
        touching = [s for s in steps if buffer in s.touches]
        head_writes = [s for s in touching if s in heads and buffer in s.writes]
        if not head_writes or len({heads[s] for s in touching if s in heads}) < 2:
            continue
        if _viewed(buffer):
            raise UnsupportedError(
                f"{NAME}: '{alloc.name}' at {describe_place(alloc)}: heads share a buffer "
                "seen through a view, which cannot be split per head"
            )
        ranges: list[list[Step]] = []
        for step in touching:
            if not ranges or (buffer in step.writes and buffer not in step.reads):
                ranges.append([step])
            else:
                ranges[-1].append(step)
        if len(ranges) > 1:
            moved = [step.op for step in ranges[-1]]
        else:
            first = next(s for s in head_writes if _other_head_before(s, touching, heads))
            moved = [step.op for step in touching[touching.index(first) :]]
            if buffer in first.reads:
                moved.insert(0, _cloned_fill(touching[0], first, buffer, heads))
        copy = alloc.clone(ip=ir.InsertionPoint(alloc))
        for op in moved:  # the next round's steps see the new buffer
            replace_uses_inside(buffer, copy.results[0], op)
        return True
    return False


def _other_head_before(step: Step, touching: list[Step], heads: dict[Step, int]) -> bool:
    """Whether a step of another head touches the buffer before `step` does."""
    earlier = touching[: touching.index(step)]
    return any(other in heads and heads[other] != heads[step] for other in earlier)


def _fills_next_to_their_users(top: ir.Operation) -> None:
    """Move each nest that only writes buffers (a fill) to just before their next user.

    Nothing between touches those buffers, so the meaning stays; a head's zero fill
    then sits inside the head's run of nests, not before other heads' nests.
    """
    steps = steps_of(top) or []
    for index, step in enumerate(steps):
        if step.reads or not step.writes:
            continue
        user = next((s for s in steps[index + 1 :] if s.touches & step.writes), None)
        if user is not None:
            step.op.move_before(user.op)


def _cloned_fill(fill: Step, first: Step, buffer: ir.Value, heads: dict[Step, int]) -> ir.Operation:
    """A copy of `fill` (a nest that only writes `buffer`) just before `first`."""
    if fill in heads or fill.writes != {buffer} or fill.reads:
        raise UnsupportedError(
            f"{NAME}: '{first.op.name}' at {describe_place(first.op)}: a head updates a "
            "buffer other steps read, and no plain fill wrote it first"
        )
    return fill.op.clone(ip=ir.InsertionPoint(first.op))
