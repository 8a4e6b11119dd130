"""FPGA target boards: part string, clock, resources and off-chip memory.

The figures live as data in `llmhls/data/targets.json` (vendor data-sheet
totals) so that adding a board needs no code. The table is read once, on first
use; `get_target` is the only way user input (a `--target` value) reaches it.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

from llmhls.errors import LlmhlsError, OptionError

_DATA_FILE = "targets.json"
DEFAULT_TARGET = "u280"  # the part `llmhls compile` builds for unless --target says otherwise


@dataclass(frozen=True)
class MemorySpec:
    """One kind of off-chip memory on a board (e.g. the HBM2 stacks, or the DDR4 DIMMs)."""

    kind: str
    size_gb: float
    channels: int
    gbps_per_channel: float  # theoretical peak of one channel
    total_gbps: float  # theoretical peak of all channels
    port_width_bits: int  # data width of one channel's AXI port at the memory side
    source: str
    # Sustained figures from a named benchmark; None where none is published.
    measured_gbps_per_channel: float | None = None
    measured_total_gbps: float | None = None
    measured_source: str | None = None
    # The name v++ `[connectivity] sp=` gives this memory's banks (HBM -> HBM[k]); None: unknown.
    sp_tag: str | None = None

    @property
    def capacity_mb_per_channel(self) -> float:
        """What one channel holds: a buffer bound to one channel must fit in it."""
        return self.size_gb * 1024 / self.channels

    @property
    def capacity_bytes_per_channel(self) -> int:
        """capacity_mb_per_channel in bytes, what the link-time bank assignment fills."""
        return int(self.size_gb * 1024**3) // self.channels

    @property
    def sustained_gbps_per_channel(self) -> float:
        """What one channel delivers: measured where published, else the theoretical peak."""
        return self.measured_gbps_per_channel or self.gbps_per_channel

    @property
    def sustained_total_gbps(self) -> float:
        """What all channels deliver together: measured where published, else the peak."""
        if self.measured_total_gbps is not None:
            return self.measured_total_gbps
        return min(self.total_gbps, self.channels * self.sustained_gbps_per_channel)

    @property
    def bandwidth_basis(self) -> str:
        """Where the sustained figures come from, for reports."""
        if self.measured_source:
            return f"measured: {self.measured_source}"
        return f"theoretical peak (no published measurement): {self.source}"

    def bytes_per_cycle_per_channel(self, clock_mhz: float) -> float:
        """Bytes one channel delivers per kernel clock cycle at `clock_mhz`."""
        return self.sustained_gbps_per_channel * 1e3 / clock_mhz


@dataclass(frozen=True)
class Resources:
    """Device totals of the resources HLS reports: DSP slices, 18 Kb BRAMs, URAMs, LUTs, FFs."""

    dsp: int
    bram_18k: int
    uram: int
    lut: int
    ff: int


@dataclass(frozen=True)
class Target:
    """A board llmhls can generate an HLS project for."""

    name: str
    board: str
    part: str
    platform: str | None  # the Vitis platform v++ --platform takes; None: no xclbin flow
    platform_source: str | None
    family: str
    clock_mhz: float
    resources: Resources
    memory: tuple[MemorySpec, ...]
    source: str

    @property
    def clock_period_ns(self) -> float:
        """Clock period for `create_clock -period`."""
        return 1000.0 / self.clock_mhz

    @property
    def main_memory(self) -> MemorySpec:
        """The highest-bandwidth off-chip memory: where weights should stream from."""
        return max(self.memory, key=lambda m: m.total_gbps)

    @property
    def peak_bandwidth_gbps(self) -> float:
        """Sum of the theoretical peaks of all off-chip memories."""
        return sum(m.total_gbps for m in self.memory)

    @property
    def xclbin_blocker(self) -> str | None:
        """Why llmhls cannot link an xclbin for this part (one line), or None when it can."""
        where = f"llmhls/data/{_DATA_FILE}"
        if self.platform is None:
            return f"target {self.name} has no Vitis platform in {where}"
        if self.main_memory.sp_tag is None:
            return (
                f"target {self.name}: the v++ bank name (sp_tag) of its "
                f"{self.main_memory.kind} is not in {where}"
            )
        return None


def _bad(where: str, why: str) -> LlmhlsError:
    """One-line error for a malformed bundled table (a packaging bug, not user input)."""
    return LlmhlsError(f"llmhls/data/{_DATA_FILE}: {where}: {why}")


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Fetch obj[key], checking it exists and has the expected JSON type."""
    if key not in obj:
        raise _bad(where, f"missing '{key}'")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise _bad(where, f"'{key}' has the wrong type ({type(value).__name__})")
    return value


