"""`llmhls debug`: find the first dataflow task whose output diverges from PyTorch.

csim only says that an output is wrong. To say where, the project's kernel is
copied with a dump call after every task call of its dataflow region, or, in a
kernel without tasks (-O0, -O1), after every top-level loop nest of the top
function (the copy is built with -DLLMHLS_DUMP in DIR/debug_build; the
project's sources are never changed, so synthesis never sees the dumps). The
emitted C++ is read as text, so a hand-edited kernel is debugged as it stands.
The testbench runs as in csim; each array or stream a task writes is then
compared, in execution order, with the PyTorch value it should hold:

- a load task's buffer with the interface data it copies (inputs, weights);
- a store task's output with the golden output;
- any other task's buffer with the latest node of the decomposed FX graph
  (the graph the importer labelled) among the nodes whose loops the task
  holds, plus the nodes fused into them without loops of their own, that has
  the buffer's element count.

The first array outside the project's tolerance names the task, the loop that
last writes it, the FX node and the user's source line.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmhls.compiler.csim import Project, _run_testbench, load_project
from llmhls.compiler.testbench import Check, compare
from llmhls.errors import CSimError, UnsupportedError
from llmhls.project import DTYPES, ROLE_DIRS, Interface
from llmhls.toolchain import compile_objects, link_binary

BUILD_DIR = "debug_build"
DEFINE = "LLMHLS_DUMP"
_NUMPY_OF_CTYPE = {dtype.ctype: np.dtype(dtype.numpy) for dtype in DTYPES.values()}
_FUNCTION = re.compile(r"^(static )?void (\w+)\(\n([^()]*?)\n\) \{\n(.*?)^\}$", re.M | re.S)
_ARRAY_PARAM = re.compile(r"^\s*(const )?([\w:]+) (\w+)\[(\d+)\]$")
_POINTER_PARAM = re.compile(r"^\s*(const )?([\w:]+)\* (\w+)$")
_STREAM_PARAM = re.compile(r"^\s*hls::stream<([\w:]+)>& (\w+)$")
_CALL = re.compile(r"^(\s*)(\w+)\(([^()]*)\);$", re.M)
_LOOP = re.compile(r"^\s*(L_\w+)_(\d+): for ")
_OUTER_LOOP = re.compile(r"^  (L_\w+_\d+): for .*\{$")
_LOCAL_ARRAY = re.compile(r"^\s*(?:static )?([\w:]+) (\w+)\[(\d+)\];", re.M)
_STORE = re.compile(r"^\s*(\w+)\[.*\] = ", re.M)
_TOLERANCE_NOTE = "rel {rel:g}, floor {floor:g}"


@dataclass(frozen=True)
class Param:
    """One array or stream parameter of an emitted function."""

    name: str
    ctype: str
    size: int  # elements; 0 for a top-level pointer or a stream
    written: bool
    stream: bool = False


@dataclass(frozen=True)
class Function:
    name: str
    params: list[Param | None]  # None for a scalar parameter
    body: str
    nest: bool = False  # a top-level loop nest of a kernel without tasks, not a function


@dataclass(frozen=True)
class Dump:
    """An array a task wrote, as the instrumented kernel saved it."""

    seq: int
    task: str
    param: str
    array: str
    reads: tuple[str, ...]  # the caller's arrays passed to the task's read-only parameters
    values: np.ndarray


@dataclass(frozen=True)
class Expected:
    """The PyTorch value an array should hold, and where it came from."""

    node: str
    value: np.ndarray
    is_float: bool
    source_line: str = ""


@dataclass
class Divergence:
    task: str
    loop: str
    array: str
    node: str
    source_line: str
    max_abs_error: float
    max_rel_error: float
    shape: list[int]
    # Earlier tasks of the same PyTorch op whose arrays no node holds (so they went
    # unchecked): the divergence may start in one of them.
    suspects: list[str]


@dataclass
class DebugResult:
    """What `llmhls debug` found: the first divergence (None if all match) and what it checked."""

    divergence: Divergence | None
    checked: list[dict[str, Any]]
    unmapped: list[str]
    tolerance: str

    def summary(self) -> str:
        lines = [
            f"{row['task']}.{row['array']} vs {row['node']}: "
            f"{'ok' if row['passed'] else 'DIVERGES'} (max abs err {_fmt(row['max_abs_error'])})"
            for row in self.checked
        ]
        if self.unmapped:
            lines.append(f"not checked (no PyTorch node holds it): {', '.join(self.unmapped)}")
        d = self.divergence
        if d is None:
            lines.append(f"no divergence: every task's arrays match PyTorch ({self.tolerance})")
        else:
            where = f" ({d.source_line})" if d.source_line else ""
            loop = f", loop {d.loop}" if d.loop else ""
            lines.append(
                f"first divergence: task {d.task}{loop}, array {d.array} vs PyTorch node "
                f"{d.node}{where}: max abs err {_fmt(d.max_abs_error)}, "
                f"max rel err {_fmt(d.max_rel_error)} ({self.tolerance})"
            )
            if d.suspects:
                lines.append(
                    "it may start earlier, in a task of the same op whose arrays PyTorch "
                    f"never holds: {', '.join(d.suspects)}"
                )
        return "\n".join(lines)

    def label(self) -> str:
        """One line naming the first divergence, for `llmhls fuzz` reproducers."""
        d = self.divergence
        if d is None:
            return "llmhls debug: no task diverges"
        loop = f" (loop {d.loop})" if d.loop else ""
        return (
            f"llmhls debug: first divergence in task {d.task}{loop}, array {d.array} vs "
            f"PyTorch node {d.node}, max abs err {_fmt(d.max_abs_error)}"
        )

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "diverged": self.divergence is not None,
            "checked": len(self.checked),
        }
        if self.divergence is not None:
            d = self.divergence
            data |= {
                "task": d.task,
                "loop": d.loop,
                "array": d.array,
                "node": d.node,
                "source_line": d.source_line,
                "max_abs_error": _json_number(d.max_abs_error),
                "max_rel_error": _json_number(d.max_rel_error),
                "shape": d.shape,
                "suspects": d.suspects,
            }
        return json.dumps(data, sort_keys=True, allow_nan=False)


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- C++ side


def parse_functions(source: str) -> dict[str, Function]:
    """The emitted functions (the emitter's layout: one parameter a line, `}` at column 0)."""
    functions: dict[str, Function] = {}
    for match in _FUNCTION.finditer(source):
        params: list[Param | None] = []
        for text in match.group(3).split(",\n"):
            array = _ARRAY_PARAM.match(text)
            pointer = _POINTER_PARAM.match(text)
            if array:
                const, ctype, name, size = array.groups()
                params.append(Param(name, ctype, int(size), not const))
            elif pointer:
                const, ctype, name = pointer.groups()
                params.append(Param(name, ctype, 0, not const))
            elif stream := _STREAM_PARAM.match(text):
                ctype, name = stream.groups()
                written = f"{name}.write(" in match.group(4)
                params.append(Param(name, ctype, 0, written, stream=True))
            else:
                params.append(None)
        functions[match.group(2)] = Function(match.group(2), params, match.group(4))
    return functions


def loop_nests(function: Function, port_sizes: dict[str, int]) -> list[Function]:
    """The top-level loop nests of a function without tasks (-O0, -O1), as units to dump.

    Each holds the arrays it stores to: local buffers and output ports (sized by the
    manifest, as a pointer carries no extent).
    """
    sizes = {name: (ctype, int(n)) for ctype, name, n in _LOCAL_ARRAY.findall(function.body)}
    for param in function.params:
        if param is not None and param.written and param.name in port_sizes:
            sizes[param.name] = (param.ctype, port_sizes[param.name])
    nests, lines = [], function.body.splitlines(keepends=True)
    for start, line in enumerate(lines):
        head = _OUTER_LOOP.match(line)
        if head is None:
            continue
        end = next(i for i in range(start + 1, len(lines)) if lines[i] == "  }\n")
        text = "".join(lines[start : end + 1])
        stored = dict.fromkeys(name for name in _STORE.findall(text) if name in sizes)
        params = [Param(name, *sizes[name], True) for name in stored]
        nests.append(Function(head.group(1), list[Param | None](params), text, nest=True))
    return nests


def instrument(
    source: str, top: str, dump_dir: Path, port_sizes: dict[str, int]
) -> tuple[str, int]:
    """`source` with a dump of each written array after every task call (or, without
    tasks, after every top-level loop nest of the top function); (text, dump points)."""
    functions = parse_functions(source)
    regions = [f for f in functions.values() if f.name == top or "#pragma HLS dataflow" in f.body]
    calls = 0
    for region in regions:
        new_body = _instrument_body(region.body, functions)
        calls += new_body.count(f"#ifdef {DEFINE}")
        source = source.replace(region.body, new_body, 1)
    if calls == 0 and top in functions:
        ports = [p.name for p in functions[top].params if p is not None and not p.written]
        for nest in loop_nests(functions[top], port_sizes):
            reads = ",".join(port for port in ports if f" = {port}[" in nest.body)
            dumps = [
                f'  llmhls_dump("{nest.name}", "{p.name}", "{p.name}", "{reads}", {p.name}, '
                f"sizeof({p.ctype}) * {p.size});"
                for p in nest.params
                if p is not None
            ]
            if dumps:
                block = "\n".join([f"#ifdef {DEFINE}", *dumps, "#endif\n"])
                source = source.replace(nest.body, nest.body + block, 1)
                calls += 1
    helper = (
        f"#ifdef {DEFINE}\n#include <cstdio>\n"
        "static void llmhls_dump(const char* task, const char* param, const char* array,\n"
        "                        const char* reads, const void* data, unsigned long bytes) {\n"
        "  static int seq = 0;\n  char path[4096];\n"
        f'  std::snprintf(path, sizeof path, "%s/%06d.bin", {json.dumps(str(dump_dir))}, seq);\n'
        '  FILE* out = std::fopen(path, "wb");\n'
        "  if (out) { std::fwrite(data, 1, bytes, out); std::fclose(out); }\n"
        f'  std::snprintf(path, sizeof path, "%s/index.tsv", {json.dumps(str(dump_dir))});\n'
        '  out = std::fopen(path, "a");\n'
        "  if (out) {\n"
        '    std::fprintf(out, "%d\\t%s\\t%s\\t%s\\t%s\\n", seq, task, param, array, reads);\n'
        "    std::fclose(out);\n  }\n"
        "  ++seq;\n}\n"
    )
    if '#include "hls_stream.h"' in source:  # a stream is drained and refilled in order
        helper += (
            "#include <cstring>\n#include <vector>\ntemplate <typename T>\n"
            "static void llmhls_dump_stream(const char* task, const char* param,\n"
            "                               const char* array, const char* reads,\n"
            "                               hls::stream<T>& channel) {\n"
            "  std::vector<unsigned char> bytes;\n"
            "  for (std::size_t k = 0, n = channel.size(); k < n; ++k) {\n"
            "    const T value = channel.read();\n"
            "    bytes.resize(bytes.size() + sizeof(T));\n"
            "    std::memcpy(&bytes[bytes.size() - sizeof(T)], &value, sizeof(T));\n"
            "    channel.write(value);\n  }\n"
            "  llmhls_dump(task, param, array, reads, bytes.data(), bytes.size());\n}\n"
        )
    helper += "#endif\n\n"
    first = _FUNCTION.search(source)
    at = first.start() if first else len(source)  # after the includes and prototypes
    return source[:at] + helper + source[at:], calls


def _instrument_body(body: str, functions: dict[str, Function]) -> str:
    def dump_after(match: re.Match[str]) -> str:
        indent, callee, arg_text = match.groups()
        function = functions.get(callee)
        if function is None:
            return match.group(0)
        args = [a.strip() for a in arg_text.split(",")] if arg_text.strip() else []
        pairs = list(zip(function.params, args, strict=False))
        reads = ",".join(arg for p, arg in pairs if p is not None and not p.written)
        dumps = [
            f'{indent}llmhls_dump_stream("{callee}", "{p.name}", "{arg}", "{reads}", {arg});'
            if p.stream
            else f'{indent}llmhls_dump("{callee}", "{p.name}", "{arg}", "{reads}", {arg}, '
            f"sizeof({p.ctype}) * {p.size});"
            for p, arg in pairs
            if p is not None and p.written and (p.size > 0 or p.stream)
        ]
        if not dumps:
            return match.group(0)
        return "\n".join([match.group(0), f"#ifdef {DEFINE}", *dumps, "#endif"])

    return _CALL.sub(dump_after, body)


def writing_loop(function: Function, param: str) -> str:
    """The label of the loop that last stores to `param` in `function` ("" if none)."""
    store = re.compile(rf"^\s*{re.escape(param)}(\[.*\] = |\.write\()")
    label, found = "", ""
    for line in function.body.splitlines():
        loop = _LOOP.match(line)
        if loop:
            label = f"{loop.group(1)}_{loop.group(2)}"
        elif store.match(line):
            found = label
    return found


def run_dumps(
    project_dir: Path, *, timeout_s: float = 600.0
) -> tuple[list[Dump], Project, dict[str, Function]]:
    """Build the instrumented kernel with the testbench, run it, read every dump back.

    Returns the dumps in execution order, the project and its units (functions, plus
    the loop nests of a kernel without tasks) by name.
    """
    project = load_project(project_dir)
    manifest, root = project.manifest, project.root
    build_dir = root / BUILD_DIR
    src_dir = build_dir / "src"
    try:
        src_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CSimError(f"{build_dir}: cannot create the build folder ({err})") from err
    with tempfile.TemporaryDirectory(prefix="llmhls-debug-") as tmp_name:
        tmp = Path(tmp_name)
        dump_dir, results = tmp / "dumps", tmp / "results"
        dump_dir.mkdir()
        results.mkdir()
        sources, functions, calls = [], {}, 0
        ports = {i.arg: int(np.prod(i.shape, dtype=np.int64)) for i in manifest.interfaces}
        for kernel in project.sources[:-1]:
            text = kernel.read_text()
            functions |= parse_functions(text)
            if kernel.suffix in (".cpp", ".cc", ".cxx"):
                text, found = instrument(text, manifest.top, dump_dir, ports)
                calls += found
            copy = src_dir / kernel.name
            if not copy.is_file() or copy.read_text() != text:
                copy.write_text(text)
            sources.append(copy)
        if calls == 0:
            raise UnsupportedError(
                f"{root / manifest.kernel_files[0]}: found neither task calls nor loop nests "
                f"in the top function '{manifest.top}' to dump"
            )
        if manifest.top in functions:  # without tasks, the loop nests are the units
            functions |= {n.name: n for n in loop_nests(functions[manifest.top], ports)}
        objects, _ = compile_objects(
            root,
            [*sources, project.sources[-1]],
            build_dir,
            [root / "kernel"],
            extra_flags=(f"-D{DEFINE}",),
        )
        binary = build_dir / f"tb_{manifest.top}_debug"
        link_binary(objects, binary)
        _run_testbench(  # exit 1 (a mismatch) is what brings users here
            binary,
            root,
            root / ROLE_DIRS["input"],
            root / ROLE_DIRS["output"],
            results,
            timeout_s,
        )
        dumps = _read_dumps(dump_dir, functions)
    return dumps, project, functions


def _read_dumps(dump_dir: Path, functions: dict[str, Function]) -> list[Dump]:
    index = dump_dir / "index.tsv"
    if not index.is_file():
        raise CSimError(f"the instrumented testbench wrote no dumps to {dump_dir}")
    dumps, seen = [], set()
    for line in index.read_text().splitlines():
        seq, task, param, array, reads = line.split("\t")
        if (task, param) in seen:  # a testbench that calls the kernel again: keep the first
            continue
        seen.add((task, param))
        spec = next(p for p in functions[task].params if p is not None and p.name == param)
        values = np.fromfile(dump_dir / f"{int(seq):06d}.bin", dtype=_NUMPY_OF_CTYPE[spec.ctype])
        dumps.append(
            Dump(int(seq), task, param, array, tuple(filter(None, reads.split(","))), values)
        )
    return sorted(dumps, key=lambda d: d.seq)


# --------------------------------------------------------------------------- PyTorch side


def torch_intermediates(program_path: Path, inputs: list[np.ndarray]) -> tuple[Any, dict]:
    """Every node's value of the decomposed graph (the graph the importer labels)."""
    import torch

    from llmhls.compiler.decompositions import decomposition_table
    from llmhls.compiler.frontend import load_program

    program = load_program(program_path).run_decompositions(decomposition_table())
    module = program.module()
    values: dict[str, Any] = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, node: torch.fx.Node) -> Any:
            result = super().run_node(node)
            values[node.name] = result
            return result

    with torch.no_grad():
        Recorder(module).run(*[torch.from_numpy(a.copy()) for a in inputs])
    return program, values


