"""Model frontend: turn a user's model file into a checked torch.export program.

llmhls compiles `torch.export.ExportedProgram`s with static shapes and tensor
inputs/outputs. This module loads one (a `.pt2` archive, or a trusted Python
file with `build_model()`), tells the user in one line what is wrong with any
other kind of file (pickled modules, state dicts, TorchScript, ...) without
executing its pickles, and provides example inputs for tracing and checking.

Generated example inputs (when the program holds none) use
`torch.Generator().manual_seed(seed)`, one draw per input in signature order:

* floating inputs: standard normal values;
* integer inputs: uniform in `[0, bound)`, where `bound` is the smallest size
  the input is used to index: `num_embeddings` of an `aten.embedding` (also
  through view/reshape/slice/cast ops), the indexed dimension of
  `index_select`/`gather`/`index`, or `num_classes` of `one_hot`. Inputs used
  for none of these get `bound = 2` (values 0/1: valid masks, flags and
  indices into any dimension of size >= 2);
* bool inputs: fair coin flips.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import logging
import pickletools
import re
import struct
import sys
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind, TensorArgument
from torch.utils import _pytree as pytree

from llmhls.errors import InputError, UnsupportedError
from llmhls.names import CPP_KEYWORDS

__all__ = [
    "DEFAULT_INT_BOUND",
    "LoadedModel",
    "export_module",
    "generate_example_inputs",
    "load_model",
    "load_program",
    "sanitize_name",
]

_EXPORT_HINT = (
    "export it with torch.export.save(torch.export.export(model, example_inputs), 'model.pt2')"
)
_NOT_A_MODEL = "not a PyTorch model file (expected a torch.export .pt2 archive)"

# Integer inputs that index nothing llmhls can see get values in [0, 2).
DEFAULT_INT_BOUND = 2


_module_counter = itertools.count()


@dataclass
class LoadedModel:
    """A user model as llmhls received it: the exported program plus inputs to run it."""

    name: str  # C-identifier-safe model name
    program: ExportedProgram  # as exported, not yet decomposed
    example_inputs: tuple[torch.Tensor, ...]  # user inputs in signature order
    input_names: list[str]  # user input placeholder names, in order
    source: Path  # the model file, or `<name>` for an in-memory module

    def call_args(
        self, inputs: tuple[torch.Tensor, ...] | None = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Regroup flat inputs into the (args, kwargs) the original forward() takes.

        Needed because programs exported with keyword or nested inputs cannot be
        called with the flat tensor list llmhls works with.
        """
        flat = list(self.example_inputs if inputs is None else inputs)
        if len(flat) != len(self.input_names):
            raise InputError(
                f"model '{self.name}' takes {len(self.input_names)} inputs "
                f"({', '.join(self.input_names)}), got {len(flat)}"
            )
        in_spec = self.program.call_spec.in_spec
        if in_spec is None:
            return tuple(flat), {}
        args, kwargs = pytree.tree_unflatten(flat, in_spec)
        return tuple(args), dict(kwargs)

    def run(self, inputs: tuple[torch.Tensor, ...] | None = None) -> tuple[torch.Tensor, ...]:
        """Reference outputs from PyTorch, flattened in graph output order."""
        args, kwargs = self.call_args(inputs)
        with torch.no_grad():
            out = self.program.module()(*args, **kwargs)
        return tuple(pytree.tree_leaves(out))


def sanitize_name(text: str) -> str:
    """A C/C++ identifier derived from `text` (file stem or user name) for generated code."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if not name or not re.match(r"[A-Za-z_]", name[0]):
        name = "model_" + name
    if name in CPP_KEYWORDS:
        name += "_model"
    return name


def _first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line (or sentence, if long) of an exception message, with its type."""
    for line in str(exc).splitlines():
        text = line.strip()
        if text:
            if len(text) > limit and ". " in text:
                text = text.split(". ", 1)[0] + "."
            return f"{type(exc).__name__}: {text}"
    return type(exc).__name__


