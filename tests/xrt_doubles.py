"""Stand-ins for XRT, so the LLM host side runs where no XRT is installed.

Two devices stand behind the same C++ headers and `pyxrt` module:

- the rule device (`STUB_HEADERS` as they are, `fake_pyxrt(one_hot)`): a kernel call logs its
  arguments and writes logits by a rule the test picks (tests/e2e/test_xrt_host.py);
- the emulated device (`write_fake_xrt(root, project)`, `device_kernel_run`): the compiled
  project's own kernels (kernel/*.cpp, g++) in the stand-in libxrt_coreutil.so, called through
  `llmhls_device_run`, which casts each argument to the parameter type `llm_top.h` declares
  and refuses a call whose argument count or kinds (buffer vs scalar) differ from it. The
  generated host and `llmhls run --backend xrt` then produce the accelerator's real tokens.

No xclbin is read: `xrt::device::load_xclbin` only logs the path.
"""

from __future__ import annotations

import ctypes
import enum
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from conftest import run_cli

from llmhls import cli
from llmhls.project import load_llm_manifest
from llmhls.toolchain import compile_objects, link_binary

STUB_HEADERS = {
    "xrt/xrt_device.h": r"""
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
namespace xrt {
// Appends one line to $XRT_STUB_LOG so the test can see what the host did.
inline void stub_log(const std::string& line) {
  if (const char* path = std::getenv("XRT_STUB_LOG")) {
    if (std::FILE* f = std::fopen(path, "a")) {
      std::fprintf(f, "%s\n", line.c_str());
      std::fclose(f);
    }
  }
}
class uuid {};
class device {
 public:
  explicit device(unsigned int index) { stub_log("device " + std::to_string(index)); }
  uuid load_xclbin(const std::string& path) {
    stub_log("xclbin " + path);
    return uuid{};
  }
};
}  // namespace xrt
""",
    "xrt/xrt_bo.h": r"""
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>
#include "xrt/xrt_device.h"
enum xclBOSyncDirection { XCL_BO_SYNC_BO_TO_DEVICE = 0, XCL_BO_SYNC_BO_FROM_DEVICE = 1 };
namespace xrt {
using memory_group = uint32_t;
struct stub_storage {
  int id;
  std::vector<unsigned char> host, dev;
};
// Separate host and device copies, garbage until written: the host must write and sync.
class bo {
 public:
  bo() = default;
  bo(const device&, std::size_t size, memory_group group) : s_(std::make_shared<stub_storage>()) {
    static int next_id = 0;
    s_->id = next_id++;
    s_->host.assign(size, 0x5a);
    s_->dev.assign(size, 0x5a);
    stub_log("bo " + std::to_string(s_->id) + " size " + std::to_string(size) + " group " +
             std::to_string(group));
  }
  void write(const void* src) { std::memcpy(s_->host.data(), src, s_->host.size()); }
  void read(void* dst) { std::memcpy(dst, s_->host.data(), s_->host.size()); }
  void sync(xclBOSyncDirection direction) {
    if (direction == XCL_BO_SYNC_BO_TO_DEVICE) s_->dev = s_->host;
    else s_->host = s_->dev;
  }
  stub_storage& storage() const { return *s_; }
 private:
  std::shared_ptr<stub_storage> s_;
};
}  // namespace xrt
""",
    "xrt/xrt_kernel.h": r"""
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "xrt/xrt_bo.h"
#include "xrt/xrt_device.h"
enum ert_cmd_state { ERT_CMD_STATE_NEW = 1, ERT_CMD_STATE_COMPLETED = 4, ERT_CMD_STATE_ERROR = 5 };
namespace xrt {
class run {
 public:
  ert_cmd_state wait(const std::chrono::milliseconds& = std::chrono::milliseconds{0}) const {
    return ERT_CMD_STATE_COMPLETED;
  }
};
// A call logs "<kernel> b<id>:<bytes>:<fnv1a64 of device copy> i<scalar> ..." in argument order
// and writes one-hot logits, at (7 * sum of scalars + 3) mod vocab, to the last buffer.
class kernel {
 public:
  kernel(const device&, const uuid&, const std::string& name) : name_(name) {}
  // $XRT_STUB_SPLIT_BANKS puts the ports of llm_decode in bank 1, all others in bank 0.
  int group_id(int) const { return std::getenv("XRT_STUB_SPLIT_BANKS") && name_ == "llm_decode"; }
  template <typename... Args>
  run operator()(Args&&... args) {
    line_ = name_;
    sum_ = 0;
    last_ = nullptr;
    (record(std::forward<Args>(args)), ...);
    stub_log(line_);
    const std::size_t vocab = last_->dev.size() / sizeof(float);
    const std::size_t next = static_cast<std::size_t>((7 * sum_ + 3) % static_cast<long>(vocab));
    for (std::size_t i = 0; i < vocab; ++i) {
      const float value = i == next ? 1.0f : 0.0f;
      std::memcpy(last_->dev.data() + i * sizeof(float), &value, sizeof(float));
    }
    return run{};
  }
 private:
  template <typename T>
  void record(T&& arg) {
    using U = std::decay_t<T>;
    if constexpr (std::is_same_v<U, bo>) {
      stub_storage& s = arg.storage();
      std::uint64_t hash = 1469598103934665603ull;
      for (unsigned char c : s.dev) hash = (hash ^ c) * 1099511628211ull;
      line_ += " b" + std::to_string(s.id) + ":" + std::to_string(s.dev.size()) + ":" +
               std::to_string(hash);
      last_ = &s;
    } else {
      static_assert(std::is_same_v<U, int32_t>, "scalar kernel arguments must be int32_t");
      line_ += " i" + std::to_string(arg);
      sum_ += arg;
    }
  }
  std::string name_, line_;
  long sum_ = 0;
  stub_storage* last_ = nullptr;
};
}  // namespace xrt
""",
}

