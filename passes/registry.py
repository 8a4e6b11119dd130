"""Registry of llmhls passes, filled by importing every pass module under `passes/`.

Pipelines name passes by string, so a pass is found by its `name` and the
registry is the only place that knows which classes exist.
"""

from __future__ import annotations

import importlib
import pkgutil

from llmhls.errors import OptionError
from llmhls.passes.base import Pass

_REGISTRY: dict[str, type[Pass]] = {}
_DISCOVERED = False  # a direct import of one pass module must not stop discovery


def register_pass(cls: type[Pass]) -> type[Pass]:
    """Class decorator: makes `cls` callable by its `name` from pipelines."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no pass name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise TypeError(f"pass name '{cls.name}' registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    import llmhls.passes as root

    for info in pkgutil.walk_packages(root.__path__, prefix="llmhls.passes."):
        importlib.import_module(info.name)
    _DISCOVERED = True


def all_passes() -> dict[str, type[Pass]]:
    """Every registered pass, by name, sorted."""
    if not _DISCOVERED:
        _discover()
    return dict(sorted(_REGISTRY.items()))


def is_registered(name: str) -> bool:
    return name in all_passes()


def get_pass(name: str) -> type[Pass]:
    passes = all_passes()
    if name not in passes:
        raise OptionError(f"unknown llmhls pass '{name}' (see llmhls-opt --list-passes)")
    return passes[name]
