"""hls-verify-dataflow: reject dataflow regions that are not in canonical form.

UG1399 ("Canonical Body") and UG1448 (214-114) describe the regions Vitis
turns into a predictable dataflow network; anything else is regrouped by the
tool with less predictable performance. Checked in every `hlsdf.dataflow`
function, over its channels (the `memref.alloc`/`alloca` buffers and
`hlsdf.stream_create` FIFOs of the region) and the task calls that use them:
- each channel has at most one producer task (the call that writes it),
- and at most one consumer task (a call that reads it without writing);
- the producer is called before the consumer (no feedback: a consumer that
  comes first would read what the producer writes afterwards);
- no task gets one array through two parameters (same root buffer);
- every channel is local to the region: a mutable global (a static array
  shared across calls) passed to a task is rejected.
And in the kernel top, at every level: no top-level m_axi output is read back
by a load inside a loop (a read-modify-write of off-chip memory with no
burst; hls-buffer-read-back keeps such outputs on chip).
The first violation is one error naming the region, the channel and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.dialects import hlsdf
from llmhls.errors import UnsupportedError
from llmhls.passes import directives
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    function_arg_attrs,
    functions,
    has_body,
    location_label,
    symbol_name,
    top_function,
)
from llmhls.passes.analysis.loops import root_buffer
from llmhls.passes.analysis.memory_uses import access_kinds, read_back_in_loop
from llmhls.passes.base import Pass
from llmhls.passes.registry import register_pass

_CHANNEL_OPS = ("memref.alloc", "memref.alloca", hlsdf.STREAM_CREATE)


@register_pass
@dataclass(frozen=True)
class VerifyDataflow(Pass):
    """Fail with one line on the first non-canonical channel or read-back m_axi output."""

    name = "hls-verify-dataflow"
    summary = "check one producer / one consumer per local channel, no read-back m_axi outputs"

    def run(self, module: ir.Module) -> None:
        with module.context:
            for func in functions(module):
                if has_body(func) and directives.is_dataflow(func):
                    _check_region(module, func)
            _check_outputs(top_function(module))


def _check_region(module: ir.Module, region: ir.Operation) -> None:
    bodies = {symbol_name(f): f for f in functions(module) if has_body(f)}
    where = f"dataflow region '{symbol_name(region)}'"
    calls = [
        op.operation
        for op in region.regions[0].blocks[0].operations
        if op.operation.name == "func.call"
    ]
    uses: dict[ir.Value, list[tuple[str, set[str]]]] = {}  # root -> (task, kinds) in call order
    for call in calls:
        task = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
        callee = bodies.get(task)
        seen: set[ir.Value] = set()
        for index, operand in enumerate(call.operands):
            if not _is_array(operand):
                continue
            root = root_buffer(operand)
            if root in seen:
                raise UnsupportedError(
                    f"{where}: channel '{_name(root)}' is passed twice to task '{task}' "
                    "(give the task one parameter per array)"
                )
            seen.add(root)
            if callee is None:
                kinds = {"read", "write"}
            else:
                kinds = access_kinds(callee.regions[0].blocks[0].arguments[index])
            uses.setdefault(root, []).append((task, kinds))
    for root, users in uses.items():
        owner = root.owner
        if isinstance(owner, ir.Block):
            continue  # a port of the region (m_axi): checked by _check_outputs
        op = owner.operation
        if op.name == "memref.get_global":
            if any("write" in kinds for _, kinds in users):
                raise UnsupportedError(
                    f"{where}: channel '{_name(root)}' is a global (static) array written by "
                    f"task '{_writers(users)[0]}'; channels must be local to the region"
                )
            continue
        if op.name not in _CHANNEL_OPS:
            raise UnsupportedError(
                f"{where}: channel '{_name(root)}' comes from '{op.name}', not a local "
                "array or stream of the region"
            )
        _check_channel(where, _name(root), users)


def _check_channel(where: str, name: str, users: list[tuple[str, set[str]]]) -> None:
    writers = _writers(users)
    readers = [task for task, kinds in users if "write" not in kinds]
    if len(writers) > 1:
        raise UnsupportedError(
            f"{where}: channel '{name}' has several producers ({', '.join(writers)})"
        )
    if len(readers) > 1:
        raise UnsupportedError(
            f"{where}: channel '{name}' has several consumers ({', '.join(readers)}); "
            "duplicate it, one copy per consumer"
        )
    if writers and readers:
        order = [task for task, _ in users]
        if order.index(readers[0]) < order.index(writers[0]):
            raise UnsupportedError(
                f"{where}: channel '{name}' is read by task '{readers[0]}' before its "
                f"producer '{writers[0]}' writes it (feedback)"
            )


def _check_outputs(top: ir.Operation) -> None:
    attrs = function_arg_attrs(top)
    for index, arg in enumerate(top.regions[0].blocks[0].arguments):
        info = attrs[index] if index < len(attrs) else {}
        if info.get("llmhls.role") != "output" or not isinstance(arg.type, ir.MemRefType):
            continue
        load = read_back_in_loop(arg)
        if load is not None:
            inside = load.parent
            while inside.name != "func.func":
                inside = inside.parent
            raise UnsupportedError(
                f"kernel '{symbol_name(top)}': m_axi output '{info.get('llmhls.arg', index)}' "
                f"is read back inside a loop of '{symbol_name(inside)}' "
                "(compute it in an on-chip buffer: hls-buffer-read-back)"
            )


def _writers(users: list[tuple[str, set[str]]]) -> list[str]:
    return [task for task, kinds in users if "write" in kinds]


def _is_array(value: ir.Value) -> bool:
    return isinstance(value.type, ir.MemRefType) or hlsdf.is_stream_type(value.type)


def _name(root: ir.Value) -> str:
    owner = root.owner
    if isinstance(owner, ir.Block):
        return f"arg{ir.BlockArgument(root).arg_number}"
    op = owner.operation
    if op.name == "memref.get_global":
        return ir.FlatSymbolRefAttr(op.attributes["name"]).value
    label = location_label(op.location)
    return c_identifier(label.replace(":", "_")) if label else op.name
