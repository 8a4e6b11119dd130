"""Writing an output directory all at once: build it in a staging folder, then rename it in.

Weight files get their SHA-256 in data/weights/SHA256SUMS, which every reader
of a weight checks. A failure half-way (an exception, Ctrl-C) removes the staging folder and the
folders made to hold it, and leaves the destination as it was, so no
half-written project is ever left. A project replaced with --force is moved
aside before the new one is renamed in, and put back if that is interrupted.
"""

from __future__ import annotations

import os
import secrets
import shutil
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
    staging: Path | None = None
    old: Path | None = None
    try:  # one handler from the first folder made: a Ctrl-C at any point cleans up
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            # named before it exists, so an interrupt just after the mkdir still removes it
            staging = out_dir.parent / f".{out_dir.name}.{os.getpid()}.{secrets.token_hex(4)}"
            staging.mkdir(mode=0o700)
        except OSError as exc:
            raise InputError(
                f"cannot write the project '{out_dir}': {exc.strerror or exc}"
            ) from None
        old = staging.with_name(staging.name + ".old")
        yield staging
        write_weight_digests(staging)
        os.chmod(staging, 0o755)
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
    except BaseException:
        if old is not None and old.exists() and not out_dir.exists():
            old.rename(out_dir)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise
    shutil.rmtree(old, ignore_errors=True)
