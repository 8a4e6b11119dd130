"""The xclbin flow of an LLM project: link.cfg bank assignment and build_xclbin.sh.

The kernels here are synthetic manifest argument lists (no compile), shaped like
today's llm_prefill / llm_decode (shared weights, tokens and logits on one bundle)
and like a decode engine with one port per HBM channel. build_xclbin.sh runs
against a fake `v++` first on PATH that records its arguments (tests/xrt_doubles.py).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from xrt_doubles import fake_vpp_path, run_build_script

from llmhls.compiler.llm.link import (
    MAX_PORTS_PER_BANK,
    assign_banks,
    place_buffers,
    render_link_cfg,
    xclbin_files,
)
from llmhls.errors import InputError
from llmhls.project import CTYPE_SIZES
from llmhls.targets import Target, get_target

MB = 1 << 20
SP_RE = re.compile(r"sp=(\w+)_1\.(\w+):(\w+\[\d+\])")


def buffer(name: str, elements: int, bundle: str, ctype: str = "float", **extra: Any) -> dict:
    return {
        "name": name,
        "kind": "buffer",
        "ctype": ctype,
        "elements": elements,
        "direction": "in",
        "bundle": bundle,
        **extra,
    }


def llm_kernels() -> dict[str, Any]:
    """Today's shape: 6 weights (one bundle each) shared by both kernels, KV cache, tokens+logits
    on one bundle; weight sizes 1..96 MB so capacity matters on a 256 MB-per-channel part."""
    weights = [
        buffer(f"w{i}", size * MB // 4, f"gmem_w{i}")
        for i, size in enumerate([96, 64, 64, 8, 1, 1])
    ]
    state = [
        buffer("k_cache", MB, "gmem_kv0", direction="inout", state="kv"),
        buffer("v_cache", MB, "gmem_kv1", direction="inout", state="kv"),
        buffer("logits", 96, "gmem_io", direction="out"),
    ]
    scalar = {"name": "pos", "kind": "scalar", "ctype": "int32_t"}
    return {
        "prefill": {
            "function": "llm_prefill",
            "args": [buffer("tokens", 16, "gmem_io", "int32_t"), scalar, *weights, *state],
        },
        "decode": {"function": "llm_decode", "args": [scalar, *copy.deepcopy(weights), *state]},
    }


def engine_kernels(channels: int = 28) -> dict[str, Any]:
    """A decode engine: one 512-bit port per HBM channel, each with the bank the compiler chose."""
    ports = [
        buffer(f"ch{i}", 4 * MB, f"gmem_ch{i}", "uint8_t", memory=(i * 5) % 32)
        for i in range(channels)
    ]
    return {"decode": {"function": "llm_engine", "args": [*ports, buffer("logits", 96, "gmem_io")]}}


def parse_link_cfg(text: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(nk lines, [(kernel, arg, bank)]) of a link.cfg; fails on any other content."""
    nk, sp = [], []
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "[connectivity]"
    for line in lines[1:]:
        if line.startswith("nk="):
            nk.append(line)
        else:
            match = SP_RE.fullmatch(line)
            assert match, line
            sp.append(match.groups())
    return nk, sp


def bank_loads(kernels: dict, sp: list[tuple[str, str, str]]) -> dict[str, tuple[int, int]]:
    """Per bank: (bytes of the distinct buffers on it, m_axi ports on it), from the parsed sp."""
    args = {
        (k["function"], a["name"]): a
        for k in kernels.values()
        for a in k["args"]
        if a["kind"] == "buffer"
    }
    buffers: dict[str, dict[str, int]] = {}
    ports: dict[str, set] = {}
    for kernel, name, bank in sp:
        arg = args[(kernel, name)]
        buffers.setdefault(bank, {})[name] = arg["elements"] * CTYPE_SIZES[arg["ctype"]]
        ports.setdefault(bank, set()).add((kernel, arg["bundle"]))
    return {bank: (sum(buffers[bank].values()), len(ports[bank])) for bank in buffers}


