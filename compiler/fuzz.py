"""Random valid PyTorch graphs, compiled and C-simulated against PyTorch; failures shrunk.

A graph is a `GraphSpec`: typed inputs, a list of nodes (an op over earlier
values plus integer attributes) and the values it returns. `random_spec` draws
one from a seed over ops llmhls supports (elementwise, broadcasting binaries,
linear/matmul, reductions, softmax, layer norm, transposes, reshapes, slices,
bool masks with `where`, integer indices into an embedding), with sizes that
include 1, primes and batch > 1, and integer and boolean tensors: argmax,
integer arithmetic (remainder and floor division included), comparisons,
logical ops, masked_fill, cumsum, casts and int/bool results. `check_spec`
exports, compiles at one -O level and C-simulates it; any failure is
classified (`crash`, `compile-error`, `csim-error`, `mismatch`), `shrink`
reduces the spec by delta debugging over its nodes and input sizes while the
failure class stays, and
`write_reproducer` saves it as a Python file (`build_model()`, so
`llmhls compile --trust` takes it too) that `tests/regressions` runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import random
import tempfile
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import torch

from llmhls.errors import CSimError, LlmhlsError

UNARY = ("relu", "sigmoid", "tanh", "silu", "gelu", "neg", "abs")
BINARY = ("add", "sub", "mul", "maximum")
REDUCTIONS = ("sum", "mean", "amax")
INT_UNARY = ("neg", "abs")  # of UNARY, the ones that apply to int64
INT_SCALAR = ("add_const", "mul_const", "remainder", "floor_divide", "clamp")  # int64 op constant
COMPARE = ("gt", "lt", "eq")
LOGICAL = ("logical_and", "logical_or", "logical_xor")
SIZES = (1, 2, 3, 4, 5, 7, 8, 11)  # 1, primes, powers of two
FAILURE_CLASSES = ("crash", "compile-error", "csim-error", "mismatch")
PARENT_POLL_S = 1.0  # how often a --jobs worker checks that its parent still runs


@dataclass(frozen=True)
class Node:
    """One op over earlier values (`args` index inputs, then nodes) with int attributes."""

    op: str
    args: tuple[int, ...]
    attrs: tuple[int, ...] = ()


@dataclass(frozen=True)
class GraphSpec:
    """A random graph: input (dtype, shape)s, nodes in order, returned value indices."""

    inputs: tuple[tuple[str, tuple[int, ...]], ...]
    nodes: tuple[Node, ...]
    outputs: tuple[int, ...]
    seed: int = 0  # drives parameter values and example inputs

    def to_json(self) -> dict[str, Any]:
        return {
            "inputs": [[dtype, list(shape)] for dtype, shape in self.inputs],
            "nodes": [[n.op, list(n.args), list(n.attrs)] for n in self.nodes],
            "outputs": list(self.outputs),
            "seed": self.seed,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> GraphSpec:
        return GraphSpec(
            inputs=tuple((dtype, tuple(shape)) for dtype, shape in data["inputs"]),
            nodes=tuple(Node(op, tuple(args), tuple(attrs)) for op, args, attrs in data["nodes"]),
            outputs=tuple(data["outputs"]),
            seed=int(data["seed"]),
        )


_DTYPES = {"float32": torch.float32, "bool": torch.bool, "int64": torch.int64}
_DTYPE_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


# --------------------------------------------------------------------------- the module


class SpecModule(torch.nn.Module):
    """Runs a GraphSpec; parameters (linear, norm, embedding) drawn from the spec's seed."""

    def __init__(self, spec: GraphSpec) -> None:
        super().__init__()
        self.spec = spec
        gen = torch.Generator().manual_seed(spec.seed)
        shapes = _infer_shapes(spec)
        self.params = torch.nn.ParameterDict()
        for index, node in enumerate(spec.nodes):
            first = shapes[node.args[0]] if node.args else ()
            if node.op == "linear":
                weight = torch.randn(node.attrs[0], first[-1], generator=gen) / first[-1] ** 0.5
                self.params[f"w{index}"] = torch.nn.Parameter(weight)
                self.params[f"b{index}"] = torch.nn.Parameter(
                    torch.randn(node.attrs[0], generator=gen)
                )
            elif node.op == "layer_norm":
                self.params[f"w{index}"] = torch.nn.Parameter(torch.randn(first[-1], generator=gen))
                self.params[f"b{index}"] = torch.nn.Parameter(torch.randn(first[-1], generator=gen))
            elif node.op == "embedding":
                table = torch.randn(node.attrs[0], node.attrs[1], generator=gen)
                self.params[f"w{index}"] = torch.nn.Parameter(table)

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        values = self.all_values(*inputs)
        return tuple(values[i] for i in self.spec.outputs)

    def all_values(self, *inputs: torch.Tensor) -> list[torch.Tensor]:
        """Inputs, then every node's value, in the spec's order."""
        values = list(inputs)
        for index, node in enumerate(self.spec.nodes):
            values.append(_apply(node, [values[a] for a in node.args], self.params, index))
        return values