def source_line(node: Any) -> str:
    """`file:line` of the user's code that made `node` (the last frame outside torch)."""
    trace = node.meta.get("stack_trace") or ""
    frames = re.findall(r'File "([^"]+)", line (\d+)', trace)
    user = [f for f in frames if "/torch/" not in f[0]] or frames
    return f"{user[-1][0]}:{user[-1][1]}" if user else ""


@dataclass(frozen=True)
class Candidates:
    """The values a dumped array may hold, latest graph node first.

    `strict`: the first is the one it must hold (a port's data, or the final value of
    the ops a task finishes). Otherwise the task is one part of an op that later tasks
    continue (a layer norm's statistics, say): any candidate that matches is taken, and
    an array none matches is one PyTorch never materializes, so it is left unchecked.
    """

    values: list[Expected]
    strict: bool


def expected_values(
    dumps: list[Dump], project: Project, functions: dict[str, Function]
) -> dict[int, Candidates]:
    """The PyTorch values each dumped array may hold, by dump sequence number."""
    from llmhls.compiler.importer import _op_label
    from llmhls.passes.analysis.ir_utils import label_loop_base

    manifest, root = project.manifest, project.root
    data = {iface.arg: (iface, _read_interface(root, iface)) for iface in manifest.interfaces}
    inputs = [data[i.arg][1].reshape(i.shape) for i in manifest.of_role("input")]
    program, values = torch_intermediates(root / "program.pt2", inputs)
    nodes = [n for n in program.graph.nodes if n.op == "call_function"]
    base_of = {n.name: label_loop_base(_op_label(n)) for n in nodes}
    bases_of = {name: _loop_bases(f) for name, f in functions.items()}
    kernel_bases = set().union(*bases_of.values())
    tasks = list(dict.fromkeys(dump.task for dump in dumps))  # execution order
    expected: dict[int, Candidates] = {}
    for dump in dumps:
        port = "_store" in dump.task or "_load" in dump.task  # a nest that copies a port
        interface = _interface_of(dump, data) if port or not functions[dump.task].nest else None
        if interface is not None:
            iface, value = interface
            expected[dump.seq] = Candidates(
                [Expected(iface.name, value, iface.info.is_float)], True
            )
            continue
        bases = bases_of[dump.task]
        owned = {n.name for n in nodes if base_of[n.name] in bases}
        owned |= _fused_users(nodes, owned, lambda n: base_of[n.name] not in kernel_bases)
        later = tasks[tasks.index(dump.task) + 1 :]
        finishes = not any(bases & bases_of[task] for task in later)
        final = {
            name
            for name in owned
            if not any(user.name in owned for user in _node(nodes, name).users)
        }
        is_float = dump.values.dtype.kind == "f"  # an int array beside floats is an argmax, say
        fits = [
            n
            for n in reversed(nodes)
            if n.name in owned
            and _numel(values.get(n.name)) == dump.values.size
            and values[n.name].dtype.is_floating_point == is_float
        ]
        strict = finishes and any(n.name in final for n in fits)
        if strict:
            fits = [n for n in fits if n.name in final]
        if fits:
            expected[dump.seq] = Candidates([_expected(n, values[n.name]) for n in fits], strict)
    return expected