# xrt/xrt_kernel.h of the emulated device: a call hands its arguments, in the order the host
# passes them, to llmhls_device_run (DEVICE_SOURCE) and completes with its status.
DEVICE_KERNEL_HEADER = r"""
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "xrt/xrt_bo.h"
#include "xrt/xrt_device.h"
enum ert_cmd_state { ERT_CMD_STATE_NEW = 1, ERT_CMD_STATE_COMPLETED = 4, ERT_CMD_STATE_ERROR = 5 };
extern "C" int llmhls_device_run(const char* name, int count, const int* is_buffer,
                                 void* const* buffers, const int32_t* scalars);
namespace xrt {
class run {
 public:
  explicit run(ert_cmd_state state) : state_(state) {}
  ert_cmd_state wait(const std::chrono::milliseconds& = std::chrono::milliseconds{0}) const {
    return state_;
  }
 private:
  ert_cmd_state state_;
};
class kernel {
 public:
  kernel(const device&, const uuid&, const std::string& name) : name_(name) {}
  int group_id(int) const { return 0; }
  template <typename... Args>
  run operator()(Args&&... args) {
    is_buffer_.clear();
    buffers_.clear();
    scalars_.clear();
    (record(std::forward<Args>(args)), ...);
    const int status = llmhls_device_run(name_.c_str(), static_cast<int>(is_buffer_.size()),
                                         is_buffer_.data(), buffers_.data(), scalars_.data());
    return run(status == 0 ? ERT_CMD_STATE_COMPLETED : ERT_CMD_STATE_ERROR);
  }
 private:
  template <typename T>
  void record(T&& arg) {
    using U = std::decay_t<T>;
    if constexpr (std::is_same_v<U, bo>) {
      is_buffer_.push_back(1);
      buffers_.push_back(arg.storage().dev.data());
      scalars_.push_back(0);
    } else {
      static_assert(std::is_same_v<U, int32_t>, "scalar kernel arguments must be int32_t");
      is_buffer_.push_back(0);
      buffers_.push_back(nullptr);
      scalars_.push_back(arg);
    }
  }
  std::string name_;
  std::vector<int> is_buffer_;
  std::vector<void*> buffers_;
  std::vector<int32_t> scalars_;
};
}  // namespace xrt
"""

