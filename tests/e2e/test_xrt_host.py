"""The XRT side of the LLM host runtime: the rendered C++ host and the pyxrt backend.

No XRT is installed here, so the C++ host is compiled and run against small stand-in headers
(STUB_HEADERS) whose kernel call logs its arguments and writes one-hot logits by a fixed rule
(`expected_tokens`); the Python backend runs against a fake `pyxrt` module with the same rule.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from xrt_doubles import STUB_HEADERS, build_host, fake_pyxrt, write_fake_xrt

from llmhls.compiler.llm.xrt_host import render_xrt_host
from llmhls.errors import InputError, OptionError, UnsupportedError
from llmhls.project import parse_llm_section, write_weight_digests
from llmhls.runtime.xrt_backend import XrtBackend

VOCAB = 32
MAX_CONTEXT = 16
TOKENS_CAPACITY = 4  # prompt tokens per prefill call: a 5-token prompt needs two calls
EOS = 2
KV_ELEMENTS = 2 * 2 * MAX_CONTEXT * 4  # [layer][kv_head][position][head_dim]

# Weight args of the test manifest: name -> (ctype, elements). Two float, two int8_t.
WEIGHTS = {
    "w_embed": ("float", VOCAB * 8),
    "w_q_proj": ("int8_t", 8 * 8),
    "w_q_scale": ("float", 8),
    "w_mlp": ("int8_t", 8 * 16),
}
SIZES = {"float": 4, "int8_t": 1, "int32_t": 4}


def weight_arg(name: str) -> dict[str, Any]:
    ctype, elements = WEIGHTS[name]
    return {
        "name": name,
        "kind": "buffer",
        "ctype": ctype,
        "elements": elements,
        "direction": "in",
        "file": f"data/weights/{name}.bin",
        "bundle": "gmem_w0",
    }


def make_manifest(weight_order: tuple[str, ...] = tuple(WEIGHTS)) -> dict[str, Any]:
    """A manifest with the spec's "llm" shape; `weight_order` permutes the weight args."""

    def shared() -> list[dict[str, Any]]:
        kv = [
            {
                "name": name,
                "kind": "buffer",
                "ctype": "float",
                "elements": KV_ELEMENTS,
                "direction": "inout",
                "state": "kv",
                "bundle": f"gmem_kv{i}",
            }
            for i, name in enumerate(("k_cache", "v_cache"))
        ]
        logits = {
            "name": "logits",
            "kind": "buffer",
            "ctype": "float",
            "elements": VOCAB,
            "direction": "out",
            "bundle": "gmem_io",
        }
        return [*(weight_arg(n) for n in weight_order), *kv, logits]

    scalar = {"kind": "scalar", "ctype": "int32_t"}
    return {
        "top": "llm_decode",
        "llm": {
            "arch": "llama",
            "vocab_size": VOCAB,
            "hidden_size": 8,
            "num_layers": 2,
            "num_heads": 2,
            "num_kv_heads": 2,
            "head_dim": 4,
            "max_context": MAX_CONTEXT,
            "prefill_chunk": TOKENS_CAPACITY,
            "weights": "int8",
            "bos_token_id": 1,
            "eos_token_id": EOS,
            "tokenizer": "tokenizer",
            "kv_cache": {
                "layout": "[layer][kv_head][position][head_dim]",
                "dtype": "float32",
                "shape": [2, 2, MAX_CONTEXT, 4],
                "bytes": KV_ELEMENTS * 4,
            },
            "kernels": {
                "prefill": {
                    "function": "llm_prefill",
                    "args": [
                        {
                            "name": "tokens",
                            "kind": "buffer",
                            "ctype": "int32_t",
                            "elements": TOKENS_CAPACITY,
                            "direction": "in",
                            "bundle": "gmem_io",
                        },
                        {"name": "n_tokens", **scalar},
                        {"name": "start_pos", **scalar},
                        *shared(),
                    ],
                },
                "decode": {
                    "function": "llm_decode",
                    "args": [{"name": "token", **scalar}, {"name": "pos", **scalar}, *shared()],
                },
            },
        },
    }


def weight_bytes(name: str) -> bytes:
    """Distinct, deterministic contents for each weight file."""
    ctype, elements = WEIGHTS[name]
    seed = sum(map(ord, name))
    return bytes((i * 37 + seed) % 256 for i in range(elements * SIZES[ctype]))


