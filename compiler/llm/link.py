"""The v++ link configuration of an LLM project: every kernel port bound to a memory bank.

Without `[connectivity] sp=` lines v++ connects every m_axi port to one default
bank (UG1393, "Mapping Kernel Ports to Memory"), so all weight streams would share
one HBM channel's bandwidth, and a bank takes at most 15 ports. `assign_banks`
therefore places every buffer argument of every kernel in the manifest on a bank
of the part's main memory, reading only the manifest's argument lists, so any
kernel (today's llm_prefill / llm_decode, or an engine with one port per channel)
is linked the same way:

- a buffer is one allocation however many kernels take it (the hosts share a
  buffer by name, `kernel.group_id` permitting), so all its ports go to one bank;
- arguments bundled on one m_axi interface of a kernel must sit in one bank, as
  v++ maps interfaces, not arguments;
- an argument may carry `memory`: a bank index of the main memory chosen by the
  compiler, or a bank name such as "DDR[1]"; it is kept;
- the others go largest first to the least-filled bank with room, so large
  weights spread over the channels and no bank exceeds its capacity or 15 ports.

The chosen bank is written back into each argument as `memory` ("HBM[3]"), which
`render_link_cfg` turns into sp= lines and the manifest keeps for the hosts.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmhls.errors import InputError
from llmhls.hls_templates import render
from llmhls.project import CTYPE_SIZES
from llmhls.targets import MemorySpec, Target

LINK_CONFIG = "link.cfg"
BUILD_SCRIPT = "build_xclbin.sh"
MAX_PORTS_PER_BANK = 15  # UG1393: up to 15 kernel interfaces on one global memory bank
DEFAULT_BUNDLE = "gmem"  # Vitis HLS's m_axi bundle for an argument that names none
_BANK_RE = re.compile(r"([A-Za-z_]+)\[(\d+)\]")

Port = tuple[str, str]  # (kernel function, m_axi bundle)


@dataclass
class _Group:
    """Buffers that must share a bank: same name across kernels, or one m_axi bundle."""

    buffers: dict[str, int] = field(default_factory=dict)  # name -> bytes
    ports: set[Port] = field(default_factory=set)
    fixed: dict[str, str] = field(default_factory=dict)  # bank name -> the arg that asked for it

    @property
    def nbytes(self) -> int:
        return sum(self.buffers.values())

    @property
    def label(self) -> str:
        names = sorted(self.buffers)
        return f"buffer {names[0]}" if len(names) == 1 else f"buffers {' + '.join(names)}"


@dataclass
class _Bank:
    name: str
    capacity: int
    nbytes: int = 0
    ports: int = 0

    def fits(self, group: _Group) -> bool:
        return (
            self.nbytes + group.nbytes <= self.capacity
            and self.ports + len(group.ports) <= MAX_PORTS_PER_BANK
        )


def _buffers(kernels: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kernel function, arg) for every buffer argument, in manifest order."""
    return [
        (str(kernel["function"]), arg)
        for kernel in kernels.values()
        for arg in kernel["args"]
        if arg.get("kind") == "buffer"
    ]


def _bank_name(value: Any, target: Target, where: str) -> tuple[str, int]:
    """An arg's `memory` as (bank name, capacity): an index of the main memory or 'TAG[k]'."""
    main = target.main_memory
    if isinstance(value, int) and not isinstance(value, bool):
        memory, index = main, value
    else:
        match = _BANK_RE.fullmatch(value) if isinstance(value, str) else None
        memory = next((m for m in target.memory if match and m.sp_tag == match[1]), None)
        if match is None or memory is None:
            tags = ", ".join(f"{m.sp_tag}[k]" for m in target.memory if m.sp_tag)
            raise InputError(
                f"{where}: memory {value!r} is neither a bank index nor one of {tags} "
                f"on {target.name}"
            )
        index = int(match[2])
    if not 0 <= index < memory.channels:
        raise InputError(
            f"{where}: memory bank {index} is outside {memory.sp_tag}[0:{memory.channels - 1}] "
            f"of {target.name}"
        )
    return f"{memory.sp_tag}[{index}]", memory.capacity_bytes_per_channel


def _groups(kernels: Mapping[str, Any], target: Target) -> list[_Group]:
    """The buffers joined into groups that must share a bank (union-find over names)."""
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    by_port: dict[Port, str] = {}
    for function, arg in _buffers(kernels):
        parent.setdefault(arg["name"], arg["name"])
        port = (function, arg.get("bundle") or DEFAULT_BUNDLE)
        if port in by_port:
            parent[find(arg["name"])] = find(by_port[port])
        by_port.setdefault(port, arg["name"])
    groups: dict[str, _Group] = {}
    for function, arg in _buffers(kernels):
        group = groups.setdefault(find(arg["name"]), _Group())
        if arg.get("ctype") not in CTYPE_SIZES:
            raise InputError(
                f"{function} argument {arg['name']}: ctype {arg.get('ctype')!r} is not one of "
                f"{', '.join(CTYPE_SIZES)}"
            )
        group.buffers[arg["name"]] = int(arg["elements"]) * CTYPE_SIZES[arg["ctype"]]
        group.ports.add((function, arg.get("bundle") or DEFAULT_BUNDLE))
        if arg.get("memory") is not None:
            where = f"{function} argument {arg['name']}"
            bank, _ = _bank_name(arg["memory"], target, where)
            group.fixed.setdefault(bank, where)
    for group in groups.values():
        if len(group.fixed) > 1:
            asked = "; ".join(f"{where} asks {bank}" for bank, where in group.fixed.items())
            raise InputError(f"{group.label} must share one bank (one m_axi bundle), but {asked}")
    return list(groups.values())


