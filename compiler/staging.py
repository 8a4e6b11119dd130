"""Writing an output directory all at once: build it in a staging folder, then rename it in.

Weight files get their SHA-256 in data/weights/SHA256SUMS, which every reader
of a weight checks. A failure half-way (an exception, Ctrl-C) removes the staging folder and the
folders made to hold it, and leaves the destination as it was, so no
half-written project is ever left. A project replaced with --force is moved
aside before the new one is renamed in, and put back if that is interrupted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llmhls.errors import InputError
from llmhls.project import write_weight_digests


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this run created, deepest first, if still empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            return


@contextmanager
def staged_directory(out_dir: Path) -> Iterator[Path]:
    """Yield an empty folder beside `out_dir`; on success it replaces `out_dir`."""
    out_dir = Path(out_dir).absolute()
    created = [p for p in reversed(out_dir.parents) if not p.exists()]
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        _remove_empty(created)
        raise InputError(f"cannot write the project '{out_dir}': {exc.strerror or exc}") from None
    old = staging.with_name(staging.name + ".old")
    try:
        yield staging
        write_weight_digests(staging)
        os.chmod(staging, 0o755)
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
    except BaseException:
        if old.exists() and not out_dir.exists():
            old.rename(out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise
    shutil.rmtree(old, ignore_errors=True)
