"""The base class every llmhls pass derives from.

A pass is a frozen dataclass: `name` is what pipelines call it, the dataclass
fields are its typed options (`name{opt=value}` in a pipeline string), and
`run(module)` mutates the module in place.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from torch_mlir import ir

from llmhls.errors import OptionError


@dataclasses.dataclass(frozen=True)
class Pass:
    """One IR transformation with typed options."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""

    def run(self, module: ir.Module) -> None:
        raise NotImplementedError(type(self).__name__)

    @classmethod
    def option_help(cls) -> list[str]:
        """`opt=<type> (default)` strings for --list-passes."""
        return [
            f"{f.name}={getattr(f.type, '__name__', f.type)} (default {f.default!r})"
            for f in dataclasses.fields(cls)
        ]

    @classmethod
    def from_options(cls, options: dict[str, str]) -> Pass:
        """Builds the pass from `opt=value` strings, converting each to its field's type."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, object] = {}
        for key, text in options.items():
            field = fields.get(key.replace("-", "_"))
            if field is None:
                known = ", ".join(sorted(fields)) or "none"
                raise OptionError(f"pass '{cls.name}' has no option '{key}' (options: {known})")
            kwargs[field.name] = _convert_option(cls.name, key, text, field.type)
        return cls(**kwargs)


def _convert_option(pass_name: str, key: str, text: str, type_name: object) -> object:
    type_name = getattr(type_name, "__name__", type_name)
    try:
        if type_name == "bool":
            if text.lower() in ("1", "true", "on", "yes", ""):
                return True
            if text.lower() in ("0", "false", "off", "no"):
                return False
            raise ValueError(text)
        if type_name == "int":
            return int(text)
        if type_name == "float":
            return float(text)
    except ValueError:
        raise OptionError(
            f"pass '{pass_name}' option '{key}' expects {type_name}, got '{text}'"
        ) from None
    return text