def _too_big(group: _Group, bank: _Bank, memory: MemorySpec) -> InputError | None:
    """The error for a group that no bank could hold, or None when it is only crowding."""
    if group.nbytes > bank.capacity:
        return InputError(
            f"{group.label} ({group.nbytes} bytes) is larger than one {memory.kind} bank "
            f"({bank.capacity} bytes)"
        )
    if len(group.ports) > MAX_PORTS_PER_BANK:
        return InputError(
            f"{group.label} takes {len(group.ports)} ports, more than the "
            f"{MAX_PORTS_PER_BANK} one bank allows (UG1393)"
        )
    return None


def assign_banks(kernels: Mapping[str, Any], target: Target) -> dict[str, str]:
    """Bank name of every buffer argument (by name), each bank within capacity and 15 ports."""
    memory = target.main_memory
    banks: dict[str, _Bank] = {}
    for spec in target.memory:
        for index in range(spec.channels if spec.sp_tag else 0):
            name = f"{spec.sp_tag}[{index}]"
            banks[name] = _Bank(name, spec.capacity_bytes_per_channel)
    main = [banks[f"{memory.sp_tag}[{i}]"] for i in range(memory.channels)]
    groups = _groups(kernels, target)
    placed: list[tuple[_Group, _Bank]] = []
    # Fixed banks first, then the largest buffers while every bank still has room.
    for group in sorted(groups, key=lambda g: (not g.fixed, -g.nbytes, g.label)):
        if group.fixed:
            bank = banks[next(iter(group.fixed))]
            if not bank.fits(group):
                raise InputError(
                    f"{group.label} ({group.nbytes} bytes, {len(group.ports)} port(s)) does not "
                    f"fit in {bank.name} ({bank.capacity - bank.nbytes} bytes and "
                    f"{MAX_PORTS_PER_BANK - bank.ports} port(s) left)"
                )
        else:
            error = _too_big(group, main[0], memory)
            if error is not None:
                raise error
            room = [b for b in main if b.fits(group)]
            if not room:
                raise InputError(
                    f"no {memory.kind} bank of {target.name} has room left for {group.label} "
                    f"({group.nbytes} bytes, {len(group.ports)} port(s))"
                )
            bank = min(room, key=lambda b: (b.nbytes, b.ports))
        bank.nbytes += group.nbytes
        bank.ports += len(group.ports)
        placed.append((group, bank))
    return {name: bank.name for group, bank in placed for name in group.buffers}


def place_buffers(kernels: Mapping[str, Any], target: Target) -> None:
    """Write each buffer argument's bank into it as `memory` (e.g. "HBM[3]")."""
    assignment = assign_banks(kernels, target)
    for _, arg in _buffers(kernels):
        arg["memory"] = assignment[arg["name"]]


def render_link_cfg(kernels: Mapping[str, Any], header: str) -> str:
    """link.cfg for `v++ -l --config`: one compute unit per kernel, an sp= line per buffer arg."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += ["[connectivity]"]
    lines += [f"nk={k['function']}:1:{k['function']}_1" for k in kernels.values()]
    for function, arg in _buffers(kernels):
        if "memory" not in arg:
            raise InputError(f"{function} argument {arg['name']} has no memory bank")
        lines.append(f"sp={function}_1.{arg['name']}:{arg['memory']}")
    return "\n".join(lines) + "\n"


def xclbin_files(manifest: Mapping[str, Any], target: Target, header: str) -> dict[str, str]:
    """link.cfg (when the part has a platform and bank names) and build_xclbin.sh, by path.

    Places every buffer argument of `manifest`'s kernels on its bank first (see
    `place_buffers`), so the manifest written afterwards records the banks.
    """
    kernels = manifest["llm"]["kernels"]
    blocker = target.xclbin_blocker
    files: dict[str, str] = {}
    if blocker is None:
        place_buffers(kernels, target)
        files[LINK_CONFIG] = render_link_cfg(kernels, header)
    clock = float(manifest["clock_mhz"])
    files[BUILD_SCRIPT] = render(
        "build_xclbin.sh.j2",
        header_lines=header.splitlines(),
        kernels=[str(k["function"]) for k in kernels.values()],
        kernel_files=[shlex.quote(f) for f in manifest["kernel_files"]],
        platform=target.platform,
        blocker=blocker,
        clock_mhz=f"{clock:g}",
        clock_hz=round(clock * 1e6),
        pre_tcl=manifest.get("hls_ops"),
    )
    return files
