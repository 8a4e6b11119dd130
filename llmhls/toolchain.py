"""The C++ toolchain for C-simulation: which headers, which g++ flags, and incremental builds.

ap_int/ap_fixed are Xilinx's Apache-2.0 headers shipped inside the hls4ml
wheel; `hls_stream.h`/`hls_math.h` are llmhls's own behavioural versions in
`hls_templates/include`. Found without importing hls4ml (slow, heavy).

`llmhls csim` (compiler) and the runtime's csim backend both build kernels
with it, so it sits beside them in the base package rather than inside either.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from llmhls.errors import CSimError
from llmhls.hls_templates import TEMPLATES_DIR

CXX_FLAGS = ("-std=c++14", "-O2")


def ap_types_include_dir() -> Path:
    """The folder holding ap_int.h / ap_fixed.h from the hls4ml wheel."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise CSimError("hls4ml is not installed: it provides ap_int.h/ap_fixed.h for csim")
    folder = Path(next(iter(spec.submodule_search_locations))) / "templates/vivado/ap_types"
    if not (folder / "ap_fixed.h").is_file():
        raise CSimError(f"ap_fixed.h not found under {folder}: reinstall hls4ml")
    return folder


def hls_include_dir() -> Path:
    """llmhls's own hls_stream.h / hls_math.h for g++ C-simulation."""
    return TEMPLATES_DIR / "include"


def compile_objects(
    root: Path,
    sources: list[Path],
    build_dir: Path,
    include_dirs: list[Path],
    *,
    extra_flags: tuple[str, ...] = (),
    jobs: int | None = None,
) -> tuple[list[Path], bool]:
    """Compile each source under `root` to its own object in `build_dir`, in parallel.

    An object is reused while it is newer than every file g++ saw in it (its
    -MMD depfile) and its command line is unchanged. Returns the objects and
    whether any was rebuilt. The HLS headers (ap_types, hls_stream/hls_math) come
    before `include_dirs`.
    """
    gxx = shutil.which("g++")
    if gxx is None:
        raise CSimError("g++ not found on PATH: C-simulation needs a C++14 compiler")
    includes = [hls_include_dir(), ap_types_include_dir(), *include_dirs]
    flags = [*CXX_FLAGS, *extra_flags, *(f"-I{d}" for d in includes)]
    objects: list[Path] = []
    stale: list[tuple[Path, Path, list[str]]] = []
    for src in sources:
        stem = src.relative_to(root).with_suffix("").as_posix().replace("/", "__")
        obj = build_dir / f"{stem}.o"
        command = [gxx, *flags, "-c", str(src), "-o", str(obj), "-MMD", "-MF", f"{obj}.d"]
        objects.append(obj)
        if not _fresh(obj, command, _depfile_inputs(Path(f"{obj}.d"))):
            stale.append((src.relative_to(root), obj, command))
    if stale:
        workers = min(len(stale), jobs or os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            errors = list(pool.map(lambda job: _compile(*job), stale))
        for error in errors:
            if error:
                raise CSimError(error)
    return objects, bool(stale)


def link_binary(objects: list[Path], target: Path, extra_flags: tuple[str, ...] = ()) -> bool:
    """Link `objects` into `target` unless it is up to date; True when it was relinked."""
    gxx = shutil.which("g++") or "g++"
    link = [gxx, *extra_flags, *(str(o) for o in objects), "-o", str(target)]
    if _fresh(target, link, objects):
        return False
    error = _run_gxx(link, target, f"linking {target.name}")
    if error:
        raise CSimError(error)
    _record(target, link)
    return True


def _compile(src: Path, obj: Path, command: list[str]) -> str:
    """Compile one source; returns the error line ('' on success)."""
    error = _run_gxx(command, obj, f"compiling {src}", depfile=Path(f"{obj}.d"))
    if not error:
        _record(obj, command)
    return error


def _run_gxx(command: list[str], target: Path, what: str, depfile: Path | None = None) -> str:
    """Run g++ writing to temporary names, renamed into place only on success.

    Returns '' or one line: what failed, g++'s first error line and the log's path.
    """
    suffix = f".{os.getpid()}.tmp"
    tmp_target = Path(f"{target}{suffix}")
    tmp_dep = Path(f"{depfile}{suffix}") if depfile else None
    actual = [str(tmp_target) if arg == str(target) else arg for arg in command]
    if depfile is not None and tmp_dep is not None:
        actual = [str(tmp_dep) if arg == str(depfile) else arg for arg in actual]
    log = Path(f"{target}.log")
    env = {**os.environ, "LC_ALL": "C"}
    try:
        proc = subprocess.run(actual, capture_output=True, text=True, errors="replace", env=env)
        log.write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            return f"g++ failed {what}: {_first_error(proc.stderr, proc.returncode)} (log: {log})"
        os.replace(tmp_target, target)
        if depfile is not None and tmp_dep is not None:
            os.replace(tmp_dep, depfile)
        return ""
    except OSError as err:
        return f"g++ failed {what}: {err}"
    finally:
        tmp_target.unlink(missing_ok=True)
        if tmp_dep is not None:
            tmp_dep.unlink(missing_ok=True)


def _first_error(stderr: str, returncode: int) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for marker in ("undefined reference", "error:", "error"):
        for line in lines:
            if marker in line:
                return line
    return lines[0] if lines else f"exit status {returncode}"


def _record(target: Path, command: list[str]) -> None:
    """Remember the command that made `target`, so a changed command rebuilds it."""
    Path(f"{target}.cmd").write_text("\n".join(command) + "\n")


def _fresh(target: Path, command: list[str], inputs: list[Path] | None) -> bool:
    """True if `target` exists, came from `command`, and is newer than every input."""
    if inputs is None or not target.is_file():
        return False
    try:
        if Path(f"{target}.cmd").read_text() != "\n".join(command) + "\n":
            return False
        built = target.stat().st_mtime_ns
        return all(path.stat().st_mtime_ns < built for path in inputs)
    except OSError:
        return False


def _depfile_inputs(depfile: Path) -> list[Path] | None:
    """Files named in a g++ -MMD depfile (source and headers), or None if unreadable."""
    try:
        text = depfile.read_text()
    except OSError:
        return None
    rule = text.replace("\\\n", " ")
    _, sep, prereqs = rule.partition(": ")
    if not sep:
        return None
    prereqs = prereqs.split("\n", 1)[0]
    tokens = re.findall(r"(?:\\.|[^\s\\])+", prereqs)
    paths = [Path(re.sub(r"\\(.)", r"\1", token)) for token in tokens]
    return paths or None