# --------------------------------------------------------------------------- validation


def _prefix(label: str | None) -> str:
    """`'file.pt2': ` in front of messages about a model loaded from a file."""
    return f"{label}: " if label else ""


def _user_input_nodes(program: ExportedProgram, label: str | None = None) -> list[torch.fx.Node]:
    """Placeholder nodes of the user inputs, in signature order; rejects non-tensor ones."""
    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    nodes = []
    for spec in program.graph_signature.input_specs:
        if spec.kind != InputKind.USER_INPUT:
            continue
        if not isinstance(spec.arg, TensorArgument):
            value = getattr(spec.arg, "value", None)
            raise InputError(
                f"{_prefix(label)}model input '{spec.arg.name}' is not a tensor "
                f"({type(value).__name__} {value!r}): llmhls compiles tensor inputs only; "
                "pass it as a tensor or fix it as a constant inside the model before export"
            )
        nodes.append(placeholders[spec.arg.name])
    return nodes


def _static_shape(node: torch.fx.Node, label: str | None = None) -> tuple[list[int], torch.dtype]:
    """Shape and dtype of a user input; InputError when missing or symbolic."""
    val = node.meta.get("val")
    if not isinstance(val, torch.Tensor):
        raise InputError(
            f"{_prefix(label)}model input '{node.name}' has no recorded tensor shape/dtype"
        )
    shape = []
    for dim in val.shape:
        if not isinstance(dim, int):
            raise InputError(
                f"{_prefix(label)}model input '{node.name}' has a dynamic shape "
                f"{tuple(val.shape)}: llmhls needs static shapes (export without dynamic_shapes)"
            )
        shape.append(dim)
    return shape, val.dtype


def _check_program(program: ExportedProgram, label: str) -> list[str]:
    """Check the program fits llmhls (tensor I/O, static shapes); returns input names."""
    nodes = _user_input_nodes(program, label)
    for node in nodes:
        _static_shape(node, label)
    user_outputs = [
        s for s in program.graph_signature.output_specs if s.kind == OutputKind.USER_OUTPUT
    ]
    if not user_outputs:
        raise InputError(f"{label}: the model returns no tensors, so there is nothing to compile")
    for index, spec in enumerate(user_outputs):
        if not isinstance(spec.arg, TensorArgument):
            value = getattr(spec.arg, "value", None)
            raise InputError(
                f"{label}: model output #{index} is not a tensor ({type(value).__name__} "
                f"{value!r}): llmhls needs forward() to return only tensors"
            )
    return [n.name for n in nodes]


# --------------------------------------------------------------------------- example inputs

# Ops whose output holds the same integer values as their first argument (possibly
# rearranged), so an index bound found past them applies to the input itself.
_VALUE_PRESERVING = {
    "aten::view",
    "aten::reshape",
    "aten::_unsafe_view",
    "aten::unsqueeze",
    "aten::squeeze",
    "aten::flatten",
    "aten::expand",
    "aten::permute",
    "aten::transpose",
    "aten::t",
    "aten::contiguous",
    "aten::clone",
    "aten::slice",
    "aten::select",
    "aten::alias",
    "aten::to",
    "aten::_to_copy",
}


def _op_name(node: torch.fx.Node) -> str | None:
    """`aten::embedding`-style name of a call_function node's op, if it is an OpOverload."""
    target = node.target
    if node.op != "call_function" or not isinstance(target, torch._ops.OpOverload):
        return None
    return target._schema.name


def _dim_size(node: Any, dim: Any) -> int | None:
    """Static size of `node`'s tensor value along `dim`, when known."""
    if not isinstance(node, torch.fx.Node) or not isinstance(dim, int):
        return None
    val = node.meta.get("val")
    if not isinstance(val, torch.Tensor) or not -val.dim() <= dim < val.dim():
        return None
    size = val.shape[dim]
    return size if isinstance(size, int) else None


