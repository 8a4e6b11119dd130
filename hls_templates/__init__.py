"""Jinja2 templates of the files llmhls writes (kernels' top, testbenches, Tcl) and HLS headers.

Every template is rendered through `render` with the same settings: strict
undefined names (a missing value is an error, not an empty string), no HTML
escaping, block tags that leave no blank lines.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parent


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(name: str, **values: Any) -> str:
    """The text of template `name` (a file in hls_templates/) with `values`."""
    return environment().get_template(name).render(**values)
