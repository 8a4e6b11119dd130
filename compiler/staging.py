"""Writing an output directory all at once: build it in a staging folder, then rename it in.

A failure half-way (an exception, Ctrl-C) removes the staging folder and
leaves the destination as it was, so no half-written project is ever left.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_directory(out_dir: Path) -> Iterator[Path]:
    """Yield an empty folder beside `out_dir`; on success it replaces `out_dir`."""
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