def _index_bound(node: torch.fx.Node) -> int | None:
    """Smallest size that the values of `node` index into, following value-preserving ops."""
    bounds: list[int] = []
    seen: set[torch.fx.Node] = set()
    todo = [node]
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        for user in cur.users:
            op = _op_name(user)
            args = user.args
            bound = None
            if op == "aten::embedding" and len(args) > 1 and args[1] is cur:
                bound = _dim_size(args[0], 0)
            elif op in ("aten::index_select", "aten::gather") and len(args) > 2 and args[2] is cur:
                bound = _dim_size(args[0], args[1])
            elif op == "aten::index" and len(args) > 1 and isinstance(args[1], (list, tuple)):
                for position, index in enumerate(args[1]):
                    if index is cur:
                        bound = _dim_size(args[0], position)
            elif op == "aten::one_hot" and args and args[0] is cur:
                classes = args[1] if len(args) > 1 else user.kwargs.get("num_classes", -1)
                bound = classes if isinstance(classes, int) and classes > 0 else None
            elif op in _VALUE_PRESERVING and args and args[0] is cur:
                todo.append(user)
            if bound is not None and bound > 0:
                bounds.append(bound)
    return min(bounds) if bounds else None


def generate_example_inputs(program: ExportedProgram, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Deterministic random user inputs matching the program's static shapes and dtypes.

    Used when an archive carries no example inputs; the value rules are in the
    module docstring (integer inputs stay within the table they index).
    """
    gen = torch.Generator().manual_seed(seed)
    inputs = []
    for node in _user_input_nodes(program):
        shape, dtype = _static_shape(node)
        if dtype == torch.bool:
            inputs.append(torch.randint(0, 2, shape, generator=gen, dtype=torch.int64).bool())
        elif dtype.is_complex:
            inputs.append(torch.randn(shape, generator=gen, dtype=dtype))
        elif dtype.is_floating_point:
            inputs.append(torch.randn(shape, generator=gen, dtype=torch.float32).to(dtype))
        elif dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64):
            bound = _index_bound(node) or DEFAULT_INT_BOUND
            bound = min(bound, torch.iinfo(dtype).max + 1)
            values = torch.randint(0, bound, shape, generator=gen, dtype=torch.int64)
            inputs.append(values.to(dtype))
        else:
            raise UnsupportedError(
                f"model input '{node.name}' has dtype {dtype}, for which llmhls cannot make "
                "example inputs"
            )
    return tuple(inputs)


def _stored_example_inputs(program: ExportedProgram) -> tuple[torch.Tensor, ...] | None:
    """The archive's own example inputs in signature order, if they match the inputs."""
    stored = program.example_inputs
    if stored is None:
        return None
    args, kwargs = stored
    in_spec = program.call_spec.in_spec
    if in_spec is not None and in_spec.num_children == 2:
        kwargs_spec = in_spec.children()[1]
        keys = list(kwargs_spec.context or []) if kwargs_spec.type is dict else []
        if set(keys) == set(kwargs):
            kwargs = {k: kwargs[k] for k in keys}
    leaves = pytree.tree_leaves((args, kwargs))
    nodes = _user_input_nodes(program)
    if len(leaves) != len(nodes):
        return None
    for value, node in zip(leaves, nodes, strict=True):
        shape, dtype = _static_shape(node)
        if not isinstance(value, torch.Tensor):
            return None
        if list(value.shape) != shape or value.dtype != dtype:
            return None
    return tuple(t.detach() for t in leaves)


# --------------------------------------------------------------------------- export


def _export(module: Any, example_inputs: Any, name: str, label: str, source: Path) -> LoadedModel:
    """torch.export a module with user-facing errors prefixed by `label`."""
    if not isinstance(module, torch.nn.Module):
        raise InputError(f"{label}: expected a torch.nn.Module, got {type(module).__name__}")
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    if not isinstance(example_inputs, (tuple, list)):
        raise InputError(
            f"{label}: example inputs must be a tensor or a tuple of tensors, got "
            f"{type(example_inputs).__name__}"
        )
    for index, value in enumerate(example_inputs):
        if not isinstance(value, torch.Tensor):
            raise InputError(
                f"{label}: example input #{index} is a {type(value).__name__}, not a tensor "
                "(llmhls compiles tensor inputs only)"
            )
    inputs = tuple(example_inputs)
    stderr = io.StringIO()
    try:
        # torch prints partial graphs to stderr on failure; the one-line error replaces them.
        with _captured_torch_logs(), contextlib.redirect_stderr(stderr):
            program = torch.export.export(module.eval(), inputs)
    except Exception as exc:
        raise InputError(f"{label}: torch.export failed: {_first_line(exc)}") from exc
    sys.stderr.write(stderr.getvalue())  # the model's own output, on success
    input_names = _check_program(program, label)
    return LoadedModel(
        name=sanitize_name(name),
        program=program,
        example_inputs=tuple(t.detach() for t in inputs),
        input_names=input_names,
        source=source,
    )


def export_module(module: torch.nn.Module, example_inputs: tuple, name: str) -> LoadedModel:
    """Export an in-memory module (in eval mode) as llmhls's starting point."""
    return _export(module, example_inputs, name, f"model '{name}'", Path(f"<{name}>"))


def _load_python(path: Path, shown: str) -> LoadedModel:
    """Run a trusted Python file's build_model() and export what it returns."""
    module_name = f"_llmhls_user_model_{sanitize_name(path.stem)}_{next(_module_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"{shown}: cannot be imported as a Python module")
    user = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = user
    # Like `python file.py`: the file's own folder is importable while it runs.
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)
    try:
        try:
            spec.loader.exec_module(user)
        except (Exception, SystemExit) as exc:
            raise InputError(f"{shown}: running the file raised {_first_line(exc)}") from exc
        build = getattr(user, "build_model", None)
        if not callable(build):
            raise InputError(
                f"{shown} defines no build_model() function returning (module, example_inputs)"
            )
        try:
            result = build()
        except (Exception, SystemExit) as exc:
            raise InputError(f"{shown}: build_model() raised {_first_line(exc)}") from exc
        if not isinstance(result, tuple) or len(result) != 2:
            raise InputError(
                f"{shown}: build_model() must return (module, example_inputs), got "
                f"{type(result).__name__}"
            )
        return _export(result[0], result[1], path.stem, shown, path)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