def _positive(obj: dict[str, Any], key: str, where: str, *, allow_zero: bool = False) -> float:
    """Fetch a finite number that is > 0 (or >= 0 when allow_zero)."""
    value = _field(obj, key, (int, float), where)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise _bad(where, f"'{key}' must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def _optional_positive(obj: dict[str, Any], key: str, where: str) -> float | None:
    """Fetch a number > 0 that may be null (a figure nobody has published)."""
    if key in obj and obj[key] is None:
        return None
    return float(_positive(obj, key, where))


def _parse_memory(raw: dict[str, Any], where: str) -> MemorySpec:
    """Build a MemorySpec, checking that total bandwidth = channels x per-channel (to 1%)."""
    spec = MemorySpec(
        kind=_field(raw, "kind", str, where),
        size_gb=float(_positive(raw, "size_gb", where)),
        channels=int(_positive(raw, "channels", where)),
        gbps_per_channel=float(_positive(raw, "gbps_per_channel", where)),
        total_gbps=float(_positive(raw, "total_gbps", where)),
        port_width_bits=int(_positive(raw, "port_width_bits", where)),
        source=_field(raw, "source", str, where),
        measured_gbps_per_channel=_optional_positive(raw, "measured_gbps_per_channel", where),
        measured_total_gbps=_optional_positive(raw, "measured_total_gbps", where),
        measured_source=_field(raw, "measured_source", (str, type(None)), where),
        sp_tag=_field(raw, "sp_tag", (str, type(None)), where),
    )
    measured = (spec.measured_gbps_per_channel, spec.measured_total_gbps, spec.measured_source)
    if any(v is not None for v in measured) and any(v is None for v in measured):
        raise _bad(
            where, "measured_gbps_per_channel, measured_total_gbps and measured_source go together"
        )
    if spec.measured_gbps_per_channel and spec.measured_gbps_per_channel > spec.gbps_per_channel:
        raise _bad(where, "measured_gbps_per_channel exceeds the theoretical gbps_per_channel")
    if spec.measured_total_gbps and spec.measured_total_gbps > spec.total_gbps:
        raise _bad(where, "measured_total_gbps exceeds the theoretical total_gbps")
    expected = spec.channels * spec.gbps_per_channel
    if not math.isclose(spec.total_gbps, expected, rel_tol=0.01):
        raise _bad(where, f"total_gbps {spec.total_gbps} != channels x gbps_per_channel {expected}")
    return spec


def _parse_target(name: str, raw: dict[str, Any]) -> Target:
    """Build one Target from its JSON object."""
    where = f"target '{name}'"
    res_raw = _field(raw, "resources", dict, where)
    res_where = f"{where} resources"
    resources_ = Resources(
        **{
            key: int(_positive(res_raw, key, res_where, allow_zero=True))
            for key in ("dsp", "bram_18k", "uram", "lut", "ff")
        }
    )
    memories = _field(raw, "memory", list, where)
    if not memories:
        raise _bad(where, "'memory' is empty")
    memory: list[MemorySpec] = []
    for i, mem in enumerate(memories):
        if not isinstance(mem, dict):
            raise _bad(f"{where} memory[{i}]", "expected an object")
        memory.append(_parse_memory(mem, f"{where} memory[{i}]"))
    if (raw.get("platform") is None) != (raw.get("platform_source") is None):
        raise _bad(where, "platform and platform_source go together")
    return Target(
        name=name,
        board=_field(raw, "board", str, where),
        part=_field(raw, "part", str, where),
        platform=_field(raw, "platform", (str, type(None)), where),
        platform_source=_field(raw, "platform_source", (str, type(None)), where),
        family=_field(raw, "family", str, where),
        clock_mhz=float(_positive(raw, "clock_mhz", where)),
        resources=resources_,
        memory=tuple(memory),
        source=_field(raw, "source", str, where),
    )


def parse_targets(text: str) -> dict[str, Target]:
    """Parse the JSON text of a targets table, keyed by lower-case name (also used by tests)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"line {exc.lineno}", f"invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise _bad("top level", "expected an object")
    raw_targets = _field(data, "targets", dict, "top level")
    table: dict[str, Target] = {}
    for name, raw in raw_targets.items():
        key = name.lower()
        if key != name:
            raise _bad(f"target '{name}'", "names must be lower case")
        if not isinstance(raw, dict):
            raise _bad(f"target '{name}'", "expected an object")
        table[key] = _parse_target(key, raw)
    if not table:
        raise _bad("targets", "no targets defined")
    return table


@functools.cache
def _table() -> dict[str, Target]:
    """The bundled table, read on first use."""
    text = resources.files("llmhls").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    return parse_targets(text)


def target_names() -> list[str]:
    """Known target names, sorted (for --help texts and error messages)."""
    return sorted(_table())


def get_target(name: str) -> Target:
    """Look a target up by name, ignoring case and surrounding spaces."""
    target = _table().get(name.strip().lower()) if isinstance(name, str) else None
    if target is None:
        raise OptionError(f"unknown target '{name}' (known: {', '.join(target_names())})")
    return target
