"""Tests of the target-board table (llmhls/data/targets.json) and its loader."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import pytest

from llmhls.errors import LlmhlsError, OptionError
from llmhls.targets import MemorySpec, Target, get_target, parse_targets, target_names

REQUIRED = ("u250", "u280", "u55c", "vck5000", "zcu102")


def _bundled_json() -> dict:
    """The raw bundled table, for building malformed variants."""
    text = resources.files("llmhls").joinpath("data", "targets.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_required_targets_present_and_sorted() -> None:
    names = target_names()
    assert names == sorted(names)
    for name in REQUIRED:
        assert name in names


@pytest.mark.parametrize(
    ("name", "part", "dsp", "bram_18k", "uram"),
    [
        ("u280", "xcu280-fsvh2892-2L-e", 9024, 4032, 960),
        ("u55c", "xcu55c-fsvh2892-2L-e", 9024, 4032, 960),
        ("u250", "xcu250-figd2104-2L-e", 12288, 5376, 1280),
        ("zcu102", "xczu9eg-ffvb1156-2-e", 2520, 1824, 0),
        ("vck5000", "xcvc1902-vsvd1760-2MP-e-S", 1968, 1934, 463),
    ],
)
def test_datasheet_figures(name: str, part: str, dsp: int, bram_18k: int, uram: int) -> None:
    target = get_target(name)
    assert target.name == name
    assert target.part == part
    assert (target.resources.dsp, target.resources.bram_18k, target.resources.uram) == (
        dsp,
        bram_18k,
        uram,
    )
    assert target.source


def test_u280_memory() -> None:
    u280 = get_target("u280")
    hbm = u280.main_memory
    assert (hbm.kind, hbm.size_gb, hbm.channels, hbm.gbps_per_channel, hbm.total_gbps) == (
        "HBM2",
        8.0,
        32,
        14.375,
        460.0,
    )
    assert isinstance(hbm, MemorySpec)
    # PG276: one pseudo channel is a 256-bit AXI port; Shuhai (FCCM'20) measured 13.3 GB/s
    # per channel and 425 GB/s over all 32 on a U280; U280 HBM holds 256 MB per channel.
    assert hbm.port_width_bits == 256
    assert hbm.sustained_gbps_per_channel == 13.3
    assert hbm.sustained_total_gbps == 425.0
    assert hbm.capacity_mb_per_channel == 256.0
    assert "Shuhai" in hbm.bandwidth_basis
    # 13.3 GB/s at a 300 MHz kernel clock: 44.3 bytes per cycle, less than a 512-bit port asks.
    assert hbm.bytes_per_cycle_per_channel(300.0) == pytest.approx(44.33, abs=0.01)
    assert [m.kind for m in u280.memory] == ["HBM2", "DDR4"]
    assert u280.memory[1].size_gb == 32.0
    assert u280.peak_bandwidth_gbps == pytest.approx(498.4)
    assert u280.resources.lut == 1304000
    assert u280.resources.ff == 2607000


def test_memory_kinds_and_bandwidths() -> None:
    assert get_target("u55c").main_memory.size_gb == 16.0
    assert get_target("u55c").main_memory.total_gbps == 460.0
    assert get_target("u250").main_memory.kind == "DDR4"
    assert get_target("u250").main_memory.total_gbps == 77.0
    assert get_target("zcu102").main_memory.total_gbps == 19.2
    assert get_target("zcu102").resources.lut == 274080


@pytest.mark.parametrize("name", REQUIRED)
def test_every_target_is_consistent(name: str) -> None:
    target = get_target(name)
    assert target.clock_mhz > 0
    assert target.clock_period_ns == pytest.approx(1000.0 / target.clock_mhz)
    assert target.part.startswith("xc")
    for mem in target.memory:
        assert mem.total_gbps == pytest.approx(mem.channels * mem.gbps_per_channel, rel=0.01)
        assert mem.port_width_bits in (128, 256, 512)
        assert mem.source
        assert mem.sustained_gbps_per_channel <= mem.gbps_per_channel
        assert mem.sustained_total_gbps <= mem.total_gbps
        assert mem.capacity_mb_per_channel > 0
    assert target.main_memory.total_gbps == max(m.total_gbps for m in target.memory)


def test_lookup_is_case_insensitive_and_cached() -> None:
    assert get_target("U280") is get_target("u280")
    assert get_target("  Zcu102 ") is get_target("zcu102")


def test_targets_are_frozen() -> None:
    target = get_target("u250")
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.clock_mhz = 100.0  # type: ignore[misc]
    assert isinstance(target.memory, tuple)
    assert isinstance(target, Target)


def test_unknown_target_names_the_choices() -> None:
    with pytest.raises(OptionError) as info:
        get_target("u999")
    message = str(info.value)
    assert message.startswith("unknown target 'u999' (known: u250, u280, ")
    assert "\n" not in message
    assert message.endswith(")")
    for name in REQUIRED:
        assert name in message


def test_empty_target_name_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="unknown target ''"):
        get_target("")


def test_parse_rejects_inconsistent_bandwidth() -> None:
    data = _bundled_json()
    data["targets"]["u280"]["memory"][0]["total_gbps"] = 999.0
    with pytest.raises(LlmhlsError, match=r"target 'u280' memory\[0\]: total_gbps 999.0"):
        parse_targets(json.dumps(data))


def test_u55c_channels_hold_twice_the_u280s() -> None:
    assert get_target("u55c").main_memory.capacity_mb_per_channel == 512.0
    assert get_target("u55c").main_memory.sustained_total_gbps == 425.0


def test_unmeasured_memory_falls_back_to_its_peak_and_says_so() -> None:
    ddr = get_target("u250").main_memory
    assert ddr.measured_gbps_per_channel is None
    assert ddr.sustained_gbps_per_channel == ddr.gbps_per_channel
    assert ddr.sustained_total_gbps == ddr.total_gbps
    assert ddr.bandwidth_basis.startswith("theoretical peak")


def test_parse_rejects_measured_above_peak_and_partial_measurements() -> None:
    data = _bundled_json()
    data["targets"]["u280"]["memory"][0]["measured_gbps_per_channel"] = 20.0
    with pytest.raises(LlmhlsError, match="measured_gbps_per_channel exceeds"):
        parse_targets(json.dumps(data))
    data = _bundled_json()
    data["targets"]["u280"]["memory"][0]["measured_source"] = None
    with pytest.raises(LlmhlsError, match="go together"):
        parse_targets(json.dumps(data))


def test_parse_rejects_missing_and_mistyped_fields() -> None:
    data = _bundled_json()
    del data["targets"]["u250"]["part"]
    with pytest.raises(LlmhlsError, match="target 'u250': missing 'part'"):
        parse_targets(json.dumps(data))

    data = _bundled_json()
    data["targets"]["zcu102"]["resources"]["dsp"] = "2520"
    with pytest.raises(LlmhlsError, match="target 'zcu102' resources: 'dsp' has the wrong type"):
        parse_targets(json.dumps(data))

    data = _bundled_json()
    data["targets"]["u55c"]["clock_mhz"] = 0
    with pytest.raises(LlmhlsError, match="'clock_mhz' must be > 0"):
        parse_targets(json.dumps(data))


def test_parse_rejects_bad_json_and_upper_case_names() -> None:
    with pytest.raises(LlmhlsError, match="invalid JSON"):
        parse_targets("{not json")
    data = _bundled_json()
    data["targets"]["U280X"] = data["targets"]["u280"]
    with pytest.raises(LlmhlsError, match="names must be lower case"):
        parse_targets(json.dumps(data))


def test_parse_round_trips_the_bundled_table() -> None:
    table = parse_targets(json.dumps(_bundled_json()))
    assert sorted(table) == target_names()
    assert table["u280"] == get_target("u280")


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        ("u250", "xilinx_u250_gen3x16_xdma_4_1_202210_1"),
        ("u280", "xilinx_u280_gen3x16_xdma_1_202211_1"),
        ("u55c", "xilinx_u55c_gen3x16_xdma_3_202210_1"),
        ("u50", "xilinx_u50_gen3x16_xdma_5_202210_1"),
        ("vck5000", "xilinx_vck5000_gen4x8_qdma_2_202220_1"),
        ("zcu102", None),
    ],
)
def test_platforms(name: str, platform: str | None) -> None:
    """Each card names its v++ platform and where the name comes from; boards without one don't."""
    target = get_target(name)
    assert target.platform == platform
    assert (target.platform_source is None) == (platform is None)
    linkable = name in ("u250", "u280", "u55c", "u50")
    assert (target.xclbin_blocker is None) == linkable


def test_platform_needs_its_source() -> None:
    data = _bundled_json()
    data["targets"]["u280"]["platform_source"] = None
    with pytest.raises(LlmhlsError, match="platform and platform_source go together"):
        parse_targets(json.dumps(data))
