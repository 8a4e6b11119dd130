"""Small IR helpers shared by llmhls passes and the emitter."""

from __future__ import annotations

import re
from collections.abc import Iterator

from torch_mlir import ir

from llmhls.errors import LlmhlsError
from llmhls.names import c_identifier

__all__ = ["c_identifier"]  # re-exported: passes import it from here


def functions(module: ir.Module) -> list[ir.Operation]:
    return [op.operation for op in module.body.operations if op.operation.name == "func.func"]


def symbol_name(op: ir.Operation) -> str:
    return ir.StringAttr(op.attributes["sym_name"]).value


def has_body(func: ir.Operation) -> bool:
    return len(func.regions[0].blocks) > 0


def is_inside(op: ir.Operation, container: ir.Operation) -> bool:
    """Whether `op` is `container` or nested (at any depth) in one of its regions."""
    current: ir.Operation | None = op.operation
    while current is not None:
        if current == container:
            return True
        parent = current.parent
        current = parent.operation if parent is not None else None
    return False


def as_operation(owner: ir.Operation | ir.OpView) -> ir.Operation:
    """The generic operation behind a use's owner (an OpView or an Operation)."""
    return owner.operation if isinstance(owner, ir.OpView) else owner


def replace_uses_inside(value: ir.Value, new: ir.Value, container: ir.Operation) -> None:
    """Every use of `value` inside `container` (or by it) reads `new` instead."""
    outside = [
        as_operation(use.owner)
        for use in value.uses
        if not is_inside(as_operation(use.owner), container)
    ]
    value.replace_all_uses_except(new, outside)


def walk_ops(op: ir.Operation) -> Iterator[ir.Operation]:
    """Pre-order walk over every nested operation (a list, so callers may erase)."""
    found: list[ir.Operation] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        found.append(inner)
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    return iter(found[1:])


def location_label_text(text: str) -> str:
    """The `module:op` name in a printed location ("" when there is none)."""
    # A name location prints as loc("name") or loc("name"(child)); a file
    # location as loc("file":line:col), which is not a label.
    match = re.search(r'loc\("([^"]*)"(?!:\d)', text)
    return match.group(1) if match else ""


def fresh_name(base: str, used: set[str]) -> str:
    """`base` as a C identifier, `_1`, `_2`... appended until it is not in `used` (then added).

    The emitter names buffers this way and the QoR model repeats it, so both print the
    same names for the same buffers.
    """
    base = c_identifier(base) or "t"
    name, n = base, 0
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


def loop_label_base(op: ir.Operation) -> str:
    """`L_<module>_<op>` of a loop, from its PyTorch location (`L_loop` without one).

    The emitter numbers the loops of each base in emission order (`L_mlp_fc1_mm_0`, ...)
    and the QoR model counts them the same way, so reports name the loops the C++ shows.
    """
    return label_loop_base(location_label(op.location))


def label_loop_base(label: str) -> str:
    """`L_<module>_<op>` for a `module:op` label, so a PyTorch node can be matched to loops."""
    module_path, _, aten_op = label.partition(":")
    parts = [p for p in (c_identifier(module_path) if module_path else "", aten_op) if p]
    return c_identifier("L_" + "_".join(parts)) if parts else "L_loop"


def location_label(loc: ir.Location) -> str:
    """The `module:op` name llmhls put on an op at import ("" when there is none)."""
    return location_label_text(str(loc))


def describe_label(label: str) -> str:
    """`ln_1:native_layer_norm` → `aten.native_layer_norm in module 'ln_1'`."""
    if ":" not in label:
        return f"'{label}'" if label else "an unknown place in the model"
    module_path, _, aten_op = label.partition(":")
    return f"aten.{aten_op} in module '{module_path or '<top>'}'"


def describe_location(op: ir.Operation) -> str:
    """Where an op came from, for error messages: `aten.gelu in module 'mlp.act'`."""
    return describe_label(location_label(op.location))


def describe_place(op: ir.Operation) -> str:
    """Where `op` is, for one-line errors: its PyTorch op and module, else its line in the file."""
    label = location_label(op.location)
    if label:
        return describe_label(label)
    match = re.search(r'loc\("[^"]*":(\d+):(\d+)\)', str(op.location))
    return f"line {match.group(1)}" if match else "an unknown place"


def yielded_values(op: ir.Operation, result_index: int) -> list[ir.Value]:
    """What each region of `op` (scf.if, scf.for, ...) yields for its result `result_index`."""
    values = []
    for region in op.regions:
        for block in region.blocks:
            terminator = list(block.operations)[-1].operation
            if result_index < len(terminator.operands):
                values.append(terminator.operands[result_index])
    return values


def function_arg_attrs(func: ir.Operation) -> list[dict[str, str]]:
    """The `llmhls.*` string attributes of each argument of `func`."""
    if "arg_attrs" not in func.attributes:
        return [{} for _ in func.regions[0].blocks[0].arguments]
    result = []
    for attr in ir.ArrayAttr(func.attributes["arg_attrs"]):
        entries = {}
        for named in ir.DictAttr(attr):
            if isinstance(named.attr, ir.StringAttr):
                entries[named.name] = ir.StringAttr(named.attr).value
        result.append(entries)
    return result


BUNDLE_ATTR = "llmhls.bundle"  # m_axi bundle of a top-function argument (hls-weight-banks)
ROLE_BUNDLES = {"output": "gmem_out", "weight": "gmem_w"}  # default per role; else gmem_in


def maxi_bundle(arg_attrs: dict[str, str]) -> str:
    """The m_axi bundle of an argument: its `llmhls.bundle`, else its role's default."""
    return arg_attrs.get(BUNDLE_ATTR) or ROLE_BUNDLES.get(
        arg_attrs.get("llmhls.role", "input"), "gmem_in"
    )


def set_function_type(func: ir.Operation, inputs: list[ir.Type], results: list[ir.Type]) -> None:
    func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


def top_function(module: ir.Module) -> ir.Operation:
    """The public function with a body (the kernel top)."""
    candidates = [
        f
        for f in functions(module)
        if has_body(f)
        and (
            "sym_visibility" not in f.attributes
            or ir.StringAttr(f.attributes["sym_visibility"]).value == "public"
        )
    ]
    if len(candidates) != 1:
        names = ", ".join(symbol_name(f) for f in candidates) or "none"
        raise LlmhlsError(f"expected exactly one public function with a body, found: {names}")
    return candidates[0]