# The emulated device's entry point, linked with the project's kernel objects: each argument
# becomes the type llm_top.h declares for its position (a buffer for a pointer, an int32_t
# for a scalar), so a host whose argument list differs from the kernel signature fails here.
DEVICE_SOURCE = r"""
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>
#include "llm_top.h"

namespace {
struct Call {
  const char* name;
  int count;
  const int* is_buffer;
  void* const* buffers;
  const int32_t* scalars;
  bool ok;
};

template <typename T>
T take(Call& call, int i) {
  if constexpr (std::is_pointer_v<T>) {
    if (!call.is_buffer[i]) {
      std::fprintf(stderr, "%s: argument %d is a scalar, llm_top.h takes a pointer\n",
                   call.name, i);
      call.ok = false;
      return nullptr;
    }
    return static_cast<T>(call.buffers[i]);
  } else {
    static_assert(std::is_same_v<T, int32_t>, "llm_top.h scalars are int32_t");
    if (call.is_buffer[i]) {
      std::fprintf(stderr, "%s: argument %d is a buffer, llm_top.h takes an int32_t\n",
                   call.name, i);
      call.ok = false;
      return 0;
    }
    return call.scalars[i];
  }
}

template <typename... P, std::size_t... I>
int invoke(void (*function)(P...), Call& call, std::index_sequence<I...>) {
  std::tuple<P...> args{take<P>(call, static_cast<int>(I))...};
  if (!call.ok) return 1;
  function(std::get<I>(args)...);
  return 0;
}

template <typename... P>
int invoke(void (*function)(P...), Call& call) {
  if (call.count != static_cast<int>(sizeof...(P))) {
    std::fprintf(stderr, "%s: called with %d arguments, llm_top.h takes %d\n", call.name,
                 call.count, static_cast<int>(sizeof...(P)));
    return 1;
  }
  return invoke(function, call, std::index_sequence_for<P...>{});
}
}  // namespace

extern "C" int llmhls_device_run(const char* name, int count, const int* is_buffer,
                                 void* const* buffers, const int32_t* scalars) {
  Call call{name, count, is_buffer, buffers, scalars, true};
@DISPATCH@
  std::fprintf(stderr, "no kernel named %s on the device\n", name);
  return 1;
}
"""


def device_source(functions: list[str]) -> str:
    """DEVICE_SOURCE dispatching to the project's top functions (llm_prefill + llm_decode, or
    the one llm_engine)."""
    dispatch = "\n".join(
        f'  if (std::strcmp(name, "{f}") == 0) return invoke(&{f}, call);' for f in functions
    )
    return DEVICE_SOURCE.replace("@DISPATCH@", dispatch)


def write_fake_xrt(root: Path, project: Path | None = None) -> Path:
    """An XRT-shaped prefix: include/xrt/*.h stand-ins and lib/libxrt_coreutil.so.

    Without `project`, the rule device (an empty library); with it, the emulated device
    running that compiled LLM project's kernels.
    """
    headers = dict(STUB_HEADERS)
    if project is not None:
        headers["xrt/xrt_kernel.h"] = DEVICE_KERNEL_HEADER
    for name, text in headers.items():
        path = root / "include" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip())
    (root / "lib").mkdir()
    library = root / "lib/libxrt_coreutil.so"
    if project is None:
        (root / "empty.cpp").write_text("void llmhls_xrt_stub() {}\n")
        subprocess.run(
            ["g++", "-shared", "-fPIC", str(root / "empty.cpp"), "-o", str(library)], check=True
        )
        return root
    manifest = load_llm_manifest(project)
    functions = [kernel.function for kernel in manifest.llm.kernels]
    (root / "device.cpp").write_text(device_source(functions).lstrip())
    (root / "obj").mkdir()
    objects = [
        obj
        for base, sources in [
            (project, [project / f for f in manifest.kernel_files]),
            (root, [root / "device.cpp"]),
        ]
        for obj in compile_objects(
            base, sources, root / "obj", [project / "kernel"], extra_flags=("-fPIC", "-std=c++17")
        )[0]
    ]
    link_binary(objects, library, extra_flags=("-shared",))
    return root


