"""The csim backend: LLM kernels built with g++ into a shared library, called through ctypes.

This runs exactly the C++ Vitis HLS would synthesize (the compiled stages, the
top kernel and the KV-cache template), so text generated through it is what the
accelerator would generate. Weights are memory-mapped from the project's
`.bin` files; the KV cache is host memory that persists between calls, as the
device buffers do under XRT.
"""

from __future__ import annotations

import ctypes
import hashlib
from pathlib import Path

import numpy as np

from llmhls.errors import CSimError, InputError
from llmhls.project import HostArg, HostSpec, LlmManifest
from llmhls.runtime.medusa import TREE_PROPOSE, tree_result
from llmhls.toolchain import compile_objects, link_binary

BUILD_DIR = "csim_build/llm"
_CTYPES = {
    "float": (ctypes.c_float, np.float32),
    "int32_t": (ctypes.c_int32, np.int32),
    "int64_t": (ctypes.c_int64, np.int64),
    "int8_t": (ctypes.c_int8, np.int8),
    "uint8_t": (ctypes.c_uint8, np.uint8),
    "uint16_t": (ctypes.c_uint16, np.uint16),
    "int16_t": (ctypes.c_int16, np.int16),
    "word512": (ctypes.c_void_p, np.uint32),  # only ever passed as a pointer
}


def _c_param(arg: HostArg) -> str:
    if arg.kind == "scalar":
        return f"{arg.ctype} {arg.name}"
    const = "const " if arg.direction == "in" else ""
    return f"{const}{arg.ctype} *{arg.name}"


def abi_source(spec: HostSpec) -> str:
    """C-linkage wrappers around the top functions, so ctypes can find them unmangled."""
    lines = ["#include <cstdint>", '#include "llm_top.h"', "", 'extern "C" {']
    for kernel in spec.kernels:
        params = ", ".join(_c_param(arg) for arg in kernel.args)
        names = ", ".join(arg.name for arg in kernel.args)
        lines.append(f"void llmhls_{kernel.function}({params}) {{ {kernel.function}({names}); }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def build_library(manifest: LlmManifest) -> Path:
    """Compile the project's kernels and the C ABI into PROJECT/csim_build/llm/libllm.so."""
    project_dir = manifest.root
    build_dir = project_dir / BUILD_DIR
    build_dir.mkdir(parents=True, exist_ok=True)
    abi = abi_source(manifest.llm)
    abi_path = build_dir / "llm_abi.cpp"
    if not abi_path.is_file() or abi_path.read_text() != abi:
        abi_path.write_text(abi)
    sources = [project_dir / f for f in manifest.kernel_files] + [abi_path]
    for source in sources:
        if not source.is_file():
            raise InputError(f"{source}: kernel source missing from the project")
    objects, _ = compile_objects(
        project_dir, sources, build_dir, [project_dir / "kernel"], extra_flags=("-fPIC",)
    )
    library = build_dir / "libllm.so"
    link_binary(objects, library, extra_flags=("-shared",))
    return library


class CsimBackend:
    """Runs `llm_prefill` / `llm_decode` of a compiled project on this CPU."""

    name = "csim"

    def __init__(self, manifest: LlmManifest) -> None:
        self.project_dir = manifest.root
        self.spec = manifest.llm
        library = build_library(manifest)
        try:
            self._lib = ctypes.CDLL(str(library))
        except OSError as err:
            raise CSimError(f"{library}: cannot load the C-simulation library ({err})") from None
        self._buffers: dict[str, np.ndarray] = {}
        self._functions = {}
        for kernel in self.spec.kernels:
            function = getattr(self._lib, f"llmhls_{kernel.function}")
            function.restype = None
            function.argtypes = [
                _CTYPES[a.ctype][0] if a.kind == "scalar" else ctypes.c_void_p for a in kernel.args
            ]
            self._functions[kernel.which] = (function, kernel.args)
            for arg in kernel.buffers:
                if arg.name not in self._buffers:
                    self._buffers[arg.name] = self._allocate(arg)
        self.vocab_size = self.spec.vocab_size

    def _allocate(self, arg: HostArg) -> np.ndarray:
        dtype = _CTYPES[arg.ctype][1]
        if arg.file is None:
            return np.zeros(arg.elements, dtype=dtype)
        return np.fromfile(arg.weight_path(self.project_dir), dtype=dtype)

    def reset(self) -> None:
        """Forget the KV cache: a new generation starts at position 0."""
        for name in {a.name for k in self.spec.kernels for a in k.buffers if a.role == "kv"}:
            self._buffers[name][:] = 0

    def _call(self, kind: str, scalars: dict[str, int]) -> np.ndarray:
        function, args = self._functions[kind]
        values = [
            scalars[a.name] if a.kind == "scalar" else self._buffers[a.name].ctypes.data
            for a in args
        ]
        function(*values)
        return self._buffers["logits"].copy()

    def prefill(self, tokens: np.ndarray, start_pos: int, propose: bool = False) -> np.ndarray:
        """Logits after `tokens` at start_pos..; with `propose` (a project whose kernel runs
        the Medusa heads) the heads' guesses after the last token too (`result`)."""
        tokens = np.asarray(tokens, dtype=np.int32)
        self._buffers["tokens"][: tokens.size] = tokens
        scalars = {"n_tokens": int(tokens.size), "start_pos": int(start_pos)}
        return self._call("prefill", scalars | {"tree": TREE_PROPOSE if propose else 0})

    def verify(self, tokens: np.ndarray, start_pos: int) -> tuple[list[int], int]:
        """Verify the kernel's Medusa tree holding `tokens` after `start_pos` cached positions.

        Returns the accepted nodes (the root first) and the greedy token after them; the
        kernel has kept their K/V at start_pos.. and left the last one's state in `state`.
        """
        tokens = np.asarray(tokens, dtype=np.int32)
        self._buffers["tokens"][: tokens.size] = tokens
        scalars = {"n_tokens": int(tokens.size), "start_pos": int(start_pos), "tree": 1}
        self._call("prefill", scalars)
        return tree_result(self._buffers["result"])

    def state(self) -> np.ndarray:
        """The final hidden state (after the final norm) of the last call's last kept row."""
        return self._buffers["state"].copy()

    def result(self) -> np.ndarray:
        """The last tree call's `result` buffer (runtime/medusa.py reads it)."""
        return self._buffers["result"].copy()

    def decode(self, token: int, pos: int) -> np.ndarray:
        if self.spec.decode is None:
            return self.prefill(np.array([token], dtype=np.int32), pos)
        return self._call("decode", {"token": int(token), "pos": int(pos)})


def library_fingerprint(manifest: LlmManifest) -> str:
    """A short hash of the kernel ABI (for logs: which build a run used)."""
    return hashlib.sha256(abi_source(manifest.llm).encode()).hexdigest()[:12]
