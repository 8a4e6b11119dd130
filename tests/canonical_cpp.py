"""Reads emitted HLS C++ for the slow forms llmhls must never emit.

- no function reads an m_axi output of the kernel (a read-modify-write of
  off-chip memory: no burst, II >= 64 in Vitis, UG1448);
- every `#pragma HLS dataflow` region is in UG1399 canonical form: its arrays
  are local and non-static, each local array or stream reaches exactly two
  task calls (one producer, one consumer), and no call passes one name twice.
Read on the text, independently of the passes that promise it
(hls-buffer-read-back, hls-dataflow-tasks, hls-verify-dataflow).
"""

from __future__ import annotations

import re
from collections import Counter

_FUNCTION = re.compile(r"^(?:static )?void (\w+)\(\n(.*?)\n\) \{\n(.*?)^\}", re.S | re.M)
_OUTPUT_PARAM = re.compile(r"^  (?!const )[\w:<>]+\* (\w+),?$", re.M)
_LOCAL = re.compile(
    r"^  (static )?(?:hls::stream<[\w:<> ]+>|[\w:<> ]+?) (\w+)(?:\[\d+\]|\(\"\w+\"\));", re.M
)
_CALL = re.compile(r"^  (\w+)\((.*)\);$", re.M)


def slow_forms(source: str, top: str) -> list[str]:
    """What in `source` breaks the rules of the module doc, one line each."""
    functions = {m.group(1): (m.group(2), m.group(3)) for m in _FUNCTION.finditer(source)}
    assert top in functions, f"top function '{top}' not found in the emitted source"
    outputs = _OUTPUT_PARAM.findall(functions[top][0])
    problems = []
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