# --------------------------------------------------------------------------- file sniffing


@dataclass
class _PickleInfo:
    """What a pickle holds, learnt from its opcodes without running it."""

    top: str  # "dict", "list", "tuple", "module.Class" of the top-level object, or "object"
    module_class: str | None  # "module.Class" of an nn.Module found inside, if any
    persistent_ids: int  # tensor storages referenced (torch.save) = tensor count


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING"}
_STRING_OPS |= {"BINSTRING", "SHORT_BINSTRING"}
_MEMO_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}
_SKIP_FOR_TOP = {"PROTO", "FRAME", "MARK", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"}
_CONTAINER_TOPS = {
    "EMPTY_DICT": "dict",
    "DICT": "dict",
    "EMPTY_LIST": "list",
    "LIST": "list",
    "EMPTY_TUPLE": "tuple",
    "TUPLE": "tuple",
}
# Globals that are never nn.Module classes (containers, tensor rebuilders, storages).
_PLAIN_GLOBAL_MODULES = {"collections", "builtins", "__builtin__", "copyreg", "copy_reg"}
_PLAIN_GLOBAL_MODULES |= {"torch._utils", "torch", "_codecs", "torch.serialization"}


def _pickle_info(ops: Iterator[tuple[Any, Any, Any]], legacy: bool = False) -> _PickleInfo:
    """Classify one pickle from `pickletools.genops` output (never executes it).

    `legacy`: a pre-zip torch.save pickle, where module classes are saved as
    persistent ids `('module', <class>, source file, source)`.
    """
    top: str | None = None
    module_class: str | None = None
    globals_seen: list[str] = []
    strings: list[str] = []  # recent string pushes, for STACK_GLOBAL
    memo: dict[int, Any] = {}
    last: Any = None
    strings_seen: set[str] = set()
    pending_module_pid = False
    persistent_ids = 0
    for op, arg, _pos in ops:
        name = op.name
        value: Any = None
        if name in _STRING_OPS:
            value = arg.decode("latin-1") if isinstance(arg, bytes) else str(arg)
            strings.append(value)
            strings_seen.add(value)
            pending_module_pid = legacy and value == "module"
        elif name in _MEMO_GET_OPS:
            value = memo.get(arg)
            if isinstance(value, str):
                strings.append(value)
                pending_module_pid = legacy and value == "module"
        elif name == "MEMOIZE":
            memo[len(memo)] = last
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = last
        elif name in ("GLOBAL", "INST", "STACK_GLOBAL"):
            if name == "STACK_GLOBAL":
                qual = ".".join(strings[-2:]) if len(strings) >= 2 else "?"
            else:
                qual = str(arg).replace(" ", ".", 1)
            globals_seen.append(qual)
            if top is None and qual not in ("copyreg._reconstructor", "copy_reg._reconstructor"):
                top = qual
            if pending_module_pid and module_class is None:
                module_class = qual  # legacy torch.save: ('module', <class>, file, source)
            value = qual
            pending_module_pid = False
        elif name in ("BINPERSID", "PERSID"):
            persistent_ids += 1
        if top is None and name in _CONTAINER_TOPS:
            top = _CONTAINER_TOPS[name]
        elif top is None and name not in _SKIP_FOR_TOP | _STRING_OPS | _MEMO_GET_OPS:
            top = "object"
        if name not in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):
            last = value
    if module_class is None and {"_modules", "_parameters"} <= strings_seen:
        candidates = [
            g
            for g in globals_seen
            if g.rsplit(".", 1)[0] not in _PLAIN_GLOBAL_MODULES and not g.endswith("Storage")
        ]
        module_class = candidates[0] if candidates else "torch.nn.Module"
    return _PickleInfo(top or "object", module_class, persistent_ids)


_LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def _sniff_pickle_file(path: Path) -> _PickleInfo | None:
    """Classify a bare pickle or legacy (non-zip) torch.save file; None if not a pickle."""
    with open(path, "rb") as stream:
        try:
            first = list(pickletools.genops(stream))
            if any(op.name == "LONG1" and arg == _LEGACY_TORCH_MAGIC for op, arg, _ in first):
                for _ in range(2):  # protocol version, sys info
                    list(pickletools.genops(stream))
                return _pickle_info(pickletools.genops(stream), legacy=True)
            return _pickle_info(iter(first))
        except Exception:
            return None


def _pickle_error(shown: str, info: _PickleInfo) -> InputError:
    """One-line explanation of a pickled (torch.save) file that is not a program."""
    short = info.module_class.rsplit(".", 1)[-1] if info.module_class else ""
    if info.module_class and info.top == info.module_class:
        return InputError(
            f"{shown} is a pickled nn.Module ({short}), not an ExportedProgram: {_EXPORT_HINT}"
        )
    if info.module_class:
        return InputError(
            f"{shown} is a pickled {info.top.rsplit('.', 1)[-1]} holding an nn.Module ({short}), "
            f"not an ExportedProgram: {_EXPORT_HINT}"
        )
    tensor_tops = {"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"}
    is_container = info.top in ("dict", "list", "tuple", "collections.OrderedDict")
    if info.persistent_ids and (is_container or info.top in tensor_tops):
        count = info.persistent_ids
        return InputError(
            f"{shown} holds only weights ({count} tensor{'s' if count != 1 else ''}), but "
            f"llmhls needs the model graph: {_EXPORT_HINT}"
        )
    return InputError(
        f"{shown} is a pickled {info.top} object, not an ExportedProgram: {_EXPORT_HINT}"
    )


