"""Reads emitted HLS C++ for the slow forms llmhls must never emit.

- no function reads an m_axi output of the kernel (a read-modify-write of
  off-chip memory: no burst, II >= 64 in Vitis, UG1448);
- every `#pragma HLS dataflow` region is in UG1399 canonical form: its arrays
  are local and non-static, each local array or stream reaches exactly two
  task calls (one producer, one consumer), and no call passes one name twice;
- no loop is both pipelined and fully unrolled (Vitis has no loop left to
  pipeline: the pipeline belongs to the loop around it), and `loop_flatten`
  sits only in a pipelined loop.
Read on the text, independently of the passes that promise it
(hls-buffer-read-back, hls-dataflow-tasks, hls-verify-dataflow).
"""

from __future__ import annotations

import re
from collections import Counter

from llmhls.passes.pipeline import split_top_level

_FUNCTION = re.compile(r"^(?:static )?void (\w+)\(\n(.*?)\n\) \{\n(.*?)^\}", re.S | re.M)
_OUTPUT_PARAM = re.compile(r"^  (?!const )[\w:<>]+\* (\w+),?$", re.M)
_LOCAL = re.compile(
    r"^  (static )?(?:hls::stream<[\w:<> ]+>|[\w:<> ]+?) (\w+)(?:\[\d+\]|\(\"\w+\"\));", re.M
)
_CALL = re.compile(r"^  (\w+)\((.*)\);$", re.M)
# A loop's header and the pragmas right after it.
_LOOP = re.compile(r"^\s*(\w+): for \(.*\{\n((?:\s*#pragma HLS .*\n)*)", re.M)


def loop_directive_conflicts(source: str) -> list[str]:
    """Loops whose pragmas contradict each other (module doc), one line each."""
    problems = []
    for label, block in _LOOP.findall(source):
        pipelined = "#pragma HLS pipeline" in block
        if pipelined and re.search(r"#pragma HLS unroll\s*$", block, re.M):
            problems.append(f"loop {label} is pipelined and fully unrolled")
        if "#pragma HLS loop_flatten" in block and not pipelined:
            problems.append(f"loop {label} is flattened but not pipelined")
    return problems


def slow_forms(source: str, top: str) -> list[str]:
    """What in `source` breaks the rules of the module doc, one line each."""
    functions = {m.group(1): (m.group(2), m.group(3)) for m in _FUNCTION.finditer(source)}
    assert top in functions, f"top function '{top}' not found in the emitted source"
    outputs = _OUTPUT_PARAM.findall(functions[top][0])
    problems = loop_directive_conflicts(source)
    for name, (_, body) in functions.items():
        for output in outputs:
            if re.search(rf"=\s*{output}\[", body):
                problems.append(f"{name} reads the m_axi output '{output}'")
        if "#pragma HLS dataflow" not in body:
            continue
        locals_ = {m.group(2): bool(m.group(1)) for m in _LOCAL.finditer(body)}
        calls = [[a.strip() for a in m.group(2).split(",")] for m in _CALL.finditer(body)]
        uses: Counter[str] = Counter()
        for args in calls:
            repeated = [a for a, n in Counter(args).items() if n > 1]
            if repeated:
                problems.append(f"{name} passes {repeated} twice to one task")
            uses.update(set(args))
        for local, is_static in locals_.items():
            if is_static:
                problems.append(f"{name}: channel '{local}' is static")
            if uses[local] != 2:
                problems.append(f"{name}: channel '{local}' reaches {uses[local]} tasks, not 2")
    return problems


# The decode engine's template style: a signature may span lines, bodies close at column 0.
_TEMPLATE_FUNCTION = re.compile(r"^void (\w+)\((.*?)\) \{\n(.*?)^\}", re.S | re.M)
_STREAM_LOCAL = re.compile(r"^\s+(static )?hls::stream<[\w:<> ]+> (\w+)(?:\[(\w+)\])?;", re.M)
_TASK_CALL = re.compile(r"^\s+(\w+)(?:<[^;]*?>)?\(([^;]*)\);", re.M)
_CONSTANT = re.compile(r"constexpr int (\w+) = (\d+);")


def engine_slow_forms(source: str, top: str) -> list[str]:
    """The module doc's rules for the decode engine's dataflow regions: every stream local,
    non-static, and each of its elements (a stream array reaches a task whole or one
    element at a time) written by one task and read by one other; each of the top's
    pointer arguments reaches one task; no function reads the logits output."""
    constants = {name: int(value) for name, value in _CONSTANT.findall(source)}
    functions = {m.group(1): (m.group(2), m.group(3)) for m in _TEMPLATE_FUNCTION.finditer(source)}
    assert top in functions, f"top function '{top}' not found in the emitted source"
    problems = []
    pointers = re.findall(r"\*\s*(\w+)", functions[top][0])
    for name, (_, body) in functions.items():
        if re.search(r"=\s*logits\[", body):
            problems.append(f"{name} reads the m_axi output 'logits'")
        if "#pragma HLS dataflow" not in body:
            continue
        calls = [(m.group(1), split_top_level(m.group(2))) for m in _TASK_CALL.finditer(body)]
        for task, args in calls:
            repeated = [a for a, n in Counter(args).items() if n > 1]
            if repeated:
                problems.append(f"{name} passes {repeated} twice to {task}")
        for match in _STREAM_LOCAL.finditer(body):
            is_static, local, size = match.groups()
            if is_static:
                problems.append(f"{name}: stream '{local}' is static")
            elements = range(constants.get(size, int(size) if size and size.isdigit() else 1))
            for element in elements:
                users = [
                    task
                    for task, args in calls
                    if local in args or f"{local}[{element}]" in args or f"&{local}" in args
                ]
                if len(users) != 2:
                    problems.append(
                        f"{name}: stream '{local}'"
                        + (f"[{element}]" if size else "")
                        + f" reaches {len(users)} tasks, not 2"
                    )
        if name == top:
            for pointer in pointers:
                users = [task for task, args in calls if pointer in args]
                if len(users) != 1:
                    problems.append(f"{name}: argument '{pointer}' reaches {len(users)} tasks")
    return problems