def build_host(host: Path, xrt: Path, build: Path) -> Path:
    """The emitted host/ folder built through its own CMakeLists.txt against the `xrt` prefix."""
    configure = subprocess.run(
        ["cmake", "-S", str(host), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "XILINX_XRT": str(xrt)},
    )
    assert configure.returncode == 0, configure.stderr
    assert f"XRT headers in {xrt}/include" in configure.stdout
    compiled = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return build / "llm_host"


# What a pyxrt kernel call does on the stand-in device: gets the kernel name and the
# arguments (bos, whose `dev` bytearray is the device copy, and ints); returns whether it
# completed.
KernelRun = Callable[[str, list[Any]], bool]


def device_kernel_run(library: Path) -> KernelRun:
    """A pyxrt kernel call on the emulated device in `library` (see write_fake_xrt)."""
    device = ctypes.CDLL(str(library))
    entry = device.llmhls_device_run
    entry.restype = ctypes.c_int

    def run(name: str, args: list[Any]) -> bool:
        count = len(args)
        views = [
            (ctypes.c_char * len(a.dev)).from_buffer(a.dev) if not isinstance(a, int) else None
            for a in args
        ]
        is_buffer = (ctypes.c_int * count)(*(v is not None for v in views))
        buffers = (ctypes.c_void_p * count)(
            *(ctypes.addressof(v) if v is not None else None for v in views)
        )
        scalars = (ctypes.c_int32 * count)(*(a if isinstance(a, int) else 0 for a in args))
        status = entry(name.encode(), count, is_buffer, buffers, scalars)
        del views
        return status == 0

    return run


def fake_pyxrt(
    kernel_run: KernelRun, split_banks: bool = False
) -> tuple[ModuleType, list[tuple[Any, ...]], list[Any]]:
    """A pyxrt stand-in with the real call shapes whose kernel calls do `kernel_run`.

    Returns the module, a call log and the bos. `split_banks` puts llm_decode's ports in
    memory bank 1, all others in bank 0.
    """
    log: list[tuple[Any, ...]] = []
    bos: list[Any] = []
    module = ModuleType("pyxrt")

    class xclBOSyncDirection(enum.IntEnum):
        XCL_BO_SYNC_BO_TO_DEVICE = 0
        XCL_BO_SYNC_BO_FROM_DEVICE = 1

    class ert_cmd_state(enum.IntEnum):
        ERT_CMD_STATE_COMPLETED = 4
        ERT_CMD_STATE_ERROR = 5

    class xclbin:
        def __init__(self, path: str) -> None:
            self.path = path

    class device:
        def __init__(self, index: int) -> None:
            log.append(("device", index))

        def load_xclbin(self, xb: xclbin) -> str:
            log.append(("xclbin", xb.path))
            return "uuid"

    class bo:
        normal = 0

        def __init__(self, dev: device, size: int, flags: int, group: int) -> None:
            self.host = bytearray(b"\x5a" * size)
            self.dev = bytearray(b"\x5a" * size)
            self.group = group
            bos.append(self)

        def write(self, data: Any, seek: int) -> None:
            raw = np.asarray(data).tobytes()
            self.host[seek : seek + len(raw)] = raw

        def sync(self, direction: xclBOSyncDirection, size: int, offset: int) -> None:
            src, dst = (self.host, self.dev) if direction == 0 else (self.dev, self.host)
            dst[offset : offset + size] = src[offset : offset + size]

        def read(self, size: int, skip: int) -> np.ndarray:
            return np.frombuffer(bytes(self.host[skip : skip + size]), dtype=np.int8).copy()

    class run:
        def __init__(self, completed: bool) -> None:
            self.completed = completed

        def wait(self) -> ert_cmd_state:
            if self.completed:
                return ert_cmd_state.ERT_CMD_STATE_COMPLETED
            return ert_cmd_state.ERT_CMD_STATE_ERROR

    class kernel:
        shared = 1

        def __init__(self, dev: device, uuid: str, name: str, mode: int) -> None:
            assert uuid == "uuid" and mode == kernel.shared
            self.name = name

        def group_id(self, index: int) -> int:
            return int(split_banks and self.name == "llm_decode")

        def __call__(self, *args: Any) -> run:
            shown = [("bo", bos.index(a), bytes(a.dev)) if isinstance(a, bo) else a for a in args]
            log.append((self.name, *shown))
            return run(kernel_run(self.name, list(args)))

    for cls in (xclBOSyncDirection, ert_cmd_state, xclbin, device, bo, run, kernel):
        setattr(module, cls.__name__, cls)
    return module, log, bos