def check_link(kernels: dict, target: Target) -> list[tuple[str, str, str]]:
    """Place, render, parse back; check every buffer arg is mapped once and no bank overflows."""
    place_buffers(kernels, target)
    nk, sp = parse_link_cfg(render_link_cfg(kernels, "test"))
    functions = [k["function"] for k in kernels.values()]
    assert nk == [f"nk={f}:1:{f}_1" for f in functions]
    expected = sorted(
        (k["function"], a["name"])
        for k in kernels.values()
        for a in k["args"]
        if a["kind"] == "buffer"
    )
    assert sorted((kernel, name) for kernel, name, _ in sp) == expected  # each exactly once
    capacity = {
        f"{m.sp_tag}[{i}]": m.capacity_bytes_per_channel
        for m in target.memory
        for i in range(m.channels)
    }
    for bank, (nbytes, nports) in bank_loads(kernels, sp).items():
        assert nbytes <= capacity[bank], bank
        assert nports <= MAX_PORTS_PER_BANK, bank
    # The manifest records the same bank the link uses.
    for kernel in kernels.values():
        for arg in kernel["args"]:
            if arg["kind"] == "buffer":
                assert (kernel["function"], arg["name"], arg["memory"]) in sp
    return sp


def test_llm_kernels_every_buffer_mapped_once_and_shared_buffers_together() -> None:
    kernels = llm_kernels()
    sp = check_link(kernels, get_target("u280"))
    bank = {(kernel, name): b for kernel, name, b in sp}
    # A buffer both kernels take sits in one bank; tokens and logits share bundle gmem_io.
    for name in ("w0", "w5", "k_cache", "logits"):
        assert bank[("llm_prefill", name)] == bank[("llm_decode", name)], name
    assert bank[("llm_prefill", "tokens")] == bank[("llm_prefill", "logits")]
    # Largest first to the least-filled bank: the big weights land on distinct HBM channels.
    weights = {bank[("llm_decode", f"w{i}")] for i in range(6)}
    assert len(weights) == 6 and all(b.startswith("HBM[") for b in weights)


def test_ddr_part_uses_ddr_banks() -> None:
    sp = check_link(llm_kernels(), get_target("u250"))
    assert {b for _, _, b in sp} <= {f"DDR[{i}]" for i in range(4)}
    assert len({b for _, _, b in sp}) == 4  # spread over every bank


def test_explicit_memory_is_respected() -> None:
    kernels = engine_kernels()
    sp = check_link(kernels, get_target("u55c"))
    for i in range(28):
        assert ("llm_engine", f"ch{i}", f"HBM[{(i * 5) % 32}]") in sp
    # A bank name picks another memory of the part: the U280's DDR.
    kernels = llm_kernels()
    for kernel in kernels.values():
        for arg in kernel["args"]:
            if arg["name"] == "k_cache":
                arg["memory"] = "DDR[1]"
    sp = check_link(kernels, get_target("u280"))
    assert ("llm_prefill", "k_cache", "DDR[1]") in sp and ("llm_decode", "k_cache", "DDR[1]") in sp


def two_bank_u280() -> Target:
    """A U280 whose HBM has only two 256 MB banks, so that limits bite with few buffers."""
    u280 = get_target("u280")
    two = dataclasses.replace(u280.main_memory, channels=2, size_gb=0.5)
    return dataclasses.replace(u280, memory=(two,))