def _loop_bases(function: Function) -> set[str]:
    """The `L_<module>_<op>` bases of the loops in `function`: the PyTorch ops it runs."""
    return {m.group(1) for m in map(_LOOP.match, function.body.splitlines()) if m}


def _node(nodes: list[Any], name: str) -> Any:
    return next(n for n in nodes if n.name == name)


def _expected(node: Any, tensor: Any) -> Expected:
    return Expected(
        node.name,
        tensor.detach().numpy().reshape(-1),
        tensor.dtype.is_floating_point,
        source_line(node),
    )


def _fused_users(nodes: list[Any], owned: set[str], loopless: Any) -> set[str]:
    """Nodes without loops of their own that consume `owned` ones (fused into their loops)."""
    found: set[str] = set()
    for node in nodes:  # graph order: producers come first
        producers = {a.name for a in node.all_input_nodes}
        if loopless(node) and producers & (owned | found):
            found.add(node.name)
    return found


def _interface_of(
    dump: Dump, data: dict[str, tuple[Interface, np.ndarray]]
) -> tuple[Interface, np.ndarray] | None:
    """A load task's port (it copies one input or weight) or a store task's output port."""
    if dump.array in data:  # a store task writes the output port itself
        return data[dump.array]
    for arg in dump.reads:
        iface, value = data.get(arg, (None, None))
        if iface is None or iface.role == "output":
            continue
        if value.size == dump.values.size or "_load" in dump.task:  # a short copy diverges too
            return iface, value
    return None


