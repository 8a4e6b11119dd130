"""llmhls/project.py: one checked reading of manifest.json and one rule for output folders."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from llmhls.errors import InputError
from llmhls.project import (
    KernelManifest,
    LlmManifest,
    check_output_dir,
    is_llm_manifest,
    load_kernel_manifest,
    load_llm_manifest,
    load_manifest,
)


def kernel_manifest() -> dict[str, Any]:
    def iface(name: str, role: str, shape: list[int]) -> dict[str, Any]:
        return {"name": name, "arg": name, "role": role, "shape": shape, "dtype": "float32"}

    return {
        "llmhls_version": "0.1.0",
        "model": "m",
        "top": "m",
        "target": "u280",
        "part": "xcu280-fsvh2892-2L-e",
        "clock_mhz": 300.0,
        "kernel_files": ["kernel/m.cpp"],
        "kernel_headers": ["kernel/m.h"],
        "testbench": "tb/tb_m.cpp",
        "tolerance": {"rel": 1e-3},
        "opt_level": 2,
        "pipelines": {},
        "interfaces": [iface("x", "input", [2, 3]), iface("y", "output", [2])],
    }


def llm_manifest() -> dict[str, Any]:
    scalar = {"kind": "scalar", "ctype": "int32_t"}
    logits = {
        "name": "logits",
        "kind": "buffer",
        "ctype": "float",
        "elements": 8,
        "direction": "out",
    }
    kv = {"name": "k", "kind": "buffer", "ctype": "float", "elements": 4, "state": "kv"}
    tokens = {"name": "tokens", "kind": "buffer", "ctype": "int32_t", "elements": 2}
    return {
        **{k: v for k, v in kernel_manifest().items() if k not in ("top", "testbench")},
        "kind": "llm",
        "source": "model.gguf",
        "llm": {
            "vocab_size": 8,
            "max_context": 4,
            "weights": "int8",
            "head_weights": "int8",
            "tokenizer": None,
            "kernels": {
                "prefill": {
                    "function": "llm_prefill",
                    "args": [
                        tokens,
                        {"name": "n_tokens", **scalar},
                        {"name": "start_pos", **scalar},
                        kv,
                        logits,
                    ],
                },
                "decode": {
                    "function": "llm_decode",
                    "args": [{"name": "token", **scalar}, {"name": "pos", **scalar}, kv, logits],
                },
            },
        },
    }


def write(root: Path, manifest: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_kernel_and_llm_projects_load_typed(tmp_path: Path) -> None:
    kernel = load_manifest(write(tmp_path / "k", kernel_manifest()))
    assert isinstance(kernel, KernelManifest) and not kernel.is_llm
    assert kernel.top == "m" and kernel.rel_tolerance == 1e-3 and kernel.clock_mhz == 300.0
    assert [i.arg for i in kernel.of_role("input")] == ["x"]
    assert kernel.root == tmp_path / "k"
    llm = load_llm_manifest(write(tmp_path / "l", llm_manifest()))
    assert isinstance(llm, LlmManifest) and llm.is_llm
    assert llm.llm.max_context == 4 and llm.llm.decode.function == "llm_decode"
    assert llm.weights == "int8" and llm.tokenizer is None
    assert is_llm_manifest(llm.data) and not is_llm_manifest(kernel.data)
    with pytest.raises(InputError, match="holds a kernel project, not an LLM one"):
        load_llm_manifest(tmp_path / "k")
    with pytest.raises(InputError, match="holds an LLM project, not a single kernel"):
        load_kernel_manifest(tmp_path / "l")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.pop("part"), r"manifest\.json: missing field 'part'"),
        (lambda m: m.update(clock_mhz="fast"), r"'clock_mhz' must be int or float, got 'fast'"),
        (lambda m: m.update(clock_mhz=True), r"'clock_mhz' must be int or float, got True"),
        (lambda m: m.update(kernel_files=[]), r"'kernel_files' must be a non-empty list of paths"),
        (lambda m: m.update(top="a-b"), r"'top' must be a C identifier"),
        (lambda m: m.pop("testbench"), r"missing field 'testbench'"),
        (lambda m: m["interfaces"][0].update(role="bias"), r"role 'bias' is not one of"),
    ],
)
def test_kernel_manifest_errors_name_the_field(tmp_path: Path, edit, message: str) -> None:
    manifest = kernel_manifest()
    edit(manifest)
    with pytest.raises(InputError, match=message) as err:
        load_manifest(write(tmp_path, manifest))
    assert str(tmp_path / "manifest.json") in str(err.value)
    assert len(str(err.value).splitlines()) == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["llm"].pop("weights"), r"missing field 'llm\.weights'"),
        (lambda m: m["llm"].update(max_context=0), r"llm\.max_context must be a positive"),
        (
            lambda m: m["llm"]["kernels"].update(decode=[]),
            r"llm\.kernels\.decode must be an object",
        ),
        (lambda m: m.pop("source"), r"missing field 'source'"),
    ],
)
def test_llm_manifest_errors_name_the_field(tmp_path: Path, edit, message: str) -> None:
    manifest = llm_manifest()
    edit(manifest)
    with pytest.raises(InputError, match=message) as err:
        load_manifest(write(tmp_path, manifest))
    assert str(err.value).startswith(str(tmp_path / "manifest.json"))


def test_unreadable_projects(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such project directory"):
        load_manifest(tmp_path / "absent")
    with pytest.raises(InputError, match=r"manifest\.json: missing \(not a compiled llmhls"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_manifest(tmp_path)
    write(tmp_path, [1, 2])
    with pytest.raises(InputError, match="must hold a JSON object"):
        load_manifest(tmp_path)


def test_output_dir_rules(tmp_path: Path) -> None:
    check_output_dir(tmp_path / "new" / "deeper", force=False)  # created on write
    check_output_dir(tmp_path, force=False)  # empty
    (tmp_path / "keep.txt").write_text("user data")
    with pytest.raises(InputError, match="is not empty \\(use --force to replace it\\)"):
        check_output_dir(tmp_path, force=False)
    check_output_dir(tmp_path, force=True)
    with pytest.raises(InputError, match="exists and is not a directory"):
        check_output_dir(tmp_path / "keep.txt", force=True)
    with pytest.raises(InputError, match=r"keep\.txt' is a file, not a directory"):
        check_output_dir(tmp_path / "keep.txt" / "out", force=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_output_dir_must_be_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write in"):
            check_output_dir(locked / "out", force=False)
    finally:
        locked.chmod(0o700)


def test_llm_manifest_without_decode_kernel_decodes_through_prefill(tmp_path: Path) -> None:
    """One kernel may serve both: a decode step is then a one-token prefill call."""
    manifest = llm_manifest()
    del manifest["llm"]["kernels"]["decode"]
    spec = load_llm_manifest(write(tmp_path, manifest)).llm
    assert spec.decode is None
    assert spec.kernels == (spec.prefill,)