def test_full_banks_are_a_one_line_error() -> None:
    args = [buffer(f"w{i}", 200 * MB // 4, f"gmem_w{i}") for i in range(3)]
    with pytest.raises(InputError) as error:
        assign_banks({"decode": {"function": "k", "args": args}}, two_bank_u280())
    assert str(error.value) == (
        f"no HBM2 bank of u280 has room left for buffer w2 ({200 * MB} bytes, 1 port(s))"
    )


def test_port_limit_spreads_ports() -> None:
    """Two banks, one filled first by a big buffer: small ones go to the other until it has 15
    ports, then to the big one's bank (least filled with room), never over 15 on either."""
    target = two_bank_u280()
    args = [buffer("big", 200 * MB // 4, "gmem_big")]
    args += [buffer(f"s{i}", 16, f"gmem_s{i}") for i in range(20)]
    kernels = {"decode": {"function": "k", "args": args}}
    sp = check_link(kernels, target)
    ports = {b: sum(1 for *_, bank in sp if bank == b) for b in ("HBM[0]", "HBM[1]")}
    assert ports == {"HBM[0]": 6, "HBM[1]": 15}


def test_oversize_buffer_is_one_line_error() -> None:
    kernels = {"decode": {"function": "k", "args": [buffer("lm_head", 300 * MB // 4, "gmem_w0")]}}
    with pytest.raises(InputError) as error:
        assign_banks(kernels, get_target("u280"))
    assert str(error.value) == (
        f"buffer lm_head ({300 * MB} bytes) is larger than one HBM2 bank ({256 * MB} bytes)"
    )


@pytest.mark.parametrize(
    ("memories", "message"),
    [
        (
            [0] * 16,
            "buffer b9 (64 bytes, 1 port(s)) does not fit in HBM[0] "
            "(268434496 bytes and 0 port(s) left)",
        ),
        (["HBM[40]"], "memory bank 40 is outside HBM[0:31] of u280"),
        (["QDR[0]"], "memory 'QDR[0]' is neither a bank index nor one of HBM[k], DDR[k] on u280"),
    ],
)
def test_bad_explicit_memory(memories: list, message: str) -> None:
    args = [buffer(f"b{i}", 16, f"gmem{i}", memory=m) for i, m in enumerate(memories)]
    with pytest.raises(InputError, match=re.escape(message)):
        assign_banks({"decode": {"function": "k", "args": args}}, get_target("u280"))


def test_one_bundle_two_explicit_banks_is_an_error() -> None:
    args = [buffer("a", 16, "gmem", memory=1), buffer("b", 16, "gmem", memory=2)]
    with pytest.raises(InputError, match=r"buffers a \+ b must share one bank"):
        assign_banks({"decode": {"function": "k", "args": args}}, get_target("u280"))


# -- build_xclbin.sh -----------------------------------------------------------------------------


def manifest(target: str) -> dict[str, Any]:
    files = ["kernel/head.cpp", "kernel/llm_top.cpp"]
    return {
        "clock_mhz": 250.0,
        "kernel_files": files,
        "target": target,
        "llm": {"kernels": llm_kernels()},
    }


def write_project(tmp_path: Path, target: str) -> Path:
    out = tmp_path / "project"
    out.mkdir()
    for name, text in xclbin_files(manifest(target), get_target(target), "test project").items():
        (out / name).write_text(text)
        (out / name).chmod(0o755)
    return out


def test_build_script_syntax_and_platform(tmp_path: Path) -> None:
    project = write_project(tmp_path, "u55c")
    script = project / "build_xclbin.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert 'PLATFORM="${PLATFORM:-xilinx_u55c_gen3x16_xdma_3_202210_1}"' in script.read_text()


@pytest.mark.parametrize("target", ["hw_emu", "hw"])
def test_build_script_runs_vpp(tmp_path: Path, target: str) -> None:
    project = write_project(tmp_path, "u280")
    args = [] if target == "hw_emu" else [target]  # hw_emu is the default
    result = run_build_script(project, fake_vpp_path(tmp_path), *args)
    assert result.returncode == 0, result.stderr
    calls = (project / "vpp.log").read_text().splitlines()
    platform = "--platform xilinx_u280_gen3x16_xdma_1_202211_1"
    out = f"build/{target}"
    assert calls == [
        f"-c -t {target} {platform} -k {kernel} --hls.clock 250000000:{kernel} -I kernel "
        f"--temp_dir {out}/_x --log_dir {out}/logs -o {out}/{kernel}.xo "
        "kernel/head.cpp kernel/llm_top.cpp"
        for kernel in ("llm_prefill", "llm_decode")
    ] + [
        f"-l -t {target} {platform} --config link.cfg --kernel_frequency 250 "
        f"--temp_dir {out}/_x --log_dir {out}/logs -o build/llm.xclbin "
        f"{out}/llm_prefill.xo {out}/llm_decode.xo"
    ]
    assert (project / "build" / "llm.xclbin").is_file()


def test_build_script_errors(tmp_path: Path) -> None:
    project = write_project(tmp_path, "u280")
    no_vpp = "/usr/bin:/bin"
    result = run_build_script(project, no_vpp)
    assert result.returncode == 127
    assert result.stderr == (
        "build_xclbin.sh: v++ is not on PATH (source <Vitis install>/settings64.sh first)\n"
    )
    result = run_build_script(project, no_vpp, "sw_emu")
    assert (result.returncode, result.stderr) == (
        2,
        "build_xclbin.sh: target 'sw_emu' is not hw_emu or hw\n",
    )


def test_part_without_platform_gets_a_script_that_says_so(tmp_path: Path) -> None:
    project = write_project(tmp_path, "zcu102")
    assert not (project / "link.cfg").exists()
    result = run_build_script(project, "/usr/bin:/bin", "hw")
    assert (result.returncode, result.stderr) == (
        2,
        "build_xclbin.sh: target zcu102 has no Vitis platform in llmhls/data/targets.json, so "
        "llmhls wrote no link.cfg and cannot build an xclbin\n",
    )