def _apply(node: Node, args: list[torch.Tensor], params: Any, index: int) -> torch.Tensor:
    op, attrs = node.op, node.attrs
    if op in UNARY:
        return (
            getattr(torch.nn.functional, op, None)(args[0])
            if op in ("silu", "gelu")
            else (getattr(torch, op)(args[0]))
        )
    if op in BINARY or op in COMPARE or op in LOGICAL:
        return getattr(torch, op)(args[0], args[1])
    if op == "linear":
        return torch.nn.functional.linear(args[0], params[f"w{index}"], params[f"b{index}"])
    if op == "matmul":
        return torch.matmul(args[0], args[1])
    if op in REDUCTIONS:
        return getattr(torch, op)(args[0], dim=attrs[0], keepdim=bool(attrs[1]))
    if op == "softmax":
        return torch.softmax(args[0], dim=attrs[0])
    if op == "layer_norm":
        shape = (args[0].shape[-1],)
        return torch.nn.functional.layer_norm(
            args[0], shape, params[f"w{index}"], params[f"b{index}"]
        )
    if op == "transpose":
        return args[0].transpose(attrs[0], attrs[1])
    if op == "reshape":
        return args[0].reshape(attrs)
    if op == "slice":
        dim, start, end = attrs
        return args[0].narrow(dim, start, end - start)
    if op == "logical_not":
        return torch.logical_not(args[0])
    if op == "argmax":
        return torch.argmax(args[0], dim=attrs[0], keepdim=bool(attrs[1]))
    if op == "cumsum":
        return torch.cumsum(args[0], dim=attrs[0])
    if op == "to_float":
        return args[0].float()
    if op == "masked_fill":
        return args[0].masked_fill(args[1], attrs[0] / 4)
    if op in INT_SCALAR:
        return _int_scalar(op, args[0], attrs)
    if op == "where":
        return torch.where(args[0], args[1], args[2])
    if op == "embedding":
        return torch.nn.functional.embedding(args[0], params[f"w{index}"])
    raise ValueError(f"unknown fuzz op {op!r}")


def _int_scalar(op: str, value: torch.Tensor, attrs: tuple[int, ...]) -> torch.Tensor:
    """An int64 tensor with an integer constant: Python's floor semantics for % and //."""
    if op == "add_const":
        return value + attrs[0]
    if op == "mul_const":
        return value * attrs[0]
    if op == "remainder":
        return torch.remainder(value, attrs[0])
    if op == "floor_divide":
        return torch.floor_divide(value, attrs[0])
    return torch.clamp(value, attrs[0], attrs[1])


def _infer_shapes(spec: GraphSpec) -> list[tuple[int, ...]]:
    """Every value's shape, by running the graph on meta tensors (no data, no parameters)."""
    return [tuple(v.shape) for v in _meta_values(spec)]