def _zip_entries(archive: zipfile.ZipFile) -> list[str]:
    """Entry names relative to the archive's common top folder (torch adds one)."""
    names = archive.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return [n.split("/", 1)[1] for n in names]
    return names


class _ListHandler(logging.Handler):
    """Keeps log records instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _captured_torch_logs() -> Iterator[list[logging.LogRecord]]:
    """Hold back torch's log output (graph dumps, tracebacks) while llmhls calls torch.

    Failures are reported as one InputError line instead; the records are kept
    so the real cause of a generic torch error can be named.
    """
    handler = _ListHandler()
    saved: list[tuple[logging.Logger, list[logging.Handler]]] = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        is_torch = name == "torch" or name.startswith("torch.")
        if is_torch and isinstance(logger, logging.Logger) and logger.handlers:
            saved.append((logger, logger.handlers[:]))
            logger.handlers = [handler]
    try:
        yield handler.records
    finally:
        for logger, handlers in saved:
            logger.handlers = handlers


# --------------------------------------------------------------------------- untrusted archives
#
# torch.export.load runs code that a crafted .pt2 controls in two ways: pickles
# (sample inputs, tensor-subclass weights and constants through torch.load with
# weights_only=False, custom/opaque objects through pickle) and sympy.sympify,
# which evals every symbolic-shape expression in models/*.json. Without --trust
# llmhls checks both first. (A graph node calling anything but an op is refused
# by torch's own verifier, which an archive cannot switch off.)

_PICKLED_CONSTANT_PREFIXES = ("custom_obj_", "opaque_obj_")  # torch.export.pt2_archive
_TOKEN = re.compile(
    r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|'[A-Za-z_][A-Za-z0-9_]*'|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
    r"|\*\*|//|[-+*/%(),<>=!&|~])"
)
_SYMPY_NAMES = frozenset(
    {"Abs", "And", "Eq", "False", "Ge", "Gt", "Le", "Lt", "Ne", "Not", "Or", "Piecewise"}
    | {"True", "ceiling", "floor", "nan", "oo", "sqrt", "zoo", "Symbol", "Integer", "Float"}
    | {"Rational", "positive", "negative", "nonnegative", "nonpositive", "integer", "real"}
    | {"finite", "zero", "nonzero", "even", "odd"}
)
_SYMBOL = re.compile(r"[a-z]+\d+")  # s0, u3, zuf0: torch's shape symbols


@contextlib.contextmanager
def _forced_weights_only_load(enabled: bool) -> Iterator[None]:
    """Make every torch.load inside use the restricted unpickler (tensors, no code)."""
    if not enabled:
        yield
        return
    import os

    saved = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"]
        else:
            os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = saved


def _sympy_function_names() -> frozenset[str]:
    """Names of torch's sympy functions, the only calls a shape expression may make."""
    import sympy
    import torch.utils._sympy.functions as functions

    found = {
        name
        for name, value in vars(functions).items()
        if isinstance(value, type) and issubclass(value, sympy.Basic)
    }
    return frozenset(found) | _SYMPY_NAMES


def _is_plain_expression(text: str, allowed: frozenset[str]) -> bool:
    """True if `text` holds only numbers, operators, shape symbols and allowed calls.

    torch writes a symbol as `Symbol('s77', positive=True, integer=True)`: quoted
    names and sympy's assumption keywords are allowed, attribute access is not.
    """
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return not text[position:].strip()
        name = match.group(1)
        if name is not None and not (_SYMBOL.fullmatch(name) or name in allowed):
            return False
        position = match.end()
    return True