def _read_interface(root: Path, iface: Interface) -> np.ndarray:
    return np.fromfile(root / iface.rel_file, dtype=np.dtype(iface.info.numpy))


def _numel(value: Any) -> int:
    return int(value.numel()) if hasattr(value, "numel") else -1


def _compare(values: np.ndarray, want: Expected, manifest: Any) -> Check:
    """`compare` with the project's tolerance; an array of the wrong length fails outright."""
    if values.size != want.value.size:
        return Check(math.inf, math.inf, math.inf, False)
    return compare(
        values,
        want.value,
        is_float=want.is_float,
        rel_tol=manifest.rel_tolerance,
        floor_tol=manifest.floor_tolerance,
    )


def _suspects(task: str, unchecked: list[str], functions: dict[str, Function]) -> list[str]:
    """The unchecked tasks before `task` that run loops of the same PyTorch op."""
    bases = _loop_bases(functions[task])
    names = dict.fromkeys(entry.split(".", 1)[0] for entry in unchecked)
    return [name for name in names if name != task and bases & _loop_bases(functions[name])]


def debug_project(project_dir: Path, *, timeout_s: float = 600.0) -> DebugResult:
    """Run the kernel's tasks with their arrays dumped and find the first that diverges."""
    dumps, project, functions = run_dumps(project_dir, timeout_s=timeout_s)
    expected = expected_values(dumps, project, functions)
    manifest = project.manifest
    tolerance = _TOLERANCE_NOTE.format(rel=manifest.rel_tolerance, floor=manifest.floor_tolerance)
    checked: list[dict[str, Any]] = []
    unmapped: list[str] = []
    divergence = None
    for dump in dumps:
        options = expected.get(dump.seq)
        wants = options.values if options else []
        checks = [_compare(dump.values, want, manifest) for want in wants]
        passing = [i for i, check in enumerate(checks) if check.passed]
        if not checks or (not passing and not options.strict):
            unmapped.append(f"{dump.task}.{dump.array}")
            continue
        # The match, else the value it must hold (the latest final node).
        pick = passing[0] if passing else 0
        want, check = wants[pick], checks[pick]
        checked.append(
            {
                "task": dump.task,
                "array": dump.array,
                "node": want.node,
                "max_abs_error": check.max_abs_err,
                "passed": check.passed,
            }
        )
        if not check.passed:
            divergence = Divergence(
                task=dump.task,
                loop=writing_loop(functions[dump.task], dump.param),
                array=dump.array,
                node=want.node,
                source_line=want.source_line,
                max_abs_error=check.max_abs_err,
                max_rel_error=check.max_rel_err,
                shape=[int(dump.values.size)],
                suspects=_suspects(dump.task, unmapped, functions),
            )
            break
    return DebugResult(divergence, checked, unmapped, tolerance)