def make_project(root: Path, xclbin: bool = True) -> Path:
    weights = root / "data" / "weights"
    weights.mkdir(parents=True)
    for name in WEIGHTS:
        (weights / f"{name}.bin").write_bytes(weight_bytes(name))
    write_weight_digests(root)  # every host run below checks them (SHA-256 in C++)
    if xclbin:
        (root / "build").mkdir()
        (root / "build" / "llm.xclbin").write_bytes(b"xclbin2\0")
    return root


def next_token(scalar_sum: int) -> int:
    """The stand-in kernels' 'model': one-hot logits at (7 * sum of the scalars + 3) mod vocab."""
    return (7 * scalar_sum + 3) % VOCAB


def expected_tokens(prompt: list[int], max_new: int) -> list[int]:
    """Greedy tokens the host must get from the stand-in kernels (prefill chunks, then decode)."""
    starts = range(0, len(prompt), TOKENS_CAPACITY)
    last = max(starts)
    out = [next_token(min(TOKENS_CAPACITY, len(prompt) - last) + last)]
    pos = len(prompt)
    while len(out) < max_new and out[-1] != EOS:
        out.append(next_token(out[-1] + pos))
        pos += 1
    return out


def one_kernel_manifest() -> dict[str, Any]:
    """An --engine stream shaped manifest: llm_prefill alone (a decode step is a one-token call
    of it), w_mlp's bytes as 512-bit words and a uint16_t (fp16) KV cache."""
    manifest = make_manifest()
    kernels = manifest["llm"]["kernels"]
    del kernels["decode"]
    for arg in kernels["prefill"]["args"]:
        if arg["name"] == "w_mlp":
            arg.update(ctype="word512", elements=arg["elements"] // 64)
        elif arg.get("state") == "kv":
            arg["ctype"] = "uint16_t"
    manifest["llm"]["kv_cache"].update(dtype="float16", bytes=KV_ELEMENTS * 2)
    return manifest


def one_kernel_calls(prompt: list[int], max_new: int) -> tuple[list[int], list[tuple[int, ...]]]:
    """Greedy tokens from the stand-in kernel of a one-kernel project, and its calls as
    (n_tokens, start_pos, *tokens buffer): prompt chunks, then one token at each position."""
    calls = [
        (len(chunk), start, *chunk, *[0] * (TOKENS_CAPACITY - len(chunk)))
        for start in range(0, len(prompt), TOKENS_CAPACITY)
        for chunk in [prompt[start : start + TOKENS_CAPACITY]]
    ]
    tokens = [next_token(calls[-1][0] + calls[-1][1])]
    while len(tokens) < max_new and tokens[-1] != EOS:
        calls.append((1, len(prompt) + len(tokens) - 1, tokens[-1], *[0] * (TOKENS_CAPACITY - 1)))
        tokens.append(next_token(1 + calls[-1][1]))
    return tokens, calls


def fnv1a64(data: bytes) -> int:
    value = 1469598103934665603
    for byte in data:
        value = ((value ^ byte) * 1099511628211) % (1 << 64)
    return value


# --- rendering ----------------------------------------------------------------------------------


def test_render_outputs_and_determinism() -> None:
    files = render_xrt_host(make_manifest())
    assert sorted(files) == [
        "host/CMakeLists.txt",
        "host/README.md",
        "host/llm_host.cpp",
        "host/llmhls_sha256.h",
    ]
    assert files == render_xrt_host(copy.deepcopy(make_manifest()))
    cpp = files["host/llm_host.cpp"]
    for include in ("<xrt/xrt_device.h>", "<xrt/xrt_kernel.h>", "<xrt/xrt_bo.h>"):
        assert f"#include {include}" in cpp
    for name in WEIGHTS:
        assert f'"data/weights/{name}.bin"' in cpp
    assert "constexpr int32_t kVocabSize = 32;" in cpp
    assert "constexpr int32_t kMaxContext = 16;" in cpp
    assert "constexpr int32_t kEosTokenId = 2;" in cpp
    readme = files["host/README.md"]
    assert "cmake -S host -B host/build" in readme
    assert "--prompt-ids" in readme and "--max-new-tokens" in readme


def kernel_call_args(cpp: str, which: str) -> list[str]:
    """The argument expressions of the `kernel(...)` call inside run_<which>()."""
    body = re.search(rf"void run_{which}\(.*?\n}}\n", cpp, re.S)
    assert body is not None, which
    call = re.search(r"xrt::run run = kernel\((.*?)\);", body.group(0), re.S)
    assert call is not None
    args = [re.sub(r"//.*", "", line).strip().rstrip(",") for line in call.group(1).splitlines()]
    return [re.sub(r'^bufs\.at\("(\w+)"\)$', r"\1", a) for a in args if a]


@pytest.mark.parametrize("order", [tuple(WEIGHTS), ("w_mlp", "w_q_scale", "w_embed", "w_q_proj")])
def test_kernel_calls_follow_manifest_order(order: tuple[str, ...]) -> None:
    manifest = make_manifest(order)
    cpp = render_xrt_host(manifest)["host/llm_host.cpp"]
    for which in ("prefill", "decode"):
        names = [a["name"] for a in manifest["llm"]["kernels"][which]["args"]]
        assert kernel_call_args(cpp, which) == names
    # Scalars are passed by value as int32_t parameters, buffers through bufs.at().
    assert "void run_prefill(xrt::kernel& kernel, const BufferMap& bufs, int32_t n_tokens, " in cpp
    assert "void run_decode(xrt::kernel& kernel, const BufferMap& bufs, int32_t token, " in cpp


def test_cmake_links_xrt_coreutil() -> None:
    cmake = render_xrt_host(make_manifest())["host/CMakeLists.txt"]
    assert "xrt_coreutil" in cmake
    assert "XILINX_XRT" in cmake and "find_package(XRT" in cmake
    assert "FATAL_ERROR" in cmake and "CMAKE_CXX_STANDARD 17" in cmake


TREE = [[], [0], [1], [0, 0]]  # 4 tokens, 2 heads deep, head 0's 2 best


def medusa_manifest(paths: list[list[int]] = TREE) -> dict[str, Any]:
    """one_kernel_manifest's project as if compiled with the Medusa tree `paths`, whose
    guesses the kernel makes (llm_engine's `tree` scalar and `result` buffer)."""
    manifest = one_kernel_manifest()
    args = manifest["llm"]["kernels"]["prefill"]["args"]
    args.append({"name": "tree", "kind": "scalar", "ctype": "int32_t"})
    depth, ranks = max(map(len, paths)), 1 + max(p[-1] for p in paths[1:])
    result = {"name": "result", "kind": "buffer", "ctype": "int32_t", "direction": "out"}
    args.append(result | {"elements": 2 + len(paths) + depth * ranks, "bundle": "gmem_io"})
    manifest["llm"]["medusa"] = {
        "heads": "data/medusa/heads.safetensors",
        "tree_paths": paths,
        "proposals": "chip",
        "proposal_heads": depth,
        "proposal_ranks": ranks,
    }
    return manifest


def _medusa(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["llm"]["medusa"].update({key: value})


@pytest.mark.parametrize(
    ("manifest", "edit", "message"),
    [
        (make_manifest, lambda m: m.pop("llm"), "no 'llm' section"),
        (make_manifest, lambda m: m["llm"]["kernels"]["decode"]["args"].pop(), "has no 'logits'"),
        (
            make_manifest,
            lambda m: m["llm"]["kernels"]["prefill"]["args"][3].update(ctype="double"),
            "'double' is not one of",
        ),
        (
            make_manifest,
            lambda m: m["llm"]["kernels"]["decode"]["args"].append(
                {"name": "seed", "kind": "scalar", "ctype": "int32_t"}
            ),
            "scalar 'seed' has no value",
        ),
        (
            make_manifest,
            lambda m: m["llm"]["kernels"]["prefill"]["args"][3].update(file="../w.bin"),
            "must be relative to the project dir",
        ),
        (
            make_manifest,
            lambda m: m["llm"].update(vocab_size=64),
            "logits has 32 elements, vocab_size is 64",
        ),
        (medusa_manifest, lambda m: m["llm"].update(medusa=[]), "llm.medusa must be an object"),
        (medusa_manifest, _medusa("tree_paths", [[]]), "must list the tree's nodes' paths"),
        (
            medusa_manifest,
            _medusa("tree_paths", [[], [0], [1, 0], [0, 0]]),  # [1, 0] before its parent
            "every parent before its children",
        ),
        (medusa_manifest, _medusa("proposals", "host"), "proposals must be 'chip'"),
        (
            medusa_manifest,
            _medusa("proposal_ranks", 1),
            "proposal_heads/proposal_ranks must be 2/2 for its tree of 4 tokens, got 2/1",
        ),
        (
            medusa_manifest,
            lambda m: m["llm"]["kernels"]["prefill"]["args"].pop(),
            "has no 'tree' scalar",
        ),
        (
            medusa_manifest,
            lambda m: m["llm"]["kernels"]["prefill"]["args"][-1].update(elements=6),
            "'result' has 6 elements, a tree of 4 tokens with 2 x 2 guesses needs 10",
        ),
    ],
)
def test_bad_manifest_is_one_line_input_error(manifest: Any, edit: Any, message: str) -> None:
    manifest = manifest()
    edit(manifest)
    with pytest.raises(InputError, match=re.escape(message)) as info:
        render_xrt_host(manifest)
    assert "\n" not in str(info.value)


def test_medusa_host_renders_the_tree_loop() -> None:
    cpp = render_xrt_host(medusa_manifest())["host/llm_host.cpp"]
    assert "constexpr int32_t kTreeSize = 4;" in cpp
    assert "constexpr std::size_t kResultElements = 10;" in cpp
    assert "constexpr int32_t kTreeParent[kTreeSize] = { -1, 0, 0, 1 };" in cpp
    # node i's guess: head len(path) - 1's rank path[-1], at head * 2 + rank
    assert "constexpr int32_t kNodeGuess[kTreeSize] = { -1, 0, 1, 2 };" in cpp
    assert "options.medusa = true;" in cpp and "decode_with_tree(" in cpp
    assert "kTreeSize" not in render_xrt_host(make_manifest())["host/llm_host.cpp"]


def test_weight_path_is_escaped_as_c_string() -> None:
    manifest = make_manifest()
    manifest["llm"]["kernels"]["prefill"]["args"][3]["file"] = 'data/we"ird?\\é.bin'
    manifest["llm"]["kernels"]["decode"]["args"][2]["file"] = 'data/we"ird?\\é.bin'
    with pytest.raises(InputError, match="relative"):  # a backslash is rejected
        render_xrt_host(manifest)
    for kernel in ("prefill", "decode"):
        index = 3 if kernel == "prefill" else 2
        manifest["llm"]["kernels"][kernel]["args"][index]["file"] = 'data/we"ird?é.bin'
    cpp = render_xrt_host(manifest)["host/llm_host.cpp"]
    assert r'"data/we\"ird\077\303\251.bin"' in cpp


# --- the C++ host against stand-in XRT headers --------------------------------------------------


needs_cxx = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
needs_cmake = pytest.mark.skipif(
    shutil.which("cmake") is None or shutil.which("g++") is None, reason="needs cmake and g++"
)


def write_host(root: Path, manifest: dict[str, Any]) -> Path:
    for rel, text in render_xrt_host(manifest).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "host"


@needs_cxx
@pytest.mark.parametrize("manifest", [make_manifest, one_kernel_manifest, medusa_manifest])
def test_cpp_host_compiles_against_xrt_headers(tmp_path: Path, manifest: Any) -> None:
    for name, text in STUB_HEADERS.items():
        (tmp_path / "inc" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "inc" / name).write_text(text)
    host = write_host(tmp_path, manifest())
    result = subprocess.run(
        [
            *("g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror"),
            *("-I", str(tmp_path / "inc"), str(host / "llm_host.cpp")),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@needs_cmake
def test_cmake_stops_clearly_without_xrt(tmp_path: Path) -> None:
    if Path("/opt/xilinx/xrt").exists():
        pytest.skip("XRT is installed here")
    host = write_host(tmp_path, make_manifest())
    result = subprocess.run(
        ["cmake", "-S", str(host), "-B", str(tmp_path / "build"), f"-DXRT_ROOT={tmp_path}/none"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "XRT not found" in result.stderr and "XRT_ROOT" in result.stderr


@needs_cmake
def test_cmake_prefers_xrt_cmake_package(tmp_path: Path) -> None:
    host = write_host(tmp_path, make_manifest())
    xrt = write_fake_xrt(tmp_path / "xrt")
    config = xrt / "share/cmake/XRT/XRTConfig.cmake"
    config.parent.mkdir(parents=True)
    config.write_text(
        "add_library(XRT::xrt_coreutil SHARED IMPORTED)\n"
        f'set_target_properties(XRT::xrt_coreutil PROPERTIES IMPORTED_LOCATION "{xrt}/lib/'
        f'libxrt_coreutil.so" INTERFACE_INCLUDE_DIRECTORIES "{xrt}/include")\n'
    )
    result = subprocess.run(
        ["cmake", "-S", str(host), "-B", str(tmp_path / "build")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "XILINX_XRT": str(xrt)},
    )
    assert result.returncode == 0, result.stderr
    assert f"llm_host: XRT from {config.parent}" in result.stdout


def built_host(root: Path, manifest: dict[str, Any]) -> tuple[Path, Path]:
    """llm_host of `manifest` built through its CMakeLists.txt against the fake XRT, and a
    project to run."""
    if shutil.which("cmake") is None or shutil.which("g++") is None:
        pytest.skip("needs cmake and g++")
    xrt = write_fake_xrt(root / "xrt")
    project = make_project(root / "project")
    host = write_host(project, manifest)
    return build_host(host, xrt, root / "build"), project


@pytest.fixture(scope="module")
def host_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return built_host(tmp_path_factory.mktemp("xrt_host"), make_manifest())


@pytest.fixture(scope="module")
def one_kernel_host_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return built_host(tmp_path_factory.mktemp("xrt_host1"), one_kernel_manifest())


def run_host(
    host_build: tuple[Path, Path], tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    binary, project = host_build
    log = tmp_path / "xrt.log"
    result = subprocess.run(
        [str(binary), "--project", str(project), *args],
        capture_output=True,
        text=True,
        env={"XRT_STUB_LOG": str(log), **(env or {})},
        timeout=30,
    )
    return result, log.read_text().splitlines() if log.exists() else []


def test_host_prefills_in_chunks_then_decodes_greedily(
    host_build: tuple[Path, Path], tmp_path: Path
) -> None:
    prompt = [3, 5, 7, 9, 11]
    result, log = run_host(
        host_build, tmp_path, "--prompt-ids", "3,5,7,9,11", "--max-new-tokens", "5"
    )
    assert result.returncode == 0, result.stderr
    tokens = expected_tokens(prompt, 5)
    assert len(tokens) == 5
    lines = result.stdout.splitlines()
    assert lines[0] == "new token ids: " + ",".join(map(str, tokens))
    assert re.fullmatch(r"prefill: 5 tokens in [\d.]+ ms \([\d.]+ tokens/s\)", lines[1])
    assert re.fullmatch(r"decode: 4 tokens in [\d.]+ ms \([\d.]+ tokens/s\)", lines[2])
    assert log[:2] == ["device 0", f"xclbin {host_build[1]}/build/llm.xclbin"]

    calls = [line.split() for line in log if line.startswith("llm_")]
    manifest = make_manifest()["llm"]["kernels"]
    zeros_kv = fnv1a64(bytes(KV_ELEMENTS * 4))
    chunks = [prompt[:4], [*prompt[4:], 0, 0, 0]]
    scalars = [
        ("llm_prefill", {"n_tokens": 4, "start_pos": 0}, chunks[0]),
        ("llm_prefill", {"n_tokens": 1, "start_pos": 4}, chunks[1]),
        *(("llm_decode", {"token": t, "pos": 5 + i}, None) for i, t in enumerate(tokens[:-1])),
    ]
    assert [c[0] for c in calls] == [s[0] for s in scalars]
    buffer_ids: dict[str, set[str]] = {}
    for call, (function, values, chunk) in zip(calls, scalars, strict=True):
        args = manifest["prefill" if function == "llm_prefill" else "decode"]["args"]
        assert len(call) == 1 + len(args)
        for arg, logged in zip(args, call[1:], strict=True):
            if arg["kind"] == "scalar":
                assert logged == f"i{values[arg['name']]}", (function, arg["name"])
                continue
            bo_id, size, digest = logged[1:].split(":")
            buffer_ids.setdefault(arg["name"], set()).add(bo_id)
            assert int(size) == arg["elements"] * SIZES[arg["ctype"]], arg["name"]
            if "file" in arg:
                assert int(digest) == fnv1a64(weight_bytes(arg["name"])), arg["name"]
            elif arg.get("state") == "kv":
                assert int(digest) == zeros_kv, arg["name"]
            elif arg["name"] == "tokens":
                assert int(digest) == fnv1a64(np.array(chunk, "<i4").tobytes())
    # Weights and the KV cache are one buffer each, shared by both kernels.
    for name in [*WEIGHTS, "k_cache", "v_cache"]:
        assert len(buffer_ids[name]) == 1, name


def test_host_stops_at_eos_and_fits_default_to_context(
    host_build: tuple[Path, Path], tmp_path: Path
) -> None:
    result, _ = run_host(host_build, tmp_path, "--prompt-ids", "4,4,4")
    assert result.returncode == 0, result.stderr
    tokens = expected_tokens([4, 4, 4], MAX_CONTEXT - 3 + 1)
    assert tokens[-1] == EOS and len(tokens) < MAX_CONTEXT - 3 + 1
    assert result.stdout.splitlines()[0] == "new token ids: " + ",".join(map(str, tokens))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prompt-ids", ""], "--prompt-ids is empty"),
        ([], "--prompt-ids is required"),
        (["--prompt-ids", ",".join(["1"] * (MAX_CONTEXT + 1))], "more than max_context 16"),
        (["--prompt-ids", "1,2", "--max-new-tokens", "16"], "exceeds max_context 16"),
        (["--prompt-ids", "1,32"], "token id 32 is outside the vocabulary"),
        (["--prompt-ids", "1,x"], "'x' is not an integer"),
        (["--prompt-ids", "1", "--xclbin", "/nonexistent.xclbin"], "/nonexistent.xclbin not found"),
        (["--prompt-ids", "1", "--medusa"], "--medusa: the project was compiled without --medusa"),
    ],
)
def test_host_rejects_bad_input_with_one_line(
    host_build: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    result, log = run_host(host_build, tmp_path, *args)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr
    assert log == []  # rejected before the device is opened


def test_host_checks_weight_files(host_build: tuple[Path, Path], tmp_path: Path) -> None:
    binary, _ = host_build
    project = make_project(tmp_path / "p")
    short = project / "data/weights/w_q_proj.bin"
    short.write_bytes(short.read_bytes()[:-1])
    result, _ = run_host((binary, project), tmp_path, "--prompt-ids", "1")
    assert result.returncode != 0 and result.stderr.count("\n") == 1
    assert f"{short} has 63 bytes, expected 64 (64 x int8_t)" in result.stderr
    short.unlink()
    result, _ = run_host((binary, project), tmp_path, "--prompt-ids", "1")
    assert result.returncode != 0
    assert f"weight file {short} (w_q_proj) not found" in result.stderr


def test_host_checks_weight_digests(host_build: tuple[Path, Path], tmp_path: Path) -> None:
    """A weight edited at the same size, or one SHA256SUMS does not list, is refused."""
    binary, _ = host_build
    project = make_project(tmp_path / "p")
    edited = project / "data/weights/w_q_proj.bin"
    data = bytearray(edited.read_bytes())
    data[17] ^= 0x01
    edited.write_bytes(bytes(data))
    result, log = run_host((binary, project), tmp_path, "--prompt-ids", "1")
    assert result.returncode != 0 and result.stderr.count("\n") == 1
    assert f"{edited}: contents differ from the SHA-256 in " in result.stderr
    assert "(edited or damaged): recompile the project" in result.stderr
    assert log == []  # before the device is opened
    sums = project / "data/weights/SHA256SUMS"
    sums.write_text(
        "".join(line for line in sums.read_text().splitlines(True) if edited.name not in line)
    )
    result, _ = run_host((binary, project), tmp_path, "--prompt-ids", "1")
    assert result.returncode != 0
    assert f"{edited}: not listed in {sums}, so not written by llmhls compile" in result.stderr


def test_host_needs_kv_cache_in_one_bank(host_build: tuple[Path, Path], tmp_path: Path) -> None:
    result, _ = run_host(
        host_build, tmp_path, "--prompt-ids", "1", env={"XRT_STUB_SPLIT_BANKS": "1"}
    )
    assert result.returncode != 0
    assert (
        "KV cache k_cache is in memory bank 0 for llm_prefill but 1 for llm_decode" in result.stderr
    )


def test_one_kernel_host_decodes_with_one_token_prefill_calls(
    one_kernel_host_build: tuple[Path, Path], tmp_path: Path
) -> None:
    manifest = one_kernel_manifest()
    cpp = render_xrt_host(manifest)["host/llm_host.cpp"]
    assert "run_decode" not in cpp and "llm_decode" not in cpp
    prompt = [3, 5, 7, 9, 11]
    result, log = run_host(
        one_kernel_host_build, tmp_path, "--prompt-ids", "3,5,7,9,11", "--max-new-tokens", "6"
    )
    assert result.returncode == 0, result.stderr
    tokens, expected = one_kernel_calls(prompt, 6)
    assert len(tokens) == 5 and tokens[-1] == EOS and len(expected) == 2 + 4  # stops at EOS
    assert result.stdout.splitlines()[0] == "new token ids: " + ",".join(map(str, tokens))

    args = manifest["llm"]["kernels"]["prefill"]["args"]
    buffers = [a for a in args if a["kind"] == "buffer"]
    assert len([line for line in log if line.startswith("bo ")]) == len(buffers)  # once each
    calls = [line.split()[1:] for line in log if line.startswith("llm_prefill")]
    assert len(calls) == len(expected)
    for call, (n_tokens, start_pos, *chunk) in zip(calls, expected, strict=True):
        logged = dict(zip([a["name"] for a in args], call, strict=True))
        assert (logged["n_tokens"], logged["start_pos"]) == (f"i{n_tokens}", f"i{start_pos}")
        assert logged["tokens"].endswith(f":{fnv1a64(np.array(chunk, '<i4').tobytes())}")
        assert logged["w_mlp"].endswith(f":128:{fnv1a64(weight_bytes('w_mlp'))}")
        for kv in ("k_cache", "v_cache"):
            assert logged[kv].endswith(f":{KV_ELEMENTS * 2}:{fnv1a64(bytes(KV_ELEMENTS * 2))}")


# --- the Python backend ---------------------------------------------------------------------------

PYXRT_MESSAGE = (
    "backend 'xrt' needs XRT's Python bindings (pyxrt): source /opt/xilinx/xrt/setup.sh, "
    "or use --backend csim"
)


def test_backend_without_pyxrt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyxrt", None)  # makes `import pyxrt` fail, as here
    with pytest.raises(UnsupportedError) as info:
        XrtBackend(make_project(tmp_path), parse_llm_section(make_manifest()), None)
    assert str(info.value) == PYXRT_MESSAGE


def one_hot(name: str, args: list[Any]) -> bool:
    """The rule device's kernel call: one-hot logits at next_token(sum of the scalars)."""
    total = sum(a for a in args if isinstance(a, int))
    logits = np.zeros(VOCAB, "<f4")
    logits[next_token(total)] = 1.0
    args[-1].dev[:] = logits.tobytes()
    return True


def test_backend_calls_kernels_in_manifest_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, log, bos = fake_pyxrt(one_hot)
    monkeypatch.setitem(sys.modules, "pyxrt", module)
    project = make_project(tmp_path)
    order = ("w_q_scale", "w_embed", "w_mlp", "w_q_proj")
    manifest = make_manifest(order)
    backend = XrtBackend(project, parse_llm_section(manifest), None)
    assert log[:2] == [("device", 0), ("xclbin", str(project / "build/llm.xclbin"))]
    # One bo per buffer name: weights and KV cache shared, tokens for prefill only.
    assert len(bos) == 1 + len(WEIGHTS) + 2 + 1

    prompt = np.array([3, 5, 7, 9, 11], np.int32)
    logits = backend.prefill(prompt, 0)
    assert logits.dtype == np.float32 and logits.shape == (VOCAB,)
    tokens = expected_tokens(prompt.tolist(), 3)
    assert int(np.argmax(logits)) == tokens[0]
    for i, token in enumerate(tokens[:-1]):
        logits = backend.decode(token, len(prompt) + i)
        assert int(np.argmax(logits)) == tokens[i + 1]

    calls = [entry for entry in log if entry[0].startswith("llm_")]
    kernels = manifest["llm"]["kernels"]
    expected_scalars = [
        {"n_tokens": 4, "start_pos": 0},
        {"n_tokens": 1, "start_pos": 4},
        {"token": tokens[0], "pos": 5},
        {"token": tokens[1], "pos": 6},
    ]
    assert [c[0] for c in calls] == ["llm_prefill"] * 2 + ["llm_decode"] * 2
    for call, values in zip(calls, expected_scalars, strict=True):
        args = kernels["prefill" if call[0] == "llm_prefill" else "decode"]["args"]
        assert len(call) == 1 + len(args)
        for arg, passed in zip(args, call[1:], strict=True):
            if arg["kind"] == "scalar":
                assert passed == values[arg["name"]] and type(passed) is int
            else:
                assert passed[0] == "bo" and len(passed[2]) == arg["elements"] * SIZES[arg["ctype"]]
                if "file" in arg:
                    assert passed[2] == weight_bytes(arg["name"]), arg["name"]
                elif arg.get("state") == "kv":
                    assert passed[2] == bytes(KV_ELEMENTS * 4)
    assert calls[1][1][2] == np.array([11, 0, 0, 0], "<i4").tobytes()

    # reset() zeroes the KV cache on the device again.
    prefill_args = kernels["prefill"]["args"]
    passed = zip(prefill_args, calls[0][1:], strict=True)
    kv = [bos[p[1]] for a, p in passed if a.get("state") == "kv"]
    assert len(kv) == 2
    for b in kv:
        b.dev[:4] = b"\x01\x02\x03\x04"
    backend.reset()
    assert all(b.dev == bytes(KV_ELEMENTS * 4) for b in kv)


def test_backend_rejects_bad_project_and_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _, _ = fake_pyxrt(one_hot)
    monkeypatch.setitem(sys.modules, "pyxrt", module)
    project = make_project(tmp_path / "a", xclbin=False)
    with pytest.raises(InputError, match=re.escape(f"no xclbin in {project / 'build'}")):
        XrtBackend(project, parse_llm_section(make_manifest()), None)
    with pytest.raises(InputError, match=re.escape(f"xclbin {tmp_path / 'x.xclbin'} not found")):
        XrtBackend(project, parse_llm_section(make_manifest()), tmp_path / "x.xclbin")
    (tmp_path / "x.xclbin").write_bytes(b"x")
    (project / "data/weights/w_embed.bin").write_bytes(b"\0" * 8)
    message = r"holds 8 bytes, expected 1024 for 'w_embed' \(256 x float\)"
    with pytest.raises(InputError, match=message):
        XrtBackend(project, parse_llm_section(make_manifest()), tmp_path / "x.xclbin")

    backend = XrtBackend(make_project(tmp_path / "b"), parse_llm_section(make_manifest()), None)
    with pytest.raises(OptionError, match="does not fit in max_context 16"):
        backend.prefill(np.arange(10, dtype=np.int32), 10)
    with pytest.raises(OptionError, match="token id 32 is outside"):
        backend.prefill(np.array([1, 32], np.int32), 0)
    with pytest.raises(OptionError, match="non-empty"):
        backend.prefill(np.array([], np.int32), 0)
    with pytest.raises(OptionError, match="position 16 is outside"):
        backend.decode(1, 16)


def test_backend_needs_kv_cache_in_one_bank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _, _ = fake_pyxrt(one_hot, split_banks=True)
    monkeypatch.setitem(sys.modules, "pyxrt", module)
    with pytest.raises(InputError, match="KV cache k_cache is in memory bank 0 for llm_prefill"):
        XrtBackend(make_project(tmp_path), parse_llm_section(make_manifest()), None)


def test_one_kernel_backend_decodes_with_one_token_prefill_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, log, bos = fake_pyxrt(one_hot)
    monkeypatch.setitem(sys.modules, "pyxrt", module)
    manifest = one_kernel_manifest()
    backend = XrtBackend(make_project(tmp_path), parse_llm_section(manifest), None)
    args = manifest["llm"]["kernels"]["prefill"]["args"]
    assert len(bos) == len([a for a in args if a["kind"] == "buffer"])  # once each

    prompt = [3, 5, 7, 9, 11]
    tokens, expected = one_kernel_calls(prompt, 4)
    logits = backend.prefill(np.array(prompt, np.int32), 0)
    for i, token in enumerate(tokens[:-1]):
        assert int(np.argmax(logits)) == token
        logits = backend.decode(token, len(prompt) + i)
    assert int(np.argmax(logits)) == tokens[-1]

    calls = [entry[1:] for entry in log if entry[0].startswith("llm_")]
    assert [entry[0] for entry in log if entry[0].startswith("llm_")] == ["llm_prefill"] * 5
    for call, (n_tokens, start_pos, *chunk) in zip(calls, expected, strict=True):
        passed = dict(zip([a["name"] for a in args], call, strict=True))
        assert (passed["n_tokens"], passed["start_pos"]) == (n_tokens, start_pos)
        assert passed["tokens"][2] == np.array(chunk, "<i4").tobytes()
        assert passed["w_mlp"][2] == weight_bytes("w_mlp")
        assert passed["k_cache"][2] == passed["v_cache"][2] == bytes(KV_ELEMENTS * 2)
    kv = [bos[passed[name][1]] for name in ("k_cache", "v_cache")]
    for b in kv:
        b.dev[:2] = b"\x01\x02"
    backend.reset()
    assert all(b.dev == bytes(KV_ELEMENTS * 2) for b in kv)


def test_parse_llm_section_roles() -> None:
    spec = parse_llm_section(make_manifest())
    assert spec.tokens_capacity == TOKENS_CAPACITY
    assert [a.name for a in spec.weights] == list(WEIGHTS)
    roles = {a.name: a.role for a in spec.decode.args}
    assert roles == {
        "token": "token",
        "pos": "pos",
        **dict.fromkeys(WEIGHTS, "weight"),
        "k_cache": "kv",
        "v_cache": "kv",
        "logits": "logits",
    }