def _meta_values(spec: GraphSpec) -> list[torch.Tensor]:
    """Every value on the meta device (shape and dtype, no data, no parameters)."""
    values = [
        torch.empty(shape, dtype=_DTYPES[dtype], device="meta") for dtype, shape in spec.inputs
    ]
    params = _MetaParams(spec, values)
    for index, node in enumerate(spec.nodes):
        params.current = [values[a] for a in node.args]
        values.append(_apply(node, params.current, params, index))
    return values


class _MetaParams:
    """Parameters of the right shape on the meta device, made on first use."""

    def __init__(self, spec: GraphSpec, values: list[torch.Tensor]) -> None:
        self.spec = spec
        self.current: list[torch.Tensor] = []

    def __getitem__(self, key: str) -> torch.Tensor:
        index = int(key[1:])
        node, first = self.spec.nodes[index], self.current[0]
        if node.op == "linear":
            shape = (node.attrs[0], first.shape[-1]) if key[0] == "w" else (node.attrs[0],)
        elif node.op == "layer_norm":
            shape = (first.shape[-1],)
        else:
            shape = (node.attrs[0], node.attrs[1])
        return torch.empty(shape, device="meta")


def example_inputs(spec: GraphSpec) -> tuple[torch.Tensor, ...]:
    """Inputs for the spec from its seed: normal floats, fair bools, indices within tables."""
    gen = torch.Generator().manual_seed(spec.seed + 1)
    bounds = {}
    for node in spec.nodes:
        if node.op == "embedding":
            bounds[node.args[0]] = min(bounds.get(node.args[0], node.attrs[0]), node.attrs[0])
    inputs = []
    for position, (dtype, shape) in enumerate(spec.inputs):
        if dtype == "float32":
            inputs.append(torch.randn(shape, generator=gen))
        elif dtype == "bool":
            inputs.append(torch.randint(0, 2, shape, generator=gen).bool())
        elif position in bounds:
            inputs.append(torch.randint(0, bounds[position], shape, generator=gen))
        else:  # integer data, negative values too (floor division and remainder round down)
            inputs.append(torch.randint(-4, 5, shape, generator=gen))
    return tuple(inputs)


def build_model_from_spec(spec: GraphSpec | dict[str, Any]) -> tuple[torch.nn.Module, tuple]:
    """(module, example_inputs) of a spec: what a reproducer's build_model() returns."""
    if isinstance(spec, dict):
        spec = GraphSpec.from_json(spec)
    return SpecModule(spec).eval(), example_inputs(spec)


# --------------------------------------------------------------------------- generation