def check_xrt_generates_csim_tokens(
    out: Path,
    work: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    run_args: tuple[str, ...],
) -> tuple[list[int], list[tuple[Any, ...]], list[Any]]:
    """Asserts that the project's host/ (built by its CMakeLists.txt) and `llmhls run --backend
    xrt` generate `llmhls run --backend csim`'s tokens on the emulated device of `out`.

    Returns the csim tokens and the stand-in pyxrt's call log and bos.
    """
    if shutil.which("cmake") is None:
        pytest.skip("needs cmake")
    xrt = write_fake_xrt(work / "xrt", out)
    binary = build_host(out / "host", xrt, work / "build")
    xclbin = work / "llm.xclbin"
    xclbin.write_bytes(b"xclbin2\0")

    result = run_cli("run", str(out), *run_args, "--json")
    assert result.returncode == 0, result.stderr
    csim_tokens = json.loads(result.stdout.strip().splitlines()[-1])["tokens"]

    host = subprocess.run(
        [str(binary), "--project", str(out), "--xclbin", str(xclbin), *run_args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert host.returncode == 0, host.stderr
    assert host.stdout.splitlines()[0] == "new token ids: " + ",".join(map(str, csim_tokens))

    module, log, bos = fake_pyxrt(device_kernel_run(xrt / "lib/libxrt_coreutil.so"))
    monkeypatch.setitem(sys.modules, "pyxrt", module)
    code = cli.main(
        ["run", str(out), "--backend", "xrt", "--xclbin", str(xclbin), *run_args, "--json"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["tokens"] == csim_tokens
    return csim_tokens, log, bos


# -- link.cfg and v++ ----------------------------------------------------------------------------


def check_xclbin_files(out: Path) -> dict[str, Any]:
    """Asserts that link.cfg maps every buffer argument of every kernel in the manifest exactly
    once, on the bank the manifest records, with one compute unit per kernel, and that
    build_xclbin.sh is executable shell naming the part's platform. Returns the manifest."""
    manifest = json.loads((out / "manifest.json").read_text())
    kernels = manifest["llm"]["kernels"].values()
    expected = sorted(
        f"sp={k['function']}_1.{a['name']}:{a['memory']}"
        for k in kernels
        for a in k["args"]
        if a["kind"] == "buffer"
    )
    lines = (out / "link.cfg").read_text().splitlines()
    assert sorted(line for line in lines if line.startswith("sp=")) == expected
    assert [line for line in lines if line.startswith("nk=")] == [
        f"nk={k['function']}:1:{k['function']}_1" for k in kernels
    ]
    assert all(line.startswith(("#", "[connectivity]", "nk=", "sp=")) for line in lines)
    script = out / "build_xclbin.sh"
    assert script.stat().st_mode & 0o111 == 0o111
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert manifest["platform"] in script.read_text()
    return manifest


# A stand-in v++: logs its command line to $VPP_LOG and creates the file it is told to write (-o).
FAKE_VPP = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$VPP_LOG"
while [ "$#" -gt 0 ]; do
  if [ "$1" = -o ]; then mkdir -p "$(dirname "$2")"; touch "$2"; fi
  shift
done
"""


def fake_vpp_path(root: Path) -> str:
    """A PATH whose first folder (under `root`) holds FAKE_VPP as `v++`."""
    folder = root / "bin"
    folder.mkdir()
    (folder / "v++").write_text(FAKE_VPP)
    (folder / "v++").chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def run_build_script(project: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The project's build_xclbin.sh with PATH `path`, v++ logging to PROJECT/vpp.log."""
    env = {**os.environ, "PATH": path, "VPP_LOG": str(project / "vpp.log")}
    env.pop("PLATFORM", None)
    return subprocess.run(
        [shutil.which("bash") or "bash", str(project / "build_xclbin.sh"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
