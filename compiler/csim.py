"""`llmhls csim`: build a compiled project's kernel and testbench with g++, run, check.

The testbench prints its own verdict and exits 1 on a mismatch. Python reads the
kernel's outputs back and recomputes the same metric (`testbench.compare`); the
two verdicts must agree, so a stale or broken testbench cannot pass on its own.
With user inputs (`inputs_npz`), golden outputs come from the project's
`program.pt2` run in PyTorch.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llmhls.compiler.testbench import check_testbench_names, compare
from llmhls.errors import CSimError, InputError, OptionError
from llmhls.project import ROLE_DIRS, Interface, KernelManifest, load_kernel_manifest
from llmhls.toolchain import compile_objects, link_binary

BUILD_DIR = "csim_build"
DEFAULT_TIMEOUT_S = 600.0


@dataclass
class CSimResult:
    """Verdict of one C-simulation: per-output errors plus how long each step took."""

    passed: bool
    max_abs_err: float
    max_rel_err: float
    outputs: list[dict[str, Any]]
    build_s: float
    run_s: float
    golden_s: float = 0.0
    cached: bool = False
    tb_exit_code: int = 0
    note: str = ""
    log: str = field(default="", repr=False)

    def to_json(self) -> str:
        """One JSON line; errors that are not finite (NaN/inf) are written as null."""
        data = {
            "passed": self.passed,
            "max_abs_err": _json_number(self.max_abs_err),
            "max_rel_err": _json_number(self.max_rel_err),
            "outputs": [
                {key: _json_number(v) if isinstance(v, float) else v for key, v in out.items()}
                for out in self.outputs
            ],
            "build_s": round(self.build_s, 3),
            "run_s": round(self.run_s, 3),
            "golden_s": round(self.golden_s, 3),
            "cached": self.cached,
            "tb_exit_code": self.tb_exit_code,
            "note": self.note,
        }
        return json.dumps(data, allow_nan=False)


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Project:
    """A kernel project csim can build: its checked manifest and the sources it names."""

    manifest: KernelManifest
    root: Path  # resolved
    sources: list[Path]  # kernel files, then the testbench


def load_project(project_dir: Path) -> Project:
    """Read and check PROJECT/manifest.json and the sources it names (InputError if not)."""
    manifest = load_kernel_manifest(project_dir)
    root = manifest.root.resolve()
    source = str(manifest.path)
    interfaces = list(manifest.interfaces)
    check_testbench_names(interfaces, source)
    sources = []
    for rel in [*manifest.kernel_files, manifest.testbench]:
        if not (root / rel).is_file():
            raise InputError(f"{root / rel}: missing source file named in {source}")
        sources.append(root / rel)
    header = root / "kernel" / f"{manifest.top}.h"
    if not header.is_file():
        raise InputError(f"{header}: missing kernel header")
    return Project(manifest, root, sources)


def run_csim(
    project_dir: Path,
    *,
    inputs_npz: Path | None = None,
    outputs_npz: Path | None = None,
    jobs: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> CSimResult:
    """Build (or reuse) the testbench, run it, and check every output against PyTorch.

    Without `inputs_npz` the project's own data is used; with it, those inputs are
    checked against the manifest and golden outputs are recomputed from program.pt2.
    `outputs_npz` receives the kernel's outputs keyed by PyTorch output name.
    """
    if jobs is not None and jobs < 1:
        raise OptionError(f"jobs must be at least 1, got {jobs}")
    if not timeout_s > 0:
        raise OptionError(f"timeout must be positive, got {timeout_s}")
    project = load_project(project_dir)
    if outputs_npz is not None and not Path(outputs_npz).resolve().parent.is_dir():
        raise InputError(f"{outputs_npz}: its folder does not exist")
    program = project.root / "program.pt2"
    if inputs_npz is None:
        needed = list(project.manifest.interfaces)
    else:
        if not program.is_file():
            raise InputError(f"{program}: missing; needed to compute golden outputs for --inputs")
        needed = project.manifest.of_role("weight")
    for iface in needed:
        iface.check_size(project.root / iface.rel_file)
    user_inputs = None if inputs_npz is None else read_inputs_npz(Path(inputs_npz), project)

    start = time.perf_counter()
    binary, cached = build_testbench(project, jobs=jobs)
    build_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="llmhls-csim-") as tmp_name:
        tmp = Path(tmp_name)
        golden_s = 0.0
        if user_inputs is None:
            inputs_dir = project.root / ROLE_DIRS["input"]
            golden_dir = project.root / ROLE_DIRS["output"]
        else:
            inputs_dir, golden_dir = tmp / "inputs", tmp / "golden"
            inputs_dir.mkdir()
            golden_dir.mkdir()
            for iface, array in zip(project.manifest.of_role("input"), user_inputs, strict=True):
                (inputs_dir / f"{iface.arg}.bin").write_bytes(array.tobytes())
            start = time.perf_counter()
            golden = torch_golden(program, user_inputs, project.manifest.of_role("output"))
            golden_s = time.perf_counter() - start
            for iface, array in zip(project.manifest.of_role("output"), golden, strict=True):
                (golden_dir / f"{iface.arg}.bin").write_bytes(array.tobytes())
        results_dir = tmp / "results"
        results_dir.mkdir()

        start = time.perf_counter()
        proc = _run_testbench(binary, project.root, inputs_dir, golden_dir, results_dir, timeout_s)
        run_s = time.perf_counter() - start

        outputs: list[dict[str, Any]] = []
        results: dict[str, np.ndarray] = {}
        for iface in project.manifest.of_role("output"):
            result_path = results_dir / f"{iface.arg}.bin"
            if not result_path.is_file() or result_path.stat().st_size != iface.nbytes:
                raise CSimError(f"{binary}: wrote no complete result for output '{iface.name}'")
            out = _read_bin(result_path, iface)
            ref = _read_bin(golden_dir / f"{iface.arg}.bin", iface)
            check = compare(
                out,
                ref,
                is_float=iface.info.is_float,
                rel_tol=project.manifest.rel_tolerance,
                floor_tol=project.manifest.floor_tolerance,
            )
            results[iface.name] = out
            outputs.append(
                {
                    "name": iface.name,
                    "shape": list(iface.shape),
                    "dtype": iface.dtype,
                    "max_abs_err": check.max_abs_err,
                    "max_rel_err": check.max_rel_err,
                    "tolerance_ratio": check.tolerance_ratio,
                    "passed": check.passed,
                }
            )

    python_passed = all(out["passed"] for out in outputs)
    tb_passed = proc.returncode == 0
    note = ""
    if python_passed != tb_passed:
        note = (
            f"testbench exit status {proc.returncode} disagrees with the Python check "
            f"({'pass' if python_passed else 'fail'}); is {project.sources[-1].name} stale?"
        )
    if outputs_npz is not None:
        save_npz(Path(outputs_npz), results)
    return CSimResult(
        passed=python_passed and tb_passed,
        max_abs_err=max(out["max_abs_err"] for out in outputs),
        max_rel_err=max(out["max_rel_err"] for out in outputs),
        outputs=outputs,
        build_s=build_s,
        run_s=run_s,
        golden_s=golden_s,
        cached=cached,
        tb_exit_code=proc.returncode,
        note=note,
        log=proc.stdout,
    )


def _read_bin(path: Path, iface: Interface) -> np.ndarray:
    return np.fromfile(path, dtype=np.dtype(iface.info.numpy)).reshape(iface.shape)


def read_inputs_npz(path: Path, project: Project) -> list[np.ndarray]:
    """The user's inputs in call order, checked against the manifest (InputError if not).

    Keys are the inputs' PyTorch names (their C argument names are accepted too);
    float64 arrays are cast to float32 inputs, nothing else is converted.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such inputs file")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: holds one array, not an .npz archive of named inputs")
        with loaded:
            arrays = {key: loaded[key] for key in loaded.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise InputError(f"{path}: not a readable .npz file ({err})") from err
    inputs = project.manifest.of_role("input")
    expected = ", ".join(repr(i.name) for i in inputs) or "none"
    by_key = {i.arg: i for i in inputs} | {i.name: i for i in inputs}
    given: dict[str, np.ndarray] = {}
    for key, array in arrays.items():
        iface = by_key.get(key)
        if iface is None:
            raise InputError(f"{path}: unexpected key {key!r}; the kernel's inputs are {expected}")
        if iface.name in given:
            raise InputError(f"{path}: input '{iface.name}' is given twice (as name and arg)")
        if tuple(array.shape) != iface.shape:
            raise InputError(
                f"{path}: input {key!r} has shape {list(array.shape)}, expected {list(iface.shape)}"
            )
        want = np.dtype(iface.info.numpy)
        same = array.dtype.kind == want.kind and array.dtype.itemsize == want.itemsize
        narrowing_ok = iface.dtype == "float32" and array.dtype == np.float64
        if not (same or narrowing_ok):
            raise InputError(
                f"{path}: input {key!r} has dtype {array.dtype}, expected {iface.dtype}"
            )
        given[iface.name] = np.ascontiguousarray(array, dtype=want)
    for iface in inputs:
        if iface.name not in given:
            raise InputError(f"{path}: missing input {iface.name!r}; expected keys {expected}")
    return [given[i.name] for i in inputs]


def torch_golden(
    program: Path, inputs: list[np.ndarray], outputs: list[Interface]
) -> list[np.ndarray]:
    """PyTorch's outputs for `inputs`, flattened, checked against the manifest's outputs."""
    import torch  # slow to import: only the --inputs path needs it
    from torch.utils import _pytree

    from llmhls.compiler.frontend import load_program  # a project's archive runs no code

    module = load_program(program).module()
    tensors = [torch.from_numpy(array.copy()) for array in inputs]
    try:
        with torch.no_grad():
            result = module(*tensors)
    except Exception as err:  # the model's own failure, whatever its type
        raise CSimError(
            f"{program}: PyTorch failed on the given inputs ({_first_line(err)})"
        ) from err
    leaves = _pytree.tree_leaves(result)
    if len(leaves) != len(outputs):
        raise InputError(
            f"{program}: returns {len(leaves)} outputs but the manifest lists {len(outputs)}"
        )
    golden = []
    for iface, leaf in zip(outputs, leaves, strict=True):
        if not isinstance(leaf, torch.Tensor) or tuple(leaf.shape) != iface.shape:
            got = list(leaf.shape) if isinstance(leaf, torch.Tensor) else type(leaf).__name__
            raise InputError(
                f"{program}: output '{iface.name}' is {got}, expected shape {list(iface.shape)}"
            )
        array = leaf.detach().cpu().numpy()
        want = np.dtype(iface.info.numpy)
        same = array.dtype.kind == want.kind and array.dtype.itemsize == want.itemsize
        if not (same or (array.dtype.kind == "f" and want.kind == "f")):
            raise InputError(
                f"{program}: output '{iface.name}' has dtype {array.dtype}, expected {iface.dtype}"
            )
        golden.append(np.ascontiguousarray(array, dtype=want))
    return golden


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz with fixed timestamps (same arrays, same bytes) and any key names.

    np.savez takes keys as keyword arguments, so names like 'file' would clash.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for key, array in arrays.items():
                info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                with archive.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        os.replace(tmp, path)
    except OSError as err:
        raise InputError(f"{path}: cannot write outputs ({err})") from err
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# Building: one object per source, compiled in parallel, reused while fresh.


def build_testbench(project: Project, *, jobs: int | None = None) -> tuple[Path, bool]:
    """Compile PROJECT/csim_build/tb_<top>; returns (binary, True if nothing was rebuilt).

    Each source becomes its own object (compiled in parallel); an object is reused
    while it is newer than every file g++ saw in it (its -MMD depfile) and its
    command line is unchanged.
    """
    build_dir = project.root / BUILD_DIR
    try:
        build_dir.mkdir(exist_ok=True)
    except OSError as err:
        raise CSimError(f"{build_dir}: cannot create the build folder ({err})") from err
    objects, rebuilt = compile_objects(
        project.root, project.sources, build_dir, [project.root / "kernel"], jobs=jobs
    )
    binary = build_dir / f"tb_{project.manifest.top}"
    relinked = link_binary(objects, binary)
    return binary, not (rebuilt or relinked)


# ---------------------------------------------------------------------------
# Running.


def _run_testbench(
    binary: Path,
    root: Path,
    inputs_dir: Path,
    golden_dir: Path,
    results_dir: Path,
    timeout_s: float,
) -> subprocess.CompletedProcess[str]:
    """Run the testbench; exit 0/1 is a verdict, anything else is a CSimError."""
    command = [str(binary), str(root), str(inputs_dir), str(golden_dir), str(results_dir)]
    try:
        proc = subprocess.run(
            command,
            cwd=root,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as err:
        raise CSimError(f"{binary}: ran past the {timeout_s:g} s time limit") from err
    except OSError as err:
        raise CSimError(f"{binary}: cannot run ({err})") from err
    if proc.returncode in (0, 1):
        return proc
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        raise CSimError(f"{binary}: crashed with {name}")
    last = next(
        (line for line in reversed(proc.stderr.splitlines()) if line.strip()),
        f"exit status {proc.returncode}",
    )
    raise CSimError(f"{binary}: {last.removeprefix('error: ')}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