class _Draft:
    """A graph being drawn: values (inputs and nodes) in creation order, by id."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.values: list[
            tuple[str, str | Node, tuple[int, ...]]
        ] = []  # (dtype, input|node, shape)

    def add_input(self, dtype: str, shape: tuple[int, ...]) -> int:
        self.values.append((dtype, "input", shape))
        return len(self.values) - 1

    def ids(self, dtype: str) -> list[int]:
        return [i for i, (kind, _, _) in enumerate(self.values) if kind == dtype]

    def shape(self, value: int) -> tuple[int, ...]:
        return self.values[value][2]

    def spec(self, outputs: tuple[int, ...]) -> GraphSpec:
        """Inputs first, then nodes, both in creation order; ids renumbered."""
        order = [i for i, v in enumerate(self.values) if v[1] == "input"]
        order += [i for i, v in enumerate(self.values) if v[1] != "input"]
        index = {old: new for new, old in enumerate(order)}
        inputs = tuple(
            (self.values[i][0], self.values[i][2]) for i in order if self.values[i][1] == "input"
        )
        nodes = []
        for i in order:
            node = self.values[i][1]
            if isinstance(node, Node):
                nodes.append(dataclasses.replace(node, args=tuple(index[a] for a in node.args)))
        return GraphSpec(inputs, tuple(nodes), tuple(index[o] for o in outputs), self.seed)

    def try_add(self, node: Node) -> bool:
        """Append `node` if it applies to its arguments (checked on meta tensors).

        The new value's dtype is the one PyTorch gives it (bool for a comparison,
        int64 for argmax or integer arithmetic).
        """
        self.values.append(("float32", node, ()))
        try:
            meta = _meta_values(self.spec((len(self.values) - 1,)))[-1]
        except Exception:  # the op does not apply to these operands: the caller draws another
            meta = None
        dtype = _DTYPE_NAMES.get(meta.dtype) if meta is not None else None
        if meta is None or dtype is None or 0 in meta.shape:
            self.values.pop()
            return False
        self.values[-1] = (dtype, node, tuple(meta.shape))
        return True


def random_spec(seed: int, max_nodes: int = 10) -> GraphSpec:
    """A random valid graph from `seed` (the same seed gives the same graph everywhere).

    A draw with an ill-conditioned layer norm (`_conditioned`) is dropped for the next.
    """
    rng = random.Random(seed)
    while True:
        spec = _draw_spec(rng, seed, max_nodes)
        if _conditioned(spec):
            return spec


def _conditioned(spec: GraphSpec) -> bool:
    """False when a layer norm sees a (nearly) constant row on the example inputs.

    Such a row's normalized value is rounding error times 1/sqrt(eps) (about 316x):
    two correct float32 programs that sum in a different order disagree there by
    more than csim's tolerance, so the graph says nothing about the compiler.
    """
    norms = [i for i, node in enumerate(spec.nodes) if node.op == "layer_norm"]
    if not norms:
        return True
    module, inputs = build_model_from_spec(spec)
    with torch.no_grad():
        values = module.all_values(*inputs)
    for index in norms:
        rows = values[spec.nodes[index].args[0]]
        if rows.shape[-1] < 2:
            continue  # one element: x - mean is exactly 0 in any order
        spread = rows.var(dim=-1, unbiased=False)
        if not bool((spread > 1e-4 * rows.square().mean(dim=-1) + 1e-12).all()):
            return False
    return True


def _draw_spec(rng: random.Random, seed: int, max_nodes: int) -> GraphSpec:
    """One random graph from `rng` (pruned to what its outputs need)."""
    draft = _Draft(seed)
    batch = rng.choice((2, 3))
    first = draft.add_input(
        "float32", (batch, *[rng.choice(SIZES) for _ in range(rng.randint(1, 2))])
    )
    if rng.random() < 0.3:  # integer indices into an embedding table
        indices = draft.add_input("int64", (batch, rng.choice((1, 3, 4))))
        draft.try_add(
            Node("embedding", (indices,), (rng.choice((5, 7, 16)), rng.choice((3, 4, 8))))
        )
    if rng.random() < 0.3:  # integer data: arithmetic, comparisons, casts
        draft.add_input("int64", (batch, *draft.shape(first)[1:]))
    for _ in range(rng.randint(2, max_nodes)):
        integral = draft.ids("int64") + draft.ids("bool")
        if integral and rng.random() < 0.3:
            node = _random_integral_node(rng, draft, rng.choice(integral))
        else:
            floats = draft.ids("float32")
            value = floats[-1] if rng.random() < 0.6 else rng.choice(floats)
            node = _random_node(rng, draft, value)
        if node is not None:
            draft.try_add(node)
    computed = [i for i, v in enumerate(draft.values) if isinstance(v[1], Node)]
    results = [i for i in computed if draft.values[i][0] == "float32" or rng.random() < 0.5]
    if not results:
        draft.try_add(Node("relu", (first,)))
        results = [len(draft.values) - 1]
    outputs = (
        (results[-1],) if rng.random() < 0.7 or len(results) == 1 else (results[-1], results[0])
    )
    return _pruned(draft.spec(outputs))


_DRAWS = (
    *("unary", "binary", "linear", "matmul", "reduce", "softmax", "layer_norm"),
    *("transpose", "reshape", "slice", "mask", "compare", "argmax", "cumsum", "masked_fill"),
)


def _random_node(rng: random.Random, draft: _Draft, value: int) -> Node | None:
    """A node over `value` (and new inputs it needs), or None when the draw does not apply."""
    shape = draft.shape(value)
    rank = len(shape)
    op = rng.choice(_DRAWS)
    if op == "unary" or rank == 0:  # a full reduction leaves a scalar
        return Node(rng.choice(UNARY), (value,))
    if op == "binary":
        same = [i for i in draft.ids("float32") if draft.shape(i) == shape and i != value]
        if same and rng.random() < 0.5:
            return Node(rng.choice(BINARY), (value, rng.choice(same)))
        other = tuple(1 if rng.random() < 0.4 else d for d in shape)[rng.randint(0, rank - 1) :]
        return Node(rng.choice(BINARY), (value, draft.add_input("float32", other)))
    if op == "linear":
        return Node("linear", (value,), (rng.choice(SIZES),))
    if op == "matmul":
        right = (
            (*shape[:-2], shape[-1], rng.choice(SIZES))
            if rank > 2
            else (shape[-1], rng.choice(SIZES))
        )
        return Node("matmul", (value, draft.add_input("float32", right)))
    if op == "reduce":
        return Node(
            rng.choice(REDUCTIONS), (value,), (rng.randint(-1, rank - 1), rng.randint(0, 1))
        )
    if op == "softmax":
        return Node("softmax", (value,), (rng.randint(-1, rank - 1),))
    if op == "layer_norm":
        return Node("layer_norm", (value,))
    if op == "transpose" and rank >= 2:
        first, second = rng.sample(range(rank), 2)
        return Node("transpose", (value,), (first, second))
    if op == "reshape" and rank >= 2:
        merged = (*shape[:-2], shape[-2] * shape[-1])
        return Node("reshape", (value,), merged if rng.random() < 0.5 else (*shape, 1))
    if op == "slice":
        dim = rng.randrange(rank)
        if shape[dim] < 2:
            return None
        start = rng.randrange(shape[dim] - 1)
        return Node("slice", (value,), (dim, start, rng.randint(start + 1, shape[dim])))
    if op == "compare":  # a bool tensor computed in the graph, for a later mask
        return Node(rng.choice(COMPARE), (value, draft.add_input("float32", (1,))))
    if op == "argmax":
        return Node("argmax", (value,), (rng.randint(-1, rank - 1), rng.randint(0, 1)))
    if op == "cumsum":
        return Node("cumsum", (value,), (rng.randint(-1, rank - 1),))
    if op == "masked_fill":
        mask = draft.add_input("bool", tuple(1 if rng.random() < 0.5 else d for d in shape))
        return Node("masked_fill", (value, mask), (rng.randint(-8, 8),))
    if op == "mask":
        bools = [b for b in draft.ids("bool") if len(draft.shape(b)) <= rank]
        if bools and rng.random() < 0.5:
            mask = rng.choice(bools)
        else:
            mask = draft.add_input("bool", tuple(1 if rng.random() < 0.5 else d for d in shape))
        return Node("where", (mask, value, draft.add_input("float32", (1,))))
    return None


def _random_integral_node(rng: random.Random, draft: _Draft, value: int) -> Node | None:
    """A node over an int64 or bool `value`: integer arithmetic, logic, compares, casts."""
    dtype, shape = draft.values[value][0], draft.shape(value)
    rank = len(shape)
    same = [i for i in draft.ids(dtype) if i != value and draft.shape(i) == shape]
    partner = rng.choice(same) if same else draft.add_input(dtype, shape[rng.randint(0, rank) :])
    draw = rng.random()
    if draw < 0.2:
        return Node("to_float", (value,))
    if dtype == "bool":
        if draw < 0.35:
            return Node("logical_not", (value,))
        if draw < 0.5 and rank:
            return Node("sum", (value,), (rng.randint(-1, rank - 1), rng.randint(0, 1)))
        return Node(rng.choice(LOGICAL), (value, partner))
    if draw < 0.35:
        return Node(rng.choice(BINARY), (value, partner))
    if draw < 0.45:
        return Node(rng.choice(COMPARE), (value, partner))
    if draw < 0.55:
        return Node(rng.choice(INT_UNARY), (value,))
    if draw < 0.65 and rank:
        reduce = rng.choice(("sum", "amax", "cumsum"))
        attrs = (rng.randint(-1, rank - 1),) + ((rng.randint(0, 1),) if reduce != "cumsum" else ())
        return Node(reduce, (value,), attrs)
    op = rng.choice(INT_SCALAR)
    if op == "clamp":
        low = rng.randint(-3, 2)
        return Node(op, (value,), (low, low + rng.randint(0, 4)))
    constant = (
        rng.choice((2, 3, 5, 7)) if op in ("remainder", "floor_divide") else rng.randint(-3, 3)
    )
    return Node(op, (value,), (constant,))


def _pruned(spec: GraphSpec) -> GraphSpec:
    """The spec without nodes and inputs the outputs do not need, indices renumbered."""
    first_node = len(spec.inputs)
    needed = set(spec.outputs)
    for index in range(len(spec.inputs) + len(spec.nodes) - 1, first_node - 1, -1):
        if index in needed:
            needed.update(spec.nodes[index - first_node].args)
    kept_inputs = [i for i in range(first_node) if i in needed] or [0]
    kept_nodes = [i for i in range(first_node, first_node + len(spec.nodes)) if i in needed]
    renumber = {old: new for new, old in enumerate(kept_inputs + kept_nodes)}
    nodes = tuple(
        dataclasses.replace(
            spec.nodes[i - first_node],
            args=tuple(renumber[a] for a in spec.nodes[i - first_node].args),
        )
        for i in kept_nodes
    )
    return GraphSpec(
        tuple(spec.inputs[i] for i in kept_inputs),
        nodes,
        tuple(renumber[o] for o in spec.outputs),
        spec.seed,
    )


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Failure:
    """Why one graph failed at one level: the class and a one-line message."""

    kind: str  # one of FAILURE_CLASSES
    message: str


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def check_spec(spec: GraphSpec, level: int, workdir: Path) -> Failure | None:
    """Export, compile at -O`level` and C-simulate `spec`; None when csim matches PyTorch."""
    from llmhls.compiler.csim import run_csim
    from llmhls.compiler.driver import compile_model
    from llmhls.compiler.frontend import export_module
    from llmhls.compiler.optimize import OptimizeOptions
    from llmhls.compiler.options import CompileOptions

    module, inputs = build_model_from_spec(spec)
    loaded = export_module(module, inputs, "fuzz")  # an invalid graph is the generator's bug
    out = workdir / f"O{level}"
    options = CompileOptions(force=True, optimize=OptimizeOptions(level=level))
    try:
        compile_model(loaded, out, options)
    except LlmhlsError as exc:
        return Failure("compile-error", _one_line(exc))
    except Exception as exc:  # anything else escaping the compiler is a crash
        return Failure("crash", _one_line(exc))
    try:
        result = run_csim(out)
    except CSimError as exc:
        return Failure("csim-error", _one_line(exc))
    except Exception as exc:
        return Failure("crash", _one_line(exc))
    if not result.passed:
        return Failure("mismatch", f"max_rel_err {result.max_rel_err:.3g} {result.note}".strip())
    return None


def _checked(spec: GraphSpec, level: int, workdir: Path) -> Failure | None:
    """`check_spec` with the work folder's path taken out of the message (reproducible)."""
    failure = check_spec(spec, level, workdir)
    if failure is None:
        return None
    return Failure(failure.kind, failure.message.replace(str(workdir), "WORK"))


