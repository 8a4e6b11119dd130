"""XRT backend of the LLM host runtime: runs the LLM kernels on an FPGA through pyxrt.

Everything the backend needs to call the kernels comes from the manifest's "llm" section (parsed by
`llmhls.project.parse_llm_section`, shared with the generated C++ host): the order of the
arguments in each call, which buffers hold weights (loaded from their .bin files once) and which
hold the KV cache (zeroed by `reset`, kept on the device between calls). A project of one kernel
(`--engine stream`: no decode kernel in the manifest) decodes with one-token prefill calls. pyxrt
is imported only when the backend is created, so llmhls works without XRT for every other backend.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from llmhls.errors import InputError, LlmhlsError, OptionError, UnsupportedError
from llmhls.project import HostKernel, HostSpec
from llmhls.runtime.medusa import TREE_PROPOSE, tree_result

__all__ = ["PYXRT_MISSING", "XrtBackend", "find_xclbin"]

PYXRT_MISSING = (
    "backend 'xrt' needs XRT's Python bindings (pyxrt): source /opt/xilinx/xrt/setup.sh, "
    "or use --backend csim"
)


def _import_pyxrt() -> ModuleType:
    """pyxrt, or UnsupportedError saying how to get it (it ships with XRT, not on PyPI)."""
    try:
        return importlib.import_module("pyxrt")
    except ImportError as error:
        raise UnsupportedError(PYXRT_MISSING) from error


def find_xclbin(project_dir: Path, xclbin: Path | None) -> Path:
    """The given xclbin, or the only `<project>/build/*.xclbin`; InputError naming the path."""
    if xclbin is not None:
        path = Path(xclbin)
        if not path.is_file():
            raise InputError(f"xclbin {path} not found")
        return path
    build = Path(project_dir) / "build"
    found = sorted(build.glob("*.xclbin"))
    if not found:
        raise InputError(f"no xclbin in {build} (build the project or pass the xclbin path)")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(f"several xclbins in {build} ({names}): pass the one to use")
    return found[0]


class XrtBackend:
    """The compiled LLM on an XRT device: prefill a prompt, decode one token at a time."""

    def __init__(
        self,
        project_dir: Path,
        spec: HostSpec,
        xclbin: Path | None = None,
        device_index: int = 0,
    ) -> None:
        pyxrt = _import_pyxrt()
        self.spec = spec
        self.project_dir = Path(project_dir)
        self.xclbin = find_xclbin(self.project_dir, xclbin)
        # Check every weight before touching the device, so a broken project fails at once.
        for arg in self.spec.weights:
            arg.weight_path(self.project_dir)

        self._pyxrt = pyxrt
        self._to_device = pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE
        self._from_device = pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE
        self._device = pyxrt.device(device_index)
        uuid = self._device.load_xclbin(pyxrt.xclbin(str(self.xclbin)))
        self._kernels = {
            k.which: pyxrt.kernel(self._device, uuid, k.function, pyxrt.kernel.shared)
            for k in self.spec.kernels
        }
        self._check_shared_state()
        self._pool: dict[tuple[str, int], Any] = {}  # (arg name, memory bank) -> bo
        self._kv: list[tuple[Any, int]] = []  # (bo, bytes) of the KV cache buffers
        self._bufs = {k.which: self._bind(k) for k in self.spec.kernels}
        self.reset()

    @property
    def vocab_size(self) -> int:
        """Length of the logits vectors."""
        return self.spec.vocab_size

    @property
    def max_context(self) -> int:
        """Positions the KV cache holds (prompt + generated tokens)."""
        return self.spec.max_context

    def reset(self) -> None:
        """Zero the KV cache on the device, starting a new sequence."""
        for bo, nbytes in self._kv:
            self._upload(bo, np.zeros(nbytes, np.uint8))

    def prefill(self, tokens: np.ndarray, start_pos: int, propose: bool = False) -> np.ndarray:
        """Run the prompt tokens at positions start_pos..; float32 logits [vocab] of the last
        (with `propose`, the kernel's Medusa guesses after it: csim_backend's prefill)."""
        ids = np.asarray(tokens)
        if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
            raise OptionError(
                f"prefill needs a non-empty 1-D integer array of token ids, got shape "
                f"{ids.shape} of {ids.dtype}"
            )
        self._check_ids(ids)
        ids = ids.astype(np.int32)
        n = int(ids.size)
        if start_pos < 0 or start_pos + n > self.max_context:
            raise OptionError(
                f"prefill of {n} tokens at position {start_pos} does not fit in "
                f"max_context {self.max_context}"
            )
        capacity = self.spec.tokens_capacity
        tokens_bo = self._bufs["prefill"]["tokens"]
        for offset in range(0, n, capacity):
            chunk = np.zeros(capacity, np.int32)
            count = min(capacity, n - offset)
            chunk[:count] = ids[offset : offset + count]
            self._upload(tokens_bo, chunk)
            last = offset + count == n
            tree = TREE_PROPOSE if propose and last else 0
            scalars = {"n_tokens": count, "start_pos": start_pos + offset, "tree": tree}
            self._run(self.spec.prefill, scalars)
        return self._logits("prefill")

    def verify(self, tokens: np.ndarray, start_pos: int) -> tuple[list[int], int]:
        """Verify the kernel's Medusa tree holding `tokens` (csim_backend.CsimBackend.verify)."""
        ids = np.asarray(tokens, dtype=np.int32)
        self._check_ids(ids)
        if start_pos < 0 or start_pos + ids.size > self.max_context:
            raise OptionError(
                f"a tree of {ids.size} tokens at position {start_pos} does not fit in "
                f"max_context {self.max_context}"
            )
        chunk = np.zeros(self.spec.tokens_capacity, np.int32)
        chunk[: ids.size] = ids
        self._upload(self._bufs["prefill"]["tokens"], chunk)
        scalars = {"n_tokens": int(ids.size), "start_pos": int(start_pos), "tree": 1}
        self._run(self.spec.prefill, scalars)
        return tree_result(self._download("result", np.int32))

    def state(self) -> np.ndarray:
        """The last call's kept row's final hidden state (the Medusa heads' input)."""
        return self._download("state", np.float32)

    def result(self) -> np.ndarray:
        """The last tree call's `result` buffer (runtime/medusa.py reads it)."""
        return self._download("result", np.int32)

    def _download(self, name: str, dtype) -> np.ndarray:
        bo = self._bufs["prefill"][name]
        arg = self.spec.prefill.arg(name)
        bo.sync(self._from_device, arg.nbytes, 0)
        return np.frombuffer(np.asarray(bo.read(arg.nbytes, 0)).tobytes(), dtype=dtype).copy()

    def decode(self, token: int, pos: int) -> np.ndarray:
        """Run one token at position `pos`; float32 logits [vocab] for the next token."""
        self._check_ids(np.array([token]))
        if not 0 <= pos < self.max_context:
            raise OptionError(f"decode position {pos} is outside [0, {self.max_context})")
        if self.spec.decode is None:  # one kernel: a decode step is a one-token prefill call
            return self.prefill(np.array([token], np.int32), pos)
        self._run(self.spec.decode, {"token": int(token), "pos": int(pos)})
        return self._logits("decode")

    def _check_ids(self, ids: np.ndarray) -> None:
        bad = ids[(ids < 0) | (ids >= self.vocab_size)]
        if bad.size:
            raise OptionError(
                f"token id {int(bad[0])} is outside the vocabulary [0, {self.vocab_size})"
            )

    def _check_shared_state(self) -> None:
        """Prefill writes the KV cache decode reads: both ports must be in one memory bank."""
        prefill, decode = self.spec.prefill, self.spec.decode
        if decode is None:
            return
        for a in prefill.buffers:
            if a.role != "kv":
                continue
            p_group = self._kernels["prefill"].group_id(prefill.index(a.name))
            d_group = self._kernels["decode"].group_id(decode.index(a.name))
            if p_group != d_group:
                raise InputError(
                    f"xclbin {self.xclbin}: KV cache {a.name} is in memory bank {p_group} for "
                    f"{prefill.function} but {d_group} for {decode.function}; link both to one bank"
                )

    def _bind(self, kernel: HostKernel) -> dict[str, Any]:
        """A bo per buffer arg, shared with the other kernel when the memory bank is the same."""
        xrt_kernel = self._kernels[kernel.which]
        bound: dict[str, Any] = {}
        for index, arg in enumerate(kernel.args):
            if arg.kind != "buffer":
                continue
            group = int(xrt_kernel.group_id(index))
            key = (arg.name, group)
            if key not in self._pool:
                bo = self._pyxrt.bo(self._device, arg.nbytes, self._pyxrt.bo.normal, group)
                if arg.role == "weight":
                    path = arg.weight_path(self.project_dir)
                    self._upload(bo, np.fromfile(path, dtype=np.uint8))
                elif arg.role == "scratch":
                    self._upload(bo, np.zeros(arg.nbytes, np.uint8))
                elif arg.role == "kv":
                    self._kv.append((bo, arg.nbytes))  # zeroed by reset()
                self._pool[key] = bo
            bound[arg.name] = self._pool[key]
        return bound

    def _upload(self, bo: Any, data: np.ndarray) -> None:
        data = np.ascontiguousarray(data)
        bo.write(data, 0)
        bo.sync(self._to_device, data.nbytes, 0)

    def _run(self, kernel: HostKernel, scalars: dict[str, int]) -> None:
        """Call the kernel with its arguments in manifest order and wait for it."""
        bufs = self._bufs[kernel.which]
        args = [bufs[a.name] if a.kind == "buffer" else int(scalars[a.name]) for a in kernel.args]
        state = self._kernels[kernel.which](*args).wait()
        if state != self._pyxrt.ert_cmd_state.ERT_CMD_STATE_COMPLETED:
            shown = getattr(state, "name", state)
            raise LlmhlsError(f"{kernel.function} did not complete on the device ({shown})")

    def _logits(self, which: str) -> np.ndarray:
        bo = self._bufs[which]["logits"]
        nbytes = self.vocab_size * 4
        bo.sync(self._from_device, nbytes, 0)
        raw = np.asarray(bo.read(nbytes, 0)).tobytes()
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