def _expression_strings(value: Any) -> Iterator[str]:
    """Every `expr_str` (a symbolic-shape expression torch sympifies) in a JSON tree."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "expr_str":
                yield item if isinstance(item, str) else repr(item)
            else:
                yield from _expression_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expression_strings(item)


def _unsafe_pickle_reason(data: bytes) -> str | None:
    """Why torch's weights-only unpickler refuses `data`, or None if it holds only tensors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.load(io.BytesIO(data), weights_only=True)
    except Exception as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found:
            return f"it loads {found.group(1)}"
        with contextlib.suppress(Exception):
            top = _pickle_info(pickletools.genops(data)).top
            if "." in top:
                return f"it loads {top}"
        found = re.search(r"WeightsUnpickler error:\s*(.+)", str(exc))
        return found.group(1).strip() if found else _first_line(exc)
    return None


def _check_archive_is_inert(path: Path, shown: str) -> None:
    """Reject a .pt2 whose loading would run code; tensors stay loadable.

    Checks every pickled member with the weights-only unpickler, refuses pickled
    Python objects among the constants, and refuses shape expressions that are
    more than arithmetic on shape symbols.
    """
    allowed = _sympy_function_names()
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if len(set(names)) != len(names):  # torch's reader may pick another copy than ours
            twice = sorted({n for n in names if names.count(n) > 1})[0]
            raise InputError(f"{shown} holds the member '{twice}' twice: a crafted archive")
        full = dict(zip(_zip_entries(archive), names, strict=True))
        pickled = [e for e in full if e.endswith(".pt") or e.endswith(".pkl")]
        for entry, name in sorted(full.items()):
            if not entry.endswith(".json"):
                continue
            try:
                tree = json.loads(archive.read(name))
            except ValueError:
                continue  # torch.export.load reports the damage
            for text in _expression_strings(tree):
                if not _is_plain_expression(text, allowed):
                    raise InputError(
                        f"{shown}: member '{entry}' holds the shape expression {text[:60]!r}, "
                        "which is not plain arithmetic and would be evaluated as Python; "
                        "llmhls loads it only with --trust"
                    )
            config = tree.get("config") if isinstance(tree, dict) else None
            if not entry.startswith("data/") or not isinstance(config, dict):
                continue
            folder = entry.rsplit("/", 1)[0]
            for fqn, meta in sorted(config.items()):
                if not isinstance(meta, dict):
                    continue
                member = f"{folder}/{meta.get('path_name', '')}"
                if str(meta.get("path_name", "")).startswith(_PICKLED_CONSTANT_PREFIXES):
                    raise InputError(
                        f"{shown}: constant '{fqn}' ({member}) is a pickled Python object; "
                        "llmhls unpickles it only with --trust"
                    )
                if meta.get("use_pickle") and member in full:
                    pickled.append(member)
        for entry in sorted(set(pickled)):
            data = archive.read(full[entry])
            reason = _unsafe_pickle_reason(data) if data else None  # empty: saved without
            if reason is not None:
                raise InputError(
                    f"{shown}: member '{entry}' is a pickle that holds more than tensors "
                    f"({reason}); llmhls unpickles it only with --trust"
                )