# --------------------------------------------------------------------------- shrinking


def _candidates(spec: GraphSpec) -> Iterator[GraphSpec]:
    """Smaller variants of `spec`, most reducing first (delta debugging steps)."""
    first_node = len(spec.inputs)
    values = range(first_node, first_node + len(spec.nodes))
    for value in values:  # return an earlier value instead: drops everything after it
        if (value,) != spec.outputs:
            yield _pruned(dataclasses.replace(spec, outputs=(value,)))
    for index, node in enumerate(spec.nodes):  # bypass a node: its users read an argument
        for arg in node.args:
            rewired = _rewire(spec, first_node + index, arg)
            if rewired is not None:
                yield rewired
    for position, (dtype, shape) in enumerate(spec.inputs):  # smaller input sizes
        for dim, size in enumerate(shape):
            for smaller in sorted({1, size // 2}):
                if 0 < smaller < size:
                    new_shape = (*shape[:dim], smaller, *shape[dim + 1 :])
                    inputs = list(spec.inputs)
                    inputs[position] = (dtype, new_shape)
                    yield dataclasses.replace(spec, inputs=tuple(inputs))


def _rewire(spec: GraphSpec, value: int, replacement: int) -> GraphSpec | None:
    """`spec` with every use of `value` reading `replacement`, then pruned."""
    if replacement >= value:
        return None
    nodes = tuple(
        dataclasses.replace(n, args=tuple(replacement if a == value else a for a in n.args))
        for n in spec.nodes
    )
    outputs = tuple(replacement if o == value else o for o in spec.outputs)
    if spec.inputs and any(o < len(spec.inputs) for o in outputs):
        return None  # a graph must compute something
    return _pruned(GraphSpec(spec.inputs, nodes, outputs, spec.seed))


def is_valid_spec(spec: GraphSpec) -> bool:
    """Whether the spec still runs in PyTorch and returns float, int64 or bool tensors."""
    try:
        shapes = _infer_shapes(spec)
        module, inputs = build_model_from_spec(spec)
        with torch.no_grad():
            outputs = module(*inputs)
    except Exception:  # a shrink step that broke the graph: not a candidate
        return False
    return all(0 not in shapes[o] for o in spec.outputs) and all(
        t.dtype in _DTYPE_NAMES for t in outputs
    )


Checker = Callable[[GraphSpec, int, Path], "Failure | None"]


def shrink(
    spec: GraphSpec,
    level: int,
    failure: Failure,
    workdir: Path,
    budget: int = 40,
    check: Checker = check_spec,
) -> GraphSpec:
    """The smallest variant found that fails with the same class, within `budget` checks.

    Greedy delta debugging: take the first smaller candidate that still fails the
    same way, and start again from it, until none does.
    """
    checks = 0
    improved = True
    while improved and checks < budget:
        improved = False
        for candidate in _candidates(spec):
            if checks >= budget:
                break
            if candidate == spec or not is_valid_spec(candidate) or not _conditioned(candidate):
                continue
            checks += 1
            try:
                found = check(candidate, level, workdir)
            except LlmhlsError:
                continue  # torch.export refused the variant: not a valid graph
            if found is not None and found.kind == failure.kind:
                spec, improved = candidate, True
                break
    return spec


# --------------------------------------------------------------------------- reproducers and runs


def _spec_source(spec: GraphSpec) -> str:
    """The spec as a Python literal in the repository's format (one input/node a line)."""
    data = spec.to_json()
    lines = ["SPEC = {"]
    for key in ("inputs", "nodes"):
        lines.append(f'    "{key}": [')
        lines += [f"        {json.dumps(item)}," for item in data[key]]
        lines.append("    ],")
    lines += [f'    "outputs": {json.dumps(data["outputs"])},', f'    "seed": {spec.seed},', "}"]
    return "\n".join(lines)


def _with_debug_label(spec: GraphSpec, level: int, workdir: Path, failure: Failure) -> Failure:
    """`failure` with `llmhls debug`'s first diverging task of the shrunk graph appended.

    The shrunk graph is compiled again (shrinking leaves the last candidate's project);
    a graph that no longer fails, or a debug run that fails, adds nothing.
    """
    from llmhls.compiler.debug import debug_project

    try:
        if _checked(spec, level, workdir) is None:
            return failure
        label = debug_project(workdir / f"O{level}").label()
    except Exception:  # a label is a courtesy: the failure stands without it
        return failure
    return Failure(failure.kind, f"{failure.message}; {label}")


def write_reproducer(folder: Path, spec: GraphSpec, level: int, failure: Failure) -> Path:
    """A Python file that rebuilds the failing graph (build_model()) and names its failure."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fuzz_seed{spec.seed}_O{level}.py"
    quotes = '"' * 3
    message = failure.message.replace("\\", "/").replace(quotes, "'")
    path.write_text(
        f"{quotes}llmhls fuzz reproducer (seed {spec.seed}, -O{level}): {failure.kind}.\n\n"
        f"{textwrap.fill(message, 96)}\n{quotes}\n\n"
        "from llmhls.compiler.fuzz import build_model_from_spec\n\n"
        f"SEED = {spec.seed}\nLEVEL = {level}\nFAILURE = {json.dumps(failure.kind)}\n"
        f"{_spec_source(spec)}\n\n\n"
        "def build_model():\n"
        "    return build_model_from_spec(SPEC)\n"
    )
    return path


@dataclass
class FuzzSummary:
    """What a run found; `to_json` is the last line of `llmhls fuzz --json`."""

    graphs: int = 0
    checks: int = 0
    failures: int = 0
    failures_by_class: dict[str, int] = dataclasses.field(default_factory=dict)
    reproducers: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


@dataclass(frozen=True)
class LevelResult:
    """One graph at one level: its failure (None: csim matched) and reproducer path."""

    level: int
    failure: Failure | None
    reproducer: str | None


def check_graph(
    seed: int, levels: tuple[int, ...], out_dir: Path
) -> tuple[GraphSpec, list[LevelResult]]:
    """Draw graph `seed`, check it at every level; shrink and save what fails.

    A process of its own (`run_fuzz(jobs=...)`) runs it with a private work folder.
    """
    spec = random_spec(seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="llmhls-fuzz-") as tmp:
        workdir = Path(tmp)
        for level in levels:
            failure = _checked(spec, level, workdir)
            path = None
            if failure is not None:
                small = shrink(spec, level, failure, workdir)
                if failure.kind == "mismatch":
                    failure = _with_debug_label(small, level, workdir, failure)
                path = str(write_reproducer(out_dir, small, level, failure))
            results.append(LevelResult(level, failure, path))
    return spec, results


def _start_worker(filters: list, parent: int) -> None:
    """A worker process takes its parent's warning filters (the CLI silences PyTorch's)
    and exits when its parent is gone (killed, not shut down): no orphan keeps fuzzing."""
    warnings.filters[:] = filters
    threading.Thread(target=_exit_without, args=(parent,), daemon=True).start()


def _exit_without(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def run_fuzz(
    seed: int,
    count: int,
    levels: tuple[int, ...],
    out_dir: Path,
    progress: Callable[[str], None] = lambda line: None,
    jobs: int = 1,
) -> FuzzSummary:
    """Check `count` graphs (seeds seed*1000003 + i) at every level; save shrunk failures.

    With `jobs` > 1 the graphs are checked in that many processes; the summary and
    the progress lines are the same and in the same order as with one.
    """
    summary = FuzzSummary()
    start = time.perf_counter()
    seeds = [seed * 1_000_003 + i for i in range(count)]
    with contextlib.ExitStack() as stack:
        if jobs > 1:
            context = multiprocessing.get_context("spawn")  # torch is not fork-safe
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    jobs,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(list(warnings.filters), os.getpid()),
                )
            )
            checked = pool.map(check_graph, seeds, repeat(levels), repeat(out_dir))
        else:
            checked = map(check_graph, seeds, repeat(levels), repeat(out_dir))
        for i, (spec, results) in enumerate(checked):
            summary.graphs += 1
            for result in results:
                summary.checks += 1
                verdict = "ok"
                if result.failure is not None:
                    kind = result.failure.kind
                    summary.failures += 1
                    summary.failures_by_class[kind] = summary.failures_by_class.get(kind, 0) + 1
                    summary.reproducers.append(str(result.reproducer))
                    verdict = f"{kind}: {result.failure.message} -> {result.reproducer}"
                progress(
                    f"[{i + 1}/{count}] seed {spec.seed} -O{result.level}: "
                    f"{len(spec.nodes)} nodes, {verdict}"
                )
    summary.seconds = round(time.perf_counter() - start, 1)
    return summary