def _load_archive(path: Path, shown: str, trust: bool) -> ExportedProgram:
    """Load a torch.export archive, or explain what other kind of file this is.

    Without `trust` nothing in the archive that could run code is unpickled or
    evaluated (see `_check_archive_is_inert`).
    """
    with open(path, "rb") as f:
        head = f.read(24)
    if not head:
        raise InputError(f"{shown} is an empty file, {_NOT_A_MODEL}")
    if head.startswith(b"GGUF"):
        raise InputError(
            f"{shown} is a GGUF weights file, not an ExportedProgram: GGUF is not supported "
            f"by this command; {_EXPORT_HINT}"
        )
    if len(head) > 8 and head[8:9] == b"{":
        header_len = struct.unpack("<Q", head[:8])[0]
        if 0 < header_len < path.stat().st_size:
            raise InputError(
                f"{shown} is a safetensors file that holds only weights, but llmhls needs the "
                f"model graph: {_EXPORT_HINT}"
            )
    if not zipfile.is_zipfile(path):
        info = _sniff_pickle_file(path) if head[:1] == b"\x80" else None
        if info is None:
            raise InputError(f"{shown} is {_NOT_A_MODEL}")
        raise _pickle_error(shown, info)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = _zip_entries(archive)
            full = dict(zip(entries, archive.namelist(), strict=True))
            pickle_bytes = archive.read(full["data.pkl"]) if "data.pkl" in full else None
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{shown} is a damaged zip archive ({_first_line(exc)})") from exc
    if "archive_format" in entries:
        if not any(e.startswith("models/") and e.endswith(".json") for e in entries):
            raise InputError(
                f"{shown} is a PT2 archive without an ExportedProgram (e.g. an AOTInductor "
                f"package): {_EXPORT_HINT}"
            )
        if not trust:
            try:
                _check_archive_is_inert(path, shown)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
                raise InputError(f"{shown} is a damaged zip archive ({_first_line(exc)})") from exc
        with _captured_torch_logs() as records, _forced_weights_only_load(not trust):
            try:
                with open(path, "rb") as f:
                    program = torch.export.load(f)
            except Exception as exc:
                # torch.export.load logs the real cause and raises a generic error.
                causes = [r.exc_info[1] for r in records if r.exc_info and r.exc_info[1]]
                cause = causes[0] if causes else exc
                raise InputError(
                    f"{shown} is a torch.export archive that torch {torch.__version__} cannot "
                    f"load ({_first_line(cause)}): it is damaged or from another torch "
                    "version; re-export it"
                ) from exc
        return program
    if "constants.pkl" in entries or any(e.startswith("code/") for e in entries):
        raise InputError(
            f"{shown} is a TorchScript archive, not an ExportedProgram: llmhls needs "
            f"torch.export; from the original nn.Module, {_EXPORT_HINT}"
        )
    if pickle_bytes is not None:
        try:
            info = _pickle_info(pickletools.genops(pickle_bytes))
        except Exception as exc:
            raise InputError(f"{shown} has a damaged data.pkl ({_first_line(exc)})") from exc
        raise _pickle_error(shown, info)
    raise InputError(f"{shown} is a zip archive, {_NOT_A_MODEL}")


def load_program(path: Path, *, trust: bool = False) -> ExportedProgram:
    """A .pt2 archive's ExportedProgram, loaded without running its code unless `trust`."""
    shown = f"'{path}'"
    if not path.is_file():
        raise InputError(f"{shown}: missing, or not a file")
    try:
        return _load_archive(path, shown, trust)
    except OSError as exc:
        raise InputError(f"cannot read model file {shown}: {exc.strerror or exc}") from exc


def load_model(path: str | Path, *, trust: bool = False, seed: int = 0) -> LoadedModel:
    """Load a model file into a checked, not yet decomposed ExportedProgram.

    `trust=True` allows `.py` files, which are executed to call their
    `build_model()`, and lets a `.pt2` archive's pickles load any Python object.
    `seed` drives generated example inputs for archives saved without them.
    """
    file = Path(path)
    shown = f"'{path}'"
    if not file.exists():
        raise InputError(f"model file {shown} does not exist")
    if file.is_dir():
        raise InputError(
            f"{shown} is a directory but not a Hugging Face model folder (it has no config.json)"
        )
    if file.suffix.lower() == ".gguf":  # a GGUF file would have gone to the LLM loader
        raise InputError(f"{shown} is not a GGUF file (it does not start with the GGUF magic)")
    if file.suffix == ".py":
        if not trust:
            raise InputError(
                f"{shown} is Python code that would be executed to build the model: re-run "
                "with --trust if you trust it"
            )
        return _load_python(file, shown)
    program = load_program(file, trust=trust)
    input_names = _check_program(program, shown)
    inputs = _stored_example_inputs(program)
    if inputs is None:
        inputs = generate_example_inputs(program, seed)
    return LoadedModel(
        name=sanitize_name(file.stem),
        program=program,
        example_inputs=inputs,
        input_names=input_names,
        source=file,
    )
